"""Scoring of extracted tables against gold annotations, by the matching rules of SCHEMA.md.

Per release, as sets: names match after normalisation (NFKC, casefold, Traditional -> Simplified,
a leading "the", spaces and punctuation dropped) or by fuzzy ratio >= 90 when both have 4+
characters; greedy one-to-one matching; micro precision/recall/F1 per label and relation type.
This must agree with the reference scorer (tools/score.py): tests/test_evaluate.py checks it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from pipeline.io.tables import Tables
from pipeline.labels import RELATION_TYPES
from pipeline.text.hans import to_hans

_PUNCT = re.compile(r"[\s\.,'\"“”‘’()（）\-–—·・:：;；/&、「」《》]+")


@lru_cache(maxsize=200_000)
def norm(s: object) -> str:
    if s is None or (isinstance(s, float) and pd.isna(s)):
        return ""
    s = unicodedata.normalize("NFKC", str(s)).casefold()
    s = to_hans(s)
    s = re.sub(r"^the\s+", "", s)
    return _PUNCT.sub("", s)


def same(a: object, b: object) -> bool:
    a, b = norm(a), norm(b)
    if not a or not b:
        return False
    return a == b or (min(len(a), len(b)) >= 4 and fuzz.ratio(a, b) >= 90)


def match(gold: list, pred: list, eq: Callable[[Any, Any], bool]) -> int:
    """Greedy one-to-one matching in gold order; returns the number of true positives."""
    used: set[int] = set()
    tp = 0
    for g in gold:
        for i, p in enumerate(pred):
            if i not in used and eq(g, p):
                used.add(i)
                tp += 1
                break
    return tp


def prf(tp: int, n_gold: int, n_pred: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def _relation_eq(typ: str) -> Callable[[dict, dict], bool]:
    if typ == "partnership":
        return lambda g, p: (
            (same(g["head"], p["head"]) and same(g["tail"], p["tail"]))
            or (same(g["head"], p["tail"]) and same(g["tail"], p["head"]))
        )
    if typ == "role":
        return lambda g, p: same(g["person"], p["head"]) and (g.get("org") is None or same(g["org"], p.get("tail")))
    return lambda g, p: same(g["head"], p["head"]) and same(g["tail"], p["tail"])


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def conform(gold: list[dict]) -> list[dict]:
    """Gold without what SCHEMA.md's conventions exclude (pipeline/ner/conventions.py: media outlets
    as ORG or as a relation's party, bylines as roles, `内地` alone as GPE, bare disease words), for
    gold annotated before the conventions were written (`evaluate --conform`)."""
    from pipeline.ner.conventions import decided_none, is_byline_title

    out = []
    for d in gold:
        lang = str(d.get("lang") or d.get("id", ""))
        lang = "zh" if lang.startswith("zh") or "_zh" in lang else "en"
        ents = [e for e in d.get("entities", []) if not decided_none(e["label"], e.get("clean") or e["text"], lang)]
        rels = [
            r
            for r in d.get("relations", [])
            if not (r["type"] == "role" and is_byline_title(r.get("title")))
            and not any(r.get(k) and decided_none("ORG", r[k], lang) for k in ("head", "tail", "org"))
        ]
        out.append({**d, "entities": ents, "relations": rels})
    return out


def gold_pairs(rows: list[dict]) -> set[tuple[str, str]]:
    """Gold EN-ZH pairs from pairs.jsonl ({en, zh}) or docs.jsonl (a `pair` group per document)."""
    if rows and "en" in rows[0]:
        return {(x["en"], x["zh"]) for x in rows}
    groups: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    for x in rows:
        if x.get("pair"):
            groups[x["pair"]][0 if x["lang"] == "en" else 1].append(x["id"])
    return {(e, z) for en, zh in groups.values() for e in en for z in zh}


def evaluate(tables: Tables, gold: Iterable[dict], pairs: list[dict] | None = None, lang: str | None = None) -> dict:
    """Scores per label ('ENT*' all entities), per relation type ('REL*' all), and 'ALIGN'."""
    gold = list(gold)
    if lang:
        gold = [d for d in gold if (d.get("lang") or d["id"].removeprefix("dev_"))[:2] == lang[:2]]
    rel = tables.releases
    rid2gid = dict(zip(rel["release_id"], rel["source_path"].map(lambda p: Path(str(p)).stem)))
    ents_by: dict[str, list] = defaultdict(list)
    for r in tables.entities.itertuples():
        if g := rid2gid.get(r.release_id):
            ents_by[g].append((r.label, [r.text, getattr(r, "text_norm", r.text)]))
    rels_by: dict[str, list] = defaultdict(list)
    for r in tables.relations.itertuples():
        if g := rid2gid.get(r.release_id):
            # pandas-stubs types the rows' attributes as cell values; itertuples' rows are namedtuples
            rels_by[g].append(r._asdict())  # type: ignore[operator, misc]

    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    present = set(rid2gid.values())
    missing = 0

    def add(keys: tuple[str, str], tp: int, n_gold: int, n_pred: int) -> None:
        for k in keys:
            counts[k][0] += tp
            counts[k][1] += n_gold
            counts[k][2] += n_pred

    for d in gold:
        gid = d["id"]
        missing += gid not in present
        pred_ents = ents_by.get(gid, [])
        for label in {e["label"] for e in d["entities"]} | {lab for lab, _ in pred_ents}:
            g = [e.get("clean") or e["text"] for e in d["entities"] if e["label"] == label]
            p = [alts for lab, alts in pred_ents if lab == label]
            add((label, "ENT*"), match(g, p, lambda gt, alts: any(same(gt, a) for a in alts)), len(g), len(p))
        pred_rels = rels_by.get(gid, [])
        for typ in RELATION_TYPES:
            g = [x for x in d["relations"] if x["type"] == typ]
            p = [x for x in pred_rels if x.get("type") == typ]
            add((typ, "REL*"), match(g, p, _relation_eq(typ)), len(g), len(p))

    result: dict = {k: _row(*v) for k, v in counts.items()}
    if pairs is not None:
        gp = gold_pairs(pairs)
        pp = {(rid2gid.get(r.en_release_id), rid2gid.get(r.zh_release_id)) for r in tables.alignments.itertuples()}
        result["ALIGN"] = _row(len(gp & pp), len(gp), len(pp))
    result["_missing_releases"] = missing
    result["_gold_releases"] = len(gold)
    return result


def _row(tp: int, n_gold: int, n_pred: int) -> dict:
    p, r, f = prf(tp, n_gold, n_pred)
    return {"p": p, "r": r, "f": f, "tp": tp, "gold": n_gold, "pred": n_pred}


def format_report(result: dict) -> str:
    lines = []
    for k in sorted(result):
        v = result[k]
        if isinstance(v, dict):
            lines.append(
                f"{k:15s} P={v['p']:.3f} R={v['r']:.3f} F={v['f']:.3f}  (tp={v['tp']} gold={v['gold']} pred={v['pred']})"
            )
    lines.append(f"missing releases: {result['_missing_releases']} of {result['_gold_releases']}")
    return "\n".join(lines)
