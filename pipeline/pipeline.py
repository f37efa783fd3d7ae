"""The configured stages as one object (the analogue of spaCy's `Language`): built once from a
`PipelineConfig`, applied to releases one at a time and to the batch's tables; its `version` names
everything that decides the output. The batch around it (reading, workers, writing) is runner.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline import __version__
from pipeline.io.tables import Corpus
from pipeline.models import digest, find_model
from pipeline.registry import STAGES, PipelineConfig, Stage, build_pipeline
from pipeline.release import Release


def rss_mb() -> float:
    """Resident memory of this process now, in MB (the peak so far where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE / 2**20
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


@dataclass
class StageUse:
    """What a stage cost: seconds in it, and the highest resident memory of a process running it,
    sampled as it returns (for `bench`; worker processes send theirs with each chunk)."""

    seconds: float = 0.0
    rss_mb: float = 0.0

    def add(self, other: StageUse) -> None:
        self.seconds += other.seconds
        self.rss_mb = max(self.rss_mb, other.rss_mb)


def pipeline_version(config: PipelineConfig) -> str:
    """The package version plus a hash of what decides the output: the filled config, the code and
    data of the package, and every model the configured stages load. Any of them changing makes
    `run` re-process releases it had written (`--force` is only needed to re-do them regardless)."""
    return _version_of(version_inputs(config))


def _version_of(inputs: dict) -> str:
    return f"{__version__}+{hashlib.sha1(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:8]}"


def version_inputs(config: PipelineConfig) -> dict:
    """What `pipeline_version` hashes, by name (written beside the tables in config.toml's header)."""
    filled = config.filled()
    models = {}
    for name in filled.stages:
        cls = STAGES[name]
        settings = filled.settings.get(name, {})
        for setting in cls.models_used(settings):
            found = find_model(settings[setting], cls.model_settings[setting])
            if found is not None:
                models[f"{name}.{setting}"] = digest(found)[:16]
    return {
        "package": __version__,
        "code": _code_digest()[:16],
        "config": hashlib.sha1(json.dumps([filled.stages, filled.settings], sort_keys=True, default=str).encode()).hexdigest()[
            :16
        ],
        "models": models,
    }


# the package's files that do not change what `run` writes: reviewing, training, benchmarks, docs
_NOT_OUTPUT = ("review/", "train/", "_models/", "bench", "crash_matrix", "failpoints")


@cache
def _code_digest() -> str:
    """sha256 over the package's source and data files (not the models: they are hashed one by one)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if not p.is_file() or "__pycache__" in rel or p.suffix in (".pyc", ".md") or rel.startswith(_NOT_OUTPUT):
            continue
        h.update(rel.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


class Pipeline:
    """The configured stages, built once (models load once) and applied to many batches.

    `release_stages=False` builds only the corpus stages (release stages are still checked): for a
    process that leaves the release stages to workers or a Dask cluster.
    """

    def __init__(self, config: PipelineConfig, release_stages: bool = True) -> None:
        self.config = config
        self.stages: list[Stage] = build_pipeline(config, ("release", "corpus") if release_stages else ("corpus",))
        self.has_release_stages = release_stages
        self.release_stages = [s for s in self.stages if s.kind == "release"]
        self.corpus_stages = [s for s in self.stages if s.kind == "corpus"]
        # what the version hashes, read once: the run's config.toml header names the same parts
        self.version_inputs = version_inputs(config)
        self.version = _version_of(self.version_inputs)
        self.usage: dict[str, StageUse] = defaultdict(StageUse)  # per stage, in this process and the workers

    def _apply(self, stage: Stage, data):
        """One stage on its input, timed; any exception becomes a StageError naming the stage."""
        t0 = time.perf_counter()
        try:
            out = stage(data)
        except Exception as e:
            raise StageError(stage.name, f"{type(e).__name__}: {e}", traceback.format_exc()) from e
        use = self.usage[stage.name]
        use.add(StageUse(time.perf_counter() - t0, rss_mb()))
        return out

    def take_usage(self) -> dict[str, StageUse]:
        """The usage recorded since the last call (a worker sends it with each chunk)."""
        usage, self.usage = dict(self.usage), defaultdict(StageUse)
        return usage

    def add_usage(self, usage: dict[str, StageUse]) -> None:
        for name, use in usage.items():
            self.usage[name].add(use)

    def process(self, release: Release) -> Release:
        """Run every release stage on one release; raises StageError naming the failing stage.

        Any exception counts: one bad release must not stop the batch.
        """
        if not self.has_release_stages:
            raise RuntimeError("this pipeline was built without its release stages (release_stages=False)")
        for s in self.release_stages:
            release = self._apply(s, release)
            if "clean_text" in s.provides and not release.clean_text.strip():
                # all boilerplate: an empty release would share one id with every other such file
                raise StageError(s.name, "no release text left after cleaning")
        return release

    def finish(self, corpus: Corpus, on_stage: Callable[[str], None] | None = None) -> Corpus:
        """Run the corpus stages over the tables of the whole batch (`on_stage(name)` as each starts)."""
        for s in self.corpus_stages:
            if on_stage:
                on_stage(s.name)
            corpus = self._apply(s, corpus)
        return corpus


class StageError(Exception):
    def __init__(self, stage: str, reason: str, trace: str = "") -> None:
        super().__init__(reason)
        self.stage, self.reason, self.trace = stage, reason, trace
