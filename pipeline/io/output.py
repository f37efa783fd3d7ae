"""The output folder as one unit: a lock for writers, and commits that move every table in together.

A run writes each table it changes to a temporary file beside it. `Transaction.commit` first writes a
journal (`.commit.json`, itself moved in atomically) naming every temporary file and its table, then
moves them in with `os.replace`, then deletes the journal. A kill between two moves leaves the
journal: the next command that opens the folder (`recover`) finishes the moves, so no reader ever
works on a mix of two runs' tables. Temporary files that no journal names are what a killed run left
behind; the next writer removes them.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from pipeline.failpoints import failpoint

JOURNAL = ".commit.json"
LOCK = ".medpr.lock"
_TEMP_SUFFIX = ".tmp"
_umask_lock = threading.Lock()


class OutputBusy(Exception):
    """Another process holds the output folder's lock."""


def file_mode() -> int:
    """The mode a new file gets under the process umask (0666 & ~umask), as `open()` would give it."""
    with _umask_lock:  # os.umask can only be read by setting it
        mask = os.umask(0o022)
        os.umask(mask)
    return 0o666 & ~mask


def temp_path(path: Path) -> Path:
    """A new empty temporary file beside `path`, with the mode an ordinary new file would get
    (mkstemp makes it 0600: tables shared through a group folder must stay readable)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TEMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, file_mode())
    finally:
        os.close(fd)
    return Path(tmp)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Transaction:
    """New versions of some tables of one folder, moved in together by `commit` (or dropped by `abort`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.pending: dict[str, Path] = {}  # final file name -> its finished temporary file

    def new_file(self, name: str) -> Path:
        """A temporary file for the table file `name` (e.g. 'releases.parquet'), not yet staged. Always
        in the folder itself, also for a file of a subfolder (`cache/NAME`): the next writer then
        finds and removes it if the run is killed, and the commit's move stays on one filesystem."""
        return temp_path(self.folder / Path(name).name)

    def stage(self, name: str, tmp: Path) -> None:
        """`tmp` (complete) becomes the new `name` at commit; a file staged earlier for it is dropped."""
        old = self.pending.get(name)
        self.pending[name] = tmp
        if old is not None and old != tmp:
            old.unlink(missing_ok=True)

    def path(self, name: str) -> Path:
        """Where `name` is read from now: the staged version if there is one, else the folder's."""
        return self.pending.get(name, self.folder / name)

    def commit(self) -> None:
        if not self.pending:
            return
        for tmp in self.pending.values():  # the data first, then the journal that promises it
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        journal = temp_path(self.folder / JOURNAL)
        moves = [[tmp.name, name] for name, tmp in self.pending.items()]
        with open(journal, "w", encoding="utf-8") as f:
            json.dump({"moves": moves}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(journal, self.folder / JOURNAL)
        _fsync_dir(self.folder)
        failpoint("commit:journal-written")
        for i, (tmp_name, name) in enumerate(moves):
            (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.folder / tmp_name, self.folder / name)
            if i == 0:
                failpoint("commit:first-table-moved")
        _fsync_dir(self.folder)
        (self.folder / JOURNAL).unlink()
        self.pending.clear()

    def abort(self) -> None:
        for tmp in self.pending.values():
            tmp.unlink(missing_ok=True)
        self.pending.clear()


def recover(folder: Path, remove_strays: bool) -> list[str]:
    """Finish a commit a kill interrupted (the journal's moves), and with `remove_strays` (only
    under the lock) delete the temporary files a killed run left. Returns the tables moved in."""
    folder = Path(folder)
    moved: list[str] = []
    journal = folder / JOURNAL
    if journal.exists():
        try:
            moves = json.loads(journal.read_text("utf-8"))["moves"]
        except (OSError, ValueError, KeyError):
            moves = []  # a journal is moved in whole, so this is not ours: leave the tables alone
        for tmp_name, name in moves:
            if (folder / tmp_name).exists():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(folder / tmp_name, folder / name)
                moved.append(name)
        _fsync_dir(folder)
        journal.unlink(missing_ok=True)
    if remove_strays:
        for stray in folder.glob(f".*{_TEMP_SUFFIX}"):
            if stray.is_file():
                stray.unlink(missing_ok=True)
    return moved


class OutputLock:
    """An exclusive lock on an output folder (flock on `.medpr.lock`): one writer at a time.

    The lock belongs to the open file, so it goes with the process, however that process ends. The
    file says who holds it, for the message the next writer prints.
    """

    def __init__(self, folder: Path, wait: bool = False, purpose: str = "run") -> None:
        self.folder = Path(folder)
        self.wait = wait
        self.purpose = purpose
        self._fd: int | None = None

    def acquire(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT, file_mode())
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
            except BlockingIOError:
                holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "another process"
                raise OutputBusy(
                    f"{self.folder} is in use by {holder}; wait for it to finish (or pass --wait), or choose another --out"
                ) from None
            os.ftruncate(fd, 0)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            os.pwrite(fd, f"{self.purpose} (pid {os.getpid()}, since {stamp})\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        recover(self.folder, remove_strays=True)
        return self

    def __exit__(self, *exc) -> None:
        self.release()


@contextlib.contextmanager
def readable(folder: Path) -> Iterator[Path]:
    """For readers (evaluate, review, export): finish an interrupted commit first if no writer is at
    work (a writer that holds the lock finishes its own)."""
    folder = Path(folder)
    if (folder / JOURNAL).exists():
        lock = OutputLock(folder, purpose="recovery")
        try:
            lock.acquire()
        except (OutputBusy, OSError):
            pass
        else:
            try:
                recover(folder, remove_strays=False)
            finally:
                lock.release()
    yield folder
