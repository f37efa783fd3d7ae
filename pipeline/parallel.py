"""Where release stages run: in this process, in N worker processes, or on a Dask cluster.

Each worker builds its own `Pipeline` once (models load once per worker) and processes chunks of
releases; results come back in input order with a bounded number of chunks in flight, so memory
stays flat however long the input is.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol

from pipeline.registry import PipelineConfig
from pipeline.release import Release

Outcome = Release | tuple[str, str]  # a processed release, or (stage, reason) when a stage failed

_WORKER_PIPELINES: dict[str, object] = {}


def _pipeline_for(config: PipelineConfig):
    """The pipeline of this worker process for `config`, built on first use."""
    from pipeline.pipeline import Pipeline, pipeline_version

    key = pipeline_version(config)
    if key not in _WORKER_PIPELINES:
        _WORKER_PIPELINES[key] = Pipeline(config)
    return _WORKER_PIPELINES[key]


def process_chunk(config: PipelineConfig, chunk: list[Release]) -> tuple[list[Outcome], dict]:
    """Run the release stages on a chunk; a failing release becomes (stage, reason). Also returns
    what each stage cost on this chunk (`StageUse` by stage name), for the caller's totals."""
    from pipeline.pipeline import StageError

    pipe = _pipeline_for(config)
    out: list[Outcome] = []
    for release in chunk:
        try:
            out.append(pipe.process(release))
        except StageError as e:
            out.append((e.stage, e.reason))
    return out, pipe.take_usage()


def _start_worker(config: PipelineConfig) -> None:
    """Worker start: Ctrl-C in a terminal reaches the whole process group, but only the parent
    decides how to stop (finish the chunk in hand, keep what is written); then build the pipeline."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _pipeline_for(config)


Result = tuple[list[Outcome], dict]  # a chunk's outcomes, in order, and its stages' usage


class Executor(Protocol):
    def map(self, chunks: Iterable[list[Release]]) -> Iterator[Result]: ...

    def close(self) -> None: ...


class InProcess:
    """Runs the chunks in this process, with the caller's already-built pipeline."""

    def __init__(self, pipeline) -> None:
        self.pipeline = pipeline
        _WORKER_PIPELINES[pipeline.version] = pipeline

    def map(self, chunks: Iterable[list[Release]]) -> Iterator[Result]:
        for chunk in chunks:
            yield process_chunk(self.pipeline.config, chunk)

    def close(self) -> None:
        pass


def _bounded(submit, chunks: Iterable[list[Release]], window: int) -> Iterator[Result]:
    pending: deque[Future] = deque()
    for chunk in chunks:
        pending.append(submit(chunk))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


class Processes:
    """N worker processes on this machine (spawned, so each loads the models itself).

    The workers start and load their models at once, while this process is still finding and
    reading the input files.
    """

    def __init__(self, config: PipelineConfig, workers: int) -> None:
        self.config = config
        self.workers = workers
        self.pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_start_worker, initargs=(config,)
        )
        for _ in range(workers):
            self.pool.submit(int)  # starts the worker processes now, not at the first chunk

    def map(self, chunks: Iterable[list[Release]]) -> Iterator[Result]:
        return _bounded(lambda c: self.pool.submit(process_chunk, self.config, c), chunks, 2 * self.workers)

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)  # chunks not started when a run stops early are dropped


class Dask:
    """Chunks sent to a Dask cluster; each Dask worker process keeps its own pipeline."""

    def __init__(self, config: PipelineConfig, scheduler: str) -> None:
        from distributed import Client

        self.config = config
        self.client = Client(scheduler)
        self.window = 2 * max(1, sum(self.client.nthreads().values()))

    def map(self, chunks: Iterable[list[Release]]) -> Iterator[Result]:
        return _bounded(lambda c: self.client.submit(process_chunk, self.config, c, pure=False), chunks, self.window)

    def close(self) -> None:
        self.client.close()
