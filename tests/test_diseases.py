"""Diseases from CC-CEDICT: which glosses the build step keeps, and the recognisers reading them.

The dictionary lines below are written here in CC-CEDICT's format (not copied from the samples);
the release texts are made up.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from pipeline.ner import build_diseases, lexicon

CEDICT = """\
# CC-CEDICT test lines
肝癌 肝癌 [gan1 ai2] /liver cancer/
癌症 癌症 [ai2 zheng4] /cancer/
腫瘤 肿瘤 [zhong3 liu2] /tumor/
惡性腫瘤 恶性肿瘤 [e4 xing4 zhong3 liu2] /malignant tumor/
腦膜炎 脑膜炎 [nao3 mo2 yan2] /meningitis/
筆畫 笔画 [bi3 hua4] /stroke (of a Chinese character)/
中風 中风 [zhong4 feng1] /stroke/apoplexy/
病因 病因 [bing4 yin1] /cause of disease/pathogen/
心律失常 心律失常 [xin1 lu:4 shi1 chang2] /arrhythmia/
芳香 芳香 [fang1 xiang1] /aroma/
表證 表证 [biao3 zheng4] /(TCM) superficial syndrome/
腸易激綜合徵 肠易激综合征 [chang2 yi4 ji1 zong1 he2 zheng1] /irritable bowel syndrome (IBS)/
癆 痨 [lao2] /tuberculosis/
"""


@pytest.fixture(scope="module")
def derived(tmp_path_factory) -> set[tuple[str, str]]:
    path: Path = tmp_path_factory.mktemp("cedict") / "cedict.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write(CEDICT)
    return set(build_diseases.derive(path))


def test_named_diseases_are_kept_in_both_languages_with_their_plurals(derived):
    assert {
        ("zh", "肝癌"),
        ("en", "liver cancer"),
        ("en", "liver cancers"),
        ("zh", "脑膜炎"),
        ("en", "meningitis"),
        ("zh", "心律失常"),
        ("en", "arrhythmia"),
        ("en", "arrhythmias"),
        ("zh", "中风"),
        ("en", "stroke"),
        ("zh", "肠易激综合征"),
        ("en", "irritable bowel syndrome"),
    } <= derived
    assert ("en", "IBS") not in derived  # an acronym in brackets is no name to match
    assert ("en", "meningitiss") not in derived and ("en", "strokes") not in derived


def test_bare_words_descriptions_and_other_senses_are_left_out(derived):
    zh = {t for lang, t in derived if lang == "zh"}
    en = {t for lang, t in derived if lang == "en"}
    assert not zh & {"癌症", "肿瘤", "恶性肿瘤", "笔画", "病因", "芳香", "表证", "痨"}
    assert not en & {"cancer", "tumor", "malignant tumor", "cause of disease", "aroma", "superficial syndrome"}


def test_the_shipped_list_names_its_source_and_leaves_out_bare_words():
    text = (lexicon.DATA / "diseases_cedict.tsv").read_text("utf-8")
    assert "CC-CEDICT" in text.split("\n", 1)[0] and "CC BY-SA 4.0" in text
    terms = {t.text for t in lexicon.terms("en") + lexicon.terms("zh") if t.label == "DISEASE"}
    assert {"meningitis", "bradycardia", "脑膜炎", "心绞痛"} <= terms
    assert not {"tumor", "syndrome", "综合征", "疾病"} & terms


def test_a_named_disease_becomes_disease_and_a_bare_cancer_does_not(run):
    en = run(
        "HONG KONG, March 3, 2026 /PRNewswire/ -- Evergreen Medical Group will open a clinic for patients with "
        "meningitis, irritable bowel syndrome and cancer. The clinic also treats ankylosing spondylitis."
    )
    diseases = {e.text for e in en.entities if e.label == "DISEASE"}
    assert {"meningitis", "irritable bowel syndrome", "ankylosing spondylitis"} <= diseases
    assert "cancer" not in diseases
    zh = run("香港，2026年3月3日 -- 常青医疗集团将开设诊所，为脑膜炎、肠易激综合征及癌症患者提供治疗。")
    diseases = {e.text for e in zh.entities if e.label == "DISEASE"}
    assert {"脑膜炎", "肠易激综合征"} <= diseases and "癌症" not in diseases
    hant = run("香港，2026年3月3日 -- 常青醫療集團將開設診所，為腦膜炎及癌症患者提供治療。")
    diseases = {e.text for e in hant.entities if e.label == "DISEASE"}
    assert "腦膜炎" in diseases and "癌症" not in diseases
