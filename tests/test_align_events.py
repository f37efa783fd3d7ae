"""Events: the same parties signing at two dates stay two events; the out-of-fold alignment path
decides exactly as the stage does; docs.jsonl notes give the hard negatives the cv output counts."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from pipeline.align import events, pairs
from pipeline.align.calibrate import batch_rows
from pipeline.cv import aligned_names, hard_negatives
from pipeline.io.tables import Tables
from pipeline.stages.align import Align
from tests.test_align import EN_MOU, ZH_LATER, ZH_MOU, _row

# The English version of ZH_LATER: the same two parties and people, eighteen months later.
EN_LATER = (
    "HKSH Medical Group renews cooperation agreement with Shenzhen hospital\n"
    "HONG KONG, September 18, 2026 - HKSH Medical Group and Shenzhen Qianhai Taikang Hospital today renewed "
    "their cooperation agreement and will jointly open an oncology centre with 80 beds. Walton LI, Chief "
    "Executive Officer of HKSH Medical Group, and WANG Luhua, President of the Shenzhen hospital, attended the "
    "signing ceremony and said the partners will invest HK$50 million over three years."
)
# A Chinese report of the first signing that gives no date at all: it may join the first event
# only, never bridge the two.
ZH_MOU_UNDATED = (
    "养和医疗集团与深圳前海泰康医院合作建立转介网络\n"
    "养和医疗集团与深圳前海泰康医院签署合作备忘录，在大湾区建立设有350张病床的转介网络，"
    "行政总裁李维达与院长王绿化出席，双方将投资1.2亿港元用于培训及远程医疗。"
)


def _two_signings() -> pd.DataFrame:
    return pd.DataFrame(
        [
            _row("en_first", "en", EN_MOU, dateline=date(2025, 3, 3)),
            _row("zh_first", "zh", ZH_MOU),
            _row("zh_first_undated", "zh", ZH_MOU_UNDATED),
            _row("en_later", "en", EN_LATER, dateline=date(2026, 9, 18)),
            _row("zh_later", "zh", ZH_LATER),
        ]
    )


@pytest.fixture(scope="module")
def aligned() -> tuple[Tables, dict[str, str]]:
    rel = _two_signings()
    return Align()(Tables(releases=rel)), dict(zip(rel["release_id"], rel["source_path"]))


def test_the_same_parties_at_two_dates_are_two_events(aligned):
    t, name = aligned
    event = {name[r]: e for r, e in zip(t.releases["release_id"], t.releases["event_id"])}
    assert event["en_first"] == event["zh_first"]
    assert event["en_later"] == event["zh_later"]
    assert event["en_first"] != event["en_later"]
    assert event["zh_first_undated"] != event["en_later"]
    got = {(name[e], name[z]) for e, z in zip(t.alignments["en_release_id"], t.alignments["zh_release_id"])}
    assert {("en_first", "zh_first"), ("en_later", "zh_later")} <= got
    assert not {("en_first", "zh_later"), ("en_later", "zh_first"), ("en_later", "zh_first_undated")} & got


def test_out_of_fold_path_decides_as_the_stage_does(aligned):
    """`calibrate.Batch.decide` on the shipped weights' scores writes the stage's alignments: one rule."""
    t, _ = aligned
    b = batch_rows(Tables(releases=_two_signings()), set())
    got = b.decide(pairs.Weights.load(False).score(b.x))
    assert got == aligned_names(t) and got


def test_a_date_conflict_vetoes_a_pair_and_events_join_transitively():
    en, zh = ["e1", "e2"], ["z1", "z2"]
    cand = np.array([[0, 0], [1, 0], [1, 1]])
    dates_en = [frozenset({date(2025, 3, 3)}), frozenset()]
    dates_zh = [frozenset({date(2025, 3, 4)}), frozenset({date(2026, 9, 18)})]
    lang = {"e1": "en", "e2": "en", "z1": "zh", "z2": "zh"}
    d = events.decide(en, zh, cand, np.array([0.9, 0.8, 0.3]), dates_en, dates_zh, lang, {})
    assert d.event_of["e1"] == d.event_of["e2"] == d.event_of["z1"] != d.event_of["z2"]  # e2 reports z1's event too
    assert [(e, z) for e, z, _ in d.pairs] == [("e1", "z1"), ("e2", "z1")]
    vetoed = events.decide(en, zh, np.array([[0, 1]]), np.array([0.99]), dates_en, dates_zh, lang, {})
    assert not vetoed.pairs and vetoed.event_of["e1"] != vetoed.event_of["z2"]  # full dates 18 months apart


def test_hard_negatives_come_from_the_notes_and_pair_groups():
    docs = [
        {"id": "en_a", "lang": "en", "pair": "P1", "note": "official release"},
        {"id": "zhs_a", "lang": "zh-Hans", "pair": "P1", "note": ""},
        {"id": "en_b", "lang": "en", "pair": "P2", "note": "same hospital, the opening a year later; do NOT align with P1"},
        {"id": "zht_b", "lang": "zh-Hant", "pair": "P2", "note": "mentions the signing (= P1, a different event)"},
        {"id": "zht_c", "lang": "zh-Hant", "pair": None, "note": "HARD NEGATIVE for P1/P2: the same parties meeting"},
        {"id": "en_d", "lang": "en", "pair": None, "note": "P1 is cited here, nothing negative"},
    ]
    assert hard_negatives(docs) == {
        ("en_b", "zhs_a"),
        ("en_a", "zht_b"),
        ("en_a", "zht_c"),
        ("en_b", "zht_c"),
    }


def test_a_pair_that_would_join_two_events_scored_apart_is_dropped():
    """e2 (an undated report of another year's agreement of the same parties) takes z2 as its best
    counterpart, but z2 is in e1's event, whose dated report z1 scored e2 far below the floor."""
    en, zh = ["e1", "e2"], ["z1", "z2"]
    lang = {"e1": "en", "e2": "en", "z1": "zh", "z2": "zh"}
    none = [frozenset(), frozenset()]
    cand = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    d = events.decide(en, zh, cand, np.array([0.95, 0.70, 0.01, 0.66]), none, none, lang, {})
    assert [(e, z) for e, z, _ in d.pairs] == [("e1", "z1"), ("e1", "z2")]
    assert d.event_of["e2"] not in (d.event_of["e1"], d.event_of["z2"])
    # no low score between them: e2 is a second English report of the event, as before
    d = events.decide(en, zh, cand, np.array([0.95, 0.70, 0.30, 0.66]), none, none, lang, {})
    assert [(e, z) for e, z, _ in d.pairs] == [("e1", "z1"), ("e1", "z2"), ("e2", "z1"), ("e2", "z2")]
    # the same decision whatever order the candidates come in
    order = np.array([3, 1, 0, 2])
    d2 = events.decide(en, zh, cand[order], np.array([0.95, 0.70, 0.01, 0.66])[order], none, none, lang, {})
    assert [(e, z) for e, z, _ in d2.pairs] == [("e1", "z1"), ("e1", "z2")]
