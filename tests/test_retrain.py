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


def test_reviewed_chinese_releases_join_training_with_a_held_out_quarter(tmp_path):
    from spacy.tokens import DocBin

    from pipeline.train.ner_zh import add_reviewed
    from pipeline.train.zh_corpora import blank_zh

    nlp = blank_zh()
    bins = DocBin(store_user_data=True)
    for i in range(40):
        doc = nlp.make_doc(f"养和医疗集团行政总裁李维达{i}日在香港签署备忘录")
        doc.ents = [doc.char_span(0, 6, "ORG"), doc.char_span(10, 13, "PERSON"), doc.char_span(doc.text.index("日") - len(str(i)), doc.text.index("日") + 1, "DATE")]
        doc.user_data["release_id"] = f"r{i}"
        bins.add(doc)
    bins.to_disk(tmp_path / "zh.spacy")
    work = tmp_path / "work"
    (work / "test").mkdir(parents=True)
    DocBin().to_disk(work / "train.spacy")
    train_dir = add_reviewed(work, [tmp_path / "zh.spacy"])
    train_docs = list(DocBin().from_disk(train_dir / "reviewed.spacy").get_docs(nlp.vocab))
    test_docs = list(DocBin().from_disk(work / "test" / "reviewed.spacy").get_docs(nlp.vocab))
    assert len(train_docs) + len(test_docs) == 40 and 3 <= len(test_docs) <= 20
    assert {e.label_ for d in train_docs for e in d.ents} == {"ORG", "PERSON"}  # DATE is not the model's
    assert (train_dir / "public.spacy").is_file()


def test_promote_zh_keeps_the_previous_model(tmp_path):
    from pipeline.train.promote import promote_zh

    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "v").write_text("old")
    (tmp_path / "scores.json").write_text("{}")
    cand = tmp_path / "candidate"
    (cand / "model").mkdir(parents=True)
    (cand / "model" / "v").write_text("new")
    (cand / "scores.json").write_text('{"new": 1}')
    promote_zh(tmp_path, cand)
    assert (tmp_path / "model" / "v").read_text() == "new"
    assert (tmp_path / "previous" / "model" / "v").read_text() == "old"
    assert json.loads((tmp_path / "scores.json").read_text()) == {"new": 1}
    assert not cand.exists()
