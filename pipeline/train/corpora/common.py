"""What the corpus converters share: tag schemes (BIO / BMES -> spans), the char-column
reader, Doc construction (:func:`make_doc`, :func:`tagged_to_doc`), :class:`ConvertStats`,
:func:`blank_zh` and the offset-keeping Traditional -> Simplified conversion."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pipeline.text.hans import to_hans

LABELS: tuple[str, ...] = ("PERSON", "ORG", "GPE")

#: Sentinel for "annotation unknown" (token left with ent_iob == 0).
MISSING = "<MISSING>"

# Raw span as produced by the tag decoders: (start_char, end_char_exclusive, raw_label)
RawSpan = tuple[int, int, str]

# --------------------------------------------------------------------------------------
# Traditional -> Simplified
# --------------------------------------------------------------------------------------


def to_simplified(text: str) -> str:
    """OpenCC ``t2s`` conversion (the pipeline's one cached converter)."""
    return to_hans(text)


def simplify_keep_offsets(text: str) -> str | None:
    """Return the Simplified text, or ``None`` if the conversion changed the length."""
    out = to_simplified(text)
    return out if len(out) == len(text) else None


# --------------------------------------------------------------------------------------
# Tag decoding
# --------------------------------------------------------------------------------------


def _split_tag(tag: str) -> tuple[str, str]:
    if tag in ("", "O"):
        return "O", ""
    if len(tag) > 2 and tag[1] in "-_":
        return tag[0].upper(), tag[2:]
    return "O", ""  # unknown tag: treat as outside


def bio_to_spans(tags: Sequence[str]) -> list[RawSpan]:
    """Decode BIO (also tolerates IOB1: an ``I-X`` without ``B-X`` starts a span)."""
    spans: list[RawSpan] = []
    start: int | None = None
    label = ""  # read only while start is not None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, lab = _split_tag(tag)
        if prefix == "I" and label == lab and start is not None:
            continue
        if start is not None:
            spans.append((start, i, label))
            start, label = None, ""
        if prefix in ("B", "I"):
            start, label = i, lab
    return spans


def bmes_to_spans(tags: Sequence[str]) -> list[RawSpan]:
    """Decode BMES / BIOES (``S``/``U`` single, ``B`` begin, ``M``/``I`` middle, ``E`` end).

    Malformed sequences are repaired leniently: a span is closed when the label changes
    or when a new ``B``/``S`` starts.
    """
    spans: list[RawSpan] = []
    start: int | None = None
    label = ""  # read only while start is not None
    for i, tag in enumerate(tags):
        prefix, lab = _split_tag(tag)
        if prefix == "U":
            prefix = "S"
        if prefix == "I":
            prefix = "M"
        if start is not None and (prefix in ("O", "B", "S") or lab != label):
            spans.append((start, i, label))  # unterminated span: close it here
            start, label = None, ""
        if prefix == "S":
            spans.append((i, i + 1, lab))
        elif prefix == "B":
            start, label = i, lab
        elif prefix in ("M", "E"):
            if start is None:
                start, label = i, lab
            if prefix == "E":
                spans.append((start, i + 1, label))
                start, label = None, ""
    if start is not None:
        spans.append((start, len(tags), label))
    return spans


def read_char_columns(path: Path, char_fn: Callable[[str], str] | None = None) -> Iterator[tuple[list[str], list[str]]]:
    """Read a one-character-per-line file (``<char><ws><tag>``; blank line = sentence end).

    A line whose tag column is empty (e.g. ``"0\\t"`` in MSRA) gets tag ``O``. The char
    column is the text before the last whitespace run; ``char_fn`` may post-process it
    (Weibo appends a word-position digit to each character).
    """
    chars: list[str] = []
    tags: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.rstrip("\r\n")
            if not line.strip():
                if chars:
                    yield chars, tags
                chars, tags = [], []
                continue
            m = re.match(r"^(.*?)[ \t]+(\S*)$", line)
            if m and m.group(1):
                ch, tag = m.group(1), m.group(2) or "O"
            elif m:  # the character itself is whitespace, e.g. "\u3000 O"
                ch, tag = line[0], m.group(2) or "O"
            else:
                ch, tag = line, "O"
            if char_fn is not None:
                ch = char_fn(ch)
            if not ch:
                continue
            chars.append(ch)
            tags.append(tag)
    if chars:
        yield chars, tags


# --------------------------------------------------------------------------------------
# Doc construction
# --------------------------------------------------------------------------------------


@dataclass
class ConvertStats:
    sentences: int = 0
    docs: int = 0
    skipped_length_changed: int = 0
    skipped_misaligned_spans: int = 0
    skipped_overlapping_spans: int = 0
    raw_labels: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    missing_spans: int = 0

    def as_dict(self) -> dict:
        return {
            "sentences": self.sentences,
            "docs": self.docs,
            "skipped_length_changed": self.skipped_length_changed,
            "skipped_misaligned_spans": self.skipped_misaligned_spans,
            "skipped_overlapping_spans": self.skipped_overlapping_spans,
            "missing_spans": self.missing_spans,
            "labels": dict(sorted(self.labels.items())),
            "raw_labels": dict(sorted(self.raw_labels.items())),
        }


def make_doc(
    nlp: Language,
    text: str,
    spans: Iterable[tuple[int, int, str | None]],
    stats: ConvertStats | None = None,
    simplify: bool = True,
) -> Doc | None:
    """Build a Doc from ``text`` and already-mapped char spans ``(start, end_excl, label)``.

    ``label`` is one of :data:`LABELS`, :data:`MISSING` (tokens set to unknown) or
    ``None`` (outside; nothing to do). All other tokens are set to outside (``O``).
    Returns ``None`` when OpenCC changes the text length.
    """
    stats = stats if stats is not None else ConvertStats()
    stats.sentences += 1
    if simplify:
        conv = simplify_keep_offsets(text)
        if conv is None:
            stats.skipped_length_changed += 1
            return None
        text = conv
    doc = nlp.make_doc(text)
    ents: list[Span] = []
    missing: list[Span] = []
    for start, end, label in spans:
        if label is None:
            continue
        span = doc.char_span(start, end, label=label if label != MISSING else "", alignment_mode="strict")
        if span is None:
            stats.skipped_misaligned_spans += 1
            continue
        (missing if label == MISSING else ents).append(span)
    kept = filter_spans(ents)
    stats.skipped_overlapping_spans += len(ents) - len(kept)
    taken = {i for s in kept for i in range(s.start, s.end)}
    missing = [s for s in missing if not any(i in taken for i in range(s.start, s.end))]
    missing = filter_spans(missing)
    doc.set_ents(kept, missing=missing, default="outside")
    for s in kept:
        stats.labels[s.label_] += 1
    stats.missing_spans += len(missing)
    stats.docs += 1
    return doc


def tagged_to_doc(
    nlp: Language,
    chars: Sequence[str],
    tags: Sequence[str],
    label_map: dict[str, str | None],
    scheme: str = "BIO",
    stats: ConvertStats | None = None,
    span_fn: Callable[[str, int, int, str], list[tuple[int, int, str | None]]] | None = None,
) -> Doc | None:
    """Char-tagged sentence (BIO or BMES) -> Doc with mapped labels.

    Raw labels absent from ``label_map`` are treated as outside. ``span_fn(text, start,
    end, raw_label)`` may rewrite a decoded span into several mapped spans.
    """
    stats = stats if stats is not None else ConvertStats()
    offsets = []
    pos = 0
    for ch in chars:
        offsets.append((pos, pos + len(ch)))
        pos += len(ch)
    text = "".join(chars)
    decode = bio_to_spans if scheme.upper() == "BIO" else bmes_to_spans
    mapped: list[tuple[int, int, str | None]] = []
    for s, e, raw in decode(tags):
        stats.raw_labels[raw] += 1
        cs, ce = offsets[s][0], offsets[e - 1][1]
        if span_fn is not None:
            mapped.extend(span_fn(text, cs, ce, raw))
        else:
            mapped.append((cs, ce, label_map.get(raw)))
    return make_doc(nlp, text, mapped, stats)


def blank_zh() -> Language:
    nlp = spacy.blank("zh")  # default ChineseTokenizer segmenter = "char"
    return nlp
