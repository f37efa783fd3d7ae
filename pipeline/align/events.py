"""Releases grouped into events: the copies of a release and the EN-ZH pairs chosen between canonical
releases, joined transitively (two English reports that pair with one Chinese release are one event).

An event's id is a function of its members only (the smallest member release id), so a resumed,
reordered or incremental run that ends with the same members gives the same id.
"""

from __future__ import annotations

from collections.abc import Iterable


class _Union:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        root = self.parent.setdefault(x, x)
        while root != self.parent[root]:
            root = self.parent[root]
        while x != root:  # path compression
            self.parent[x], x = root, self.parent[x]
        return root

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def event_id(members: Iterable[str]) -> str:
    return "ev-" + min(members)


def group(release_ids: Iterable[str], copies: dict[str, str], pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """release_id -> event_id for every release: copies with their canonical release, chosen pairs
    with each other; a release in neither is an event of its own."""
    u = _Union()
    for rid in release_ids:
        u.find(rid)
    for rid, canon in copies.items():
        u.join(rid, canon)
    for en, zh in pairs:
        u.join(en, zh)
    members: dict[str, list[str]] = {}
    for rid in list(u.parent):
        members.setdefault(u.find(rid), []).append(rid)
    return {rid: event_id(group) for group in members.values() for rid in group}


def cross_pairs(event_of: dict[str, str], lang_of: dict[str, str], copies: dict[str, str]) -> list[tuple[str, str]]:
    """Every English-Chinese pair of canonical releases inside one event, sorted."""
    by_event: dict[str, dict[str, list[str]]] = {}
    for rid, ev in event_of.items():
        if rid not in copies and lang_of.get(rid) in ("en", "zh"):
            by_event.setdefault(ev, {"en": [], "zh": []})[lang_of[rid]].append(rid)
    return sorted((e, z) for sides in by_event.values() for e in sides["en"] for z in sides["zh"])
