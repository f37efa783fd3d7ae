"""Releases grouped into events: the copies of a release and the EN-ZH pairs chosen between canonical
releases, joined transitively (two English reports that pair with one Chinese release are one event).

An event's id is a function of its members only (the smallest member release id), so a resumed,
reordered or incremental run that ends with the same members gives the same id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from pipeline.align.pairs import choose, full_date_conflict

FLOOR = 0.05  # a candidate scored below this is evidence of two events, not a lack of evidence


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


@dataclass
class Decision:
    """What the align stage decides from candidate scores: each release's event and the EN-ZH pairs
    of canonical releases (with scores) that `alignments` keeps before copies inherit them."""

    event_of: dict[str, str]
    pairs: list[tuple[str, str, float]]
    chosen: list[tuple[str, str, float]]


def decide(
    en_ids: Sequence[str],
    zh_ids: Sequence[str],
    cand: np.ndarray,
    p: np.ndarray,
    en_dates: Sequence[frozenset[date]],
    zh_dates: Sequence[frozenset[date]],
    lang_of: dict[str, str],
    copies: dict[str, str],
    threshold: float = 0.5,
    mutual: bool = False,
    floor: float = FLOOR,
) -> Decision:
    """From the scores `p` of the candidate pairs `cand` (rows: en index, zh index; both sides in
    release_id order) to events and alignments: the one rule the stage applies and the out-of-fold
    estimate (`calibrate.cross_validate`) scores, so the figure measures what the stage writes.

    1. scores rounded to 9 decimals (equal evidence ties exactly, whatever the last bit of a sum);
    2. a candidate whose releases both carry full dates, all more than a week apart, is vetoed;
    3. each release keeps its best counterpart above `threshold` (`pairs.choose`);
    4. the chosen pairs are joined into events, best first, except a pair whose join would put an
       English and a Chinese release that scored below `floor` against each other in one event
       (`joinable`); then the copies join their canonical releases (`group`);
    5. every EN-ZH pair of canonical releases inside an event is kept, with its own score where it
       was a candidate, else the lower of its two releases' best chosen scores.
    """
    cand = np.asarray(cand, dtype=np.int64).reshape(-1, 2)
    p = np.round(np.asarray(p, dtype=float), 9)
    keep = p >= threshold
    scores = {
        (i, j): float(s)
        for (i, j), s in zip(cand[keep].tolist(), p[keep].tolist())
        if not full_date_conflict(en_dates[i], zh_dates[j])
    }
    picked = choose(scores, threshold, mutual)
    low = {(i, j) for (i, j), s in zip(cand.tolist(), p.tolist()) if s < floor}
    chosen = [(en_ids[i], zh_ids[j], s) for (i, j), s in joinable(picked, low).items()]
    paired = group((), {}, ((e, z) for e, z, _ in chosen))
    within = {
        (en_ids[i], zh_ids[j]): float(s)
        for (i, j), s in zip(cand.tolist(), p.tolist())
        if paired.get(en_ids[i], 0) == paired.get(zh_ids[j], 1)
    }
    event_of = group(lang_of, copies, ((e, z) for e, z, _ in chosen))
    return Decision(event_of, event_pairs(chosen, within, event_of, lang_of, copies), chosen)


def joinable(picked: dict[tuple[int, int], float], low: set[tuple[int, int]]) -> dict[tuple[int, int], float]:
    """The chosen pairs (en index, zh index) -> score that join without a conflict, in (i, j) order.

    A release keeps its best counterpart even when that counterpart prefers another release, so
    one pair can pull a release into another release's event. The pairs join best first (score
    desc, then indices); a pair is dropped when its two groups hold an English and a Chinese
    release whose candidate pair is in `low` (scored below the floor): an undated release that
    looks like the event's Chinese version can be another year's agreement of the same parties,
    which the event's other, dated, Chinese report then contradicts. Pairs never scored (not
    candidates) are no evidence either way."""
    u = _Union()
    members: dict[str, tuple[set[int], set[int]]] = {}
    kept: dict[tuple[int, int], float] = {}
    for (i, j), s in sorted(picked.items(), key=lambda t: (-t[1], t[0])):
        a, b = u.find(f"e{i}"), u.find(f"z{j}")
        if a != b:
            ea, za = members.get(a, ({i}, set()))
            eb, zb = members.get(b, (set(), {j}))
            if any((x, y) in low for x in ea for y in zb) or any((x, y) in low for x in eb for y in za):
                continue
            u.join(a, b)
            members[u.find(a)] = (ea | eb, za | zb)
        kept[(i, j)] = s
    return dict(sorted(kept.items()))


def event_pairs(
    chosen: list[tuple[str, str, float]],
    within: dict[tuple[str, str], float],
    event_of: dict[str, str],
    lang_of: dict[str, str],
    copies: dict[str, str],
) -> list[tuple[str, str, float]]:
    """Every EN-ZH pair of canonical releases inside one event, with its own score where it was a
    candidate, else the lower of its two releases' chosen-pair scores (it is in the event through them)."""
    best: dict[str, float] = {}
    for e, z, s in chosen:
        best[e] = max(best.get(e, 0.0), s)
        best[z] = max(best.get(z, 0.0), s)
    direct = {(e, z): s for e, z, s in chosen}
    return [
        (e, z, direct.get((e, z), within.get((e, z), min(best.get(e, 0.0), best.get(z, 0.0)))))
        for e, z in cross_pairs(event_of, lang_of, copies)
    ]
