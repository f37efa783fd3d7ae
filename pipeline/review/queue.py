"""The review queue: releases ordered by what most needs a person.

A release's `need` is the expected number of wrong items it still holds: the sum of (1 - score)
over its undecided entities and relations (exactly that, if scores are calibrated), plus one per
disagreement with its aligned release in the other language (a label seen a different number of
times on each side, or an entity link that is weak or joins two different labels). Releases
marked reviewed go to the end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, Protocol, cast

from pipeline.io.tables import Tables
from pipeline.review.merge import Merged, clean

LOW = 0.6  # below this a score counts as low confidence


class _AlignmentRow(Protocol):
    """An `alignments` row as itertuples gives it (the score as stored: `clean` reads it)."""

    en_release_id: str
    zh_release_id: str
    score: Any


class _ReleaseRow(Protocol):
    """A `releases` row as itertuples gives it: the id a string, the cells shown as stored."""

    release_id: str
    lang: Any
    title: Any
    dateline_date: Any
    dateline_place: Any
    source_path: Any


@dataclass
class Filters:
    """What the reviewer narrowed the queue to; empty fields do not filter."""

    label: str = ""
    rtype: str = ""
    org: str = ""
    lang: str = ""
    date_from: str = ""
    date_to: str = ""
    q: str = ""
    status: str = ""  # "", "pending" or "reviewed"

    @classmethod
    def from_query(cls, params: Any) -> Filters:
        return cls(**{f.name: str(params.get(f.name, "") or "").strip()[:200] for f in fields(cls)})


def alignment_partners(tables: Tables) -> dict[str, tuple[str, float]]:
    """Each release's best aligned release in the other language, with the alignment score."""
    best: dict[str, tuple[str, float]] = {}
    for row in cast(Iterator[_AlignmentRow], tables.alignments.itertuples(index=False)):
        score = float(clean(row.score) or 0.0)
        for a, b in ((row.en_release_id, row.zh_release_id), (row.zh_release_id, row.en_release_id)):
            if a not in best or score > best[a][1]:
                best[a] = (b, score)
    return best


def queue(tables: Tables, merged: Merged, filters: Filters, low: float = LOW, limit: int = 500) -> list[dict[str, Any]]:
    """The releases that pass `filters`, most in need of review first."""
    partners = alignment_partners(tables)
    ents: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in merged.entities:
        if e["status"] != "rejected":
            ents[e["release_id"]].append(e)
    rels: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in merged.relations:
        if r["status"] not in ("rejected", "orphaned"):
            rels[r["release_id"]].append(r)
    decided: Counter[str] = Counter(x["release_id"] for x in merged.entities + merged.relations if x["decision_id"] is not None)
    labels = {(e["release_id"], e["entity_id"]): e["label"] for e in merged.entities}
    link_issues: Counter[str] = Counter()
    for lk in merged.links:
        if lk["status"] != "pending":
            continue
        mismatch = labels.get((lk["en_release_id"], lk["en_entity_id"])) != labels.get((lk["zh_release_id"], lk["zh_entity_id"]))
        if mismatch or float(lk.get("score") or 0.0) < low:
            link_issues[lk["en_release_id"]] += 1
            link_issues[lk["zh_release_id"]] += 1

    q, org = filters.q.casefold(), filters.org.casefold()
    out = []
    for rel in cast(Iterator[_ReleaseRow], tables.releases.itertuples(index=False)):
        rid = rel.release_id
        day = clean(rel.dateline_date)
        title = clean(rel.title) or ""
        mine, facts = ents.get(rid, []), rels.get(rid, [])
        if filters.lang and rel.lang != filters.lang:
            continue
        if filters.label and not any(e["label"] == filters.label for e in mine):
            continue
        if filters.rtype and not any(r["type"] == filters.rtype for r in facts):
            continue
        if org and not any(e["label"] == "ORG" and org in f"{e.get('text')}\x1f{e.get('text_norm')}".casefold() for e in mine):
            continue
        if (filters.date_from or filters.date_to) and not day:
            continue
        if (filters.date_from and day < filters.date_from) or (filters.date_to and day > filters.date_to):
            continue
        if q and not (
            q in title.casefold()
            or rid.startswith(q)
            or q in str(clean(rel.source_path) or "").casefold()
            or any(q in f"{e.get('text')}\x1f{e.get('text_norm')}".casefold() for e in mine)
        ):
            continue
        reviewed = merged.reviewed.get(rid)
        if (filters.status == "reviewed" and not reviewed) or (filters.status == "pending" and reviewed):
            continue
        pending_e = [e for e in mine if e["status"] == "pending"]
        pending_r = [r for r in facts if r["status"] == "pending"]
        disagree = link_issues[rid]
        partner = partners.get(rid)
        if partner:
            other = Counter(e["label"] for e in ents.get(partner[0], []))
            here = Counter(e["label"] for e in mine)
            disagree += sum(abs(here[k] - other[k]) for k in here.keys() | other.keys())
        need = sum(1.0 - float(e.get("score") or 0.0) for e in pending_e) + sum(
            1.0 - float(r.get("score") or 0.0) for r in pending_r
        )
        if not reviewed:
            need += disagree
        out.append(
            {
                "release_id": rid,
                "title": title,
                "lang": rel.lang,
                "date": day,
                "place": clean(rel.dateline_place),
                "source_path": clean(rel.source_path),
                "need": round(need, 3),
                "low_entities": sum(float(e.get("score") or 0.0) < low for e in pending_e),
                "low_relations": sum(float(r.get("score") or 0.0) < low for r in pending_r),
                "disagreements": disagree,
                "entities": len(mine),
                "relations": len(facts),
                "decisions": decided[rid],
                "aligned_with": partner[0] if partner else None,
                "reviewed": bool(reviewed),
                "reviewer": reviewed.reviewer if reviewed else None,
            }
        )
    out.sort(key=lambda r: (r["reviewed"], -r["need"], r["release_id"]))
    return out[:limit]
