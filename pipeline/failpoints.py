"""Named points where the crash tests stop a real run (`MEDPR_FAILPOINT=name` or `name:SIGNAL`).

Unset (always, outside the crash tests), a failpoint costs one dictionary lookup. Set, the process
sends itself the signal at that point: SIGKILL by default (a real `kill -9`: no handler, no cleanup),
or SIGTERM / SIGINT to exercise the graceful stop. `pipeline/crash_matrix.py` and
`tests/test_crash.py` name the points.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "release:first-chunk-written",  # a chunk of releases appended to the new tables
    "release:tables-staged",  # every release table complete in its temporary file
    "corpus:started",  # the align stage has begun
    "corpus:finished",  # the align stage's tables complete, nothing moved in yet
    "commit:journal-written",  # the journal is on disk, no table moved yet
    "commit:first-table-moved",  # one table moved in, the others not
)


def failpoint(name: str) -> None:
    wanted = os.environ.get("MEDPR_FAILPOINT")
    if not wanted:
        return
    point, _, sig = wanted.partition(":SIG")
    if point == name:
        # raise_signal, not os.kill(getpid()): the signal goes to this thread, so its handler has run
        # before the next line (a process-directed signal may land on another thread, and the stop
        # be seen a chunk late: flaky under load)
        signal.raise_signal(getattr(signal, f"SIG{sig}") if sig else signal.SIGKILL)
