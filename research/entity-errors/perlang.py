import sys
import os
from pathlib import Path
from pipeline.io.tables import Tables
from pipeline.cv import read_set, event_groups, assign_folds
from pipeline.evaluate import gold_pairs, evaluate
from pipeline.train.spans import candidate_tables, judged, labelled, out_of_fold_drops
SHARED = Path(os.environ.get("SHARED", "../shared"))  # the shared dev sets
sets = [read_set(SHARED / s / "gold.jsonl") for s in ("samples", "samples2")]
all_gold = [d for s in sets for d in s.gold]
ids = [d["id"] for d in all_gold]
events = event_groups(ids, gold_pairs([p for s in sets for p in s.pairs]), [d for s in sets for d in s.docs])
fold = assign_folds({i: events[i] for i in ids}, 5)
t = candidate_tables(Tables.read(Path(sys.argv[1])))
rows = labelled(t, all_gold)
def zh(r): return r[3].lang.startswith("zh")
for c in (0.3, 1.0):
  for th in (0.5,):
    base = out_of_fold_drops(rows, fold, 5, c=c, threshold=th)
    split = out_of_fold_drops([r for r in rows if zh(r)], fold, 5, c=c, threshold=th) | out_of_fold_drops([r for r in rows if not zh(r)], fold, 5, c=c, threshold=th)
    for name, drop in (("shared", base), ("per-lang", split)):
        tt = judged(t, drop)
        res = {s.name: evaluate(tt, s.gold)["ENT*"]["f"] for s in sets}
        print(c, th, name, round(evaluate(tt, all_gold)["ENT*"]["f"], 3), {l: round(evaluate(tt, all_gold, lang=l)["ENT*"]["f"], 3) for l in ("en", "zh")}, {k: round(v, 3) for k, v in res.items()})
