"""Near-duplicate releases: the same text copied onto many sites, with noise injected.

Chinese is compared on `text_hans` reduced to Han characters and digits, so Traditional and
Simplified copies, pinyin glosses and injected Latin spam do not count; English on lower-case
letters and digits. Candidates come from MinHash LSH over character shingles (one-permutation
hashing: one hash per shingle, 63 bins, 21 bands of 3, so the cost is linear in the corpus;
Chinese 3-grams, English 6-grams); a pair needs 8+ equal bins (estimated Jaccard ~0.13) and
each candidate is then checked with an exact longest-common-subsequence ratio (rapidfuzz), which
stays high when characters are injected or a copy adds page chrome.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import zlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
from rapidfuzz.distance import LCSseq

# wider than pipeline.text.chars.HAN_CHARS: compatibility ideographs (U+F900-U+FAFF) count as Han here too
_NOT_HAN_DIGIT = re.compile(r"[^\u3400-\u9fff\uf900-\ufaff0-9]+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_DIGITS = re.compile(r"\d{2,}")
_LATIN = re.compile(r"[A-Za-z]")
_BINS = 63
_ROWS = 3
_MASK = np.uint64((1 << 58) - 1)
_SEED = np.uint64(0x9E3779B97F4A7C15)


def normalise(text: str, lang: str) -> str:
    if lang == "zh":
        return _NOT_HAN_DIGIT.sub("", text)
    return _NOT_ALNUM.sub("", text.lower())


def shingle_hashes(s: str, k: int) -> np.ndarray:
    """64-bit hashes of the distinct k-character shingles of `s` (vectorised polynomial hash)."""
    if len(s) < k:
        s = s.ljust(k, "\0")
    cp = np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    h = np.zeros(len(cp) - k + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * np.uint64(1000003) + cp[j : len(cp) - k + 1 + j]
        h ^= h >> np.uint64(29)
        h *= _SEED
        h ^= h >> np.uint64(32)
    return np.unique(h)


def sketch(hashes: np.ndarray) -> np.ndarray:
    """One-permutation MinHash: the minimum hash in each of `_BINS` bins (empty bins stay unique)."""
    out = np.full(_BINS, np.iinfo(np.uint64).max, dtype=np.uint64)
    if hashes.size:
        bins = (hashes >> np.uint64(58)) % np.uint64(_BINS)
        np.minimum.at(out, bins.astype(np.intp), hashes & _MASK)
    return out


@dataclass
class Copy:
    release_id: str
    canonical: str
    similarity: float


class CopyFinder:
    """Near-duplicates of one language, fed one release at a time.

    Per release it keeps the MinHash sketch, the text length, its numbers and the text itself
    zlib-compressed (for the exact check of the few candidates): about 1 KB a release.
    Similarity is LCS / length of the shorter text, so a copy that only adds chrome or injected
    characters still scores near 1. The LCS must also cover half of the longer text, so a short
    boilerplate paragraph shared by two different releases does not make them copies, and they
    must share most of their numbers.

    The canonical copy of a group is the original an analyst wants, chosen from the content alone
    (never from the order the releases were added, so a resumed or incremental run folds the same
    way; see `canonical_key`):
    1. the least noise: the smallest share of its text not found in its closest copy, plus `noise`
       (an outside measure, e.g. Latin letters left in Chinese text), rounded to 4 decimals. Spam
       copies carry injected characters and page chrome, so the original has the least;
    2. then the earliest `dateline` (a repost is not older than its source; none last);
    3. then the longest normalised text (the most complete copy);
    4. then the smallest `name` (the source path: stable across runs, unlike an identical copy's
       salted release id), then the smallest release id.
    """

    def __init__(self, lang: str, min_similarity: float = 0.75, max_chars: int = 4000, min_bins: int = 8) -> None:
        self.k = 3 if lang == "zh" else 6
        self.min_similarity, self.max_chars, self.min_bins = min_similarity, max_chars, min_bins
        self.ids: list[str] = []
        self.lengths: list[int] = []
        self.noise: list[float] = []
        self.dates: list[date | None] = []
        self.names: list[str] = []
        self.texts: list[bytes] = []
        self.numbers: list[np.ndarray] = []
        self.sketches: dict[int, np.ndarray] = {}

    def entry(self, text: str) -> tuple:
        """What the finder keeps of a normalised text: (length, compressed text, numbers, sketch or
        None). A function of the text alone, so the align stage can cache it per release."""
        text = text[: self.max_chars]
        sk = sketch(shingle_hashes(text, self.k)) if len(text) >= 2 * self.k else None
        return len(text), zlib.compress(text.encode("utf-8"), 1), number_set(text), sk

    def add(
        self,
        release_id: str,
        text: str,
        noise: float = 0.0,
        dateline: date | None = None,
        name: str | None = None,
        entry: tuple | None = None,
    ) -> None:
        """`text` already normalised (see `normalise`); `dateline` and `name` (the source
        path) only break ties between equally clean copies. `entry`: `self.entry(text)` if the
        caller has it already (then `text` is not read)."""
        i = len(self.ids)
        length, blob, numbers, sk = entry if entry is not None else self.entry(text)
        self.ids.append(release_id)
        self.lengths.append(length)
        self.noise.append(noise)
        self.dates.append(_as_date(dateline))
        self.names.append(name if isinstance(name, str) else "")
        self.texts.append(blob)
        self.numbers.append(numbers)
        if sk is not None:
            self.sketches[i] = sk

    def _candidates(self) -> list[tuple[int, int]]:
        """Pairs that share all rows of some band (LSH), from bands of at most 200 releases
        (a bigger one is boilerplate, not a copy); sorted numpy keys, no per-release dicts."""
        if len(self.sketches) < 2:
            return []
        rows = np.fromiter(self.sketches, dtype=np.int64, count=len(self.sketches))
        sk = np.stack([self.sketches[i] for i in rows])
        cand: set[tuple[int, int]] = set()
        for b in range(_BINS // _ROWS):
            _, group = np.unique(sk[:, b * _ROWS : (b + 1) * _ROWS], axis=0, return_inverse=True)
            order = np.argsort(group.ravel(), kind="stable")
            keys = group.ravel()[order]
            starts = np.r_[0, np.flatnonzero(keys[1:] != keys[:-1]) + 1, len(keys)]
            for s, e in itertools.pairwise(starts):
                if 1 < e - s <= 200:
                    members = sorted(rows[order[s:e]].tolist())
                    cand.update((members[x], members[y]) for x in range(len(members)) for y in range(x + 1, len(members)))
        return sorted(cand)

    def text(self, i: int) -> str:
        return zlib.decompress(self.texts[i]).decode("utf-8")

    def find(self) -> list[Copy]:
        """Each non-canonical member of a group of copies, pointing at its canonical copy."""
        cand = self._candidates()
        shared: dict[int, float] = defaultdict(float)  # share of a text found in its closest copy
        neighbours: dict[int, dict[int, float]] = defaultdict(dict)
        for a, b in cand:
            if np.count_nonzero(self.sketches[a] == self.sketches[b]) < self.min_bins:
                continue  # estimated Jaccard too low: skip the exact check
            short, long = sorted((self.lengths[a], self.lengths[b]))
            if short == 0:
                continue
            if not same_numbers(self.numbers[a], self.numbers[b]):
                continue
            ta, tb = self.text(a), self.text(b)
            lcs = LCSseq.similarity(ta, tb)
            if lcs / short >= self.min_similarity and lcs / long >= self.min_similarity / 2:
                neighbours[a][b] = neighbours[b][a] = lcs / short
                shared[a] = max(shared[a], lcs / len(ta))
                shared[b] = max(shared[b], lcs / len(tb))
        # Star clusters, best original first: a release is folded only into a canonical copy it is
        # itself similar to, never through a chain of copies (A~B~C does not make C a copy of A).
        # Each release goes to the first canonical copy in `canonical_key` order that it is similar
        # to, so the groups depend on the content only, not on the order releases were added.
        order = sorted(neighbours, key=lambda i: self.canonical_key(i, shared[i]))
        canonical: dict[int, int] = {}
        out: list[Copy] = []
        for i in order:
            if i in canonical:
                continue
            canonical[i] = i
            for j, sim in neighbours[i].items():
                if j not in canonical:
                    canonical[j] = i
                    out.append(Copy(self.ids[j], self.ids[i], sim))
        return sorted(out, key=lambda c: c.release_id)

    def canonical_key(self, i: int, shared: float) -> tuple:
        """Sort key of release `i` as a canonical copy (smallest first), see the class docstring."""
        day = self.dates[i]
        return (
            round(1 - shared + self.noise[i], 4),
            day is None,
            day or date.min,
            -self.lengths[i],
            self.names[i],
            self.ids[i],
        )


def find_copies(
    ids: list[str],
    texts: list[str],
    lang: str,
    min_similarity: float = 0.75,
    max_chars: int = 4000,
    noise: list[float] | None = None,
    min_bins: int = 8,
    dates: list[date | None] | None = None,
    names: list[str] | None = None,
) -> list[Copy]:
    """`CopyFinder` over lists: group near-duplicates of one language (`texts` normalised)."""
    finder = CopyFinder(lang, min_similarity, max_chars, min_bins)
    for i, (rid, text) in enumerate(zip(ids, texts)):
        finder.add(rid, text, noise[i] if noise else 0.0, dates[i] if dates else None, names[i] if names else None)
    return finder.find()


def number_set(text: str) -> np.ndarray:
    """The distinct numbers (2+ digits) of a text, as sorted hashes (compact, kept per release).

    A keyed hash, not `hash()`: that one is salted per process, so a collision (and with it a
    copy decision) could differ between a run and its resumption."""
    digests = (hashlib.blake2b(d.encode("utf-8"), digest_size=8).digest() for d in set(_DIGITS.findall(text)))
    return np.unique(np.array([int.from_bytes(b, "little", signed=True) for b in digests], dtype=np.int64))


def _as_date(value) -> date | None:
    """A dateline as a `date` (None for missing, NaN or NaT values)."""
    if value is None or not isinstance(value, date):
        return None
    if isinstance(value, datetime):
        return None if value != value else value.date()  # NaT != NaT
    return value


def same_numbers(na: np.ndarray, nb: np.ndarray) -> bool:
    """A copy keeps the dates and figures of its source: releases from one template with other
    numbers (the same notice for another day) are not copies. `na`, `nb` from `number_set`."""
    if not len(na) or not len(nb):
        return True
    return len(np.intersect1d(na, nb, assume_unique=True)) >= 0.5 * min(len(na), len(nb))


def latin_noise(text: str) -> float:
    """Share of Latin letters in a Chinese text: pinyin glosses or spam words the cleaner missed."""
    return len(_LATIN.findall(text)) / max(len(text), 1)
