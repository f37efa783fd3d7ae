"""relate: facts between the entities of a release (partnership, role, subsidiary_of, located_in).

Patterns: one module per relation type (pipeline/relations/types/, its rules in
pipeline/lang/rel/<type>.jsonl), English ones over spaCy tokens and Chinese ones over `text_hans`
characters; the types composed are those of labels.RELATION_TYPES. Each relation names its
entities by `text_norm` and `entity_id`, carries the sentence it was read from and a score;
`min_score` drops the weaker readings. Optionally (English)
the MiniLM classifier in `classifier_model` re-reads the pattern facts: `classifier` = "filter"
(drop facts it rejects), "add" (add pairs it finds), "filter+add", "replace" (its facts instead of
the patterns' for its types: to measure it alone) or "none".
"""

from __future__ import annotations

from typing import ClassVar

from pipeline.registry import Stage, stage
from pipeline.release import Release

MODES = ("none", "filter", "add", "filter+add", "replace")


@stage("relate")
class Relate(Stage):
    """Fills `release.relations` from `release.entities`."""

    # the title marks headline pairs; the dateline dates `today`
    requires = ("clean_text", "lang", "text_hans", "hans_to_clean", "title", "dateline_date", "entities")
    provides = ("relations",)
    model_settings: ClassVar[dict[str, str]] = {"classifier_model": "delta.safetensors"}

    @classmethod
    def models_used(cls, settings: dict) -> list[str]:
        return [] if settings.get("classifier", "none") == "none" else ["classifier_model"]

    def __init__(
        self,
        min_score: float = 0.5,
        classifier: str = "none",
        classifier_model: str = "models/rel-en",
        classifier_threshold: float = 0.5,
    ) -> None:
        if not 0.0 <= min_score <= 1.0:
            raise ValueError(f"relate.min_score must be in [0, 1], not {min_score!r}")
        if classifier not in MODES:
            raise ValueError(f"relate.classifier must be one of {MODES}, not {classifier!r}")
        from pipeline.relations import RelationExtractor  # spaCy: imported only where the stage is built

        self.extractor = RelationExtractor(min_score=min_score)
        self.min_score = min_score
        self.mode = classifier
        self.threshold = classifier_threshold
        self.classifier = None
        if classifier != "none":
            from pipeline.models import model_path
            from pipeline.relations.classifier import RelationClassifier

            self.classifier = RelationClassifier.load(model_path(classifier_model))

    def __call__(self, release: Release) -> Release:
        if self.classifier is None:
            release.relations = self.extractor(release)
            return release
        from pipeline.relations.classifier import apply
        from pipeline.relations.common import merge_facts

        doc = self.extractor.facts(release)
        apply(doc, self.classifier, self.mode, self.threshold)
        release.relations = merge_facts(doc, self.min_score)
        return release
