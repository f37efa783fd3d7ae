"""The config: defaults in the stages' signatures, the shipped toml spelling them out, `--set`,
the filled config written beside the tables and read back, and a version that changes with the
models and code the output depends on."""

from __future__ import annotations

import re
import shutil
import tomllib
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest

from pipeline.models import ENV, find_model, model_path, models_root
from pipeline.pipeline import pipeline_version, version_inputs
from pipeline.registry import STAGES, ConfigError, PipelineConfig, _import_builtin_stages

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw"


def test_the_shipped_toml_spells_out_every_default_of_the_stages_it_lists():
    _import_builtin_stages()
    data = tomllib.loads(resources.files("pipeline").joinpath("default.toml").read_text("utf-8"))
    for name in data["pipeline"]["stages"]:
        written = data["stages"].get(name, {})
        defaults = {k: v for k, v in STAGES[name].defaults().items() if v is not None}
        assert written == defaults, f"default.toml [stages.{name}] differs from {STAGES[name].__name__}.__init__"
    # every stage we ship is in the shipped list: none has settings documented nowhere (tests register others)
    shipped = [name for name, cls in STAGES.items() if cls.__module__.startswith("pipeline.stages.")]
    assert sorted(data["pipeline"]["stages"]) == sorted(shipped)


def test_a_filled_config_written_as_toml_reads_back_equal(tmp_path):
    nasty = 'C:\\models\\"zh" 模型\tx'
    config = PipelineConfig.load(
        overrides=[
            f"stages.recognise.zh_model={nasty}",
            "stages.relate.min_score=1e-05",
            "stages.align.max_df=7",
            "stages.judge_entities.threshold=0.45",
        ]
    ).filled()
    path = tmp_path / "config.toml"
    path.write_text(config.to_toml("header line\n\nwith a blank line"), encoding="utf-8")
    back = PipelineConfig.load(path)
    assert back.stages == config.stages and back.settings == config.settings
    assert back.settings["recognise"]["zh_model"] == nasty
    assert back.settings["relate"]["min_score"] == 1e-05 and back.settings["judge_entities"]["threshold"] == 0.45
    # a default of None (no threshold override) is left out, and comes back as the default
    assert "threshold" not in PipelineConfig.load().filled().settings["judge_entities"]


def test_set_reads_toml_values_and_plain_words():
    config = PipelineConfig.load(
        overrides=[
            "stages.relate.min_score=0.6",
            "stages.align.mutual=true",
            "stages.recognise.zh_backend=model",
            'stages.convert.config="t2s"',
            'pipeline.stages=["clean", "convert"]',
        ]
    )
    assert config.settings["relate"]["min_score"] == 0.6 and config.settings["align"]["mutual"] is True
    assert config.settings["recognise"]["zh_backend"] == "model" and config.settings["convert"]["config"] == "t2s"
    assert config.stages == ["clean", "convert"]
    # the shipped config is not changed by an override of a copy
    assert PipelineConfig.load().settings["relate"]["min_score"] == 0.5


@pytest.mark.parametrize("assignment", ["relate.min_score=0.6", "stages.relate.min_score", "pipeline.stages=clean", "x=1"])
def test_set_rejects_what_it_cannot_place(assignment):
    with pytest.raises(ConfigError):
        PipelineConfig.load(overrides=[assignment])


def test_an_unknown_setting_is_a_config_error_naming_the_known_ones():
    with pytest.raises(ConfigError, match="min_score"):
        PipelineConfig.load(overrides=["stages.relate.min_scor=0.6"]).filled()


def test_run_writes_its_filled_config_and_a_rerun_from_it_skips_everything(cli, tmp_path):
    out = tmp_path / "out"
    light = ["--set", 'pipeline.stages=["clean", "convert"]', "--set", "stages.clean.max_title_chars=150"]
    code, _ = cli("run", RAW, "--out", out, "-q", *light)
    assert code == 0
    written = PipelineConfig.load(out / "config.toml")
    assert written.stages == ["clean", "convert"]
    assert written.settings == {"clean": {"max_title_chars": 150}, "convert": {"config": "auto"}}
    versions = set(pd.read_parquet(out / "releases.parquet").pipeline_version)
    assert versions == {pipeline_version(written)}
    assert f"pipeline_version {versions.pop()}" in (out / "config.toml").read_text("utf-8")
    code, output = cli("run", RAW, "--out", out, "-q", "--config", out / "config.toml")
    assert code == 0 and re.search(r"skipped as unchanged\W+5\b", output)
    # a changed setting is a new version: everything is re-processed
    code, output = cli("run", RAW, "--out", out, "-q", *light[:2], "--set", "stages.clean.max_title_chars=120")
    assert code == 0 and re.search(r"skipped as unchanged\W+0\b", output)


def test_run_reports_a_bad_set_before_reading_anything(cli, tmp_path):
    code, output = cli("run", RAW, "--out", tmp_path / "out", "--set", "stages.relate.min_score=2")
    assert code == 2 and "config error" in output and "min_score" in output
    assert not (tmp_path / "out").exists()


def test_a_retrained_model_changes_the_version_and_an_unused_one_does_not(tmp_path):
    judge = tmp_path / "span-judge"
    shutil.copytree(model_path("models/span-judge"), judge)
    zh = tmp_path / "ner-zh"
    shutil.copytree(model_path("models/ner-zh"), zh)
    config = PipelineConfig.load(overrides=[f"stages.judge_entities.model={judge}", f"stages.recognise.zh_model={zh}"])
    before = pipeline_version(config)
    assert set(version_inputs(config)["models"]) == {"judge_entities.model"}  # LAC does not load ner-zh
    live = find_model(judge, "judge.json") / "judge.json"
    live.write_text(live.read_text("utf-8") + "\n", encoding="utf-8")
    assert pipeline_version(config) != before
    after = pipeline_version(config)
    (find_model(zh, "config.cfg") / "meta.json").write_text("{}", encoding="utf-8")
    assert pipeline_version(config) == after
    with_model = config.override(["stages.recognise.zh_backend=model"])
    assert "recognise.zh_model" in version_inputs(with_model)["models"]


def test_model_settings_resolve_under_the_models_root(monkeypatch, tmp_path):
    assert models_root() == ROOT / "models"  # a source checkout
    assert model_path("models/span-judge") == ROOT / "models" / "span-judge"
    monkeypatch.setenv(ENV, str(tmp_path))
    assert model_path("models/span-judge") == tmp_path / "span-judge"
    assert model_path(ROOT / "models" / "x") == ROOT / "models" / "x"  # absolute: as it is
    monkeypatch.chdir(tmp_path)
    assert model_path("elsewhere/judge") == tmp_path / "elsewhere" / "judge"
    # with MEDPR_MODELS naming a folder without the judge, the shipped pipeline says where it looked
    from pipeline.pipeline import Pipeline

    with pytest.raises(ConfigError, match=str(tmp_path / "span-judge")):
        Pipeline(PipelineConfig.load())


def test_requires_and_provides_name_release_fields_or_tables():
    from pipeline.registry import Stage, build_pipeline, stage

    @stage("test_reads_a_typo")
    class ReadsATypo(Stage):
        requires = ("clean_txt",)

    with pytest.raises(ConfigError, match="clean_txt"):
        build_pipeline(PipelineConfig(["clean", "test_reads_a_typo"]))
    # the shipped stages declare every field they read
    assert {"text_hans", "hans_to_clean", "title", "dateline_date", "entities"} <= set(STAGES["relate"].requires)
    assert {"dateline_place", "dateline_date"} <= set(STAGES["clean"].provides)


def test_an_optional_input_is_read_when_an_earlier_stage_provides_it_and_done_without_otherwise():
    from pipeline.registry import Stage, build_pipeline, stage

    assert "entities" in STAGES["align"].optional
    build_pipeline(PipelineConfig(["clean", "convert", "align"]), kinds=())  # no recognise: align without entities

    @stage("test_reads_entities_if_any")
    class ReadsEntitiesIfAny(Stage):
        optional = ("entities",)

    with pytest.raises(ConfigError, match="later stage provides"):  # it would run as if there were none
        build_pipeline(PipelineConfig(["clean", "convert", "test_reads_entities_if_any", "recognise"]), kinds=())
