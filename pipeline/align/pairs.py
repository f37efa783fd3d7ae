"""EN-ZH release pairs: candidates from blocking, features from several signals, a calibrated score.

Blocking keeps the cost linear: a candidate pair shares at least one key (a date within a day, a
number, a Latin word written in the Chinese text, a bilingual name concept), keys shared by too
many releases are dropped like stop words, and each release keeps its `top_k` candidates.
The score is a logistic combination of the features (weights in data/align/weights.json, fitted on
the dev pairs by `python -m pipeline.align.calibrate`; weights_no_entities.json when the batch has
no entity rows), so it reads as a probability that the two releases report the same event.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import numpy as np

from pipeline.align.lexicon import DATA
from pipeline.align.signals import Signals, names_found

FEATURES = ("cos", "date_match", "date_conflict", "numbers", "latin", "names", "concepts", "entities", "lexical")
_MD_BASE = 2000  # a leap year, for comparing (month, day) pairs


@dataclass
class Weights:
    bias: float
    coef: dict[str, float]
    cos_prior: float = 0.6  # median encoder cosine of gold pairs, used where the encoder is skipped

    @classmethod
    @cache
    def load(cls, with_entities: bool = True) -> Weights:
        """Weights fitted with entity rows (the shipped pipeline runs recognise first) or without."""
        name = "weights.json" if with_entities else "weights_no_entities.json"
        data = json.loads((DATA / name).read_text("utf-8"))
        coef = {k: float(v) for k, v in data["coef"].items()}
        return cls(bias=float(data["bias"]), coef=coef, cos_prior=float(data.get("cos_prior", 0.6)))

    def score(self, x: np.ndarray) -> np.ndarray:
        w = np.array([self.coef.get(f, 0.0) for f in FEATURES])
        return 1.0 / (1.0 + np.exp(-(x @ w + self.bias)))


def _md_date(md: tuple[int, int]) -> date | None:
    try:
        return date(_MD_BASE, *md)
    except ValueError:
        return None


def block(en: list[Signals], zh: list[Signals], max_df: int = 60, top_k: int = 25) -> list[tuple[int, int]]:
    """Candidate (en index, zh index) pairs that share a rare enough key, best `top_k` per release."""
    zh_keys: list[set[str]] = []
    for s in zh:
        k = {f"d:{d.isoformat()}" for d in s.dates}
        k |= {f"m:{m:02d}-{d:02d}" for m, d in s.month_days}
        k |= {f"n:{n}" for n in s.numbers}
        k |= {f"w:{w}" for w in s.latin if len(w) >= 3 or w.isalpha()}
        k |= {f"c:{c}" for c in s.concepts}
        zh_keys.append(k)
    zh_latin = {k for ks in zh_keys for k in ks if k.startswith("w:")}
    en_keys: list[set[str]] = []
    for s in en:
        k = set()
        for d in s.dates:
            k |= {f"d:{(d + timedelta(days=o)).isoformat()}" for o in (-1, 0, 1)}
        for md in s.month_days:
            if (d := _md_date(md)) is not None:
                k |= {f"m:{x.month:02d}-{x.day:02d}" for x in (d - timedelta(days=1), d, d + timedelta(days=1))}
        k |= {f"n:{n}" for n in s.numbers}
        k |= {f"w:{w}" for w in s.latin} & zh_latin
        k |= {f"c:{c}" for c in s.concepts}
        en_keys.append(k)
    df_en = Counter(k for ks in en_keys for k in ks)
    df_zh = Counter(k for ks in zh_keys for k in ks)
    index: dict[str, list[int]] = defaultdict(list)
    for j, ks in enumerate(zh_keys):
        for k in ks:
            if df_en.get(k, 0) and df_zh[k] <= max_df and df_en[k] <= max_df:
                index[k].append(j)
    n = len(en) + len(zh)
    weight: dict[tuple[int, int], float] = defaultdict(float)
    for i, ks in enumerate(en_keys):
        for k in ks:
            for j in index.get(k, ()):
                weight[(i, j)] += math.log(1 + n / (df_en[k] + df_zh[k]))
    best_en: dict[int, list[tuple[float, int]]] = defaultdict(list)
    best_zh: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for (i, j), w in weight.items():
        best_en[i].append((w, j))
        best_zh[j].append((w, i))
    keep: set[tuple[int, int]] = set()
    for i, lst in best_en.items():
        keep |= {(i, j) for _, j in sorted(lst, reverse=True)[:top_k]}
    for j, lst in best_zh.items():
        keep |= {(i, j) for _, i in sorted(lst, reverse=True)[:top_k]}
    return sorted(keep)


def date_features(a: Signals, b: Signals, window: int = 1, conflict_days: int = 7) -> tuple[float, float]:
    """(match, conflict): a date within `window` days on both sides; or both dated and all far apart."""
    if a.dates and b.dates:
        gap = min(abs((x - y).days) for x in a.dates for y in b.dates)
        if gap <= window:
            return 1.0, 0.0
    if a.month_days and b.month_days:
        da = [d for d in map(_md_date, a.month_days) if d]
        db = [d for d in map(_md_date, b.month_days) if d]
        if da and db:
            gap = min(min(abs((x - y).days), 366 - abs((x - y).days)) for x in da for y in db)
            if gap <= window:
                return (0.5 if (a.dates and b.dates) else 1.0), 0.0
            if gap > conflict_days:
                return 0.0, 1.0
    if a.dates and b.dates:
        far = min(abs((x - y).days) for x in a.dates for y in b.dates) > conflict_days
        return 0.0, 1.0 if far else 0.0
    return 0.0, 0.0


def full_date_conflict(a: Signals, b: Signals, days: int = 7) -> bool:
    """Both releases carry full dates and none of them are within `days`: different events.

    Applied as a veto, not a weight: shared boilerplate (an "About us" paragraph in both languages)
    can make two releases of one company look like translations however far apart they are.
    """
    if not a.dates or not b.dates:
        return False
    return min(abs((x - y).days) for x in a.dates for y in b.dates) > days


def idf_table(en: list[Signals], zh: list[Signals]) -> dict:
    """Inverse document frequency of each concept and word over the batch (rare ones weigh more);
    also sets each release's `word_norm`."""
    df: Counter = Counter()
    for s in (*en, *zh):
        df.update(s.concepts)
        df.update(s.words)
    n = len(en) + len(zh)
    idf = {c: math.log((n + 1) / (k + 0.5)) for c, k in df.items()}
    for s in (*en, *zh):
        s.word_norm = math.sqrt(sum(idf[w] ** 2 for w in s.words))
    return idf


def lexical(a: Signals, b: Signals, idf: dict) -> float:
    """idf-weighted cosine of the English words and the Chinese text's glossed words."""
    shared = sum(idf.get(w, 0.0) ** 2 for w in a.words & b.words)
    if not shared or not a.word_norm or not b.word_norm:
        return 0.0
    return shared / (a.word_norm * b.word_norm)


@dataclass
class Rarity:
    """How many English releases hold each word, number and name: shared common ones say little."""

    words: Counter
    numbers: Counter
    names: Counter
    cap: int

    @classmethod
    def of(cls, en: list[Signals], share: float = 0.1) -> Rarity:
        return cls(
            Counter(w for s in en for w in s.latin),
            Counter(n for s in en for n in s.numbers),
            Counter(n for s in en for n in set(s.names)),
            max(2, int(share * len(en))),
        )


def features(
    a: Signals, b: Signals, cos: float, idf: dict[int, float], rarity: Rarity | None = None, entity_share: float = 0.0
) -> np.ndarray:
    """The feature vector of an (English a, Chinese b) candidate, in `FEATURES` order."""
    match, conflict = date_features(a, b)
    cap = rarity.cap if rarity else 1 << 30
    shared_numbers = sum(1 for n in a.numbers & b.numbers if not rarity or rarity.numbers[n] <= cap)
    latin = sum(1 for w in b.latin if w in a.latin and (not rarity or rarity.words[w] <= cap))
    names = names_found(a.names, b.zh_names)
    # a name found in every release (the health secretary) says little
    name_w = sum(1.0 / max(1, rarity.names[en]) ** 0.5 for en, _ in names) if rarity is not None else float(len(names))
    wa = sum(idf.get(c, 0.0) for c in a.concepts)
    wb = sum(idf.get(c, 0.0) for c in b.concepts)
    shared = sum(idf.get(c, 0.0) for c in a.concepts & b.concepts)
    concepts = shared / max(min(wa, wb), 1e-9) if shared else 0.0
    return np.array(
        [
            cos,
            match,
            conflict,
            min(shared_numbers, 3) / 3,
            min(latin, 3) / 3,
            min(name_w, 2.0) / 2,
            concepts,
            entity_share,
            min(1.0, 10 * lexical(a, b, idf)),  # cosines of word bags run 0 to ~0.15
        ],
        dtype=np.float64,
    )


def choose(scores: dict[tuple[int, int], float], threshold: float, mutual: bool = False) -> dict[tuple[int, int], float]:
    """Pairs to keep: each release's best counterpart above `threshold`.

    With `mutual`, only pairs that are each other's best (strict one-to-one). Otherwise a release's
    best counterpart is kept even when that counterpart prefers another release, so two reports of
    one event in the same language (a news story and the release) both pair with the other side.
    """
    best_en: dict[int, tuple[float, int]] = {}
    best_zh: dict[int, tuple[float, int]] = {}
    for (i, j), p in scores.items():
        if p >= threshold:
            if p > best_en.get(i, (-1.0, -1))[0]:
                best_en[i] = (p, j)
            if p > best_zh.get(j, (-1.0, -1))[0]:
                best_zh[j] = (p, i)
    out: dict[tuple[int, int], float] = {}
    for i, (p, j) in best_en.items():
        if not mutual or best_zh.get(j, (0, -1))[1] == i:
            out[(i, j)] = p
    if not mutual:
        for j, (p, i) in best_zh.items():
            out[(i, j)] = p
    return out
