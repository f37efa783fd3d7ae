"""Entity mentions before consolidation, and how overlapping candidates are settled.

Every recogniser (spaCy, LAC, a rule, a gazetteer) proposes `Mention`s with character offsets into
the text it read. Candidates overlap (the model's `National Cancer Center` against the term
`cancer`, a rule's long hospital name against the model's truncated one); `resolve` keeps one
reading per stretch of text: higher priority first, longer first at equal priority.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

# Who wins an overlap: rules that know name boundaries beat the statistical models; a gazetteer
# place competes with the model by length (a place inside a name is dropped by `resolve`).
PRIORITY = {"alias": 6, "title": 5, "chunk": 5, "gazetteer-org": 5, "pattern": 4, "term": 4, "model": 3, "lac": 3, "gazetteer": 3}
SOURCE = {"alias": "alias", "model": "model", "lac": "model"}  # the rest are rules: "ruler"


@dataclass
class Mention:
    start: int
    end: int
    label: str
    origin: str  # which recogniser: a key of PRIORITY
    score: float
    norm: str | None = None  # canonical form when it is not the text itself (ISO date, expansion)
    alias_of: Mention | None = field(default=None, repr=False, compare=False)  # the full name it stands for
    defines: tuple[str, ...] = ()  # short forms this full-name mention defines

    @property
    def source(self) -> str:
        return SOURCE.get(self.origin, "ruler")

    @property
    def priority(self) -> int:
        return PRIORITY.get(self.origin, 3)

    def overlaps(self, other: Mention) -> bool:
        return self.start < other.end and other.start < self.end

    def inside(self, other: Mention) -> bool:
        return other.start <= self.start and self.end <= other.end and (self.start, self.end) != (other.start, other.end)


def resolve(cands: list[Mention]) -> list[Mention]:
    """Non-overlapping mentions, best first; terms and gazetteer places inside a name are dropped."""
    inside_name = _NameCover([c for c in cands if c.label in ("ORG", "PERSON")])
    cands = [c for c in cands if not (c.origin in ("term", "gazetteer") and inside_name(c))]
    kept: list[Mention] = []  # by start; they never overlap, so only the neighbours of a place can
    starts: list[int] = []
    for c in sorted(cands, key=lambda c: (-c.priority, -(c.end - c.start), c.start)):
        if c.end <= c.start:
            continue
        pos = bisect_right(starts, c.start)
        if (pos > 0 and kept[pos - 1].end > c.start) or (pos < len(kept) and kept[pos].start < c.end):
            continue
        kept.insert(pos, c)
        starts.insert(pos, c.start)
    return kept


class _NameCover:
    """`cover(c)`: is `c` inside one of the names (`Mention.inside`: within it, not the same span)?
    Answered from the names sorted by start, the furthest end among those starting before each
    point, and the furthest end per start, not by reading every name for every candidate."""

    def __init__(self, names: list[Mention]) -> None:
        names = sorted(names, key=lambda n: n.start)
        self.starts = [n.start for n in names]
        self.reach: list[int] = []  # reach[i]: the furthest end among names[:i + 1]
        for n in names:
            self.reach.append(max(n.end, self.reach[-1]) if self.reach else n.end)
        self.at: dict[int, int] = {}  # start -> the furthest end of the names starting there
        for n in names:
            self.at[n.start] = max(n.end, self.at.get(n.start, n.end))

    def __call__(self, c: Mention) -> bool:
        i = bisect_left(self.starts, c.start)  # names[:i] start before c
        return (i > 0 and self.reach[i - 1] >= c.end) or self.at.get(c.start, c.end) > c.end
