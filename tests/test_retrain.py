"""The retraining loop: review decisions -> export -> train -> promote only if not worse -> roll back.

Promotion and rollback run on real model folders copied to tmp_path (the shipped Chinese model, the
shipped relation classifier, en_core_web_sm's ner weights); the repository's models/ is only read.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipeline.export_reviews import export_reviews
from pipeline.review.decide import ReviewData
from pipeline.review.store import ReviewStore
from pipeline.train.ner_en import live_ner, load_english, train_en_ner
from pipeline.train.promote import decide, digest, live_model, promote, recover, resolve, rollback

from . import review_data as rd

MODELS = Path(__file__).resolve().parents[1] / "models"
ZH_LIVE = MODELS / "ner-zh" / "live"
REL_LIVE = MODELS / "rel-en" / "live"


def _copy(src: Path, dest: Path, marker: str | None = None) -> Path:
    """A copy of a model folder; with `marker`, a different model: one more file, and (spaCy) its meta.json version."""
    shutil.copytree(src, dest)
    if marker is not None:
        (dest / "MARKER").write_text(marker)
        if (dest / "meta.json").is_file():
            meta = json.loads((dest / "meta.json").read_text("utf-8"))
            (dest / "meta.json").write_text(json.dumps({**meta, "version": marker}), "utf-8")
        if (dest / "config.json").is_file():
            config = json.loads((dest / "config.json").read_text("utf-8"))
            (dest / "config.json").write_text(json.dumps({**config, "marker": marker}), "utf-8")
    return dest


def _two_generations(folder: Path, src: Path) -> tuple[str, str]:
    """Promote a copy of `src`, then a modified copy over it: previous/ is `src`, live/ the modified one."""
    _copy(src, folder / "candidate")
    promote(folder)
    _copy(src, folder / "candidate", marker="modified")
    promote(folder)
    old, new = digest(folder / "previous"), digest(folder / "live")
    assert old == digest(src) and new != old
    return old, new


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

    from pipeline.train.corpora.common import blank_zh
    from pipeline.train.ner_zh import add_reviewed

    nlp = blank_zh()
    bins = DocBin(store_user_data=True)
    for i in range(40):
        doc = nlp.make_doc(f"养和医疗集团行政总裁李维达{i}日在香港签署备忘录")
        doc.ents = [
            doc.char_span(0, 6, "ORG"),
            doc.char_span(10, 13, "PERSON"),
            doc.char_span(doc.text.index("日") - len(str(i)), doc.text.index("日") + 1, "DATE"),
        ]
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


# -- one layout, real models ----------------------------------------------------------------------


@pytest.mark.skipif(not ZH_LIVE.is_dir(), reason="models/ner-zh/live not shipped")
def test_train_without_a_folder_works_on_the_models_root_a_run_reads(cli, tmp_path, monkeypatch):
    """No --models-dir: `train` uses $MEDPR_MODELS (where the next run loads models from), not a
    models/ relative to wherever it was started; in a checkout, without the variable, the checkout's."""
    from pipeline.models import ENV, model_path, training_root

    monkeypatch.delenv(ENV, raising=False)
    assert training_root() == Path(__file__).resolve().parent.parent / "models"
    folder = tmp_path / "ner-zh"
    old, _ = _two_generations(folder, ZH_LIVE)
    monkeypatch.setenv(ENV, str(tmp_path))
    monkeypatch.chdir(tmp_path.parent)  # a models/ here would be the old, cwd-relative default
    code, out = cli("train", "ner", "--lang", "zh", "--rollback")
    assert code == 0, out
    assert str(folder / "live") in out and digest(folder / "live") == old
    assert model_path("models/ner-zh") == folder


def test_zh_rollback_really_swaps_the_chinese_model_the_stage_loads(cli, tmp_path):
    from pipeline.stages.recognise import Recognise

    folder = tmp_path / "ner-zh"
    old, new = _two_generations(folder, ZH_LIVE)
    assert resolve(folder, "config.cfg") == folder / "live"

    code, out = cli("train", "ner", "--lang", "zh", "--rollback", "--models-dir", tmp_path)
    assert code == 0, out
    assert "rolled back" in out and str(folder / "live") in out and old[:12] in out
    assert digest(folder / "live") == old and digest(folder / "candidate") == new and not (folder / "previous").exists()
    stage = Recognise(zh_model=str(folder), zh_backend="model")
    assert stage.zh_model_path == folder / "live"
    assert stage.chinese.nlp.meta["version"] == json.loads((ZH_LIVE / "meta.json").read_text("utf-8"))["version"]
    history = [json.loads(line) for line in (folder / "promotions.jsonl").read_text().splitlines()]
    assert history[-1]["event"] == "rollback" and history[-1]["live_digest"] == old

    code, out = cli("train", "ner", "--lang", "zh", "--rollback", "--models-dir", tmp_path)
    assert code == 2 and "no previous model" in out
    assert digest(folder / "live") == old


@pytest.mark.skipif(not ZH_LIVE.is_dir(), reason="models/ner-zh/live not shipped")
def test_the_pipeline_loads_the_shipped_chinese_model_from_live_whatever_the_config_says():
    assert resolve(MODELS / "ner-zh", "config.cfg") == ZH_LIVE
    assert resolve(MODELS / "ner-zh" / "model", "config.cfg") == ZH_LIVE  # a config written for the old layout
    assert resolve(ZH_LIVE, "config.cfg") == ZH_LIVE  # the model itself
    assert (ZH_LIVE / "scores.json").is_file() and (MODELS / "ner-zh" / "MODEL_CARD.md").is_file()


@pytest.mark.skipif(not ZH_LIVE.is_dir(), reason="models/ner-zh/live not shipped")
def test_old_chinese_layout_is_still_loaded_and_the_next_promote_migrates_it(tmp_path):
    folder = tmp_path / "ner-zh"
    _copy(ZH_LIVE, folder / "model")
    (folder / "model" / "scores.json").rename(folder / "scores.json")
    assert resolve(folder, "config.cfg") == folder / "model"
    assert resolve(folder / "model", "config.cfg") == folder / "model"
    shipped = digest(ZH_LIVE)

    _copy(ZH_LIVE, folder / "candidate", marker="retrained")
    promote(folder)
    assert not (folder / "model").exists() and not (folder / "scores.json").exists()
    assert digest(folder / "previous") == shipped  # scores.json moved in beside the model
    assert resolve(folder, "config.cfg") == folder / "live" == resolve(folder / "model", "config.cfg")
    assert (folder / "live" / "MARKER").read_text() == "retrained"
    rollback(folder)
    assert digest(folder / "live") == shipped


@pytest.mark.skipif(not ZH_LIVE.is_dir(), reason="models/ner-zh/live not shipped")
def test_old_chinese_layout_with_a_previous_model_rolls_back_for_real(cli, tmp_path):
    """The bug of issue 13: rollback said "rolled back" and left model/ as it was."""
    folder = tmp_path / "ner-zh"
    _copy(ZH_LIVE, folder / "model", marker="current")
    (folder / "model" / "scores.json").rename(folder / "scores.json")
    _copy(ZH_LIVE, folder / "previous" / "model")
    (folder / "previous" / "model" / "scores.json").rename(folder / "previous" / "scores.json")

    code, out = cli("train", "ner", "--lang", "zh", "--rollback", "--model-dir", folder)
    assert code == 0 and "rolled back" in out, out
    assert digest(folder / "live") == digest(ZH_LIVE)
    assert (folder / "candidate" / "MARKER").read_text() == "current"
    assert not (folder / "model").exists() and not (folder / "previous").exists()
    assert resolve(folder / "model", "config.cfg") == folder / "live"


def test_english_rollback_puts_the_previous_ner_weights_back(cli, tmp_path):
    import spacy

    from pipeline.train.ner_en import BASE

    folder = tmp_path / "ner-en"
    assert live_ner(folder) is None  # no live/: en_core_web_sm's own weights
    ner = spacy.load(BASE, exclude=["lemmatizer"]).get_pipe("ner")
    (tmp_path / "base").mkdir()
    (tmp_path / "marked").mkdir()
    ner.to_disk(tmp_path / "base" / "ner")
    ner.add_label("ROLLBACK_MARKER")
    ner.to_disk(tmp_path / "marked" / "ner")
    for src in ("base", "marked"):
        shutil.copytree(tmp_path / src, folder / "candidate")
        promote(folder)
    assert "ROLLBACK_MARKER" in load_english(folder).get_pipe("ner").labels

    code, out = cli("train", "ner", "--lang", "en", "--rollback", "--models-dir", tmp_path)
    assert code == 0 and "rolled back" in out, out
    assert live_ner(folder) == folder / "live" and digest(folder / "live") == digest(tmp_path / "base")
    assert "ROLLBACK_MARKER" not in load_english(folder).get_pipe("ner").labels
    code, out = cli("train", "ner", "--lang", "en", "--rollback", "--models-dir", tmp_path)
    assert code == 2 and "no previous model" in out


@pytest.mark.skipif(not (REL_LIVE / "delta.safetensors").is_file(), reason="models/rel-en/live not shipped")
def test_relation_rollback_puts_the_previous_classifier_back(cli, tmp_path, monkeypatch):
    from pipeline.relations.classifier import RelationClassifier

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    folder = tmp_path / "rel-en"
    old, new = _two_generations(folder, REL_LIVE)
    assert resolve(MODELS / "rel-en", "delta.safetensors") == REL_LIVE

    code, out = cli("train", "relations", "--lang", "en", "--rollback", "--models-dir", tmp_path)
    assert code == 0 and "rolled back" in out, out
    assert digest(folder / "live") == old and digest(folder / "candidate") == new
    clf = RelationClassifier.load(folder)
    assert "marker" not in clf.config and clf.labels[0] == "none"
    code, out = cli("train", "relations", "--lang", "en", "--rollback", "--models-dir", tmp_path)
    assert code == 2 and "no previous model" in out


@pytest.mark.skipif(not (REL_LIVE / "delta.safetensors").is_file(), reason="models/rel-en/live not shipped")
def test_old_relation_layout_is_loaded_from_the_top_and_migrated_by_the_next_promote(tmp_path):
    folder = tmp_path / "rel-en"
    folder.mkdir()
    for f in REL_LIVE.iterdir():
        shutil.copy2(f, folder / f.name)
    (folder / "MODEL_CARD.md").write_text("card")
    assert resolve(folder, "delta.safetensors") == folder
    _copy(REL_LIVE, folder / "candidate", marker="retrained")
    promote(folder)
    assert digest(folder / "previous") == digest(REL_LIVE)
    assert not (folder / "delta.safetensors").exists() and (folder / "MODEL_CARD.md").read_text() == "card"
    assert resolve(folder, "delta.safetensors") == folder / "live"


def test_nothing_to_roll_back_is_an_error_for_every_model(cli, tmp_path):
    (tmp_path / "ner-zh" / "live").mkdir(parents=True)  # a live model, but nothing it replaced
    for args in (("ner", "--lang", "en"), ("ner", "--lang", "zh"), ("relations", "--lang", "en")):
        code, out = cli("train", *args, "--rollback", "--models-dir", tmp_path)
        assert code == 2 and "cannot roll back" in out and "no previous model" in out
    assert (tmp_path / "ner-zh" / "live").is_dir()
    with pytest.raises(FileNotFoundError, match="no previous model"):
        rollback(tmp_path / "ner-zh")


def _gen(folder: Path, name: str) -> str | None:
    return (folder / name / "gen.txt").read_text() if (folder / name).is_dir() else None


def test_a_promotion_cut_short_still_leaves_a_model_to_load_and_is_finished_later(tmp_path):
    for gen in ("one", "two"):
        (tmp_path / "candidate").mkdir()
        (tmp_path / "candidate" / "gen.txt").write_text(gen)
        promote(tmp_path)
    (tmp_path / "candidate").mkdir()
    (tmp_path / "candidate" / "gen.txt").write_text("three")
    # the renames of promote(), stopped after "live -> previous": no live/ on disk
    (tmp_path / "candidate").rename(tmp_path / ".promote")
    (tmp_path / "previous").rename(tmp_path / ".promote-replaced")
    (tmp_path / "live").rename(tmp_path / "previous")
    assert live_model(tmp_path) == tmp_path / ".promote"  # readers load the model on its way in
    recover(tmp_path)
    assert (_gen(tmp_path, "live"), _gen(tmp_path, "previous")) == ("three", "two")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live", "previous"]


def test_a_rollback_cut_short_is_finished_by_the_next_call(tmp_path):
    for gen in ("one", "two"):
        (tmp_path / "candidate").mkdir()
        (tmp_path / "candidate" / "gen.txt").write_text(gen)
        promote(tmp_path)
    # stopped after its first rename: previous/ is on its way in, live/ untouched
    (tmp_path / "previous").rename(tmp_path / ".rollback")
    assert live_model(tmp_path) == tmp_path / "live" and _gen(tmp_path, "live") == "two"
    rollback(tmp_path)  # the same rollback again: it finishes the first one, and rolls back no further
    assert (_gen(tmp_path, "live"), _gen(tmp_path, "candidate")) == ("one", "two")
    assert not (tmp_path / "previous").exists() and not (tmp_path / ".rollback").exists()
    with pytest.raises(FileNotFoundError):
        rollback(tmp_path)


def test_a_promotion_cut_short_before_live_moved_is_finished_by_the_next_trainer(tmp_path):
    from pipeline.train.promote import new_candidate

    (tmp_path / "candidate").mkdir()
    (tmp_path / "candidate" / "gen.txt").write_text("one")
    promote(tmp_path)
    (tmp_path / "candidate").mkdir()
    (tmp_path / "candidate" / "gen.txt").write_text("two")
    (tmp_path / "candidate").rename(tmp_path / ".promote")  # stopped after its first rename
    assert _gen(tmp_path, "live") == "one"
    assert new_candidate(tmp_path) == tmp_path / "candidate" and not any((tmp_path / "candidate").iterdir())
    assert (_gen(tmp_path, "live"), _gen(tmp_path, "previous")) == ("two", "one")
