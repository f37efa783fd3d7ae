"""Real `run` child processes stopped by kill -9, Ctrl-C and SIGTERM at every failpoint (issue 13
item 1): what a reader finds after, and that the re-run writes what an uninterrupted run writes.

The rows are `pipeline.crash_matrix`'s (the README's table is its output on the shipped config);
here on a light config (clean, convert, align without the encoder), which has both kinds of table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import crash_matrix
from pipeline.crash_matrix import STOPS

N = 10


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> dict[str, crash_matrix.Row]:
    work = tmp_path_factory.mktemp("crash")
    config = work / "light.toml"
    config.write_text('[pipeline]\nstages = ["clean", "convert", "align"]\n[stages.align]\nencoder = false\n', "utf-8")
    names = [s.name for s in STOPS if s.kill_after is None]  # an outside kill's timing is the machine's
    return {r.stop: r for r in crash_matrix.matrix(N, config, names, work / "matrix")}


def test_every_stop_leaves_a_folder_a_reader_can_name_and_the_rerun_matches(rows):
    assert len(rows) == len([s for s in STOPS if s.kill_after is None])
    for row in rows.values():
        assert row.held["whole folder"] in ("previous", "new", "partial"), row
        assert row.rerun == "same", row


def test_uninterrupted_run_writes_the_new_tables(rows):
    row = rows["not stopped"]
    assert (row.exit_code, row.journal_left) == (0, False)
    assert row.held == {"release tables": "new", "corpus tables": "new", "whole folder": "new"}


@pytest.mark.parametrize(
    "stop",
    [
        "kill -9 after the first chunk",
        "kill -9 with the release tables staged",
        "kill -9 as align starts",
        "kill -9 after align, before the commit",
    ],
)
def test_kill_before_the_journal_leaves_the_previous_tables(rows, stop):
    row = rows[stop]
    assert row.exit_code == -9 and not row.journal_left
    assert row.held["whole folder"] == "previous", row


@pytest.mark.parametrize("stop", ["kill -9 with the journal written", "kill -9 between two table moves"])
def test_kill_during_the_commit_is_rolled_forward_by_the_next_reader(rows, stop):
    row = rows[stop]
    assert row.exit_code == -9 and row.journal_left
    assert row.held["whole folder"] == "new", row


@pytest.mark.parametrize("stop", ["Ctrl-C after the first chunk", "SIGTERM after the first chunk", "SIGTERM as align starts"])
def test_graceful_stop_keeps_releases_done_and_the_previous_corpus_tables(rows, stop):
    """The releases read so far are committed; the alignments stay as they were until align runs."""
    row = rows[stop]
    assert row.exit_code == 130 and not row.journal_left  # as after Ctrl-C
    assert row.held["corpus tables"] == "previous", row
    assert row.held["release tables"] in ("partial", "new"), row
    assert row.held["whole folder"] == "partial", row


def test_matrix_command_prints_the_table(tmp_path, capsys):
    config = tmp_path / "light.toml"
    config.write_text('[pipeline]\nstages = ["clean", "convert", "align"]\n[stages.align]\nencoder = false\n', "utf-8")
    code = crash_matrix.main(
        ["--n", "6", "--config", str(config), "--only", "corpus:started:SIGTERM", "--keep", str(tmp_path / "w")]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[2] == "| SIGTERM as align starts | 130 | no | new | previous | partial | same |"
    assert Path(tmp_path / "w" / "previous" / "releases.parquet").exists()
