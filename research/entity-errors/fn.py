import json, sys
from pathlib import Path
from pipeline.io.tables import Tables
from pipeline.evaluate import same
from pipeline.train.spans import candidate_tables
d = json.load(open(sys.argv[2]))
t = candidate_tables(Tables.read(Path(sys.argv[1])))
rel = t.releases
rid2gid = dict(zip(rel["release_id"], rel["source_path"].map(lambda p: Path(str(p)).stem)))
c = {}
for r in t.entities.itertuples():
    c.setdefault(rid2gid.get(r.release_id), []).append((r.label, r.text, r.source, r.text_norm))
lab = sys.argv[3]
for lang, gid, gl, gt, alt in d["fn"]:
    if gl != lab: continue
    cands = c.get(gid, [])
    inc = [x for x in cands if x[0] == gl and (same(gt, x[1]) or same(gt, x[3]))]
    over = [x[1] for x in cands if (gt in x[1] or x[1] in gt) and x[1] != gt][:3]
    print(lang, gid, repr(gt), "CAND-DROPPED" if inc else "", "overlap:", over)
