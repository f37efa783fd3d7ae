"""The shipped lookup tables of pipeline/data/align/, loaded once per process.

- surnames: Chinese surname -> its romanisations (mainland, HK, Taiwan, Macau, Singapore, Malaysia)
- readings: character -> toneless pinyin readings (CC-CEDICT)
- glosses: word -> English gloss words (CC-CEDICT), for translating parts of organisation names
- terms: bilingual names and titles grouped into concepts (HA open data, CLDR, admin divisions,
  hand seed, CC-CEDICT proper nouns), to find the same thing named in both languages
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pipeline.text.chars import HAN

DATA = Path(__file__).resolve().parent.parent / "data" / "align"
WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "and",
        "for",
        "in",
        "on",
        "at",
        "to",
        "with",
        "by",
        "from",
        "as",
        "or",
        "is",
        "are",
        "be",
        "was",
        "were",
        "its",
        "it",
        "this",
        "that",
        "de",
        "la",
        "i",
        "ii",
        "iii",
        "co",
        "ltd",
        "limited",
        "inc",
    ]
)


def en_tokens(text: str) -> list[str]:
    """Lower-case word tokens; `&` counts as `and` so `Science & Technology` matches either way."""
    return WORD.findall(text.lower().replace("&", " and "))


def content_words(text: str) -> set[str]:
    return {w for w in en_tokens(text) if w not in _STOP and len(w) > 1}


@cache
def surnames() -> dict[str, set[str]]:
    """Simplified surname (one or two characters) -> romanisations, lower case."""
    out: dict[str, set[str]] = defaultdict(set)
    with open(DATA / "surnames.tsv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            out[row["zh"]].update(row["roman"].split())
    return dict(out)


@cache
def _cedict() -> tuple[dict[str, set[str]], dict[str, list[str]]]:
    readings: dict[str, set[str]] = defaultdict(set)
    glosses: dict[str, list[str]] = defaultdict(list)
    with gzip.open(DATA / "cedict.tsv.gz", "rt", encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            zh, pinyin, gloss = line.rstrip("\n").split("\t")
            if len(zh) == 1:
                readings[zh].add(pinyin.replace("v", "u"))
            if gloss:
                glosses[zh].extend(g.strip() for g in gloss.split(";") if g.strip())
    return dict(readings), dict(glosses)


def readings(char: str) -> set[str]:
    return _cedict()[0].get(char, set())


def all_readings() -> dict[str, set[str]]:
    return _cedict()[0]


def glosses() -> dict[str, list[str]]:
    return _cedict()[1]


@dataclass
class Terms:
    """Bilingual names grouped into concepts; lookups keyed for a fast scan of either language."""

    zh_index: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # first 2 chars -> (zh, concept)
    en_index: dict[str, list[tuple[tuple[str, ...], int]]] = field(default_factory=dict)  # first token -> (tokens, concept)
    kind: dict[int, str] = field(default_factory=dict)
    guarded: frozenset[str] = frozenset()  # short Chinese abbreviations (科大) that must not sit inside a word
    en_names: dict[int, list[str]] = field(default_factory=dict)
    zh_names: dict[int, list[str]] = field(default_factory=dict)

    def find_zh(self, text: str) -> dict[int, list[int]]:
        """Concept -> start offsets of its Chinese names in `text` (longest match wins)."""

        def candidates(i: int):
            return self.zh_index.get(text[i : i + 2], ()) if i < len(text) - 1 else ()

        def allowed(i: int, zh: str) -> bool:  # 医科大学 is not 科大
            return not (zh in self.guarded and i > 0 and HAN.match(text[i - 1]) and text[i - 1] not in _JOINERS)

        return _longest_matches(text, candidates, allowed)

    def find_en(self, tokens: list[str]) -> dict[int, list[int]]:
        """Concept -> token indices where one of its English names starts (longest match wins)."""
        seq = tuple(tokens)
        return _longest_matches(seq, lambda i: self.en_index.get(seq[i], ()))


def _longest_matches(seq, candidates, allowed=lambda i, name: True) -> dict[int, list[int]]:
    """Left-to-right scan of `seq` (a string or a token tuple): at each position the longest name
    among `candidates(i)` that is there and `allowed`; the scan resumes after it."""
    found: dict[int, list[int]] = defaultdict(list)
    i = 0
    while i < len(seq):
        best = None
        for name, c in candidates(i):
            if seq[i : i + len(name)] == name and (best is None or len(name) > len(best[0])):
                best = (name, c)
        if best and not allowed(i, best[0]):
            best = None
        if best:
            found[best[1]].append(i)
            i += len(best[0])
        else:
            i += 1
    return found


_PROPER = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}$")
_JOINERS = frozenset("与和及同、的由在是为向将对跟并于香港")
_NOT_NAMES = frozenset(
    [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ]
)


@cache
def term_rows() -> tuple[tuple[str, str, str], ...]:
    """(en, zh, kind) of each row of terms.tsv, the bilingual names list (sources in its README)."""
    with open(DATA / "terms.tsv", encoding="utf-8") as fh:
        return tuple((row["en"], row["zh"], row["kind"]) for row in csv.DictReader(fh, delimiter="\t"))


@cache
def terms() -> Terms:
    """Concepts from terms.tsv plus CC-CEDICT proper nouns (a single capitalised gloss, 2+ chars)."""
    pairs: list[tuple[str, str, str]] = list(term_rows())
    for zh, gl in glosses().items():
        if len(zh) >= 2 and len(gl) == 1 and _PROPER.match(gl[0]) and gl[0].lower() not in _NOT_NAMES:
            pairs.append((gl[0], zh, "NAME"))
    # union-find over English and Chinese names, so aliases of one thing share a concept
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    keyed = []
    for en, zh, kind in pairs:
        toks = tuple(en_tokens(en))
        if toks[:1] == ("the",):
            toks = toks[1:]
        if not toks or len(zh) < 2:
            continue
        a, b = "en:" + " ".join(toks), "zh:" + zh
        if kind == "TITLE":  # generic titles (Director, 主任) must not chain unrelated ones together
            a, b = f"t:{a}|{zh}", f"t:{b}|{' '.join(toks)}"
        parent[find(a)] = find(b)
        keyed.append((toks, zh, kind, a))
    t = Terms(guarded=frozenset(zh for toks, zh, kind, _ in keyed if kind == "ORG" and len(zh) == 2))
    ids: dict[str, int] = {}
    zh_index: dict[str, set[tuple[str, int]]] = defaultdict(set)
    en_index: dict[str, set[tuple[tuple[str, ...], int]]] = defaultdict(set)
    for toks, zh, kind, a in keyed:
        c = ids.setdefault(find(a), len(ids))
        t.kind.setdefault(c, kind)
        zh_index[zh[:2]].add((zh, c))
        en_index[toks[0]].add((toks, c))
        t.en_names.setdefault(c, []).append(" ".join(toks))
        t.zh_names.setdefault(c, []).append(zh)
    t.zh_index = {k: sorted(v) for k, v in zh_index.items()}
    t.en_index = {k: sorted(v) for k, v in en_index.items()}
    return t
