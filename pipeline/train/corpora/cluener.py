"""CLUENER 2020 (``cluener2020``): JSONL records with spans (end inclusive); name->PERSON,
company/government/organization->ORG, address->GPE only for clear place names
(:func:`cluener_address_label`, with a LOC gazetteer from MSRA / People's Daily:
:func:`loc_gazetteer`) and otherwise missing, scene -> missing, book/game/movie/position -> O."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from .common import MISSING, ConvertStats, bio_to_spans, make_doc, read_char_columns, to_simplified

CLUENER_MAP: dict[str, str | None] = {
    "name": "PERSON",
    "company": "ORG",
    "government": "ORG",
    "organization": "ORG",
    "address": "GPE",  # only clear place names, see cluener_address_label()
    "scene": MISSING,  # 故宫 / 洱海 / 博物馆 ... ; LOC in MSRA terms, unclear for us
    "book": None,
    "game": None,
    "movie": None,
    "position": None,
}

# CLUENER "address" covers everything from 北京 to 上海市黄浦区南京东路3段248号.
_ADMIN_SUFFIX = ("省", "市", "县", "州", "国", "自治区", "特别行政区")


def cluener_address_label(surface: str, gazetteer: set[str] | frozenset[str]) -> str:
    """``GPE`` if the address is a clear place name, else :data:`MISSING`.

    Clear = the surface (or the surface without one administrative suffix 省/市/县/州/
    国/自治区) is a LOC surface seen in the MSRA / People's Daily training annotation
    (``gazetteer``), or it is short (<= 4 chars), made of CJK characters only, and ends
    with an administrative suffix (e.g. 泗水县, 北京市).
    """
    if surface in gazetteer:
        return "GPE"
    for suf in _ADMIN_SUFFIX:
        if surface.endswith(suf) and len(surface) > len(suf):
            if surface[: -len(suf)] in gazetteer:
                return "GPE"
            if len(surface) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", surface):
                return "GPE"
    return MISSING


def cluener_record_to_doc(
    nlp: Language,
    record: dict,
    gazetteer: set[str] | frozenset[str] = frozenset(),
    stats: ConvertStats | None = None,
) -> Doc | None:
    """One CLUENER JSON record ``{"text", "label": {type: {surface: [[s, e_incl], ...]}}}``."""
    stats = stats if stats is not None else ConvertStats()
    text = record["text"]
    simple = to_simplified(text)
    spans: list[tuple[int, int, str | None]] = []
    for raw, by_surface in (record.get("label") or {}).items():
        for _surface, positions in by_surface.items():
            for start, end_incl in positions:
                stats.raw_labels[raw] += 1
                label = CLUENER_MAP.get(raw)
                if raw == "address":
                    label = cluener_address_label(simple[start : end_incl + 1], gazetteer)
                spans.append((start, end_incl + 1, label))
    return make_doc(nlp, text, spans, stats)


def read_cluener(nlp: Language, path: Path, stats: ConvertStats, gazetteer: frozenset[str] = frozenset()) -> Iterator[Doc]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            doc = cluener_record_to_doc(nlp, json.loads(line), gazetteer, stats)
            if doc is not None:
                yield doc


def loc_gazetteer(paths: Iterable[Path], min_count: int = 1) -> frozenset[str]:
    """Surfaces tagged LOC in char-BIO files (MSRA / People's Daily), Simplified."""
    counts: Counter = Counter()
    for path in paths:
        for chars, tags in read_char_columns(path):
            text = "".join(chars)
            for s, e, raw in bio_to_spans(tags):
                if raw == "LOC":
                    counts[to_simplified(text[s:e])] += 1
    return frozenset(k for k, v in counts.items() if v >= min_count and len(k) >= 2)
