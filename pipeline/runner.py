"""Runs a batch: read inputs, run release stages on new or changed releases, corpus stages on all,
and write the tables. Bad input is recorded in the `errors` table and never stops the batch.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pipeline.failpoints import failpoint
from pipeline.io.output import OutputLock, Transaction
from pipeline.io.readers import DEFAULT_MAX_BYTES, InputFile, ReadError, discover, read_file
from pipeline.io.tables import (
    SCHEMAS,
    StreamingWriter,
    TableFolder,
    Tables,
    empty,
    iter_old_rows,
    release_rows,
    to_arrow,
    write_parquet,
)
from pipeline.pipeline import Pipeline, StageError, StageUse, pipeline_version, rss_mb  # noqa: F401 (re-exported)
from pipeline.registry import Stage
from pipeline.release import Release


@dataclass
class Summary:
    read: int = 0
    written: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (source, stage, reason)
    interrupted: bool = False  # stopped by Ctrl-C or SIGTERM: the releases done so far are written, corpus stages not run
    dropped: int = 0  # releases whose input file is gone from a folder this run read (their rows removed)
    earlier_failures: int = 0  # failures of earlier runs kept in `errors` (their inputs were not read now)

    @property
    def ok(self) -> bool:
        return not self.failed


@contextmanager
def _signals_handled(signals: tuple[int, ...], handler: Callable) -> Iterator[None]:
    """`handler` for `signals` inside the block, the previous handlers after it. Only the main
    thread can catch signals; one ignored by whoever started us (nohup, a background job) stays ignored."""
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, handler) for sig in signals if signal.getsignal(sig) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _interrupt(signum: int, frame) -> None:
    """SIGTERM as Ctrl-C: KeyboardInterrupt, so the cleanup (dropping half-written tables) runs."""
    raise KeyboardInterrupt


class StopRequest:
    """Ctrl-C or SIGTERM while releases are processed: finish the chunk in hand, write what is done
    (the next run skips it as unchanged) and stop. A second signal stops at once, writing nothing."""

    def __init__(self) -> None:
        self.requested = False

    def handle(self, signum: int, frame) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


class OutputError(Exception):
    """The output folder holds tables this run cannot read, so it would lose their rows."""


@dataclass
class Inputs:
    """What this run reads: the folders it covers (a file gone from one of them drops its rows), and
    per source path the input root it came from (written as `releases.source_root`)."""

    folders: set[str] = field(default_factory=set)
    root_of: dict[str, str] = field(default_factory=dict)  # source path (file part) -> root
    seen: set[str] = field(default_factory=set)  # source paths read or failed this run (file parts too)

    def gone(self, root: str | None, source: str) -> bool:
        """Whether `source` (of an earlier run, from `root`) is no longer there: its folder was read
        now and neither it nor its file was met."""
        return root in self.folders and source not in self.seen and source.split("#", 1)[0] not in self.seen


def iter_releases(
    inputs: list[Path],
    max_bytes: int,
    summary: Summary,
    on_total: Callable[[int], None] | None = None,
    reading: Inputs | None = None,
) -> Iterator[tuple[str, Release | ReadError]]:
    """(source path, release or read error) for every input, in order; a source path met twice (the
    same relative path under two input folders) is an error for the second: it would share one row."""
    reading = reading if reading is not None else Inputs()
    found: list[tuple[str, InputFile]] = []
    for inp in inputs:
        files, missing = discover([inp])
        root = str(Path(inp).resolve() if Path(inp).is_dir() else Path(inp).resolve().parent)
        if Path(inp).is_dir():
            reading.folders.add(root)
        for path, reason in missing:
            summary.failed.append((path, "read", reason))
        found.extend((root, f) for f in files)
    if on_total:
        on_total(len(found))
    for root, f in found:
        if f.rel in reading.root_of:
            yield f.rel, ReadError(f"the same path as {reading.root_of[f.rel]}/{f.rel}: give each input folder its own --out")
            continue
        reading.root_of[f.rel] = root
        reading.seen.add(f.rel)
        for item in read_file(f, max_bytes=max_bytes):
            source = item.source_path if isinstance(item, Release) else f.rel
            reading.seen.add(source)
            yield source, item


def run_batch(
    inputs: list[Path],
    out: Path,
    pipeline: Pipeline,
    force: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_file: Callable[[str], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    chunk_size: int = 8,
    on_stage: Callable[[str], None] | None = None,
    wait: bool = False,
) -> Summary:
    """Process `inputs` into the tables under `out`, keeping rows of unchanged releases.

    Release stages run in this process (`workers=1`), in `workers` processes, or on the Dask
    cluster at `scheduler`; corpus stages then run here over the whole batch (`on_stage(name)`
    as each starts: they can take minutes on a large batch). The run holds the folder's lock
    (`wait`: wait for another run to finish instead of raising OutputBusy), and every table it
    writes moves in at one commit at the end.
    """
    with OutputLock(out, wait=wait, purpose="run"):
        return _run_locked(
            inputs, Path(out), pipeline, force, max_bytes, on_file, on_total, workers, scheduler, chunk_size, on_stage
        )


def _run_locked(inputs, out, pipeline, force, max_bytes, on_file, on_total, workers, scheduler, chunk_size, on_stage) -> Summary:
    from pipeline.parallel import Dask, Executor, InProcess, Processes

    summary = Summary()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    known = _previous_runs(out)
    ids = _Ids({rid: src for src, (_, _, rid) in known.items()})
    reading = Inputs()
    keep_old: set[str] = set()  # source paths whose previous rows stay

    def to_process() -> Iterator[list[Release]]:
        """Chunks of releases that need the stages; read errors and unchanged ones are noted here."""
        chunk: list[Release] = []
        last_source = None
        for source, item in iter_releases(inputs, max_bytes, summary, on_total, reading):
            file_part = source.split("#", 1)[0]
            if on_file and file_part != last_source:
                on_file(file_part)
                last_source = file_part
            if isinstance(item, ReadError):
                summary.failed.append((source, "read", str(item)))
                keep_old.add(source)
                continue
            summary.read += 1
            prev = known.get(item.source_path)
            if not force and prev and prev[0] == item.source_sha and prev[1] == pipeline.version:
                summary.unchanged += 1
                keep_old.add(item.source_path)
                continue
            chunk.append(item)
            if len(chunk) >= chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    preparing = None
    executor: Executor
    if scheduler or workers > 1:
        executor = Dask(pipeline.config, scheduler) if scheduler else Processes(pipeline.config, workers)
        # this process only waits for results meanwhile: the corpus stages load their models now
        preparing = threading.Thread(target=_prepare, args=(pipeline.corpus_stages,), name="prepare corpus stages", daemon=True)
        preparing.start()
    elif pipeline.has_release_stages:
        executor = InProcess(pipeline)
    else:
        executor = InProcess(Pipeline(pipeline.config))
    txn = Transaction(out)
    # the release tables; the corpus tables keep their previous content until a corpus stage replaces them
    writer = StreamingWriter(txn, RELEASE_TABLES)
    sources: list[list[str]] = []  # source paths of each chunk in flight, in order
    new_sources: set[str] = set()
    new_ids: set[str] = set()

    def remember(chunk_iter: Iterator[list[Release]]) -> Iterator[list[Release]]:
        for c in chunk_iter:
            sources.append([r.source_path for r in c])
            yield c

    try:
        stop = StopRequest()
        with _signals_handled((signal.SIGTERM,), _interrupt):
            with _signals_handled((signal.SIGINT, signal.SIGTERM), stop.handle):
                for i, (outcomes, usage) in enumerate(executor.map(remember(to_process()))):
                    pipeline.add_usage(usage)
                    done = []
                    for source, outcome in zip(sources[i], outcomes):
                        if isinstance(outcome, Release):
                            done.append(ids.claim(outcome))
                        else:
                            summary.failed.append((source, *outcome))
                            keep_old.add(source)
                    sources[i] = []
                    for r in _append_releases(writer, done, pipeline.version, summary, keep_old, reading.root_of):
                        new_sources.add(r.source_path)
                        new_ids.add(r.release_id)
                        summary.written += 1
                    if i == 0:
                        failpoint("release:first-chunk-written")
                    if stop.requested:  # chunks still in flight are dropped: the next run does them
                        summary.interrupted = True
                        break
            summary.dropped = _carry_over(out, writer, new_sources - keep_old, new_ids, reading)
            _write_errors(out, writer, summary, pipeline.version, started, reading, new_sources)
            writer.finish()
            failpoint("release:tables-staged")
    except BaseException:
        writer.abort()
        txn.abort()
        raise
    finally:
        executor.close()
    if preparing:
        preparing.join()
    try:
        if pipeline.corpus_stages and not summary.interrupted:
            _run_corpus_stages(out, txn, pipeline, summary, on_stage, started)
        for name in Tables.names():  # every SCHEMA table exists after a run, so readers always find them
            if not txn.path(f"{name}.parquet").exists():
                write_parquet(txn, empty(name), SCHEMAS[name], f"{name}.parquet")
        _stage_config(txn, pipeline, started)
        txn.commit()
    except BaseException:
        txn.abort()
        raise
    return summary


CONFIG_FILE = "config.toml"


def _stage_config(txn: Transaction, pipeline: Pipeline, started: str) -> None:
    """The filled config of this run, beside the tables it wrote (in the same commit): every
    setting spelled out, reloadable with `run --config OUT/config.toml`."""
    inputs = pipeline.version_inputs
    header = "\n".join(
        [
            f"The pipeline config of the run started {started} into this folder, every setting filled in.",
            f"Run it again with: run_pipeline.py run --config {txn.folder / CONFIG_FILE} ...",
            f"pipeline_version {pipeline.version}: package {inputs['package']}, code {inputs['code']}, config {inputs['config']}",
            *(f"  model {name}: {d}" for name, d in inputs["models"].items()),
        ]
    )
    tmp = txn.new_file(CONFIG_FILE)
    tmp.write_text(pipeline.config.filled().to_toml(header), encoding="utf-8")
    txn.stage(CONFIG_FILE, tmp)


RELEASE_TABLES = ("releases", "entities", "relations", "rejected_entities", "errors")
# the tables with one group of rows per release (everything but errors), carried over by release_id
_PER_RELEASE = RELEASE_TABLES[:-1]


def _run_corpus_stages(out: Path, txn: Transaction, pipeline: Pipeline, summary: Summary, on_stage, started: str) -> None:
    """The corpus stages over the staged tables. Stopped or failed, their updates are dropped and the
    run's release tables still go in (with the previous corpus tables, and the failure recorded)."""
    corpus = TableFolder(out, within=txn)
    try:
        with _signals_handled((signal.SIGTERM,), _interrupt):
            failpoint("corpus:started")
            pipeline.finish(corpus, on_stage)
            failpoint("corpus:finished")
            corpus.commit()
    except KeyboardInterrupt:  # the release tables go in; the corpus stages' are dropped
        corpus.abort()
        summary.interrupted = True
    except StageError as e:  # the release tables go in; the failure is reported and recorded
        corpus.abort()
        summary.failed.append(("(whole batch)", e.stage, e.reason))
        row = {
            "source_path": "(whole batch)",
            "stage": e.stage,
            "reason": e.reason,
            "pipeline_version": pipeline.version,
            "run_started": started,
        }
        errors = pd.concat([*corpus.batches("errors", SCHEMAS["errors"].names), pd.DataFrame([row])], ignore_index=True)
        corpus.put("errors", errors)
        corpus.commit()


class _Ids:
    """Keeps release_id unique in the output folder: a release whose cleaned text another source
    already has (an identical copy in another file) gets an id salted with its source path. The
    first source written keeps the plain hash, so ids of releases already written never change."""

    def __init__(self, owners: dict[str, str]) -> None:
        self.owners = owners  # release_id -> source path

    def claim(self, release: Release) -> Release:
        owner = self.owners.setdefault(release.release_id, release.source_path)
        if owner != release.source_path:
            release.id_salt = release.source_path
            self.owners[release.release_id] = release.source_path
        return release


def _prepare(stages: list[Stage]) -> None:
    """Each stage's `prepare`; a failure is left for the stage's real call to report (as a StageError)."""
    for s in stages:
        try:
            s.prepare()
        except Exception:  # reported when the stage runs: its error names the stage
            return


_CAST_ERRORS = (pa.ArrowException, ValueError, TypeError, OverflowError)


def _arrow_rows(releases: list[Release], version: str, root_of: dict[str, str]) -> dict[str, pa.Table]:
    rows = release_rows(releases, version, root_of)
    return {n: to_arrow(getattr(rows, n), SCHEMAS[n], keep_extra=False) for n in _PER_RELEASE}


def _append_releases(
    writer: StreamingWriter, done: list[Release], version: str, summary: Summary, keep_old: set[str], root_of: dict[str, str]
) -> list[Release]:
    """Append the rows of processed releases and return those written. A release whose values do
    not fit the schema (a stage's bad date or score) is reported and keeps its previous rows: it
    must not stop the batch."""
    try:
        batches = [(done, _arrow_rows(done, version, root_of))]
    except _CAST_ERRORS:
        batches = []
        for r in done:
            try:
                batches.append(([r], _arrow_rows([r], version, root_of)))
            except _CAST_ERRORS as e:
                summary.failed.append((r.source_path, "write", f"{type(e).__name__}: {e}"))
                keep_old.add(r.source_path)
    written: list[Release] = []
    for releases, tables in batches:
        for name, table in tables.items():
            writer.append(name, table)
        written.extend(releases)
    return written


def _previous_runs(out: Path) -> dict[str, tuple[str, str, str]]:
    """source_path -> (source_sha, pipeline_version, release_id) of the releases already written."""
    path = Path(out) / "releases.parquet"
    if not path.exists():
        return {}
    cols = ["source_path", "source_sha", "pipeline_version", "release_id"]
    for name in Tables.names():
        table = Path(out) / f"{name}.parquet"
        if table.exists():
            try:
                pq.ParquetFile(table)
            except (pa.ArrowException, OSError) as e:
                raise OutputError(f"{table} is not a readable Parquet table ({e}); move it away or choose another --out") from e
    try:
        df = pd.read_parquet(path, columns=cols)
    except (KeyError, ValueError):
        return {}  # written by an older version without these columns: everything is re-processed
    columns = (df[c].tolist() for c in cols)
    return {path: (sha, version, rid) for path, sha, version, rid in zip(*columns)}


def _carry_over(out: Path, writer: StreamingWriter, drop_sources: set[str], new_ids: set[str], reading: Inputs) -> int:
    """Copy the previous rows of releases not re-processed now (unchanged, failed, other inputs).

    A release whose input is gone from a folder this run read (deleted, renamed) is dropped with its
    rows: a run over a folder leaves the tables holding what the folder holds now. Releases of other
    inputs stay. A kept release met again under another folder (the folder moved) gets that folder
    as its `source_root`. Returns the number of releases dropped as gone."""
    kept_ids: set[str] = set()
    dropped = 0

    def keep_release(t: pa.Table) -> pa.Table:
        nonlocal dropped
        sources = t["source_path"].to_pylist()
        roots = t["source_root"].to_pylist() if "source_root" in t.column_names else [None] * len(sources)
        gone = [reading.gone(root, src) for root, src in zip(roots, sources)]
        dropped += sum(gone)
        keep = [not g and src not in drop_sources for g, src in zip(gone, sources)]
        roots_now = [reading.root_of.get(src.split("#", 1)[0], root) for src, root in zip(sources, roots)]
        t = _with_column(t, "source_root", pa.array(roots_now, pa.string())).filter(pa.array(keep, pa.bool_()))
        kept_ids.update(t["release_id"].to_pylist())
        return t

    for t in iter_old_rows(out, "releases", lambda t: None):
        t = keep_release(t)
        if t.num_rows:
            writer.append("releases", t)
    keep = pa.array(sorted(kept_ids - new_ids), pa.string())
    for name in _PER_RELEASE[1:]:
        for t in iter_old_rows(out, name, lambda t: pc.is_in(t["release_id"], value_set=keep)):
            writer.append(name, t)
    return dropped


def _with_column(t: pa.Table, name: str, values: pa.Array) -> pa.Table:
    if name in t.column_names:
        return t.set_column(t.column_names.index(name), name, values)
    return t.append_column(name, values)


def _write_errors(
    out: Path, writer: StreamingWriter, summary: Summary, version: str, started: str, reading: Inputs, new_sources: set[str]
) -> None:
    """This run's failures, and those of earlier runs whose inputs this run did not read again (another
    folder's, or a release whose previous rows are still in the tables), each with the run it came from.
    An earlier failure of an input read now is replaced by what happened now; one whose input is gone
    from a folder read now is dropped with it."""
    now = pd.DataFrame(
        [
            {
                "source_path": s,
                "stage": st,
                "reason": r,
                "pipeline_version": version,
                "run_started": started,
                "source_root": reading.root_of.get(s.split("#", 1)[0]),
            }
            for s, st, r in summary.failed
        ],
        columns=SCHEMAS["errors"].names,
    )
    writer.append("errors", now)

    def earlier(t: pa.Table) -> pa.Array:
        sources = t["source_path"].to_pylist()
        roots = t["source_root"].to_pylist() if "source_root" in t.column_names else [None] * len(sources)
        return pa.array(
            [
                src != "(whole batch)"
                and src not in reading.seen
                and src.split("#", 1)[0] not in reading.seen
                and src not in new_sources
                and not reading.gone(root, src)
                for src, root in zip(sources, roots)
            ],
            pa.bool_(),
        )

    for t in iter_old_rows(out, "errors", earlier):
        summary.earlier_failures += t.num_rows
        writer.append("errors", t)
