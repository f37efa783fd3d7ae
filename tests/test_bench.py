"""The benchmark corpus and the process split that `bench` and `run --workers` rely on."""

from __future__ import annotations

import re

import pytest

from pipeline.bench import synthesise, vary
from pipeline.registry import ConfigError, PipelineConfig
from pipeline.release import Release
from pipeline.runner import Pipeline

from .conftest import RAW


def test_vary_moves_numbers_but_keeps_days_and_years_plausible():
    assert vary("2024-03-05", 9).endswith("-03-05")  # months (and days up to 12) stay
    text = "On 15 March 2024, HKSH signed a HK$120 million deal for 300 beds. 2024年3月15日签署。"
    assert vary(text, 0) == text
    for r in (1, 7, 27, 28, 40, 41, 500):
        out = vary(text, r)
        day, year = re.search(r"On (\d+) March (\d+)", out).groups()
        assert 13 <= int(day) <= 28 and 1990 <= int(year) <= 2030
        # the English and the Chinese version of a round still carry the same date
        assert re.search(r"(\d+)年3月(\d+)日", out).groups() == (year, day)
    assert vary(text, 3) != vary(text, 4)


def test_bench_corpus_rounds_are_new_releases_with_some_copies(tmp_path):
    synthesise(RAW, 60, tmp_path)
    files = sorted(tmp_path.iterdir(), key=lambda p: int(p.stem.rsplit("_", 1)[1]))  # in the order written
    texts = [p.read_text("utf-8") for p in files]
    assert len(texts) == 60
    seeds = len(list(RAW.glob("*.txt")))
    by_round = [texts[i * seeds : (i + 1) * seeds] for i in range(60 // seeds)]
    strip = lambda t: t.rsplit("\n\n", 1)[0]  # without the numbered sentence
    assert strip(by_round[1][0]) != strip(by_round[2][0])  # numbers moved: another event
    assert strip(by_round[9][0]) == strip(by_round[8][0])  # one round in ten copies the one before


def test_a_pipeline_without_release_stages_loads_no_models_and_refuses_releases():
    pipe = Pipeline(PipelineConfig.load(None), release_stages=False)
    assert [s.name for s in pipe.stages] == ["align", "records"]
    with pytest.raises(RuntimeError, match="release stages"):
        pipe.process(Release(source_path="a.txt", raw_text="text"))


def test_bad_settings_of_unbuilt_stages_are_still_refused(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[pipeline]\nstages = ["clean", "convert", "align"]\n[stages.clean]\nno_such_setting = 1\n')
    with pytest.raises(ConfigError, match="no_such_setting"):
        Pipeline(PipelineConfig.load(cfg), release_stages=False)


def test_bench_command_prints_stages_totals_and_memory(cli, light_config):
    code, out = cli("bench", "--n", 12, "--config", light_config, "--no-baseline")
    assert code == 0, out
    assert "bench: 12 releases" in out and "1 worker(s)" in out
    for row in ("clean", "convert", "total (model loading"):
        assert row in out
    assert re.search(r"│ clean │ [\d.]+ │ [\d,]+ │ [\d,]+ │ [\d,]+ │", out) and "RSS MB" in out
    assert re.search(r"peak RSS: [\d,]+ MB in this process", out)


def test_bench_keep_folder_goes_on_where_a_bench_stopped(cli, light_config, tmp_path):
    import pandas as pd

    keep = tmp_path / "bench"
    code, out = cli("bench", "--n", 12, "--config", light_config, "--no-baseline", "--keep", keep)
    assert code == 0, out
    assert len(pd.read_parquet(keep / "out" / "releases.parquet")) == 12 and "resumed" not in out
    # a stopped bench left some releases out: the next one does only those
    releases = pd.read_parquet(keep / "out" / "releases.parquet")
    releases.iloc[:7].to_parquet(keep / "out" / "releases.parquet")
    code, out = cli("bench", "--n", 12, "--config", light_config, "--no-baseline", "--keep", keep)
    assert code == 0, out
    assert "resumed: 7 releases were already written" in out and "the 5 processed now" in out
    assert sorted(pd.read_parquet(keep / "out" / "releases.parquet")["source_path"]) == sorted(releases["source_path"])
    code, out = cli("bench", "--n", 5, "--config", light_config, "--no-baseline", "--keep", keep)
    assert code == 2 and "not this bench's 5 releases" in out
