"""Export reviewed data: spaCy DocBins and JSONL for retraining, and the tables re-derived in place.

`export_reviews` writes, into a folder:
- `en.spacy`, `zh.spacy`: one `Doc` per release (tokenised by `spacy.blank(lang)`; for Chinese that
  is one token per character, like pipeline/train/corpora/), `doc.ents` = the reviewed
  entities (where mentions overlap the longest wins), `doc.spans["entities"]` = every mention with
  `kb_id_` = its entity_id, and `doc.user_data` holding plain data (see `USER_DATA`);
- `reviewed.jsonl`: one object per release, text + entities + relations, with character offsets and
  each item's review status (and Prodigy-style `spans`);
- `org_decisions.jsonl`: the organisation decisions in force, one object per line: `{"kind": "org_merge",
  "org_ids": [A, B], "names", ...}` (A and B are one organisation) or `{"kind": "org_split", "release_id",
  "entity_id", "org_id", "text", ...}` (that entity is not organisation org_id), with reviewer and
  decided_at, for a later records run or retraining (pipeline/review/records.py);
- `manifest.json`: what was exported, from where, when.
A release a reviewer marked reviewed is gold: tokens outside its entities are `O`. In a release
nobody marked (only with `include="all"`), they are missing, so training does not learn that the
model's misses are right.

`apply_reviews` rewrites the entities, relations and entity_links tables of the extracted folder
with the decisions applied (reviewed items get `source="review"`, score 1.0, and who/when),
atomically, like every other table write (pipeline/io/tables.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd
import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans

from pipeline.io.output import OutputLock, Transaction
from pipeline.io.tables import SCHEMAS, Tables, write_parquet
from pipeline.review.merge import Merged, finalise, kept, merge, records
from pipeline.review.records import org_decisions
from pipeline.review.store import ReviewStore

INCLUDE = ("reviewed", "decided", "all")
USER_DATA = {
    "release_id": "str",
    "lang": "en|zh",
    "title": "str|None",
    "source_path": "str|None",
    "dateline_date": "YYYY-MM-DD|None",
    "reviewed": "bool: a person marked the whole release reviewed (then the entities are complete)",
    "entities": "[{entity_id, label, text, text_norm, mentions: [[start_char, end_char]], source, score, status, reviewer}]",
    "relations": "[{relation_id, type, head_id, tail_id, head, tail, head_tokens: [start, end], tail_tokens: [start, end]|None,"
    " date, kind, title, evidence, source, score, status, reviewer}] (tokens of the first mention of each entity)",
}
ENTITY_KEYS = ("entity_id", "label", "text", "text_norm", "mentions", "source", "score", "status", "reviewer")
RELATION_KEYS = (
    "relation_id",
    "type",
    "head_id",
    "tail_id",
    "head",
    "tail",
    "date",
    "kind",
    "title",
    "evidence",
    "source",
    "score",
    "status",
    "reviewer",
)


@cache
def blank(lang: str) -> Language:
    """The tokeniser of exported docs: spaCy's rules for English, one token per character for Chinese."""
    return spacy.blank("zh" if lang == "zh" else "en")


def reviewed(extracted: Path, db: Path) -> tuple[Tables, Merged]:
    """The tables of `extracted` and the review decisions in `db` applied to them."""
    tables = Tables.read(extracted)
    return tables, merge(tables, ReviewStore(db).latest())


def make_doc(
    text: str, lang: str, entities: list[dict[str, Any]], relations: list[dict[str, Any]], gold: bool, meta: dict[str, Any]
) -> Doc:
    """A Doc of `text` whose tokens break at every entity boundary, with entities and relations set."""
    nlp = blank(lang)
    base = nlp.make_doc(text)
    n = len(text)
    mentions = [(int(s), int(e), ent) for ent in entities for s, e in ent["mentions"] if 0 <= int(s) < int(e) <= n]
    cuts = {c for s, e, _ in mentions for c in (s, e)}
    words: list[str] = []
    spaces: list[bool] = []
    for tok in base:
        start, end = tok.idx, tok.idx + len(tok.text)
        points = [start, *sorted(c for c in cuts if start < c < end), end]
        for a, b in pairwise(points):
            words.append(text[a:b])
            spaces.append(False)
        spaces[-1] = bool(tok.whitespace_)
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    spans: list[Span] = []
    first: dict[str, Span] = {}
    for s, e, ent in sorted(mentions, key=lambda m: (m[0], -m[1])):
        span = doc.char_span(s, e, label=ent["label"], kb_id=ent["entity_id"], alignment_mode="strict")
        if span is None or not span.text.strip():
            continue
        spans.append(span)
        first.setdefault(ent["entity_id"], span)
    doc.spans["entities"] = spans
    doc.set_ents(filter_spans(spans), default="outside" if gold else "missing")
    doc.user_data.update(meta)
    doc.user_data["reviewed"] = gold
    doc.user_data["entities"] = [{k: ent.get(k) for k in ENTITY_KEYS} for ent in entities]
    rels = []
    for r in relations:
        row: dict[str, Any] = {k: r.get(k) for k in RELATION_KEYS}
        for side in ("head", "tail"):
            span = first.get(r.get(f"{side}_id") or "")
            row[f"{side}_tokens"] = [span.start, span.end] if span is not None else None
        rels.append(row)
    doc.user_data["relations"] = rels
    return doc


def read_docs(path: Path, lang: str = "en") -> list[Doc]:
    """The docs of an exported DocBin, user data included."""
    return list(DocBin().from_disk(path).get_docs(blank(lang).vocab))


def _atomic_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _selected(tables: Tables, m: Merged, include: str) -> list[str]:
    if include not in INCLUDE:
        raise ValueError(f"include must be one of {INCLUDE}")
    ids = list(tables.releases["release_id"])
    if include == "all":
        return ids
    touched = {x["release_id"] for x in m.entities + m.relations if x["decision_id"] is not None} | set(m.reviewed)
    return [r for r in ids if r in m.reviewed or (include == "decided" and r in touched)]


def export_reviews(extracted: Path, db: Path, out: Path, include: str = "reviewed") -> dict[str, Any]:
    """Write en.spacy, zh.spacy, reviewed.jsonl and manifest.json for the releases chosen by `include`.

    `include`: "reviewed" (marked reviewed: complete, gold), "decided" (also any release with a
    decision), "all" (every release, the model's output where nobody decided).
    """
    tables, m = reviewed(Path(extracted), Path(db))
    chosen = set(_selected(tables, m, include))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ents: dict[str, list[dict[str, Any]]] = {}
    for e in m.entities:
        if e["release_id"] in chosen and kept(e):
            ents.setdefault(e["release_id"], []).append(finalise(e, m.reviewed))
    rels: dict[str, list[dict[str, Any]]] = {}
    for r in m.relations:
        if r["release_id"] in chosen and kept(r):
            rels.setdefault(r["release_id"], []).append(finalise(r, m.reviewed))
    bins = {lang: DocBin(store_user_data=True) for lang in ("en", "zh")}
    lines: list[str] = []
    counts = {"releases": 0, "entities": 0, "relations": 0, "reviewed": 0}
    for rel in records(tables.releases):
        rid = rel["release_id"]
        if rid not in chosen:
            continue
        lang = "zh" if rel.get("lang") == "zh" else "en"
        text = rel.get("clean_text") or ""
        gold = rid in m.reviewed
        e_rows = sorted(ents.get(rid, []), key=lambda e: (e["mentions"][0] if e["mentions"] else [0, 0], e["entity_id"]))
        r_rows = rels.get(rid, [])
        meta = {k: rel.get(k) for k in ("release_id", "lang", "title", "source_path", "dateline_date")}
        bins[lang].add(make_doc(text, lang, e_rows, r_rows, gold, meta))
        lines.append(
            json.dumps(
                {
                    **meta,
                    "text": text,
                    "reviewed": gold,
                    "entities": [{k: e.get(k) for k in ENTITY_KEYS} for e in e_rows],
                    "relations": [{k: r.get(k) for k in RELATION_KEYS} for r in r_rows],
                    "spans": sorted(
                        (
                            {"start": s, "end": t, "label": e["label"], "entity_id": e["entity_id"]}
                            for e in e_rows
                            for s, t in e["mentions"]
                        ),
                        key=lambda x: (x["start"], x["end"]),
                    ),
                },
                ensure_ascii=False,
            )
        )
        counts["releases"] += 1
        counts["entities"] += len(e_rows)
        counts["relations"] += len(r_rows)
        counts["reviewed"] += gold
    files = []
    for lang, doc_bin in bins.items():
        _atomic_bytes(out / f"{lang}.spacy", doc_bin.to_bytes())
        files.append(f"{lang}.spacy")
    _atomic_bytes(out / "reviewed.jsonl", "".join(line + "\n" for line in lines).encode("utf-8"))
    files.append("reviewed.jsonl")
    orgs = org_decisions(ReviewStore(Path(db)))
    _atomic_bytes(out / "org_decisions.jsonl", "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in orgs).encode("utf-8"))
    files.append("org_decisions.jsonl")
    counts["org_decisions"] = len(orgs)
    manifest = {
        **counts,
        "include": include,
        "extracted": str(Path(extracted).resolve()),
        "db": str(Path(db).resolve()),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "user_data": USER_DATA,
        "files": files,
    }
    _atomic_bytes(out / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
    files.append("manifest.json")
    return {**counts, "files": files}


def _frame(rows: Iterable[dict[str, Any]], name: str, extra: tuple[str, ...]) -> pd.DataFrame:
    cols = SCHEMAS[name].names + list(extra)
    df = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    if "date" in df.columns:
        df["date"] = [date.fromisoformat(d) if isinstance(d, str) else None for d in df["date"]]
    return df


def refresh_records(extracted: Path, txn: Transaction, decisions: list[dict[str, Any]]) -> None:
    """The records stage again over the applied tables (staged in `txn`), with the folder's records
    settings (its config.toml) and the review's organisation decisions, so organisations, people,
    deals and events show the corrections without another run."""
    from pipeline.io.tables import TableFolder
    from pipeline.registry import PipelineConfig
    from pipeline.stages.records import Records, parse_decisions

    config = extracted / "config.toml"
    settings = PipelineConfig.load(config if config.is_file() else None).filled().settings.get("records", {})
    stage = Records(**{k: v for k, v in settings.items() if k != "decisions"})
    stage.merges, stage.splits = parse_decisions((f"review decision {d.get('decision_id')}", d) for d in decisions)
    corpus = TableFolder(extracted, within=txn)
    stage(corpus)
    corpus.commit()


def apply_reviews(extracted: Path, db: Path) -> dict[str, int]:
    """Rewrite entities, relations and entity_links in `extracted` with the review decisions applied,
    and the records tables after them when a run wrote records there.

    Idempotent: applying twice gives the same tables, since a decision stores the whole item and
    reviewer-added items keep their ids.
    """
    extracted = Path(extracted)
    with OutputLock(extracted, purpose="export-reviews --apply"):  # a run must not write meanwhile
        tables, m = reviewed(extracted, Path(db))
        if tables.releases.empty:
            raise FileNotFoundError(f"no releases table in {extracted}")
        stamp = {"reviewer": None, "decided_at": None}

        def done(rows: list[dict[str, Any]], key: str = "release_id") -> list[dict[str, Any]]:
            out = []
            for r in rows:
                if kept(r):
                    r = finalise({**stamp, **r}, m.reviewed, key)
                    out.append({**r, "reviewed_at": r.get("decided_at")})
            return out

        entities = done(m.entities)
        relations = done(m.relations)
        links = done(m.links, "en_release_id")
        txn = Transaction(extracted)  # the three tables go in together
        try:
            write_parquet(txn, _frame(entities, "entities", ("reviewer", "reviewed_at")), SCHEMAS["entities"], "entities.parquet")
            relation_extra = ("relation_id", "source", "reviewer", "reviewed_at")
            write_parquet(txn, _frame(relations, "relations", relation_extra), SCHEMAS["relations"], "relations.parquet")
            write_parquet(txn, _frame(links, "entity_links", ()), SCHEMAS["entity_links"], "entity_links.parquet")
            if (extracted / "organisations.parquet").exists():  # a run wrote records: they follow the decisions
                refresh_records(extracted, txn, org_decisions(ReviewStore(Path(db))))
            txn.commit()
        except BaseException:
            txn.abort()
            raise
    changed = sum(1 for r in entities + relations if r.get("source") == "review")
    return {
        "entities": len(entities),
        "relations": len(relations),
        "entity_links": len(links),
        "reviewed_items": changed,
        "dropped": len(m.entities) + len(m.relations) + len(m.links) - len(entities) - len(relations) - len(links),
    }
