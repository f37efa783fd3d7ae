"""pipeline/evaluate.py must score exactly as the reference scorer (tests/reference/score.py) does."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipeline.evaluate import evaluate, format_report, read_jsonl, same
from pipeline.io.tables import Tables

REFERENCE = Path(__file__).parent / "reference" / "score.py"


def reference_scorer():
    spec = importlib.util.spec_from_file_location("reference_score", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_reference(*args: object) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = reference_scorer().main([str(a) for a in args])
    return code, out.getvalue()


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


GOLD = [
    {
        "id": "en_hksh_mou",
        "entities": [
            {"label": "ORG", "text": "HKSH Medical Group"},
            {"label": "ORG", "text": "Cancer Hospital Chinese Academy of Medical Sciences Shenzhen Hospital"},
            {"label": "PERSON", "text": "Dr Lee Wai-tat"},
            {"label": "DATE", "text": "11 December 2025"},
            {"label": "MONEY", "text": "HK$10 million"},
            {"label": "GPE", "text": "Hong Kong"},
        ],
        "relations": [
            {
                "type": "partnership",
                "head": "HKSH Medical Group",
                "tail": "Cancer Hospital Chinese Academy of Medical Sciences Shenzhen Hospital",
                "date": "11 December 2025",
                "kind": "MOU",
            },
            {"type": "role", "person": "Dr Lee Wai-tat", "title": "Chief Executive Officer", "org": "HKSH Medical Group"},
            {"type": "role", "person": "Wang Lvhua", "title": "President", "org": None},
            {"type": "located_in", "head": "HKSH Medical Group", "tail": "Hong Kong"},
        ],
    },
    {
        "id": "zht_hksh_mou",
        "entities": [
            {"label": "ORG", "text": "養和醫療集團"},
            {"label": "ORG", "text": "醫管局"},
            {"label": "ORG", "text": "港大"},
            {"label": "ORG", "text": "ＨＫＳＨ"},
            {"label": "PERSON", "text": "李維達醫(yī)生", "clean": "李維達醫生"},
            {"label": "DISEASE", "text": "癌症"},
        ],
        "relations": [
            {
                "type": "partnership",
                "head": "養和醫療集團",
                "tail": "中國醫學科學院腫瘤醫院深圳醫院",
                "date": "2025年12月11日",
                "kind": "備忘錄",
            },
            {"type": "role", "person": "李維達", "title": "行政總裁", "org": "養和醫療集團"},
            {"type": "subsidiary_of", "head": "養和醫院", "tail": "養和醫療集團"},
        ],
    },
    {
        "id": "zhs_wuxi",
        "entities": [{"label": "ORG", "text": "无锡市人民医院"}, {"label": "DRUG", "text": "奥希替尼"}],
        "relations": [{"type": "partnership", "head": "无锡市人民医院", "tail": "阿斯利康", "date": None, "kind": "合作"}],
    },
    {"id": "dev_en_007", "lang": "en", "entities": [{"label": "ORG", "text": "Queen Mary Hospital"}], "relations": []},
    {"id": "en_never_extracted", "entities": [{"label": "ORG", "text": "Kiang Wu Hospital"}], "relations": []},
]

RELEASES = {  # release_id -> source_path (the gold id is the file name without extension)
    "r_en": "en_hksh_mou.txt",
    "r_zht": "big5/zht_hksh_mou.txt",
    "r_zhs": "zhs_wuxi.html",
    "r_dev": "dev_en_007.txt",
    "r_extra": "en_not_in_gold.txt",
}

ENTITIES = [
    # en: "the" dropped, fuzzy (>= 90) long names, DATE by its surface form, a false positive, a duplicate
    ("r_en", "ORG", "The HKSH Medical Group", "HKSH Medical Group"),
    ("r_en", "ORG", "Cancer Hospital, Chinese Academy of Medical Sciences Shenzhen Hospitals", "Cancer Hospital CAMS Shenzhen"),
    ("r_en", "ORG", "HKSH Medical Group", "HKSH Medical Group"),  # duplicate: one-to-one, so a false positive
    ("r_en", "PERSON", "Lee Wai-tat", "Lee Wai-tat"),  # ratio('drleewaitat', 'leewaitat') = 90
    ("r_en", "DATE", "11 December 2025", "2025-12-11"),
    ("r_en", "GPE", "Shenzhen", "Shenzhen"),
    ("r_en", "GPE", "HONG  KONG", "Hong Kong"),
    # zht: Traditional vs Simplified, width, short names not fuzzy-matched
    ("r_zht", "ORG", "養和醫療集團", "养和医疗集团"),
    ("r_zht", "ORG", "医管局", "医管局"),
    ("r_zht", "ORG", "港大學", "港大学"),  # 3 characters: no fuzzy match with 港大
    ("r_zht", "ORG", "HKSH", "HKSH"),
    ("r_zht", "PERSON", "李維達醫生", "李维达医生"),
    ("r_zht", "DISEASE", "癌", "癌"),
    # zhs: matches only through text_norm
    ("r_zhs", "ORG", "无锡人民医院", "无锡市人民医院"),
    ("r_zhs", "DRUG", "Osimertinib", "奥希替尼"),
    ("r_dev", "ORG", "Queen Mary Hospital (QMH)", "Queen Mary Hospital"),
    ("r_extra", "ORG", "Not Scored Hospital", "Not Scored Hospital"),
]

RELATIONS = [
    # partnership given tail-first: symmetric, so it matches
    ("r_en", "partnership", "Cancer Hospital Chinese Academy of Medical Sciences Shenzhen Hospital", "HKSH Medical Group", None),
    ("r_en", "role", "Lee Wai-tat", "HKSH Medical Group", "CEO"),
    ("r_en", "role", "Wang Lvhua", "Some Other Hospital", "President"),  # gold org None: any org matches
    ("r_en", "role", "Lee Wai-tat", None, "Director"),  # duplicate person: a false positive
    ("r_en", "located_in", "Hong Kong", "HKSH Medical Group", None),  # not symmetric: no match
    ("r_en", "acquisition", "A", "B", None),  # a type the scorer does not know: ignored
    ("r_zht", "partnership", "中国医学科学院肿瘤医院深圳医院", "养和医疗集团", None),
    ("r_zht", "role", "李维达", "养和", "行政总裁"),  # org too short and different: no match
    ("r_zht", "subsidiary_of", "養和醫院", "養和醫療集團", None),
    ("r_zhs", "partnership", "无锡市人民医院", "阿斯利康（中国）", None),  # 80 < 90: no match
]


def write_tables(out: Path, alignments: list[tuple[str, str]]) -> None:
    t = Tables()
    t.releases = pd.DataFrame(
        [
            {"release_id": rid, "source_path": src, "lang": "zh" if "zh" in src else "en", "clean_text": "..."}
            for rid, src in RELEASES.items()
        ]
    )
    t.entities = pd.DataFrame(
        [
            {
                "release_id": rid,
                "entity_id": f"e{i}",
                "label": label,
                "text": text,
                "text_norm": norm,
                "mentions": [[0, 1]],
                "aliases": [],
                "source": "model",
                "score": 0.9,
            }
            for i, (rid, label, text, norm) in enumerate(ENTITIES)
        ]
    )
    t.relations = pd.DataFrame(
        [
            {
                "release_id": rid,
                "type": typ,
                "head": head,
                "tail": tail,
                "head_id": "e0",
                "tail_id": None if tail is None else "e1",
                "date": date(2025, 12, 11) if typ == "partnership" else None,
                "title": title,
                "evidence": "...",
                "score": 0.8,
            }
            for rid, typ, head, tail, title in RELATIONS
        ]
    )
    t.alignments = pd.DataFrame([{"en_release_id": e, "zh_release_id": z, "score": 0.9} for e, z in alignments])
    t.write(out)


@pytest.fixture
def case(tmp_path):
    out = tmp_path / "extracted"
    write_tables(out, [("r_en", "r_zht"), ("r_extra", "r_zhs")])
    gold = _jsonl(tmp_path / "gold.jsonl", GOLD)
    pairs = _jsonl(
        tmp_path / "pairs.jsonl", [{"en": "en_hksh_mou", "zh": "zht_hksh_mou"}, {"en": "dev_en_007", "zh": "zhs_wuxi"}]
    )
    docs = _jsonl(
        tmp_path / "docs.jsonl",
        [
            {"id": "en_hksh_mou", "lang": "en", "pair": "p1"},
            {"id": "zht_hksh_mou", "lang": "zh", "pair": "p1"},
            {"id": "zhs_wuxi", "lang": "zh", "pair": "p2"},
            {"id": "dev_en_007", "lang": "en", "pair": "p2"},
            {"id": "en_never_extracted", "lang": "en", "pair": None},
        ],
    )
    return out, gold, pairs, docs


@pytest.mark.parametrize("lang", [None, "en", "zh"])
@pytest.mark.parametrize("pairs_file", [None, "pairs", "docs"])
def test_agrees_with_the_reference_scorer_number_for_number(case, lang, pairs_file):
    out, gold, pairs, docs = case
    pairs_path = {"pairs": pairs, "docs": docs}.get(pairs_file)
    args = [out, gold] + ([pairs_path] if pairs_path else []) + ["--json"] + ([f"--lang={lang}"] if lang else [])
    code, printed = run_reference(*args)
    assert code == 0
    expected = json.loads(printed)
    ours = evaluate(Tables.read(out), read_jsonl(gold), read_jsonl(pairs_path) if pairs_path else None, lang=lang)
    assert {k: v for k, v in ours.items() if k in expected} == expected
    assert set(ours) - set(expected) == {"_gold_releases"}


def test_the_case_covers_what_it_claims(case):
    """Hand-counted: so an agreement with the reference is not two scorers matching nothing."""
    out, gold, pairs, _ = case
    s = evaluate(Tables.read(out), read_jsonl(gold), read_jsonl(pairs))
    assert (s["partnership"]["tp"], s["partnership"]["gold"], s["partnership"]["pred"]) == (2, 3, 3)  # symmetric
    assert (s["role"]["tp"], s["role"]["gold"], s["role"]["pred"]) == (2, 3, 4)  # org None matched any org
    assert (s["located_in"]["tp"], s["subsidiary_of"]["tp"]) == (0, 1)
    assert s["REL*"]["pred"] == 9  # the unknown type is not counted
    # ORG: HKSH (the), CAMS (fuzzy), 養和 (Trad vs Simp), 醫管局, ＨＫＳＨ (width), 无锡市人民医院 and QMH (text_norm);
    # not 港大; the release outside gold is not counted
    assert (s["ORG"]["tp"], s["ORG"]["gold"], s["ORG"]["pred"]) == (7, 9, 9)
    assert (s["ENT*"]["tp"], s["ENT*"]["gold"], s["ENT*"]["pred"]) == (12, 16, 16)
    assert (s["PERSON"]["tp"], s["DATE"]["tp"], s["DRUG"]["tp"], s["MONEY"]["tp"], s["DISEASE"]["tp"]) == (2, 1, 1, 0, 0)
    assert (s["GPE"]["tp"], s["GPE"]["pred"]) == (1, 2)
    assert s["ALIGN"] == {"p": 0.5, "r": 0.5, "f": 0.5, "tp": 1, "gold": 2, "pred": 2}
    assert (s["_missing_releases"], s["_gold_releases"]) == (1, 5)


def test_text_report_is_the_reference_report(case):
    out, gold, pairs, _ = case
    code, printed = run_reference(out, gold, pairs)
    assert code == 0
    ours = format_report(evaluate(Tables.read(out), read_jsonl(gold), read_jsonl(pairs)))
    assert ours.splitlines() == printed.splitlines()


def test_no_alignments_table_and_no_entities(tmp_path):
    """Tables written by a pipeline without corpus stages or NER yet: both score zero alike."""
    out = tmp_path / "extracted"
    write_tables(out, [])
    for name in ("entities", "relations", "alignments"):
        (out / f"{name}.parquet").unlink()
    gold = _jsonl(tmp_path / "gold.jsonl", GOLD)
    pairs = _jsonl(tmp_path / "pairs.jsonl", [{"en": "en_hksh_mou", "zh": "zht_hksh_mou"}])
    expected = json.loads(run_reference(out, gold, pairs, "--json")[1])
    ours = evaluate(Tables.read(out), read_jsonl(gold), read_jsonl(pairs))
    assert {k: v for k, v in ours.items() if k in expected} == expected
    assert ours["ENT*"]["tp"] == 0 and ours["ENT*"]["gold"] == 16 and ours["ALIGN"]["gold"] == 1


@pytest.mark.parametrize(
    "a, b, expected",
    [
        ("養和醫療集團", "养和医疗集团", True),
        ("ＨＫＳＨ Medical Group", "hksh medical group", True),
        ("The Hong Kong Sanatorium & Hospital", "Hong Kong Sanatorium Hospital", True),
        ("港大", "港大學", False),
        ("", "", False),
        (None, "x", False),
        (float("nan"), "nan", False),
    ],
)
def test_same(a, b, expected):
    assert same(a, b) is expected
    assert reference_scorer().same(a, b) is expected


def test_conform_leaves_out_the_gold_entities_schema_excludes():
    from pipeline.evaluate import conform

    gold = [
        {
            "id": "en_x",
            "lang": "en",
            "entities": [
                {"label": "ORG", "text": "Global Times"},
                {"label": "ORG", "text": "Evergreen Hospital"},
                {"label": "GPE", "text": "Times Square"},
            ],
        },
        {
            "id": "zht_x",
            "lang": "zh",
            "entities": [{"label": "ORG", "text": "大公報"}, {"label": "ORG", "text": "常青醫院"}],
            "relations": [
                {"type": "role", "person": "莫思年", "title": "記者", "org": "大公報"},
                {"type": "role", "person": "陳然", "title": "記者", "org": None},
                {"type": "role", "person": "李明", "title": "院長", "org": "常青醫院"},
            ],
        },
    ]
    out = conform(gold)
    assert [r["person"] for r in out[1]["relations"]] == ["李明"]
    assert [e["text"] for e in out[0]["entities"]] == ["Evergreen Hospital", "Times Square"]
    assert [e["text"] for e in out[1]["entities"]] == ["常青醫院"]
    assert len(gold[0]["entities"]) == 3  # the input is not changed
