"""The output folder as one unit (issue 13 items 2, 5, 6, 8): a lock against a second writer, file
modes from the umask, what a re-run over a folder keeps, unique release ids, errors across runs,
and the temporary files a killed run leaves. Real child `run` processes, real files.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.io.output import LOCK, OutputLock
from pipeline.io.tables import Tables

from .conftest import RAW, ROOT

LIGHT = '[pipeline]\nstages = ["clean", "convert", "align"]\n[stages.align]\nencoder = false\n'


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cfg") / "light.toml"
    path.write_text(LIGHT, "utf-8")
    return path


def _command(config: Path, out: Path, *inputs: Path, extra: tuple[str, ...] = ()) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "run_pipeline.py"),
        "run",
        *map(str, inputs),
        "--out",
        str(out),
        "--config",
        str(config),
        "-q",
        *extra,
    ]


def run(
    config: Path, out: Path, *inputs: Path, extra: tuple[str, ...] = (), env: dict | None = None, umask: int | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        _command(config, out, *inputs, extra=extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        preexec_fn=(lambda: os.umask(umask)) if umask is not None else None,
    )


def said(done: subprocess.CompletedProcess) -> str:
    """What the command printed (the summary and messages go to stderr, as rich's console does)."""
    return done.stdout + done.stderr


def start(config: Path, out: Path, *inputs: Path, extra: tuple[str, ...] = ()) -> subprocess.Popen:
    return subprocess.Popen(
        _command(config, out, *inputs, extra=extra),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


def folder_of(tmp: Path, name: str, files: list[str]) -> Path:
    folder = tmp / name
    folder.mkdir()
    for f in files:
        shutil.copy(RAW / f, folder / f)
    return folder


RAW_FILES = sorted(p.name for p in RAW.glob("*.txt"))
EN_FILES = [f for f in RAW_FILES if f.startswith("en_")]


def releases(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "releases.parquet")


# --- item 2: one writer at a time -----------------------------------------------------------------


def test_a_second_run_on_a_busy_folder_stops_with_a_clear_message(config, tmp_path):
    inp, out = folder_of(tmp_path, "in", EN_FILES[:2]), tmp_path / "out"
    with OutputLock(out, purpose="test holder"):
        done = run(config, out, inp)
    assert done.returncode == 75, said(done)
    assert "is in use by test holder (pid" in said(done) and "--wait" in said(done), said(done)
    assert not list(out.glob("*.parquet"))  # it wrote nothing


def test_with_wait_the_second_run_waits_for_the_lock_then_runs(config, tmp_path):
    inp, out = folder_of(tmp_path, "in", EN_FILES[:2]), tmp_path / "out"
    lock = OutputLock(out, purpose="test holder")
    lock.acquire()
    try:
        child = start(config, out, inp, extra=("--wait",))
        time.sleep(8)  # long enough to import, load and reach the lock
        assert child.poll() is None, child.communicate()[0]
        assert not list(out.glob("*.parquet"))
    finally:
        lock.release()
    output, _ = child.communicate(timeout=300)
    assert child.returncode == 0, output
    assert sorted(releases(out).source_path) == sorted(EN_FILES[:2])


def test_two_runs_at_once_on_one_folder_lose_no_rows(config, tmp_path):
    """Without the lock the second run's commit replaced the first's releases (align read them at its start)."""
    first = folder_of(tmp_path, "first", RAW_FILES[: len(RAW_FILES) // 2])
    second = folder_of(tmp_path, "second", RAW_FILES[len(RAW_FILES) // 2 :])
    out = tmp_path / "out"
    children = [start(config, out, inp, extra=("--wait",)) for inp in (first, second)]
    outputs = [c.communicate(timeout=300)[0] for c in children]
    assert [c.returncode for c in children] == [0, 0], outputs
    assert sorted(releases(out).source_path) == RAW_FILES
    alignments = pd.read_parquet(out / "alignments.parquet")
    assert set(alignments.en_release_id) | set(alignments.zh_release_id) <= set(releases(out).release_id)


# --- item 5: file modes ------------------------------------------------------------------------------


@pytest.mark.parametrize("umask, mode", [(0o002, 0o664), (0o022, 0o644), (0o077, 0o600)])
def test_tables_get_the_mode_the_umask_gives(config, tmp_path, umask, mode):
    inp, out = folder_of(tmp_path, "in", EN_FILES[:1]), tmp_path / "out"
    done = run(config, out, inp, umask=umask)
    assert done.returncode == 0, said(done) + done.stderr
    tables = sorted(out.glob("*.parquet"))
    assert len(tables) == len(Tables.names())  # every table of SCHEMAS, rejected_entities too
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in tables} == {p.name: mode for p in tables}


# --- item 6: what a re-run over a folder means ---------------------------------------------------------


def test_rows_of_deleted_and_renamed_inputs_are_dropped_and_other_folders_kept(config, tmp_path):
    inp = folder_of(tmp_path, "in", RAW_FILES[:4])
    other = folder_of(tmp_path, "other", RAW_FILES[4:6])
    out = tmp_path / "out"
    assert run(config, out, inp).returncode == 0
    assert run(config, out, other).returncode == 0
    (inp / RAW_FILES[1]).unlink()
    (inp / RAW_FILES[2]).rename(inp / "renamed.txt")

    done = run(config, out, inp)

    assert done.returncode == 0, said(done)
    assert re.search(r"dropped: input file gone\W+2\b", said(done)), said(done)
    kept = releases(out)
    assert sorted(kept.source_path) == sorted([RAW_FILES[0], "renamed.txt", RAW_FILES[3], *RAW_FILES[4:6]])
    assert set(kept.set_index("source_path").source_root) == {str(inp.resolve()), str(other.resolve())}
    entities = pd.read_parquet(out / "entities.parquet")
    assert set(entities.release_id) <= set(kept.release_id)  # no entity of a dropped release


def test_identical_text_in_two_files_gets_two_release_ids_that_stay(config, tmp_path):
    inp = folder_of(tmp_path, "in", EN_FILES[:1])
    shutil.copy(inp / EN_FILES[0], inp / "copy_of_it.txt")
    out = tmp_path / "out"
    assert run(config, out, inp).returncode == 0
    first = releases(out).set_index("source_path").release_id
    assert first.is_unique and len(first) == 2
    assert run(config, out, inp).returncode == 0
    assert releases(out).set_index("source_path").release_id.sort_index().equals(first.sort_index())


# --- item 8: errors across runs, temporary files -------------------------------------------------------


def test_errors_keep_the_failures_of_earlier_runs_until_their_input_is_read_again(config, tmp_path):
    bad = folder_of(tmp_path, "bad", EN_FILES[:1])
    (bad / "empty.txt").write_bytes(b"")
    good = folder_of(tmp_path, "good", EN_FILES[1:2])
    out = tmp_path / "out"
    assert run(config, out, bad).returncode == 1
    first = pd.read_parquet(out / "errors.parquet")
    assert list(first.source_path) == ["empty.txt"] and first.run_started.iloc[0]

    done = run(config, out, good)  # another folder: the earlier failure stays, with its run
    assert done.returncode == 0, said(done)
    assert re.search(r"failures of earlier runs kept in errors\W+1\b", said(done)), said(done)
    kept = pd.read_parquet(out / "errors.parquet")
    pd.testing.assert_frame_equal(kept, first)

    (bad / "empty.txt").write_text((RAW / EN_FILES[2]).read_text("utf-8"), "utf-8")
    assert run(config, out, bad).returncode == 0  # read again, and read well: its failure goes
    assert pd.read_parquet(out / "errors.parquet").empty
    assert "empty.txt" in set(releases(out).source_path)


def test_temporary_files_of_a_killed_run_are_removed_by_the_next(config, tmp_path):
    inp, out = folder_of(tmp_path, "in", RAW_FILES), tmp_path / "out"
    assert run(config, out, folder_of(tmp_path, "small", RAW_FILES[:1])).returncode == 0
    before = {p.name: p.read_bytes() for p in out.glob("*.parquet")}

    killed = run(config, out, inp, env={"MEDPR_FAILPOINT": "release:first-chunk-written"})

    assert killed.returncode == -signal.SIGKILL
    strays = [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert strays, sorted(p.name for p in out.iterdir())  # what the kill left
    assert {p.name: p.read_bytes() for p in out.glob("*.parquet")} == before  # tables as they were
    done = run(config, out, inp)
    assert done.returncode == 0, said(done)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [LOCK]
