"""Out-of-fold entity F1 of the span judge with corpus candidates added to each fold's training rows.

python research/judge-corpora/experiment.py --dev /tmp/b1 --corpus /tmp/corp_en=/tmp/pseudo_en/gold.jsonl \
    --corpus /tmp/corp_zh=/tmp/pseudo_zh/gold.jsonl

The dev releases (../shared/samples, ../shared/samples2) are split in 5 folds by event exactly as
`evaluate --cv 5` splits them (pipeline/cv.py); for each fold the judge is fitted on the other
folds' candidates plus the corpus candidates (weight w each; a dev row weighs 1) and judges the
held-out fold (pipeline.train.spans.judge_drops). Corpus candidates: a `run` over the pseudo-releases
of pseudo.py, each labelled KEEP/NONE by span_filter.gold_label; candidates of labels the corpus
does not annotate, or matching a name it annotates with no label of ours (MISC), are left out.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from pipeline.cv import assign_folds, event_groups, read_set
from pipeline.evaluate import evaluate, gold_pairs, same
from pipeline.io.tables import Tables
from pipeline.ner.conventions import decided_none
from pipeline.ner.span_filter import SpanJudge, features
from pipeline.train.spans import THRESHOLD, C, candidate_tables, judge_drops, judged, labelled


def domain_features(c, domain: str, mode: str) -> dict[str, float]:
    """The judge's features; `flag`: a corpus row also carries `domain=corpus` (and its label cross);
    `augment` (Daume's feature augmentation): every feature also as a copy per domain, so that
    a weight is shared, dev-only or corpus-only; a dev model's weight is shared + dev copy."""
    f = features(c)
    if mode == "flag" and domain == "corpus":
        f = {**f, "domain=corpus": 1.0, f"{c.label}|domain=corpus": 1.0}
    elif mode == "augment":
        f = {**f, **{f"{domain}#{k}": v for k, v in f.items()}}
    elif mode == "lexical" and domain == "corpus":
        # a corpus row shares only its words with the dev rows; the rest (bias, source, score,
        # length, mentions, position) is weighed for the corpus alone
        f = {(k if _lexical(k) else f"corpus#{k}"): v for k, v in f.items()}
    return f


_LEXICAL = ("first=", "last=", "last2=", "prev=", "prev2=", "next=", "next2=", "inner=", "in_org_list", "in_gpe_list")


def _lexical(name: str) -> bool:
    return name.split("|")[-1].startswith(_LEXICAL)


def fit_weighted(cands, labels, weights, c=C, threshold=THRESHOLD, domains=None, mode="plain") -> SpanJudge:
    """span_filter.fit with a sample weight per row (same features, solver and export); with
    `mode` augment the dev model is returned (shared + dev weights summed, the JSON format unchanged)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    domains = domains or ["dev"] * len(cands)
    rows = [(x, y, w, d) for x, y, w, d in zip(cands, labels, weights, domains) if not decided_none(x.label, x.text, x.lang)]
    vec = DictVectorizer()
    x = vec.fit_transform([domain_features(r[0], r[3], mode) for r in rows])
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(x, [r[1] for r in rows], sample_weight=np.array([r[2] for r in rows], dtype=float))
    coef = model.coef_
    coef = np.vstack([-coef[0] / 2, coef[0] / 2])
    bias = [-model.intercept_[0] / 2, model.intercept_[0] / 2]
    acc: dict[str, np.ndarray] = {}
    for j, name in enumerate(vec.get_feature_names_out()):
        name = str(name)
        if mode in ("augment", "lexical"):
            if name.startswith("corpus#"):
                continue
            name = name.removeprefix("dev#")
        acc[name] = acc.get(name, 0) + coef[:, j]
    weights_out = {k: [round(float(v), 4) for v in col] for k, col in acc.items() if np.abs(col).max() > 1e-4}
    return SpanJudge([str(k) for k in model.classes_], weights_out, [round(float(b), 4) for b in bias], threshold, False)


def corpus_rows(extracted: Path, gold_path: Path) -> list:
    gold = [json.loads(line) for line in gold_path.read_text("utf-8").splitlines() if line.strip()]
    by_id = {d["id"]: d for d in gold}
    out = []
    for r in labelled(candidate_tables(Tables.read(extracted)), gold):
        d = by_id[r[2]]
        c = r[3]
        if c.label not in d.get("labels", ()) or any(same(n, c.text) for n in d.get("ignore", ())):
            continue
        out.append(r)
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dev", type=Path, required=True)
    p.add_argument("--gold", type=Path, action="append")
    p.add_argument("--corpus", action="append", default=[], help="EXTRACTED=GOLD")
    p.add_argument("--weights", default="1,0.5,0.25,0.1")
    p.add_argument("--k", type=int, default=5)
    p.add_argument("--mode", default="plain", help="plain, flag or augment (comma-separated: each)")
    a = p.parse_args()
    golds = a.gold or [Path("../shared/samples/gold.jsonl"), Path("../shared/samples2/gold.jsonl")]
    sets = [read_set(g) for g in golds]
    all_gold = [d for s in sets for d in s.gold]
    ids = [d["id"] for d in all_gold]
    events = event_groups(ids, gold_pairs([q for s in sets for q in s.pairs]), [d for s in sets for d in s.docs])
    fold = assign_folds({i: events[i] for i in ids}, a.k)
    tables = candidate_tables(Tables.read(a.dev))
    dev = labelled(tables, all_gold)
    corpora = {}
    for spec in a.corpus:
        ext, gold = spec.split("=")
        rows = corpus_rows(Path(ext), Path(gold))
        name = Path(ext).name
        corpora[name] = rows
        keep = sum(r[4] == "KEEP" for r in rows)
        print(f"{name}: {len(rows)} training candidates, {keep} KEEP, {len(rows) - keep} NONE")
    print(f"dev: {len(dev)} candidates")

    def score(extra: list, w: float, mode: str) -> dict:
        drop: set = set()
        for f in range(a.k):
            train = [r for r in dev if fold.get(r[2], -1) != f]
            test = [r for r in dev if fold.get(r[2], -1) == f]
            rows = train + extra
            wts = [1.0] * len(train) + [w] * len(extra)
            doms = ["dev"] * len(train) + ["corpus"] * len(extra)
            judge = fit_weighted([r[3] for r in rows], [r[4] for r in rows], wts, domains=doms, mode=mode)
            drop |= judge_drops(judge, test)
        t = judged(tables, drop)
        out = {"pooled": evaluate(t, all_gold)["ENT*"]["f"]}
        out |= {lang: evaluate(t, all_gold, lang=lang)["ENT*"]["f"] for lang in ("en", "zh")}
        out |= {s.name: evaluate(t, s.gold)["ENT*"]["f"] for s in sets}
        return out

    variants: list[tuple[str, list, float, str]] = [("baseline (dev only)", [], 1.0, "plain")]
    names = list(corpora)
    combos = [[n] for n in names] + ([names] if len(names) > 1 else [])
    for combo in combos:
        extra = [r for n in combo for r in corpora[n]]
        for mode in a.mode.split(","):
            for w in [float(x) for x in a.weights.split(",")]:
                variants.append((" + ".join(combo) + f", {mode}, w={w:g}", extra, w, mode))
    print("| variant | pooled | en | zh | samples | samples2 |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, extra, w, mode in variants:
        s = score(extra, w, mode)
        print(
            f"| {label} | {s['pooled']:.3f} | {s['en']:.3f} | {s['zh']:.3f} | {s['samples']:.3f} | {s['samples2']:.3f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
