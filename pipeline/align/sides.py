"""The signals of one language's releases, kept compact so 100,000 releases fit in a few hundred MB.

`signals.extract` gives one release's signals as Python sets (tens of KB each); a `SideBuilder`
turns them into rows of sparse matrices over vocabularies shared by both languages as soon as they
are extracted, and drops the sets. Blocking and features (`pairs`) then work on whole matrices.

Person names are kept as matches, not as text: the English side is built first and indexes each
romanised name by its (surname, given name) spellings; a Chinese release keeps only the ids of the
English names whose spellings one of its surname-initial strings can be read as, which is what
`signals.names_found` decides pair by pair.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from scipy import sparse

from pipeline.align import translit
from pipeline.align.signals import Signals

SET_FIELDS = ("numbers", "latin", "concepts", "words", "names", "keys")


class Vocab(dict):
    """Column number of each key, assigned on first sight."""

    def id(self, key) -> int:
        n = self.get(key)
        if n is None:
            n = self[key] = len(self)
        return n


@dataclass
class Vocabs:
    """One vocabulary per field, shared by the English and the Chinese side (same column, same key)."""

    numbers: Vocab = field(default_factory=Vocab)
    latin: Vocab = field(default_factory=Vocab)
    concepts: Vocab = field(default_factory=Vocab)
    words: Vocab = field(default_factory=Vocab)
    names: Vocab = field(default_factory=Vocab)  # English romanised names
    keys: Vocab = field(default_factory=Vocab)  # blocking keys of dates: ("d", date) and ("m", (month, day))
    # surname spelling -> given-name spelling -> English name ids (filled by the English side)
    name_spellings: dict[str, dict[str, set[int]]] = field(default_factory=dict)


@dataclass
class Side:
    """Compact signals of one language's releases; row i of every matrix is release `ids[i]`."""

    lang: str
    ids: list[str]
    dates: list[frozenset[date]]
    month_days: list[frozenset[tuple[int, int]]]
    summary: list[str]
    rows: dict[str, tuple[array, array, array]]  # field -> (indptr, indices, data)
    vocabs: Vocabs

    def __len__(self) -> int:
        return len(self.ids)

    def matrix(self, name: str) -> sparse.csr_matrix:
        """(releases x vocabulary) matrix of a field: 1 where the release holds the key (names: how often)."""
        indptr, indices, data = self.rows[name]
        shape = (len(self.ids), len(getattr(self.vocabs, name)))
        return sparse.csr_matrix(
            (
                np.frombuffer(data, dtype=np.float32),
                np.frombuffer(indices, dtype=np.int32),
                np.frombuffer(indptr, dtype=np.int64),
            ),
            shape=shape,
        )


class SideBuilder:
    """Adds releases of one language one at a time; `build()` gives the `Side`."""

    def __init__(self, lang: str, vocabs: Vocabs) -> None:
        self.lang = lang
        self.vocabs = vocabs
        self.ids: list[str] = []
        self.dates: list[frozenset[date]] = []
        self.month_days: list[frozenset[tuple[int, int]]] = []
        self.summary: list[str] = []
        self.rows = {f: (array("q", [0]), array("i"), array("f")) for f in SET_FIELDS}

    def _row(self, name: str, counts: dict[int, float]) -> None:
        indptr, indices, data = self.rows[name]
        for col in sorted(counts):
            indices.append(col)
            data.append(counts[col])
        indptr.append(len(indices))

    def add(self, release_id: str, sig: Signals) -> None:
        v = self.vocabs
        self.ids.append(release_id)
        self.dates.append(frozenset(sig.dates))
        self.month_days.append(frozenset(sig.month_days))
        self.summary.append(sig.summary)
        self._row("numbers", dict.fromkeys((v.numbers.id(n) for n in sig.numbers), 1.0))
        self._row("latin", dict.fromkeys((v.latin.id(w) for w in sig.latin), 1.0))
        self._row("concepts", dict.fromkeys((v.concepts.id(c) for c in sig.concepts), 1.0))
        self._row("words", dict.fromkeys((v.words.id(w) for w in sig.words), 1.0))
        self._row("keys", dict.fromkeys((v.keys.id(k) for k in self._date_keys(sig)), 1.0))
        names: dict[int, float] = {}
        if self.lang == "en":
            for name in sig.names:
                n = v.names.id(name)
                names[n] = names.get(n, 0.0) + 1.0
                for sur, given in translit.orders(name):
                    if given:
                        v.name_spellings.setdefault(sur, {}).setdefault(given, set()).add(n)
        else:
            names = dict.fromkeys(self._names_matched(sig.zh_names), 1.0)
        self._row("names", names)

    def _date_keys(self, sig: Signals) -> set[tuple]:
        """English dates and month-days stand for the day before and after too (time zones)."""
        if self.lang != "en":
            return {("d", d) for d in sig.dates} | {("m", md) for md in sig.month_days}
        keys: set[tuple] = {("d", d + timedelta(days=o)) for d in sig.dates for o in (-1, 0, 1)}
        for md in sig.month_days:
            d = md_date(md)
            if d is not None:
                keys |= {("m", (x.month, x.day)) for x in (d - timedelta(days=1), d, d + timedelta(days=1))}
        return keys

    def _names_matched(self, zh_index: dict[str, set[str]]) -> set[int]:
        """Ids of the English names whose (surname, given name) spellings a Chinese candidate reads as."""
        spellings = self.vocabs.name_spellings
        out: set[int] = set()
        for sur, cands in zh_index.items():
            givens = spellings.get(sur)
            if not givens:
                continue
            for cand in cands:
                parts = translit.split_zh(cand)
                if not parts:
                    continue
                forms = translit.given_forms(parts[1])
                for g in forms & givens.keys() if len(forms) < len(givens) else givens.keys() & forms:
                    out |= givens[g]
        return out

    def build(self) -> Side:
        return Side(self.lang, self.ids, self.dates, self.month_days, self.summary, self.rows, self.vocabs)


def canonical(en: Side, zh: Side) -> tuple[Side, Side]:
    """Both sides in an order that depends on their content only, not on the order rows were read.

    A `SideBuilder` numbers releases and vocabulary keys as they come, and that order leaks into
    the results: blocking keeps each release's `top_k` candidates with ties broken by index, and
    the sparse products sum float weights in column order (a different order can change the last
    bit, and with it a tie). So the rows go in release_id order and each vocabulary's columns in the
    sorted order of its keys: the same releases give the same matrices, bit for bit, whether the
    batch was read in one go, resumed after an interruption or extended by an incremental run.
    The sides given are consumed (their rows move to the new ones).
    """
    vocabs = en.vocabs
    assert zh.vocabs is vocabs, "the two sides share their vocabularies"
    remap: dict[str, np.ndarray] = {}
    new = Vocabs()
    for name in SET_FIELDS:
        old: Vocab = getattr(vocabs, name)
        keys = _sorted_keys(old)
        target: Vocab = getattr(new, name)
        perm = np.empty(len(old), dtype=np.int32)
        for col, key in enumerate(keys):
            target[key] = col
            perm[old[key]] = col
        remap[name] = perm
    name_ids = remap["names"]
    new.name_spellings = {
        sur: {given: {int(name_ids[n]) for n in ids} for given, ids in givens.items()}
        for sur, givens in vocabs.name_spellings.items()
    }
    return _reordered(en, new, remap), _reordered(zh, new, remap)


def _sorted_keys(vocab: Vocab) -> list:
    try:
        return sorted(vocab)
    except TypeError:  # keys of mixed types: order by type name, then by their text
        return sorted(vocab, key=lambda k: (type(k).__name__, repr(k)))


def _reordered(side: Side, vocabs: Vocabs, remap: dict[str, np.ndarray]) -> Side:
    """`side` with rows in release_id order and columns renumbered by `remap`. Consumes `side`: each
    field's old rows are dropped once converted, so memory peaks at one field's copy, not two sides."""
    order = sorted(range(len(side.ids)), key=side.ids.__getitem__)
    rows = {}
    for name in SET_FIELDS:
        m = side.matrix(name)
        del side.rows[name]
        m = sparse.csr_matrix((m.data, remap[name][m.indices], m.indptr), shape=m.shape)[order]
        m.sort_indices()
        rows[name] = (
            array("q", m.indptr.astype(np.int64).tobytes()),
            array("i", m.indices.astype(np.int32).tobytes()),
            array("f", m.data.astype(np.float32).tobytes()),
        )
    return Side(
        side.lang,
        [side.ids[k] for k in order],
        [side.dates[k] for k in order],
        [side.month_days[k] for k in order],
        [side.summary[k] for k in order],
        rows,
        vocabs,
    )


_MD_BASE = 2000  # a leap year, for comparing (month, day) pairs


def md_date(md: tuple[int, int]) -> date | None:
    try:
        return date(_MD_BASE, *md)
    except ValueError:
        return None
