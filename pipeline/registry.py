"""Stage registry: `@stage("name")` registers a class; `build_pipeline` composes them from a config.

Two kinds of stage (see DESIGN): a *release* stage is called on one `Release` at a time and returns
it; a *corpus* stage is called once on the tables of the whole batch (a `Corpus`). Each stage
declares what it `requires` and `provides`, and the pipeline checks the order when it is built,
like Stanza's processors, so a config that puts `recognise` before `convert` fails at load time,
not mid-batch. What a stage reads when it is there and does without otherwise (align reads the
entities, which a config without recognise has none of) is `optional`: checked like the others,
but only that no later stage provides it.
"""

from __future__ import annotations

import inspect
import json
import tomllib
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

STAGES: dict[str, type[Stage]] = {}


class Stage:
    """Base class of every stage. Subclasses set `kind`, `requires`, `provides` (and `optional`)."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "release"  # or "corpus"
    requires: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[tuple[str, ...]] = ()  # read when an earlier stage provides it, else done without
    provides: ClassVar[tuple[str, ...]] = ()
    # model settings -> the file that marks a model folder (see pipeline/models.py): the models a
    # stage loads are part of the pipeline version, so a retrained model re-processes releases
    model_settings: ClassVar[dict[str, str]] = {}

    def __init__(self, **settings: Any) -> None:
        if settings:
            raise TypeError(f"stage {self.name!r} takes no settings: {sorted(settings)}")

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """The stage's settings and their defaults: its constructor's keyword arguments (the one
        place defaults are written; the shipped default.toml repeats them, checked by a test)."""
        return {
            name: p.default
            for name, p in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is not p.empty
        }

    @classmethod
    def models_used(cls, settings: dict[str, Any]) -> list[str]:
        """The model settings (names in `model_settings`) whose models these settings load."""
        return list(cls.model_settings)

    def __call__(self, data: Any) -> Any:
        """The stage's one method: a `Release` in and out (release stages), or the output folder's
        `Tables` in and the tables it fills out (corpus stages)."""
        raise NotImplementedError(f"stage {self.name!r} does not say what it does")

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
    def load(cls, path: Path | None = None, overrides: list[str] | None = None) -> PipelineConfig:
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
        config = cls(stages=names, settings=data.get("stages", {}), source=source)
        return config.override(overrides) if overrides else config

    def override(self, assignments: list[str]) -> PipelineConfig:
        """A copy with `--set` assignments applied: `stages.NAME.SETTING=VALUE` or
        `pipeline.stages=[...]`, VALUE read as a TOML value (`0.6`, `true`, `"lac"`, `["a", "b"]`),
        or as a plain string when it is not one (`zh_backend=model`)."""
        stages, settings = list(self.stages), {k: dict(v) for k, v in self.settings.items()}
        for assignment in assignments:
            key, sep, raw = assignment.partition("=")
            if not sep:
                raise ConfigError(f"--set {assignment!r}: expected KEY=VALUE, e.g. stages.relate.min_score=0.6")
            try:
                value = tomllib.loads(f"v = {raw.strip()}")["v"]
            except tomllib.TOMLDecodeError:
                value = raw.strip()
            parts = key.strip().split(".")
            if parts == ["pipeline", "stages"]:
                if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
                    raise ConfigError(f"--set {assignment!r}: pipeline.stages must be a list of stage names")
                stages = value
            elif len(parts) == 3 and parts[0] == "stages":
                settings.setdefault(parts[1], {})[parts[2]] = value
            else:
                raise ConfigError(f"--set {assignment!r}: KEY must be stages.NAME.SETTING or pipeline.stages")
        return PipelineConfig(stages, settings, f"{self.source} with --set")

    def filled(self) -> PipelineConfig:
        """Every setting of every listed stage, the given value or the stage's default (a default of
        None, "none given", stays out: TOML has no null). Settings of stages not listed are left
        out: they change nothing."""
        _import_builtin_stages()
        settings: dict[str, dict[str, Any]] = {}
        for name in self.stages:
            cls = STAGES.get(name)
            if cls is None:
                raise ConfigError(f"{self.source}: unknown stage {name!r}; known: {', '.join(sorted(STAGES))}")
            given = self.settings.get(name, {})
            unknown = sorted(set(given) - set(cls.defaults()))
            if unknown:
                raise ConfigError(
                    f"{self.source}: stage {name!r} has no setting {', '.join(map(repr, unknown))};"
                    f" its settings: {', '.join(cls.defaults()) or 'none'}"
                )
            full = {**cls.defaults(), **given}
            settings[name] = {k: v for k, v in full.items() if v is not None}
        return PipelineConfig(list(self.stages), settings, self.source)

    def to_toml(self, header: str = "") -> str:
        """The config as TOML that `load` reads back to an equal config."""
        lines = [f"# {line}" if line else "#" for line in header.splitlines()]
        lines += ["", "[pipeline]", f"stages = {_toml_value(self.stages)}"]
        for name, values in self.settings.items():
            lines += ["", f"[stages.{_toml_key(name)}]"]
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in values.items() if v is not None]
        return "\n".join(lines).lstrip("\n") + "\n"


def _toml_key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() and key.isascii() else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    """A TOML literal for the values a setting takes (JSON's string escapes are TOML's too)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # TOML spells 1e-05, inf and nan as Python's repr does
    if isinstance(value, str | Path):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise ConfigError(f"a setting of type {type(value).__name__} cannot be written to TOML: {value!r}")


@cache
def _declarable() -> frozenset[str]:
    """What `requires` / `provides` may name: a field of `Release` (release stages, and the columns
    corpus stages read from the releases table), a table of SCHEMA.md (what corpus stages write), or
    one column of a table (`entities.org_id`: a corpus stage filling a column of a release table)."""
    from pipeline.io.tables import SCHEMAS
    from pipeline.release import Release

    columns = {f"{t}.{c}" for t, schema in SCHEMAS.items() for c in schema.names}
    return frozenset(f.name for f in fields(Release)) | frozenset(SCHEMAS) | frozenset(columns)


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
    available: set[str] = {"source_path", "raw_text", "source_sha"}  # what a reader fills
    seen_corpus = False
    for position, name in enumerate(config.stages):
        cls = STAGES.get(name)
        if cls is None:
            raise ConfigError(f"{config.source}: unknown stage {name!r}; known: {', '.join(sorted(STAGES))}")
        unknown = [n for n in (*cls.requires, *cls.optional, *cls.provides) if n not in _declarable()]
        if unknown:
            raise ConfigError(f"{config.source}: stage {name!r} declares {unknown}, which are neither Release fields nor tables")
        missing = [r for r in cls.requires if r not in available]
        if missing:
            raise ConfigError(f"{config.source}: stage {name!r} needs {missing}, which no earlier stage provides")
        later = {n for after in config.stages[position + 1 :] if after in STAGES for n in STAGES[after].provides}
        too_late = [r for r in cls.optional if r not in available and r in later]
        if too_late:
            raise ConfigError(
                f"{config.source}: stage {name!r} reads {too_late}, which a later stage provides: put it after that stage"
            )
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
