"""Loading of the gazetteers and term lists under pipeline/data/ner/ (sources in its README).

Each list is read once per process (`functools.cache`); Chinese entries are Simplified, because
Chinese recognition runs on `text_hans`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "ner"


@dataclass(frozen=True)
class Term:
    """A TREATMENT / DRUG / DISEASE / DEVICE term.

    `modifier_ok=False` skips it where it modifies a noun (`肿瘤医院`); `canonical` is the form its
    entity is reported under (`COVID` -> `COVID-19`).
    """

    label: str
    lang: str
    text: str
    modifier_ok: bool = True
    canonical: str | None = None


def _rows(name: str) -> list[list[str]]:
    rows = []
    for line in (DATA / name).read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rows.append([c.strip() for c in line.split("\t")])
    return rows


@cache
def terms(lang: str) -> tuple[Term, ...]:
    """The hand-written `terms.tsv`, then the diseases derived from CC-CEDICT (`diseases_cedict.tsv`)
    that it does not already list (under any label: the hand-written entry decides)."""
    out = []
    for r in _rows("terms.tsv"):
        if r[1] != lang:
            continue
        extra = r[3] if len(r) > 3 else ""
        out.append(Term(r[0], r[1], r[2], extra != "modifier", extra[1:] if extra.startswith("=") else None))
    hand = {t.text.casefold() for t in out}
    seen: set[str] = set()
    for r in _rows("diseases_cedict.tsv"):
        # one entry per matcher the English recogniser builds: as written when it has capitals after
        # its first letter (`Severe Acute Respiratory Syndrome`), else in any case (`Dengue fever`)
        key = r[2] if any(c.isupper() for c in r[2][1:]) else r[2].casefold()
        if r[1] == lang and r[2].casefold() not in hand and key not in seen:
            seen.add(key)
            out.append(Term(r[0], r[1], r[2]))
    return tuple(out)


@cache
def names(kind: str, lang: str) -> frozenset[str]:
    """Gazetteer of `kind` ("gpe" or "org") in `lang`: the derived list plus the hand-written one."""
    derived = (DATA / f"{kind}_{lang}.txt").read_text("utf-8").split("\n")
    extra = [r[1] for r in _rows(f"{kind}_extra.tsv") if r[0] == lang]
    if kind == "org":  # outlets are read as one name (not ORG: the span judge rejects them)
        extra += media_outlets(lang)
    return frozenset(n.strip() for n in derived + extra if n.strip())


@cache
def media_outlets(lang: str) -> frozenset[str]:
    """Wires, newspapers, broadcasters and news portals (`media_outlets.tsv`), in `lang`."""
    return frozenset(r[1] for r in _rows("media_outlets.tsv") if r[0] == lang)


@cache
def words(name: str) -> frozenset[str]:
    """A one-word-a-line list under pipeline/data/ner/ (`#` lines are comments), lowercased."""
    lines = (DATA / name).read_text("utf-8").splitlines()
    return frozenset(w.strip().casefold() for w in lines if w.strip() and not w.startswith("#"))


@cache
def zh_abbreviations() -> dict[str, str]:
    """Conventional short forms -> full forms (`卫健委` -> `卫生健康委员会`), longest first."""
    pairs = sorted(((r[0], r[1]) for r in _rows("abbrev_zh.tsv")), key=lambda p: -len(p[0]))
    return dict(pairs)


@cache
def place_spellings() -> dict[str, str]:
    """English place names that are one place spelled two ways (`Macao` / `Macau`), each -> the
    Chinese name they share: the GPE rows of the bilingual names list the aligner reads
    (pipeline/data/align/terms.tsv, sources in its README), where two English names of one
    Chinese name differ by at most two letters and have as many words (`Chaoyang area` and
    `Chaoyang District` are two places). Keys lower-cased, spaces and punctuation dropped."""
    from rapidfuzz.distance import Levenshtein

    from pipeline.align.lexicon import term_rows

    by_zh: dict[str, set[str]] = {}
    for en, zh, kind in term_rows():
        if kind == "GPE":
            by_zh.setdefault(zh, set()).add(en)
    out: dict[str, str] = {}
    for zh, names in by_zh.items():
        for a in names:
            for b in names:
                ka, kb = _place_key(a), _place_key(b)
                if ka != kb and len(a.split()) == len(b.split()) and Levenshtein.distance(ka, kb) <= 2:
                    out[ka] = out[kb] = zh
    return out


def _place_key(name: str) -> str:
    return "".join(c for c in name.casefold() if c.isalnum())


def place_spelling(name: str) -> str | None:
    """The Chinese name `name` shares with another spelling of the place (`place_spellings`), or None."""
    return place_spellings().get(_place_key(name))


def same_place(a: str, b: str) -> bool:
    """Are `a` and `b` two spellings of one place (`place_spellings`)?"""
    spellings = place_spellings()
    ka, kb = _place_key(a), _place_key(b)
    return ka != kb and ka in spellings and spellings.get(kb) == spellings[ka]
