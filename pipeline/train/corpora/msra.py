"""MSRA NER (``msra_ner``): char ``<c>\\t<BIO>``; PER->PERSON, ORG->ORG, LOC->GPE."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from .common import ConvertStats, read_char_columns, tagged_to_doc

MSRA_MAP: dict[str, str | None] = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE"}


def read_msra(nlp: Language, path: Path, stats: ConvertStats) -> Iterator[Doc]:
    for chars, tags in read_char_columns(path):
        doc = tagged_to_doc(nlp, chars, tags, MSRA_MAP, "BIO", stats)
        if doc is not None:
            yield doc
