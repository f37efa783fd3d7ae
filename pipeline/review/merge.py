"""The extracted tables with the latest review decisions applied.

Both the web app (what a reviewer sees) and the export (what training and analysts get) read the
tables through `merge`, so the two can never disagree about what a decision means:
- an item with a decision takes the decision's state (the whole item, not a diff) and its status;
- an entity or relation added by a reviewer appears as a new row;
- a relation whose head or tail entity was rejected is `orphaned`;
- a release marked reviewed vouches for the items still `pending` in it (Prodigy's "accept").
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from pipeline.io.tables import Tables
from pipeline.labels import ENTITY_LABELS
from pipeline.labels import RELATION_TYPES as _RELATION_TYPES
from pipeline.review.store import Decision

LABELS = list(ENTITY_LABELS)  # lists: the review page sends them as JSON
RELATION_TYPES = list(_RELATION_TYPES)
ENTITY_FIELDS = ("label", "text", "text_norm", "mentions", "aliases")
RELATION_FIELDS = ("type", "head_id", "tail_id", "head", "tail", "date", "kind", "title", "evidence")


def clean(value: Any) -> Any:
    """A table cell as plain JSON-able Python: NaN/NA -> None, arrays -> lists, dates -> ISO strings."""
    if isinstance(value, np.ndarray | list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()[:10]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT:
        return None
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts (via Arrow, which is fast on list columns); dates as ISO strings."""
    if df.empty:
        return []
    rows = pa.Table.from_pandas(df.reset_index(drop=True), preserve_index=False).to_pylist()
    dated = [k for k, v in rows[0].items() if isinstance(v, date) or k in ("date", "dateline_date")]
    for row in rows:
        for k in dated:
            row[k] = clean(row[k])
    return rows


def relation_key(row: dict[str, Any]) -> str:
    """Stable id of a relation row: its `relation_id` once review has written one, else a hash of what it says."""
    if row.get("relation_id"):
        return str(row["relation_id"])
    basis = "\x1f".join(str(row.get(k) or "") for k in ("type", "head_id", "tail_id", "title"))
    return "r" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:12]


def link_key(row: dict[str, Any]) -> str:
    return f"{row.get('en_entity_id')}|{row.get('zh_entity_id')}"


@dataclass
class Merged:
    """Entities, relations and entity links as records, each with `status`, `reviewer`, `decided_at`, `decision_id`."""

    entities: list[dict[str, Any]] = field(default_factory=list)
    relations: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    reviewed: dict[str, Decision] = field(default_factory=dict)  # release_id -> its "reviewed" decision

    def for_release(self, release_id: str) -> Merged:
        return Merged(
            [e for e in self.entities if e["release_id"] == release_id],
            [r for r in self.relations if r["release_id"] == release_id],
            [lk for lk in self.links if release_id in (lk["en_release_id"], lk["zh_release_id"])],
            {k: v for k, v in self.reviewed.items() if k == release_id},
        )


def _stamp(row: dict[str, Any], d: Decision | None) -> dict[str, Any]:
    row["status"] = d.state.get("status", "accepted") if d else "pending"
    row["reviewer"] = d.reviewer if d else None
    row["decided_at"] = d.created_at if d else None
    row["decision_id"] = d.id if d else None
    if d and row["status"] == "accepted":
        row["source"], row["score"] = "review", 1.0
    return row


def base_records(tables: Tables, release_ids: set[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The entity, relation and link rows as undecided dicts: what `merge` starts from.

    Cache it while the tables stay the same: `merge` never changes these dicts, it copies a row
    before applying a decision to it.
    """

    def rows(name: str, *cols: str) -> list[dict[str, Any]]:
        df = getattr(tables, name)
        if release_ids is not None and not df.empty:
            mask = np.zeros(len(df), dtype=bool)
            for c in cols:
                mask |= df[c].isin(release_ids).to_numpy()
            df = df[mask]
        return [_stamp(r, None) for r in records(df)]

    out = {
        "entities": rows("entities", "release_id"),
        "relations": rows("relations", "release_id"),
        "entity_links": rows("entity_links", "en_release_id", "zh_release_id"),
    }
    for e in out["entities"]:
        e["mentions"], e["aliases"] = e.get("mentions") or [], e.get("aliases") or []
    for r in out["relations"]:
        r["relation_id"] = relation_key(r)
    for lk in out["entity_links"]:
        lk["link_id"] = link_key(lk)
    return out


def merge(
    tables: Tables,
    latest: dict[tuple[str, str, str], Decision],
    release_ids: Iterable[str] | None = None,
    base: dict[str, list[dict[str, Any]]] | None = None,
) -> Merged:
    """Apply the latest decisions to the tables (restricted to `release_ids` when given; `base`: cached `base_records`)."""
    ids = None if release_ids is None else set(release_ids)
    if base is None:
        base = base_records(tables, ids)

    def rows(name: str, *cols: str) -> list[dict[str, Any]]:
        return [r for r in base[name] if ids is None or any(r[c] in ids for c in cols)] if base is not None else []

    out = Merged()
    out.reviewed = {d.release_id: d for d in latest.values() if d.kind == "release" and d.state.get("status") == "reviewed"}

    seen: set[tuple[str, str, str]] = set()
    for row in rows("entities", "release_id"):
        item = (row["release_id"], "entity", row["entity_id"])
        seen.add(item)
        if d := latest.get(item):
            row = _stamp({**row, **{k: d.state[k] for k in ENTITY_FIELDS if k in d.state}}, d)
        out.entities.append(row)
    for item, d in latest.items():
        if d.kind == "entity" and item not in seen and (ids is None or d.release_id in ids) and "label" in d.state:
            row = {"release_id": d.release_id, "entity_id": d.item_key, "source": "review", "score": 1.0, "aliases": []}
            row.update({k: d.state[k] for k in ENTITY_FIELDS if k in d.state})
            out.entities.append(_stamp(row, d))
    entity = {(e["release_id"], e["entity_id"]): e for e in out.entities}

    seen = set()
    relations = []
    for row in rows("relations", "release_id"):
        item = (row["release_id"], "relation", row["relation_id"])
        seen.add(item)
        if d := latest.get(item):
            row = _stamp({**row, **{k: d.state[k] for k in RELATION_FIELDS if k in d.state}}, d)
        relations.append(row)
    for item, d in latest.items():
        if d.kind == "relation" and item not in seen and (ids is None or d.release_id in ids) and "type" in d.state:
            row = {"release_id": d.release_id, "relation_id": d.item_key, "source": "review", "score": 1.0}
            row.update({k: d.state.get(k) for k in RELATION_FIELDS})
            relations.append(_stamp(row, d))
    for row in relations:
        new: dict[str, Any] = {}
        for end in ("head", "tail"):
            e = entity.get((row["release_id"], row.get(f"{end}_id")))
            if e is not None and row.get(end) != (e.get("text_norm") or e.get("text")):
                new[end] = e.get("text_norm") or e.get("text")
            if row.get(f"{end}_id") and (e is None or e["status"] == "rejected") and row["status"] != "rejected":
                new["status"] = "orphaned"
        out.relations.append({**row, **new} if new else row)

    for row in rows("entity_links", "en_release_id", "zh_release_id"):
        if d := latest.get((row["en_release_id"], "link", row["link_id"])):
            row = _stamp(dict(row), d)
        new = {}
        for side in ("en", "zh"):
            e = entity.get((row[f"{side}_release_id"], row[f"{side}_entity_id"]))
            if e is not None:
                if row.get(f"{side}_text") != (e.get("text_norm") or e.get("text")):
                    new[f"{side}_text"] = e.get("text_norm") or e.get("text")
                if e["status"] == "rejected" and row["status"] != "rejected":
                    new["status"] = "orphaned"
        out.links.append({**row, **new} if new else row)
    return out


def kept(row: dict[str, Any]) -> bool:
    """Whether an item survives export: accepted, or not (yet) decided; rejected and orphaned items do not."""
    return row["status"] in ("accepted", "pending")


def finalise(row: dict[str, Any], reviewed: dict[str, Decision], release_key: str = "release_id") -> dict[str, Any]:
    """A pending item of a reviewed release counts as accepted by whoever marked the release reviewed."""
    d = reviewed.get(row[release_key])
    if row["status"] == "pending" and d is not None:
        row = {**row, "status": "accepted", "source": "review", "score": 1.0, "reviewer": d.reviewer, "decided_at": d.created_at}
    return row
