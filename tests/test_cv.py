"""`evaluate --cv K`: folds by event (a translation never lands in another fold than its original),
the alignment weights refitted without the fold they score."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.align.calibrate import cross_validate as cv_pairs
from pipeline.align.pairs import FEATURES
from pipeline.cv import GoldSet, assign_folds, cross_validate, event_groups
from pipeline.evaluate import evaluate
from pipeline.io.tables import Tables

from .test_evaluate import GOLD, _jsonl, write_tables


def test_events_join_pairs_and_docs_groups_transitively():
    ids = ["en1", "zhs1", "zht1", "en2", "zht2", "zhs2", "alone"]
    events = event_groups(
        ids,
        pairs=[("en1", "zhs1"), ("en2", "zht2")],
        docs=[
            {"id": "zht1", "pair": "P1"},
            {"id": "zhs1", "pair": "P1"},
            {"id": "zhs2", "pair": "P2"},
            {"id": "alone", "pair": None},
        ],
    )
    assert events["en1"] == events["zhs1"] == events["zht1"]
    assert events["en2"] == events["zht2"] != events["en1"]
    assert len({events["zhs2"], events["alone"], events["en1"], events["en2"]}) == 4


def test_folds_keep_events_whole_balanced_and_repeatable():
    events = {f"r{i}": f"e{i // 3}" for i in range(30)} | {f"s{i}": f"single{i}" for i in range(12)}
    fold = assign_folds(events, 4)
    assert fold == assign_folds(dict(reversed(list(events.items()))), 4)  # input order does not matter
    for event in set(events.values()):
        assert len({fold[r] for r, e in events.items() if e == event}) == 1
    sizes = [sum(1 for f in fold.values() if f == i) for i in range(4)]
    assert sum(sizes) == 42 and max(sizes) - min(sizes) <= 3  # at most one event (3 releases) apart


@pytest.mark.parametrize("k", [0, 1, 11])
def test_a_bad_number_of_folds_is_refused(k):
    with pytest.raises(ValueError, match=r"fold|events"):
        assign_folds({f"r{i}": f"e{i}" for i in range(10)}, k)


def _pairs_problem(n: int = 6) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]:
    rng = np.random.default_rng(0)
    names = [(f"en{i}", f"zh{j}") for i in range(n) for j in range(n)]
    y = np.array([int(e[2:] == z[2:]) for e, z in names])
    noise = rng.normal(0, 1, (len(y), len(FEATURES) - 1))
    x = np.column_stack([4 * y + rng.normal(0, 0.3, len(y)), noise])  # one telling feature, the rest noise
    return x, y, names


def test_alignment_leave_one_out_is_the_default_fold():
    x, y, names = _pairs_problem()
    assert cv_pairs(x, y, names, 1.0) == cv_pairs(x, y, names, 1.0, fold_of=lambda name: name)


def test_alignment_folds_never_fit_on_their_own_pairs():
    """With every release in one fold there is nothing left to fit on: no pair is chosen."""
    x, y, names = _pairs_problem()
    separable = cv_pairs(x, y, names, 1.0, fold_of=lambda name: int(name[2:]) % 3)
    assert separable["f"] == 1.0 and separable["gold"] == 6
    one_fold = cv_pairs(x, y, names, 1.0, fold_of=lambda name: 0)
    assert one_fold["pred"] == 0 and one_fold["r"] == 0.0
    missed = cv_pairs(
        x, y, names, 1.0, fold_of=lambda name: int(name[2:]) % 3, gold={(n[0], n[1]) for n in names[::7]} | {("enX", "zhX")}
    )
    assert missed["gold"] == 7 and missed["r"] < 1.0  # a gold pair that is not a candidate counts as missed


def test_cv_scores_pool_per_set_and_per_fold(tmp_path):
    write_tables(tmp_path, [])
    tables = Tables.read(tmp_path)
    sets = [GoldSet("first", GOLD[:2], [], []), GoldSet("second", GOLD[2:], [], [])]
    result = cross_validate(tables, sets, 2, judge=False)  # nothing refitted but the alignment: plain scores
    assert result["pooled"] == evaluate(tables, GOLD)
    assert result["per_set"]["second"] == evaluate(tables, GOLD[2:])
    judged = cross_validate(tables, sets, 2)  # the judge's conventions drop the bare 癌 (SCHEMA.md)
    assert judged["pooled"]["DISEASE"]["pred"] == result["pooled"]["DISEASE"]["pred"] - 1
    assert sum(f["_gold_releases"] for f in result["per_fold"]) == len(GOLD)
    with pytest.raises(ValueError, match="two gold files"):
        cross_validate(tables, [sets[0], sets[0]], 2)


def test_cli_cv_prints_each_gold_file_and_refuses_bad_input(cli, tmp_path):
    out = tmp_path / "extracted"
    write_tables(out, [])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _jsonl(tmp_path / "a" / "gold.jsonl", GOLD[:2])
    second = _jsonl(tmp_path / "b" / "gold.jsonl", GOLD[2:])
    code, output = cli("evaluate", "--gold", first, "--gold", second, "--extracted", out, "--cv", "2")
    assert code == 0, output
    assert output.startswith("5 releases, 5 events, 2 folds by event")
    assert "pooled a b fold mean sd" in output and "ENT*" in output
    code, output = cli("evaluate", "--gold", first, "--gold", second, "--extracted", out, "--cv", "9")
    assert code == 2 and "only 5 events" in output
    code, output = cli("evaluate", "--gold", first, "--gold", second, "--extracted", out)
    assert code == 2 and "need --cv" in output
    code, output = cli("evaluate", "--gold", first, "--gold", second, "--pairs", first, "--extracted", out, "--cv", "2")
    assert code == 2 and "one --pairs per --gold" in output


def test_event_bcubed_scores_grouping_against_the_gold_events():
    import pandas as pd

    from pipeline.cv import event_bcubed
    from pipeline.io.tables import Tables

    t = Tables()
    t.releases = pd.DataFrame({"source_path": ["a.txt", "b.txt", "c.txt", "d.txt"], "event_id": ["ev-1", "ev-1", "ev-1", "ev-4"]})
    # gold: {a, b} and {c, d}; predicted {a, b, c} and {d}
    got = event_bcubed(t, {"a": "x", "b": "x", "c": "y", "d": "y"})
    assert got["releases"] == 4 and got["p"] == round((2 / 3 + 2 / 3 + 1 / 3 + 1) / 4, 3) and got["r"] == 0.75
    assert event_bcubed(t, {"a": "x", "b": "x", "c": "y", "d": "z"})["p"] < 1.0
