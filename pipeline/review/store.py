"""The review store: every decision a reviewer makes, kept in an embedded SQLite database.

Decisions are only ever appended, never updated or deleted: the current state of an item is its
latest decision, and the history shows who changed what and when. Two reviewers deciding the same
item both get a row; the later one is the state, and the writer is told whose decision it replaced.
WAL mode and `synchronous=FULL` make a decision durable once its request has returned.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# org_merge: two organisations are one (release_id "", key "ORG_A|ORG_B", sorted); org_split: an
# entity leaves its organisation (release_id and key: the entity's). See pipeline/review/records.py.
KINDS = ("entity", "relation", "link", "release", "org_merge", "org_split")
ORG_KINDS = ("org_merge", "org_split")

_DECISIONS = f"""
CREATE TABLE IF NOT EXISTS decisions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ({", ".join(repr(k) for k in KINDS)})),
    item_key    TEXT NOT NULL,
    action      TEXT NOT NULL,
    state       TEXT NOT NULL,          -- JSON: the whole item as it stands after this decision
    reviewer    TEXT NOT NULL,
    created_at  TEXT NOT NULL           -- ISO 8601, UTC
)"""
_SCHEMA = (
    _DECISIONS
    + """;
CREATE INDEX IF NOT EXISTS decisions_item ON decisions (release_id, kind, item_key, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
)


def _migrate(db: sqlite3.Connection) -> None:
    """A database made before the organisation decisions allows fewer kinds: copy it into the new table."""
    sql = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'decisions'"
    if all(f"'{k}'" in (db.execute(sql).fetchone() or [""])[0] for k in KINDS):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        if not all(f"'{k}'" in db.execute(sql).fetchone()[0] for k in KINDS):  # another process may have done it
            db.execute("ALTER TABLE decisions RENAME TO decisions_old")
            db.execute(_DECISIONS)
            db.execute("INSERT INTO decisions SELECT * FROM decisions_old")
            db.execute("DROP TABLE decisions_old")
            db.execute("CREATE INDEX IF NOT EXISTS decisions_item ON decisions (release_id, kind, item_key, id)")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


@dataclass(frozen=True)
class Decision:
    """One row of the `decisions` table."""

    id: int
    release_id: str
    kind: str
    item_key: str
    action: str
    state: dict[str, Any]
    reviewer: str
    created_at: str

    @property
    def item(self) -> tuple[str, str, str]:
        return (self.release_id, self.kind, self.item_key)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "release_id": self.release_id,
            "kind": self.kind,
            "key": self.item_key,
            "action": self.action,
            "reviewer": self.reviewer,
            "at": self.created_at,
        }


def _row(r: sqlite3.Row) -> Decision:
    return Decision(
        r["id"], r["release_id"], r["kind"], r["item_key"], r["action"], json.loads(r["state"]), r["reviewer"], r["created_at"]
    )


class ReviewStore:
    """Append-only decisions in SQLite; one short-lived connection per call, so it is thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)
            _migrate(db)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=30000")
        try:
            yield db
        finally:
            db.close()

    def secret(self) -> str:
        """A random key kept in the database, so CSRF tokens survive a restart of the app."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            row = db.execute("SELECT value FROM meta WHERE key = 'secret'").fetchone()
            if row is None:
                value = secrets.token_hex(32)
                db.execute("INSERT INTO meta (key, value) VALUES ('secret', ?)", (value,))
            else:
                value = row["value"]
            db.execute("COMMIT")
        return value

    def record(
        self,
        release_id: str,
        kind: str,
        item_key: str,
        action: str,
        state: dict[str, Any],
        reviewer: str,
        base: int | None = None,
    ) -> tuple[Decision, Decision | None]:
        """Append a decision; also return the decision it overrode when that is not the one the writer saw (`base`)."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                prev = db.execute(
                    "SELECT * FROM decisions WHERE release_id = ? AND kind = ? AND item_key = ? ORDER BY id DESC LIMIT 1",
                    (release_id, kind, item_key),
                ).fetchone()
                cur = db.execute(
                    "INSERT INTO decisions (release_id, kind, item_key, action, state, reviewer, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (release_id, kind, item_key, action, json.dumps(state, ensure_ascii=False), reviewer, now),
                )
                new_id = cur.lastrowid
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        decision = Decision(int(new_id or 0), release_id, kind, item_key, action, state, reviewer, now)
        superseded = _row(prev) if prev is not None and prev["id"] != base else None
        return decision, superseded

    def latest(self, release_ids: Iterable[str] | None = None) -> dict[tuple[str, str, str], Decision]:
        """The current decision of every decided item, keyed by (release_id, kind, item_key)."""
        sql = (
            "SELECT d.* FROM decisions d "
            "JOIN (SELECT MAX(id) AS id FROM decisions GROUP BY release_id, kind, item_key) m ON d.id = m.id"
        )
        params: list[str] = []
        if release_ids is not None:
            params = list(release_ids)
            if not params:
                return {}
            sql += f" WHERE d.release_id IN ({','.join('?' * len(params))})"
        with self._connect() as db:
            return {(d := _row(r)).item: d for r in db.execute(sql, params)}

    def of_kinds(self, kinds: Iterable[str]) -> dict[tuple[str, str, str], Decision]:
        """The current decision of every decided item of these kinds (e.g. the organisation decisions)."""
        kinds = list(kinds)
        sql = (
            "SELECT d.* FROM decisions d JOIN (SELECT MAX(id) AS id FROM decisions"
            f" WHERE kind IN ({','.join('?' * len(kinds))}) GROUP BY release_id, kind, item_key) m ON d.id = m.id ORDER BY d.id"
        )
        with self._connect() as db:
            return {(d := _row(r)).item: d for r in db.execute(sql, kinds)}

    def history(self, release_id: str) -> list[Decision]:
        """Every decision on a release, oldest first."""
        with self._connect() as db:
            return [_row(r) for r in db.execute("SELECT * FROM decisions WHERE release_id = ? ORDER BY id", (release_id,))]

    def last_id(self) -> int:
        """Id of the newest decision (0 when none): changes whenever anything was decided."""
        with self._connect() as db:
            return int(db.execute("SELECT COALESCE(MAX(id), 0) FROM decisions").fetchone()[0])

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])
