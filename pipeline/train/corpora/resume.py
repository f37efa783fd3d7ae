"""Resume NER (``resume_ner``): char ``<c> <BMES>``; NAME->PERSON, ORG->ORG, LOC/CONT->GPE
trimmed to the bare place name (:func:`resume_place_span`), TITLE/EDU/PRO/RACE -> outside."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from .common import MISSING, ConvertStats, read_char_columns, tagged_to_doc

RESUME_MAP: dict[str, str | None] = {
    "NAME": "PERSON",
    "ORG": "ORG",
    # LOC / CONT spans include 人 / 籍 / 国籍 (e.g. "云南建水人", "中国国籍"); they are
    # trimmed to the place name in resume_place_span().
    "LOC": "GPE",
    "CONT": "GPE",
    "TITLE": None,
    "EDU": None,
    "PRO": None,
    "RACE": None,
}

# Resume NER: LOC like "云南建水人", "北京市丰台区人"; CONT like "中国国籍", "国籍：日本".
_RESUME_PREFIX = re.compile(r"^(国籍[：:]?)")
_RESUME_SUFFIX = re.compile(r"(国籍|省籍|籍|公民|人)$")


def resume_place_span(text: str, start: int, end: int, raw: str) -> list[tuple[int, int, str | None]]:
    """Map a Resume NER span; LOC/CONT are trimmed to the bare place name.

    The trimmed characters (人, 国籍, ...) are marked missing. A LOC whose bare form is
    longer than 4 characters (e.g. "湖北谷城县", "北京市丰台区") is a multi-level place
    that MSRA-style annotation would split; it is marked missing instead.
    """
    label = RESUME_MAP.get(raw)
    if raw not in ("LOC", "CONT"):
        return [(start, end, label)]
    surface = text[start:end]
    m_pre = _RESUME_PREFIX.match(surface)
    s = start + (m_pre.end() if m_pre else 0)
    m_suf = _RESUME_SUFFIX.search(text[s:end])
    e = s + m_suf.start() if m_suf else end
    if e - s < 2 or (raw == "LOC" and e - s > 4):
        return [(start, end, MISSING)]
    out: list[tuple[int, int, str | None]] = [(s, e, "GPE")]
    if s > start:
        out.append((start, s, MISSING))
    if e < end:
        out.append((e, end, MISSING))
    return out


def read_resume(nlp: Language, path: Path, stats: ConvertStats) -> Iterator[Doc]:
    for chars, tags in read_char_columns(path):
        doc = tagged_to_doc(nlp, chars, tags, RESUME_MAP, "BMES", stats, span_fn=resume_place_span)
        if doc is not None:
            yield doc
