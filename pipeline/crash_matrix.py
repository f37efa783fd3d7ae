"""The crash matrix: real `run` child processes stopped at each failpoint, and what they leave.

    python -m pipeline.crash_matrix [--n 24] [--config FILE] [--markdown]

For each way to stop a run (kill -9 at a named point, one Ctrl-C or SIGTERM there, a kill -9 from
outside after some seconds) it:
1. copies a folder of complete tables (a run over the corpus as it was: the "previous" tables),
2. changes the corpus (files edited, deleted, added) and runs over it, stopped as the row says,
3. reads the tables as any reader would (`Tables.read`) and says what each holds: `previous`
   (as before the run), `new` (as after an uninterrupted run), `partial` (this run's releases so far
   plus the previous rows) or `MIXED` (anything else: a bug),
4. runs the same command again, unstopped, and compares every table with an uninterrupted run from
   the same previous tables (`same` or `DIFFERENT`).
`tests/test_crash.py` runs some rows and asserts them; the README's table is this script's output.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.bench import synthesise
from pipeline.io.output import JOURNAL
from pipeline.io.tables import Tables

ROOT = Path(__file__).resolve().parents[1]
RELEASE_TABLES = ("releases", "entities", "relations")
CORPUS_TABLES = ("alignments", "entity_links", "events", "deals", "organisations", "people")
# columns of release tables that corpus stages fill (align, records): counted with the corpus tables
CORPUS_COLUMNS = {"releases": ("duplicate_of", "event_id"), "entities": ("org_id", "person_id")}


@dataclass(frozen=True)
class Stop:
    name: str  # what the row says
    failpoint: str | None = None  # MEDPR_FAILPOINT
    kill_after: float | None = None  # seconds before the parent sends SIGKILL


STOPS = (
    Stop("not stopped"),
    Stop("kill -9 after the first chunk", "release:first-chunk-written"),
    Stop("Ctrl-C after the first chunk", "release:first-chunk-written:SIGINT"),
    Stop("SIGTERM after the first chunk", "release:first-chunk-written:SIGTERM"),
    Stop("kill -9 with the release tables staged", "release:tables-staged"),
    Stop("kill -9 as align starts", "corpus:started"),
    Stop("SIGTERM as align starts", "corpus:started:SIGTERM"),
    Stop("kill -9 after align, before the commit", "corpus:finished"),
    Stop("kill -9 with the journal written", "commit:journal-written"),
    Stop("kill -9 between two table moves", "commit:first-table-moved"),
    Stop("kill -9 from outside after 3 s", kill_after=3.0),
)


def _frame(df: pd.DataFrame) -> pd.DataFrame:
    """A table as comparable text: run-specific columns dropped, rows sorted."""
    df = df.drop(columns=[c for c in ("run_started",) if c in df.columns]).astype(str)
    return df.sort_values(list(df.columns)).reset_index(drop=True)


def snapshot(folder: Path) -> dict[str, pd.DataFrame]:
    tables = Tables.read(folder)
    return {name: _frame(getattr(tables, name)) for name in Tables.names()}


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a.shape == b.shape and a.equals(b)


def classify(now: dict, previous: dict, new: dict) -> str:
    """What the folder holds: previous / new / partial, or MIXED."""
    if all(_same(now[t], previous[t]) for t in Tables.names()):
        return "previous"
    if all(_same(now[t], new[t]) for t in Tables.names() if t != "errors"):
        return "new"
    corpus_previous = all(_same(now[t], previous[t]) for t in CORPUS_TABLES)
    ids_now, ids_new, ids_prev = (set(s["releases"]["release_id"]) for s in (now, new, previous))
    if corpus_previous and ids_now <= ids_new | ids_prev:
        return "partial"  # this run's releases so far, the previous corpus tables
    return "MIXED"


def run_child(corpus: Path, out: Path, config: Path | None, stop: Stop) -> int:
    cmd = [sys.executable, str(ROOT / "run_pipeline.py"), "run", str(corpus), "--out", str(out), "-q"]
    if config:
        cmd += ["--config", str(config)]
    env = {k: v for k, v in os.environ.items() if k != "MEDPR_FAILPOINT"}
    if stop.failpoint:
        env["MEDPR_FAILPOINT"] = stop.failpoint
    # SIGINT at its default, as in a terminal's foreground job: a shell's background job (CI, `make &`)
    # ignores it, the child would inherit that, and the Ctrl-C rows would test nothing
    child = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    if stop.kill_after is not None:
        try:
            return child.wait(stop.kill_after)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
    return child.wait()


def corpora(n: int, work: Path) -> tuple[Path, Path]:
    """The corpus before (n releases) and after (two edited, two deleted, four added)."""
    every = work / "all"
    synthesise(ROOT / "data" / "raw", n + 4, every)
    files = sorted(every.iterdir())
    before, after = work / "before", work / "after"
    before.mkdir()
    after.mkdir()
    for f in files[:n]:
        shutil.copy(f, before / f.name)
    for i, f in enumerate(files):
        if i in (1, 2):  # deleted
            continue
        text = f.read_text("utf-8")
        if i in (3, 4):  # edited
            text += "\n\nThis paragraph was added later."
        (after / f.name).write_text(text, "utf-8")
    return before, after


@dataclass
class Row:
    stop: str
    exit_code: int
    journal_left: bool
    held: dict[str, str]
    rerun: str


def matrix(n: int, config: Path | None, names: list[str] | None = None, work: Path | None = None) -> list[Row]:
    work = Path(work or tempfile.mkdtemp(prefix="crash-matrix-"))
    before, after = corpora(n, work)
    previous_out = work / "previous"
    assert run_child(before, previous_out, config, STOPS[0]) in (0, 1)
    reference = work / "reference"
    shutil.copytree(previous_out, reference)
    assert run_child(after, reference, config, STOPS[0]) in (0, 1)
    previous, new = snapshot(previous_out), snapshot(reference)
    rows: list[Row] = []
    for stop in STOPS:
        if names and stop.name not in names and (stop.failpoint or "") not in names:
            continue
        out = work / f"out-{len(rows)}"
        shutil.copytree(previous_out, out)
        code = run_child(after, out, config, stop)
        journal = (out / JOURNAL).exists()
        now = snapshot(out)  # a reader: finishes an interrupted commit first
        held = {
            "release tables": _kind(now, previous, new, RELEASE_TABLES),
            "corpus tables": _kind(now, previous, new, CORPUS_TABLES),
            "whole folder": classify(now, previous, new),
        }
        if code != 0 or held["whole folder"] != "new":
            run_child(after, out, config, STOPS[0])
        again = snapshot(out)
        same = all(_same(again[t], new[t]) for t in Tables.names())
        rows.append(Row(stop.name, code, journal, held, "same" if same else "DIFFERENT"))
    return rows


def _kind(now: dict, previous: dict, new: dict, tables: tuple[str, ...]) -> str:
    """previous / new / partial for `tables`; the release tables without the columns corpus stages fill."""

    def part(snap: dict, t: str) -> pd.DataFrame:
        if tables is not RELEASE_TABLES:
            return snap[t]
        df = snap[t].drop(columns=[c for c in CORPUS_COLUMNS.get(t, ()) if c in snap[t].columns])
        return df.sort_values(list(df.columns)).reset_index(drop=True)

    if all(_same(part(now, t), part(previous, t)) for t in tables):
        return "previous"
    if all(_same(part(now, t), part(new, t)) for t in tables):
        return "new"
    return "partial"


def markdown(rows: list[Row]) -> str:
    lines = [
        "| stopped by | exit | journal left | release tables after | corpus tables after | folder | re-run vs uninterrupted |",
        "|---|---:|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.stop} | {r.exit_code} | {'yes' if r.journal_left else 'no'} | {r.held['release tables']} | "
            f"{r.held['corpus tables']} | {r.held['whole folder']} | {r.rerun} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=24, help="releases in the corpus (default 24)")
    ap.add_argument("--config", type=Path, help="pipeline config for the runs (default: the shipped one)")
    ap.add_argument("--only", action="append", help="only the rows with this name or failpoint (repeatable)")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one, removed)")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    work = args.keep or Path(tempfile.mkdtemp(prefix="crash-matrix-"))
    try:
        rows = matrix(args.n, args.config, args.only, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(markdown(rows))
    print(f"\n{len(rows)} rows, {time.perf_counter() - started:.0f} s")
    bad = [r for r in rows if r.rerun != "same" or "MIXED" in r.held.values()]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
