"""The align stage on small hand-built batches: copies, pairs, hard negatives, entity links."""

from __future__ import annotations

import hashlib
from datetime import date

import opencc
import pandas as pd
import pytest

from pipeline.align import dedupe, translit
from pipeline.align.link import Ent, link_entities, pair_score
from pipeline.io.tables import Tables
from pipeline.stages.align import Align

S2HK = opencc.OpenCC("s2hk")

EN_MOU = (
    "HKSH Medical Group signs MOU with Shenzhen hospital to expand cross-boundary care\n"
    "HONG KONG, March 3, 2025 - HKSH Medical Group today signed a Memorandum of Understanding with "
    "Shenzhen Qianhai Taikang Hospital to set up a referral network of 350 beds across the Greater Bay Area. "
    "Walton LI, Chief Executive Officer of HKSH Medical Group, and WANG Luhua, President of the Shenzhen hospital, "
    "signed the agreement. The partners will invest HK$120 million over five years in training and telemedicine."
)
ZH_MOU = (
    "养和医疗集团与深圳前海泰康医院签署合作备忘录\n"
    "2025年3月4日，养和医疗集团今日与深圳前海泰康医院签署合作备忘录，在粤港澳大湾区建立设有350张病床的转介网络。"
    "养和医疗集团行政总裁李维达与深圳医院院长王绿化签署协议。双方将于五年内投资1.2亿港元，用于培训及远程医疗。"
)
# A later agreement between the same two parties: same names, same kind of text, another event.
ZH_LATER = (
    "养和医疗集团与深圳前海泰康医院续签合作协议\n"
    "2026年9月18日，养和医疗集团与深圳前海泰康医院续签合作协议，双方将合作开设肿瘤中心，提供80张病床。"
    "养和医疗集团行政总裁李维达与深圳医院院长王绿化出席签约仪式，并表示将于三年内投资5000万港元。"
)
# A news report of another event, in Chinese, whose English version is a press release.
EN_LAB = (
    "PolyU and Peking University Third Hospital establish joint laboratory\n"
    "HONG KONG SAR - 23 April 2025 - The Hong Kong Polytechnic University (PolyU) and Peking University Third "
    "Hospital (PUTH) have established the Medicine-Engineering Collaborative Innovation Research Laboratory. "
    "The unveiling ceremony took place on 17 April in Beijing, attended by Professor Jin Qiang and Professor Qiao Jie."
)
ZH_LAB_NEWS = (
    "本报讯 记者从香港理工大学获悉，理大与北京大学第三医院4月17日在北京为“医工创新联合实验室”揭牌。"
    "北京大学第三医院院长乔杰教授与理大常务副校长金强教授出席仪式，双方将在智能医疗领域合作。"
)
EN_OTHER = (
    "Hospital Authority launches community training project\n"
    "The Hospital Authority (HA) today (January 13, 2026) signed a Memorandum of Understanding with the National "
    "Health Commission to train 600 community doctors in Guangxi and Yunnan."
)


def _row(source: str, lang: str, text: str, hans: str | None = None, dateline: date | None = None) -> dict:
    return {
        "release_id": hashlib.sha1(text.encode()).hexdigest()[:16],
        "source_path": source,
        "lang": lang,
        "script": "Latn" if lang == "en" else "Hans",
        "title": text.split("\n", 1)[0],
        "dateline_place": None,
        "dateline_date": dateline,
        "clean_text": text,
        "text_hans": (hans or text) if lang == "zh" else None,
        "duplicate_of": None,
        "pipeline_version": "test",
    }


def _spam_copy(text: str) -> str:
    """Injected characters every few characters, pinyin glosses, a line of site chrome."""
    out = []
    for i, ch in enumerate(text):
        out.append(ch)
        if i % 7 == 3:
            out.append("的")
        if i % 11 == 5 and "\u4e00" <= ch <= "\u9fff":
            out.append("(yī)")
    return "首页 > 新闻 > 健康\n" + "".join(out) + "\n扫码关注 获取更多资讯"


def hand_written_rows() -> list[dict]:
    """The batch's releases: one event in three Chinese copies and English, another pair, a stray."""
    trad = S2HK.convert(ZH_MOU)
    return [
        _row("en_mou", "en", EN_MOU, dateline=date(2025, 3, 3)),
        _row("zh_mou", "zh", ZH_MOU),
        _row("zh_mou_trad", "zh", trad + "\n轉載自養和網站", hans=ZH_MOU + "\n转载自养和网站"),
        _row("zh_mou_spam", "zh", _spam_copy(ZH_MOU)),
        _row("zh_later", "zh", ZH_LATER),
        _row("en_lab", "en", EN_LAB),
        _row("zh_lab_news", "zh", ZH_LAB_NEWS),
        _row("en_other", "en", EN_OTHER),
    ]


@pytest.fixture(scope="module")
def batch() -> tuple[Tables, dict[str, str]]:
    rel = pd.DataFrame(hand_written_rows())
    ids = dict(zip(rel["source_path"], rel["release_id"]))
    out = Align()(Tables(releases=rel))
    return out, ids


def _pairs(t: Tables, ids: dict[str, str]) -> set[tuple[str, str]]:
    name = {v: k for k, v in ids.items()}
    return {(name[a], name[b]) for a, b in zip(t.alignments["en_release_id"], t.alignments["zh_release_id"])}


def test_noisy_copies_fold_into_the_clean_release(batch):
    t, ids = batch
    dup = dict(zip(t.releases["source_path"], t.releases["duplicate_of"]))
    assert dup["zh_mou_spam"] == ids["zh_mou"]  # the spam copy is not canonical
    assert dup["zh_mou_trad"] == ids["zh_mou"]  # Traditional copy: compared on text_hans
    assert pd.isna(dup["zh_mou"]) and pd.isna(dup["zh_later"])  # a later event is not a copy


def test_pairs_across_a_one_day_date_difference_and_copies_inherit(batch):
    t, ids = batch
    got = _pairs(t, ids)
    assert {("en_mou", "zh_mou"), ("en_mou", "zh_mou_trad"), ("en_mou", "zh_mou_spam")} <= got
    assert (t.alignments["score"] >= 0.5).all()


def test_later_agreement_between_the_same_parties_is_not_paired(batch):
    t, ids = batch
    assert not any(z == "zh_later" for _, z in _pairs(t, ids))


def test_news_report_pairs_with_the_release_in_the_other_language(batch):
    t, ids = batch
    got = _pairs(t, ids)
    assert ("en_lab", "zh_lab_news") in got
    assert not any(e == "en_other" for e, _ in got)


def test_alignment_runs_without_entities(batch):
    t, _ = batch
    assert t.entities.empty and t.entity_links.empty and not t.alignments.empty


def test_entity_links_within_a_pair():
    en = [
        Ent("e1", "ORG", "HKSH Medical Group", "HKSH Medical Group", ["HKSH"], EN_MOU.index("HKSH Medical Group today")),
        Ent("e2", "PERSON", "Walton LI", "Walton LI", [], EN_MOU.index("Walton LI")),
        Ent("e3", "PERSON", "WANG Luhua", "WANG Luhua", [], EN_MOU.index("WANG Luhua")),
        Ent(
            "e4",
            "ORG",
            "Shenzhen Qianhai Taikang Hospital",
            "Shenzhen Qianhai Taikang Hospital",
            [],
            EN_MOU.index("Shenzhen Qianhai"),
        ),
    ]
    zh = [
        Ent("z1", "PERSON", "王绿化", "王绿化", [], ZH_MOU.index("王绿化")),
        Ent("z2", "PERSON", "李维达", "李维达", [], ZH_MOU.index("李维达")),
        Ent("z3", "ORG", "深圳前海泰康医院", "深圳前海泰康医院", [], ZH_MOU.index("深圳前海")),
        Ent("z4", "ORG", "养和医疗集团", "养和医疗集团", ["养和"], ZH_MOU.index("养和医疗集团")),
    ]
    links = {(x.en_text, x.zh_text) for x in link_entities(en, zh, EN_MOU, ZH_MOU)}
    assert links == {
        ("HKSH Medical Group", "养和医疗集团"),
        ("Walton LI", "李维达"),
        ("WANG Luhua", "王绿化"),
        ("Shenzhen Qianhai Taikang Hospital", "深圳前海泰康医院"),
    }


def test_stage_fills_entity_links_from_the_entities_table():
    rel = pd.DataFrame([_row("en_mou", "en", EN_MOU, dateline=date(2025, 3, 3)), _row("zh_mou", "zh", ZH_MOU)])
    en_id, zh_id = rel["release_id"]
    ents = pd.DataFrame(
        [
            {
                "release_id": en_id,
                "entity_id": "T1",
                "label": "PERSON",
                "text": "Walton LI",
                "text_norm": "Walton LI",
                "mentions": [[EN_MOU.index("Walton LI"), EN_MOU.index("Walton LI") + 9]],
                "aliases": [],
                "source": "test",
                "score": 1.0,
            },
            {
                "release_id": zh_id,
                "entity_id": "T1",
                "label": "PERSON",
                "text": "李维达",
                "text_norm": "李维达",
                "mentions": [[ZH_MOU.index("李维达"), ZH_MOU.index("李维达") + 3]],
                "aliases": [],
                "source": "test",
                "score": 1.0,
            },
        ]
    )
    out = Align()(Tables(releases=rel, entities=ents))
    assert list(zip(out.entity_links["en_text"], out.entity_links["zh_text"])) == [("Walton LI", "李维达")]


@pytest.mark.parametrize(
    ("en", "zh", "low", "high"),
    [
        ("WANG Luhua", "王绿化", 1.0, 1.0),  # surname first, capitals mark it
        ("Professor Lo Chung-mau", "盧寵茂", 1.0, 1.0),  # Traditional script, Hong Kong Cantonese spelling
        ("Cheung Wai-man", "张慧敏", 1.0, 1.0),
        ("Jinyi Lang", "郎锦义", 1.0, 1.0),  # surname last
        ("Walton LI", "李维达", 0.5, 0.5),  # English given name: only the surname matches
        ("Walton LI", "王绿化", 0.0, 0.0),
        ("Lu Wanqing", "卢哲", 0.0, 0.3),  # a romanised given name that differs counts against
        ("Lo Chung-mau", "李家超", 0.0, 0.0),
        ("Anthony T.C. Chan", "陳德章", 1.0, 1.0),  # given name as initials (Tak-cheung), English name before
        ("Y. K. Pao", "包玉剛", 1.0, 1.0),
        ("Anthony T.C. Chan", "陈大文", 0.0, 0.3),  # initials that are not this given name's count against
    ],
)
def test_name_transliteration(en, zh, low, high):
    assert low <= translit.name_score(en, zh) <= high


def test_initials_before_a_surname_are_name_candidates_and_other_initials_are_not():
    text = "Prof. Anthony T.C. Chan of the Sir Y. K. Pao Centre met U.S. Food and Drug Administration staff."
    got = translit.en_name_candidates(text)
    assert {"T.C. Chan", "Y.K. Pao"} <= set(got)
    assert not any(c.startswith("U.S.") for c in got)


def test_org_names_that_share_no_words_link_through_the_term_table_only():
    hksh = Ent("a", "ORG", "HKSH Medical Group", "HKSH Medical Group")
    assert pair_score(hksh, Ent("b", "ORG", "養和醫療集團", "養和醫療集團")) == 1.0
    assert pair_score(hksh, Ent("c", "ORG", "香港科技大学", "香港科技大学")) < 0.3


def test_copy_detection_ignores_script_and_rejects_rewrites():
    a = dedupe.normalise(ZH_MOU, "zh")
    b = dedupe.normalise(_spam_copy(ZH_MOU), "zh")
    c = dedupe.normalise(ZH_LATER, "zh")
    got = dedupe.find_copies(["a", "b", "c"], [a, b, c], "zh")
    assert [(x.release_id, x.canonical) for x in got] == [("b", "a")]


def _aligned_folder(t: Tables, folder) -> tuple[object, dict[str, bytes]]:
    """The batch's releases written to `folder`, the align stage run on the folder (not yet
    committed), and the bytes of every file before it ran."""
    from pipeline.io.tables import TableFolder

    Tables(releases=t.releases.assign(duplicate_of=None)).write(folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    corpus = TableFolder(folder)
    Align()(corpus)
    return corpus, before


def test_stage_on_the_output_folder_matches_the_in_memory_run(batch, tmp_path):
    """`run` hands the stage the folder (read in batches, nothing loaded whole): same tables."""
    t, _ = batch
    corpus, before = _aligned_folder(t, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.parquet")} == before  # nothing moved in yet
    corpus.commit()
    got = Tables.read(tmp_path)
    assert dict(zip(got.releases["release_id"], got.releases["duplicate_of"])) == dict(
        zip(t.releases["release_id"], t.releases["duplicate_of"])
    )
    key = ["en_release_id", "zh_release_id"]
    assert got.alignments.sort_values(key).values.tolist() == t.alignments.sort_values(key).values.tolist()
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


def test_an_aborted_corpus_update_leaves_the_folder_as_it_was(batch, tmp_path):
    t, _ = batch
    corpus, before = _aligned_folder(t, tmp_path)
    corpus.abort()
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_compact_name_matches_agree_with_the_pairwise_check():
    """The Chinese side keeps only which English names it can be read as; that must be exactly
    what `names_found` finds pair by pair (surname first or last, Cantonese spellings, misses)."""
    from pipeline.align import pairs, signals
    from pipeline.align.sides import SideBuilder, Vocabs

    en_names = [
        ["Walton LI", "WANG Luhua"],
        ["Chan Tai-man"],
        ["Zhang Wei", "Lee Ka-kit"],
        ["Nobody Here"],
        ["T.M. Chan", "K.K. Lee"],
    ]
    zh_texts = [ZH_MOU, "陈大文医生与李家杰先生出席。", "张伟主任表示欢迎。", "没有人名的一段文字。"]
    vocabs = Vocabs()
    en, zh = SideBuilder("en", vocabs), SideBuilder("zh", vocabs)
    for k, names in enumerate(en_names):
        en.add(f"e{k}", signals.Signals(names=list(names)))
    for k, text in enumerate(zh_texts):
        zh.add(f"z{k}", signals.Signals(zh_names=signals.zh_name_index(text)))
    en_side, zh_side = en.build(), zh.build()
    cand = [(i, j) for i in range(len(en_names)) for j in range(len(zh_texts))]
    got = pairs.features(en_side, zh_side, cand)[:, pairs.FEATURES.index("names")] > 0
    want = [bool(signals.names_found(en_names[i], signals.zh_name_index(zh_texts[j]))) for i, j in cand]
    assert got.tolist() == want
    assert sum(want) >= 3  # the example has real matches, not only misses


def test_prepare_loads_what_the_first_call_would():
    """The runner calls `prepare` while the workers run, so the stage's own time has no model loading."""
    import sys

    from pipeline.align import encoder

    encoder._model.cache_clear()
    Align(encoder=False, link_sentences=False).prepare()
    assert encoder._model.cache_info().currsize == 0
    Align().prepare()
    assert encoder._model.cache_info().currsize == 1 and "ToJyutping" in sys.modules


def test_the_aligner_defaults_are_the_stage_settings():
    """Tools build an `Aligner` without the stage: with no settings given it is the stage's."""
    from pipeline.align.aligner import Aligner

    assert Aligner().settings() == Align.defaults() == Align().aligner.settings()
