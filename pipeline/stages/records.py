"""records: from releases to records. Events, deals, organisations and people across the output folder.

A corpus stage after align: it reads the tables (releases with their `event_id` and `duplicate_of`,
entities, relations, entity_links), never the texts, and writes
- `organisations` and `people`: one registry entry per organisation / person
  (`pipeline/records/registry.py` says what joins two names), with `entities.org_id` / `person_id`;
- `deals`: one row per partnership or acquisition per event, with every report of it
  (`pipeline/records/deals.py`);
- `events`: one row per event, its members and their roles.
Everything is a function of the tables' content, not of their row order, so an incremental run
(yesterday's output folder plus today's releases) writes the records one run over everything writes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol, cast

import pandas as pd

from pipeline.io.tables import Corpus, empty
from pipeline.records import registry
from pipeline.records.deals import DEAL_TYPES, Fact, Member, deal_rows, event_rows
from pipeline.records.registry import Node, Record, most_common
from pipeline.registry import Stage, stage
from pipeline.text.hans import converter

_RELEASE_COLUMNS = ["release_id", "lang", "script", "title", "dateline_date", "duplicate_of", "event_id"]
_ENTITY_COLUMNS = ["release_id", "entity_id", "label", "text", "text_norm", "aliases"]
_RELATION_COLUMNS = ["release_id", "type", "head", "tail", "head_id", "tail_id", "date", "kind", "title", "evidence", "score"]
_LINK_COLUMNS = ["en_release_id", "en_entity_id", "zh_release_id", "zh_entity_id", "score"]


def read_decisions(path: Path) -> tuple[list[registry.Merge], list[tuple[str, str]]]:
    """The organisation merges (org ids and names) and splits ((release id, entity id)) of an exported
    org_decisions.jsonl; a missing file is an error (a setting that names it means to use it)."""
    if not path.is_file():
        raise FileNotFoundError(f"decisions: no such file {path} (export-reviews writes org_decisions.jsonl)")
    lines = path.read_text("utf-8").splitlines()
    return parse_decisions(((f"{path}:{n}", line) for n, line in enumerate(lines, 1) if line.strip()))


def parse_decisions(rows: Iterable[tuple[str, str | dict]]) -> tuple[list[registry.Merge], list[tuple[str, str]]]:
    """Merges and splits of organisation decisions, each given as (where it came from, a JSON line or
    an object as `org_decisions` gives it): an exported file's lines, or a review database's rows."""
    merges, splits = [], []
    for where, row in rows:
        try:
            d = json.loads(row) if isinstance(row, str) else row
            if d["kind"] == "org_merge":
                a, b = d["org_ids"]
                names = d.get("names") or ["", ""]
                merges.append(registry.Merge(str(a), str(b), str(names[0] or ""), str(names[1] or "")))
            elif d["kind"] == "org_split":
                splits.append((str(d["release_id"]), str(d["entity_id"])))
        except (ValueError, KeyError, TypeError, IndexError) as e:
            raise ValueError(f"{where}: not an organisation decision ({e})") from e
    return merges, splits


class _ReleaseRow(Protocol):
    """A `releases` row of `_RELEASE_COLUMNS` as itertuples gives it: the id and language are strings,
    the other cells as stored (None, NaN or NaT where missing: `_str` and `_date` read them)."""

    release_id: str
    lang: str
    script: Any
    title: Any
    dateline_date: Any
    duplicate_of: Any
    event_id: Any


class _EntityRow(Protocol):
    """An `entities` row of `_ENTITY_COLUMNS` (aliases: an array of strings, or None)."""

    release_id: str
    entity_id: str
    label: str
    text: str
    text_norm: str | None
    aliases: Any


class _LinkRow(Protocol):
    """An `entity_links` row of `_LINK_COLUMNS`."""

    en_release_id: str
    en_entity_id: str
    zh_release_id: str
    zh_entity_id: str
    score: float


def _str(v) -> str | None:
    return v if isinstance(v, str) and v else None


def _date(v):
    return None if v is None or pd.isna(v) else v


@stage("records")
class Records(Stage):
    """Writes `events`, `deals`, `organisations`, `people`; fills `entities.org_id` and `person_id`.

    Settings: `lexicon` joins organisations a bilingual public list names in both languages;
    `min_link_score` is the lowest entity-link score that joins two names; `decisions` is a reviewer's
    exported `org_decisions.jsonl` (`export-reviews`): its merges and splits are applied.
    """

    kind = "corpus"
    requires = ("event_id", "duplicate_of", "entities", "relations", "entity_links")
    provides = ("events", "deals", "organisations", "people", "entities.org_id", "entities.person_id")

    def __init__(self, lexicon: bool = True, min_link_score: float = 0.5, decisions: str = "") -> None:
        self.lexicon = lexicon
        self.min_link_score = min_link_score
        self.decisions = decisions
        self.merges, self.splits = read_decisions(Path(decisions)) if decisions else ([], [])

    def __call__(self, corpus: Corpus) -> Corpus:
        releases = {
            r.release_id: r
            for b in corpus.batches("releases", _RELEASE_COLUMNS)
            for r in cast(Iterator[_ReleaseRow], b.itertuples(index=False))
        }
        nodes: dict[str, list[Node]] = {"ORG": [], "PERSON": []}
        for batch in corpus.batches("entities", _ENTITY_COLUMNS):
            for e in cast(Iterator[_EntityRow], batch.itertuples(index=False)):
                if e.label in nodes and e.release_id in releases:
                    r = releases[e.release_id]
                    aliases = [a for a in (list(e.aliases) if e.aliases is not None else []) if isinstance(a, str)]
                    nodes[e.label].append(
                        Node(e.release_id, e.entity_id, r.lang, _str(r.script) or "", e.text, e.text_norm or e.text, aliases)
                    )
        relations = [
            r
            for b in corpus.batches("relations", _RELATION_COLUMNS)
            for r in b.itertuples(index=False)
            if r.release_id in releases
        ]
        self._add_missing_parties(nodes["ORG"], relations, releases)
        links = [
            (x.en_release_id, x.en_entity_id, x.zh_release_id, x.zh_entity_id, float(x.score))
            for b in corpus.batches("entity_links", _LINK_COLUMNS)
            for x in cast(Iterator[_LinkRow], b.itertuples(index=False))
            if float(x.score) >= self.min_link_score
        ]
        lexicon = self.bilingual_names() if self.lexicon else []
        orgs = registry.build(nodes["ORG"], links, lexicon, prefix="org", merges=self.merges, splits=self.splits)
        people = registry.build(nodes["PERSON"], links, (), prefix="per")
        org_of = {(n.release_id, n.entity_id): o.record_id for o in orgs for n in o.nodes}
        person_of = {(n.release_id, n.entity_id): p.record_id for p in people for n in p.nodes}
        corpus.set_column("entities", "org_id", org_of, key=("release_id", "entity_id"))
        corpus.set_column("entities", "person_id", person_of, key=("release_id", "entity_id"))

        names = {o.record_id: (most_common(o.names("en")), most_common(o.names("zh"))) for o in orgs}
        facts = self.facts(relations, releases, org_of)
        deals = deal_rows(facts, names)
        members: dict[str, list[Member]] = {}
        for r in releases.values():
            ev = _str(r.event_id) or "ev-" + r.release_id  # a table written before align ran: its own event
            members.setdefault(ev, []).append(
                Member(r.release_id, r.lang, _str(r.title), _date(r.dateline_date), _str(r.duplicate_of))
            )
        corpus.put("deals", pd.DataFrame(deals) if deals else empty("deals"))
        corpus.put("events", pd.DataFrame(event_rows(members, deals)) if members else empty("events"))
        corpus.put("organisations", self.organisation_rows(orgs, deals))
        corpus.put("people", self.people_rows(people, relations, releases, org_of, person_of))
        return corpus

    @staticmethod
    def bilingual_names() -> list[tuple[str, str]]:
        from pipeline.align.lexicon import DATA

        return registry.bilingual_names(DATA / "terms.tsv")

    @staticmethod
    def _add_missing_parties(nodes: list[Node], relations: list, releases: dict) -> None:
        """A relation's party the span judge later dropped from `entities` is still a party: it joins the
        registry under its name, so the deal keeps it."""
        have = {(n.release_id, n.entity_id) for n in nodes}
        for x in relations:
            if x.type not in DEAL_TYPES:
                continue
            for eid, name in ((x.head_id, x.head), (x.tail_id, x.tail)):
                if isinstance(eid, str) and isinstance(name, str) and (x.release_id, eid) not in have:
                    have.add((x.release_id, eid))
                    r = releases[x.release_id]
                    nodes.append(Node(x.release_id, eid, r.lang, _str(r.script) or "", name, name))

    @staticmethod
    def facts(relations: list, releases: dict, org_of: dict) -> list[Fact]:
        out = []
        for x in relations:
            if x.type not in DEAL_TYPES:
                continue
            head, tail = org_of.get((x.release_id, x.head_id)), org_of.get((x.release_id, x.tail_id))
            if not head or not tail or head == tail:
                continue
            parties = tuple(sorted((head, tail))) if x.type == "partnership" else (head, tail)
            r = releases[x.release_id]
            out.append(
                Fact(
                    x.release_id,
                    _str(r.event_id) or "ev-" + x.release_id,
                    x.type,
                    parties,
                    _date(x.date),
                    _str(x.kind),
                    _str(x.evidence) or "",
                    float(x.score) if x.score is not None else 0.0,
                )
            )
        return out

    @staticmethod
    def organisation_rows(orgs: list[Record], deals: list[dict]) -> pd.DataFrame:
        deals_of: dict[str, set[str]] = {}
        for d in deals:
            for p in d["parties"]:
                deals_of.setdefault(p, set()).add(d["deal_id"])
        rows = []
        for o in orgs:
            en, hans = most_common(o.names("en")), most_common(o.names("zh"))
            hant = most_common(o.names("zh", "Hant", surface=True)) or (converter("s2t").convert(hans) if hans else None)
            names = {n.text for n in o.nodes} | {n.text_norm for n in o.nodes} | {a for n in o.nodes for a in n.aliases}
            rows.append(
                {
                    "org_id": o.record_id,
                    "name_en": en,
                    "name_hans": hans,
                    "name_hant": hant,
                    "aliases": sorted(names - {en, hans, hant}),
                    "release_ids": o.release_ids,
                    "deal_ids": sorted(deals_of.get(o.record_id, ())),
                    "n_mentions": len(o.nodes),
                    "joined_by": o.joined_by,
                }
            )
        return pd.DataFrame(rows) if rows else empty("organisations")

    @staticmethod
    def people_rows(people: list[Record], relations: list, releases: dict, org_of: dict, person_of: dict) -> pd.DataFrame:
        roles: dict[str, list[dict]] = {}
        for x in relations:
            pid = person_of.get((x.release_id, x.head_id)) if x.type == "role" else None
            if pid:
                roles.setdefault(pid, []).append(
                    {
                        "title": _str(x.title),
                        "org_id": org_of.get((x.release_id, x.tail_id)),
                        "date": _date(releases[x.release_id].dateline_date),
                        "release_id": x.release_id,
                    }
                )
        rows = []
        for p in people:
            en, zh = most_common(p.names("en")), most_common(p.names("zh"))
            seen = Counter(n.text for n in p.nodes) + Counter(n.text_norm for n in p.nodes)
            held = sorted(
                roles.get(p.record_id, []), key=lambda r: (str(r["date"]), r["release_id"], str(r["title"]), str(r["org_id"]))
            )
            rows.append(
                {
                    "person_id": p.record_id,
                    "name_en": en,
                    "name_zh": zh,
                    "aliases": sorted(set(seen) - {en, zh}),
                    "roles": held,
                    "release_ids": p.release_ids,
                }
            )
        return pd.DataFrame(rows) if rows else empty("people")
