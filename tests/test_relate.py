"""relate: the sentence shapes of real releases, in English and Chinese, on releases whose entities
are given (so each test checks the patterns, not the recogniser), and the stage in the pipeline."""

from __future__ import annotations

import re
from datetime import date

import pytest

from pipeline.registry import PipelineConfig
from pipeline.relations import RelationExtractor
from pipeline.relations.common import title_in_chinese, title_in_english
from pipeline.release import Entity, Relation, Release
from pipeline.runner import Pipeline
from pipeline.stages.convert import Convert
from pipeline.text.dates import default_year, find_dates_en, find_dates_zh
from tests.conftest import RAW


@pytest.fixture(scope="module")
def extractor() -> RelationExtractor:
    return RelationExtractor(min_score=0.5)


@pytest.fixture(scope="module")
def extract(extractor):
    def run(
        text: str, ents: dict[str, list[str]], aliases: dict[str, list[str]] | None = None, dateline: date | None = None
    ) -> list[Relation]:
        return extractor(release(text, ents, aliases or {}, dateline))

    return run


def release(text: str, ents: dict[str, list[str]], aliases: dict[str, list[str]], dateline: date | None = None) -> Release:
    r = Convert()(Release(source_path="t.txt", raw_text=text, clean_text=text, dateline_date=dateline))
    r.entities = entities(r, ents, aliases)
    r.entities += date_entities(r, len(r.entities))
    return r


def date_entities(r: Release, first_id: int) -> list[Entity]:
    """The DATE entities the recogniser's own date patterns give (relate reads its dates from them)."""
    zh = r.lang == "zh" and r.text_hans is not None
    text = r.text_hans if zh else r.clean_text
    year = default_year(r)
    found = find_dates_zh(text, year) if zh else find_dates_en(text, year)
    out = []
    for f in found:
        span = r.hans_span_to_clean(f.start, f.end) if zh else (f.start, f.end)
        out.append(
            Entity(
                f"E{first_id + len(out)}",
                "DATE",
                r.clean_text[span[0] : span[1]],
                f.norm,
                [span],
                hans_mentions=[(f.start, f.end)] if zh else [],
            )
        )
    return out


def entities(r: Release, ents: dict[str, list[str]], aliases: dict[str, list[str]]) -> list[Entity]:
    """Entities as a perfect recogniser would give them: every occurrence of the name or an alias."""
    out = []
    for label, names in ents.items():
        for name in names:
            spans = []
            for surf in [name, *aliases.get(name, [])]:
                spans += [(m.start(), m.end()) for m in re.finditer(re.escape(surf), r.clean_text)]
            assert spans, f"{name!r} is not in the text"
            out.append(Entity(f"E{len(out)}", label, name, name, sorted(spans), aliases.get(name, [])))
    return out


def facts(rels: list[Relation], typ: str) -> set[tuple]:
    if typ == "partnership":
        return {frozenset((r.head, r.tail)) for r in rels if r.type == typ}
    return {(r.head, r.tail) for r in rels if r.type == typ}


def roles(rels: list[Relation]) -> dict[tuple[str, str | None], str]:
    return {(r.head, r.tail): r.title for r in rels if r.type == "role"}


# --------------------------------------------------------------------------------------- English


def test_titles_after_name_one_row_per_title(extract):
    text = (
        "The MOU was signed by Dr. Walton LI, Chief Executive Officer of HKSH Medical Group and Medical Superintendent of "
        "Hong Kong Sanatorium & Hospital, and Professor WANG Luhua, Director of Shenzhen Cancer Hospital."
    )
    rels = extract(
        text,
        {
            "PERSON": ["Walton LI", "WANG Luhua"],
            "ORG": ["HKSH Medical Group", "Hong Kong Sanatorium & Hospital", "Shenzhen Cancer Hospital"],
        },
    )
    assert roles(rels) == {
        ("Walton LI", "HKSH Medical Group"): "Chief Executive Officer",
        ("Walton LI", "Hong Kong Sanatorium & Hospital"): "Medical Superintendent",
        ("WANG Luhua", "Shenzhen Cancer Hospital"): "Director",
    }
    r = next(r for r in rels if r.type == "role")
    assert r.evidence == text and 0 < r.score <= 1


def test_several_signatories_titles_before_names(extract):
    text = (
        "The five-year MOU was jointly signed by the Acting Director-General of the Office of Hong Kong, "
        "Macao and Taiwan Affairs "
        "of the NHC, Mr Feng Yong; the Chairman of the Chow Tai Fook Medical Foundation, Mr Cheng Kar-Shing; and the HA Chief "
        "Executive, Dr Libby Lee."
    )
    rels = extract(
        text,
        {
            "PERSON": ["Feng Yong", "Cheng Kar-Shing", "Libby Lee"],
            "ORG": ["Office of Hong Kong, Macao and Taiwan Affairs", "NHC", "Chow Tai Fook Medical Foundation", "HA"],
        },
    )
    assert roles(rels) == {
        ("Feng Yong", "Office of Hong Kong, Macao and Taiwan Affairs"): "Acting Director-General",
        ("Cheng Kar-Shing", "Chow Tai Fook Medical Foundation"): "Chairman",
        ("Libby Lee", "HA"): "Chief Executive",
    }
    assert ("Office of Hong Kong, Macao and Taiwan Affairs", "NHC") in facts(rels, "subsidiary_of")


def test_title_before_name_without_organisation_and_org_title_after_name(extract):
    text = (
        "Present were Mayor Rao Nanhu, Deputy Mayor Yang Yang and General Manager Qiao Shibo. "
        "The ceremony was officiated by Prof. FU Wei, PUTH President, and NCCK President Han-Kwang Yang."
    )
    rels = extract(
        text, {"PERSON": ["Rao Nanhu", "Yang Yang", "Qiao Shibo", "FU Wei", "Han-Kwang Yang"], "ORG": ["PUTH", "NCCK"]}
    )
    assert roles(rels) == {
        ("Rao Nanhu", None): "Mayor",
        ("Yang Yang", None): "Deputy Mayor",
        ("Qiao Shibo", None): "General Manager",
        ("FU Wei", "PUTH"): "President",
        ("Han-Kwang Yang", "NCCK"): "President",
    }


def test_department_stays_in_title_and_unit_appositive_is_a_subsidiary(extract):
    text = (
        "Wu Hao, the chief of the Infectious Diseases Department of Beijing Youan Hospital, Capital Medical University, said "
        "the drug works. Prof. YUAN Chunhui, Director of the Department of General Surgery of PUTH, spoke next."
    )
    rels = extract(
        text, {"PERSON": ["Wu Hao", "YUAN Chunhui"], "ORG": ["Beijing Youan Hospital", "Capital Medical University", "PUTH"]}
    )
    assert roles(rels) == {
        ("Wu Hao", "Beijing Youan Hospital"): "chief of the Infectious Diseases Department",
        ("YUAN Chunhui", "PUTH"): "Director of the Department of General Surgery",
    }
    assert facts(rels, "subsidiary_of") == {("Beijing Youan Hospital", "Capital Medical University")}


def test_partnership_with_date_and_kind(extract):
    text = (
        "BEIJING, Aug. 31, 2020 /PRNewswire/ -- Concord Medical Services Holdings Limited today announced its Guangzhou Concord "
        "Cancer Center entered into a strategic cooperation framework agreement with Macao Kiang Wu Hospital on August 26, 2020."
    )
    rels = extract(
        text, {"ORG": ["Concord Medical Services Holdings Limited", "Guangzhou Concord Cancer Center", "Macao Kiang Wu Hospital"]}
    )
    (p,) = [r for r in rels if r.type == "partnership"]
    assert {p.head, p.tail} == {"Guangzhou Concord Cancer Center", "Macao Kiang Wu Hospital"}
    assert p.date == date(2020, 8, 26) and p.kind == "framework agreement"
    assert facts(rels, "subsidiary_of") == {("Guangzhou Concord Cancer Center", "Concord Medical Services Holdings Limited")}


def test_run_by_a_subsidiary(extract):
    rels = extract(
        "Guangzhou Concord Cancer Center is run by Meizhong Jiahe Group, a Concord Medical subsidiary.",
        {"ORG": ["Guangzhou Concord Cancer Center", "Meizhong Jiahe Group", "Concord Medical"]},
    )
    assert facts(rels, "subsidiary_of") == {("Meizhong Jiahe Group", "Concord Medical")}
    assert not facts(rels, "partnership")


def test_three_party_partnership_and_star_partnership(extract):
    three = extract(
        "Alpha Hospital, Beta University and Gamma Pharma signed a tripartite agreement.",
        {"ORG": ["Alpha Hospital", "Beta University", "Gamma Pharma"]},
    )
    assert facts(three, "partnership") == {
        frozenset(p)
        for p in [("Alpha Hospital", "Beta University"), ("Alpha Hospital", "Gamma Pharma"), ("Beta University", "Gamma Pharma")]
    }
    star = extract(
        "The Hospital Authority (HA) today signed an MOU with the National Health Commission (NHC), the Chow Tai Fook Foundation "
        "and Delta Clinic.",
        {"ORG": ["Hospital Authority", "National Health Commission", "Chow Tai Fook Foundation", "Delta Clinic"]},
        aliases={"Hospital Authority": ["HA"], "National Health Commission": ["NHC"]},
    )
    assert facts(star, "partnership") == {
        frozenset(("Hospital Authority", x)) for x in ("National Health Commission", "Chow Tai Fook Foundation", "Delta Clinic")
    }


def test_each_agreement_gets_its_own_date(extract):
    text = (
        "Alpha Hospital signed an MOU with Beta University on 3 March 2024. Two months later, on 5 May 2024, Alpha Hospital "
        "signed a framework agreement with Gamma Pharma."
    )
    rels = extract(text, {"ORG": ["Alpha Hospital", "Beta University", "Gamma Pharma"]})
    got = {frozenset((r.head, r.tail)): (r.date, r.kind) for r in rels if r.type == "partnership"}
    assert got == {
        frozenset(("Alpha Hospital", "Beta University")): (date(2024, 3, 3), "MOU"),
        frozenset(("Alpha Hospital", "Gamma Pharma")): (date(2024, 5, 5), "framework agreement"),
    }


def test_date_from_the_next_sentence_and_dateline_year(extract):
    text = (
        "Zhejiang Cancer Hospital and the National Cancer Center Korea have solidified a five-year strategic partnership. "
        "The agreement, signed on April 3 during a visit, covers research."
    )
    rels = extract(text, {"ORG": ["Zhejiang Cancer Hospital", "National Cancer Center Korea"]}, dateline=date(2025, 5, 27))
    (p,) = [r for r in rels if r.type == "partnership"]
    assert p.date == date(2025, 4, 3) and p.kind == "partnership"


def test_loose_collaboration_is_not_a_partnership(extract):
    text = (
        "In June 2025, HKSH, in collaboration with the National Cancer Center and the Cancer Hospital, co-hosted a training "
        "programme in Beijing, reinforcing HKSH's collaboration with the National Cancer Center."
    )
    rels = extract(text, {"ORG": ["HKSH", "National Cancer Center", "Cancer Hospital"], "GPE": ["Beijing"]})
    assert not facts(rels, "partnership")


def test_located_in_only_when_the_text_says_so(extract):
    text = (
        "Institute University Hospital is located in Novara, Italy. Shenzhen Cancer Hospital signed an agreement with it. "
        "The event took place at Prince of Wales Hospital in Shatin."
    )
    rels = extract(
        text,
        {
            "ORG": ["Institute University Hospital", "Shenzhen Cancer Hospital", "Prince of Wales Hospital"],
            "GPE": ["Novara", "Italy", "Shatin"],
        },
    )
    assert facts(rels, "located_in") == {
        ("Institute University Hospital", "Novara"),
        ("Institute University Hospital", "Italy"),
        ("Prince of Wales Hospital", "Shatin"),
    }


def test_mention_glued_to_punctuation_and_joint_venture(extract):
    text = (
        "UMP Healthcare Holdings Limited is pleased to announce that its UMP Charity Foundation Limited "
        "has signed a MOU with the "
        "Jockey Club School (“JCSPHPC”)of the Faculty of Medicine at The Chinese University of Hong Kong on 21 April 2021.\n"
        "PMS is a joint venture between NWS Holdings Limited as well as IHH Healthcare."
    )
    ents = {
        "ORG": [
            "UMP Healthcare Holdings Limited",
            "UMP Charity Foundation Limited",
            "Jockey Club School",
            "Faculty of Medicine",
            "The Chinese University of Hong Kong",
            "PMS",
            "NWS Holdings Limited",
            "IHH Healthcare",
        ]
    }
    rels = extract(text, ents, aliases={"Jockey Club School": ["JCSPHPC"]})
    assert facts(rels, "subsidiary_of") >= {
        ("UMP Charity Foundation Limited", "UMP Healthcare Holdings Limited"),
        ("Jockey Club School", "Faculty of Medicine"),
        ("Faculty of Medicine", "The Chinese University of Hong Kong"),
        ("PMS", "NWS Holdings Limited"),
        ("PMS", "IHH Healthcare"),
    }
    assert facts(rels, "partnership") == {
        frozenset(("UMP Charity Foundation Limited", "Jockey Club School")),
        frozenset(("NWS Holdings Limited", "IHH Healthcare")),
    }


# --------------------------------------------------------------------------------------- Chinese


def test_zh_title_chains_before_and_after_names(extract):
    text = (
        "养和医疗集团行政总裁、养和医院院长李维达医生(前排右方)及中国医学科学院肿瘤医院深圳医院王绿化院长(前排左方)于仪式上代表签署合作备忘录,"
        "并由国家癌症中心主任、中国医学科学院肿瘤医院院长赫捷院士见证。"
    )
    rels = extract(
        text,
        {
            "PERSON": ["李维达", "王绿化", "赫捷"],
            "ORG": ["养和医疗集团", "养和医院", "中国医学科学院肿瘤医院深圳医院", "国家癌症中心", "中国医学科学院肿瘤医院"],
        },
    )
    assert roles(rels) == {
        ("李维达", "养和医疗集团"): "行政总裁",
        ("李维达", "养和医院"): "院长",
        ("王绿化", "中国医学科学院肿瘤医院深圳医院"): "院长",
        ("赫捷", "国家癌症中心"): "主任",
        ("赫捷", "中国医学科学院肿瘤医院"): "院长",
    }
    # no sentence names the parties: the signers' organisations are (one each, witnesses left out)
    assert facts(rels, "partnership") == {frozenset(("养和医疗集团", "中国医学科学院肿瘤医院深圳医院"))}


def test_zh_traditional_signing_with_alias_and_date(extract):
    text = (
        "養和醫療集團 (下稱養和)與中國醫學科學院腫瘤醫院深圳醫院 (下稱深圳腫瘤醫院),"
        "雙方在國家癌癥中心統籌下于2025年12月11日簽署戰略合作備忘錄。"
    )
    rels = extract(
        text,
        {"ORG": ["養和醫療集團", "中國醫學科學院腫瘤醫院深圳醫院", "國家癌癥中心"]},
        aliases={"養和醫療集團": ["養和"], "中國醫學科學院腫瘤醫院深圳醫院": ["深圳腫瘤醫院"]},
    )
    (p,) = [r for r in rels if r.type == "partnership"]
    assert {p.head, p.tail} == {"養和醫療集團", "中國醫學科學院腫瘤醫院深圳醫院"}
    assert p.date == date(2025, 12, 11) and p.kind == "MOU"
    assert p.evidence == text  # evidence in the original script


def test_zh_star_partnership_from_a_listed_group(extract):
    text = (
        "香港中医医院9日与三间设有中医药学院的本地大学"
        "（香港浸会大学（浸大）、香港中文大学（中大）和香港大学（港大））签署合作协议。"
    )
    rels = extract(
        text,
        {"ORG": ["香港中医医院", "香港浸会大学", "香港中文大学", "香港大学"]},
        aliases={"香港浸会大学": ["浸大"], "香港中文大学": ["中大"], "香港大学": ["港大"]},
        dateline=date(2025, 9, 10),
    )
    assert facts(rels, "partnership") == {frozenset(("香港中医医院", u)) for u in ("香港浸会大学", "香港中文大学", "香港大学")}


def test_zh_respectively_gives_each_partner_its_date(extract):
    text = "科大校长叶玉如在2月20日及3月3日,分别与养和医疗集团及香港港安医院签署合作备忘录。"
    rels = extract(text, {"PERSON": ["叶玉如"], "ORG": ["科大", "养和医疗集团", "香港港安医院"]}, dateline=date(2025, 3, 11))
    got = {frozenset((r.head, r.tail)): r.date for r in rels if r.type == "partnership"}
    assert got == {frozenset(("科大", "养和医疗集团")): date(2025, 2, 20), frozenset(("科大", "香港港安医院")): date(2025, 3, 3)}
    assert roles(rels) == {("叶玉如", "科大"): "校长"}


def test_zh_three_signatories_and_inherited_organisation(extract, extractor):
    text = (
        "衞健委主任雷海潮及医管局主席范鸿龄见证备忘录签署仪式,由衞健委港澳台办公室副主任冯勇、周大福医疗基金主席郑家成及医管局行政总裁李夏茵医生共同签署。"
        "出席的还有华润健康董事长宋清及总经理韩跃伟。"
    )
    rels = extract(
        text,
        {
            "PERSON": ["雷海潮", "范鸿龄", "冯勇", "郑家成", "李夏茵", "宋清", "韩跃伟"],
            "ORG": ["衞健委", "医管局", "港澳台办公室", "周大福医疗基金", "华润健康"],
        },
    )
    assert roles(rels) == {
        ("雷海潮", "衞健委"): "主任",
        ("范鸿龄", "医管局"): "主席",
        ("冯勇", "港澳台办公室"): "副主任",
        ("郑家成", "周大福医疗基金"): "主席",
        ("李夏茵", "医管局"): "行政总裁",
        ("宋清", "华润健康"): "董事长",
        ("韩跃伟", "华润健康"): "总经理",
    }
    # 衞健委港澳台办公室: a unit written after its parent is read, but scored under the default threshold
    assert not facts(rels, "subsidiary_of")
    weak = [f for f in extractor.facts(release(text, {"ORG": ["衞健委", "港澳台办公室"]}, {})).facts if f.type == "subsidiary_of"]
    assert [(f.head.text, f.tail.text) for f in weak] == [("港澳台办公室", "衞健委")] and weak[0].score < 0.5


def test_zh_subsidiary_cooperation_location_reporter(extract):
    text = (
        "人民网香港12月18日电(记者陈然)联合医务集团有限公司欣然宣布,集团旗下的联合医务慈善基金会有限公司于2021年4月21日与香港中文大学赛马会学院签署合作备忘录。"
        "上海悦心健康集团将与德阳市人民医院合作。香港中医医院位于将军澳。"
    )
    rels = extract(
        text,
        {
            "PERSON": ["陈然"],
            "ORG": [
                "人民网",
                "联合医务集团有限公司",
                "联合医务慈善基金会有限公司",
                "香港中文大学赛马会学院",
                "上海悦心健康集团",
                "德阳市人民医院",
                "香港中医医院",
            ],
            "GPE": ["将军澳"],
        },
    )
    assert facts(rels, "subsidiary_of") == {("联合医务慈善基金会有限公司", "联合医务集团有限公司")}
    got = {frozenset((r.head, r.tail)): (r.date, r.kind) for r in rels if r.type == "partnership"}
    assert got == {
        frozenset(("联合医务慈善基金会有限公司", "香港中文大学赛马会学院")): (date(2021, 4, 21), "MOU"),
        frozenset(("上海悦心健康集团", "德阳市人民医院")): (None, "cooperation"),
    }
    assert facts(rels, "located_in") == {("香港中医医院", "将军澳")}
    assert roles(rels) == {}  # a byline at an outlet: SCHEMA.md's outlets are no ORG, bylines no role


def test_zh_attendees_and_descriptive_cooperation_are_not_partnerships(extract):
    text = "美国莫非特肿瘤中心、英国国王学院等友好医院派代表出席签字仪式。特区政府非常重视与国家卫健委的合作，今日签署两份协议。"
    rels = extract(text, {"ORG": ["美国莫非特肿瘤中心", "英国国王学院", "特区政府", "国家卫健委"]})
    assert not facts(rels, "partnership")


def test_bilingual_title_table():
    assert "Chief Executive Officer" in title_in_english("行政總裁")
    assert "Medical Superintendent" in title_in_english("院长")
    assert "院长" in title_in_chinese("Medical Superintendent")
    assert "行政总裁" in title_in_chinese("Chief Executive Officer")


# --------------------------------------------------------------------------------------- stage


def test_stage_in_the_pipeline_on_a_seed_release():
    pipe = Pipeline(PipelineConfig(stages=["clean", "convert", "recognise", "relate"]))
    text = (RAW / "en_hksh_shenzhen_mou.txt").read_text("utf-8")
    r = pipe.process(Release(source_path="en_hksh_shenzhen_mou.txt", raw_text=text))
    ids = {e.entity_id: e for e in r.entities}
    assert r.relations
    for rel in r.relations:
        assert rel.head_id in ids and ids[rel.head_id].text_norm == rel.head
        assert rel.tail_id is None or ids[rel.tail_id].text_norm == rel.tail
        assert rel.evidence and rel.evidence in r.clean_text
        assert 0.5 <= rel.score <= 1.0
    assert any(x.type == "role" and x.head == "Walton LI" and x.title == "Chief Executive Officer" for x in r.relations)


def test_relate_needs_entities():
    from pipeline.registry import ConfigError, build_pipeline

    with pytest.raises(ConfigError, match="entities"):
        build_pipeline(PipelineConfig(stages=["clean", "convert", "relate"]))


def test_zh_an_agreement_whose_title_names_the_parties(extract):
    text = "行政长官今日出席仪式，共同见证《常青医疗集团与湖滨大学合作框架协议》的签署。会上亦展示《星河医院发展纲要》。"
    rels = extract(text, {"ORG": ["常青医疗集团", "湖滨大学", "星河医院"]})
    got = {frozenset((r.head, r.tail)): r.kind for r in rels if r.type == "partnership"}
    assert got == {frozenset(("常青医疗集团", "湖滨大学")): "framework agreement"}
    # the parties named inside another party's title stay apart: 星河医院 signs nothing
    assert not [r for r in rels if "星河医院" in (r.head, r.tail)]


def test_zh_a_school_named_after_its_university_is_part_of_it(extract):
    text = "香港浸会大学校长出席。浸大中医药学院院长李敏及香港中文大学医学院院长赵伟仁致辞。英国国王学院代表亦有出席。"
    rels = extract(
        text, {"ORG": ["香港浸会大学", "浸大中医药学院", "香港中文大学医学院", "英国国王学院"], "PERSON": ["李敏", "赵伟仁"]}
    )
    assert facts(rels, "subsidiary_of") == {("浸大中医药学院", "香港浸会大学")}  # 中大 is not named in full here


def test_a_title_after_the_head_word_of_the_releases_one_organisation(extract):
    text = (
        "Lakeside Hospital Authority signed an MOU with Evergreen Medical Group. "
        "The ceremony was officiated by authority chairman Alan Chow and group director Mary Lee."
    )
    rels = extract(text, {"ORG": ["Lakeside Hospital Authority", "Evergreen Medical Group"], "PERSON": ["Alan Chow", "Mary Lee"]})
    got = facts(rels, "role")
    assert ("Alan Chow", "Lakeside Hospital Authority") in got and ("Mary Lee", "Evergreen Medical Group") in got
    two = extract(
        "Lakeside Hospital and Evergreen Hospital met. Hospital director Alan Chow spoke.",
        {"ORG": ["Lakeside Hospital", "Evergreen Hospital"], "PERSON": ["Alan Chow"]},
    )
    assert facts(two, "role") <= {("Alan Chow", None)}  # two hospitals: which one is not said


def test_recognise_and_relate_share_one_loaded_english_model():
    """One en_core_web_sm per process with the shipped weights: relate reads the recogniser's parser."""
    from pipeline.ner.en import EnglishNER
    from pipeline.relations.english import EnglishReader

    reader = EnglishReader()
    assert EnglishNER().nlp is reader.nlp
    assert "ner" in reader.nlp.pipe_names  # disabled by the reader when it parses, not removed
