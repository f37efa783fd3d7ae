"""The recognise stage as users see it: entities, aliases, offsets, dates, on made-up releases.

The organisations and people below are invented (so no gazetteer knows them) and the texts are
written to be harder than the samples: titles glued to names, short forms defined several ways,
Traditional script, agreement names the model likes to call organisations.
"""

from __future__ import annotations

import pytest

from pipeline.registry import ConfigError, PipelineConfig
from pipeline.release import Entity, Release
from pipeline.runner import Pipeline
from pipeline.stages.recognise import Recognise


@pytest.fixture(scope="module")
def run():
    pipe = Pipeline(PipelineConfig(stages=["clean", "convert", "recognise"], settings={"recognise": {}}))

    def process(text: str) -> Release:
        return pipe.process(Release(source_path="t.txt", raw_text=text))

    return process


def by_text(release: Release, label: str) -> dict[str, Entity]:
    return {e.text: e for e in release.entities if e.label == label}


def spans_of(release: Release, entity: Entity) -> list[str]:
    return [release.clean_text[s:e] for s, e in entity.mentions]


EN = (
    'HONG KONG, Dec. 24, 2025 /PRNewswire/ -- Harbourvale Medical Group ("HVMG") and Northbridge Cancer Hospital '
    'Chinese Academy of Medical Sciences, Dongguan ("Dongguan Cancer Hospital") signed a memorandum of understanding '
    '("MOU") on 11 December 2025. The MOU was signed by Dr. Alvin TSOI, Chief Executive Officer of Harbourvale Medical '
    "Group, and Professor KWOK Minghua, Director of Dongguan Cancer Hospital. HVMG's proton therapy centre opened in "
    "June 2025 to offer proton therapy to children. Professor Kwok said the parties would also sign an MoU and a LOI "
    "with the Qingshan Municipal Health "
    "Commission on 3 March. Today's signing follows the 2023 Policy Address.\n\n"
    'Lakeshore Medical Services Holdings Limited ("Lakeshore Medical" or the "Company") (NYSE: LKM) said the Company '
    "will invest $12 million."
)


def test_english_alias_defined_in_brackets_joins_the_full_name(run):
    r = run(EN)
    orgs = by_text(r, "ORG")
    hvmg = orgs["Harbourvale Medical Group"]
    assert "HVMG" in hvmg.aliases
    assert spans_of(r, hvmg).count("HVMG") == 2  # the definition and "HVMG's"
    assert hvmg.text_norm == "Harbourvale Medical Group"
    assert not any(e.text == "HVMG" for e in r.entities)
    lake = orgs["Lakeshore Medical Services Holdings Limited"]
    assert {"Lakeshore Medical", "Company"} <= set(lake.aliases)
    assert not any(e.text in ("NYSE", "LKM", "Lakeshore Medical") for e in r.entities)


def test_english_long_hospital_name_is_kept_whole_with_its_alias(run):
    r = run(EN)
    orgs = by_text(r, "ORG")
    name = "Northbridge Cancer Hospital Chinese Academy of Medical Sciences, Dongguan"
    assert name in orgs
    assert "Dongguan Cancer Hospital" in orgs[name].aliases
    assert spans_of(r, orgs[name]).count("Dongguan Cancer Hospital") == 2
    assert "Qingshan Municipal Health Commission" in orgs


def test_agreements_are_never_organisations(run):
    r = run(EN)
    texts = {e.text.casefold() for e in r.entities}
    assert not texts & {"mou", "loi", "memorandum of understanding", "the mou"}


def test_titles_stay_out_of_person_names_and_surnames_join_the_full_name(run):
    r = run(EN)
    people = by_text(r, "PERSON")
    assert set(people) == {"Alvin TSOI", "KWOK Minghua"}
    assert "Kwok" in spans_of(r, people["KWOK Minghua"])  # "Professor Kwok said"
    for e in r.entities:
        assert not e.text.startswith(("Dr", "Prof", "Mr", "Chief"))


def test_dates_are_iso_and_bare_mentions_of_time_are_not_dates(run):
    r = run(EN)
    dates = {e.text: e.text_norm for e in r.entities if e.label == "DATE"}
    assert dates == {
        "Dec. 24, 2025": "2025-12-24",
        "11 December 2025": "2025-12-11",
        "June 2025": "2025-06",
        "3 March": "2025-03-03",
    }
    money = by_text(r, "MONEY")
    assert "$12 million" in money
    treatment = by_text(r, "TREATMENT")["proton therapy"]
    assert len(treatment.mentions) == 1  # "proton therapy centre" names a facility, not the treatment


ZH_HANT = (
    "瑞康醫療集團與中國醫學科學院腫瘤醫院東莞醫院簽訂合作備忘錄\n\n"
    "香港2025年12月24日 /美通社/ -- 瑞康醫療集團 (下稱瑞康)與中國醫學科學院腫瘤醫院東莞醫院 (下稱東莞腫瘤醫院)"
    "于2025年12月11日簽署戰略合作備忘錄,推動質子治療及癌症防治。瑞康醫療集團行政總裁陳大文醫生及東莞腫瘤醫院院長"
    "周曉峰教授代表簽署。東莞市衞生健康委員會主任吳紅艷女士見證。瑞康將於3月與美國匹茲堡大學醫學中心（簡稱 UPMC）合作,"
    "UPMC亦會派員來港。"
)


def test_traditional_input_gives_offsets_into_the_original_text(run):
    r = run(ZH_HANT)
    assert r.script == "Hant"
    assert r.entities
    for e in r.entities:
        assert all(0 <= s < t <= len(r.clean_text) for s, t in e.mentions)
        assert e.text in spans_of(r, e)  # the name as written, at one of its mentions
    orgs = {e.text_norm: e for e in r.entities if e.label == "ORG"}
    group = orgs["瑞康医疗集团"]  # text_norm is Simplified; text stays Traditional
    assert group.text == "瑞康醫療集團"
    assert "瑞康" in group.aliases
    assert spans_of(r, group).count("瑞康") == 2  # the definition and "瑞康將於3月"


def test_chinese_long_hospital_name_and_its_short_form(run):
    r = run(ZH_HANT)
    orgs = {e.text_norm: e for e in r.entities if e.label == "ORG"}
    hospital = orgs["中国医学科学院肿瘤医院东莞医院"]
    assert "東莞腫瘤醫院" in hospital.aliases
    assert "東莞腫瘤醫院" in spans_of(r, hospital)
    # text_norm is OpenCC t2s of the name as written, the conversion SCHEMA.md's matching applies:
    # the Hong Kong form 衞 stays (hk2s, which reads it as 卫, is only for the recognisers' text_hans),
    # so a relation to it matches gold that writes 衞生.
    assert "东莞市衞生健康委员会" in orgs and "东莞市卫生健康委员会" not in orgs
    upmc = orgs["美国匹兹堡大学医学中心"]
    assert "UPMC" in upmc.aliases and spans_of(r, upmc).count("UPMC") == 2
    people = {e.text for e in r.entities if e.label == "PERSON"}
    assert {"陳大文", "周曉峰", "吳紅艷"} <= people
    dates = {e.text: e.text_norm for e in r.entities if e.label == "DATE"}
    assert dates["2025年12月24日"] == "2025-12-24" and dates["2025年12月11日"] == "2025-12-11"
    assert "3月" not in dates
    assert {e.text for e in r.entities if e.label == "TREATMENT"} == {"質子治療"}


def test_simplified_alias_with_quotes_and_a_generic_short_form(run):
    text = (
        "9月19日下午,华润康宁集团有限公司（“华润康宁”）与江西省投资集团有限公司（以下简称“江投集团”或本“集团”）"
        "在南昌市签约。仪式由江投集团总经理曾昭和主持。华润康宁董事长宋清出席。合作医院及教学医院共5家。"
    )
    r = run(text)
    orgs = {e.text: e for e in r.entities if e.label == "ORG"}
    assert "华润康宁" in orgs["华润康宁集团有限公司"].aliases
    jt = orgs["江西省投资集团有限公司"]
    assert "江投集团" in jt.aliases
    assert spans_of(r, jt).count("江投集团") == 2
    assert not {"合作医院", "教学医院", "华润康宁", "江投集团"} & set(orgs)
    assert {"曾昭和", "宋清"} <= {e.text for e in r.entities if e.label == "PERSON"}


def test_entity_rows_are_well_formed(run):
    for text in (EN, ZH_HANT):
        r = run(text)
        ids = [e.entity_id for e in r.entities]
        assert len(ids) == len(set(ids))
        for e in r.entities:
            assert e.mentions == sorted(e.mentions)
            assert 0.0 <= e.score <= 1.0
            assert e.source in ("model", "ruler", "alias")


def test_bad_settings_fail_when_the_pipeline_is_built(tmp_path):
    with pytest.raises((ValueError, ConfigError)):
        Pipeline(PipelineConfig(stages=["clean", "convert", "recognise"], settings={"recognise": {"zh_backend": "bert"}}))
    missing = tmp_path / "no-model"
    with pytest.raises((FileNotFoundError, ConfigError)):
        Pipeline(
            PipelineConfig(
                stages=["clean", "convert", "recognise"],
                settings={"recognise": {"zh_backend": "model", "zh_model": str(missing)}},
            )
        )
    assert Recognise(zh_model=str(missing), zh_backend="auto").zh_backend == "lac"  # falls back to LAC and rules
