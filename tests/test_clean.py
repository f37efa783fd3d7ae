"""The clean stage on each kind of noise, with inputs nastier than the samples."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.registry import PipelineConfig
from pipeline.release import Release
from pipeline.stages.clean import Clean, find_dateline, strip_pinyin_glosses

from .conftest import RAW


def clean(text: str, title: str | None = None) -> Release:
    return Clean()(Release(source_path="x.txt", raw_text=text, title=title))


BODY = "HKSH Medical Group signed a memorandum of understanding with Shenzhen Cancer Hospital on 11 December 2025."


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("養(yǎng)和醫(yī)療集團", "養和醫療集團"),
        ("中國醫(yī)學科學院", "中國醫學科學院"),
        ("學(xue)(xue)校", "學校"),
        ("四川遂宁市中心医院(zhōngxīnyīyuàn)与", "四川遂宁市中心医院与"),
        ("合作(hézuò)发展(fāzhǎn)", "合作发展"),
        ("养和（yǎng）医院", "养和医院"),
        ("杨伟(yáng wěi)国出席", "杨伟国出席"),
        ("医院(in english)", "医院(in english)"),
        ("默沙東(MSD)和國藥集團", "默沙東(MSD)和國藥集團"),  # an abbreviation, not a gloss
        ("香港大學(HKU)", "香港大學(HKU)"),
        ("in English (see below)", "in English (see below)"),
        ("病毒(virus)", "病毒(virus)"),  # a lowercase English gloss that is not pinyin stays
    ],
)
def test_pinyin_glosses(raw, expected):
    assert strip_pinyin_glosses(raw) == expected


@pytest.mark.parametrize(
    "noise",
    [
        "omniture",
        "微信圖片_20250527143328.jpg",
        "IMG_2024 0312.JPG photo-1.png",
        "Photo: Sinopharm",
        "图片来源：新华社",
        "SOURCE HKSH Medical Group",
        "Related Links",
        "Copyright © 2019 Hainan Cancer Hospital All Rights Reserved.",
        "版权所有 © 人民网",
        "责任编辑:wb001",
        "Skip to Content Facebook Feature Image",
        "Home > News > Details",
        "Subscribe to our newsletter to get the latest updates in your inbox",
        "READ MORE: Hospital Authority opens new wing",
        "See also: Sembcorp signs JV agreement with BPCL",
        "扫描二维码关注我们",
        '{"id": 42, "type": "ad", "html": "<div>buy</div>"}',
        "亚洲精品无码aⅴ中文字幕蜜桃,欧美日韩一区二区精品视频在线观看,国产精品日韩欧美一区二区三区",
        "澳门新葡京娱乐城 - 百家乐 - 真人开户",
        "******************************",
        "• Clinical Services",
    ],
)
def test_noise_lines_are_removed_and_body_kept(noise):
    r = clean(f"{noise}\n{BODY}\n{noise}\nThe two parties will train specialists together.")
    assert noise not in r.clean_text
    assert BODY in r.clean_text
    assert "The two parties will train specialists together." in r.clean_text


def test_an_editor_credit_that_names_people_is_kept_as_a_byline_without_its_time_stamp():
    r = clean(f"{BODY}\n(责编:徐祥丽、刘慧)\n責任編輯:蔣璐 2024-04-26 16:36:01 來源:香港商報網\n责任编辑:wb001")
    lines = r.clean_text.splitlines()
    assert "(责编:徐祥丽、刘慧)" in lines and "責任編輯:蔣璐" in lines
    assert "wb001" not in r.clean_text and "16:36:01" not in r.clean_text and "來源" not in r.clean_text


def test_caption_printed_twice_is_kept_once():
    caption = "Dr. Walton LI (right) and Professor WANG Luhua (left) signed the MOU."
    r = clean(f"{BODY}\n{caption}\n{caption}\n\n{caption}\nEnd of the release text here.")
    assert r.clean_text.count(caption) == 1


def test_raw_html_is_stripped():
    r = clean(f"<p>{BODY}</p><br/><div class='ad'>Hospital &amp; Clinic</div>")
    assert "<p>" not in r.clean_text and "Hospital & Clinic" in r.clean_text and BODY in r.clean_text


def test_inline_image_name_removed_but_sentence_kept():
    r = clean(f"{BODY} banner_2025-12-24.jpg The ceremony was held in Hong Kong.")
    assert ".jpg" not in r.clean_text
    assert "The ceremony was held in Hong Kong." in r.clean_text


def test_gambling_suffix_removed_from_title():
    r = clean(BODY, title="HKSH signs MOU with Shenzhen Cancer Hospital_澳门新葡京娱乐城")
    assert r.title == "HKSH signs MOU with Shenzhen Cancer Hospital"


def test_headline_fused_with_body_is_split_and_repeats_dropped():
    title = "四川遂宁中心医院牵手意大利萨莱诺大学附属医院 四大领域开展全面合作"
    body = "6月9日上午,四川遂宁市中心医院与意大利萨莱诺大学附属医院签订合作协议。"
    r = clean(f"{title}\n{title}\n{title}{body}\n后续内容在这里继续展开说明。")
    assert r.title == title
    assert r.clean_text.count(title) == 1
    assert body in r.clean_text


@pytest.mark.parametrize(
    "text, place, when",
    [
        ("HONG KONG, Dec. 24, 2025 /PRNewswire/ -- HKSH Medical Group", "HONG KONG", date(2025, 12, 24)),
        ("BEIJING, Aug. 31, 2020 /PRNewswire/ -- Concord Medical", "BEIJING", date(2020, 8, 31)),
        ("香港2025年12月24日 /美通社/ -- 為配合國家", "香港", date(2025, 12, 24)),
        (
            "HONG KONG SAR - Media OutReach Newswire - 23 April 2025 - The Hong Kong Polytechnic",
            "HONG KONG SAR",
            date(2025, 4, 23),
        ),
        ("(11 March 2025, Hong Kong) HKSH Medical Group (HKSH) and", "Hong Kong", date(2025, 3, 11)),
        ("(12 June 2023 - Hong Kong) – Hong Kong Science and Technology Parks", "Hong Kong", date(2023, 6, 12)),
        ("人民网香港12月18日电(记者陈然)第18届", "香港", None),
        ("SHANGHAI, March 3, 2024 /PRNewswire/ -- A", "SHANGHAI", date(2024, 3, 3)),
    ],
)
def test_datelines(text, place, when):
    got_place, got_date, _ = find_dateline(text)
    assert got_place == place
    assert got_date == when


def test_seed_traditional_release_loses_glosses():
    raw = (RAW / "zht_hksh_shenzhen_mou.txt").read_text("utf-8")
    r = clean(raw)
    assert "養和醫療集團" in r.clean_text
    assert "(yǎng)" not in r.clean_text and "omniture" not in r.clean_text
    assert r.dateline_place == "香港" and r.dateline_date == date(2025, 12, 24)
    assert r.title.startswith("養和醫療集團與中國醫學科學院腫瘤醫院深圳醫院")


def test_seed_english_release_dateline_and_footer():
    raw = (RAW / "en_concord_kiang_wu_agreement.txt").read_text("utf-8")
    r = clean(raw)
    assert r.dateline_place == "BEIJING" and r.dateline_date == date(2020, 8, 31)
    assert "SOURCE Concord Medical" not in r.clean_text
    assert "Macao Kiang Wu" in r.clean_text


def test_config_settings_reach_the_stage():
    cfg = PipelineConfig.load()
    assert cfg.stages[:2] == ["clean", "convert"]


# --- scraper metadata ----------------------------------------------------------------------


DATELINED = "HONG KONG, Dec. 24, 2025 /PRNewswire/ -- " + BODY


@pytest.mark.parametrize(
    "meta",
    [
        " date 2025-13-25 ",  # no 13th month
        " date 2025-02-30 ",  # no 30 February
        " date 2023-02-29 ",  # not a leap year
        " date 0000-01-01 ",  # no year 0
        " date 9999-12-31 ",  # a placeholder, not a release date
        " date 1066-10-14 ",
        " date 99999-01-01 ",
        " date 2025-00-10 ",
        " date 2025-12-00 ",
        " date 24/12/2025 ",  # day first: not the scraper's order, not guessed
        " date 2025-12-245 ",
    ],
)
def test_bad_metadata_date_is_ignored_and_the_release_kept(meta):
    r = clean(meta + DATELINED)  # the dateline still dates it
    assert r.clean_text.startswith("HONG KONG, Dec. 24, 2025") and "date" not in r.clean_text[:10]
    assert r.dateline_date == date(2025, 12, 24)
    r = clean(meta + BODY)  # nothing else to date it by
    assert r.clean_text == BODY and r.dateline_date is None


@pytest.mark.parametrize(
    "meta, when",
    [
        (" date 2025-12-24 ", date(2025, 12, 24)),
        (" date 2024-02-29 ", date(2024, 2, 29)),
        (" date 2025-1-5 ", date(2025, 1, 5)),
        (" date 20251224 ", date(2025, 12, 24)),
        (" date 2025-12-24T10:30:00+08:00 ", date(2025, 12, 24)),
        (" date 2025-12-24 10:30 ", date(2025, 12, 24)),
    ],
)
def test_good_metadata_date_dates_a_release_without_a_dateline(meta, when):
    r = clean(meta + BODY)
    assert r.clean_text == BODY and r.dateline_date == when


def test_metadata_date_gives_way_to_the_dateline():
    assert clean(" date 2025-12-20 " + DATELINED).dateline_date == date(2025, 12, 24)


@pytest.mark.parametrize(
    "line", ["HONG KONG, Feb. 30, 2025 /PRNewswire/ -- ", "香港2025年13月45日 /美通社/ -- ", "香港0000年1月1日 /美通社/ -- "]
)
def test_impossible_dateline_date_is_no_date(line):
    r = clean(" date 2025-13-25 " + line + BODY)
    assert BODY in r.clean_text and r.dateline_date is None


@pytest.mark.parametrize(
    ("text", "title"),
    [
        # a site's name, a byline and a breadcrumb above the headline
        (
            "Lakeside Sanatorium & Hospital\n\nPublished on Lakeside Sanatorium & Hospital (https://example.org)\n\n"
            "Home > Lakeside Medical Group Signs MOU with Harbour University\n\n"
            "Lakeside Medical Group Signs MOU with Harbour University\n\n2025-03-11\n\n"
            "(11 March 2025, Hong Kong) Lakeside Medical Group and Harbour University signed an MOU today.",
            "Lakeside Medical Group Signs MOU with Harbour University",
        ),
        # an advertisement, a date and a page number above a headline printed twice, then a caption
        (
            "常青全幣種信用卡\n2023年12月21日\n第A03版:澳聞\n\n常青醫院與星海大學合作辦醫開先河\n\n"
            "陳大文與一眾嘉賓在常青醫院開幕儀式上合影留念\n\n常青醫院與星海大學合作辦醫開先河\n\n"
            "【本報消息】常青醫院昨日與星海大學簽署合作協議。",
            "常青醫院與星海大學合作辦醫開先河",
        ),
        # a company's name, a nav line, app promotion, byline with source and time
        (
            "酒泉星海通讯股份有限公司\n二维码\n央视新闻客户端点击或扫描下载\n"
            "作者:李小明 来源:常青日报 发布时间:2024/9/27 22:00:59\n"
            "常青医院与星海大学签署战略合作协议\n8月18日,常青医院与星海大学签署战略合作协议。",
            "常青医院与星海大学签署战略合作协议",
        ),
        # metadata, then the body straight away: no headline
        (
            "March 7, 2024 Source: drugdu 110\nOn February 26, the chairman of Lakeside Group visited Harbour University, "
            "where the two sides signed a strategic cooperation framework agreement.",
            None,
        ),
    ],
)
def test_the_headline_is_found_below_site_names_bylines_and_promotions(text, title):
    assert clean(text).title == title
