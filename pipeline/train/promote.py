"""Promotion of a retrained model: it replaces the live one only if it is not worse on held-out data.

Layout under a model folder (e.g. models/ner-en/): `live/` is what the pipeline loads,
`previous/` the model it replaced (to roll back to), `candidate/` a model being judged.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path


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
    return Decision(False, current_f, candidate_f, f"candidate F1 {candidate_f:.3f} < current {current_f:.3f}: kept the current model")


def promote(folder: Path) -> None:
    """candidate/ -> live/, the old live/ -> previous/ (one generation kept)."""
    folder = Path(folder)
    live, previous, candidate = folder / "live", folder / "previous", folder / "candidate"
    if not candidate.is_dir():
        raise FileNotFoundError(f"no candidate model under {folder}")
    if previous.exists():
        shutil.rmtree(previous)
    if live.exists():
        live.rename(previous)
    candidate.rename(live)


def rollback(folder: Path) -> None:
    """previous/ becomes live/ again; the rolled-back model is kept as candidate/ for inspection."""
    folder = Path(folder)
    live, previous, candidate = folder / "live", folder / "previous", folder / "candidate"
    if not previous.is_dir():
        raise FileNotFoundError(f"no previous model under {folder} to roll back to")
    if candidate.exists():
        shutil.rmtree(candidate)
    if live.exists():
        live.rename(candidate)
    previous.rename(live)


def record(folder: Path, decision: Decision, extra: dict) -> None:
    """Append the decision to folder/promotions.jsonl: the history of the model."""
    with open(Path(folder) / "promotions.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({**decision.__dict__, **extra}, ensure_ascii=False, default=str) + "\n")


def promote_zh(model_dir: Path, candidate: Path) -> None:
    """Chinese layout: model_dir/model is live; it moves to model_dir/previous/model."""
    model_dir, candidate = Path(model_dir), Path(candidate)
    previous = model_dir / "previous"
    if previous.exists():
        shutil.rmtree(previous)
    previous.mkdir(parents=True)
    if (model_dir / "model").exists():
        (model_dir / "model").rename(previous / "model")
        if (model_dir / "scores.json").exists():
            shutil.copy(model_dir / "scores.json", previous / "scores.json")
    (candidate / "model").rename(model_dir / "model")
    shutil.copy(candidate / "scores.json", model_dir / "scores.json")
    shutil.rmtree(candidate)
