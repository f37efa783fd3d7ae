"""The align stage's cache in the output folder (`pipeline.align.cache`): per-release and per-pair
values reused by the next run, invalidated by the stage's version and the release's content,
rebuilt when damaged, and written with the run's tables or not at all.

The tables come from one real run of the shipped pipeline on data/raw (entities, relations); the
corpus stages then run on copies of that output folder as `run` hands it to them (a `TableFolder`).
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from pipeline.align.cache import PAIRS, RELEASES
from pipeline.io.output import LOCK
from pipeline.io.tables import TableFolder, Tables
from pipeline.stages.align import Align
from pipeline.stages.records import Records

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"
CORPUS_TABLES = ("alignments", "entity_links", "events", "deals", "organisations", "people")


@pytest.fixture(scope="module")
def run_out(tmp_path_factory, cli) -> Path:
    """The tables of one run over data/raw (its own cache removed)."""
    folder = tmp_path_factory.mktemp("cache-run")
    code, output = cli("run", RAW, "--out", folder / "out", "-q")
    assert code == 0, output
    shutil.rmtree(folder / "out" / "cache", ignore_errors=True)
    return folder / "out"


def _release_tables(src: Path, dest: Path, keep=None) -> Path:
    """The release tables of `src` (only the releases `keep` names, if given) as a new output folder."""
    t = Tables.read(src)
    out = Tables()
    ids = set(t.releases.release_id) if keep is None else set(keep)
    for name in ("releases", "entities", "relations", "rejected_entities"):
        df = getattr(t, name)
        setattr(out, name, df[df.release_id.isin(ids)].reset_index(drop=True))
    out.write(dest)
    return dest


def _corpus_stages(folder: Path, **settings) -> Align:
    """align then records on the output folder, committed; the align stage (its `cache_stats`)."""
    corpus = TableFolder(folder)
    align = Align(**settings)
    align(corpus)
    Records()(corpus)
    corpus.commit()
    return align


def _corpus_tables(folder: Path) -> dict[str, pd.DataFrame]:
    got = {name: pd.read_parquet(folder / f"{name}.parquet") for name in CORPUS_TABLES}
    got["releases"] = pd.read_parquet(
        folder / "releases.parquet", columns=["release_id", "duplicate_of", "event_id"]
    ).sort_values("release_id")
    key = ["release_id", "entity_id"]
    got["entities"] = pd.read_parquet(folder / "entities.parquet", columns=[*key, "org_id", "person_id"]).sort_values(key)
    return {k: v.reset_index(drop=True) for k, v in got.items()}


def _assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def _misses(stats: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in stats.items() if k.endswith("_misses")}


def test_the_second_run_reuses_every_value_and_writes_the_same_tables(run_out, tmp_path):
    folder = _release_tables(run_out, tmp_path / "out")
    first = _corpus_stages(folder).cache_stats
    assert first["signals_misses"] > 0 and first["links_misses"] > 0 and first["share_misses"] > 0
    assert not any(k.endswith("_hits") for k in first)  # nothing to reuse yet
    assert (folder / RELEASES).is_file() and (folder / PAIRS).is_file()
    before = _corpus_tables(folder)
    second = _corpus_stages(folder).cache_stats
    assert _misses(second) == {}  # nothing computed again
    for kind in ("signals", "copy", "vector", "share", "links"):
        assert second.get(f"{kind}_hits", 0) == first.get(f"{kind}_misses", 0), kind  # vectors: where the encoder ran
    _assert_same(before, _corpus_tables(folder))


def test_an_incremental_run_computes_only_the_new_releases_and_writes_what_one_run_over_everything_writes(run_out, tmp_path):
    ids = sorted(pd.read_parquet(run_out / "releases.parquet").release_id)
    old, new = ids[: len(ids) // 2], ids[len(ids) // 2 :]
    archive = _release_tables(run_out, tmp_path / "archive", keep=old)
    _corpus_stages(archive)
    # the new day's release rows join the archive's (as `run NEW --out ARCHIVE` leaves them for the corpus stages)
    later = _release_tables(run_out, tmp_path / "later", keep=new)
    txn_tables = Tables.read(archive)
    add = Tables.read(later)
    for name in ("releases", "entities", "relations", "rejected_entities"):
        setattr(txn_tables, name, pd.concat([getattr(txn_tables, name), getattr(add, name)], ignore_index=True))
    txn_tables.write(archive)  # Tables.write keeps no file it does not know: the cache stays beside them
    stats = _corpus_stages(archive).cache_stats
    new_canonical = stats["signals_misses"]
    assert 0 < new_canonical <= len(new)  # signals of the new releases only
    assert stats["copy_misses"] == len(new) and stats["copy_hits"] == len(old)
    assert stats["signals_hits"] > 0
    everything = _corpus_stages(_release_tables(run_out, tmp_path / "everything"))
    assert everything.cache_stats["copy_misses"] == len(ids)
    _assert_same(_corpus_tables(tmp_path / "everything"), _corpus_tables(archive))


def test_another_setting_or_an_edited_release_recomputes(run_out, tmp_path):
    folder = _release_tables(run_out, tmp_path / "out")
    first = _corpus_stages(folder).cache_stats
    other = _corpus_stages(folder, link_threshold=0.46).cache_stats  # another version of the stage
    assert not any(k.endswith("_hits") for k in other) and other["copy_misses"] == first["copy_misses"]
    t = Tables.read(folder)
    edited = t.releases.release_id.iloc[0]
    t.releases.loc[0, "clean_text"] = t.releases.loc[0, "clean_text"] + "\n\nThis paragraph was added later."
    t.write(folder)
    _corpus_stages(folder, link_threshold=0.46)
    again = _corpus_stages(folder, link_threshold=0.46).cache_stats  # unchanged since: all reused
    assert _misses(again) == {}
    t.releases.loc[0, "clean_text"] = t.releases.loc[0, "clean_text"] + " Once more."
    t.write(folder)
    after_edit = _corpus_stages(folder, link_threshold=0.46).cache_stats
    assert after_edit["copy_misses"] == 1 and after_edit["copy_hits"] == len(t.releases) - 1, edited


@pytest.mark.parametrize("damage", ["truncated", "not parquet"])
def test_a_damaged_cache_file_is_reported_and_rebuilt(run_out, tmp_path, caplog, damage):
    folder = _release_tables(run_out, tmp_path / "out")
    first = _corpus_stages(folder)
    before = _corpus_tables(folder)
    path = folder / RELEASES
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"not a cache\n")
    with caplog.at_level(logging.WARNING, logger="pipeline.align.cache"):
        again = _corpus_stages(folder)
    assert again.cache_problems and "align-releases.parquet" in again.cache_problems[0]
    assert any("unreadable" in r.getMessage() for r in caplog.records)
    assert again.cache_stats["copy_misses"] == first.cache_stats["copy_misses"]  # rebuilt
    _assert_same(before, _corpus_tables(folder))
    third = _corpus_stages(folder)
    assert not third.cache_problems and third.cache_stats["copy_hits"] == first.cache_stats["copy_misses"]


def _run(out: Path, inp: Path, config: Path, failpoint: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if failpoint:
        env["MEDPR_FAILPOINT"] = failpoint
    return subprocess.run(
        [sys.executable, "run_pipeline.py", "run", str(inp), "--out", str(out), "-q", "--config", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize("failpoint", ["corpus:finished", "commit:journal-written", "commit:first-table-moved"])
def test_a_killed_run_leaves_the_previous_cache_or_the_new_one_whole(tmp_path, failpoint):
    config = tmp_path / "c.toml"
    config.write_text('[pipeline]\nstages = ["clean", "convert", "align"]\n[stages.align]\nencoder = false\n', "utf-8")
    names = sorted(p.name for p in RAW.glob("*.txt"))
    day1, every = tmp_path / "day1", tmp_path / "every"
    day1.mkdir()
    every.mkdir()
    for i, n in enumerate(names):
        shutil.copy(RAW / n, every / n)
        if i < 3:
            shutil.copy(RAW / n, day1 / n)
    out = tmp_path / "out"
    assert _run(out, day1, config).returncode == 0
    old = {p: (out / p).read_bytes() for p in (RELEASES, PAIRS)}
    killed = _run(out, every, config, failpoint)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    Tables.read(out)  # a reader finishes an interrupted commit (the journal's moves)
    cache = pd.read_parquet(out / RELEASES)
    releases = pd.read_parquet(out / "releases.parquet")
    if failpoint == "corpus:finished":  # killed before the commit: the previous cache, byte for byte
        assert {p: (out / p).read_bytes() for p in (RELEASES, PAIRS)} == old
    assert set(cache.release_id) == set(releases.release_id)  # the cache of the tables beside it
    done = _run(out, every, config)
    assert done.returncode == 0, done.stderr
    assert set(pd.read_parquet(out / RELEASES).release_id) == set(pd.read_parquet(out / "releases.parquet").release_id)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [LOCK]  # no temporary file left
    assert sorted(p.name for p in (out / "cache").iterdir()) == ["align-pairs.parquet", "align-releases.parquet"]
