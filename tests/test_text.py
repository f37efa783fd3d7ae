"""pipeline.text: the one Simplified converter, the one sentence splitter, the one date reader."""

from __future__ import annotations

from datetime import date
from importlib import resources
from types import SimpleNamespace

from pipeline import labels, lang
from pipeline.text import dates, hans


def test_to_hans_converts_traditional_and_leaves_the_rest():
    assert hans.to_hans("養和醫療集團與衛生署") == "养和医疗集团与卫生署"
    assert hans.to_hans("衞生署") == "衞生署"  # a Hong Kong variant t2s keeps: hk2s is for whole HK releases
    assert hans.to_hans("养和医疗集团 HKSH Medical Group") == "养和医疗集团 HKSH Medical Group"
    assert hans.to_hans("") == ""


def test_converter_is_built_once_per_config():
    assert hans.converter("t2s") is hans.converter("t2s")
    assert hans.converter("s2hk") is not hans.converter("t2s")
    assert hans.converter("s2hk").convert("卫生署") == "衞生署"


def test_convert_with_offsets_maps_every_character_back():
    text = "香港大學\n醫院管理局\x00發言人"
    out, offsets = hans.convert_with_offsets(text, "hk2s")
    assert out == "香港大学\n医院管理局\x00发言人"
    assert len(offsets) == len(out) and offsets == list(range(len(text)))


def test_parse_date_reads_both_languages_and_needs_a_year():
    assert dates.parse_date("December 24, 2025") == date(2025, 12, 24)
    assert dates.parse_date("二〇二五年十二月二十四日") == date(2025, 12, 24)
    assert dates.parse_date("12月24日") is None
    assert dates.parse_date("12月24日", default_year=2025) == date(2025, 12, 24)
    assert dates.parse_date("February 30, 2025") is None


def test_one_default_year_rule_for_entities_and_relations():
    dated = SimpleNamespace(dateline_date=date(2024, 1, 13), text_hans=None, clean_text="On 5 March 2019 ...")
    assert dates.default_year(dated) == 2024  # the dateline wins
    # no dateline: the first mention that carries a year, wherever it is (a year-month counts)
    late = "签约仪式于9月19日举行。" + "。" * 700 + "2019年5月17日"
    assert dates.default_year(SimpleNamespace(dateline_date=None, text_hans=late, clean_text=late)) == 2019
    assert dates.default_year(SimpleNamespace(dateline_date=None, text_hans="2006年7月，双方结为姐妹机构", clean_text="")) == 2006
    assert dates.default_year(SimpleNamespace(dateline_date=None, text_hans=None, clean_text="No date at all")) is None


def test_entity_date_norms():
    found = {f.norm for f in dates.find_dates_en("Signed on January 13 and in June 2025, founded in 1997.", 2026)}
    assert found == {"2026-01-13", "2025-06", "1997"}
    assert {f.norm for f in dates.find_dates_zh("2025年6月及12月24日")} == {"2025-06", "--12-24"}


def test_labels_are_the_schema_s():
    """SCHEMA.md's entity labels and relation types, in its order (the review app shows them so)."""
    assert labels.ENTITY_LABELS == ("ORG", "PERSON", "GPE", "DATE", "MONEY", "TREATMENT", "DRUG", "DISEASE", "DEVICE")
    assert labels.RELATION_TYPES == ("partnership", "role", "subsidiary_of", "located_in")
    assert set(labels.TERM_LABELS) | set(labels.RELATION_ARGUMENT_LABELS) | {labels.MONEY} == set(labels.ENTITY_LABELS)


def test_every_word_list_is_found_and_says_where_it_came_from():
    names = lang.files()
    assert "en/honorifics" in names
    root = resources.files("pipeline.lang")
    for name in names:
        code, stem = name.split("/")
        lines = root.joinpath(code, f"{stem}.tsv").read_text("utf-8").splitlines()
        comments = [line for line in lines[: next(i for i, line in enumerate(lines) if not line.startswith("#"))]]
        assert comments and "Source:" in "\n".join(comments), f"{name} does not start with a # Source: comment"
        assert lang.table(code, stem), f"{name} has no rows"


def test_honorifics_keep_each_caller_s_subset():
    assert {"dr", "professor", "madam"} <= lang.words("en", "honorifics", "consolidate")
    assert "father" not in lang.words("en", "honorifics", "consolidate")
    assert {"father", "academician", "sister", "brother"} <= lang.words("en", "honorifics", "relations")
    assert lang.words("en", "honorifics") >= lang.words("en", "honorifics", "recognise") | lang.words(
        "en", "honorifics", "translit"
    )


def test_recogniser_lists_keep_each_caller_s_subset():
    """The lists moved out of pipeline/ner: one file per meaning, a flag column per caller's subset."""
    heads = lang.words("en", "org_heads", "recognise")
    assert lang.words("en", "org_heads", "weak") | lang.words("en", "org_heads", "of") <= heads
    assert lang.words("en", "org_heads", "consolidate") <= heads and "bank" not in heads
    assert {"co", "international"} <= lang.words("en", "org_heads", "legal_tail") - heads
    assert lang.words("en", "name_connectors", "separate") == {"of", "for", "on", "and", "&"}
    assert "hall" in lang.words("en", "not_org_words", "last") & lang.words("en", "not_org_words", "venue")
    assert lang.column("zh", "org_endings", "recognise")[:3] == ("医院", "集团", "大学")
    assert "银行" in lang.column("zh", "org_endings", "consolidate")
    assert "银行" not in lang.column("zh", "org_endings", "recognise")
    assert {"集团", "控股"} <= lang.words("zh", "legal_forms", "consolidate") - lang.words("zh", "legal_forms", "recognise")
    assert lang.column("zh", "relation_tails")[0] == "姊妹医院"


def test_one_sentence_splitter_for_both_languages():
    from pipeline.text.sentences import sentence_spans

    en = 'Dr. Jane Doe of Acme Co. Ltd signed. "We are glad," J. Smith said.\n\nThe deal runs 5 years.'
    assert [en[s:e] for s, e in sentence_spans(en, "en")] == [
        "Dr. Jane Doe of Acme Co. Ltd signed.",
        '"We are glad," J. Smith said.',
        "The deal runs 5 years.",
    ]
    zh = "养和医疗集团今日签署协议；双方将合作。\n\n「我们很高兴！」院长说\n   \n"
    assert [zh[s:e] for s, e in sentence_spans(zh, "zh")] == [
        "养和医疗集团今日签署协议；",
        "双方将合作。",
        "「我们很高兴！",
        "」院长说",
    ]
    assert sentence_spans("", "en") == sentence_spans("", "zh") == [] and sentence_spans(" \n ", "en") == []


def test_the_sentence_around_a_span_is_the_run_of_sentences_it_touches():
    from pipeline.text.sentences import sentence_around

    text = "HKSH signed an MOU. Dr. Li spoke. The hospital is in Shenzhen."
    i = text.index("Li")
    assert text[slice(*sentence_around(text, i, i + 2, "en"))] == "Dr. Li spoke."
    a, b = text.index("MOU"), text.index("Shenzhen") + len("Shenzhen")
    assert text[slice(*sentence_around(text, a, b, "en"))] == text
    assert sentence_around("no end at all", 3, 5, "en") == (0, len("no end at all"))
    assert sentence_around("", 0, 0, "zh") == (0, 0)
