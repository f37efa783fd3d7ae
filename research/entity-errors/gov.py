"""How the dev gold treats `... Government` / `...政府` candidates: KEEP (a gold ORG of that name) or NONE."""
import os
import re
import sys
from pathlib import Path

from pipeline.cv import read_set
from pipeline.io.tables import Tables
from pipeline.train.spans import candidate_tables, labelled

SHARED = Path(os.environ.get("SHARED", "../shared"))
gold = [d for s in ("samples", "samples2") for d in read_set(SHARED / s / "gold.jsonl").gold]
rows = labelled(candidate_tables(Tables.read(Path(sys.argv[1]))), gold)
hits = [r for r in rows if re.search(r"(?i)government$|政府$", r[3].text)]
for r in hits:
    print(r[2], r[3].label, r[3].text, r[3].source, r[4])
print(f"{sum(r[4] == 'KEEP' for r in hits)} of {len(hits)} kept by the gold")
