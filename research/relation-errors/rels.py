"""Relation misses and false hits per release, as `evaluate` matches them (issue 14).

usage: rels.py EXTRACTED GOLD.jsonl [TYPE]   prints, per release, gold facts not found (-) and
found facts not in the gold (+), with the relation's evidence sentence for the + side.
"""

import json
import sys
from pathlib import Path

from pipeline.evaluate import _relation_eq
from pipeline.io.tables import Tables

tables = Tables.read(Path(sys.argv[1]))
want = sys.argv[3] if len(sys.argv) > 3 else None
rel = tables.releases.set_index("release_id")
by_gid: dict[str, list[dict]] = {}
for r in tables.relations.itertuples():
    gid = Path(str(rel.loc[r.release_id, "source_path"])).stem
    by_gid.setdefault(gid, []).append(
        {
            "type": r.type,
            "head": r.head,
            "tail": r.tail,
            "title": getattr(r, "title", None),
            "evidence": str(getattr(r, "evidence", ""))[:160],
        }
    )
counts = {"miss": 0, "false": 0}
for line in open(sys.argv[2], encoding="utf-8"):
    d = json.loads(line)
    pred = by_gid.get(d["id"], [])
    out = []
    for g in d["relations"]:
        if want and g["type"] != want:
            continue
        eq = _relation_eq(g["type"])
        if not any(p["type"] == g["type"] and eq(g, p) for p in pred):
            counts["miss"] += 1
            out.append(f"  - {g['type']}: {g.get('head') or g.get('person')} | {g.get('tail') or g.get('org')} {g.get('title') or ''}")
    for p in pred:
        if want and p["type"] != want:
            continue
        eq = _relation_eq(p["type"])
        if not any(g["type"] == p["type"] and eq(g, p) for g in d["relations"]):
            counts["false"] += 1
            out.append(f"  + {p['type']}: {p['head']} | {p['tail']} {p['title'] or ''}   «{p['evidence']}»")
    if out:
        print(d["id"])
        print("\n".join(out))
print(counts)
