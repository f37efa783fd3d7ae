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
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
from scipy import sparse

from pipeline.align.lexicon import DATA
from pipeline.align.sides import Side, md_date

FEATURES = ("cos", "date_match", "date_conflict", "numbers", "latin", "names", "concepts", "entities", "lexical")


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

    def vector(self) -> np.ndarray:
        return np.array([self.coef.get(f, 0.0) for f in FEATURES])

    def score(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(x @ self.vector() + self.bias)))


def block(en: Side, zh: Side, max_df: int = 60, top_k: int = 25, chunk: int = 4096) -> np.ndarray:
    """Candidate pairs, rows of (en index, zh index), that share a rare enough key, best `top_k` per release.

    A key is a date (an English one also stands for the day before and after), a month-day, a
    number, a Latin word of the Chinese text (3+ characters or letters only) or a concept; a pair's
    weight is the sum of log(1 + n / df) over the keys it shares, keys held by more than `max_df`
    releases of either language left out. The English rows go through in chunks, so the pair
    weights never all sit in memory.
    """
    n = len(en) + len(zh)
    latin_ok = np.array([len(w) >= 3 or w.isalpha() for w in en.vocabs.latin], dtype=bool)
    k_en, k_zh = [], []
    for f in _KEY_FIELDS:  # only the usable keys' columns, so the matrices stay small
        m_en, m_zh = en.matrix(f), zh.matrix(f)
        df_en = np.bincount(m_en.indices, minlength=m_en.shape[1])
        df_zh = np.bincount(m_zh.indices, minlength=m_zh.shape[1])
        valid = (df_en > 0) & (df_zh > 0) & (df_en <= max_df) & (df_zh <= max_df)
        if f == "latin":
            valid &= latin_ok
        cols = np.flatnonzero(valid)
        k_en.append(m_en[:, cols])
        k_zh.append(m_zh[:, cols] @ sparse.diags(np.log1p(n / (df_en[cols] + df_zh[cols])).astype(np.float32)))
    k_en = sparse.hstack(k_en, format="csr")
    k_zh_t = sparse.hstack(k_zh, format="csr").T.tocsr()
    del k_zh
    rows_i, rows_j, by_col = [], [], []
    for start in range(0, len(en), chunk):
        w = (k_en[start : start + chunk] @ k_zh_t).tocoo()
        i, j, x = w.row.astype(np.int64) + start, w.col.astype(np.int64), w.data
        keep = x > 0
        i, j, x = i[keep], j[keep], x[keep]
        top = _top_k(i, j, x, top_k)  # best counterparts of each English release
        rows_i.append(i[top])
        rows_j.append(j[top])
        top = _top_k(j, i, x, top_k)  # best of each Chinese release within this chunk
        by_col.append((i[top], j[top], x[top]))
    if by_col:
        ci, cj, cx = (np.concatenate(a) for a in zip(*by_col))
        top = _top_k(cj, ci, cx, top_k)
        rows_i.append(ci[top])
        rows_j.append(cj[top])
    if not rows_i:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.unique(np.concatenate(rows_i) * max(1, len(zh)) + np.concatenate(rows_j))
    return np.stack([pairs // max(1, len(zh)), pairs % max(1, len(zh))], axis=1)


_KEY_FIELDS = ("keys", "numbers", "latin", "concepts")


def _top_k(group: np.ndarray, other: np.ndarray, weight: np.ndarray, k: int) -> np.ndarray:
    """Positions of the `k` heaviest entries of each group (ties: the larger `other` first; the
    stage numbers each side in release_id order, so a tie is decided by content, not row order)."""
    if not len(group):
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((-other, -weight, group))
    g = group[order]
    first = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    rank = np.arange(len(g)) - np.repeat(first, np.diff(np.r_[first, len(g)]))
    return order[rank < k]


def date_features(
    a_dates: frozenset[date], a_md: frozenset, b_dates: frozenset[date], b_md: frozenset, window: int = 1, conflict_days: int = 7
) -> tuple[float, float]:
    """(match, conflict): a date within `window` days on both sides; or both dated and all far apart."""
    if a_dates and b_dates:
        gap = min(abs((x - y).days) for x in a_dates for y in b_dates)
        if gap <= window:
            return 1.0, 0.0
    if a_md and b_md:
        da = [d for d in map(md_date, a_md) if d]
        db = [d for d in map(md_date, b_md) if d]
        if da and db:
            gap = min(min(abs((x - y).days), 366 - abs((x - y).days)) for x in da for y in db)
            if gap <= window:
                return (0.5 if (a_dates and b_dates) else 1.0), 0.0
            if gap > conflict_days:
                return 0.0, 1.0
    if a_dates and b_dates:
        far = min(abs((x - y).days) for x in a_dates for y in b_dates) > conflict_days
        return 0.0, 1.0 if far else 0.0
    return 0.0, 0.0


def full_date_conflict(a_dates: frozenset[date], b_dates: frozenset[date], days: int = 7) -> bool:
    """Both releases carry full dates and none of them are within `days`: different events.

    Applied as a veto, not a weight: shared boilerplate (an "About us" paragraph in both languages)
    can make two releases of one company look like translations however far apart they are.
    """
    if not a_dates or not b_dates:
        return False
    return min(abs((x - y).days) for x in a_dates for y in b_dates) > days


def features(en: Side, zh: Side, cand: np.ndarray, rarity_share: float = 0.1, chunk: int = 20000) -> np.ndarray:
    """Feature rows of the candidate pairs, in `FEATURES` order (`cos` and `entities` left at 0).

    - numbers, latin: shared ones, counting only those found in at most `rarity_share` of the
      English releases (a figure or word in every release says little), capped at 3;
    - names: English names read in the Chinese text, each weighted 1/sqrt(English releases naming it);
    - concepts: idf-weighted share of the bilingual concepts; lexical: idf-weighted cosine of the
      English words and the Chinese text's glossed words (idf over both languages).
    """
    cand = np.asarray(cand, dtype=np.int64).reshape(-1, 2)
    x = np.zeros((len(cand), len(FEATURES)))
    if not len(cand):
        return x
    col = {f: FEATURES.index(f) for f in FEATURES}
    for k, (e, z) in enumerate(cand.tolist()):
        x[k, col["date_match"]], x[k, col["date_conflict"]] = date_features(
            en.dates[e], en.month_days[e], zh.dates[z], zh.month_days[z]
        )
    cap = max(2, int(rarity_share * len(en)))
    m = {f: (en.matrix(f), zh.matrix(f)) for f in ("numbers", "latin", "concepts", "words", "names")}

    def doc_freq(mat: sparse.csr_matrix) -> np.ndarray:
        return np.bincount(mat.indices, minlength=mat.shape[1])

    rare = {f: sparse.diags((doc_freq(m[f][0]) <= cap).astype(np.float32)) for f in ("numbers", "latin")}
    name_w = sparse.diags(1.0 / np.sqrt(np.maximum(1, doc_freq(m["names"][0]))))
    n = len(en) + len(zh)
    idf = {f: np.log((n + 1) / (doc_freq(m[f][0]) + doc_freq(m[f][1]) + 0.5)) for f in ("concepts", "words")}
    en_w = {
        "numbers": m["numbers"][0] @ rare["numbers"],
        "latin": m["latin"][0] @ rare["latin"],
        "names": m["names"][0] @ name_w,
        "concepts": m["concepts"][0] @ sparse.diags(idf["concepts"]),
        "words": m["words"][0] @ sparse.diags(idf["words"] ** 2),
    }
    concept_mass = {s: np.asarray(mat @ idf["concepts"]).ravel() for s, mat in zip("ez", m["concepts"])}
    word_norm = {s: np.sqrt(np.asarray(mat @ idf["words"] ** 2).ravel()) for s, mat in zip("ez", m["words"])}
    ii, jj = cand[:, 0], cand[:, 1]
    for s in range(0, len(cand), chunk):
        i, j = ii[s : s + chunk], jj[s : s + chunk]

        def shared(f: str, i: np.ndarray = i, j: np.ndarray = j) -> np.ndarray:
            return np.asarray(en_w[f][i].multiply(m[f][1][j]).sum(axis=1)).ravel()

        rows = slice(s, s + len(i))
        x[rows, col["numbers"]] = np.minimum(shared("numbers"), 3) / 3
        x[rows, col["latin"]] = np.minimum(shared("latin"), 3) / 3
        x[rows, col["names"]] = np.minimum(shared("names"), 2.0) / 2
        c = shared("concepts")
        low = np.maximum(np.minimum(concept_mass["e"][i], concept_mass["z"][j]), 1e-9)
        x[rows, col["concepts"]] = np.where(c > 0, c / low, 0.0)
        w = shared("words")
        norms = word_norm["e"][i] * word_norm["z"][j]
        lex = np.where((w > 0) & (norms > 0), w / np.where(norms > 0, norms, 1.0), 0.0)
        x[rows, col["lexical"]] = np.minimum(1.0, 10 * lex)  # cosines of word bags run 0 to ~0.15
    return x


def choose(scores: dict[tuple[int, int], float], threshold: float, mutual: bool = False) -> dict[tuple[int, int], float]:
    """Pairs to keep: each release's best counterpart above `threshold`.

    With `mutual`, only pairs that are each other's best (strict one-to-one). Otherwise a release's
    best counterpart is kept even when that counterpart prefers another release, so two reports of
    one event in the same language (a news story and the release) both pair with the other side.

    Ties: the best counterpart is the one with the highest score, then the smallest index, whatever
    the order of `scores`. The align stage numbers each side in release_id order
    (`sides.canonical`), so that is (score desc, counterpart's release_id), and rounds the scores
    first so equal evidence ties exactly. The result is in (i, j) order.
    """
    best_en: dict[int, tuple[float, int]] = {}
    best_zh: dict[int, tuple[float, int]] = {}
    for (i, j), p in scores.items():
        if p >= threshold:
            if _better(p, j, best_en.get(i)):
                best_en[i] = (p, j)
            if _better(p, i, best_zh.get(j)):
                best_zh[j] = (p, i)
    out: dict[tuple[int, int], float] = {}
    for i, (p, j) in best_en.items():
        if not mutual or best_zh.get(j, (0, -1))[1] == i:
            out[(i, j)] = p
    if not mutual:
        for j, (p, i) in best_zh.items():
            out[(i, j)] = p
    return dict(sorted(out.items()))


def _better(p: float, other: int, best: tuple[float, int] | None) -> bool:
    """Whether (score `p`, counterpart `other`) beats the best so far: higher score, then smaller index."""
    return best is None or p > best[0] or (p == best[0] and other < best[1])
