"""How many releases' `title` matches the page title docs.jsonl gives (where it gives one).

usage: check.py EXTRACTED DOCS.jsonl [DOCS.jsonl ...] [-v]

A title matches when the docs title, converted to Simplified, is found in ours with rapidfuzz's
partial_ratio >= 80 and ours is at least half as long (up to 40 characters). The page title is not
always in the release text: then no title (None) is the best the clean stage can do, and counts
as a miss here.
"""

import json
import sys
from pathlib import Path

import opencc
import pandas as pd
from rapidfuzz import fuzz

if len(sys.argv) < 3:
    sys.exit(__doc__)
t2s = opencc.OpenCC("t2s")
releases = pd.read_parquet(Path(sys.argv[1]) / "releases.parquet")
ours = {Path(p).stem: t for p, t in zip(releases.source_path, releases.title)}
n = ok = 0
for docs in [a for a in sys.argv[2:] if a != "-v"]:
    for line in Path(docs).read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if not d.get("title"):
            continue
        n += 1
        mine = ours.get(d["id"])
        mine = mine if isinstance(mine, str) else ""
        r = fuzz.partial_ratio(t2s.convert(d["title"]), t2s.convert(mine)) if mine else 0
        good = r >= 80 and len(mine) >= 0.5 * min(len(d["title"]), 40)
        ok += good
        if not good or "-v" in sys.argv:
            print(d["id"], int(r), "| docs:", d["title"][:60], "| ours:", mine[:60])
print(ok, "of", n)
