"""Fit the pair score (logistic regression over `pairs.FEATURES`) on gold EN-ZH pairs.

    python -m pipeline.align.calibrate --extracted OUT --pairs pairs.jsonl [--pairs more.jsonl] [--write] [--cv]

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from pipeline.align import pairs
from pipeline.align.aligner import Aligner, Entities
from pipeline.align.lexicon import DATA
from pipeline.align.sides import Side
from pipeline.evaluate import gold_pairs, read_jsonl
from pipeline.io.tables import Tables


@dataclass
class Batch:
    """Every EN x ZH pair of canonical releases of a batch with its features (`x`) and gold label
    (`y`), named by file stem (`names`), plus what the stage's decision needs: the sides, which rows
    blocking proposes (`blocked`), the copies and each release's language."""

    x: np.ndarray
    y: np.ndarray
    names: list[tuple[str, str]]
    en: Side
    zh: Side
    cand: np.ndarray
    blocked: np.ndarray
    copies: dict[str, str]
    lang_of: dict[str, str]
    stem: dict[str, str]
    aligner: Aligner

    def decide(self, p: np.ndarray, threshold: float | None = None) -> set[tuple[str, str]]:
        """The (en, zh) file-stem pairs the stage writes to `alignments` when the candidates score `p`:
        blocked candidates only, then `events.decide`, then copies inherit (`Aligner.expand`)."""
        rows = self.blocked
        aligner = self.aligner if threshold is None else Aligner(threshold=threshold, mutual=self.aligner.mutual)
        decision = aligner.decide(self.en, self.zh, self.cand[rows], p[rows], self.lang_of, self.copies)
        table = aligner.expand(decision.pairs, self.copies)
        return {(self.stem[e], self.stem[z]) for e, z in zip(table["en_release_id"], table["zh_release_id"])}

    def row_of(self, en_name: str, zh_name: str) -> int | None:
        """The row of the pair of file stems, or of their canonical releases when a side is a copy."""
        rid = {v: k for k, v in self.stem.items()}
        e, z = rid.get(en_name), rid.get(zh_name)
        if e is None or z is None:
            return None
        key = (self.stem[self.copies.get(e, e)], self.stem[self.copies.get(z, z)])
        return self._row_index().get(key)

    def _row_index(self) -> dict[tuple[str, str], int]:
        return {n: k for k, n in enumerate(self.names)}


def batch_rows(tables: Tables, gold: set[tuple[str, str]], aligner: Aligner | None = None) -> Batch:
    """The training rows of a batch (exact features: the encoder and entity links on every pair)."""
    aligner = aligner or Aligner(encoder=True)
    ents = Entities.read(tables)
    copies = aligner.fold_copies(tables)
    en, zh = aligner.sides(tables, copies, ents)
    cand = np.array([(i, j) for i in range(len(en)) for j in range(len(zh))], dtype=np.int64).reshape(-1, 2)
    x = aligner.feature_matrix(en, zh, cand, ents, exact_cos=True)
    source = dict(zip(tables.releases["release_id"], tables.releases["source_path"]))
    stem = {rid: Path(str(path)).stem for rid, path in source.items()}
    names = [(stem[en.ids[i]], stem[zh.ids[j]]) for i, j in cand.tolist()]
    y = np.array([n in gold for n in names], dtype=int)
    blocked = np.zeros(len(cand), dtype=bool)
    if len(en) and len(zh):
        b = pairs.block(en, zh, aligner.max_df, aligner.top_k)
        blocked[b[:, 0] * len(zh) + b[:, 1]] = True  # cand is row-major over (en, zh)
    lang_of = dict(zip(tables.releases["release_id"], tables.releases["lang"]))
    return Batch(x, y, names, en, zh, cand, blocked, copies, lang_of, stem, aligner)


def training_rows(tables: Tables, gold: set[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str]]]:
    b = batch_rows(tables, gold)
    return b.x, b.y, b.names


def fit(x: np.ndarray, y: np.ndarray, c: float = 0.5) -> dict:
    model = LogisticRegression(C=c, max_iter=1000).fit(x, y)
    coef = dict(zip(pairs.FEATURES, (round(float(v), 4) for v in model.coef_[0])))
    return {"bias": round(float(model.intercept_[0]), 4), "coef": coef}


def out_of_fold_scores(
    x: np.ndarray, y: np.ndarray, names: list[tuple[str, str]], c: float, fold_of: Callable[[str], object] | None = None
) -> np.ndarray:
    """Each pair scored by weights fitted on the pairs with neither side in its English release's fold
    (`fold_of`: release name -> fold; default: each English release its own fold)."""
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
    return p


def plain_choice(names: list[tuple[str, str]], p: np.ndarray, threshold: float) -> set[tuple[str, str]]:
    """Each release's best counterpart above the threshold, no blocking, events or copies."""
    en_idx = {e: i for i, e in enumerate(sorted({e for e, _ in names}))}
    zh_idx = {z: j for j, z in enumerate(sorted({z for _, z in names}))}
    scores = {(en_idx[e], zh_idx[z]): float(v) for (e, z), v in zip(names, p)}
    inv_e, inv_z = {v: k for k, v in en_idx.items()}, {v: k for k, v in zh_idx.items()}
    return {(inv_e[i], inv_z[j]) for i, j in pairs.choose(scores, threshold)}


def cross_validate(
    x: np.ndarray,
    y: np.ndarray,
    names: list[tuple[str, str]],
    c: float,
    threshold: float = 0.5,
    fold_of: Callable[[str], object] | None = None,
    gold: set[tuple[str, str]] | None = None,
    decide: Callable[[np.ndarray], set[tuple[str, str]]] | None = None,
) -> dict:
    """Out-of-fold pair scores (`out_of_fold_scores`), then decided; pair precision, recall and F1.

    `decide` maps the scores to the predicted (en, zh) pairs: `Batch.decide` is what the stage does
    (blocking, events, copies); the default is `plain_choice`. `gold` (default: the positive rows)
    counts gold pairs that are not candidates (a side folded into a copy) as missed."""
    p = out_of_fold_scores(x, y, names, c, fold_of)
    pred = decide(p) if decide else plain_choice(names, p, threshold)
    gold = gold if gold is not None else {n for n, yy in zip(names, y) if yy}
    return pair_f1(pred, gold)


def pair_f1(pred: set[tuple[str, str]], gold: set[tuple[str, str]]) -> dict:
    """Precision, recall and F1 of predicted pairs against gold pairs, and the predicted pairs."""
    tp = len(pred & gold)
    prec, rec = tp / max(len(pred), 1), tp / max(len(gold), 1)
    return {
        "p": round(prec, 3),
        "r": round(rec, 3),
        "f": round(2 * prec * rec / max(prec + rec, 1e-9), 3),
        "tp": tp,
        "pred": len(pred),
        "gold": len(gold),
        "pairs": sorted(pred),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description="fit the alignment score on gold pairs")
    ap.add_argument("--extracted", type=Path, required=True)
    ap.add_argument("--pairs", type=Path, action="append", required=True, help="gold pairs (repeat for several sets)")
    ap.add_argument("--c", type=float, default=10.0)
    ap.add_argument("--write", action="store_true", help="write data/align/weights*.json")
    ap.add_argument("--cv", action="store_true", help="also print a leave-one-English-release-out estimate")
    args = ap.parse_args()
    tables = Tables.read(args.extracted)
    gold = set().union(*(gold_pairs(read_jsonl(f)) for f in args.pairs))
    batch = batch_rows(tables, gold)
    x, y, names = batch.x, batch.y, batch.names
    w = fit(x, y, args.c)
    w["cos_prior"] = round(float(np.median(x[y == 1, pairs.FEATURES.index("cos")])), 4) if y.sum() else 0.6
    w["fitted_on"] = (
        f"{int(y.sum())} gold pairs, {len(y) - int(y.sum())} other EN x ZH pairs "
        f"({', '.join(f.parent.name + '/' + f.name for f in args.pairs)})"
    )
    print(json.dumps(w, indent=1))
    name = "weights.json" if not tables.entities.empty else "weights_no_entities.json"
    if args.write:
        (DATA / name).write_text(json.dumps(w, indent=1) + "\n", "utf-8")
        print(f"wrote {DATA / name}")
    if args.cv:
        present = set(batch.stem.values())
        got = cross_validate(x, y, names, args.c, gold={g for g in gold if set(g) <= present}, decide=batch.decide)
        print(
            "leave-one-English-release-out pair P/R/F1 (as the stage decides):",
            json.dumps({k: v for k, v in got.items() if k != "pairs"}),
        )
    p = pairs.Weights(w["bias"], w["coef"]).score(x)
    for (e, z), yy, pp, xx in sorted(zip(names, y, p, x.tolist()), key=lambda t: -t[2])[:40]:
        print(f"{'GOLD' if yy else '    '} {pp:.3f} {e:32s} {z:20s} " + " ".join(f"{v:.2f}" for v in xx))


if __name__ == "__main__":
    main()
