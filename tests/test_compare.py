"""`python -m pipeline.io.compare`: the check that a refactor changed no table."""

from __future__ import annotations

import pandas as pd

from pipeline.io.compare import compare


def _write(folder, rows):
    folder.mkdir()
    pd.DataFrame(rows).to_parquet(folder / "relations.parquet")


def test_tables_equal_up_to_row_order_and_run_columns(tmp_path, capsys):
    rows = [
        {"release_id": "a", "type": "role", "score": 0.9, "pipeline_version": "0.1.0+1"},
        {"release_id": "b", "type": "partnership", "score": 0.8, "pipeline_version": "0.1.0+1"},
    ]
    _write(tmp_path / "old", rows)
    _write(tmp_path / "new", [{**r, "pipeline_version": "0.1.0+2"} for r in reversed(rows)])
    assert compare(tmp_path / "old", tmp_path / "new")
    assert "same (2 rows)" in capsys.readouterr().out


def test_a_changed_score_or_a_missing_table_is_a_difference(tmp_path, capsys):
    _write(tmp_path / "old", [{"release_id": "a", "type": "role", "score": 0.9}])
    _write(tmp_path / "new", [{"release_id": "a", "type": "role", "score": 0.99}])
    assert not compare(tmp_path / "old", tmp_path / "new")
    out = capsys.readouterr().out
    assert "DIFFER" in out and "only old: a | role | 0.9" in out and "only new: a | role | 0.99" in out
    (tmp_path / "new" / "relations.parquet").unlink()
    assert not compare(tmp_path / "old", tmp_path / "new")
