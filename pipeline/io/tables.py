"""The tables of SCHEMA.md: Releases -> pandas DataFrames -> Parquet, written atomically.

Parquet is the source of truth. Each table is written to a temporary file in the output folder and
moved into place with `os.replace`, so a crash mid-write leaves the previous table whole.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.release import Release

SCHEMAS: dict[str, pa.Schema] = {
    "releases": pa.schema(
        [
            ("release_id", pa.string()), ("source_path", pa.string()), ("lang", pa.string()),
            ("script", pa.string()), ("title", pa.string()), ("dateline_place", pa.string()),
            ("dateline_date", pa.date32()), ("clean_text", pa.string()), ("text_hans", pa.string()),
            ("duplicate_of", pa.string()), ("pipeline_version", pa.string()),
            ("source_sha", pa.string()), ("opencc_config", pa.string()),
        ]
    ),
    "entities": pa.schema(
        [
            ("release_id", pa.string()), ("entity_id", pa.string()), ("label", pa.string()),
            ("text", pa.string()), ("text_norm", pa.string()), ("mentions", pa.list_(pa.list_(pa.int64()))),
            ("aliases", pa.list_(pa.string())), ("source", pa.string()), ("score", pa.float64()),
        ]
    ),
    "relations": pa.schema(
        [
            ("release_id", pa.string()), ("type", pa.string()), ("head", pa.string()), ("tail", pa.string()),
            ("head_id", pa.string()), ("tail_id", pa.string()), ("date", pa.date32()), ("kind", pa.string()),
            ("title", pa.string()), ("evidence", pa.string()), ("score", pa.float64()),
        ]
    ),
    "alignments": pa.schema(
        [("en_release_id", pa.string()), ("zh_release_id", pa.string()), ("score", pa.float64())]
    ),
    "entity_links": pa.schema(
        [
            ("en_release_id", pa.string()), ("en_entity_id", pa.string()), ("zh_release_id", pa.string()),
            ("zh_entity_id", pa.string()), ("en_text", pa.string()), ("zh_text", pa.string()),
            ("score", pa.float64()),
        ]
    ),
    "errors": pa.schema(
        [("source_path", pa.string()), ("stage", pa.string()), ("reason", pa.string()), ("pipeline_version", pa.string())]
    ),
}


def empty(name: str) -> pd.DataFrame:
    return SCHEMAS[name].empty_table().to_pandas()


@dataclass
class Tables:
    """All output tables of a batch, as DataFrames with the SCHEMA columns."""

    releases: pd.DataFrame = field(default_factory=lambda: empty("releases"))
    entities: pd.DataFrame = field(default_factory=lambda: empty("entities"))
    relations: pd.DataFrame = field(default_factory=lambda: empty("relations"))
    alignments: pd.DataFrame = field(default_factory=lambda: empty("alignments"))
    entity_links: pd.DataFrame = field(default_factory=lambda: empty("entity_links"))
    errors: pd.DataFrame = field(default_factory=lambda: empty("errors"))

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def read(cls, folder: Path) -> Tables:
        """Tables previously written to `folder`; missing ones come back empty."""
        out = cls()
        for name in cls.names():
            path = Path(folder) / f"{name}.parquet"
            if path.exists():
                setattr(out, name, pd.read_parquet(path))
        return out

    def write(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name in self.names():
            write_parquet_atomic(getattr(self, name), SCHEMAS[name], folder / f"{name}.parquet")


def write_parquet_atomic(df: pd.DataFrame, schema: pa.Schema, path: Path) -> None:
    """Write `df` with `schema` to `path`; the old file stays whole until the new one is complete."""
    for col in schema.names:
        if col not in df.columns:
            df = df.assign(**{col: None})
    extra = [c for c in df.columns if c not in schema.names]
    table = pa.Table.from_pandas(df[schema.names + extra].reset_index(drop=True), preserve_index=False)
    table = table.cast(pa.schema(list(schema) + [table.schema.field(c) for c in extra]))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def release_rows(releases: Iterable[Release], version: str) -> Tables:
    """The release, entity and relation rows of processed releases."""
    rel_rows, ent_rows, relation_rows = [], [], []
    for r in releases:
        rid = r.release_id
        rel_rows.append(
            {
                "release_id": rid, "source_path": r.source_path, "lang": r.lang, "script": r.script,
                "title": r.title, "dateline_place": r.dateline_place, "dateline_date": r.dateline_date,
                "clean_text": r.clean_text, "text_hans": r.text_hans, "duplicate_of": r.duplicate_of,
                "pipeline_version": version, "source_sha": r.source_sha, "opencc_config": r.opencc_config,
            }
        )
        for e in r.entities:
            ent_rows.append(
                {
                    "release_id": rid, "entity_id": e.entity_id, "label": e.label, "text": e.text,
                    "text_norm": e.text_norm, "mentions": [list(m) for m in e.mentions],
                    "aliases": list(e.aliases), "source": e.source, "score": float(e.score),
                }
            )
        for x in r.relations:
            relation_rows.append({"release_id": rid, **{k: getattr(x, k) for k in SCHEMAS["relations"].names[1:]}})
    t = Tables()
    if rel_rows:
        t.releases = pd.DataFrame(rel_rows)
    if ent_rows:
        t.entities = pd.DataFrame(ent_rows)
    if relation_rows:
        t.relations = pd.DataFrame(relation_rows)
    return t
