"""judge_entities: the learned span judge keeps or drops each entity candidate of a release.

The recognisers propose (high recall); the judge (pipeline/ner/span_filter.py, trained by
`run_pipeline.py train spans`) decides. A dropped candidate moves to `release.rejected` (the
`rejected_entities` table, with the recogniser's score as it was), so nothing is lost: a reviewer
can restore it, and `evaluate --cv` refits the judge on other folds over both tables. Runs after
relate, so relations are read from every candidate as before.
"""

from __future__ import annotations

from typing import ClassVar

from pipeline.registry import Stage, stage
from pipeline.release import Release

MODEL_FILE = "judge.json"


@stage("judge_entities")
class JudgeEntities(Stage):
    """Moves the candidates the judge rejects from `release.entities` to `release.rejected`.

    Settings: `model` is the model folder (its live/judge.json is loaded; `models/...` is
    under the models root, pipeline/models.py); `threshold` overrides the model's own cut on P(no entity): lower drops more;
    `variants` also proposes merged neighbours and the parts of `X and Y` (span_filter.variants),
    each kept only where the judge finds it likelier than what it overlaps.
    """

    requires = ("clean_text", "lang", "entities")
    provides = ("entities", "rejected")
    model_settings: ClassVar[dict[str, str]] = {"model": MODEL_FILE}

    def __init__(self, model: str = "models/span-judge", threshold: float | None = None, variants: bool = True) -> None:
        from pipeline.models import model_path, resolve
        from pipeline.ner.span_filter import SpanJudge

        setting = model_path(model)
        path = resolve(setting, MODEL_FILE)
        if path is None:
            raise FileNotFoundError(
                f"span judge not found under {setting} (expected live/{MODEL_FILE}): train it with"
                " `run_pipeline.py train spans`, or drop judge_entities from the config's stages"
            )
        if threshold is not None and not 0.0 < threshold <= 1.0:
            raise ValueError(f"judge_entities.threshold must be in (0, 1], not {threshold!r}")
        self.variants = variants
        self.judge = SpanJudge.load(path / MODEL_FILE)
        self.judge.relabel = False
        if threshold is not None:
            self.judge.threshold = threshold

    def __call__(self, release: Release) -> Release:
        from pipeline.ner.span_filter import Candidate, resolve, variants

        ids = [int(e.entity_id[1:]) for e in release.entities + release.rejected if e.entity_id[1:].isdigit()]
        cands = release.entities + (
            variants(release.entities, release.clean_text, release.lang, max(ids, default=0) + 1) if self.variants else []
        )
        p_none = [
            self.judge.p_none(
                Candidate(e.label, e.text, e.source, e.score, e.mentions, e.aliases, release.clean_text, release.lang)
            )
            for e in cands
        ]
        keep = resolve(cands, p_none, self.judge.threshold)
        release.entities = [e for e, k in zip(cands, keep) if k]
        release.rejected = release.rejected + [e for e, k in zip(cands, keep) if not k]
        return release
