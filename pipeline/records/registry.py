"""One registry entry per organisation (or person) across the output folder, from the entities of every
release: the names they go by in English, Simplified and Traditional Chinese, joined by evidence.

Evidence, strongest first, applied in this order (each step in a fixed order, so the result does
not depend on the order the releases were read):
1. `name`: the same normalised name (`养和医疗集团` in a Traditional and a Simplified release: the
   entity's `text_norm` is already Simplified and alias-resolved);
2. `link`: an entity link of an aligned EN-ZH pair (`HKSH Medical Group` <-> `养和医疗集团`), highest
   score first;
3. `lexicon`: a bilingual public list (`pipeline/data/align/terms.tsv`: Hospital Authority open
   data, the seed of health bodies) naming both;
4. `alias`: a bare short form (`HKSH` alone) that exactly one registered organisation defines.
5. `review`: a reviewer's decisions (exported `org_decisions.jsonl`): two organisations merged (found
   by their ids, else by the names the reviewer saw, so a merge outlives an id change), or an entity
   split off its organisation (it then joins nothing).
No evidence joins two entities of one release: the recogniser has already resolved a release's
aliases, so two entities there are two organisations, and a join that would put them together is
refused (which also stops one wrong link from chaining two large groups together).
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import NamedTuple

from pipeline.ner.consolidate import GENERIC_NAMES
from pipeline.text.hans import to_hans

_NOT_WORD = re.compile(r"[\W_]+")
_LEADING_THE = re.compile(r"^the\s+", re.IGNORECASE)


def name_key(name: str) -> str:
    """The form two spellings of one name share: NFKC, case-folded, no leading `the`, letters,
    digits and Han characters only (`The HKSH Medical Group.` and `hksh medical group` meet)."""
    s = unicodedata.normalize("NFKC", name or "").strip()
    s = _LEADING_THE.sub("", s).casefold()
    return _NOT_WORD.sub("", s)


_GENERIC_KEYS = frozenset(name_key(g) for g in GENERIC_NAMES)  # "the Group", "本公司": no short form of anything


@dataclass
class Node:
    """One entity of one release."""

    release_id: str
    entity_id: str
    lang: str
    script: str
    text: str
    text_norm: str
    aliases: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return name_key(self.text_norm or self.text)


@dataclass
class Record:
    """A registered organisation or person: its member entities and the evidence that joined them."""

    record_id: str
    nodes: list[Node]
    joined_by: list[str]

    def names(self, lang: str, script: str | None = None, surface: bool = False) -> Counter:
        return Counter(
            (n.text if surface else n.text_norm) for n in self.nodes if n.lang == lang and (script is None or n.script == script)
        )

    @property
    def release_ids(self) -> list[str]:
        return sorted({n.release_id for n in self.nodes})


def most_common(names: Counter) -> str | None:
    """The most frequent name; ties to the longer, then the smaller string (no order dependence)."""
    if not names:
        return None
    return min(names, key=lambda n: (-names[n], -len(n), n))


class _Groups:
    """Union-find over node indices that refuses a join putting two entities of one release together."""

    def __init__(self, nodes: list[Node], blocked: AbstractSet[int] = frozenset()) -> None:
        self.blocked = blocked  # entities a reviewer split off: they join nothing
        self.parent = list(range(len(nodes)))
        self.releases = [{n.release_id} for n in nodes]
        self.evidence: list[set[str]] = [set() for _ in nodes]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int, why: str, check: bool = True) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if ra in self.blocked or rb in self.blocked:
            return False
        if check and self.releases[ra] & self.releases[rb]:
            return False
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        self.releases[keep] |= self.releases[gone]
        self.evidence[keep] |= self.evidence[gone] | {why}
        self.releases[gone], self.evidence[gone] = set(), set()
        return True


def bilingual_names(path) -> list[tuple[str, str]]:
    """(English, Simplified) organisation names of a terms.tsv (columns en, zh, kind, source)."""
    with open(path, encoding="utf-8") as fh:
        return [(r["en"], r["zh"]) for r in csv.DictReader(fh, delimiter="\t") if r["kind"] == "ORG"]


class Merge(NamedTuple):
    """A reviewer's merge of two records: their ids then, and a name of each as the reviewer saw it."""

    org_a: str
    org_b: str
    name_a: str = ""
    name_b: str = ""


def build(
    nodes: list[Node],
    links: Iterable[tuple[str, str, str, str, float]] = (),
    lexicon: Iterable[tuple[str, str]] = (),
    prefix: str = "org",
    merges: Iterable[Merge] = (),
    splits: Iterable[tuple[str, str]] = (),
) -> list[Record]:
    """Records from entity `nodes`; `links` are (en release, en entity, zh release, zh entity, score).
    `merges` are two records a reviewer made one, by the ids the same evidence without the merges
    gives them, else by a name each was shown with (an id changes when a new name joins its record);
    `splits` are (release id, entity id) a reviewer took out of their record."""
    nodes = sorted(nodes, key=lambda n: (n.release_id, n.entity_id))
    index = {(n.release_id, n.entity_id): i for i, n in enumerate(nodes)}
    g = _Groups(nodes, {index[s] for s in splits if s in index})
    by_key: dict[str, list[int]] = {}
    for i, n in enumerate(nodes):
        if n.key:
            by_key.setdefault(n.key, []).append(i)
    for members in by_key.values():  # 1. the same name (two spellings in one release are one entity too)
        for i in members[1:]:
            g.join(members[0], i, "name", check=False)
    for er, ee, zr, ze, _ in sorted(links, key=lambda t: (-t[4], t[:4])):  # 2. entity links, best first
        a, b = index.get((er, ee)), index.get((zr, ze))
        if a is not None and b is not None:
            g.join(a, b, "link")
    for en, zh in sorted(set(lexicon)):  # 3. a public bilingual list names both
        on_en, on_zh = by_key.get(name_key(en)), by_key.get(name_key(zh))
        if on_en and on_zh:
            g.join(on_en[0], on_zh[0], "lexicon")
    owners: dict[str, set[int]] = {}  # 4. a short form exactly one record defines (not "the Group")
    for i, n in enumerate(nodes):
        for alias in n.aliases:
            key = name_key(to_hans(alias))
            if len(key) >= 2 and key != n.key and key not in _GENERIC_KEYS:
                owners.setdefault(key, set()).add(g.find(i))
    for key in sorted(owners):
        roots = {g.find(r) for r in owners[key]}
        if len(roots) == 1 and key in by_key:
            g.join(next(iter(roots)), by_key[key][0], "alias")
    merges = sorted(set(merges))
    if merges:  # 5. a reviewer's merges, by the ids the evidence alone gives, else by their names
        root_of = {record_id(prefix, members): root for root, members in _groups(g, nodes).items()}

        def side(org_id: str, name: str) -> int | None:
            if org_id in root_of:
                return root_of[org_id]
            named = by_key.get(name_key(to_hans(name))) if name else None
            return g.find(named[0]) if named else None

        for m in merges:
            a, b = side(m.org_a, m.name_a), side(m.org_b, m.name_b)
            if a is not None and b is not None:
                g.join(a, b, "review", check=False)
    records = [
        Record(record_id(prefix, members), members, sorted(g.evidence[root])) for root, members in _groups(g, nodes).items()
    ]
    records.sort(key=lambda r: r.record_id)
    return records


def _groups(g: _Groups, nodes: list[Node]) -> dict[int, list[Node]]:
    groups: dict[int, list[Node]] = {}
    for i, n in enumerate(nodes):
        groups.setdefault(g.find(i), []).append(n)
    return groups


def record_id(prefix: str, members: list[Node]) -> str:
    """`prefix-` + a hash of the smallest name key of the members: a function of the members only."""
    canonical = min(n.key or n.text for n in members)
    return f"{prefix}-" + hashlib.sha1(canonical.encode("utf-8")).hexdigest()[:12]
