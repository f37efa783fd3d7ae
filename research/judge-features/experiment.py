"""Issue 14 experiment: release-level features and other learners for the span judge, scored out of
fold exactly as `evaluate --cv 5` does (pipeline.cv.cross_validate, judge refitted per fold).
Not part of the package. Usage (repo root):  python research/judge-features/experiment.py DIR VARIANT...

Variants: base | nest (candidate inside / holding another candidate's mention, same text under
another label) | hgb (sklearn HistGradientBoosting on the same features) | nest+hgb | c<value>.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import pipeline.ner.span_filter as sf
import pipeline.train.spans as spans
from pipeline.cv import cross_validate, read_set
from pipeline.io.tables import Tables

SHARED = Path("../shared")
_base = sf.features
CONTEXT: dict[int, dict[str, float]] = {}  # id(candidate) -> extra features
OPTS: dict = {}


def nest_features(rows: list) -> None:
    by_release: dict[str, list] = {}
    for r in rows:
        by_release.setdefault(r[0], []).append(r[3])
    for cands in by_release.values():
        for c in cands:
            extra: dict[str, float] = {}
            for o in cands:
                if o is c:
                    continue
                for xs, xe in c.mentions:
                    for ys, ye in o.mentions:
                        if ys <= xs and xe <= ye and (ys, ye) != (xs, xe):
                            extra[f"{c.label}|inside={o.label}"] = 1.0
                        elif xs <= ys and ye <= xe and (ys, ye) != (xs, xe):
                            extra[f"{c.label}|holds={o.label}"] = 1.0
                if o.text == c.text and o.label != c.label:
                    extra[f"{c.label}|also={o.label}"] = 1.0
            CONTEXT[id(c)] = extra


def features(c: sf.Candidate) -> dict[str, float]:
    f = _base(c)
    f.update(CONTEXT.get(id(c), {}))
    return f


class HGBJudge:
    def __init__(self, cands, labels):
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.feature_extraction import DictVectorizer

        self.vec = DictVectorizer()
        x = self.vec.fit_transform([sf.features(c) for c in cands])
        self.model = HistGradientBoostingClassifier(
            max_iter=OPTS.get("iters", 200), learning_rate=0.05, max_leaf_nodes=15, l2_regularization=1.0, random_state=0
        )
        self.model.fit(x.toarray(), labels)
        self.threshold = spans.THRESHOLD
        self.ni = list(self.model.classes_).index(sf.NONE)

    def p_none(self, c):
        from pipeline.ner.conventions import decided_none

        if decided_none(c.label, c.text, c.lang):
            return 1.0
        return float(self.model.predict_proba(self.vec.transform([sf.features(c)]).toarray())[0][self.ni])


def out_of_fold_drops(rows, fold, k, c=spans.C, threshold=spans.THRESHOLD):
    if OPTS.get("nest"):
        nest_features(rows)
    c = OPTS.get("c", c)
    drop = set()
    for f in range(k):
        train = [r for r in rows if fold.get(r[2], -1) != f]
        test = [r for r in rows if fold.get(r[2], -1) == f]
        if OPTS.get("hgb"):
            from pipeline.ner.conventions import decided_none

            tr = [r for r in train if not decided_none(r[3].label, r[3].text, r[3].lang)]
            judge = HGBJudge([r[3] for r in tr], [r[4] for r in tr])
        else:
            judge = sf.fit([r[3] for r in train], [r[4] for r in train], c=c, threshold=threshold, relabel=False)
        drop |= spans.judge_drops(judge, test)
    return drop


def main() -> None:
    sf.features = features
    spans.out_of_fold_drops = out_of_fold_drops
    tables = Tables.read(Path(sys.argv[1]))
    sets = [
        read_set(SHARED / s / "gold.jsonl", SHARED / s / "pairs.jsonl", SHARED / s / "docs.jsonl") for s in ("samples", "samples2")
    ]
    print("| variant | ENT* | en | zh | samples | samples2 |")
    print("|---|---:|---:|---:|---:|---:|")
    for v in sys.argv[2:]:
        OPTS.clear()
        CONTEXT.clear()
        for part in v.split("+"):
            if part.startswith("c") and part[1:].replace(".", "").isdigit():
                OPTS["c"] = float(part[1:])
            elif part.startswith("it"):
                OPTS["iters"] = int(part[2:])
            elif part != "base":
                OPTS[part] = True
        r = cross_validate(tables, sets, 5)
        f = lambda d: d["ENT*"]["f"]  # noqa: E731
        print(
            f"| {v} | {f(r['pooled']):.3f} | {f(r['per_lang']['en']):.3f} | {f(r['per_lang']['zh']):.3f}"
            f" | {f(r['per_set']['samples']):.3f} | {f(r['per_set']['samples2']):.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
