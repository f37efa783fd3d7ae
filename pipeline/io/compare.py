"""Whether two output folders hold the same tables, leaving out what differs between runs
(pipeline_version, run times): how a refactor shows it changed no extraction.

    python -m pipeline.io.compare OLD_OUT NEW_OUT      # exit 0 when every table is the same

For a table that differs it prints the counts and a few rows found only on each side.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

VOLATILE = {"pipeline_version", "run_id", "run_started"}
SHOWN = ("release_id", "label", "text", "text_norm", "type", "head", "tail", "title", "kind", "date", "score", "source_path")


def compare(old: Path, new: Path, show: int = 8) -> bool:
    same = True
    for path in sorted(Path(old).glob("*.parquet")):
        other = Path(new) / path.name
        if not other.exists():
            print(f"{path.name}: missing in {new}")
            same = False
            continue
        a, b = pd.read_parquet(path), pd.read_parquet(other)
        cols = [c for c in a.columns if c in b.columns and c not in VOLATILE and not c.endswith("_at")]
        if set(a.columns) != set(b.columns):
            print(f"{path.name}: columns differ: {sorted(set(a.columns) ^ set(b.columns))}")
            same = False
        a, b = (d[cols].astype(str).sort_values(cols).reset_index(drop=True) for d in (a, b))
        if a.equals(b):
            print(f"{path.name}: same ({len(a)} rows)")
            continue
        same = False
        both = a.merge(b, how="outer", indicator=True)
        only_old, only_new = both[both._merge == "left_only"], both[both._merge == "right_only"]
        print(f"{path.name}: DIFFER ({len(a)} vs {len(b)} rows; {len(only_old)} only in {old}, {len(only_new)} only in {new})")
        shown = [c for c in SHOWN if c in cols]
        for side, rows in (("old", only_old), ("new", only_new)):
            for row in rows[shown].head(show).itertuples(index=False):
                print(f"   only {side}:", " | ".join(str(x)[:60] for x in row))
    return same


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(0 if compare(Path(sys.argv[1]), Path(sys.argv[2])) else 1)
