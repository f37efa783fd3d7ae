"""The one layout of a model folder, and promotion / rollback within it (every model: ner-en, ner-zh, rel-en).

    models/<name>/
        live/              what the pipeline loads
        previous/          the model live/ replaced (one generation kept): `train ... --rollback` puts it back
        candidate/         a model being judged; after a rollback, the model that was rolled back
        promotions.jsonl   the history: one JSON line per promotion decision and per rollback
        MODEL_CARD.md

A retrained model is written to candidate/ (`new_candidate`), scored against live/ on the same
held-out data, and promoted (`conclude`) only if it is not worse.

Promotion and rollback are renames inside the folder. The model going live is first renamed to a
temporary name (`.promote` / `.rollback`); if the process dies before it reaches live/, readers
(`live_model`) load it from there, and the next promote, rollback or `new_candidate` finishes the
move (`recover`). So at every moment there is a model to load. One writer at a time: do not train
or roll back the same folder from two processes at once.

Before this layout, ner-zh kept its model in `model/` (with `scores.json` beside it and the
replaced one in `previous/model/`), and rel-en kept `config.json` and `delta.safetensors` at the
top of its folder. Readers still find those, and the next promote or rollback moves them into
live/ and previous/ (`migrate`).
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

# reading (what the pipeline loads) is pipeline/models.py; re-exported for the trainers and tests
from pipeline.models import CANDIDATE, LIVE, OLD_FILES, OLD_MODEL, PREVIOUS, digest, live_model, resolve  # noqa: F401
from pipeline.models import MOVES as _MOVES

LOG = "promotions.jsonl"
OLD_SCORES = "scores.json"
_MIGRATING_LIVE, _MIGRATING_PREVIOUS = ".live-migrating", ".previous-migrating"


@dataclass
class Decision:
    promoted: bool
    current_f: float | None
    candidate_f: float
    reason: str


def decide(current_f: float | None, candidate_f: float, tolerance: float = 0.0) -> Decision:
    """Promote when there is no current model or the candidate scores at least as well."""
    if current_f is None:
        return Decision(True, None, candidate_f, "no current model")
    if candidate_f + tolerance >= current_f:
        return Decision(True, current_f, candidate_f, f"candidate F1 {candidate_f:.3f} >= current {current_f:.3f}")
    return Decision(
        False, current_f, candidate_f, f"candidate F1 {candidate_f:.3f} < current {current_f:.3f}: kept the current model"
    )


# -- writing: promotion, rollback, and finishing what a crash left -------------------------------


def recover(folder: Path | str) -> list[str]:
    """Finish a promotion or rollback that a crash interrupted (each step below can be re-run).
    Returns the operations it finished."""
    folder = Path(folder)
    finished = []
    for op, (_, replaced_to) in _MOVES.items():
        if (folder / f".{op}").is_dir():
            _finish(folder, op, replaced_to)
            finished.append(op)
        shutil.rmtree(folder / f".{op}-replaced", ignore_errors=True)
    return finished


def _finish(folder: Path, op: str, replaced_to: str) -> None:
    incoming, dropped = folder / f".{op}", folder / f".{op}-replaced"
    live, dest = folder / LIVE, folder / replaced_to
    if live.exists() and dest.exists():
        dest.rename(dropped)  # the one generation not kept: previous/ on promote, candidate/ on rollback
    if live.exists():
        live.rename(dest)  # from here until the next rename, readers load `incoming`
    incoming.rename(live)
    shutil.rmtree(dropped, ignore_errors=True)


def _swap(folder: Path, op: str) -> None:
    source, replaced_to = _MOVES[op]
    finished = ready(folder)
    if op in finished and not (folder / source).is_dir():
        return  # this very operation had been cut short: it is done now
    if not (folder / source).is_dir():
        if op == "rollback":
            raise FileNotFoundError(
                f"no previous model under {folder} to roll back to (nothing has been promoted over the live model, "
                "or it was already rolled back)"
            )
        raise FileNotFoundError(f"no candidate model under {folder}")
    (folder / source).rename(folder / f".{op}")
    _finish(folder, op, replaced_to)


def promote(folder: Path | str) -> None:
    """candidate/ -> live/, the old live/ -> previous/ (one generation kept)."""
    _swap(Path(folder), "promote")


def rollback(folder: Path | str) -> Path:
    """previous/ becomes live/ again; the rolled-back model is kept as candidate/ for inspection.
    Returns the live folder."""
    folder = Path(folder)
    _swap(folder, "rollback")
    _append(
        folder,
        {
            "event": "rollback",
            "reason": "previous model put back; the replaced one is in candidate/",
            "live_digest": digest(folder / LIVE),
        },
    )
    return folder / LIVE


def migrate(folder: Path | str) -> None:
    """Move an old layout into this one (see the module docstring); nothing to do in this layout."""
    folder = Path(folder)
    live, old, prev = folder / LIVE, folder / OLD_MODEL, folder / PREVIOUS
    # ner-zh: model/ (+ scores.json) -> live/
    if not live.exists() and old.is_dir():
        if (folder / OLD_SCORES).is_file():
            os.replace(folder / OLD_SCORES, old / OLD_SCORES)
        old.rename(live)
    # ner-zh: previous/model/ (+ previous/scores.json) -> previous/
    staging = folder / _MIGRATING_PREVIOUS
    if (prev / OLD_MODEL).is_dir() and not (prev / "config.cfg").exists():
        if (prev / OLD_SCORES).is_file():
            os.replace(prev / OLD_SCORES, prev / OLD_MODEL / OLD_SCORES)
        prev.rename(staging)
    if staging.is_dir():
        if (staging / OLD_MODEL).is_dir() and not prev.exists():
            (staging / OLD_MODEL).rename(prev)
        if not (staging / OLD_MODEL).exists():
            shutil.rmtree(staging)
    # rel-en: config.json, delta.safetensors at the top -> live/ (copied, then renamed: live/ appears whole)
    tops = [folder / f for f in OLD_FILES if (folder / f).is_file()]
    staging = folder / _MIGRATING_LIVE
    if tops and not live.exists():
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for f in tops:
            shutil.copy2(f, staging / f.name)
        staging.rename(live)
    for f in tops:  # the originals go once identical copies are live
        if live.is_dir() and (live / f.name).is_file() and filecmp.cmp(f, live / f.name, shallow=False):
            f.unlink()
    if live.exists():
        shutil.rmtree(staging, ignore_errors=True)


def ready(folder: Path | str) -> list[str]:
    """Before any change to a model folder: finish an interrupted move (returns which), migrate an
    old layout."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    finished = recover(folder)
    migrate(folder)
    return finished


def new_candidate(folder: Path | str) -> Path:
    """An empty candidate/ for a trainer to write into (an older candidate is discarded)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ready(folder)
    candidate = folder / CANDIDATE
    if candidate.exists():
        shutil.rmtree(candidate)
    candidate.mkdir()
    return candidate


def _append(folder: Path, entry: dict) -> None:
    entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}
    with open(Path(folder) / LOG, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")


def record(folder: Path | str, decision: Decision, extra: dict) -> None:
    """Append the decision to folder/promotions.jsonl: the history of the model."""
    _append(Path(folder), {"event": "promote" if decision.promoted else "kept", **decision.__dict__, **extra})


def conclude(folder: Path | str, current_f: float | None, candidate_f: float, extra: dict) -> Decision:
    """Judge candidate/ against the live model, promote it if it is not worse, log the decision.
    What every trainer calls once candidate/ is written and both models are scored."""
    folder = Path(folder)
    decision = decide(current_f, candidate_f)
    if decision.promoted:
        promote(folder)
        extra = {**extra, "live_digest": digest(folder / LIVE)}
    record(folder, decision, extra)
    return decision
