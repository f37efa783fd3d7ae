"""OOF entity errors per language: FP and FN lists.

usage: errs.py EXTRACTED OUT.json   (OUT.json is written; a .jsonl, e.g. a gold file, is refused)
"""
import sys, json
import os
from pathlib import Path
from collections import Counter, defaultdict
from pipeline.io.tables import Tables
from pipeline.cv import read_set, event_groups, assign_folds
from pipeline.evaluate import gold_pairs, same, evaluate
from pipeline.train.spans import candidate_tables, judged, labelled, out_of_fold_drops
out = Path(sys.argv[1])
if len(sys.argv) != 3 or not sys.argv[2].endswith(".json"):
    sys.exit(__doc__)
SHARED = Path(os.environ.get("SHARED", "../shared"))  # the shared dev sets
sets = [read_set(SHARED / s / "gold.jsonl") for s in ("samples", "samples2")]
all_gold = [d for s in sets for d in s.gold]
ids = [d["id"] for d in all_gold]
gp = gold_pairs([p for s in sets for p in s.pairs])
events = event_groups(ids, gp, [d for s in sets for d in s.docs])
fold = assign_folds({i: events[i] for i in ids}, 5)
t = candidate_tables(Tables.read(out))
t = judged(t, out_of_fold_drops(labelled(t, all_gold), fold, 5))
for lang in ("en", "zh"):
    r = evaluate(t, all_gold, lang=lang)
    print(lang, {k: (round(v["p"], 3), round(v["r"], 3), v["gold"], v["pred"]) for k, v in sorted(r.items()) if not k.startswith("_") and k.isupper()})
rel = t.releases
rid2gid = dict(zip(rel["release_id"], rel["source_path"].map(lambda p: Path(str(p)).stem)))
ents = defaultdict(list)
for r in t.entities.itertuples():
    if g := rid2gid.get(r.release_id):
        ents[g].append((r.label, r.text, r.source, r.text_norm))
fp, fn = [], []
for d in all_gold:
    lang = (d.get("lang") or d["id"].removeprefix("dev_"))[:2]
    P = ents.get(d["id"], [])
    G = [(e["label"], e.get("clean") or e["text"]) for e in d["entities"]]
    for lab, txt, src, tn in P:
        if not any(gl == lab and (same(gt, txt) or same(gt, tn)) for gl, gt in G):
            alt = [gl for gl, gt in G if same(gt, txt) or same(gt, tn)]
            fp.append((lang, d["id"], lab, txt, src, alt))
    for gl, gt in G:
        if not any(lab == gl and (same(gt, txt) or same(gt, tn)) for lab, txt, _, tn in P):
            alt = [lab for lab, txt, _, tn in P if same(gt, txt) or same(gt, tn)]
            fn.append((lang, d["id"], gl, gt, alt))
json.dump({"fp": fp, "fn": fn}, open(sys.argv[2], "w"), ensure_ascii=False, indent=0)
for lang in ("en", "zh"):
    print(lang, "FP", Counter(x[2] for x in fp if x[0] == lang), "FN", Counter(x[2] for x in fn if x[0] == lang))
    print("  FP wrong label", sum(1 for x in fp if x[0] == lang and x[5]), "FN with other label", sum(1 for x in fn if x[0] == lang and x[4]))
