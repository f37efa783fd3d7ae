"""Out-of-fold scores: the dev releases split into K folds by event, each fold scored by what was
fitted on the others.

An event is every release that reports it: the English and Chinese versions (gold pairs), the
Simplified and Traditional copies, anything docs.jsonl puts in one `pair` group. All of an event's
releases land in one fold, so a fold never sees a translation of a release it is scored on.

What is fitted on dev releases is refitted per fold; what is not stays as shipped:
- alignment: the pair weights (`pipeline/align/calibrate.py`) are fitted on the pairs with neither
  side in the fold, and the fold's English releases are paired with those weights;
- entities and relations: the recognisers are trained on public corpora and the rules have no
  parameters a fold could refit, so a fold's score is the shipped pipeline's on it. The rules
  were written reading `samples/`: its rows are in-sample for them; a set found independently
  (`samples2/`) is the honest measure, which is why scores are also reported per gold file.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from collections import defaultdict
from collections.abc import Iterable, Set
from dataclasses import dataclass
from pathlib import Path

from pipeline.align.pairs import FEATURES
from pipeline.evaluate import evaluate, gold_pairs
from pipeline.io.tables import Tables


class _Groups:
    """Union-find over release ids."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, a: str) -> str:
        self.parent.setdefault(a, a)
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def event_groups(ids: Iterable[str], pairs: Iterable[tuple[str, str]] = (), docs: Iterable[dict] = ()) -> dict[str, str]:
    """{release id: event id}: gold pairs and docs.jsonl `pair` groups joined transitively."""
    groups = _Groups()
    for i in ids:
        groups.find(i)
    for en, zh in pairs:
        groups.union(en, zh)
    by_pair: dict[str, list[str]] = defaultdict(list)
    for d in docs:
        if d.get("pair"):
            by_pair[str(d["pair"])].append(d["id"])
    for members in by_pair.values():
        for other in members[1:]:
            groups.union(members[0], other)
    return {i: groups.find(i) for i in groups.parent}


def assign_folds(events: dict[str, str], k: int) -> dict[str, int]:
    """{release id: fold}: events dealt largest first (ties by a hash of the event id, so the split
    does not follow file names) to the fold with the fewest releases; the same input, the same folds."""
    if k < 2:
        raise ValueError(f"--cv needs at least 2 folds, got {k}")
    members: dict[str, list[str]] = defaultdict(list)
    for rid, event in events.items():
        members[event].append(rid)
    if k > len(members):
        raise ValueError(f"--cv {k}: only {len(members)} events to split")
    order = sorted(members, key=lambda e: (-len(members[e]), hashlib.sha256(e.encode()).hexdigest()))
    sizes = [0] * k
    fold: dict[str, int] = {}
    for event in order:
        f = min(range(k), key=lambda i: (sizes[i], i))
        sizes[f] += len(members[event])
        for rid in members[event]:
            fold[rid] = f
    return fold


@dataclass
class GoldSet:
    """One gold file with its pairs and docs (any may be missing)."""

    name: str
    gold: list[dict]
    pairs: list[dict]
    docs: list[dict]


def cross_validate(tables: Tables, sets: list[GoldSet], k: int, c: float = 10.0, judge: bool = True) -> dict:
    """Pooled out-of-fold scores, per gold set and per fold; the span judge (`judge`) and the
    alignment weights refitted per fold. `candidates` is the entity score without the judge."""
    from pipeline.train.spans import candidate_tables, judged, labelled, out_of_fold_drops, without_variants

    all_gold = [d for s in sets for d in s.gold]
    ids = [d["id"] for d in all_gold]
    if len(set(ids)) != len(ids):
        raise ValueError("a release id appears in two gold files")
    pair_rows = [p for s in sets for p in s.pairs]
    gp = gold_pairs(pair_rows) if pair_rows else set()
    docs = [d for s in sets for d in s.docs]
    events = event_groups(ids, gp, docs)
    fold = assign_folds({i: events[i] for i in ids}, k)
    result: dict = {"folds": k, "events": len(set(events[i] for i in ids)), "releases": len(ids), "judge": judge}
    tables = candidate_tables(tables)
    proposed = without_variants(tables)
    result["candidates"] = {s.name: evaluate(proposed, s.gold)["ENT*"] for s in sets}
    if judge:
        tables = judged(tables, out_of_fold_drops(labelled(tables, all_gold), fold, k))
    result["pooled"] = evaluate(tables, all_gold)
    result["per_set"] = {s.name: evaluate(tables, s.gold) for s in sets}
    result["per_fold"] = [evaluate(tables, [d for d in all_gold if fold[d["id"]] == f]) for f in range(k)]
    result["per_lang"] = {lang: evaluate(tables, all_gold, lang=lang) for lang in ("en", "zh")}
    if gp:
        negatives = hard_negatives(docs)
        result["align_in_sample"] = evaluate(tables, all_gold, pair_rows)["ALIGN"]
        result["align_in_sample"]["negatives_aligned"] = sorted(aligned_names(tables) & negatives)
        result["align_out_of_fold"] = align_out_of_fold(tables, gp, fold, c, negatives)
        result["align_hard_negatives"] = len(negatives)
        result["events_in_sample"] = event_bcubed(tables, {i: events[i] for i in ids})
    return result


def event_bcubed(tables: Tables, gold_events: dict[str, str]) -> dict:
    """B-cubed precision, recall and F1 of `releases.event_id` against the gold events (gold pairs and
    docs.jsonl groups), over the gold releases in the tables: each release's predicted event compared
    with its gold event, averaged. In-sample: the shipped alignment weights group the releases."""
    from pathlib import PurePath

    predicted = {
        PurePath(str(r.source_path)).stem: r.event_id
        for r in tables.releases.itertuples()
        if PurePath(str(r.source_path)).stem in gold_events and isinstance(r.event_id, str)
    }
    ids = sorted(predicted)
    if not ids:
        return {"p": 0.0, "r": 0.0, "f": 0.0, "releases": 0}
    p = r = 0.0
    for i in ids:
        same_pred = {j for j in ids if predicted[j] == predicted[i]}
        same_gold = {j for j in ids if gold_events[j] == gold_events[i]}
        p += len(same_pred & same_gold) / len(same_pred)
        r += len(same_pred & same_gold) / len(same_gold)
    p, r = p / len(ids), r / len(ids)
    return {"p": round(p, 3), "r": round(r, 3), "f": round(2 * p * r / max(p + r, 1e-9), 3), "releases": len(ids)}


def align_out_of_fold(
    tables: Tables, gold: set[tuple[str, str]], fold: dict[str, int], c: float, negatives: Set[tuple[str, str]] = frozenset()
) -> dict:
    """The alignment weights fitted without each fold, the fold's candidates scored with them, and
    the whole batch then decided as the stage decides (`calibrate.Batch.decide`: blocking, the date
    veto, each release's best counterpart, events, every pair inside an event, copies inheriting).
    With the missed and wrong pairs (their out-of-fold score and feature row) and the hard
    negatives (`negatives`) that were aligned."""
    from pipeline.align.calibrate import batch_rows, out_of_fold_scores, pair_f1

    b = batch_rows(tables, gold)
    p = out_of_fold_scores(b.x, b.y, b.names, c, fold_of=lambda name: fold.get(name, -1))
    pred = b.decide(p)
    scored = {g for g in gold if set(g) <= fold.keys()}
    result = pair_f1(pred, scored)

    def row(pair: tuple[str, str]) -> dict:
        k = b.row_of(*pair)
        if k is None:
            return {"pair": pair, "p": None, "blocked": False, "x": {}}
        return {
            "pair": pair,
            "p": round(float(p[k]), 3),
            "blocked": bool(b.blocked[k]),
            "x": dict(zip(FEATURES, b.x[k].round(2).tolist())),
        }

    result["missed"] = [row(g) for g in sorted(scored - pred)]
    result["wrong"] = [row(g) for g in sorted(pred - scored) if set(g) <= fold.keys()]
    result["negatives_aligned"] = sorted(pred & set(negatives))
    return result


_NEGATIVE_NOTE = re.compile(r"hard negative|not align|different event", re.I)


def hard_negatives(docs: Iterable[dict]) -> set[tuple[str, str]]:
    """(en, zh) pairs docs.jsonl says must not be aligned: the same parties at another date or event.

    A note that marks its release a hard negative for a `pair` group, says not to align it with one,
    or names one as a different event, makes the release a hard negative of every release of the
    other language in each group it names (groups named by their `pair` value)."""
    docs = list(docs)
    groups: dict[str, list[dict]] = defaultdict(list)
    for d in docs:
        if d.get("pair"):
            groups[str(d["pair"])].append(d)
    out: set[tuple[str, str]] = set()
    for d in docs:
        note = str(d.get("note") or "")
        if not _NEGATIVE_NOTE.search(note):
            continue
        lang = str(d.get("lang") or "")[:2]
        for key in set(re.findall(r"[A-Za-z0-9_-]+", note)) - {str(d.get("pair"))}:
            for other in groups.get(key, []):
                other_lang = str(other.get("lang") or "")[:2]
                if {lang, other_lang} == {"en", "zh"}:
                    out.add((d["id"], other["id"]) if lang == "en" else (other["id"], d["id"]))
    return out


def aligned_names(tables: Tables) -> set[tuple[str, str]]:
    """The (en, zh) file-stem pairs of the alignments table (as `evaluate` names releases)."""
    stem = dict(zip(tables.releases["release_id"], tables.releases["source_path"].map(lambda p: Path(str(p)).stem)))
    a = tables.alignments
    return {(stem.get(e, ""), stem.get(z, "")) for e, z in zip(a["en_release_id"], a["zh_release_id"])}


def read_set(gold: Path, pairs: Path | None = None, docs: Path | None = None, conform: bool = False) -> GoldSet:
    """A gold file, with pairs.jsonl / docs.jsonl beside it unless given (`conform`: evaluate.conform)."""
    from pipeline.evaluate import conform as conformed
    from pipeline.evaluate import read_jsonl

    pairs = pairs or (gold.parent / "pairs.jsonl" if (gold.parent / "pairs.jsonl").is_file() else None)
    docs = docs or (gold.parent / "docs.jsonl" if (gold.parent / "docs.jsonl").is_file() else None)
    return GoldSet(
        name=gold.parent.name or gold.name,
        gold=conformed(read_jsonl(gold)) if conform else read_jsonl(gold),
        pairs=read_jsonl(pairs) if pairs else [],
        docs=read_jsonl(docs) if docs else [],
    )


def format_cv(result: dict) -> str:
    """Per label and relation type: pooled F1, each gold set's, and the spread over folds."""
    keys = sorted(k for k, v in result["pooled"].items() if isinstance(v, dict) and v["gold"])
    names = list(result["per_set"])
    head = f"{'':15s} {'pooled':>8s} " + " ".join(f"{n:>10s}" for n in names) + f" {'fold mean':>10s} {'sd':>6s}"
    lines = [
        f"{result['releases']} releases, {result['events']} events, {result['folds']} folds by event",
        head,
    ]
    for key in keys:
        per_fold = [f[key]["f"] for f in result["per_fold"] if key in f and f[key]["gold"]]
        sets = " ".join(
            f"{result['per_set'][n][key]['f']:10.3f}" if result["per_set"][n].get(key, {}).get("gold") else f"{'-':>10s}"
            for n in names
        )
        sd = statistics.pstdev(per_fold) if len(per_fold) > 1 else 0.0
        mean = statistics.fmean(per_fold) if per_fold else 0.0
        lines.append(f"{key:15s} {result['pooled'][key]['f']:8.3f} {sets} {mean:10.3f} {sd:6.3f}")
    for key in ("ENT*", "REL*"):
        by_lang = "  ".join(
            f"{lang} {r[key]['f']:.3f}" for lang, r in result.get("per_lang", {}).items() if r.get(key, {}).get("gold")
        )
        lines.append(f"{key + ' by language':15s} {by_lang}  (pooled over both gold sets)")
    bare = " ".join(f"{result['candidates'][n]['f']:10.3f}" for n in names)
    lines.append(f"{'ENT* unjudged':15s} {'':8s} {bare}" + ("  (span judge refitted per fold above)" if result["judge"] else ""))
    if "align_out_of_fold" in result:
        a, o = result["align_in_sample"], result["align_out_of_fold"]
        lines.append(f"ALIGN in-sample (shipped weights)  P={a['p']:.3f} R={a['r']:.3f} F={a['f']:.3f} (gold={a['gold']})")
        lines.append(f"ALIGN out of fold (refitted)       P={o['p']:.3f} R={o['r']:.3f} F={o['f']:.3f} (gold={o['gold']})")
        n = result.get("align_hard_negatives", 0)
        lines.append(
            f"ALIGN hard negatives aligned       in-sample {len(a.get('negatives_aligned', []))} of {n}, "
            f"out of fold {len(o.get('negatives_aligned', []))} of {n}"
        )
        if "events_in_sample" in result:
            e = result["events_in_sample"]
            lines.append(
                f"EVENTS B-cubed in-sample          P={e['p']:.3f} R={e['r']:.3f} F={e['f']:.3f} ({e['releases']} releases)"
            )
        for pair in sorted(set(a.get("negatives_aligned", [])) | set(o.get("negatives_aligned", []))):
            lines.append(f"  hard negative aligned: {pair[0]} {pair[1]}")
        for kind in ("missed", "wrong"):
            for r in o.get(kind, []):
                feats = " ".join(f"{k}={v:g}" for k, v in r["x"].items())
                lines.append(f"  out of fold {kind}: {r['pair'][0]} {r['pair'][1]} p={r['p']} blocked={r['blocked']} {feats}")
    return "\n".join(lines)
