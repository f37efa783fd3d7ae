"""The tables of SCHEMA.md: Releases -> pandas DataFrames -> Parquet, written atomically.

Parquet is the source of truth. Each table is written to a temporary file in the output folder and
moved into place by a `Transaction` (pipeline/io/output.py) with the other tables of the same run,
so a crash mid-write leaves the previous tables whole, and a crash mid-commit is finished by the
next command that opens the folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.io.output import Transaction, readable
from pipeline.release import Release

ENTITY_SCHEMA = pa.schema(
    [
        ("release_id", pa.string()),
        ("entity_id", pa.string()),
        ("label", pa.string()),
        ("text", pa.string()),
        ("text_norm", pa.string()),
        ("mentions", pa.list_(pa.list_(pa.int64()))),
        ("aliases", pa.list_(pa.string())),
        ("source", pa.string()),
        ("score", pa.float64()),
        ("org_id", pa.string()),
        ("person_id", pa.string()),
    ]
)
_STRINGS = pa.list_(pa.string())
SCHEMAS: dict[str, pa.Schema] = {
    "releases": pa.schema(
        [
            ("release_id", pa.string()),
            ("source_path", pa.string()),
            ("lang", pa.string()),
            ("script", pa.string()),
            ("title", pa.string()),
            ("dateline_place", pa.string()),
            ("dateline_date", pa.date32()),
            ("clean_text", pa.string()),
            ("text_hans", pa.string()),
            ("duplicate_of", pa.string()),
            ("pipeline_version", pa.string()),
            ("source_sha", pa.string()),
            ("opencc_config", pa.string()),
            ("source_root", pa.string()),
            ("event_id", pa.string()),
        ]
    ),
    "entities": ENTITY_SCHEMA,
    "rejected_entities": ENTITY_SCHEMA,
    "relations": pa.schema(
        [
            ("release_id", pa.string()),
            ("type", pa.string()),
            ("head", pa.string()),
            ("tail", pa.string()),
            ("head_id", pa.string()),
            ("tail_id", pa.string()),
            ("date", pa.date32()),
            ("kind", pa.string()),
            ("title", pa.string()),
            ("evidence", pa.string()),
            ("score", pa.float64()),
        ]
    ),
    "alignments": pa.schema([("en_release_id", pa.string()), ("zh_release_id", pa.string()), ("score", pa.float64())]),
    "entity_links": pa.schema(
        [
            ("en_release_id", pa.string()),
            ("en_entity_id", pa.string()),
            ("zh_release_id", pa.string()),
            ("zh_entity_id", pa.string()),
            ("en_text", pa.string()),
            ("zh_text", pa.string()),
            ("score", pa.float64()),
        ]
    ),
    "events": pa.schema(
        [
            ("event_id", pa.string()),
            ("date", pa.date32()),
            ("kind", pa.string()),
            ("title_en", pa.string()),
            ("title_zh", pa.string()),
            ("members", pa.list_(pa.struct([("release_id", pa.string()), ("lang", pa.string()), ("role", pa.string())]))),
            ("n_releases", pa.int64()),
        ]
    ),
    "deals": pa.schema(
        [
            ("deal_id", pa.string()),
            ("event_id", pa.string()),
            ("type", pa.string()),
            ("parties", _STRINGS),
            ("parties_en", _STRINGS),
            ("parties_zh", _STRINGS),
            ("date", pa.date32()),
            ("kind", pa.string()),
            ("dates", pa.list_(pa.date32())),
            ("kinds", _STRINGS),
            ("disagreements", _STRINGS),
            ("evidence", _STRINGS),
            ("release_ids", _STRINGS),
            ("score", pa.float64()),
        ]
    ),
    "organisations": pa.schema(
        [
            ("org_id", pa.string()),
            ("name_en", pa.string()),
            ("name_hans", pa.string()),
            ("name_hant", pa.string()),
            ("aliases", _STRINGS),
            ("release_ids", _STRINGS),
            ("deal_ids", _STRINGS),
            ("n_mentions", pa.int64()),
            ("joined_by", _STRINGS),
        ]
    ),
    "people": pa.schema(
        [
            ("person_id", pa.string()),
            ("name_en", pa.string()),
            ("name_zh", pa.string()),
            ("aliases", _STRINGS),
            (
                "roles",
                pa.list_(
                    pa.struct(
                        [
                            ("title", pa.string()),
                            ("org_id", pa.string()),
                            ("date", pa.date32()),
                            ("release_id", pa.string()),
                        ]
                    )
                ),
            ),
            ("release_ids", _STRINGS),
        ]
    ),
    "errors": pa.schema(
        [
            ("source_path", pa.string()),
            ("stage", pa.string()),
            ("reason", pa.string()),
            ("pipeline_version", pa.string()),
            ("run_started", pa.string()),
            ("source_root", pa.string()),
        ]
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
    rejected_entities: pd.DataFrame = field(default_factory=lambda: empty("rejected_entities"))
    alignments: pd.DataFrame = field(default_factory=lambda: empty("alignments"))
    entity_links: pd.DataFrame = field(default_factory=lambda: empty("entity_links"))
    events: pd.DataFrame = field(default_factory=lambda: empty("events"))
    deals: pd.DataFrame = field(default_factory=lambda: empty("deals"))
    organisations: pd.DataFrame = field(default_factory=lambda: empty("organisations"))
    people: pd.DataFrame = field(default_factory=lambda: empty("people"))
    errors: pd.DataFrame = field(default_factory=lambda: empty("errors"))

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def read(cls, folder: Path) -> Tables:
        """Tables previously written to `folder`; missing ones come back empty. A commit a kill
        interrupted is finished first (when no writer is at work), so the tables read are one run's."""
        out = cls()
        with readable(Path(folder)):
            pass
        for name in cls.names():
            path = Path(folder) / f"{name}.parquet"
            if path.exists():
                setattr(out, name, pd.read_parquet(path))
        return out

    # --- the corpus view (see `Corpus`) ---------------------------------------------------------
    def batches(self, name: str, columns: list[str], batch_size: int = 4096) -> Iterator[pd.DataFrame]:
        df = getattr(self, name)
        df = df.assign(**{c: None for c in columns if c not in df.columns})[columns]
        for start in range(0, len(df), batch_size):
            yield df.iloc[start : start + batch_size]

    def set_column(self, name: str, column: str, values: Mapping[Any, Any], key: str | tuple[str, ...] = "release_id") -> None:
        df = getattr(self, name).copy()
        keys = df[key] if isinstance(key, str) else zip(*(df[k] for k in key))
        df[column] = [values.get(k) for k in keys]
        setattr(self, name, df)

    def put(self, name: str, df: pd.DataFrame | Iterable[pd.DataFrame]) -> None:
        if not isinstance(df, pd.DataFrame):
            parts = [b for b in df if len(b)]
            df = pd.concat(parts, ignore_index=True) if parts else empty(name)
        setattr(self, name, df)

    def write(self, folder: Path) -> None:
        """Write every table; none is replaced until all are converted and written in full, so a
        table that cannot be cast, or a full disk, leaves the previous set whole (not half new)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        arrow = {name: to_arrow(getattr(self, name), SCHEMAS[name]) for name in self.names()}
        txn = Transaction(folder)
        try:
            for name, table in arrow.items():
                tmp = txn.new_file(f"{name}.parquet")
                txn.stage(f"{name}.parquet", tmp)
                pq.write_table(table, tmp)
            txn.commit()
        except BaseException:
            txn.abort()
            raise


class Corpus(Protocol):
    """What a corpus stage sees of the batch: tables read in column batches, and its updates.

    `Tables` is one (in memory, for tests and tools); `TableFolder` is the output folder itself,
    so a batch of 100,000 releases is never loaded whole.
    """

    def batches(self, name: str, columns: list[str], batch_size: int = 4096) -> Iterator[pd.DataFrame]:
        """The table's rows in order, only `columns` (missing ones as None)."""
        ...

    def set_column(self, name: str, column: str, values: Mapping[Any, Any], key: str | tuple[str, ...] = "release_id") -> None:
        """Set `column` to `values[row[key]]` (None for rows not in `values`); a tuple `key` names
        several columns and `values` is keyed by tuples of theirs."""
        ...

    def put(self, name: str, df: pd.DataFrame | Iterable[pd.DataFrame]) -> None:
        """Replace the whole table, with one DataFrame or batches of rows (written as they come)."""
        ...


class TableFolder:
    """The tables of an output folder as a `Corpus`. Updates go to temporary files that later reads
    see; `commit` moves them in (or, inside a run, hands them to the run's transaction `within`, whose
    commit moves them in with the release tables). Until then, and after `abort`, the folder is unchanged."""

    def __init__(self, folder: Path, within: Transaction | None = None) -> None:
        self.folder = Path(folder)
        self.within = within
        self.txn = Transaction(self.folder)

    def _path(self, name: str) -> Path:
        key = f"{name}.parquet"
        if key in self.txn.pending or self.within is None:
            return self.txn.path(key)
        return self.within.path(key)

    def batches(self, name: str, columns: list[str], batch_size: int = 4096) -> Iterator[pd.DataFrame]:
        path = self._path(name)
        if not path.exists():
            return
        pf = pq.ParquetFile(path)
        have = [c for c in columns if c in pf.schema_arrow.names]
        for batch in pf.iter_batches(batch_size=batch_size, columns=have):
            df = batch.to_pandas()
            yield df.assign(**{c: None for c in columns if c not in have})[columns]

    def _new(self, name: str) -> Path:
        return self.txn.new_file(f"{name}.parquet")

    def _stage(self, name: str, tmp: Path) -> None:
        self.txn.stage(f"{name}.parquet", tmp)

    def set_column(
        self, name: str, column: str, values: Mapping[Any, Any], key: str | tuple[str, ...] = "release_id", batch_size: int = 4096
    ) -> None:
        src = self._path(name)
        if not src.exists():
            return
        reader = pq.ParquetFile(src)
        extra = [f for f in reader.schema_arrow if f.name not in SCHEMAS[name].names]  # e.g. an applied review's reviewer
        schema = pa.schema(list(SCHEMAS[name]) + extra)
        dest = self._new(name)
        try:
            with pq.ParquetWriter(dest, schema) as writer:
                for batch in reader.iter_batches(batch_size=batch_size):  # memory stays flat
                    t = pa.Table.from_batches([batch]).select(schema.names).cast(schema)
                    keys = t[key].to_pylist() if isinstance(key, str) else zip(*(t[k].to_pylist() for k in key))
                    new = pa.array([values.get(k) for k in keys], type=schema.field(column).type)
                    writer.write_table(t.set_column(schema.get_field_index(column), column, new))
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        self._stage(name, dest)

    def put(self, name: str, df: pd.DataFrame | Iterable[pd.DataFrame]) -> None:
        dest = self._new(name)
        try:
            with pq.ParquetWriter(dest, SCHEMAS[name]) as writer:
                for batch in [df] if isinstance(df, pd.DataFrame) else df:
                    if len(batch):
                        writer.write_table(to_arrow(batch, SCHEMAS[name], keep_extra=False))
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        self._stage(name, dest)

    def commit(self) -> None:
        if self.within is None:
            self.txn.commit()
            return
        for key, tmp in self.txn.pending.items():
            self.within.stage(key, tmp)
        self.txn.pending.clear()

    def abort(self) -> None:
        """Drop this view's updates only (the run's release tables, if any, stay staged)."""
        self.txn.abort()


def to_arrow(df: pd.DataFrame, schema: pa.Schema, keep_extra: bool = True) -> pa.Table:
    """`df` as an Arrow table with `schema`'s columns first (missing ones null), cast to its types."""
    for col in schema.names:
        if col not in df.columns:
            df = df.assign(**{col: None})
    extra = [c for c in df.columns if c not in schema.names] if keep_extra else []
    table = pa.Table.from_pandas(df[schema.names + extra].reset_index(drop=True), preserve_index=False)
    return table.cast(pa.schema(list(schema) + [table.schema.field(c) for c in extra]))


def write_parquet(txn: Transaction, df: pd.DataFrame, schema: pa.Schema, name: str) -> None:
    """Stage `df` with `schema` as the table file `name` of `txn` (moved in at its commit)."""
    table = to_arrow(df, schema)
    tmp = txn.new_file(name)
    try:
        pq.write_table(table, tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    txn.stage(name, tmp)


class StreamingWriter:
    """Appends row groups to new versions of the tables as batches finish; `finish` stages them in
    `txn`, whose commit moves them in.

    Memory stays flat however many releases pass, and until the commit the previous tables are
    untouched (a crash leaves them as they were and only a stray temporary file behind, which the
    next run removes).
    """

    def __init__(self, txn: Transaction, names: Iterable[str], row_group_rows: int = 2000) -> None:
        self.txn = txn
        self.txn.folder.mkdir(parents=True, exist_ok=True)
        self.tmp = {n: txn.new_file(f"{n}.parquet") for n in names}
        self.writers = {n: pq.ParquetWriter(self.tmp[n], SCHEMAS[n]) for n in self.tmp}
        self.buffers: dict[str, list[pa.Table]] = {n: [] for n in self.tmp}
        self.row_group_rows = row_group_rows

    def append(self, name: str, df: pd.DataFrame | pa.Table) -> None:
        if len(df):
            schema = SCHEMAS[name]
            table = df if isinstance(df, pa.Table) else to_arrow(df, schema, keep_extra=False)
            for col in schema.names:  # a table written by an older version lacks the newer columns
                if col not in table.column_names:
                    table = table.append_column(col, pa.nulls(table.num_rows, schema.field(col).type))
            self.buffers[name].append(table.select(schema.names).cast(schema))
            if sum(t.num_rows for t in self.buffers[name]) >= self.row_group_rows:
                self._flush(name)

    def _flush(self, name: str) -> None:
        if self.buffers[name]:
            self.writers[name].write_table(pa.concat_tables(self.buffers[name]))
            self.buffers[name] = []

    def finish(self) -> None:
        """Close every table and stage it in the transaction (nothing is moved in yet)."""
        for name, w in self.writers.items():
            self._flush(name)
            w.close()
        for name, tmp in self.tmp.items():
            self.txn.stage(f"{name}.parquet", tmp)
        self.writers = {}

    def abort(self) -> None:
        for w in self.writers.values():
            w.close()
        for tmp in self.tmp.values():
            tmp.unlink(missing_ok=True)


def iter_old_rows(folder: Path, name: str, keep, batch_size: int = 4096) -> Iterator[pa.Table]:
    """Batches of a previously written table, filtered by `keep(batch) -> boolean mask`."""
    path = Path(folder) / f"{name}.parquet"
    if not path.exists():
        return
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
        table = pa.Table.from_batches([batch])
        mask = keep(table)
        if mask is not None:
            table = table.filter(mask)
        if table.num_rows:
            yield table


def release_rows(releases: Iterable[Release], version: str, root_of: Mapping[str, str] | None = None) -> Tables:
    """The release, entity and relation rows of processed releases (`root_of`: source path's file
    part -> the input folder it was read from)."""
    rel_rows, ent_rows, relation_rows, rejected_rows = [], [], [], []
    root_of = root_of or {}
    for r in releases:
        rid = r.release_id
        rel_rows.append(
            {
                "release_id": rid,
                "source_path": r.source_path,
                "lang": r.lang,
                "script": r.script,
                "title": r.title,
                "dateline_place": r.dateline_place,
                "dateline_date": r.dateline_date,
                "clean_text": r.clean_text,
                "text_hans": r.text_hans,
                "duplicate_of": r.duplicate_of,
                "pipeline_version": version,
                "source_sha": r.source_sha,
                "opencc_config": r.opencc_config,
                "source_root": root_of.get(r.source_path.split("#", 1)[0]),
                "event_id": r.event_id,
            }
        )
        ent_rows += [_entity_row(rid, e) for e in r.entities]
        rejected_rows += [_entity_row(rid, e) for e in r.rejected]
        for x in r.relations:
            relation_rows.append({"release_id": rid, **{k: getattr(x, k) for k in SCHEMAS["relations"].names[1:]}})
    t = Tables()
    if rel_rows:
        t.releases = pd.DataFrame(rel_rows)
    if ent_rows:
        t.entities = pd.DataFrame(ent_rows)
    if relation_rows:
        t.relations = pd.DataFrame(relation_rows)
    if rejected_rows:
        t.rejected_entities = pd.DataFrame(rejected_rows)
    return t


def _entity_row(rid: str, e) -> dict:
    return {
        "release_id": rid,
        "entity_id": e.entity_id,
        "label": e.label,
        "text": e.text,
        "text_norm": e.text_norm,
        "mentions": [list(m) for m in e.mentions],
        "aliases": list(e.aliases),
        "source": e.source,
        "score": float(e.score),
    }
