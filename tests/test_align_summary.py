"""The line the encoder compares: the release's headline, not the page chrome a title field often
holds (a site name, a byline with a timestamp, an unrelated company line pasted on a spam copy)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipeline.align import signals
from pipeline.io.tables import Tables
from pipeline.stages.align import Align
from tests.test_align import EN_MOU, _row

HEADLINE = "养和医疗集团与深圳前海泰康医院签署合作备忘录"
BODY = (
    "养和医疗集团今日与深圳前海泰康医院签署合作备忘录，在粤港澳大湾区建立设有350张病床的转介网络。"
    "养和医疗集团行政总裁李维达与深圳前海泰康医院院长王绿化签署协议。双方将于五年内投资1.2亿港元，用于培训及远程医疗。"
)
# A spam copy of the Chinese release: an unrelated company line on top, then a breadcrumb, then
# the release with its headline and a timestamp.
ZH_SPAM = f"星河轮烟通讯股份有限公司\n电池网 > 财经 > 公司新闻 > 医疗\n{HEADLINE}\n2025-03-04 08:00:00\n{BODY}"
# Its Traditional twin, a copy the align stage folds into one canonical release.
ZH_SPAM_HANT = ZH_SPAM.replace("医疗", "醫療").replace("签署", "簽署").replace("网络", "網絡")


def _head(*args) -> str:
    """The summary's first line: the headline (the second is the first substantial sentence)."""
    return signals.summary_text(*args).split("\n")[0]


def test_a_spam_title_gives_way_to_the_headline_the_text_bears_out():
    assert _head(ZH_SPAM, "星河轮烟通讯股份有限公司", "zh") == HEADLINE
    assert _head(ZH_SPAM, None, "zh") == HEADLINE


def test_a_byline_title_gives_way_to_the_first_substantial_sentence():
    text = f"发布时间:2025-03-04 08:45:12 来源: sp20250304\n{BODY}"
    got = _head(text, "发布时间:2025-03-04 08:45:12 来源: sp20250304", "zh")
    assert got.startswith("养和医疗集团今日与深圳前海泰康医院签署")


def test_a_title_the_text_bears_out_is_kept_and_traditional_titles_compare_as_simplified():
    assert _head(f"{HEADLINE}\n{BODY}", HEADLINE, "zh") == HEADLINE
    assert _head(f"{HEADLINE}\n{BODY}", "養和醫療集團與深圳前海泰康醫院簽署合作備忘錄", "zh") == HEADLINE
    title = EN_MOU.split("\n", 1)[0]
    assert _head(EN_MOU, title, "en") == title
    site = "Hong Kong Sanatorium & Hospital"
    assert _head(f"{site}\n{EN_MOU}", site, "en") == title  # a site name is too short a headline


def test_a_spam_titled_canonical_copy_still_pairs():
    rows = [
        _row("en", "en", EN_MOU, dateline=date(2025, 3, 3)),
        _row("zh_spam", "zh", ZH_SPAM),
        _row("zh_spam_hant", "zh", ZH_SPAM_HANT, hans=ZH_SPAM),
    ]
    rel = pd.DataFrame(rows)
    t = Align()(Tables(releases=rel))
    name = dict(zip(rel["release_id"], rel["source_path"]))
    got = {(name[e], name[z]) for e, z in zip(t.alignments["en_release_id"], t.alignments["zh_release_id"])}
    assert got == {("en", "zh_spam"), ("en", "zh_spam_hant")}


def test_a_bilingual_newsletter_without_line_breaks_is_summarised_by_its_chinese_sentences():
    """A PDF newsletter: an English photo caption runs straight into the Chinese sentence, and the
    page's hard wraps cut Chinese words with spaces. The summary is the Chinese sentence, joined."""
    text = (
        "Newsletter No. 321\n\n第321期 2025年3月4日 No. 321 4 March 2025 陈大文教授主持研讨会开幕仪式 Prof. "
        "Chan Tai-man presiding at the opening ceremony of the conference 养和医疗集团今日与深圳前海泰康医院 "
        "签署合作备忘录，在粤港澳大湾区建立转介网 络。双方将于五年内投资1.2亿港元，用于培训及远程医疗。"
    )
    lines = signals.summary_text(text, None, "zh").split("\n")
    assert lines[0].startswith("养和医疗集团今日与深圳前海泰康医院签署合作备忘录")
    assert all("Prof" not in x and "presiding" not in x for x in lines)
    assert "转介网络" in signals.summary_text(text.replace("签署", "签署。"), None, "zh")


def test_a_timestamp_line_is_no_summary_line_but_a_sentence_is():
    """A line without a sentence end that the text never says again (a page timestamp, a pasted
    company name) is chrome; a real first sentence is kept even when the text does not repeat it."""
    en = (
        "HKSH Medical Group signs MOU with Shenzhen Qianhai Taikang Hospital\n"
        "March 4, 2025 / 9:24 AM / 24 days ago\n\n"
        "Reuters Staff\n\n"
        "HKSH Medical Group today signed a memorandum of understanding with Shenzhen Qianhai Taikang Hospital."
    )
    lines = signals.summary_text(en, None, "en").split("\n")
    assert lines[0].startswith("HKSH Medical Group signs MOU")
    assert not any("9:24 AM" in x for x in lines)
    assert lines[1].startswith("HKSH Medical Group today signed")
    short = "近日，辉瑞公司与上药控股正式宣布达成战略合作。这一合作标志着两家企业在公共卫生领域的联合。"
    assert signals.summary_text(short, None, "zh").startswith("近日，辉瑞公司与上药控股正式宣布达成战略合作")


def test_a_release_of_chrome_only_still_has_a_summary():
    """When every line is filtered as chrome or caption, the first substantial one is kept: an
    empty summary would give the encoder nothing and the pair score a meaningless cosine."""
    text = "Prof. Chan Tai-man presiding at the opening ceremony of the annual conference\nMarch 4, 2025 / 9:24 AM"
    assert "presiding at the opening ceremony" in signals.summary_text(text, None, "zh")
