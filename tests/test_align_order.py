"""The align stage is a function of the batch's content, not of its row order (issue 13, item 7).

A run resumed after an interruption, or an incremental one, reads the same releases in another
order (the carried-over rows first, the new ones after): it must write the same copies, pairs and
entity links, in the same row order. The batch: the sample releases of data/raw through the real
release stages (so with their entities), identical copies of both sides of the HKSH pair under other
file names (exact ties: same text, different release_ids), two copies of one English release that
differ by one character each and have no original (a tie on every measure but the name), and the
hand-built batch of test_align (a spam copy, a Traditional copy, a later event, a news report).
"""

from __future__ import annotations

import copy
from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipeline.io.readers import discover, read_file
from pipeline.io.tables import Tables, release_rows
from pipeline.stages.align import Align
from tests.conftest import RAW
from tests.test_align import EN_MOU, ZH_MOU, _row, _spam_copy, hand_written_rows

SEEDS = (0, 1, 2, 3)


def _copy(release, source_path: str, edit=None):
    """The release as read from another file (the runner salts the id of a text already written)."""
    out = copy.deepcopy(release)
    out.source_path = source_path
    out.id_salt = source_path
    if edit is not None:
        out.clean_text = edit(out.clean_text)
        out.id_salt = None
    return out


def _swap(text: str, at: float) -> str:
    """One letter of the text replaced (at the share `at` of its length): a copy that is not the original."""
    k = int(len(text) * at)
    while not text[k].isalpha():
        k += 1
    return text[:k] + ("x" if text[k] != "x" else "y") + text[k + 1 :]


@pytest.fixture(scope="module")
def batch(pipeline) -> Tables:
    files, _ = discover([RAW])
    done = {f.rel: pipeline.process(r) for f in files for r in read_file(f)}
    en, zh = done["en_hksh_shenzhen_mou.txt"], done["zht_hksh_shenzhen_mou.txt"]
    kiang_wu = done.pop("en_concord_kiang_wu_agreement.txt")
    releases = [
        *done.values(),
        _copy(zh, "mirror/a/zht_hksh_shenzhen_mou.txt"),
        _copy(zh, "mirror/b/zht_hksh_shenzhen_mou.txt"),
        _copy(en, "mirror/a/en_hksh_shenzhen_mou.txt"),
        _copy(kiang_wu, "kiang_wu_copy_1.txt", lambda t: _swap(t, 0.3)),
        _copy(kiang_wu, "kiang_wu_copy_2.txt", lambda t: _swap(t, 0.6)),
    ]
    t = release_rows(releases, "test")
    hand = hand_written_rows()
    t.releases = pd.concat([t.releases, pd.DataFrame(hand)], ignore_index=True)
    assert t.releases["release_id"].is_unique
    return t


def _align(t: Tables, release_order: np.ndarray, entity_order: np.ndarray) -> Tables:
    rel = t.releases.iloc[release_order].reset_index(drop=True)
    ents = t.entities.iloc[entity_order].reset_index(drop=True)
    return Align()(Tables(releases=rel, entities=ents))


def _copies(t: Tables) -> dict[str, str | None]:
    return {r: (None if pd.isna(d) else d) for r, d in zip(t.releases["release_id"], t.releases["duplicate_of"])}


def _records(df: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in df.reset_index(drop=True).itertuples(index=False)]


@pytest.fixture(scope="module")
def runs(batch) -> dict[str, Tables]:
    n, m = len(batch.releases), len(batch.entities)
    orders = {"as read": (np.arange(n), np.arange(m)), "reversed": (np.arange(n)[::-1], np.arange(m)[::-1])}
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        orders[f"shuffled {seed}"] = (rng.permutation(n), rng.permutation(m))
    # a resumed run: the second half of the files was written first, then the first half
    orders["resumed"] = (np.r_[np.arange(n // 2, n), np.arange(n // 2)], np.r_[np.arange(m // 2, m), np.arange(m // 2)])
    return {name: _align(batch, *order) for name, order in orders.items()}


def test_the_batch_has_the_ties_it_is_meant_to(batch, runs):
    t = runs["as read"]
    path = dict(zip(t.releases["release_id"], t.releases["source_path"]))
    by_path = {p: r for r, p in path.items()}
    dup = {path[r]: (path[d] if d else None) for r, d in _copies(t).items()}
    # three identical copies (an exact tie): the smallest source path is canonical
    zh_canonical = "mirror/a/zht_hksh_shenzhen_mou.txt"
    assert dup[zh_canonical] is None
    assert dup["mirror/b/zht_hksh_shenzhen_mou.txt"] == dup["zht_hksh_shenzhen_mou.txt"] == zh_canonical
    assert dup["en_hksh_shenzhen_mou.txt"] is None and dup["mirror/a/en_hksh_shenzhen_mou.txt"] == "en_hksh_shenzhen_mou.txt"
    # two copies that differ by one letter each: a tie on noise, length and date
    assert dup["kiang_wu_copy_2.txt"] == "kiang_wu_copy_1.txt" and dup["kiang_wu_copy_1.txt"] is None
    assert dup["zh_mou_spam"] == "zh_mou" and dup["zh_mou_trad"] == "zh_mou"  # the clean copy wins
    pairs = set(zip(t.alignments["en_release_id"], t.alignments["zh_release_id"]))
    en_ids = [by_path[p] for p in ("en_hksh_shenzhen_mou.txt", "mirror/a/en_hksh_shenzhen_mou.txt")]
    zh_ids = [
        by_path[p]
        for p in ("zht_hksh_shenzhen_mou.txt", "mirror/a/zht_hksh_shenzhen_mou.txt", "mirror/b/zht_hksh_shenzhen_mou.txt")
    ]
    assert (en_ids[0], zh_ids[1]) in pairs  # canonical with canonical
    assert {(en_ids[1], zh_ids[1]), (en_ids[0], zh_ids[0]), (en_ids[0], zh_ids[2])} <= pairs  # copies inherit
    assert (by_path["en_mou"], by_path["zh_mou"]) in pairs
    assert len(t.entity_links) and set(zip(t.entity_links["en_release_id"], t.entity_links["zh_release_id"])) <= pairs


@pytest.mark.parametrize("name", ["reversed", *(f"shuffled {s}" for s in SEEDS), "resumed"])
def test_row_order_does_not_change_what_align_writes(runs, name):
    want, got = runs["as read"], runs[name]
    assert _copies(got) == _copies(want)
    for table in ("alignments", "entity_links"):
        a, b = getattr(want, table), getattr(got, table)
        assert list(a.columns) == list(b.columns)
        assert set(_records(b)) == set(_records(a)), table  # the same rows
        assert _records(b) == _records(a), table  # in the same order


def test_output_rows_are_sorted_by_their_key(runs):
    t = runs["as read"]
    key = ["en_release_id", "zh_release_id"]
    assert _records(t.alignments) == _records(t.alignments.sort_values(key))
    assert not t.alignments.duplicated(key).any()
    key = ["en_release_id", "zh_release_id", "en_entity_id", "zh_entity_id"]
    assert _records(t.entity_links) == _records(t.entity_links.sort_values(key))


def test_pair_ties_go_to_the_smallest_index_whatever_the_order_of_the_scores():
    from pipeline.align import pairs

    scores = {(0, 1): 0.8, (0, 0): 0.8, (1, 0): 0.8, (2, 2): 0.6, (2, 1): 0.6}
    want = pairs.choose(scores, 0.5)
    # each release's best: en 0 -> zh 0 (over zh 1), en 2 -> zh 1 (over zh 2), zh 0 -> en 0 (over en 1)
    assert list(want) == [(0, 0), (0, 1), (1, 0), (2, 1), (2, 2)]
    rng = np.random.default_rng(0)
    for _ in range(10):
        items = list(scores.items())
        shuffled = dict(items[k] for k in rng.permutation(len(items)))
        assert list(pairs.choose(shuffled, 0.5).items()) == list(want.items())
        assert pairs.choose(shuffled, 0.5, mutual=True) == pairs.choose(scores, 0.5, mutual=True)


def test_the_signals_are_the_same_bit_for_bit_in_any_row_order(batch):
    """Row and column numbers in release_id and key order: blocking ties (`top_k`) and float sums
    come out the same. With top_k=1 most releases have tied candidates."""
    from pipeline.align import pairs
    from pipeline.align.aligner import Aligner, Entities
    from pipeline.align.sides import SET_FIELDS

    def signals(order: np.ndarray):
        t = Tables(releases=batch.releases.iloc[order].reset_index(drop=True), entities=batch.entities)
        aligner = Aligner()
        ents = Entities.read(t)
        en, zh = aligner.sides(t, aligner.fold_copies(t), ents)
        return en, zh, pairs.block(en, zh, top_k=1)

    n = len(batch.releases)
    want_en, want_zh, want_cand = signals(np.arange(n))
    for order in (np.arange(n)[::-1], np.random.default_rng(7).permutation(n)):
        en, zh, cand = signals(order)
        assert cand.tolist() == want_cand.tolist()
        for got, want in ((en, want_en), (zh, want_zh)):
            assert got.ids == want.ids == sorted(want.ids)
            assert got.summary == want.summary and got.dates == want.dates
            for f in SET_FIELDS:
                a, b = got.matrix(f), want.matrix(f)
                assert a.shape == b.shape and (a != b).nnz == 0, f
                assert list(getattr(got.vocabs, f)) == list(getattr(want.vocabs, f)), f


def test_the_canonical_copy_rule():
    """Least noise, then earliest dateline, then longest, then smallest source path, then id."""
    from pipeline.align import dedupe

    text = dedupe.normalise(ZH_MOU, "zh")
    spam = dedupe.normalise(_spam_copy(ZH_MOU), "zh")

    def canonical(rows: list[tuple]) -> dict[str, str]:
        ids, texts, dates, names = zip(*rows)
        got = {}
        for order in (list(range(len(rows))), list(range(len(rows)))[::-1]):
            pick = lambda xs, order=order: [xs[k] for k in order]
            found = dedupe.find_copies(pick(ids), pick(texts), "zh", dates=pick(dates), names=pick(names))
            got[str(order)] = {c.release_id: c.canonical for c in found}
        assert len({str(v) for v in got.values()}) == 1  # the same whatever the order of the rows
        return next(iter(got.values()))

    march3, march4 = date(2025, 3, 3), date(2025, 3, 4)
    # the clean copy beats an older spam copy
    assert canonical([("s", spam, march3, "a"), ("o", text, march4, "z")]) == {"s": "o"}
    # equally clean: the earlier dateline, then a dated copy over an undated one
    assert canonical([("b", text, march4, "a"), ("a", text, march3, "z"), ("c", text, None, "0")]) == {"b": "a", "c": "a"}
    # identical and undated: the smallest source path, then the smallest id
    assert canonical([("b", text, None, "x/1.txt"), ("a", text, None, "x/2.txt"), ("c", text, None, "x/1.txt")]) == {
        "a": "b",
        "c": "b",
    }


def test_a_release_id_on_two_rows_is_read_from_the_same_row_in_any_order():
    rows = [_row("en_mou", "en", EN_MOU, dateline=date(2025, 3, 3)), _row("zh_mou", "zh", ZH_MOU)]
    twin = dict(rows[1], source_path="another/zh_mou", clean_text=ZH_MOU + "\n转载", text_hans=ZH_MOU + "\n转载")
    rel = pd.DataFrame([*rows, twin])
    assert not rel["release_id"].is_unique
    from pipeline.align.aligner import repeated_ids

    chosen = [repeated_ids(Tables(releases=rel.iloc[order])) for order in ([0, 1, 2], [2, 0, 1])]
    assert chosen == [{rows[1]["release_id"]: 2}, {rows[1]["release_id"]: 0}]  # the row of "another/zh_mou"
    got = [Align(encoder=False, link_sentences=False)(Tables(releases=rel.iloc[order])) for order in ([0, 1, 2], [2, 1, 0])]
    assert _records(got[0].alignments) == _records(got[1].alignments) and len(got[0].alignments) == 1
