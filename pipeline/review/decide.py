"""What a reviewer's action means: validate a request and turn it into the item's new whole state.

The browser sends intent (accept this entity, relabel it ORG, its span is 10-24, add a `role`
relation between these two entities); the server computes the resulting item from the text and
the current state, so a stale or hostile client cannot write text that is not in the release or an
offset outside it.
"""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path
from typing import Any, TypeGuard, cast

from pipeline.io.tables import Tables
from pipeline.review.merge import LABELS, RELATION_TYPES, Merged, base_records, clean, merge
from pipeline.review.queue import Filters, alignment_partners, queue
from pipeline.review.records import ORG_ACTIONS, Records
from pipeline.review.store import ORG_KINDS, Decision, ReviewStore
from pipeline.text.dates import parse_date
from pipeline.text.hans import to_hans
from pipeline.text.sentences import sentence_around

ACTIONS = {
    "entity": {"accept", "reject", "relabel", "span", "add"},
    "relation": {"accept", "reject", "add"},
    "link": {"accept", "reject"},
    "release": {"reviewed", "reopen"},
}
_ID = re.compile(r"^[0-9A-Za-z_.:|-]{1,200}$")
_TYPE = re.compile(r"^[a-z][a-z_]{0,39}$")
_LABEL = re.compile(r"^[A-Z][A-Z_]{0,29}$")


class BadRequest(ValueError):
    """A request the reviewer's client should not have sent; answered with 400 and the reason."""


def _is_int(x: object) -> TypeGuard[int]:
    """A JSON integer (not a bool, which Python counts as one)."""
    return isinstance(x, int) and not isinstance(x, bool)


def normalise(text: str, label: str, lang: str, default_year: int | None) -> str:
    """`text_norm` for a span a reviewer drew: ISO date for DATE, Simplified Chinese for zh, else the text."""
    if label == "DATE" and (d := parse_date(text, default_year)):
        return d.isoformat()
    return to_hans(text) if lang == "zh" else text


def reviewer_name(value: Any) -> str:
    name = str(value or "").strip()
    if not name or len(name) > 64 or any(ord(c) < 32 for c in name):
        raise BadRequest("a reviewer name (1-64 characters) is needed")
    return name


class ReviewData:
    """The extracted tables (re-read when their files change) joined with the review store."""

    def __init__(self, extracted: Path, store: ReviewStore) -> None:
        self.extracted = Path(extracted)
        self.store = store
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._tables = Tables()
        self._releases: dict[str, dict[str, Any]] = {}
        self._merged: tuple[Any, Merged] | None = None
        self._base: dict[str, list[dict[str, Any]]] = {}
        self._records: tuple[Any, Records] | None = None

    def tables(self) -> Tables:
        stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(self.extracted.glob("*.parquet")))
        with self._lock:
            if stamp != self._stamp:
                self._tables = Tables.read(self.extracted)
                rows = cast(list[dict[str, Any]], self._tables.releases.to_dict("records"))  # column names are str
                self._releases = {str(r["release_id"]): r for r in rows}
                self._base = base_records(self._tables)
                self._stamp = stamp
            return self._tables

    def records(self) -> Records:
        """The organisations, deals and events of the folder (empty for a folder written before them)."""
        tables = self.tables()
        with self._lock:
            stamp = self._stamp
            if self._records is not None and self._records[0] == stamp:
                return self._records[1]
        built = Records(tables)
        with self._lock:
            self._records = (stamp, built)
        return built

    def org_view(self, org_id: str) -> dict[str, Any] | None:
        return self.records().org(org_id, self.store.of_kinds(ORG_KINDS))

    def release(self, release_id: str) -> dict[str, Any] | None:
        self.tables()
        row = self._releases.get(release_id) if _ID.match(release_id or "") else None
        return {k: clean(v) for k, v in row.items()} if row else None

    def merged(self, release_ids: list[str] | None = None) -> Merged:
        """The tables with decisions applied; the whole corpus is cached until a table or decision changes."""
        tables = self.tables()
        if release_ids is not None:
            return merge(tables, self.store.latest(release_ids), release_ids)
        with self._lock:
            stamp, base = self._stamp, self._base
        key = (stamp, self.store.last_id())
        with self._lock:
            if self._merged is not None and self._merged[0] == key:
                return self._merged[1]
        merged = merge(tables, self.store.latest(), base=base)
        with self._lock:
            self._merged = (key, merged)
        return merged

    def queue(self, filters: Filters) -> list[dict[str, Any]]:
        return queue(self.tables(), self.merged(), filters)

    def meta(self) -> dict[str, Any]:
        t = self.tables()
        orgs = t.entities.loc[t.entities["label"] == "ORG", "text_norm"].dropna().value_counts().index[:300]
        return {
            "labels": sorted(
                set(LABELS) | set(t.entities["label"].dropna()),
                key=lambda x: (x not in LABELS, LABELS.index(x) if x in LABELS else 0, x),
            ),
            "relation_types": sorted(set(RELATION_TYPES) | set(t.relations["type"].dropna())),
            "langs": sorted(set(t.releases["lang"].dropna())),
            "orgs": [str(o) for o in orgs],
            "releases": len(t.releases),
            "records": self.records().available,
        }

    def view(self, release_id: str) -> dict[str, Any] | None:
        """Everything the page shows for one release: text, items with their review state, the aligned release."""
        rel = self.release(release_id)
        if rel is None:
            return None
        partner = alignment_partners(self.tables()).get(release_id)
        ids = [release_id] + ([partner[0]] if partner else [])
        m = self.merged(ids)
        mine = m.for_release(release_id)
        aligned = None
        if partner and (other := self.release(partner[0])):
            aligned = {"release": _public_release(other), "score": partner[1], "entities": m.for_release(partner[0]).entities}
        rev = m.reviewed.get(release_id)
        return {
            "release": _public_release(rel),
            "entities": mine.entities,
            "relations": mine.relations,
            "links": mine.links,
            "aligned": aligned,
            "reviewed": {"by": rev.reviewer, "at": rev.created_at} if rev else None,
        }

    def decide(self, body: dict[str, Any]) -> tuple[Decision, Decision | None]:
        """Validate one reviewer action and append it to the store."""
        if not isinstance(body, dict):
            raise BadRequest("expected a JSON object")
        reviewer = reviewer_name(body.get("reviewer"))
        kind, action = str(body.get("kind")), str(body.get("action"))
        if kind in ORG_ACTIONS:
            return self._org_decision(body, kind, action, reviewer)
        if action not in ACTIONS.get(kind, ()):
            raise BadRequest(f"unknown action {kind}/{action}")
        rid = str(body.get("release_id") or "")
        rel = self.release(rid)
        if rel is None:
            raise BadRequest("no such release")
        data = body.get("data") or {}
        if not isinstance(data, dict):
            raise BadRequest("data must be an object")
        base = body.get("base")
        base = int(base) if isinstance(base, int) and not isinstance(base, bool) else None
        key = str(body.get("key") or "")
        if kind == "release":
            state = {"status": "reviewed" if action == "reviewed" else "pending"}
            return self.store.record(rid, "release", rid, action, state, reviewer, base)
        partner = alignment_partners(self.tables()).get(rid)
        m = self.merged([rid] + ([partner[0]] if partner else []))
        if kind == "entity":
            key, state = self._entity(rel, m.for_release(rid), key, action, data)
        elif kind == "relation":
            key, state = self._relation(rel, m.for_release(rid), key, action, data)
        else:
            link = next(
                (lk for lk in m.links if lk["link_id"] == key and rid in (lk["en_release_id"], lk["zh_release_id"])), None
            )
            if link is None:
                raise BadRequest("no such entity link")
            rid, state = link["en_release_id"], {"status": "accepted" if action == "accept" else "rejected"}
        return self.store.record(rid, kind, key, action, state, reviewer, base)

    def _org_decision(self, body: dict[str, Any], kind: str, action: str, reviewer: str) -> tuple[Decision, Decision | None]:
        """org_merge (data.org_ids: two org_ids) or org_split (release_id and key: the entity leaving its organisation)."""
        data = body.get("data") or {}
        if not isinstance(data, dict):
            raise BadRequest("data must be an object")
        base = body.get("base")
        base = int(base) if isinstance(base, int) and not isinstance(base, bool) else None
        rid, key = str(body.get("release_id") or ""), str(body.get("key") or "")
        if kind == "org_split" and (not _ID.match(rid) or not _ID.match(key)):
            raise BadRequest("a split names the entity's release_id and entity_id")
        try:
            return self.records().decide(self.store, kind, action, data, reviewer, base, rid, key)
        except ValueError as e:
            raise BadRequest(str(e)) from e

    def _span(self, rel: dict[str, Any], data: dict[str, Any]) -> tuple[int, int]:
        text = rel["clean_text"] or ""
        start, end = data.get("start"), data.get("end")
        if not (_is_int(start) and _is_int(end) and 0 <= start < end <= len(text)):
            raise BadRequest("the span is not inside the text")
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start == end:
            raise BadRequest("the span is only whitespace")
        return start, end

    def _label(self, data: dict[str, Any]) -> str:
        label = str(data.get("label") or "")
        if not _LABEL.match(label):
            raise BadRequest("labels are upper-case words, e.g. ORG")
        return label

    def _entity(self, rel: dict[str, Any], m: Merged, key: str, action: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        text = rel["clean_text"] or ""
        year = int(rel["dateline_date"][:4]) if rel.get("dateline_date") else None
        if action == "add":
            start, end = self._span(rel, data)
            label = self._label(data)
            surface = text[start:end]
            added: dict[str, Any] = {
                "label": label,
                "text": surface,
                "text_norm": normalise(surface, label, rel["lang"], year),
                "mentions": [[start, end]],
                "aliases": [],
                "status": "accepted",
            }
            return "rev-" + uuid.uuid4().hex[:10], added
        cur = next((e for e in m.entities if e["entity_id"] == key), None)
        if cur is None:
            raise BadRequest("no such entity")
        state: dict[str, Any] = {k: cur.get(k) for k in ("label", "text", "text_norm", "mentions", "aliases")}
        state["status"] = "rejected" if action == "reject" else "accepted"
        if action == "relabel":
            state["label"] = self._label(data)
            if state["label"] == "DATE" or cur["label"] == "DATE":
                state["text_norm"] = normalise(state["text"], state["label"], rel["lang"], year)
        elif action == "span":
            start, end = self._span(rel, data)
            mentions = [list(x) for x in state["mentions"] or []]
            overlapping = [i for i, (s, e) in enumerate(mentions) if s < end and start < e]
            index = data.get("mention")
            if not (isinstance(index, int) and 0 <= index < len(mentions)):
                index = overlapping[0] if overlapping else 0
            if mentions:
                mentions[index] = [start, end]
            else:
                mentions = [[start, end]]
            state["mentions"] = [list(x) for x in sorted({tuple(x) for x in mentions})]
            state["text"] = text[start:end]  # the form the reviewer just drew and vouches for
            if cur.get("text_norm") in (None, "", normalise(cur.get("text") or "", cur["label"], rel["lang"], year)):
                state["text_norm"] = normalise(state["text"], state["label"], rel["lang"], year)  # else keep a resolved alias
        return key, state

    def _relation(
        self, rel: dict[str, Any], m: Merged, key: str, action: str, data: dict[str, Any]
    ) -> tuple[str, dict[str, Any]]:
        fields = ("type", "head_id", "tail_id", "head", "tail", "date", "kind", "title", "evidence")
        if action != "add":
            cur = next((r for r in m.relations if r["relation_id"] == key), None)
            if cur is None:
                raise BadRequest("no such relation")
            state = {k: cur.get(k) for k in fields}
            state["status"] = "rejected" if action == "reject" else "accepted"
            return key, state
        rtype = str(data.get("type") or "")
        if not _TYPE.match(rtype):
            raise BadRequest("relation types are lower-case words, e.g. partnership")
        live = {e["entity_id"]: e for e in m.entities if e["status"] != "rejected"}
        head = live.get(str(data.get("head_id") or ""))
        tail_id = str(data.get("tail_id") or "")
        tail = live.get(tail_id) if tail_id else None
        if head is None or (tail_id and tail is None):
            raise BadRequest("head and tail must be entities of this release")
        if tail is not None and tail["entity_id"] == head["entity_id"]:
            raise BadRequest("a relation joins two different entities")
        day = str(data.get("date") or "").strip()
        if day and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise BadRequest("dates are YYYY-MM-DD")
        evidence = ""
        if head["mentions"]:  # the sentence(s) holding the closest pair of head and tail mentions
            pair = min(
                ((h, t) for h in head["mentions"] for t in (tail["mentions"] if tail and tail["mentions"] else [h])),
                key=lambda p: abs(p[0][0] - p[1][0]),
            )
            text = rel["clean_text"] or ""
            left, right = sentence_around(text, min(pair[0][0], pair[1][0]), max(pair[0][1], pair[1][1]), rel["lang"])
            evidence = text[left:right].strip()
        state = {
            "type": rtype,
            "head_id": head["entity_id"],
            "tail_id": tail["entity_id"] if tail else None,
            "head": head.get("text_norm") or head.get("text"),
            "tail": (tail.get("text_norm") or tail.get("text")) if tail else None,
            "date": day or None,
            "kind": str(data.get("kind") or "").strip()[:80] or None,
            "title": str(data.get("title") or "").strip()[:200] or None,
            "evidence": evidence[:2000],
            "status": "accepted",
        }
        return "rev-" + uuid.uuid4().hex[:10], state


def _public_release(rel: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "release_id",
        "source_path",
        "lang",
        "script",
        "title",
        "dateline_place",
        "dateline_date",
        "clean_text",
        "duplicate_of",
    )
    return {k: rel.get(k) for k in keys}
