"""The span judge: learned from candidates with gold, applied by the judge_entities stage, refitted
out of fold; nothing it drops is lost."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest

from pipeline.io.tables import Tables
from pipeline.ner.span_filter import KEEP, NONE, Candidate, SpanJudge, features, fit, gold_label
from pipeline.stages.judge import JudgeEntities
from pipeline.train.spans import candidate_tables, out_of_fold_drops, train_spans

from .test_runner import RAW, counts

TEXT = (
    "HONG KONG, Dec. 11, 2025 /PRNewswire/ -- HKSH Medical Group signed a memorandum of understanding with "
    "Shenzhen Cancer Hospital today. Dr Walton Li, Chief Executive Officer of HKSH Medical Group, said the "
    "partnership will bring cancer care to patients in the Greater Bay Area. Source: Media OutReach Newswire."
)


def _cand(text: str, label: str = "ORG", source: str = "ruler", at: int = 0, clean: str = TEXT) -> Candidate:
    return Candidate(label, text, source, 0.9, [(at, at + len(text))], [], clean, "en")


def test_a_candidate_is_kept_only_when_gold_has_its_name_under_its_label():
    gold = [{"label": "ORG", "text": "HKSH Medical Group"}, {"label": "GPE", "text": "Hong Kong"}]
    assert gold_label(_cand("The HKSH Medical Group"), gold) == KEEP  # SCHEMA.md matching: "the" dropped
    assert gold_label(_cand("Hong Kong"), gold) == NONE  # the name is gold, but as a GPE
    assert gold_label(_cand("Media OutReach Newswire"), gold) == NONE


def test_features_read_the_words_around_the_first_mention():
    at = TEXT.index("Media OutReach")
    f = features(_cand("Media OutReach Newswire", at=at))
    assert f["ORG|prev=:"] == 1.0 and f["ORG|prev2=source :"] == 1.0 and f["ORG|next=."] == 1.0
    assert f["ORG|last=newswire"] == 1.0 and f["ORG|src=ruler"] == 1.0
    zh = "本報訊 香港養和醫療集團今日與深圳醫院簽署合作備忘錄。"
    fz = features(Candidate("ORG", "養和醫療集團", "model", 0.8, [(6, 12)], [], zh, "zh"))
    assert fz["ORG|last2=集團"] == 1.0 and fz["ORG|prev=港"] == 1.0 and fz["ORG|next=今"] == 1.0


def _toy() -> tuple[list[Candidate], list[str]]:
    """Programmes are never entities; hospitals and groups are (newswires are decided by SCHEMA.md)."""
    keep = [f"{w} {h}" for w in ("Kiang Wu", "Ruijin", "Union", "Queen Mary", "Tung Wah") for h in ("Hospital", "Medical Group")]
    drop = [f"{w} Programme" for w in ("Media OutReach", "PR", "Globe", "Asia", "Business")]
    cands = [_cand(t) for t in keep + drop]
    return cands, [KEEP] * len(keep) + [NONE] * len(drop)


def test_a_fitted_judge_round_trips_through_json_and_drops_what_it_learned(tmp_path):
    cands, labels = _toy()
    judge = fit(cands, labels, c=1.0)
    judge.save(tmp_path / "judge.json")
    again = SpanJudge.load(tmp_path / "judge.json")
    assert json.loads((tmp_path / "judge.json").read_text())["classes"] == [KEEP, NONE]
    for c in cands:
        assert again.p_none(c) == pytest.approx(judge.p_none(c))
    assert again.p_none(_cand("Vision Programme")) > 0.5 > again.p_none(_cand("Pok Oi Hospital"))
    assert again.p_none(_cand("Vision Newswire")) == 1.0  # a media outlet, whatever the weights
    assert again.decide(_cand("Vision Newswire")) == NONE
    with pytest.raises(ValueError, match="two classes"):
        fit(cands[:3], labels[:3])


def test_out_of_fold_drops_never_use_the_folds_own_candidates():
    """Fold 1 holds every NONE example: the model fitted without it has one class and drops nothing there."""
    cands, labels = _toy()
    rows = [("r", f"E{i}", "a" if lab == NONE else f"k{i % 2}", c, lab) for i, (c, lab) in enumerate(zip(cands, labels))]
    fold = {"a": 1, "k0": 0, "k1": 0}
    assert out_of_fold_drops(rows, fold, 2, c=1.0) == set()
    fold = {"a": 1, "k0": 0, "k1": 1}  # now fold 1 also has KEEP rows and fold 0's model sees NONE ones
    assert out_of_fold_drops(rows, fold, 2, c=1.0) <= {(r[0], r[1]) for r in rows if fold[r[2]] == 0}


def test_the_stage_moves_rejected_candidates_aside_and_is_repeatable(process):
    shipped = process(TEXT, "judge.txt")
    everything = shipped.entities + shipped.rejected
    assert {e.entity_id for e in shipped.entities}.isdisjoint(e.entity_id for e in shipped.rejected)
    release = copy.deepcopy(shipped)
    release.entities, release.rejected = copy.deepcopy(everything), []
    JudgeEntities(threshold=0.05)(release)  # a strict judge: something goes
    assert release.rejected and len(release.entities) + len(release.rejected) == len(everything)
    again = copy.deepcopy(release)
    again.entities, again.rejected = copy.deepcopy(everything), []
    JudgeEntities(threshold=0.05)(again)
    assert [e.entity_id for e in again.entities] == [e.entity_id for e in release.entities]
    assert [(e.entity_id, e.score, e.source) for e in again.rejected] == [
        (e.entity_id, e.score, e.source) for e in release.rejected
    ]
    keep_all = copy.deepcopy(release)
    keep_all.entities, keep_all.rejected = copy.deepcopy(everything), []
    JudgeEntities(threshold=1.0)(keep_all)
    assert len(keep_all.entities) + len(keep_all.rejected) == len(everything)
    with pytest.raises(ValueError, match="threshold"):
        JudgeEntities(threshold=0.0)
    with pytest.raises(FileNotFoundError, match="train spans"):
        JudgeEntities(model="/nonexistent/span-judge")


def test_run_writes_rejected_entities_and_keeps_them_on_a_rerun(cli, tmp_path):
    config = tmp_path / "judged.toml"
    config.write_text('[pipeline]\nstages = ["clean", "convert", "recognise", "relate", "judge_entities"]\n', encoding="utf-8")
    out = tmp_path / "out"
    assert cli("run", RAW, "--out", out, "--config", config, "-q")[0] == 0
    first = Tables.read(out)
    assert not first.rejected_entities.empty
    assert set(first.rejected_entities.release_id) <= set(first.releases.release_id)
    both = candidate_tables(first).entities
    assert len(both) == len(first.entities) + len(first.rejected_entities)
    code, output = cli("run", RAW, "--out", out, "--config", config, "-q")
    assert code == 0 and counts(output)["skipped as unchanged"] == 5
    pd.testing.assert_frame_equal(Tables.read(out).rejected_entities, first.rejected_entities)


def test_train_spans_writes_a_candidate_and_judges_it_out_of_fold(tmp_path):
    out = tmp_path / "out"
    from pipeline.registry import PipelineConfig
    from pipeline.runner import Pipeline, run_batch

    cfg = PipelineConfig(["clean", "convert", "recognise"], {}, "test")
    assert run_batch([RAW], out, Pipeline(cfg), force=True).ok
    tables = Tables.read(out)
    from pipeline.cv import GoldSet
    from pipeline.ner.span_filter import from_tables

    stems = sorted({g for _, _, g, _ in from_tables(tables)})
    # gold: every candidate's name except those of one label, per release: both classes, 5 events
    gold = [
        {
            "id": s,
            "relations": [],
            "entities": [
                {"label": c.label, "text": c.text} for _, _, g, c in from_tables(tables) if g == s and c.label != "DATE"
            ],
        }
        for s in stems
    ]
    lines: list[str] = []
    result = train_spans(tables, [GoldSet("toy", gold, [], [])], tmp_path / "span-judge", k=2, log=lines.append)
    assert (tmp_path / "span-judge" / ("live" if result["promoted"] else "candidate") / "judge.json").is_file()
    assert result["none"] == sum(1 for _, _, _, c in from_tables(tables) if c.label == "DATE")
    assert "judged out of fold (2 folds by event)" in lines[0]
    log = [json.loads(x) for x in (tmp_path / "span-judge" / "promotions.jsonl").read_text().splitlines()]
    assert log[-1]["entity_f1_candidates"] == result["entity_f1_candidates"]
    from pipeline.train.spans import grid

    rows = grid(tables, [GoldSet("toy", gold, [], [])], k=2, cs=(0.3, 1.0), thresholds=(0.5,))
    assert [(r["c"], r["threshold"]) for r in rows] == [(0.3, 0.5), (1.0, 0.5)]
    assert rows[0]["pooled"] == pytest.approx(result["entity_f1_out_of_fold"], abs=1e-4)  # the shipped pair, as train reported


def _ent(eid: str, label: str, text: str, clean: str, source: str = "ruler"):
    from pipeline.release import Entity

    at, mentions = clean.find(text), []
    while at >= 0:
        mentions.append((at, at + len(text)))
        at = clean.find(text, at + 1)
    return Entity(eid, label, text, text, mentions, [], source, 0.9)


def test_variants_merge_neighbours_and_split_two_names_read_as_one():
    from pipeline.ner.span_filter import MERGE, SPLIT, variants

    text = (
        "Pok Oi Hospital, Lingnan University School of Medicine signed with Alder Labs and Birch Holdings. "
        "Lingnan University School of Medicine said so."
    )
    ents = [
        _ent("E1", "ORG", "Pok Oi Hospital", text),
        _ent("E2", "ORG", "Lingnan University School of Medicine", text),
        _ent("E3", "ORG", "Alder Labs and Birch Holdings", text),
    ]
    new = {v.text: v for v in variants(ents, text, "en", 4)}
    assert new["Pok Oi Hospital, Lingnan University School of Medicine"].source == MERGE
    assert new["Alder Labs"].source == SPLIT and new["Birch Holdings"].source == SPLIT
    assert sorted(v.entity_id for v in new.values()) == ["E4", "E5", "E6"]
    zh = "北京和睦家医院今日宣布。"
    zents = [_ent("E1", "GPE", "北京", zh), _ent("E2", "ORG", "和睦家医院", zh)]
    assert [v.text for v in variants(zents, zh, "zh", 3)] == ["北京和睦家医院"]
    assert variants([_ent("E1", "ORG", "Johnson and", "Johnson and son")], "Johnson and son", "en", 2) == []


def test_resolve_weighs_a_variant_against_what_it_overlaps():
    from pipeline.ner.span_filter import MERGE, resolve

    text = "Pok Oi Hospital, Lingnan University School of Medicine signed. Lingnan University School of Medicine said so."
    a, b = _ent("E1", "ORG", "Pok Oi Hospital", text), _ent("E2", "ORG", "Lingnan University School of Medicine", text)
    m = _ent("E3", "ORG", "Pok Oi Hospital, Lingnan University School of Medicine", text, source=MERGE)
    # the merge is likelier: the part wholly inside it goes, the part also written alone stays
    assert resolve([a, b, m], [0.3, 0.2, 0.1], 0.5) == [False, True, True]
    # the parts are likelier: the merge goes
    assert resolve([a, b, m], [0.1, 0.2, 0.3], 0.5) == [True, True, False]
    # over the threshold: dropped whatever it overlaps
    assert resolve([a, b, m], [0.3, 0.2, 0.6], 0.5) == [True, True, False]
