"""The retraining loop: review decisions -> export -> train -> promote only if not worse -> roll back."""

from __future__ import annotations

import json
import shutil

import pytest

from pipeline.export_reviews import export_reviews
from pipeline.review.decide import ReviewData
from pipeline.review.store import ReviewStore
from pipeline.train.ner_en import load_english, train_en_ner
from pipeline.train.promote import decide, promote, rollback

from . import review_data as rd


def test_decide_promotes_only_when_not_worse():
    assert decide(None, 0.1).promoted
    assert decide(0.80, 0.80).promoted
    assert decide(0.80, 0.81).promoted
    assert not decide(0.80, 0.79).promoted


def test_promote_keeps_one_previous_generation_and_rolls_back(tmp_path):
    for gen in ("one", "two"):
        (tmp_path / "candidate").mkdir()
        (tmp_path / "candidate" / "gen.txt").write_text(gen)
        promote(tmp_path)
    assert (tmp_path / "live" / "gen.txt").read_text() == "two"
    assert (tmp_path / "previous" / "gen.txt").read_text() == "one"
    rollback(tmp_path)
    assert (tmp_path / "live" / "gen.txt").read_text() == "one"
    with pytest.raises(FileNotFoundError):
        rollback(tmp_path)


@pytest.fixture
def reviewed_export(tmp_path):
    folder = rd.write(tmp_path / "extracted")
    data = ReviewData(folder, ReviewStore(folder / "reviews.sqlite"))

    def act(rid, kind, key, action, **payload):
        return data.decide({"release_id": rid, "kind": kind, "key": key, "action": action, "reviewer": "ann", "data": payload})

    act(rd.EN, "entity", "e5", "reject")
    start, end = rd.span(rd.EN_TEXT, "Shenzhen Cancer Hospital")
    act(rd.EN, "entity", "e2", "span", start=start, end=end)
    act(rd.EN, "release", rd.EN, "reviewed")
    act(rd.CALM, "release", rd.CALM, "reviewed")
    out = tmp_path / "export"
    summary = export_reviews(folder, data.store.path, out)
    assert summary["reviewed"] == 2
    return out


def test_english_ner_retrains_from_reviews_and_records_the_decision(reviewed_export, tmp_path):
    model_dir = tmp_path / "ner-en"
    decision = train_en_ner([reviewed_export / "en.spacy"], model_dir, epochs=3)
    history = [json.loads(line) for line in (model_dir / "promotions.jsonl").read_text().splitlines()]
    assert len(history) == 1 and history[0]["promoted"] == decision.promoted
    assert history[0]["train_docs"] + history[0]["heldout_docs"] >= 2
    if decision.promoted:
        assert (model_dir / "live" / "ner").is_dir()
        nlp = load_english(model_dir)
        assert "ORG" in nlp.get_pipe("ner").labels
        assert not (model_dir / "candidate").exists()
    else:  # worse than en_core_web_sm on the held-out slice: the candidate waits, nothing goes live
        assert (model_dir / "candidate" / "ner").is_dir() and not (model_dir / "live").exists()
    shutil.rmtree(model_dir)


def test_train_cli_explains_what_is_missing(cli, tmp_path):
    code, out = cli("train", "ner", "--lang", "en")
    assert code == 2 and "--reviewed" in out
    code, out = cli("train", "ner", "--lang", "zh", "--model-dir", tmp_path / "m")
    assert code == 2 and "--datasets" in out
    code, out = cli("train", "ner", "--lang", "en", "--reviewed", tmp_path / "nowhere")
    assert code == 2 and "export-reviews" in out
    code, out = cli("train", "ner", "--lang", "en", "--rollback", "--model-dir", tmp_path / "m")
    assert code == 2 and "no previous model" in out
    code, _ = cli("train", "parse", "--lang", "en")
    assert code == 2
