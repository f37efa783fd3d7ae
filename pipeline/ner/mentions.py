"""Entity mentions before consolidation, and how overlapping candidates are settled.

Every recogniser (spaCy, LAC, a rule, a gazetteer) proposes `Mention`s with character offsets into
the text it read. Candidates overlap (the model's `National Cancer Center` against the term
`cancer`, a rule's long hospital name against the model's truncated one); `resolve` keeps one
reading per stretch of text: higher priority first, longer first at equal priority.
"""

from __future__ import annotations

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
    names = [c for c in cands if c.label in ("ORG", "PERSON")]
    cands = [c for c in cands if not (c.origin in ("term", "gazetteer") and any(c.inside(n) for n in names))]
    kept: list[Mention] = []
    for c in sorted(cands, key=lambda c: (-c.priority, -(c.end - c.start), c.start)):
        if c.end > c.start and not any(c.overlaps(k) for k in kept):
            kept.append(c)
    return sorted(kept, key=lambda c: c.start)
