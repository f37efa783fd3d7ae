"""align: fold copies, pair English and Chinese releases of one event, link their entities.

A corpus stage: it reads the batch's tables (releases, and entities when the config recognises
them), runs the steps of the algorithm (`pipeline/align/aligner.py`, where the rules are written
down) and writes `releases.duplicate_of`, `releases.event_id`, `alignments`, `entity_links` and,
on an output folder, the align cache (`OUT/cache/`).
"""

from __future__ import annotations

import inspect
import time
from typing import Any

from pipeline.align.aligner import Aligner, Entities
from pipeline.io.tables import Corpus, TableFolder
from pipeline.registry import Stage, stage


class _Clock:
    """Seconds per step of a call (what `align-bench` prints, to see where an incremental run spends)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.laps[step] = round(now - self._last, 2)
        self._last = now


@stage("align")
class Align(Stage):
    """Fills `releases.duplicate_of` and `releases.event_id`, `alignments` and `entity_links`.

    Reads `entities` when an earlier stage provides it (entity links, and the `entities` feature of
    the pair score: weights.json); without it no entity links, and weights_no_entities.json.
    """

    kind = "corpus"
    requires = ("lang", "text_hans")
    optional = ("entities",)
    provides = ("duplicate_of", "event_id", "alignments", "entity_links")

    def __init__(self, **settings: Any) -> None:
        self.aligner = Aligner(**settings)
        self.cache_stats: dict[str, int] = {}  # the last call's cache hits and misses (`AlignCache.stats`)
        self.cache_problems: list[str] = []  # the last call's unreadable cache files (rebuilt)
        self.seconds: dict[str, float] = {}  # the last call's seconds per step (for align-bench)

    # The settings and their defaults are the Aligner's, written once there; the registry reads a
    # stage's settings from its constructor's signature (`Stage.defaults`, bad settings refused).
    __init__.__signature__ = inspect.signature(Aligner.__init__)  # type: ignore[attr-defined]

    def prepare(self) -> None:
        self.aligner.prepare()

    def __call__(self, corpus: Corpus) -> Corpus:
        clock = _Clock()
        aligner = self.aligner
        ents = Entities.read(corpus)
        with aligner.batch(corpus) as cache:
            clock.lap("entities")
            copies = aligner.fold_copies(corpus, ents)
            corpus.set_column("releases", "duplicate_of", copies)
            clock.lap("copies")
            en, zh = aligner.sides(corpus, copies, ents)
            clock.lap("sides")
            cand, p = aligner.score_candidates(en, zh, ents)
            clock.lap("scores")
            decision = aligner.decide(en, zh, cand, p, aligner.languages(corpus), copies)
            clock.lap("decide")
            del en, zh, cand, p  # the signals are done with: free them before the entity links read the texts
            corpus.set_column("releases", "event_id", decision.event_of)
            alignments = aligner.expand(decision.pairs, copies)
            corpus.put("alignments", alignments)
            clock.lap("events")
            corpus.put("entity_links", aligner.links(alignments, corpus, ents))
            clock.lap("links")
            if cache.enabled and isinstance(corpus, TableFolder):  # enabled only on an output folder
                cache.save(corpus.txn)
            clock.lap("cache_save")
            self.cache_stats, self.cache_problems = dict(sorted(cache.stats.items())), list(cache.problems)
            self.seconds = clock.laps
        return corpus
