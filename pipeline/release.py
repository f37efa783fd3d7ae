"""The records that flow through the release stages.

One `Release` per input document. Release stages fill its fields in order (clean -> convert ->
recognise -> relate); each stage only reads what earlier stages wrote and writes its own fields.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date


@dataclass
class Entity:
    """One distinct entity of a release, with every mention's offsets into `clean_text` and, for a
    Chinese release, into `text_hans` too (`hans_mentions`, where the recogniser read them): the
    offsets later stages use, handed over rather than found again."""

    entity_id: str
    label: str
    text: str
    text_norm: str
    mentions: list[tuple[int, int]] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    source: str = "model"
    score: float = 1.0
    hans_mentions: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Relation:
    """One fact of a release, between entities identified by `entity_id`."""

    type: str
    head: str
    tail: str | None
    head_id: str
    tail_id: str | None
    date: date | None = None
    kind: str | None = None
    title: str | None = None
    evidence: str = ""
    score: float = 1.0


@dataclass
class Release:
    """A press release as it moves through the pipeline.

    `raw_text` is what the reader extracted from the file; `clean_text` is what every offset in the
    output refers to. `hans_to_clean[i]` is the index in `clean_text` of character `i` of
    `text_hans` (None when the text is not Chinese).
    """

    source_path: str
    raw_text: str
    source_sha: str = ""
    title: str | None = None
    dateline_place: str | None = None
    dateline_date: date | None = None
    clean_text: str = ""
    lang: str = ""
    script: str = ""
    opencc_config: str | None = None
    text_hans: str | None = None
    hans_to_clean: list[int] | None = None
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    # Candidates the span judge dropped (score: its probability that they are no entity); kept so
    # a reviewer can restore one and `evaluate --cv` can refit the judge on other folds.
    rejected: list[Entity] = field(default_factory=list)
    duplicate_of: str | None = None
    # Set by align over the batch (`releases.event_id`): the event this release reports.
    event_id: str | None = None
    # Set by the runner when another source already has this cleaned text: keeps release_id unique.
    id_salt: str | None = None
    # Parses kept by stages for later ones (recognise's English spaCy Doc as docs["en"]); never written out.
    docs: dict = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict:
        # Parses stay in the process that made them: a spaCy Doc pickles with its whole vocabulary.
        state = {**self.__dict__, "docs": {}}
        state.pop("_clean_to_hans", None)  # derived from hans_to_clean: rebuilt where needed
        return state

    @property
    def release_id(self) -> str:
        """Stable id: a hash of the cleaned text, so the same release read again gets the same id; an
        identical copy in another file hashes its source path too (`id_salt`), so ids stay unique."""
        key = self.clean_text if self.id_salt is None else f"{self.clean_text}\0{self.id_salt}"
        return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]

    def hans_span_to_clean(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of `text_hans` back to `clean_text`."""
        if self.hans_to_clean is None:
            return start, end
        m = self.hans_to_clean
        if start >= len(m):
            return len(self.clean_text), len(self.clean_text)
        last = m[end - 1] + 1 if end > start else m[start]
        return m[start], last

    def clean_span_to_hans(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of `clean_text` to `text_hans` (the inverse of hans_span_to_clean)."""
        maps = self._clean_to_hans_maps()
        if maps is None:
            return start, end
        first, last = maps
        return first[start], (last[end - 1] if end > 0 else first[start])

    def hans_spans(self, entity: Entity) -> list[tuple[int, int]]:
        """An entity's mentions in `text_hans`: as the recogniser handed them over, else mapped from
        its clean_text mentions (entities made after recognise: variants, reviewed rows)."""
        if entity.hans_mentions or self.hans_to_clean is None:
            return list(entity.hans_mentions)
        return [self.clean_span_to_hans(s, e) for s, e in entity.mentions]

    def _clean_to_hans_maps(self) -> tuple[list[int], list[int]] | None:
        """For each clean_text index, the first and one-past-last text_hans index it maps to; a clean
        character conversion dropped takes its neighbours' (from the right for starts, left for ends)."""
        m = self.hans_to_clean
        if m is None:
            return None
        cached = self.__dict__.get("_clean_to_hans")
        if cached is not None and cached[0] == (len(m), len(self.clean_text)):
            return cached[1]
        n = len(self.clean_text)
        first, last = [-1] * (n + 1), [-1] * (n + 1)
        for j, c in enumerate(m):
            if 0 <= c < n:
                if first[c] < 0:
                    first[c] = j
                last[c] = j + 1
        nxt = len(m)
        for c in range(n, -1, -1):
            if first[c] < 0:
                first[c] = nxt
            else:
                nxt = first[c]
        prev = 0
        for c in range(n + 1):
            if last[c] < 0:
                last[c] = prev
            else:
                prev = last[c]
        self.__dict__["_clean_to_hans"] = ((len(m), n), (first, last))
        return first, last


def sha1_bytes(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()
