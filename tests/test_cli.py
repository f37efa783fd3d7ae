"""The command line: `run` exit codes and messages, `evaluate` printing the reference report."""

from __future__ import annotations

import json

from pipeline.evaluate import evaluate, read_jsonl
from pipeline.io.tables import Tables

from .test_evaluate import GOLD, _jsonl, run_reference, write_tables
from .test_readers import EN, ZHT_HK
from .test_runner import counts


def test_help_lists_the_commands(cli):
    code, output = cli("--help")
    assert code == 0 and "run" in output and "evaluate" in output


def test_run_exits_zero_when_all_inputs_are_read(cli, light_config, tmp_path):
    (tmp_path / "a.txt").write_text(EN, encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(ZHT_HK.encode("big5hkscs"))
    code, output = cli("run", tmp_path / "a.txt", tmp_path / "b.txt", "--out", tmp_path / "out", "--config", light_config, "-q")
    assert code == 0, output
    assert counts(output) == {"releases read": 2, "written": 2, "skipped as unchanged": 0, "failed": 0}
    assert " failed a.txt" not in output and " failed b.txt" not in output


def test_run_exits_one_when_an_input_is_missing(cli, light_config, tmp_path):
    (tmp_path / "a.txt").write_text(EN, encoding="utf-8")
    code, output = cli(
        "run", tmp_path / "a.txt", tmp_path / "gone.txt", "--out", tmp_path / "out", "--config", light_config, "-q"
    )
    assert code == 1
    assert "gone.txt [read]: no such file or folder" in output
    assert (tmp_path / "out" / "releases.parquet").exists()  # the good input was still written


def test_run_reports_file_names_with_brackets_verbatim(cli, light_config, tmp_path):
    (tmp_path / "[draft] release.txt").write_bytes(b"")
    code, output = cli("run", tmp_path, "--out", tmp_path / "out", "--config", light_config, "-q")
    assert code == 1 and "failed [draft] release.txt [read]: empty file" in output


def test_run_rejects_a_bad_config_before_reading_anything(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[pipeline]\nstages = ["convert", "clean"]\n', encoding="utf-8")
    code, output = cli("run", tmp_path, "--out", tmp_path / "out", "--config", bad, "-q")
    assert code == 2 and "config error" in output and "convert" in output
    bad.write_text('[pipeline]\nstages = ["clean", "no_such_stage"]\n', encoding="utf-8")
    code, output = cli("run", tmp_path, "--out", tmp_path / "out", "--config", bad, "-q")
    assert code == 2 and "unknown stage 'no_such_stage'" in output
    assert not (tmp_path / "out").exists()


def test_evaluate_prints_the_reference_report(cli, tmp_path):
    out = tmp_path / "extracted"
    write_tables(out, [("r_en", "r_zht")])
    gold = _jsonl(tmp_path / "gold.jsonl", GOLD)
    pairs = _jsonl(tmp_path / "pairs.jsonl", [{"en": "en_hksh_mou", "zh": "zht_hksh_mou"}])
    code, output = cli("evaluate", "--gold", gold, "--extracted", out, "--pairs", pairs)
    assert code == 0
    reference = " ".join(run_reference(out, gold, pairs)[1].split())
    assert output == reference
    assert "ALIGN P=1.000 R=1.000 F=1.000 (tp=1 gold=1 pred=1)" in output
    assert "missing releases: 1 of 5" in output


def test_evaluate_json_and_language_filter(cli, tmp_path):
    out = tmp_path / "extracted"
    write_tables(out, [])
    gold = _jsonl(tmp_path / "gold.jsonl", GOLD)
    code, output = cli("evaluate", "--gold", gold, "--extracted", out, "--json", "--lang", "zh")
    assert code == 0
    printed = json.loads(output)
    assert printed == evaluate(Tables.read(out), read_jsonl(gold), lang="zh")
    assert printed["_gold_releases"] == 2
    assert printed == {**json.loads(run_reference(out, gold, "--json", "--lang=zh")[1]), "_gold_releases": 2}


def test_evaluate_explains_missing_inputs(cli, tmp_path):
    gold = _jsonl(tmp_path / "gold.jsonl", GOLD)
    code, output = cli("evaluate", "--gold", tmp_path / "nope.jsonl", "--extracted", tmp_path)
    assert code == 2 and "no such file" in output and "nope.jsonl" in output
    code, output = cli("evaluate", "--gold", gold, "--extracted", tmp_path / "empty")
    assert code == 2 and "no releases table" in output


def test_progress_prints_plain_lines_where_the_output_is_not_a_terminal():
    """Under nohup or into a log file the bar does not show: a long batch still says how far it is."""
    import io

    from rich.console import Console

    from run_pipeline import _LoggedProgress

    log = io.StringIO()
    with _LoggedProgress("run", console=Console(file=log), every=0, transient=True) as progress:
        task = progress.add_task("a.txt", total=10)
        for _ in range(3):
            progress.advance(task)
    lines = [line for line in log.getvalue().splitlines() if line]
    assert lines[-1].startswith("run: 3/10 after") and lines[-1].endswith("a.txt")
    terminal = io.StringIO()
    with _LoggedProgress("run", console=Console(file=terminal, force_terminal=True), every=0) as progress:
        task = progress.add_task("a.txt", total=10)
        progress.advance(task)
    assert " after " not in terminal.getvalue()
