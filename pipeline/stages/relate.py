"""relate: facts between the entities of a release (partnership, role, subsidiary_of, located_in).

Patterns, not a model: English ones over spaCy tokens and Chinese ones over `text_hans` characters
(see pipeline/relations). Each relation names its entities by `text_norm` and `entity_id`, carries
the sentence it was read from and a score; `min_score` drops the weaker readings.
"""

from __future__ import annotations

from pipeline.registry import Stage, stage
from pipeline.relations import RelationExtractor
from pipeline.release import Release


@stage("relate")
class Relate(Stage):
    """Fills `release.relations` from `release.entities`."""

    requires = ("clean_text", "lang", "entities")
    provides = ("relations",)

    def __init__(self, min_score: float = 0.5) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError(f"relate.min_score must be in [0, 1], not {min_score!r}")
        self.extractor = RelationExtractor(min_score=min_score)

    def __call__(self, release: Release) -> Release:
        release.relations = self.extractor(release)
        return release
