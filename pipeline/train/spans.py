"""Training and out-of-fold scoring of the span judge (pipeline/ner/span_filter.py).

The judge learns from the recognisers' candidates on gold-annotated releases: the `entities` and
`rejected_entities` tables of a `run` over them, each candidate labelled KEEP when a gold entity of
its label has its name, else NONE. Its out-of-fold figure fits the judge on K-1 folds by event
(pipeline/cv.py) and applies it to the remaining fold, so no candidate is judged by a model that saw
its release or a translation of it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pipeline.io.tables import Tables
from pipeline.ner.span_filter import MERGE, NONE, SPLIT, Candidate, fit, from_tables, gold_label, resolve

C = 0.3  # L2 inverse strength; 0.3 and 1.0 were compared out of fold (README)
THRESHOLD = 0.5  # drop when P(no entity) >= this


def candidate_tables(tables: Tables) -> Tables:
    """The tables with every candidate back in `entities` (what the recognisers proposed)."""
    out = Tables(**{name: getattr(tables, name) for name in Tables.names()})
    if not tables.rejected_entities.empty:
        out.entities = pd.concat([tables.entities, tables.rejected_entities], ignore_index=True)
    out.rejected_entities = tables.rejected_entities.iloc[0:0]
    return out


def without_variants(tables: Tables) -> Tables:
    """The candidates the recognisers proposed: the judge's own merge/split variants left out."""
    variant = tables.entities["source"].isin([MERGE, SPLIT])
    return judged(tables, set(zip(tables.entities["release_id"][variant], tables.entities["entity_id"][variant])))


def labelled(tables: Tables, gold: list[dict]) -> list[tuple[str, str, str, Candidate, str]]:
    """(release_id, entity_id, gold id, candidate, KEEP/NONE) for the candidates of gold releases."""
    by_id = {d["id"]: d for d in gold}
    return [(rid, eid, gid, c, gold_label(c, by_id[gid]["entities"])) for rid, eid, gid, c in from_tables(tables) if gid in by_id]


def judged(tables: Tables, drop: set[tuple[str, str]]) -> Tables:
    """`tables` (all candidates in `entities`) with the (release_id, entity_id) in `drop` removed."""
    out = Tables(**{name: getattr(tables, name) for name in Tables.names()})
    keys = list(zip(tables.entities["release_id"], tables.entities["entity_id"]))
    out.entities = tables.entities[[k not in drop for k in keys]].reset_index(drop=True)
    return out


def out_of_fold_drops(
    rows: list, fold: dict[str, int], k: int, c: float = C, threshold: float = THRESHOLD
) -> set[tuple[str, str]]:
    """The candidates a judge fitted without their fold drops (span_filter.resolve per release)."""
    drop: set[tuple[str, str]] = set()
    for f in range(k):
        train = [r for r in rows if fold.get(r[2], -1) != f]
        test = [r for r in rows if fold.get(r[2], -1) == f]
        if not test or len({r[4] for r in train}) < 2:
            continue
        judge = fit([r[3] for r in train], [r[4] for r in train], c=c, threshold=threshold, relabel=False)
        drop |= judge_drops(judge, test)
    return drop


def judge_drops(judge, rows: list) -> set[tuple[str, str]]:
    """The (release_id, entity_id) of `rows` a judge drops, overlapping variants resolved per release."""
    by_release: dict[str, list] = {}
    for r in rows:
        by_release.setdefault(r[0], []).append(r)
    drop: set[tuple[str, str]] = set()
    for rs in by_release.values():
        keep = resolve([r[3] for r in rs], [judge.p_none(r[3]) for r in rs], judge.threshold)
        drop |= {(r[0], r[1]) for r, k in zip(rs, keep) if not k}
    return drop


def train_spans(
    tables: Tables, sets: list, model_dir: Path, k: int = 5, c: float = C, threshold: float = THRESHOLD, log=print
) -> dict:
    """Fit the judge on every gold release, write it to candidate/, promote it when out of fold it
    raises entity F1 over the recognisers' candidates (pipeline/train/promote.py); returns the figures."""
    from pipeline.cv import assign_folds, event_groups
    from pipeline.evaluate import evaluate, gold_pairs
    from pipeline.train.promote import conclude, new_candidate

    tables = candidate_tables(tables)
    gold = [d for s in sets for d in s.gold]
    rows = labelled(tables, gold)
    if not rows:
        raise ValueError("no candidate of a gold release in the extracted tables: run `run` over the gold releases first")
    events = event_groups(
        [d["id"] for d in gold], gold_pairs([p for s in sets for p in s.pairs]), [d for s in sets for d in s.docs]
    )
    fold = assign_folds(events, k)
    bare = evaluate(without_variants(tables), gold)["ENT*"]
    oof = evaluate(judged(tables, out_of_fold_drops(rows, fold, k, c, threshold)), gold)["ENT*"]
    log(
        f"entity F1 over {len(gold)} gold releases: candidates {bare['f']:.3f}, "
        f"judged out of fold ({k} folds by event) {oof['f']:.3f}"
    )
    judge = fit([r[3] for r in rows], [r[4] for r in rows], c=c, threshold=threshold, relabel=False)
    candidate = new_candidate(model_dir)
    judge.save(candidate / "judge.json")
    trained = {
        "trained": datetime.now(UTC).isoformat(timespec="seconds"),
        "candidates": len(rows),
        "none": sum(r[4] == NONE for r in rows),
        "gold_sets": [s.name for s in sets],
        "c": c,
        "threshold": threshold,
        "folds": k,
        "entity_f1_candidates": round(bare["f"], 4),
        "entity_f1_out_of_fold": round(oof["f"], 4),
    }
    (candidate / "scores.json").write_text(json.dumps(trained, indent=1), encoding="utf-8")
    decision = conclude(model_dir, bare["f"], oof["f"], trained)
    return {**trained, "promoted": decision.promoted, "reason": decision.reason}


def grid(
    tables: Tables,
    sets: list,
    k: int = 5,
    cs: tuple[float, ...] = (0.1, 0.3, 1.0),
    thresholds: tuple[float, ...] = (0.4, 0.5, 0.6),
) -> list[dict]:
    """Out-of-fold entity F1 (pooled and per gold set) for each C and threshold of the judge: how far
    the shipped choice could be flattered by being made on these same folds."""
    from pipeline.cv import assign_folds, event_groups
    from pipeline.evaluate import evaluate, gold_pairs

    tables = candidate_tables(tables)
    gold = [d for s in sets for d in s.gold]
    rows = labelled(tables, gold)
    events = event_groups(
        [d["id"] for d in gold], gold_pairs([p for s in sets for p in s.pairs]), [d for s in sets for d in s.docs]
    )
    fold = assign_folds(events, k)
    out = []
    for c in cs:
        for threshold in thresholds:
            judged_tables = judged(tables, out_of_fold_drops(rows, fold, k, c, threshold))
            scores = {"pooled": evaluate(judged_tables, gold)["ENT*"]["f"]}
            scores |= {s.name: evaluate(judged_tables, s.gold)["ENT*"]["f"] for s in sets}
            out.append({"c": c, "threshold": threshold, **{n: round(f, 4) for n, f in scores.items()}})
    return out


def main(argv: list[str] | None = None) -> int:
    """`python -m pipeline.train.spans --gold A/gold.jsonl --gold B/gold.jsonl --extracted DIR`: the grid."""
    import argparse

    from pipeline.cv import read_set

    parser = argparse.ArgumentParser(description=grid.__doc__)
    parser.add_argument("--gold", type=Path, action="append", required=True, help="gold file (repeatable)")
    parser.add_argument("--extracted", type=Path, required=True, help="tables of a `run` over the gold releases")
    parser.add_argument("--cv", type=int, default=5, help="folds by event")
    args = parser.parse_args(argv)
    rows = grid(Tables.read(args.extracted), [read_set(g) for g in args.gold], args.cv)
    names = [k for k in rows[0] if k not in ("c", "threshold")]
    print("| C | threshold | " + " | ".join(names) + " |")
    print("|---:|---:|" + "---:|" * len(names))
    for r in rows:
        mark = " (shipped)" if (r["c"], r["threshold"]) == (C, THRESHOLD) else ""
        print(f"| {r['c']} | {r['threshold']}{mark} | " + " | ".join(f"{r[n]:.3f}" for n in names) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
