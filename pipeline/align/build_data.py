"""Derive the small lookup tables of pipeline/data/align/ from the public lexicons they come from.

Run once by a developer (paths are options, nothing here is read at pipeline run time):

    python -m pipeline.align.build_data --lexicons /path/to/lexicons

Writes `surnames.tsv` (Wikipedia romanisations, CC BY-SA), `cedict.tsv.gz` (a filtered CC-CEDICT,
CC BY-SA 4.0) and `terms.tsv` (bilingual names: HA facilities, countries, provinces and
prefectures, plus the hand-written `seed_terms.tsv`). Sources and licences: data/align/README.md.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
from pathlib import Path

from pipeline.text.chars import HAN_CHARS
from pipeline.text.hans import to_hans

DATA = Path(__file__).resolve().parent.parent / "data" / "align"
_DROP_GLOSS = re.compile(
    r"^(?:variant of|old variant|also written|see |CL:|surname |abbr\. for|Japanese variant|used in|erhua)", re.I
)
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def surnames(src: Path) -> list[tuple[str, str, str]]:
    """(simplified, traditional, romanisations) for each surname; romanisations lower-case, space-separated."""
    rows = []
    for x in json.loads(src.read_text("utf-8")):
        forms: set[str] = set()
        for col in ("mainland", "taiwan", "hongkong", "macao", "singapore", "malaysia"):
            for f in (x.get(col) or "").split("/"):
                f = re.sub(r"[^a-z]", "", f.lower())
                if f:
                    forms.add(f)
        if forms:
            rows.append((x["zh_sim"], x["zh_tra"], " ".join(sorted(forms))))
    return rows


def cedict(src: Path, max_len: int = 4) -> list[tuple[str, str, str]]:
    """(simplified, toneless pinyin, glosses) of entries up to `max_len` characters.

    Single characters are kept even without a usable gloss: they give the readings used to romanise
    names. Glosses are trimmed to the first two useful senses, without notes in brackets.
    """
    out: dict[tuple[str, str], list[str]] = {}
    with gzip.open(src, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            m = re.match(r"^(\S+) (\S+) \[([^\]]*)\] /(.*)/\s*$", line)
            if not m:
                continue
            simp, pinyin, glosses = m[2], m[3], m[4].split("/")
            if len(simp) > max_len or not re.fullmatch(rf"[{HAN_CHARS}]+", simp):
                continue
            pinyin = re.sub(r"[1-5]", "", pinyin.lower()).replace("u:", "v")
            kept = []
            for g in glosses:
                if _DROP_GLOSS.match(g):
                    continue
                g = _PAREN.sub("", g).strip(" ,;")
                if g and len(g) <= 40:
                    kept.append(g)
            if not kept and len(simp) > 1:
                continue
            if len(simp) == max_len and not any(g[:1].isupper() for g in kept):
                continue  # four-character idioms are no use for names; proper nouns are
            key = (simp, pinyin)
            have = out.setdefault(key, [])
            have.extend(g for g in kept if g not in have)
    return [(s, p, "; ".join(gs[:2])) for (s, p), gs in sorted(out.items())]


def terms(lex: Path, seed: Path) -> list[tuple[str, str, str, str]]:
    """(english, simplified chinese, kind, source) bilingual names."""
    rows: list[tuple[str, str, str, str]] = []
    for name in ("facility-hosp.json", "facility-sop.json", "facility-gop.json"):
        for x in json.loads((lex / "hk-hospital-authority-facilities" / name).read_text("utf-8")):
            rows.append((x["institution_eng"].strip(), x["institution_sc"].strip(), "ORG", "ha-open-data"))
            rows.append((x["cluster_eng"].strip(), x["cluster_sc"].strip(), "ORG", "ha-open-data"))
    with open(lex / "world-countries-en-zh" / "countries_en_zh.tsv", encoding="utf-8") as fh:
        for x in csv.DictReader(fh, delimiter="\t"):
            rows.append((x["en"], x["zh_CN"], "GPE", "cldr-countries"))
    with open(lex / "cn-admin-divisions-en-pinyin" / "adminGeo.tsv", encoding="utf-8") as fh:
        for x in csv.DictReader(fh, delimiter="\t"):
            code, zh, en = x["code"], x["name_zh"], x["name_en"].strip()
            if not code.endswith("00") or zh in {"市辖区", "县"} or not en:
                continue  # provinces and prefectures only: counties are too many and too ambiguous
            rows.append((en, zh, "GPE", "cn-admin-divisions"))
            short = re.sub(r"(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区|地区|自治州)$", "", zh)
            en_short = re.sub(
                r"\s+(?:Province|City|Municipality|Prefecture|Autonomous Region|Special Administrative Region)$", "", en
            )
            if short != zh and len(short) >= 2:
                rows.append((en_short, short, "GPE", "cn-admin-divisions"))
    with open(seed, encoding="utf-8") as fh:
        for x in csv.DictReader((line for line in fh if not line.startswith("#")), delimiter="\t"):
            rows.append((x["en"], to_hans(x["zh"]), x["kind"], "seed"))
    seen: set[tuple[str, str]] = set()
    out = []
    for en, zh, kind, source in rows:
        key = (en.lower(), zh)
        if en and zh and key not in seen:
            seen.add(key)
            out.append((en, zh, kind, source))
    return out


def write_tsv(path: Path, header: list[str], rows: list[tuple], gz: bool = False) -> None:
    opener = gzip.open if gz else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lexicons", type=Path, required=True, help="folder holding cc-cedict/, chinese-surnames-romanisation/ ...")
    args = ap.parse_args()
    lex: Path = args.lexicons
    write_tsv(DATA / "surnames.tsv", ["zh", "zh_tra", "roman"], surnames(lex / "chinese-surnames-romanisation" / "corpus.json"))
    write_tsv(
        DATA / "cedict.tsv.gz", ["zh", "pinyin", "gloss"], cedict(lex / "cc-cedict" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"), gz=True
    )
    write_tsv(DATA / "terms.tsv", ["en", "zh", "kind", "source"], terms(lex, DATA / "seed_terms.tsv"))


if __name__ == "__main__":
    main()
