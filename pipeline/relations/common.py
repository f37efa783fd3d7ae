"""What the English and Chinese relation patterns share: entity mentions in the working text, the
title and kind tables, dates, and the merge of candidate facts into `Relation` records.

Both extractors work on one "working text" per release: `clean_text` for English, `text_hans` for
Chinese (so patterns are written once, in Simplified). Mentions are mapped into that text and every
fact carries the sentence span it was read from, mapped back to `clean_text` for the evidence.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources

from pipeline.labels import RELATION_ARGUMENT_LABELS
from pipeline.release import Entity, Relation, Release
from pipeline.text.dates import TODAY
from pipeline.text.hans import to_hans


@dataclass(frozen=True)
class Mention:
    """One mention of an entity, as offsets into the working text."""

    start: int
    end: int
    entity: Entity

    @property
    def label(self) -> str:
        return self.entity.label

    @property
    def eid(self) -> str:
        return self.entity.entity_id


@dataclass
class Fact:
    """A candidate relation before merging: entities, attributes, where it was read and how sure."""

    type: str
    head: Entity
    tail: Entity | None
    sent: tuple[int, int]  # span of the evidence sentence in the working text
    score: float
    title: str | None = None
    kind: str | None = None
    date: date | None = None
    rule: str = ""


@dataclass
class Doc:
    """A release seen by the patterns: working text, its mentions, and how to map spans back."""

    release: Release
    text: str
    mentions: list[Mention]
    default_year: int | None
    facts: list[Fact] = field(default_factory=list)
    # the recogniser's DATE entities that name a calendar day, in the working text (date_hits)
    dates: list[DateHit] = field(default_factory=list)

    def clean_span(self, start: int, end: int) -> tuple[int, int]:
        if works_in_hans(self.release):
            return self.release.hans_span_to_clean(start, end)
        return start, end

    def evidence(self, span: tuple[int, int]) -> str:
        s, e = self.clean_span(*span)
        return self.release.clean_text[s:e].strip()


# ---------------------------------------------------------------------------------------------
# tables shipped in pipeline/data/relations


def _data_lines(name: str) -> list[list[str]]:
    text = resources.files("pipeline").joinpath("data", "relations", name).read_text("utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")]


@dataclass(frozen=True)
class TitleRow:
    zh: tuple[str, ...]
    en: tuple[str, ...]


@cache
def title_table() -> tuple[TitleRow, ...]:
    """The bilingual title table: each row names one office in both languages."""
    rows = []
    for cols in _data_lines("titles.tsv"):
        rows.append(TitleRow(tuple(cols[0].split("|")), tuple(cols[1].split("|"))))
    return tuple(rows)


def title_in_english(title_zh: str) -> list[str]:
    """English names of a Chinese title (`行政总裁` -> Chief Executive Officer, CEO ...), longest head first."""
    t = to_hans(title_zh)
    for row in sorted(title_table(), key=lambda r: -max(len(z) for z in r.zh)):
        if any(t.endswith(z) for z in row.zh):
            return list(row.en)
    return []


def title_in_chinese(title_en: str) -> list[str]:
    """Chinese names of an English title (`Medical Superintendent` -> 院长)."""
    t = title_en.casefold()
    out: list[str] = []
    for row in title_table():
        if any(e.casefold() == t or t.endswith(" " + e.casefold()) for e in row.en):
            out.extend(z for z in row.zh if z not in out)
    return out


@dataclass(frozen=True)
class KindRow:
    kind: str
    strong: bool
    en: tuple[str, ...]
    zh: tuple[str, ...]


@cache
def kind_table() -> tuple[KindRow, ...]:
    return tuple(
        KindRow(c[0], c[1] == "strong", tuple(c[2].split("|")), tuple(c[3].split("|"))) for c in _data_lines("kinds.tsv")
    )


@cache
def _en_kind_index() -> dict[str, KindRow]:
    return {p.casefold(): row for row in kind_table() for p in row.en}


def kind_of_phrase(phrase: str) -> KindRow | None:
    """The kind row for an English or Chinese kind phrase as matched in text."""
    p = phrase.strip()
    if row := _en_kind_index().get(p.casefold()):
        return row
    for row in kind_table():
        if p in row.zh:
            return row
    return None


# ---------------------------------------------------------------------------------------------
# mentions


def works_in_hans(release: Release) -> bool:
    """Whether the patterns read the release in `text_hans` (Chinese) rather than `clean_text`."""
    return release.lang == "zh" and release.hans_to_clean is not None


def working_spans(release: Release, entity: Entity) -> list[tuple[int, int]]:
    """An entity's mentions in the working text: as handed over in text_hans for Chinese, else in clean_text."""
    return release.hans_spans(entity) if works_in_hans(release) else list(entity.mentions)


def collect_mentions(release: Release, text: str) -> list[Mention]:
    """Every mention of an ORG/PERSON/GPE/DATE entity in the working text, without overlaps: the
    recogniser's mentions as it handed them over (in text_hans for Chinese), nothing searched again.
    Overlaps keep the longer span (`Cancer Hospital CAMS, Shenzhen` over `Cancer Hospital CAMS`).
    """
    cands: list[tuple[int, int, Mention]] = []
    for ent in release.entities:
        if ent.label not in RELATION_ARGUMENT_LABELS:
            continue
        for s, e in working_spans(release, ent):
            if e > s:
                cands.append((s, e, Mention(s, e, ent)))
    # longest first, then leftmost
    cands.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    # what is taken never overlaps, so a candidate need only be checked against its neighbours
    starts: list[int] = []
    kept: list[Mention] = []
    for s, e, m in cands:
        pos = bisect_right(starts, s)
        if (pos > 0 and kept[pos - 1].end > s) or (pos < len(kept) and kept[pos].start < e):
            continue
        starts.insert(pos, s)
        kept.insert(pos, m)
    return kept


# ---------------------------------------------------------------------------------------------
# dates


@dataclass(frozen=True)
class DateHit:
    start: int
    end: int
    value: date


def date_hits(release: Release) -> list[DateHit]:
    """Where the recogniser's DATE entities name a full calendar day (text_norm YYYY-MM-DD: a
    missing year was filled by `default_year` when they were read), in the working text. The dates
    relations carry come from these: relate reads no dates of its own."""
    hits: list[DateHit] = []
    for ent in release.entities:
        if ent.label != "DATE" or not ISO_DAY.fullmatch(ent.text_norm or ""):
            continue
        value = date.fromisoformat(ent.text_norm)
        hits.extend(DateHit(s, e, value) for s, e in working_spans(release, ent))
    return sorted(hits, key=lambda h: (h.start, h.end))


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def find_dates(doc: Doc, start: int, end: int) -> list[DateHit]:
    """The calendar dates written in text[start:end] (DATE entities), and `today` as the dateline's."""
    out = [h for h in doc.dates if start <= h.start < end]
    if doc.release.dateline_date:
        for m in TODAY.finditer(doc.text, start, end):
            # "today (January 13)" carries its own date: keep the written one
            if not any(abs(h.start - m.end()) < 4 for h in out):
                out.append(DateHit(m.start(), m.end(), doc.release.dateline_date))
    out.sort(key=lambda h: h.start)
    return out


def nearest_date(hits: list[DateHit], pos: int) -> date | None:
    if not hits:
        return None
    return min(hits, key=lambda h: abs(h.start - pos)).value


# ---------------------------------------------------------------------------------------------
# merging candidate facts into relations


def _pair_key(f: Fact, symmetric: frozenset[str]) -> tuple:
    if f.type in symmetric:
        a, b = sorted([f.head.entity_id, f.tail.entity_id if f.tail else ""])
        return (f.type, a, b)
    return (f.type, f.head.entity_id, f.tail.entity_id if f.tail else None)


def _types_where(flag: str) -> frozenset[str]:
    """The registered relation types with a merge flag set (`symmetric`, `one_direction`)."""
    from pipeline.relations.types import load

    return frozenset(name for name, cls in load().items() if getattr(cls, flag))


def merge_facts(doc: Doc, min_score: float = 0.0) -> list[Relation]:
    """One relation per distinct fact.

    - partnership: one per unordered pair and signing date (a dated row absorbs the undated ones);
      pairs that are also parent/child (`subsidiary_of`) are dropped: a company signing "together
      with its subsidiary" is not partnering with it.
    - role: one per person and organisation (titles at the same organisation joined as written);
      a title with no organisation is dropped when the same person has one with an organisation.
    - the best-scored evidence wins; scores of repeated sightings are combined (noisy-or).
    - a `symmetric` type (RelationType flag) has one row per unordered pair; a `one_direction` type
      read both ways keeps the better-scored direction.
    """
    symmetric, one_direction = _types_where("symmetric"), _types_where("one_direction")
    facts = [f for f in doc.facts if f.tail is None or f.head.entity_id != f.tail.entity_id]
    parent_pairs = {
        frozenset((f.head.entity_id, f.tail.entity_id)) for f in facts if f.type == "subsidiary_of" and f.tail is not None
    }
    facts = [
        f
        for f in facts
        if not (
            f.type == "partnership" and f.tail is not None and frozenset((f.head.entity_id, f.tail.entity_id)) in parent_pairs
        )
    ]
    groups: dict[tuple, list[Fact]] = defaultdict(list)
    for f in facts:
        groups[_pair_key(f, symmetric)].append(f)
    persons_with_org = {k[1] for k in groups if k[0] == "role" and k[2] is not None}

    out: list[Relation] = []
    for key, fs in groups.items():
        if key[0] == "role" and key[2] is None and key[1] in persons_with_org:
            continue
        if key[0] == "partnership":
            dated: dict[date, list[Fact]] = defaultdict(list)
            for f in fs:
                if f.date:
                    dated[f.date].append(f)
            buckets = list(dated.values()) or [fs]
        else:
            buckets = [fs]
        for bucket in buckets:
            best = max(bucket, key=lambda f: f.score)
            score = 1.0
            for f in bucket:
                score *= 1.0 - f.score
            score = round(1.0 - score, 3)
            if score < min_score:
                continue
            kind = best.kind or next((f.kind for f in sorted(bucket, key=lambda f: -f.score) if f.kind), None)
            title = best.title
            if key[0] == "role":
                titles: list[str] = []
                for f in sorted(bucket, key=lambda f: -f.score):
                    if f.title and f.title not in titles and not any(f.title in t for t in titles):
                        titles.append(f.title)
                title = titles[0] if titles else None
            out.append(
                Relation(
                    type=best.type,
                    head=best.head.text_norm,
                    tail=best.tail.text_norm if best.tail else None,
                    head_id=best.head.entity_id,
                    tail_id=best.tail.entity_id if best.tail else None,
                    date=best.date if key[0] == "partnership" else None,
                    kind=kind if key[0] == "partnership" else None,
                    title=title if key[0] == "role" else None,
                    evidence=doc.evidence(best.sent),
                    score=score,
                )
            )
    # subsidiary_of / located_in (one_direction) in both directions: keep the stronger
    seen: dict[tuple, Relation] = {}
    final: list[Relation] = []
    for r in sorted(out, key=lambda r: -r.score):
        if r.type in one_direction:
            k = (r.type, frozenset((r.head_id, r.tail_id)))
            if k in seen:
                continue
            seen[k] = r
        final.append(r)
    return final
