"""Worker processes and a real Dask LocalCluster write exactly the tables the local run writes."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.io.tables import Tables
from pipeline.runner import run_batch

from .conftest import RAW


def _sorted(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return df.sort_values(keys).reset_index(drop=True) if len(df) else df


def _same_tables(a: Tables, b: Tables) -> None:
    pd.testing.assert_frame_equal(_sorted(a.releases, ["source_path"]), _sorted(b.releases, ["source_path"]))
    ent_keys = ["release_id", "entity_id"]
    pd.testing.assert_frame_equal(_sorted(a.entities, ent_keys), _sorted(b.entities, ent_keys))
    rel_keys = ["release_id", "type", "head_id", "tail_id"]
    pd.testing.assert_frame_equal(_sorted(a.relations.astype(str), rel_keys), _sorted(b.relations.astype(str), rel_keys))


@pytest.fixture(scope="module")
def local_run(pipeline, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    summary = run_batch([RAW], out, pipeline, force=True)
    assert summary.ok and summary.written == 5
    return Tables.read(out)


def _costs_of_every_stage(usage) -> None:
    """The release stages' costs came back from the workers, the align stage's from this process."""
    assert set(usage) == {"clean", "convert", "recognise", "relate", "judge_entities", "align", "records"}
    assert all(u.seconds > 0 and u.rss_mb > 100 for u in usage.values()), usage


def test_two_worker_processes_match_the_local_run(pipeline, local_run, tmp_path):
    pipeline.take_usage()
    summary = run_batch([RAW], tmp_path, pipeline, force=True, workers=2, chunk_size=2)
    assert summary.ok and summary.written == 5
    _same_tables(local_run, Tables.read(tmp_path))
    _costs_of_every_stage(pipeline.take_usage())


def test_dask_local_cluster_matches_the_local_run(pipeline, local_run, tmp_path):
    distributed = pytest.importorskip("distributed")
    pipeline.take_usage()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        summary = run_batch([RAW], tmp_path, pipeline, force=True, scheduler=cluster.scheduler_address, chunk_size=2)
    assert summary.ok and summary.written == 5
    _same_tables(local_run, Tables.read(tmp_path))
    _costs_of_every_stage(pipeline.take_usage())
