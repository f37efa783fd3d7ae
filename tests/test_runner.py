"""The batch: bad input reported and skipped, idempotent re-runs, atomic Parquet writes, the seed data."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.io.output import Transaction
from pipeline.io.tables import SCHEMAS, Tables, write_parquet
from pipeline.registry import PipelineConfig, Stage, stage
from pipeline.release import Release
from pipeline.runner import Pipeline, run_batch

from .conftest import RAW, ROOT
from .test_readers import EN, ZHS, ZHT_HK, ZHT_TW, _png

# The columns of SCHEMA.md (the public contract), with their Arrow types.
RELEASE_COLUMNS = {
    "release_id": pa.string(),
    "source_path": pa.string(),
    "lang": pa.string(),
    "script": pa.string(),
    "title": pa.string(),
    "dateline_place": pa.string(),
    "dateline_date": pa.date32(),
    "clean_text": pa.string(),
    "text_hans": pa.string(),
    "duplicate_of": pa.string(),
    "pipeline_version": pa.string(),
}


def snapshot(out: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_parquet(p) for p in sorted(out.glob("*.parquet"))}


def assert_same(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def counts(output: str) -> dict[str, int]:
    """The run summary table's numbers, from the CLI output."""
    found = dict(re.findall(r"(releases read|written|skipped as unchanged|failed)\W+(\d+)", output))
    return {k: int(v) for k, v in found.items()}


def releases(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "releases.parquet").set_index("source_path")


# --- the seed data through the shipped pipeline ---------------------------------------------


def test_seed_data_through_the_shipped_pipeline(pipeline, tmp_path):
    summary = run_batch([RAW], tmp_path, pipeline, force=True)
    assert summary.ok and summary.written == 5
    schema = pq.read_schema(tmp_path / "releases.parquet")
    for name, typ in RELEASE_COLUMNS.items():
        assert schema.field(name).type == typ, name
    rel = releases(tmp_path)
    assert sorted(rel.index) == sorted(p.name for p in RAW.glob("*.txt"))
    zht = rel.loc["zht_hksh_shenzhen_mou.txt"]
    assert "養和醫療集團" in zht.clean_text and "(yǎng)" not in zht.clean_text and "yǎng" not in zht.clean_text
    assert (zht.lang, zht.script) == ("zh", "Hant") and "养和医疗集团" in zht.text_hans
    assert set(rel.lang) == {"en", "zh"}
    assert rel.release_id.is_unique and rel.release_id.str.fullmatch(r"[0-9a-f]{16}").all()
    for name in ("entities", "relations", "alignments", "entity_links", "errors"):
        assert set(SCHEMAS[name].names) <= set(pq.read_schema(tmp_path / f"{name}.parquet").names), name


# --- bad input never stops the batch --------------------------------------------------------


def test_bad_inputs_are_reported_recorded_and_skipped(cli, light_config, tmp_path):
    inp, out = tmp_path / "in", tmp_path / "out"
    (inp / "zh").mkdir(parents=True)
    (inp / "en.txt").write_text(EN, encoding="utf-8")
    (inp / "zh" / "hk.txt").write_bytes(ZHT_HK.encode("big5hkscs"))
    (inp / "empty.txt").write_bytes(b"")
    (inp / "photo.txt").write_bytes(_png())
    (inp / "garbled.txt").write_bytes(ZHS.encode()[:60] + b"\xff\xfe" + ZHS.encode("gbk"))
    (inp / "cut.txt").write_bytes(ZHT_TW.encode()[:-1])
    (inp / "cut.json").write_text(json.dumps([{"text": EN}, {"text": EN}])[:-25], encoding="utf-8")
    (inp / "feed.jsonl").write_text(
        "\n".join([json.dumps({"text": ZHS}, ensure_ascii=False), '{"text": ', json.dumps({"body": ZHT_TW}, ensure_ascii=False)]),
        encoding="utf-8",
    )
    (inp / "huge.txt").write_text(EN * 40, encoding="utf-8")  # over --max-bytes below
    (inp / "boilerplate.txt").write_text("omniture\nCopyright 2025 MedNews. All rights reserved.\n", encoding="utf-8")
    missing = tmp_path / "no-such-folder"

    code, output = cli("run", inp, missing, "--out", out, "--config", light_config, "--max-bytes", 5000, "-q")

    assert code == 1
    expected = {
        "empty.txt": "empty file",
        "photo.txt": "binary file",
        "garbled.txt": "undecodable",
        "cut.txt": "truncated",
        "cut.json": "malformed JSON",
        "feed.jsonl": "line 2: malformed JSON",
        "huge.txt": "too large",
        "boilerplate.txt": "no release text left after cleaning",
        "no-such-folder": "no such file or folder",
    }
    for name, reason in expected.items():
        assert re.search(rf"failed \S*{re.escape(name)} \[\w+\]: {re.escape(reason)}", output), (name, output)
    assert counts(output) == {"releases read": 5, "written": 4, "skipped as unchanged": 0, "failed": len(expected)}
    errors = pd.read_parquet(out / "errors.parquet")
    assert len(errors) == len(expected)
    for name, reason in expected.items():
        row = errors[errors.source_path.str.endswith(name)]
        assert len(row) == 1 and reason in row.reason.iloc[0], name
    assert set(errors.stage) == {"read", "clean"}
    assert sorted(releases(out).index) == ["en.txt", "feed.jsonl#1", "feed.jsonl#3", "zh/hk.txt"]


def test_a_clean_run_exits_zero_with_an_empty_errors_table(cli, light_config, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(EN, encoding="utf-8")
    code, output = cli("run", tmp_path / "in", "--out", tmp_path / "out", "--config", light_config, "-q")
    assert code == 0 and counts(output)["failed"] == 0
    assert pd.read_parquet(tmp_path / "out" / "errors.parquet").empty


# --- idempotency ----------------------------------------------------------------------------


@pytest.fixture
def batch(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "en.txt").write_text(EN, encoding="utf-8")
    (inp / "hk.txt").write_text(ZHT_HK, encoding="utf-8")
    (inp / "feed.jsonl").write_text(
        json.dumps({"text": ZHS}, ensure_ascii=False) + "\n" + json.dumps({"text": ZHT_TW}, ensure_ascii=False), encoding="utf-8"
    )
    return inp, tmp_path / "out"


def test_rerun_skips_unchanged_releases_and_tables_stay_equal(cli, light_config, batch):
    inp, out = batch
    code, output = cli("run", inp, "--out", out, "--config", light_config, "-q")
    assert code == 0 and counts(output) == {"releases read": 4, "written": 4, "skipped as unchanged": 0, "failed": 0}
    first = snapshot(out)

    code, output = cli("run", inp, "--out", out, "--config", light_config, "-q")
    assert code == 0 and counts(output) == {"releases read": 4, "written": 0, "skipped as unchanged": 4, "failed": 0}
    assert_same(first, snapshot(out))

    code, output = cli("run", inp, "--out", out, "--config", light_config, "--force", "-q")
    assert code == 0 and counts(output) == {"releases read": 4, "written": 4, "skipped as unchanged": 0, "failed": 0}
    assert_same(first, snapshot(out))
    assert not list(out.glob(".*.tmp")), "temporary files left behind"


def test_changing_one_file_or_one_record_reprocesses_only_it(cli, light_config, batch):
    inp, out = batch
    cli("run", inp, "--out", out, "--config", light_config, "-q")
    before = releases(out)

    (inp / "en.txt").write_text(EN.replace("11 December 2025", "12 December 2025"), encoding="utf-8")
    code, output = cli("run", inp, "--out", out, "--config", light_config, "-q")
    assert code == 0 and counts(output)["written"] == 1 and counts(output)["skipped as unchanged"] == 3
    after = releases(out)
    assert "12 December 2025" in after.loc["en.txt"].clean_text
    assert after.loc["en.txt"].release_id != before.loc["en.txt"].release_id
    assert len(after) == 4  # the old row of en.txt was replaced, not kept beside the new one
    pd.testing.assert_frame_equal(after.drop(index="en.txt").sort_index(), before.drop(index="en.txt").sort_index())

    lines = (inp / "feed.jsonl").read_text(encoding="utf-8").splitlines()
    lines[1] = json.dumps({"text": ZHT_TW + "記者會於下午舉行。"}, ensure_ascii=False)
    (inp / "feed.jsonl").write_text("\n".join(lines), encoding="utf-8")
    code, output = cli("run", inp, "--out", out, "--config", light_config, "-q")
    assert counts(output)["written"] == 1 and counts(output)["skipped as unchanged"] == 3
    assert releases(out).loc["feed.jsonl#2"].clean_text.endswith("記者會於下午舉行。")


def test_a_file_that_now_fails_keeps_its_previous_rows(cli, light_config, batch):
    inp, out = batch
    cli("run", inp, "--out", out, "--config", light_config, "-q")
    before = releases(out)

    (inp / "hk.txt").write_bytes(ZHT_HK.encode()[:-1])  # now cut mid-character
    lines = (inp / "feed.jsonl").read_text(encoding="utf-8").splitlines()
    (inp / "feed.jsonl").write_text(lines[0] + '\n{"text": "broken', encoding="utf-8")  # record 2 now malformed
    code, output = cli("run", inp, "--out", out, "--config", light_config, "-q")
    assert code == 1
    assert counts(output)["failed"] == 2
    pd.testing.assert_frame_equal(releases(out).sort_index(), before.sort_index())  # nothing already written is lost
    errors = pd.read_parquet(out / "errors.parquet")
    assert sorted(errors.source_path) == ["feed.jsonl", "hk.txt"]

    (inp / "hk.txt").write_text(ZHT_HK, encoding="utf-8")
    (inp / "feed.jsonl").write_text("\n".join(lines), encoding="utf-8")
    code, output = cli("run", inp, "--out", out, "--config", light_config, "-q")
    assert code == 0 and counts(output)["skipped as unchanged"] == 4
    assert pd.read_parquet(out / "errors.parquet").empty


def test_new_settings_reprocess_everything(cli, light_config, batch, tmp_path):
    inp, out = batch
    cli("run", inp, "--out", out, "--config", light_config, "-q")
    other = tmp_path / "other.toml"
    other.write_text(light_config.read_text() + '\n[stages.convert]\nconfig = "t2s"\n', encoding="utf-8")
    code, output = cli("run", inp, "--out", out, "--config", other, "-q")
    assert code == 0 and counts(output)["written"] == 4
    assert releases(out).loc["hk.txt"].opencc_config == "t2s"
    assert releases(out).pipeline_version.nunique() == 1


def test_releases_from_other_inputs_are_kept(cli, light_config, batch, tmp_path):
    inp, out = batch
    cli("run", inp, "--out", out, "--config", light_config, "-q")
    more = tmp_path / "more"
    more.mkdir()
    (more / "extra.txt").write_text(ZHS, encoding="utf-8")
    code, output = cli("run", more, "--out", out, "--config", light_config, "-q")
    assert code == 0 and counts(output)["written"] == 1
    assert sorted(releases(out).index) == ["en.txt", "extra.txt", "feed.jsonl#1", "feed.jsonl#2", "hk.txt"]


# --- atomic writes --------------------------------------------------------------------------


@pytest.fixture
def written(cli, light_config, batch) -> Path:
    inp, out = batch
    assert cli("run", inp, "--out", out, "--config", light_config, "-q")[0] == 0
    return out


def _bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_a_table_that_cannot_be_cast_leaves_the_old_file_intact(written):
    before = _bytes(written)
    bad = pd.read_parquet(written / "releases.parquet")
    bad["dateline_date"] = "the 32nd of Smarch"
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError, ValueError)):
        write_parquet(Transaction(written), bad, SCHEMAS["releases"], "releases.parquet")
    assert _bytes(written) == before  # same bytes, and no temporary file left


def test_a_bad_table_leaves_every_table_as_it_was(written):
    """One table that cannot be written must not leave a mix of new and old tables."""
    before = _bytes(written)
    tables = Tables.read(written)
    tables.releases = tables.releases.assign(title="changed")
    tables.entities = pd.DataFrame([{"release_id": "x", "entity_id": "e1", "label": "ORG", "text": "A", "score": "high"}])
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError, ValueError)):
        tables.write(written)
    assert _bytes(written) == before


def test_disk_full_mid_write_leaves_the_old_tables(written):
    """A real failure inside a Parquet write (the file-size limit standing in for a full disk), after
    the releases table was already written anew: no table may be replaced."""
    before = _bytes(written)
    script = f"""
import resource, signal
from pipeline.io.tables import Tables
tables = Tables.read({str(written)!r})
tables.releases = tables.releases.assign(title="changed")  # small: written before the big one fails
big = [__import__("os").urandom(300_000).hex() for _ in range(3)]
tables.relations = tables.relations.reindex(range(3)).assign(release_id="x", type="partnership", evidence=big, score=1.0)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))
tables.write({str(written)!r})
"""
    proc = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert proc.returncode != 0 and ("File too large" in proc.stderr or "OSError" in proc.stderr), proc.stderr[-2000:]
    assert _bytes(written) == before


# --- a stage output that does not fit the schema --------------------------------------------


@stage("test_unwritable_date")
class UnwritableDate(Stage):
    """Test-only stage standing in for a buggy later stage: a date the schema cannot hold."""

    requires = ("clean_text",)

    def __call__(self, release: Release) -> Release:
        if "POISON" in release.clean_text:
            release.dateline_date = "the 32nd of Smarch"
        return release


def test_a_release_that_cannot_be_written_is_reported_and_keeps_its_previous_rows(tmp_path):
    pipe = Pipeline(PipelineConfig(stages=["clean", "convert", "test_unwritable_date"]))
    inp, out = tmp_path / "in", tmp_path / "out"
    inp.mkdir()
    (inp / "a.txt").write_text(EN, encoding="utf-8")
    (inp / "b.txt").write_text(ZHS, encoding="utf-8")
    assert run_batch([inp], out, pipe).written == 2
    before = releases(out)

    (inp / "a.txt").write_text(EN + "\nPOISON", encoding="utf-8")
    (inp / "c.txt").write_text(ZHT_TW, encoding="utf-8")
    summary = run_batch([inp], out, pipe)
    assert (summary.written, summary.unchanged) == (1, 1)
    [(source, stage_name, reason)] = summary.failed
    assert (source, stage_name) == ("a.txt", "write") and "32nd of Smarch" in reason
    after = releases(out)
    assert sorted(after.index) == ["a.txt", "b.txt", "c.txt"]
    pd.testing.assert_series_equal(after.loc["a.txt"], before.loc["a.txt"])
    assert pd.read_parquet(out / "errors.parquet").stage.tolist() == ["write"]


def test_corrupt_previous_table_is_a_clear_error_and_is_left_alone(tmp_path, cli, light_config):
    """An unreadable table under --out stops the run before anything is overwritten."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.txt").write_text("HKSH Medical Group signed an MOU with Shenzhen Cancer Hospital today.", "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "releases.parquet").write_bytes(b"not parquet at all")
    code, output = cli("run", src, "--out", out, "--config", light_config, "-q")
    assert code == 2
    assert "not a readable Parquet table" in output
    assert (out / "releases.parquet").read_bytes() == b"not parquet at all"
