"""The skeleton every relation type fills in, its data file, and the registry relate composes types from.

A type is one module: a `RelationType` subclass registered under its name with `@relation_type`,
saying which entity label pairs it connects and reading facts from English sentences (units, see
pipeline/relations/english.py) and Chinese ones (sketches, see pipeline/relations/chinese.py).
Its words, regular expressions and spaCy Matcher patterns are its data file,
`pipeline/lang/rel/<name>.jsonl`: `#` lines saying where the rules came from, then one JSON object
per line, each one rule:

    {"lang": "zh", "regex": NAME, "pattern": "...", "head": 1, "tail": [2, 3], "score": 0.85, "rule": "zh-located"}
    {"lang": "en", "words": NAME, "list": ["located", "based"]}
    {"lang": "en", "matcher": LABEL, "pattern": [{"LOWER": "team"}, {"LOWER": "up"}]}

A regex row with `head` and `tail` is a whole rule (`chinese.table_facts` runs it: each group named
there that matched is an argument); one without them is a piece the type's code uses by name.
English finders walk units (mentions, titles, kinds, tokens), not spaCy tokens, so their rules are
words and regexes; the Matcher rows are the English reader's own (`english_units.jsonl`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pipeline.relations.common import Doc, Fact

if TYPE_CHECKING:
    from pipeline.relations.chinese import Sketch
    from pipeline.relations.english import EnglishReader, Unit


@dataclass(frozen=True)
class Rules:
    """One type's data file: its source lines and its rows, looked up by language and name."""

    path: str
    source: str
    rows: tuple[dict[str, Any], ...]

    @classmethod
    def read(cls, text: str, path: str) -> Rules:
        lines = text.splitlines()
        source = "\n".join(line[1:].strip() for line in lines if line.startswith("#"))
        rows = []
        for n, line in enumerate(lines, 1):
            if line.strip() and not line.startswith("#"):
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{n}: not a JSON object: {e}") from None
        return cls(path, source, tuple(rows))

    @classmethod
    @cache
    def shipped(cls, name: str) -> Rules:
        """`pipeline/lang/rel/<name>.jsonl`, read through importlib.resources so a wheel finds it."""
        text = resources.files("pipeline.lang").joinpath("rel", f"{name}.jsonl").read_text("utf-8")
        return cls.read(text, f"pipeline/lang/rel/{name}.jsonl")

    def _row(self, lang: str, kind: str, name: str) -> dict[str, Any]:
        for row in self.rows:
            if row.get("lang") == lang and row.get(kind) == name:
                return row
        raise KeyError(f"{self.path}: no {lang} {kind} {name!r}")

    def words(self, lang: str, name: str) -> frozenset[str]:
        return frozenset(self._row(lang, "words", name)["list"])

    def pattern(self, lang: str, name: str) -> str:
        """The text of a named regex row (Chinese ones still hold `${ORG}`-style placeholders)."""
        return self._row(lang, "regex", name)["pattern"]

    @cached_property
    def zh(self) -> dict[str, re.Pattern]:
        """Every Chinese regex row by name, compiled with its `${NAME}` placeholders filled in."""
        from pipeline.relations.chinese import compile_zh

        return {row["regex"]: compile_zh(row["pattern"]) for row in self.regex_rows("zh")}

    def regex_rows(self, lang: str) -> list[dict[str, Any]]:
        return [row for row in self.rows if row.get("lang") == lang and "regex" in row]

    def table_rules(self, lang: str) -> list[dict[str, Any]]:
        """The regex rows that are whole rules (they name their head and tail groups), in file order."""
        return [row for row in self.regex_rows(lang) if "head" in row]

    def matcher_patterns(self, lang: str = "en") -> list[tuple[str, list[dict[str, Any]]]]:
        return [(row["matcher"], row["pattern"]) for row in self.rows if row.get("lang") == lang and "matcher" in row]


@dataclass
class Sentence:
    """One sentence as the types see it, with what the types before have read in it."""

    span: tuple[int, int]  # in the working text
    units: list[Unit] = field(default_factory=list)  # English
    sketch: Sketch | None = None  # Chinese
    found: dict[str, list[Fact]] = field(default_factory=dict)  # type name -> facts read here so far
    marks: dict[str, Any] = field(default_factory=dict)  # what a type leaves for later ones (zh: role_orgs)


@dataclass
class Reading:
    """One pass of one language's rules over a release (a Chinese release may get an English pass over its
    English stretches): the sentences so far, and what each type keeps for its `finish`."""

    doc: Doc
    lang: str
    is_headline: Callable[[tuple[int, int]], bool]
    reader: EnglishReader | None = None  # the English reader: its title vocabulary (plural titles)
    kept: dict[str, list[Any]] = field(default_factory=dict)

    def keep(self, type_name: str) -> list[Any]:
        return self.kept.setdefault(type_name, [])


class RelationType:
    """One relation type: the entity label pairs it connects, its English and Chinese finders, its data.

    `english` / `chinese` return the facts of one sentence (added to the release in the order the types
    run); `finish` runs once per pass after the last sentence, for what needs the whole release."""

    name: ClassVar[str]
    pairs: ClassVar[tuple[tuple[str, str | None], ...]]  # (head label, tail label) of its facts; None: no tail
    needs: ClassVar[tuple[str, ...]] = ()  # types whose facts of a sentence it reads (they run first)
    symmetric: ClassVar[bool] = False  # A-B is B-A: one row per unordered pair (common.merge_facts)
    one_direction: ClassVar[bool] = False  # read both ways (A->B, B->A), only the better-scored stays
    data_path: ClassVar[Path | None] = None  # a data file elsewhere than pipeline/lang/rel/<name>.jsonl

    def __init__(self) -> None:
        if self.data_path is not None:
            self.rules = Rules.read(self.data_path.read_text("utf-8"), str(self.data_path))
        else:
            self.rules = Rules.shipped(self.name)

    def english(self, reading: Reading, sent: Sentence) -> list[Fact]:
        return []

    def chinese(self, reading: Reading, sent: Sentence) -> list[Fact]:
        from pipeline.relations.chinese import table_facts

        return table_facts(self, sent)

    def finish(self, reading: Reading) -> None:
        """Add what needs every sentence of the pass to `reading.doc.facts`."""


REGISTRY: dict[str, type[RelationType]] = {}


def relation_type(cls: type[RelationType]) -> type[RelationType]:
    """Register a type under its `name` (a second type of one name is an error, not an override)."""
    if cls.name in REGISTRY and REGISTRY[cls.name] is not cls:
        raise ValueError(f"relation type {cls.name!r} is registered twice: {REGISTRY[cls.name]} and {cls}")
    REGISTRY[cls.name] = cls
    return cls


def compose(names: Iterable[str]) -> list[RelationType]:
    """The registered types named, each after the types it `needs`, otherwise in the order given."""
    names = list(names)
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        raise KeyError(f"no relation type registered as {unknown} (registered: {sorted(REGISTRY)})")
    ordered: list[str] = []

    def place(name: str, chain: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in chain:
            raise ValueError(f"relation types need each other: {' -> '.join((*chain, name))}")
        for need in REGISTRY[name].needs:
            if need in names:
                place(need, (*chain, name))
        ordered.append(name)

    for name in names:
        place(name, ())
    return [REGISTRY[n]() for n in ordered]
