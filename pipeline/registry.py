"""Stage registry: `@stage("name")` registers a class; `build_pipeline` composes them from a config.

Two kinds of stage (see DESIGN): a *release* stage is called on one `Release` at a time and returns
it; a *corpus* stage is called once on the tables of the whole batch (a `Corpus`). Each stage
declares what it `requires` and `provides`, and the pipeline checks the order when it is built,
like Stanza's processors, so a config that puts `recognise` before `convert` fails at load time,
not mid-batch.
"""

from __future__ import annotations

import inspect
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

STAGES: dict[str, type[Stage]] = {}


class Stage:
    """Base class of every stage. Subclasses set `kind`, `requires`, `provides`."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "release"  # or "corpus"
    requires: ClassVar[tuple[str, ...]] = ()
    provides: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **settings: Any) -> None:
        if settings:
            raise TypeError(f"stage {self.name!r} takes no settings: {sorted(settings)}")

    def prepare(self) -> None:
        """Load what the first call would load (models, tables). The runner calls it on the corpus
        stages while worker processes run the release stages, so the loading overlaps their work."""


def stage(name: str):
    """Class decorator that registers a stage under `name`."""

    def register(cls: type[Stage]) -> type[Stage]:
        if name in STAGES and STAGES[name] is not cls:
            raise ValueError(f"stage {name!r} is registered twice")
        cls.name = name
        STAGES[name] = cls
        return cls

    return register


class ConfigError(ValueError):
    pass


@dataclass
class PipelineConfig:
    stages: list[str]
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "<default>"

    @classmethod
    def load(cls, path: Path | None = None) -> PipelineConfig:
        """Read a TOML config; with no path, the one shipped with the package."""
        if path is None:
            text = resources.files("pipeline").joinpath("default.toml").read_text("utf-8")
            source = "pipeline/default.toml"
        else:
            try:
                text = Path(path).read_text("utf-8")
            except OSError as e:
                raise ConfigError(f"cannot read config {path}: {e.strerror}") from e
            source = str(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(f"{source}: not valid TOML: {e}") from e
        names = data.get("pipeline", {}).get("stages")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ConfigError(f"{source}: [pipeline] stages must be a list of stage names")
        return cls(stages=names, settings=data.get("stages", {}), source=source)


def _import_builtin_stages() -> None:
    # Importing the modules runs their @stage decorators.
    from pipeline import stages  # noqa: F401


def build_pipeline(config: PipelineConfig, kinds: tuple[str, ...] = ("release", "corpus")) -> list[Stage]:
    """Instantiate the configured stages of `kinds` in order, checking names and requirements.

    Stages of other kinds are checked (names, order, setting names) but not built: a process that
    hands release stages to workers need not load their models.
    """
    _import_builtin_stages()
    built: list[Stage] = []
    available: set[str] = {"raw_text"}
    seen_corpus = False
    for name in config.stages:
        cls = STAGES.get(name)
        if cls is None:
            raise ConfigError(f"{config.source}: unknown stage {name!r}; known: {', '.join(sorted(STAGES))}")
        missing = [r for r in cls.requires if r not in available]
        if missing:
            raise ConfigError(f"{config.source}: stage {name!r} needs {missing}, which no earlier stage provides")
        if cls.kind == "release" and seen_corpus:
            raise ConfigError(f"{config.source}: release stage {name!r} cannot follow a corpus stage")
        seen_corpus |= cls.kind == "corpus"
        settings = config.settings.get(name, {})
        try:
            if cls.kind in kinds:
                built.append(cls(**settings))
            else:
                inspect.signature(cls).bind(**settings)
        except (TypeError, ValueError, FileNotFoundError) as e:
            raise ConfigError(f"{config.source}: bad settings for stage {name!r}: {e}") from e
        available.update(cls.provides)
    return built
