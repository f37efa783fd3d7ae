"""Why the judge dropped a candidate out of fold: its P(NONE) and the features that pushed it.

usage: why.py EXTRACTED TEXT [TEXT ...]   (candidates whose text is one of TEXT, in any release)
"""

import sys
from pathlib import Path

import numpy as np

from pipeline.cv import GoldSet, assign_folds, event_groups, gold_pairs
from pipeline.io.tables import Tables
from pipeline.ner.span_filter import NONE, features, fit
from pipeline.train.spans import C, THRESHOLD, candidate_tables, labelled

import json, os

SHARED = os.environ.get("SHARED", "../shared")


def load(name):
    return [json.loads(l) for l in open(f"{SHARED}/{name}", encoding="utf-8")]


gold = load("samples/gold.jsonl") + load("samples2/gold.jsonl")
pairs = load("samples/pairs.jsonl") + load("samples2/pairs.jsonl")
docs = load("samples/docs.jsonl") + load("samples2/docs.jsonl")
ids = [d["id"] for d in gold]
events = event_groups(ids, gold_pairs(pairs), docs)
fold = assign_folds({i: events[i] for i in ids}, 5)
tables = candidate_tables(Tables.read(Path(sys.argv[1])))
rows = labelled(tables, gold)
want = set(sys.argv[2:])
for f in range(5):
    train = [r for r in rows if fold.get(r[2], -1) != f]
    judge = fit([r[3] for r in train], [r[4] for r in train], c=C, threshold=THRESHOLD, relabel=False)
    ni = judge.classes.index(NONE)
    for r in rows:
        if fold.get(r[2], -1) != f or r[3].text not in want:
            continue
        feats = features(r[3])
        p = judge.proba(feats)[ni]
        contrib = sorted(
            ((name, judge.weights[name][ni] - np.mean(judge.weights[name])) for name in feats if name in judge.weights),
            key=lambda t: -abs(t[1]),
        )[:8]
        print(f"{r[2]} {r[3].label} {r[3].text!r} src={r[3].source} gold={r[4]} p_none={p:.2f}")
        print("   ", ", ".join(f"{n}:{w:+.2f}" for n, w in contrib))
