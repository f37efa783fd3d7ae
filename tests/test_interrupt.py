"""Ctrl-C or SIGTERM in the middle of a run keeps the releases done so far; the next run goes on.

The signals are real (sent to this process while it reads the inputs), and so are the stages.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pandas as pd
import pytest

from pipeline.bench import synthesise
from pipeline.io.output import LOCK
from pipeline.registry import PipelineConfig
from pipeline.runner import CONFIG_FILE, Pipeline, run_batch

N = 120


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("many")
    synthesise(Path(__file__).resolve().parents[1] / "data" / "raw", N, folder)
    return folder


@pytest.fixture(scope="module")
def light_align(tmp_path_factory) -> Pipeline:
    """clean, convert and align (without the encoder): fast, and it has a corpus stage to skip."""
    path = tmp_path_factory.mktemp("cfg") / "c.toml"
    path.write_text('[pipeline]\nstages = ["clean", "convert", "align"]\n[stages.align]\nencoder = false\n', "utf-8")
    return Pipeline(PipelineConfig.load(path))


@pytest.fixture(autouse=True)
def terminal_signals():
    """Signals as in an interactive terminal (a background job or nohup starts with SIGINT ignored,
    and the runner leaves ignored signals alone); restored afterwards."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


def _signal_at(file_number: int, sig: int = signal.SIGTERM, times: int = 1):
    """An on_file callback that sends `sig` to this process when the given input file is reached."""
    seen: list[str] = []

    def on_file(name: str) -> None:
        seen.append(name)
        if len(seen) == file_number:
            for _ in range(times):
                os.kill(os.getpid(), sig)

    return on_file


def _releases(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "releases.parquet")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_keeps_the_releases_done_and_the_next_run_goes_on(corpus, light_align, tmp_path, sig):
    out = tmp_path / "out"
    first = run_batch([corpus], out, light_align, on_file=_signal_at(30, sig))
    assert first.interrupted
    kept = _releases(out)
    assert 30 <= len(kept) < N and len(kept) == first.written  # the chunk in hand is finished, the rest left
    assert kept["source_path"].is_unique
    assert pd.read_parquet(out / "alignments.parquet").empty  # the corpus stage waits for the whole batch
    assert (
        signal.getsignal(signal.SIGTERM) is signal.SIG_DFL and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    )  # restored

    started: list[str] = []
    second = run_batch([corpus], out, light_align, on_stage=started.append)
    assert not second.interrupted and second.ok
    assert started == ["align"]  # the corpus stage runs, and says so (the CLI shows it), only when all are done
    assert second.unchanged == len(kept) and second.written == N - len(kept)
    done = _releases(out)
    assert len(done) == N and done["source_path"].is_unique
    assert not pd.read_parquet(out / "alignments.parquet").empty
    # the same tables as one uninterrupted run
    whole = tmp_path / "whole"
    run_batch([corpus], whole, light_align)
    cols = ["source_path", "release_id", "clean_text", "duplicate_of"]
    pd.testing.assert_frame_equal(
        done[cols].sort_values("source_path").reset_index(drop=True),
        _releases(whole)[cols].sort_values("source_path").reset_index(drop=True),
    )


def test_an_ignored_signal_stays_ignored(corpus, light_align, tmp_path):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under nohup
    summary = run_batch([corpus], tmp_path / "out", light_align, on_file=_signal_at(10, signal.SIGINT))
    assert not summary.interrupted and summary.written == N
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def test_a_second_signal_stops_at_once_and_keeps_the_previous_tables(corpus, light_align, tmp_path):
    out = tmp_path / "out"
    run_batch([corpus], out, light_align, on_file=_signal_at(20))
    before = {p.name: p.read_bytes() for p in out.glob("*.parquet")}
    with pytest.raises(KeyboardInterrupt):
        run_batch([corpus], out, light_align, force=True, on_file=_signal_at(10, times=2))
    assert {p.name: p.read_bytes() for p in out.glob("*.parquet")} == before
    assert not [
        p for p in out.iterdir() if p.suffix != ".parquet" and p.name not in (LOCK, CONFIG_FILE)
    ]  # no temporary files left behind


def test_workers_stop_with_the_parent_and_the_rerun_completes(corpus, tmp_path, light_config):
    pipe = Pipeline(PipelineConfig.load(light_config), release_stages=False)
    out = tmp_path / "out"
    first = run_batch([corpus], out, pipe, workers=2, on_file=_signal_at(40))
    assert first.interrupted and 0 < first.written < N
    second = run_batch([corpus], out, pipe, workers=2)
    assert second.unchanged == first.written and len(_releases(out)) == N


def test_a_stop_during_the_corpus_stages_keeps_the_release_tables(corpus, tmp_path):
    from pipeline.registry import Stage, stage

    @stage("sigterm_self_test")
    class SigtermSelf(Stage):
        """A corpus stage that is told to stop (SIGTERM to its own process) while it works."""

        kind = "corpus"
        requires = ("clean_text",)
        provides = ("alignments",)

        def __call__(self, corpus):
            corpus.put("alignments", pd.DataFrame([{"en_release_id": "a", "zh_release_id": "b", "score": 1.0}]))
            os.kill(os.getpid(), signal.SIGTERM)
            return corpus

    path = tmp_path / "c.toml"
    path.write_text('[pipeline]\nstages = ["clean", "convert", "sigterm_self_test"]\n', "utf-8")
    out = tmp_path / "out"
    summary = run_batch([corpus], out, Pipeline(PipelineConfig.load(path)))
    assert summary.interrupted and summary.written == N
    assert len(_releases(out)) == N
    assert pd.read_parquet(out / "alignments.parquet").empty  # the stage's half-done update was dropped
    assert not [p for p in out.iterdir() if p.suffix != ".parquet" and p.name not in (LOCK, CONFIG_FILE)]
