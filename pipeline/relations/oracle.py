"""Measure the relate stage on its own: give it the gold entities instead of the recogniser's.

    python -m pipeline.relations.oracle --gold samples/gold.jsonl samples/raw [--lang en|zh] [--show]

Each release goes through clean and convert, gets the gold entities of its `id` (every occurrence of
the entity's text and aliases located in the text, as a perfect recogniser would report them), then
relate; the result is scored with pipeline/evaluate.py. The gap between this and the full pipeline's
score is what the recogniser costs the relations.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from pipeline.evaluate import evaluate, format_report, read_jsonl
from pipeline.io.readers import ReadError, discover, read_file
from pipeline.io.tables import release_rows
from pipeline.labels import NAME_LABELS
from pipeline.registry import PipelineConfig
from pipeline.release import Entity, Release
from pipeline.runner import Pipeline
from pipeline.text.hans import to_hans

_LATIN = re.compile(r"[A-Za-z0-9]")


def _find_all(text: str, needle: str, latin_bounds: bool) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    if not needle:
        return out
    pat = re.escape(needle)
    if latin_bounds:
        if _LATIN.match(needle[0]):
            pat = r"(?<![A-Za-z0-9])" + pat
        if _LATIN.match(needle[-1]):
            pat = pat + r"(?![A-Za-z0-9])"
    for m in re.finditer(pat, text):
        out.append((m.start(), m.end()))
    return out


def gold_entities(release: Release, gold: dict) -> list[Entity]:
    """Entities of a gold record with every mention of their text and aliases in `clean_text`."""
    out = []
    hans = release.text_hans if release.lang == "zh" else None
    zh = hans is not None
    for n, g in enumerate(gold.get("entities", [])):
        if g["label"] not in NAME_LABELS:
            continue
        surfaces = [g.get("clean") or g["text"], *g.get("aliases", [])]
        spans: set[tuple[int, int]] = set()
        for surf in surfaces:
            spans.update(_find_all(release.clean_text, surf, latin_bounds=True))
            if hans is not None:
                for s, e in _find_all(hans, to_hans(surf), latin_bounds=True):
                    spans.add(release.hans_span_to_clean(s, e))
        text = surfaces[0]
        out.append(
            Entity(
                entity_id=f"g{n}",
                label=g["label"],
                text=text,
                text_norm=to_hans(text) if zh else text,
                mentions=sorted(spans),
                aliases=list(g.get("aliases", [])),
                source="gold",
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="+", type=Path)
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--lang", default=None)
    ap.add_argument("--show", action="store_true", help="print every relation with its rule-free evidence")
    args = ap.parse_args()

    from pipeline.relations import RelationExtractor

    gold = {d["id"]: d for d in read_jsonl(args.gold)}
    front = Pipeline(PipelineConfig(stages=["clean", "convert"]))
    extractor = RelationExtractor(min_score=0.5)
    done = []
    files, _ = discover(args.inputs)
    for f in files:
        for item in read_file(f):
            if isinstance(item, ReadError):
                raise item  # the oracle scores whole sample folders: an unreadable record stops it
            r = front.process(item)
            g = gold.get(Path(r.source_path).stem)
            if g is None:
                continue
            r.entities = gold_entities(r, g)
            r.relations = extractor(r)
            done.append(r)
            if args.show:
                print(f"== {r.source_path}")
                for rel in r.relations:
                    print(
                        "  ",
                        json.dumps(
                            {k: str(v) for k, v in rel.__dict__.items() if k not in ("head_id", "tail_id", "evidence")},
                            ensure_ascii=False,
                        ),
                    )
    tables = release_rows(done, "oracle")
    print(format_report(evaluate(tables, gold.values(), lang=args.lang)))


if __name__ == "__main__":
    main()
