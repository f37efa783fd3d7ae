"""Weibo NER (``weibo_ner``): char ``<c><digit>\\t<BIO>``; names (*.NAM) only, nominal
mentions (*.NOM) are outside."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc

from .common import ConvertStats, read_char_columns, tagged_to_doc

WEIBO_MAP: dict[str, str | None] = {
    "PER.NAM": "PERSON",
    "ORG.NAM": "ORG",
    "GPE.NAM": "GPE",
    "LOC.NAM": "GPE",
    # nominal mentions (e.g. 记者, 政府) are not names -> outside
    "PER.NOM": None,
    "ORG.NOM": None,
    "GPE.NOM": None,
    "LOC.NOM": None,
}


def weibo_char(field_text: str) -> str:
    """Weibo CoNLL: ``<char><word-position digits>`` -> ``<char>``."""
    return field_text[0]


def read_weibo(nlp: Language, path: Path, stats: ConvertStats) -> Iterator[Doc]:
    for chars, tags in read_char_columns(path, char_fn=weibo_char):
        doc = tagged_to_doc(nlp, chars, tags, WEIBO_MAP, "BIO", stats)
        if doc is not None:
            yield doc
