"""The records across releases, as the review page shows them: organisations, their deals, and each
deal's reports side by side; people and the roles they hold; and the organisation decisions (merge
two, split an entity off).

Read from the `organisations`, `deals`, `events`, `people` tables and `entities.org_id` (pipeline/records/);
a folder written before those tables existed has none, and every view then says so.

A decision on organisations is appended to the review store like any other:
- `org_merge` (release_id "", key "ORG_A|ORG_B" sorted): action `merge` (state {"status": "merged"})
  or `unmerge` (state {"status": "separate"}): the two org_ids are one organisation;
- `org_split` (release_id, key: an entity's): action `split` (state {"status": "split"}) or
  `unsplit` (state {"status": "kept"}): the entity is not the organisation its org_id names.
The latest decision on an item is its state; `export_reviews` writes those in force to
`org_decisions.jsonl`, which a later records run or retraining reads.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from pipeline.io.tables import Tables
from pipeline.review.merge import clean, records
from pipeline.review.store import ORG_KINDS, Decision, ReviewStore
from pipeline.text.hans import to_hans

ORG_ACTIONS = {"org_merge": {"merge", "unmerge"}, "org_split": {"split", "unsplit"}}
_ID = re.compile(r"^[0-9A-Za-z_.:|-]{1,200}$")
NAME_FIELDS = ("name_en", "name_hant", "name_hans")
PERSON_FIELDS = ("name_en", "name_zh")
RELEASE_FIELDS = ("release_id", "title", "lang", "dateline_date", "source_path")


def fold(text: str) -> str:
    """A name as search compares it: case-folded, Simplified, spaces squeezed."""
    return " ".join(to_hans(str(text)).casefold().split())


def org_name(org: dict[str, Any] | None, fallback: str = "", fields: tuple[str, ...] = NAME_FIELDS) -> str:
    """The name to show: English, else Traditional, else Simplified, else the first alias.
    (`fields`: the name columns in that order; a person's are PERSON_FIELDS.)"""
    if not org:
        return fallback
    for k in fields:
        if org.get(k):
            return str(org[k])
    return str((org.get("aliases") or [fallback])[0] or fallback)


def person_name(person: dict[str, Any] | None, fallback: str = "") -> str:
    """A person's name to show: English, else Chinese, else the first alias."""
    return org_name(person, fallback, PERSON_FIELDS)


def ranked(index: list[tuple[str, set[str]]], q: str, rank: Callable[[str], tuple]) -> list[str]:
    """The ids of `index` (id, folded names) one of whose names holds `q`: exact names first, then
    by `rank(id)`, then by id (the search of organisations and of people)."""
    want = fold(q or "")
    hits = [(want not in names, *rank(i), i) for i, names in index if not want or any(want in n for n in names)]
    return [h[-1] for h in sorted(hits)]


def merge_key(a: str, b: str) -> str:
    return "|".join(sorted((a, b)))


class Records:
    """The records tables of one extracted folder, indexed for the review page."""

    def __init__(self, tables: Tables) -> None:
        self.available = not tables.organisations.empty or not tables.deals.empty or not tables.people.empty
        self.orgs: dict[str, dict[str, Any]] = {o["org_id"]: o for o in records(tables.organisations)}
        self.deals: dict[str, dict[str, Any]] = {
            d["deal_id"]: {**d, "dates": clean(d.get("dates"))} for d in records(tables.deals)
        }
        self.events: dict[str, dict[str, Any]] = {e["event_id"]: e for e in records(tables.events)}
        rel_cols = ["release_id", "title", "lang", "script", "dateline_place", "dateline_date", "source_path", "duplicate_of"]
        self.releases = {
            r["release_id"]: r for r in records(tables.releases[[c for c in rel_cols if c in tables.releases.columns]])
        }
        ents = tables.entities
        self.entity_org: dict[tuple[str, str], str] = {}
        self.org_entities: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if "org_id" in ents.columns and not ents.empty:
            cols = ["release_id", "entity_id", "label", "text", "text_norm", "org_id"]
            for e in records(ents[cols][ents["org_id"].notna()]):
                self.entity_org[(e["release_id"], e["entity_id"])] = e["org_id"]
                self.org_entities[e["org_id"]].append(e)
        self.relations: dict[str, list[dict[str, Any]]] = defaultdict(list)
        rels = tables.relations
        if not rels.empty:
            cols = ["release_id", "type", "head", "tail", "head_id", "tail_id", "date", "kind", "evidence", "score"]
            for r in records(rels[[c for c in cols if c in rels.columns]]):
                self.relations[r["release_id"]].append(r)
        self._search = [(oid, {fold(n) for n in self._names(o)}) for oid, o in self.orgs.items()]
        # people, each role's date as an ISO string (records() cleans only top-level dates), oldest role first
        self.people: dict[str, dict[str, Any]] = {}
        self.org_people: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for p in records(tables.people):
            roles = [{k: clean(v) for k, v in r.items()} for r in p.get("roles") or []]
            roles.sort(
                key=lambda r: (r.get("date") or "9999", r.get("release_id") or "", r.get("title") or "", r.get("org_id") or "")
            )
            self.people[p["person_id"]] = {**p, "roles": roles}
            for r in roles:
                if r.get("org_id"):
                    self.org_people[r["org_id"]].append((p["person_id"], r))
        self._people_search = [(pid, {fold(n) for n in self._names(p, PERSON_FIELDS)}) for pid, p in self.people.items()]

    @staticmethod
    def _names(org: dict[str, Any], fields: tuple[str, ...] = NAME_FIELDS) -> list[str]:
        return [str(n) for n in [*(org.get(k) for k in fields), *(org.get("aliases") or [])] if n]

    def summary(self, org: dict[str, Any]) -> dict[str, Any]:
        return {
            "org_id": org["org_id"],
            "name": org_name(org, org["org_id"]),
            "name_en": org.get("name_en"),
            "name_hans": org.get("name_hans"),
            "name_hant": org.get("name_hant"),
            "aliases": org.get("aliases") or [],
            "n_deals": len(org.get("deal_ids") or []),
            "n_releases": len(org.get("release_ids") or []),
            "n_mentions": org.get("n_mentions") or 0,
        }

    def search(self, q: str, limit: int = 200) -> list[dict[str, Any]]:
        """Organisations one of whose names (any script, any alias) holds `q`; exact names first, then by mentions."""

        def rank(oid: str) -> tuple:
            org = self.orgs[oid]
            return -(org.get("n_mentions") or 0), -len(org.get("deal_ids") or []), org_name(org, oid)

        return [self.summary(self.orgs[oid]) for oid in ranked(self._search, q, rank)[:limit]]

    def person_summary(self, p: dict[str, Any]) -> dict[str, Any]:
        roles = p.get("roles") or []
        return {
            "person_id": p["person_id"],
            "name": person_name(p, p["person_id"]),
            "name_en": p.get("name_en"),
            "name_zh": p.get("name_zh"),
            "aliases": p.get("aliases") or [],
            "titles": list(dict.fromkeys(str(r["title"]) for r in roles if r.get("title"))),
            "org_ids": list(dict.fromkeys(str(r["org_id"]) for r in roles if r.get("org_id"))),
            "n_roles": len(roles),
            "n_releases": len(p.get("release_ids") or []),
        }

    def search_people(self, q: str, limit: int = 200) -> list[dict[str, Any]]:
        """People one of whose names (English, Chinese in either script, any alias) holds `q`; exact
        names first, then those with most roles, then by name."""

        def rank(pid: str) -> tuple:
            p = self.people[pid]
            return -len(p.get("roles") or []), -len(p.get("release_ids") or []), person_name(p, pid)

        return [self.person_summary(self.people[pid]) for pid in ranked(self._people_search, q, rank)[:limit]]

    def release_row(self, rid: str) -> dict[str, Any]:
        r = self.releases.get(rid) or {"release_id": rid}
        return {**{k: r.get(k) for k in RELEASE_FIELDS}, "known": rid in self.releases}

    def person(self, pid: str) -> dict[str, Any] | None:
        """The person view: names, roles over time (each with its organisation and release), releases; None for an unknown id."""
        p = self.people.get(pid) if _ID.match(pid or "") else None
        if p is None:
            return None
        roles = []
        for r in p.get("roles") or []:
            oid = r.get("org_id")
            org = self.orgs.get(oid) if oid else None
            rel = self.releases.get(r.get("release_id") or "") or {}
            roles.append(
                {
                    "title": r.get("title"),
                    "date": r.get("date"),
                    "org_id": oid,
                    "org_name": org_name(org, oid or "") if oid else None,
                    "org_known": org is not None,
                    "release_id": r.get("release_id"),
                    "release_title": rel.get("title"),
                    "source_path": rel.get("source_path"),
                    "lang": rel.get("lang"),
                    "release_known": bool(rel),
                }
            )
        releases = [self.release_row(rid) for rid in dict.fromkeys(p.get("release_ids") or [])]
        releases.sort(key=lambda r: (r["dateline_date"] or "", r["release_id"]))
        return {"person": self.person_summary(p), "roles": roles, "releases": releases}

    def people_of(self, oid: str) -> list[dict[str, Any]]:
        """The people who hold a role at organisation `oid`, each with the titles they hold there (by first date, then name)."""
        held: dict[str, list[dict[str, Any]]] = {}
        for pid, r in self.org_people.get(oid, []):
            held.setdefault(pid, []).append(r)
        out = []
        for pid, roles in held.items():
            p = self.people[pid]
            dates = [r["date"] for r in roles if r.get("date")]
            out.append(
                {
                    "person_id": pid,
                    "name": person_name(p, pid),
                    "name_en": p.get("name_en"),
                    "name_zh": p.get("name_zh"),
                    "titles": list(dict.fromkeys(str(r["title"]) for r in roles if r.get("title"))),
                    "first": min(dates) if dates else None,
                    "last": max(dates) if dates else None,
                    "release_ids": list(dict.fromkeys(str(r["release_id"]) for r in roles if r.get("release_id"))),
                }
            )
        out.sort(key=lambda x: (x["first"] or "9999", x["name"], x["person_id"]))
        return out

    def party(self, oid: str, names_en: str | None = None, names_zh: str | None = None) -> dict[str, Any]:
        org = self.orgs.get(oid)
        return {
            "org_id": oid,
            "name": org_name(org, names_en or names_zh or oid),
            "name_en": (org or {}).get("name_en") or names_en,
            "name_hans": (org or {}).get("name_hans") or names_zh,
            "name_hant": (org or {}).get("name_hant"),
            "known": org is not None,
        }

    def parties(self, deal: dict[str, Any]) -> list[dict[str, Any]]:
        ids = deal.get("parties") or []
        en = list(deal.get("parties_en") or []) + [None] * len(ids)
        zh = list(deal.get("parties_zh") or []) + [None] * len(ids)
        return [self.party(oid, en[i], zh[i]) for i, oid in enumerate(ids)]

    def org(self, oid: str, decisions: dict[tuple[str, str, str], Decision]) -> dict[str, Any] | None:
        """Everything the organisation view shows, or None for an unknown id."""
        org = self.orgs.get(oid) if _ID.match(oid or "") else None
        if org is None:
            return None
        deals = []
        nodes: dict[str, dict[str, Any]] = {oid: {**self.party(oid), "center": True}}
        edges = []
        for did in org.get("deal_ids") or []:
            deal = self.deals.get(did)
            if deal is None:
                continue
            parties = self.parties(deal)
            others = [p for p in parties if p["org_id"] != oid]
            role = None
            if deal.get("type") == "subsidiary_of" and len(parties) == 2:
                role = "subsidiary" if parties[0]["org_id"] == oid else "parent"
            deals.append(
                {
                    "deal_id": did,
                    "type": deal.get("type"),
                    "date": deal.get("date"),
                    "kind": deal.get("kind"),
                    "role": role,
                    "partners": others,
                    "disagreements": deal.get("disagreements") or [],
                    "n_reports": len(deal.get("release_ids") or []),
                }
            )
            for p in others:
                nodes.setdefault(p["org_id"], {**p, "center": False})
                edges.append(
                    {
                        "deal_id": did,
                        "source": oid,
                        "target": p["org_id"],
                        "type": deal.get("type"),
                        "kind": deal.get("kind"),
                        "date": deal.get("date"),
                        "role": role,
                    }
                )
        deals.sort(key=lambda d: (d["date"] or "9999", d["deal_id"]))
        releases = []
        for rid in org.get("release_ids") or []:
            r = self.releases.get(rid)
            if r:
                releases.append({k: r.get(k) for k in RELEASE_FIELDS})
        releases.sort(key=lambda r: (r["dateline_date"] or "", r["release_id"]))
        entities = []
        for e in self.org_entities.get(oid, [])[:500]:
            d = decisions.get((e["release_id"], "org_split", e["entity_id"]))
            split = d is not None and d.state.get("status") == "split"
            entities.append(
                {
                    **{k: e.get(k) for k in ("release_id", "entity_id", "label", "text", "text_norm")},
                    "split": {"by": d.reviewer, "at": d.created_at} if split and d else None,
                    "decision_id": d.id if d else None,
                }
            )
        merged = []
        for (_, kind, key), d in decisions.items():
            if kind != "org_merge" or d.state.get("status") != "merged" or oid not in key.split("|"):
                continue
            other = next((x for x in key.split("|") if x != oid), oid)
            merged.append(
                {
                    "org_id": other,
                    "name": org_name(self.orgs.get(other), other),
                    "by": d.reviewer,
                    "at": d.created_at,
                    "decision_id": d.id,
                }
            )
        return {
            "org": {**self.summary(org), "joined_by": org.get("joined_by") or []},
            "deals": deals,
            "releases": releases,
            "entities": entities,
            "merged_with": merged,
            "people": self.people_of(oid),
            "graph": {"nodes": list(nodes.values()), "edges": edges},
        }

    def end_org(self, rid: str, entity_id: str | None, name: str | None, parties: list[str]) -> str | None:
        """The org_id of a relation's end: its entity's, else (a party the span judge dropped from `entities`,
        which the records stage registers under its name) the party of the deal with that name."""
        if oid := self.entity_org.get((rid, entity_id or "")):
            return oid
        want = fold(name or "")
        return next((p for p in parties if want and want in {fold(n) for n in self._names(self.orgs.get(p) or {})}), None)

    def report(self, deal: dict[str, Any], rid: str) -> dict[str, Any]:
        """What one release says of a deal: its relation whose parties are the deal's org_ids."""
        parties = list(deal.get("parties") or [])
        found = None
        for r in sorted(self.relations.get(rid, []), key=lambda r: -(r.get("score") or 0.0)):
            if r.get("type") != deal.get("type"):
                continue
            ends = [self.end_org(rid, r.get(f"{end}_id"), r.get(end), parties) for end in ("head", "tail")]
            same = ends == parties if deal.get("type") == "subsidiary_of" else sorted(e or "" for e in ends) == sorted(parties)
            if same:
                found = r
                break
        rel = self.releases.get(rid) or {"release_id": rid}
        out: dict[str, Any] = {
            "release": {
                k: rel.get(k) for k in ("release_id", "title", "lang", "script", "dateline_place", "dateline_date", "source_path")
            },
            "states_deal": found is not None,
            "date": None,
            "kind": None,
            "evidence": None,
            "head": None,
            "tail": None,
            "differs": [],
        }
        if found:
            out.update({k: found.get(k) for k in ("date", "kind", "evidence", "head", "tail")})
            out["differs"] = [f for f in ("date", "kind") if out[f] is not None and out[f] != deal.get(f)]
        else:
            out["differs"] = ["parties"]
        return out

    def deal(self, did: str) -> dict[str, Any] | None:
        """The deal view: its parties in both languages, date, kind, and every report side by side."""
        deal = self.deals.get(did) if _ID.match(did or "") else None
        if deal is None:
            return None
        event = self.events.get(deal.get("event_id") or "") or {}
        mine = list(deal.get("release_ids") or [])
        # the event's other releases (not its copies): a report that does not state the deal is the
        # `parties` disagreement, so it is shown beside the ones that do
        others = [
            m["release_id"] for m in event.get("members") or [] if m.get("role") != "copy" and m.get("release_id") not in mine
        ]
        return {
            "deal": {
                **{k: deal.get(k) for k in ("deal_id", "event_id", "type", "date", "kind", "score")},
                "dates": deal.get("dates") or [],
                "kinds": deal.get("kinds") or [],
                "disagreements": deal.get("disagreements") or [],
                "parties": self.parties(deal),
            },
            "event": {k: event.get(k) for k in ("event_id", "title_en", "title_zh", "date", "kind")} if event else None,
            "reports": [{**self.report(deal, rid), "in_deal": True} for rid in mine]
            + [{**self.report(deal, rid), "in_deal": False} for rid in others],
        }

    def decide(
        self,
        store: ReviewStore,
        kind: str,
        action: str,
        data: dict[str, Any],
        reviewer: str,
        base: int | None,
        release_id: str = "",
        key: str = "",
    ) -> tuple[Decision, Decision | None]:
        """Validate an organisation decision and append it; ValueError (with the reason) when it makes no sense."""
        if action not in ORG_ACTIONS.get(kind, ()):
            raise ValueError(f"unknown action {kind}/{action}")
        if kind == "org_merge":
            ids = data.get("org_ids")
            if not isinstance(ids, list) or len(ids) != 2 or not all(isinstance(x, str) for x in ids):
                raise ValueError("a merge names two org_ids")
            a, b = ids
            if a not in self.orgs or b not in self.orgs:
                raise ValueError("no such organisation")
            if a == b:
                raise ValueError("an organisation is already itself")
            merged = {
                "status": "merged" if action == "merge" else "separate",
                "org_ids": sorted((a, b)),
                "names": [org_name(self.orgs[x], x) for x in sorted((a, b))],
            }
            return store.record("", kind, merge_key(a, b), action, merged, reviewer, base)
        oid = self.entity_org.get((release_id, key))
        if oid is None:
            raise ValueError("no such entity of an organisation")
        ent = next((e for e in self.org_entities[oid] if e["release_id"] == release_id and e["entity_id"] == key), {})
        state: dict[str, Any] = {
            "status": "split" if action == "split" else "kept",
            "org_id": oid,
            "text": ent.get("text"),
            "text_norm": ent.get("text_norm"),
        }
        return store.record(release_id, kind, key, action, state, reviewer, base)


def org_decisions(store: ReviewStore) -> list[dict[str, Any]]:
    """The organisation decisions in force (a merge not undone, a split not undone), oldest first, as plain rows."""
    out = []
    for (rid, kind, key), d in store.of_kinds(ORG_KINDS).items():
        status = d.state.get("status")
        if kind == "org_merge" and status == "merged":
            out.append(
                {
                    "kind": kind,
                    "org_ids": d.state.get("org_ids") or key.split("|"),
                    "names": d.state.get("names"),
                    "reviewer": d.reviewer,
                    "decided_at": d.created_at,
                    "decision_id": d.id,
                }
            )
        elif kind == "org_split" and status == "split":
            out.append(
                {
                    "kind": kind,
                    "release_id": rid,
                    "entity_id": key,
                    "org_id": d.state.get("org_id"),
                    "text": d.state.get("text"),
                    "text_norm": d.state.get("text_norm"),
                    "reviewer": d.reviewer,
                    "decided_at": d.created_at,
                    "decision_id": d.id,
                }
            )
    return out
