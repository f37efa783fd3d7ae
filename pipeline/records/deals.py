"""Deals and events: one row per partnership (or acquisition) per event, from every report of it.

A deal is the relations of one type inside one event whose parties are the same organisations
(after the registry joined their names), so five copies in two languages of one MOU are one row.
Where the reports disagree (two dates, two kinds, or a report of the event that states deals but not
this one), the row lists what they disagree on.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import date

DEAL_TYPES = ("partnership", "subsidiary_of")


@dataclass(frozen=True)
class Fact:
    """A relation row of one release, its parties as org ids."""

    release_id: str
    event_id: str
    type: str
    parties: tuple[str, ...]
    date: date | None
    kind: str | None
    evidence: str
    score: float


@dataclass(frozen=True)
class Member:
    release_id: str
    lang: str
    title: str | None
    dateline_date: date | None
    duplicate_of: str | None


def _majority(values: list) -> object | None:
    """The most frequent value; ties to the smallest (dates: the earliest)."""
    counts = Counter(v for v in values if v is not None)
    return min(counts, key=lambda v: (-counts[v], v)) if counts else None


def deal_id(event_id: str, type_: str, parties: tuple[str, ...]) -> str:
    return "deal-" + hashlib.sha1("|".join((event_id, type_, *parties)).encode("utf-8")).hexdigest()[:12]


def deal_rows(facts: list[Fact], names: dict[str, tuple[str | None, str | None]]) -> list[dict]:
    """`names`: org_id -> (English name, Simplified name)."""
    grouped: dict[tuple[str, str, tuple[str, ...]], list[Fact]] = {}
    for f in facts:
        grouped.setdefault((f.event_id, f.type, f.parties), []).append(f)
    reporting: dict[tuple[str, str], set[str]] = {}  # (event, type) -> releases stating any such deal
    for (ev, type_, _), fs in grouped.items():
        reporting.setdefault((ev, type_), set()).update(f.release_id for f in fs)
    rows = []
    for (ev, type_, parties), fs in sorted(grouped.items()):
        fs.sort(key=lambda f: (f.release_id, f.evidence))
        releases = sorted({f.release_id for f in fs})
        dates, kinds = sorted({f.date for f in fs if f.date}), sorted({f.kind for f in fs if f.kind})
        disagreements = [
            what
            for what, differs in (
                ("date", len(dates) > 1),
                ("kind", len(kinds) > 1),
                ("parties", set(releases) != reporting[(ev, type_)]),
            )
            if differs
        ]
        rows.append(
            {
                "deal_id": deal_id(ev, type_, parties),
                "event_id": ev,
                "type": type_,
                "parties": list(parties),
                "parties_en": [names.get(p, (None, None))[0] for p in parties],
                "parties_zh": [names.get(p, (None, None))[1] for p in parties],
                "date": _majority([f.date for f in fs]),
                "kind": _majority([f.kind for f in fs]),
                "dates": dates,
                "kinds": kinds,
                "disagreements": disagreements,
                "evidence": list(dict.fromkeys(f.evidence for f in fs if f.evidence)),
                "release_ids": releases,
                "score": max(f.score for f in fs),
            }
        )
    return rows


def member_roles(members: list[Member]) -> list[dict]:
    """Each member's role: the earliest canonical release (dateline, then id) is the `original`;
    other canonical releases are a `translation` (other language) or a `report` (same language);
    near-duplicates are a `copy`."""
    canonical = sorted((m for m in members if not m.duplicate_of), key=lambda m: (m.dateline_date or date.max, m.release_id))
    original = canonical[0] if canonical else None
    out = []
    for m in sorted(members, key=lambda m: m.release_id):
        if m.duplicate_of:
            role = "copy"
        elif m is original:
            role = "original"
        else:
            role = "translation" if original and m.lang != original.lang else "report"
        out.append({"release_id": m.release_id, "lang": m.lang, "role": role})
    return out


def event_rows(members_of: dict[str, list[Member]], deals: list[dict]) -> list[dict]:
    """One row per event (`members_of`: event_id -> its releases)."""
    deals_of: dict[str, list[dict]] = {}
    for d in deals:
        deals_of.setdefault(d["event_id"], []).append(d)
    rows = []
    for ev in sorted(members_of):
        members = members_of[ev]
        roles = member_roles(members)
        by_id = {m.release_id: m for m in members}
        ordered = [by_id[r["release_id"]] for r in sorted(roles, key=lambda r: r["role"] != "original")]
        canonical = [m for m in ordered if not m.duplicate_of] + [m for m in ordered if m.duplicate_of]
        title = {lang: next((m.title for m in canonical if m.lang == lang and m.title), None) for lang in ("en", "zh")}
        evd = deals_of.get(ev, [])
        partnerships = [d for d in evd if d["type"] == "partnership"]
        datelines = [m.dateline_date for m in members if m.dateline_date]
        rows.append(
            {
                "event_id": ev,
                "date": _majority([d["date"] for d in evd]) or (min(datelines) if datelines else None),
                "kind": _majority([d["kind"] for d in partnerships]),
                "title_en": title["en"],
                "title_zh": title["zh"],
                "members": roles,
                "n_releases": len(members),
            }
        )
    return rows
