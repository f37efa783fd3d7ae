"""Fit the pair score (logistic regression over `pairs.FEATURES`) on gold EN-ZH pairs.

    python -m pipeline.align.calibrate --extracted OUT --pairs pairs.jsonl [--write]

OUT is a folder written by `run_pipeline.py run`: with entity rows (recognise in the config) it
writes weights.json, without them weights_no_entities.json; the stage picks by its batch.
Every EN x ZH pair of canonical releases is a training row, labelled by the gold pairs; the fitted
probability is what the stage thresholds, so `threshold = 0.5` means "more likely the same event
than not". Weights are kept small (L2, C=10, picked by the leave-one-out estimate of `--cv`);
features are all "more is more" except `date_conflict`, so the signs can be checked by eye.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from pipeline.align import pairs
from pipeline.align.lexicon import DATA
from pipeline.evaluate import gold_pairs, read_jsonl
from pipeline.io.tables import Tables
from pipeline.stages.align import Align, Entities


def training_rows(tables: Tables, gold: set[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]:
    stage = Align(encoder=True)
    ents = Entities.read(tables)
    copies = stage.fold_copies(tables)
    en, zh = stage.sides(tables, copies, ents)
    cand = np.array([(i, j) for i in range(len(en)) for j in range(len(zh))], dtype=np.int64).reshape(-1, 2)
    x = stage.feature_matrix(en, zh, cand, ents, exact_cos=True)
    source = dict(zip(tables.releases["release_id"], tables.releases["source_path"]))
    stem = lambda rid: Path(str(source[rid])).stem
    en_names, zh_names = [stem(r) for r in en.ids], [stem(r) for r in zh.ids]
    names = [(en_names[i], zh_names[j]) for i, j in cand.tolist()]
    y = np.array([n in gold for n in names], dtype=int)
    return x, y, names


def fit(x: np.ndarray, y: np.ndarray, c: float = 0.5) -> dict:
    model = LogisticRegression(C=c, max_iter=1000).fit(x, y)
    coef = dict(zip(pairs.FEATURES, (round(float(v), 4) for v in model.coef_[0])))
    return {"bias": round(float(model.intercept_[0]), 4), "coef": coef}


def cross_validate(
    x: np.ndarray,
    y: np.ndarray,
    names: list[tuple[str, str]],
    c: float,
    threshold: float = 0.5,
    fold_of: Callable[[str], object] | None = None,
    gold: set[tuple[str, str]] | None = None,
) -> dict:
    """Out-of-fold pair scores, then chosen as the stage chooses; pair precision, recall and F1.

    `fold_of` maps a release name to its fold (default: each English release is its own fold,
    leave-one-out). A fold's pairs are scored by weights fitted on the pairs with neither side
    in that fold. `gold` (default: the positive rows) counts gold pairs that are not candidates
    (a side folded into a copy) as missed."""
    fold_of = fold_of or (lambda name: name)
    en_fold = np.array([fold_of(e) for e, _ in names], dtype=object)
    zh_fold = np.array([fold_of(z) for _, z in names], dtype=object)
    p = np.zeros(len(y))
    for g in sorted(set(en_fold.tolist()), key=str):
        test = en_fold == g
        train = ~test & (zh_fold != g)
        if y[train].sum() == 0 or y[train].all():
            continue  # one class only: nothing to fit, the fold's pairs score 0
        w = fit(x[train], y[train], c)
        p[test] = pairs.Weights(w["bias"], w["coef"]).score(x[test])
    groups = sorted({e for e, _ in names})
    en_idx = {e: i for i, e in enumerate(groups)}
    zh_idx = {z: j for j, z in enumerate(sorted({z for _, z in names}))}
    scores = {(en_idx[e], zh_idx[z]): float(v) for (e, z), v in zip(names, p)}
    chosen = pairs.choose(scores, threshold)
    inv_e, inv_z = {v: k for k, v in en_idx.items()}, {v: k for k, v in zh_idx.items()}
    pred = {(inv_e[i], inv_z[j]) for i, j in chosen}
    gold = gold if gold is not None else {n for n, yy in zip(names, y) if yy}
    tp = len(pred & gold)
    prec, rec = tp / max(len(pred), 1), tp / max(len(gold), 1)
    return {
        "p": round(prec, 3),
        "r": round(rec, 3),
        "f": round(2 * prec * rec / max(prec + rec, 1e-9), 3),
        "tp": tp,
        "pred": len(pred),
        "gold": len(gold),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="fit the alignment score on gold pairs")
    ap.add_argument("--extracted", type=Path, required=True)
    ap.add_argument("--pairs", type=Path, required=True)
    ap.add_argument("--c", type=float, default=10.0)
    ap.add_argument("--write", action="store_true", help="write data/align/weights*.json")
    ap.add_argument("--cv", action="store_true", help="also print a leave-one-English-release-out estimate")
    args = ap.parse_args()
    tables = Tables.read(args.extracted)
    x, y, names = training_rows(tables, gold_pairs(read_jsonl(args.pairs)))
    w = fit(x, y, args.c)
    w["cos_prior"] = round(float(np.median(x[y == 1, pairs.FEATURES.index("cos")])), 4) if y.sum() else 0.6
    w["fitted_on"] = f"{int(y.sum())} gold pairs, {len(y) - int(y.sum())} other EN x ZH pairs ({args.pairs.name})"
    print(json.dumps(w, indent=1))
    name = "weights.json" if not tables.entities.empty else "weights_no_entities.json"
    if args.write:
        (DATA / name).write_text(json.dumps(w, indent=1) + "\n", "utf-8")
        print(f"wrote {DATA / name}")
    if args.cv:
        print("leave-one-out pair P/R/F1 (no blocking):", json.dumps(cross_validate(x, y, names, args.c)))
    p = pairs.Weights(w["bias"], w["coef"]).score(x)
    for (e, z), yy, pp, xx in sorted(zip(names, y, p, x.tolist()), key=lambda t: -t[2])[:40]:
        print(f"{'GOLD' if yy else '    '} {pp:.3f} {e:32s} {z:20s} " + " ".join(f"{v:.2f}" for v in xx))


if __name__ == "__main__":
    main()
