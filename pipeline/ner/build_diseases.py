"""Derive `pipeline/data/ner/diseases_cedict.tsv` from CC-CEDICT (run once, by hand).

Usage::

    python -m pipeline.ner.build_diseases --cedict /path/to/cedict_1_0_ts_utf-8_mdbg.txt.gz

Keeps the entries whose English gloss names a specific disease by its shape in English medical
naming: a head word of disease names with something naming which one (`liver cancer`,
`nasopharyngeal carcinoma`, `Alzheimer's disease`, `irritable bowel syndrome`, `hepatitis B`), an
inflammation (`-itis`), a tumour (`-oma`) or another disease suffix (`-emia`, `-pathy`, `-osis`)
or one of the disease words that name a single disease (`diabetes`, `tuberculosis`, `leukemia`,
`arrhythmia`), where the Chinese headword is written as a disease (a 疒 character, `炎`, `失常` ...):
`stroke` 笔画 and `depression` 萧条 are not.
A bare disease word (`cancer`, `tumor`, `disease`, `syndrome`: SCHEMA.md) or one qualified only by
its course or severity (`malignant tumor`, `chronic disease`) is left out, as are senses marked
TCM, plant or animal diseases, and headwords of one character.

Writes `DISEASE <tab> lang <tab> term` rows: the Chinese headword in Simplified (CC-CEDICT's
Simplified column and the Traditional column converted with OpenCC, when they differ) and each
English gloss that passed, with its regular English plural (`arrhythmias`, `liver diseases`),
because the phrase matcher reads words as written. CC-CEDICT is CC BY-SA 4.0, so the derived file
is shared under the same licence (pipeline/data/ner/README.md).
"""

from __future__ import annotations

import argparse
import gzip
import re
from pathlib import Path

from pipeline.text.chars import HAN_CHARS
from pipeline.text.hans import to_hans

OUT = Path(__file__).resolve().parent.parent / "data" / "ner" / "diseases_cedict.tsv"

_ENTRY = re.compile(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$")
_PAREN = re.compile(r"\([^()]*\)|\[[^\]]*\]")
# Senses that are not a human disease named in English medicine.
_DROP_SENSE = re.compile(
    r"\b(?:TCM|Chinese medicine|plants?|crops?|animals?|livestock|poultry|swine|pigs?|cattle|"
    r"horses?|dogs?|fish|bees?|silkworms?|veterinary|feline|porcine|equine|bovine|citrus|figurative|fig\.|idiom|slang)\b",
    re.I,
)
# A gloss that is a name: letters, apostrophes, hyphens, digits inside; at most six words.
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9'’\- ]*[A-Za-z0-9]$")
# Head words that need a word before them naming which one (`liver cancer`, `Down syndrome`).
_QUALIFIED_HEAD = re.compile(
    r"^(?:cancers?|carcinomas?|tumou?rs?|neoplasms?|diseases?|syndromes?|disorders?|fevers?|"
    r"infections?|deficiency|failure|palsy|sclerosis|dystrophy|atrophy|fibrillation|"
    r"infarction|hypertrophy|stenosis|insufficiency|ulcers?|hernia|poisoning|pox|flu|"
    r"influenza)$",
    re.I,
)
# Words that say how bad or how spread a disease is, not which disease it is.
_GENERIC_QUALIFIER = frozenset(
    re.findall(
        r"\S+",
        """a an the any some all this that malignant benign chronic acute serious severe grave
rare common minor major mild fatal deadly terminal incurable infectious contagious communicable transmissible epidemic
endemic pandemic new novel unknown hereditary inherited genetic congenital occupational viral bacterial fungal
parasitic venereal sexually transmitted mental physical internal external latent recurrent secondary primary
metastatic advanced early late old various other such sudden lingering persistent sick high low slight light
unmentionable foul ineradicable frequently reoccurring recurring summertime lifestyle tropical deficiency clinical
cultural organ""",
    )
)
# Words of a description, not of a name (`cause of disease`, `to have an infarction`).
_FUNCTION_WORDS = frozenset(re.findall(r"\S+", "to of off in an a the all for from by on at attached cure wards"))
# Words with a disease suffix that name a procedure, a practice or an aversion.
_NOT_DISEASE = re.compile(
    r"(?i)(?:diagnosis|prognosis|homeopathy|osteopathy|naturopathy|phobia|(?<!hemo)(?<!haemo)philia|mania)$"
)
# Disease words that name one disease on their own.
_SINGLE = re.compile(
    r"^(?:diabetes|tuberculosis|leuka?emia|hepatitis(?: [A-E])?|pneumonia|asthma|epilepsy|schizophrenia|autism|"
    r"dementia|malaria|cholera|measles|mumps|rubella|smallpox|chickenpox|leprosy|rabies|tetanus|diphtheria|"
    r"typhoid|typhus|plague|polio|poliomyelitis|syphilis|gonorrh?o?ea|psoriasis|eczema|glaucoma|cataracts?|"
    r"myopia|gout|osteoporosis|cirrhosis|arrhythmias?|bradycardia|tachycardia|angina|hypertension|hypotension|"
    r"stroke|obesity|anorexia|bulimia|hemophilia|haemophilia|thalassa?emia|an(?:a)?emia|sepsis|septicemia|"
    r"septicaemia|jaundice|scurvy|rickets|beriberi|pellagra|goiter|goitre|hypothyroidism|hyperthyroidism|"
    r"migraine|insomnia|narcolepsy|depression|dengue|ebola|anthrax|botulism|brucellosis|leptospirosis|"
    r"toxoplasmosis|schistosomiasis|filariasis|trachoma|osteoarthritis|emphysema|bronchiectasis|"
    r"hydrocephalus|encephalitis|meningitis|hemorrhoids|haemorrhoids|dysentery|COVID-19|AIDS|SARS|MERS)$",
    re.I,
)
# Suffixes of disease names that other words share (`aroma`, `empathy`, `metamorphosis`, `media`):
# kept only when the Chinese headword is written as a disease.
_SUFFIX = re.compile(r"(?:itis|itides|oma|omas|emia|aemia|pathy|osis|iasis|ia)$", re.I)
# The Chinese headword written as a disease: a character under the 疒 radical (U+7592..U+7675:
# 病, 症, 癌, 瘤, 痛, 癫 ...) or a disease word's last character or two.
_ZH_DISEASE = re.compile(
    r"[\u7592-\u7675]|(?:炎|症|征|热|失常|不齐|不整|过缓|过速|硬化|衰竭|梗死|梗塞|颤动|"
    r"不良|萎缩|障碍|不全|贫血|中风|结核|肝|瘫)$"
)
# Headwords that are not diseases though their gloss reads as one (institutions, agents, states).
_ZH_NOT = re.compile(r"(?:病毒|病菌|细菌|机构|中心|研究|医院|学会|协会|疫苗|药|剂|素|者|人|儿|患|期|率|科|学)$")


def senses(glosses: list[str]) -> list[str]:
    """The plain names among an entry's glosses: notes in brackets and `abbr. ...` tails removed."""
    out = []
    for gloss in glosses:
        if _DROP_SENSE.search(gloss) or re.match(
            r"(?i)^(?:variant of|old variant|see |CL:|surname |abbr\. for|"
            r"erroneous|also written|used in|to |a |an )",
            gloss,
        ):
            continue
        plain = _PAREN.sub(" ", gloss)
        for part in re.split(r"[;,]", plain):
            part = re.sub(r"\s+", " ", part).strip()
            if part and _NAME.match(part) and len(part.split()) <= 6 and not re.search(r"\b(?:aka|abbr|or|etc)\b", part):
                out.append(part)
    return out


def is_disease(name: str, headword: str) -> bool:
    """Does the English `name` (a gloss of `headword`) name a specific disease?"""
    words = name.split()
    head = words[-1]
    if _FUNCTION_WORDS & set(words) or _NOT_DISEASE.search(head):
        return False
    if not _ZH_DISEASE.search(headword):  # `stroke` 笔画, `depression` 萧条: not written as a disease
        return False
    if _SINGLE.match(name):
        return True
    if _QUALIFIED_HEAD.match(head):
        qualifiers = [w.casefold() for w in words[:-1]]
        return bool(qualifiers) and not all(q in _GENERIC_QUALIFIER for q in qualifiers)
    return bool(_SUFFIX.search(head)) and len(words) <= 4


# Head words that are counted (`liver diseases`, `arrhythmias`, `lymphomas`); mass nouns
# (`asthma`, `gout`, `fever`) get no plural.
_COUNT_HEAD = re.compile(r"(?:disease|disorder|syndrome|cancer|carcinoma|tumou?r|infection|ulcer|oma|arrhythmia|pathy)$")


def plural(term: str) -> str | None:
    """The regular English plural of a disease name's counted head word, or None."""
    if not _COUNT_HEAD.search(term):
        return None
    return term[:-1] + "ies" if term.endswith("y") else term + "s"


def _generic_zh(zh: str) -> bool:
    """A Chinese headword that is only a disease word (`癌症`, `肿瘤`, `疾病`) or names no disease."""
    return zh in {
        "癌症",
        "肿瘤",
        "恶性肿瘤",
        "良性肿瘤",
        "疾病",
        "病症",
        "病",
        "症",
        "癌",
        "瘤",
        "综合征",
        "综合症",
        "症候群",
        "病毒",
    } or bool(_ZH_NOT.search(zh))


def derive(src: Path) -> list[tuple[str, str]]:
    """(lang, term) rows, English and Chinese, each once."""
    en: set[str] = set()
    zh: set[str] = set()
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            m = _ENTRY.match(line)
            if not m:
                continue
            trad, simp, glosses = m[1], m[2], m[4].split("/")
            forms = {simp, to_hans(trad)}
            if not all(re.fullmatch(rf"[0-9{HAN_CHARS}]{{2,12}}", f) for f in forms):
                continue
            names = [s for s in senses(glosses) if is_disease(s, simp)]
            if not names or _generic_zh(simp):
                continue
            zh |= forms
            for name in names:
                en.add(name)
                p = plural(name)
                if p:
                    en.add(p)
    return [("en", t) for t in sorted(en, key=lambda t: (t.casefold(), t))] + [("zh", t) for t in sorted(zh)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cedict", type=Path, required=True, help="cedict_1_0_ts_utf-8_mdbg.txt.gz (CC-CEDICT, MDBG)")
    ap.add_argument("--out", type=Path, default=OUT, help=f"file to write (default {OUT.name} in pipeline/data/ner/)")
    args = ap.parse_args()
    rows = derive(args.cedict)
    header = [
        "# DISEASE terms derived from CC-CEDICT (MDBG), cedict_1_0_ts_utf-8_mdbg.txt.gz, by pipeline/ner/build_diseases.py",
        "# Licence: CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/). Attribution: CC-CEDICT, MDBG;",
        "# CEDICT (C) 1997, 1998 Paul Andrew Denisowski. This derived file is shared under the same licence.",
        "# label\tlang\tterm   (Chinese in Simplified; English glosses as written, with regular plurals)",
    ]
    args.out.write_text("\n".join(header + [f"DISEASE\t{lang}\t{term}" for lang, term in rows]) + "\n", "utf-8")
    print(f"{args.out.name}: {sum(1 for r in rows if r[0] == 'en')} English, {sum(1 for r in rows if r[0] == 'zh')} Chinese")


if __name__ == "__main__":
    main()
