"""convert: language, script, HK/TW OpenCC config, and offset maps from text_hans back to clean_text."""

from __future__ import annotations

import opencc
import pytest

from pipeline.release import Release
from pipeline.stages.clean import Clean
from pipeline.stages.convert import Convert, detect_lang, detect_script, pick_config
from pipeline.text.hans import align_offsets, convert_with_offsets

from .conftest import RAW
from .test_readers import EN, ZHS, ZHT_HK, ZHT_TW


def convert(text: str, config: str = "auto") -> Release:
    return Convert(config)(Release(source_path="x.txt", raw_text=text, clean_text=text))


@pytest.mark.parametrize(
    "text, lang, script",
    [
        (EN, "en", "Latn"),
        (ZHS, "zh", "Hans"),
        (ZHT_HK, "zh", "Hant"),
        (ZHT_TW, "zh", "Hant"),
        # an English release that names its Chinese partners: still English
        (
            "HKSH Medical Group (養和醫療集團) signed an MOU with the Cancer Hospital Chinese Academy of Medical Sciences "
            "Shenzhen Hospital (中國醫學科學院腫瘤醫院深圳醫院) on 11 December 2025 "
            "to expand proton therapy in the Greater Bay Area.",
            "en",
            "Latn",
        ),
        # a Chinese release with English names in it: Chinese, Traditional
        (
            "養和醫療集團（HKSH Medical Group）與 Cancer Hospital CAMS Shenzhen 簽署合作備忘錄，雙方將在質子治療方面加強合作。",
            "zh",
            "Hant",
        ),
        ("阿斯利康（AstraZeneca）与上海市第一人民医院签署战略合作协议，推动创新药物 Tagrisso 的真实世界研究。", "zh", "Hans"),
        # a bilingual page, line by line: Chinese carries most of it
        (
            "HKSH Medical Group signed an MOU.\n養和醫療集團與深圳醫院簽署合作備忘錄，雙方將在質子治療及培訓方面合作。\n"
            "The hospitals will cooperate.\n醫院管理局表示歡迎。",
            "zh",
            "Hant",
        ),
        ("中华人民共和国国家卫生健康委员会", "zh", "Hans"),
        ("醫院", "zh", "Hant"),
        ("医院", "zh", "Hans"),
        ("2025", "en", "Latn"),
    ],
)
def test_language_and_script(text, lang, script):
    r = convert(text)
    assert (r.lang, r.script) == (lang, script)
    assert detect_lang(text) == lang
    if lang == "zh":
        assert detect_script(text) == script
        assert r.text_hans is not None and len(r.hans_to_clean) == len(r.text_hans)
    else:
        assert r.text_hans is None and r.hans_to_clean is None


def test_simplified_text_is_its_own_text_hans():
    r = convert(ZHS)
    assert r.text_hans == ZHS and r.hans_to_clean == list(range(len(ZHS))) and r.opencc_config is None


def test_hong_kong_text_uses_hk2s_which_t2s_would_not_match():
    """衞 is the Hong Kong form of 衛: only hk2s turns it into Simplified 卫."""
    r = convert(ZHT_HK)
    assert pick_config(ZHT_HK) == r.opencc_config == "hk2s"
    assert "卫生署" in r.text_hans and "专线" in r.text_hans and "衞" not in r.text_hans
    assert "衞生署" in opencc.OpenCC("t2s").convert(ZHT_HK)  # why the choice matters


def test_taiwan_text_uses_tw2s():
    r = convert(ZHT_TW)
    assert pick_config(ZHT_TW) == r.opencc_config == "tw2s"
    assert r.text_hans.startswith("台北讯 台湾大学医学院附设医院今日与卫生福利部合作")


def test_region_decided_by_the_majority_of_hints():
    assert pick_config("國家衛生健康委員會發布新規，醫療機構須加強質量管理。") == "t2s"
    assert pick_config("香港醫院管理局與臺灣大學醫院合作，九龍及新界醫院參與。") == "hk2s"
    assert pick_config("香港廠商在臺灣、臺北及高雄設廠。") == "tw2s"


def test_forced_config_and_bad_config():
    assert convert(ZHT_HK, "tw2s").opencc_config == "tw2s"
    with pytest.raises(ValueError, match=r"convert\.config"):
        Convert("s2t")


def _converts_to(cc: opencc.OpenCC, text: str, j: int, target: str) -> bool:
    """text[j] becomes `target`, alone or inside a word of up to 4 characters (計畫 -> 计划, but 畫 -> 画)."""
    for width in range(1, 5):
        for a in range(max(0, j - width + 1), j + 1):
            word = text[a : a + width]
            if len(word) == width and cc.convert(word)[j - a] == target:
                return True
    return False


def _assert_round_trip(r: Release) -> None:
    """Every character of text_hans is the conversion of the clean_text character it maps to."""
    cc = opencc.OpenCC(r.opencc_config or "t2s")
    assert len(r.hans_to_clean) == len(r.text_hans) == len(r.clean_text)
    assert r.hans_to_clean == sorted(r.hans_to_clean)
    for i, j in enumerate(r.hans_to_clean):
        assert _converts_to(cc, r.clean_text, j, r.text_hans[i]), (i, r.clean_text[j], r.text_hans[i])


@pytest.mark.parametrize("text", [ZHT_HK, ZHT_TW, ZHS])
def test_offset_map_round_trips(text):
    _assert_round_trip(convert(text))


def test_offset_map_round_trips_on_the_seed_release():
    raw = (RAW / "zht_hksh_shenzhen_mou.txt").read_text(encoding="utf-8")
    r = Convert()(Clean()(Release(source_path="zht_hksh_shenzhen_mou.txt", raw_text=raw)))
    assert r.opencc_config == "hk2s"
    _assert_round_trip(r)
    start = r.text_hans.index("养和医疗集团")
    s, e = r.hans_span_to_clean(start, start + len("养和医疗集团"))
    assert r.clean_text[s:e] == "養和醫療集團"


@pytest.mark.parametrize("config", ["t2s", "hk2s", "tw2s"])
def test_no_config_changes_the_length_of_real_text(config):
    """Over every code point from U+0020 to U+2FFFF (bar surrogates), one for one."""
    text = "".join(chr(c) for c in range(0x20, 0x30000) if not 0xD800 <= c < 0xE000)
    out = opencc.OpenCC(config).convert(text)
    assert len(out) == len(text) > 190_000
    assert sum(a != b for a, b in zip(text, out)) > 2000  # it did convert


def test_opencc_cuts_at_nul_and_the_offset_map_still_holds():
    """hk2s/tw2s stop at a NUL (a JSON "\\u0000" gets one into a release): the text after it must survive."""
    text = "香港2025年12月24日 -- 養和醫療集團與\x00香港大學深圳醫院簽署合作備忘錄，衞生署署長出席。"
    assert len(opencc.OpenCC("hk2s").convert(text)) < len(text)  # OpenCC itself changes the length
    hans, offsets = convert_with_offsets(text, "hk2s")
    assert hans == "香港2025年12月24日 -- 养和医疗集团与\x00香港大学深圳医院签署合作备忘录，卫生署署长出席。"
    r = Release(source_path="x", raw_text=text, clean_text=text, text_hans=hans, hans_to_clean=offsets)
    start = hans.index("卫生署")
    s, e = r.hans_span_to_clean(start, start + 3)
    assert text[s:e] == "衞生署"


@pytest.mark.parametrize(
    "src, dst, hans_span, original",
    [
        # a phrase table that lengthened one word and shortened another
        ("他們在香港簽署備忘錄後前往衞生署開會", "他们在香港特别行政区签署MOU后前往卫生署开会", "卫生署", "衞生署"),
        ("他們在香港簽署備忘錄後前往衞生署開會", "他们在香港特别行政区签署MOU后前往卫生署开会", "签署", "簽署"),
        ("他們在香港簽署備忘錄後前往衞生署開會", "他们在香港特别行政区签署MOU后前往卫生署开会", "香港特别行政区", "香港"),
        ("養和醫療集團（下稱「養和」）表示", "养和医疗集团（下称养和）表示", "养和医疗集团", "養和醫療集團"),
        ("養和醫療集團（下稱「養和」）表示", "养和医疗集团（下称养和）表示", "表示", "表示"),
    ],
)
def test_length_changing_conversion_maps_spans_back(src, dst, hans_span, original):
    """Where the converted text is longer or shorter, the aligned map still finds the original words."""
    t2s = opencc.OpenCC("t2s")
    offsets = align_offsets(src, dst, key="".join(t2s.convert(c) for c in src))
    assert len(offsets) == len(dst) and all(0 <= j < len(src) for j in offsets)
    r = Release(source_path="x", raw_text=src, clean_text=src, text_hans=dst, hans_to_clean=offsets)
    start = dst.index(hans_span)
    s, e = r.hans_span_to_clean(start, start + len(hans_span))
    assert src[s:e] == original


def test_hans_span_to_clean_edges():
    r = convert(ZHT_HK)
    n = len(r.text_hans)
    assert r.hans_span_to_clean(0, n) == (0, len(r.clean_text))
    assert r.hans_span_to_clean(n, n) == (len(r.clean_text), len(r.clean_text))
    assert r.hans_span_to_clean(3, 3) == (3, 3)
    english = convert(EN)
    assert english.hans_span_to_clean(5, 9) == (5, 9)
