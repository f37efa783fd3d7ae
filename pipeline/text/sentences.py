"""Sentences of a release, in either language: the one splitter the extractors and the review share.

Chinese: a run up to and including a sentence end (`。！？!?；;`) or a line break. English: a run up
to `.!?` (and the quotes or bracket closing it) followed by a space and a capital, a digit or an
opening quote, not after a title or an initial (`Dr. Jane Doe`, `J. Smith`, `Co. Ltd`), or a line
break. Spans are (start, end) offsets into the text, in order, none of them blank.
"""

from __future__ import annotations

import bisect
import re

_ZH_SENTENCE = re.compile(r"[^\n。！？!?；;]+[。！？!?；;]?")
_EN_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"“(]?[A-Z0-9])|\n+")
_LAST_WORD = re.compile(r"(\w+)\.[\"'”’)]*$")
_ABBREVIATIONS = {"Dr", "Mr", "Mrs", "Ms", "Prof", "St", "No", "Co", "Jr", "Sr", "Mt", "vs", "Dept", "Gov", "Hon"}


def sentence_spans(text: str, lang: str) -> list[tuple[int, int]]:
    """The (start, end) of each non-blank sentence of `text` (`lang` "zh" or "en")."""
    if lang == "zh":
        return [(m.start(), m.end()) for m in _ZH_SENTENCE.finditer(text) if m.group().strip()]
    out, pos = [], 0
    for m in _EN_END.finditer(text):
        word = _LAST_WORD.search(text, 0, m.start())
        if "\n" not in m.group() and word and (word.group(1) in _ABBREVIATIONS or len(word.group(1)) == 1):
            continue
        if m.start() > pos:
            out.append((pos, m.start()))
        pos = m.end()
    if pos < len(text):
        out.append((pos, len(text)))
    return [(s, e) for s, e in out if text[s:e].strip()]


def sentence_around(text: str, start: int, end: int, lang: str) -> tuple[int, int]:
    """The span of the sentences that hold [start, end) (one sentence, or the run a span crosses)."""
    spans = sentence_spans(text, lang)
    if not spans:
        return start, end
    ends = [e for _, e in spans]
    first = min(bisect.bisect_right(ends, start), len(spans) - 1)
    last = min(max(bisect.bisect_left(ends, end), first), len(spans) - 1)
    return min(spans[first][0], start), max(spans[last][1], end)
