"""The English relation classifier: pair marking, candidates, the shipped model, and its trainer CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.relations.classifier import (
    RelationClassifier,
    apply,
    mark_text,
    mark_tokens,
    pair_candidates,
)
from pipeline.relations.common import Doc, Fact, Mention
from pipeline.release import Entity, Release
from pipeline.text.sentences import sentence_spans

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "rel-en"
LIVE = MODEL / "live"


def test_mark_text_puts_typed_markers_around_each_span_whatever_the_order():
    text = "Prof. Wong Ka-ming（黃家明）, Dean of Medicine at HKU-Shenzhen Hospital, spoke."
    person = (text.index("Wong"), text.index("（"), "PERSON")
    org = (text.index("HKU"), text.index(", spoke"), "ORG")
    assert mark_text(text, person, org) == (
        "Prof. @ * person * Wong Ka-ming @ （黃家明）, Dean of Medicine at # ^ organization ^ HKU-Shenzhen Hospital # , spoke."
    )
    # tail before head, spans touching each other and the ends of the text
    t2 = "Acme(Shenzhen)Ltd"
    marked = mark_text(t2, (4, 14, "GPE"), (0, 4, "ORG"))
    assert marked == "# ^ organization ^ Acme # @ * location * (Shenzhen) @ Ltd"
    with pytest.raises(ValueError):
        mark_text(text, (0, 10, "ORG"), (5, 12, "ORG"))


def test_token_marking_matches_text_marking():
    tokens = ["Jane", "Doe", "joined", "Acme", "Corp", "."]
    assert mark_tokens(tokens, (0, 2, "PERSON"), (3, 5, "ORG")) == mark_text(
        "Jane Doe joined Acme Corp .", (0, 8, "PERSON"), (16, 25, "ORG")
    )


def _doc(text: str, spans: dict[str, tuple[str, list[str]]]) -> Doc:
    ents, mentions = [], []
    for i, (name, (label, surfaces)) in enumerate(spans.items()):
        ent = Entity(f"e{i}", label, name, name)
        for surf in surfaces:
            s = text.index(surf)
            ent.mentions.append((s, s + len(surf)))
            mentions.append(Mention(s, s + len(surf), ent))
        ents.append(ent)
    release = Release("x.txt", text, clean_text=text, lang="en", entities=ents)
    return Doc(release, text, sorted(mentions, key=lambda m: m.start), None)


TEXT = (
    "HONG KONG, 3 March 2025 – Dr. Jane Doe, Chief Executive of Acme Medical Group, said the group’s "
    "Shenzhen unit, Acme Care, opened today.\nAcme Care is located in Shenzhen. Contact: press@acme.hk"
)
SPANS = {
    "Jane Doe": ("PERSON", ["Jane Doe"]),
    "Acme Medical Group": ("ORG", ["Acme Medical Group"]),
    "Acme Care": ("ORG", ["Acme Care"]),  # first mentions only: the second sentence has none
    "Shenzhen": ("GPE", ["Shenzhen"]),
    "HONG KONG": ("GPE", ["HONG KONG"]),
}


def test_candidates_are_typed_ordered_pairs_within_one_sentence():
    doc = _doc(TEXT, SPANS)
    sents = sentence_spans(TEXT, "en")
    assert [TEXT[s:e] for s, e in sents][:2] == [
        TEXT[: TEXT.index("\n")],
        "Acme Care is located in Shenzhen.",
    ]  # not cut at "Dr."
    cands = pair_candidates(doc, sents[0])
    pairs = {(c.head.entity.text, c.tail.entity.text, c.type) for c in cands}
    assert ("Jane Doe", "Acme Medical Group", "role") in pairs
    assert ("Acme Care", "Acme Medical Group", "subsidiary_of") in pairs and (
        "Acme Medical Group",
        "Acme Care",
        "subsidiary_of",
    ) in pairs
    assert ("Acme Medical Group", "HONG KONG", "located_in") in pairs
    assert not any(c.head.label == "GPE" or c.tail.label == "PERSON" for c in cands)  # no type reads GPE->X or X->PERSON
    assert pair_candidates(doc, sents[1]) == []  # the second mention of Acme Care is not a mention here


needs_model = pytest.mark.skipif(not (LIVE / "delta.safetensors").is_file(), reason="models/rel-en not built")


@pytest.fixture(scope="module")
def shipped():
    import os

    os.environ["HF_HUB_OFFLINE"] = "1"  # nothing may be downloaded: the base ships in site-packages
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    return RelationClassifier.load(MODEL)


@needs_model
def test_shipped_model_loads_offline_and_reads_a_clear_employer_sentence(shipped):
    sent = "Dr. Chan Tai-man, chief executive officer of Evergreen Biotech Limited, said the results were encouraging."
    person = (sent.index("Chan"), sent.index(", chief"), "PERSON")
    org = (sent.index("Evergreen"), sent.index(", said"), "ORG")
    probs = shipped.predict(
        [mark_text(sent, person, org), mark_text(sent, org, (sent.index("Dr."), sent.index("Dr.") + 3, "ORG"))]
    )
    labels = shipped.labels
    assert labels[int(probs[0].argmax())] == "role"
    assert probs[0][labels.index("role")] > probs[1][labels.index("role")]
    assert (MODEL / "MODEL_CARD.md").is_file()
    assert (LIVE / "delta.safetensors").stat().st_size < 40e6  # only what training changed, fp16


@needs_model
def test_filter_mode_keeps_pattern_facts_on_pairs_it_cannot_see(shipped):
    doc = _doc(TEXT, SPANS)
    ents = {e.text: e for e in doc.release.entities}
    second = sentence_spans(TEXT, "en")[1]  # read through coreference: neither mention is in this sentence
    far = Fact("role", ents["Jane Doe"], ents["Acme Care"], second, 0.9, title="CEO")
    clear = Fact(
        "role", ents["Jane Doe"], ents["Acme Medical Group"], sentence_spans(TEXT, "en")[0], 0.9, title="Chief Executive"
    )
    wrong = Fact(
        "located_in", ents["Acme Medical Group"], ents["Jane Doe"], sentence_spans(TEXT, "en")[0], 0.9
    )  # no such type pair
    doc.facts = [far, clear, wrong]
    apply(doc, shipped, "filter")
    assert doc.facts == [far, clear, wrong]


def _tiny_docred(folder: Path) -> None:
    doc = {
        "title": "t",
        "sents": [
            ["Jane", "Doe", "is", "the", "chief", "executive", "of", "Acme", "Corp", "in", "Boston", "."],
            ["Acme", "Corp", "owns", "Beta", "Labs", "."],
        ],
        "vertexSet": [
            [{"name": "Jane Doe", "pos": [0, 2], "sent_id": 0, "type": "PER"}],
            [
                {"name": "Acme Corp", "pos": [7, 9], "sent_id": 0, "type": "ORG"},
                {"name": "Acme Corp", "pos": [0, 2], "sent_id": 1, "type": "ORG"},
            ],
            [{"name": "Boston", "pos": [10, 11], "sent_id": 0, "type": "LOC"}],
            [{"name": "Beta Labs", "pos": [3, 5], "sent_id": 1, "type": "ORG"}],
        ],
        "labels": [
            {"r": "P108", "h": 0, "t": 1, "evidence": [0]},
            {"r": "P159", "h": 1, "t": 2, "evidence": [0]},
            {"r": "P127", "h": 3, "t": 1, "evidence": [1]},
        ],
    }
    (folder / "redocred").mkdir(parents=True)
    for split in ("dev", "test"):
        (folder / "redocred" / f"{split}_revised.json").write_text(json.dumps([doc]), "utf-8")


def test_train_relations_cli_builds_a_loadable_model_in_one_step(cli, tmp_path):
    data = tmp_path / "datasets"
    _tiny_docred(data)
    out = tmp_path / "rel-en"
    code, output = cli("train", "relations", "--lang", "en", "--datasets", data, "--model-dir", out, "--max-steps", "1")
    assert code == 0, output
    assert "1 steps" in output and "held-out role" in output
    config = json.loads((out / "live" / "config.json").read_text("utf-8"))
    assert config["labels"][0] == "none" and config["trained"]["steps"] == 1
    assert "Re-DocRED" in (out / "MODEL_CARD.md").read_text("utf-8")
    clf = RelationClassifier.load(out)
    assert clf.predict(["@ * person * A @ works at # ^ organization ^ B # ."]).shape == (1, 4)

    code, output = cli("train", "relations", "--lang", "zh", "--datasets", data, "--model-dir", tmp_path / "zh")
    assert code == 2 and "no Chinese relation classifier" in output
