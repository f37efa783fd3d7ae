"""relation types: each is one module over the shared skeleton plus one data file; the data files load
and every rule in them compiles; a new type written as one module and one data file shows in the output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import spacy
from spacy.matcher import Matcher

from pipeline.labels import RELATION_ARGUMENT_LABELS, RELATION_TYPES
from pipeline.relations import RelationExtractor
from pipeline.relations.chinese import compile_zh
from pipeline.relations.common import Fact
from pipeline.relations.types import load
from pipeline.relations.types.base import REGISTRY, Reading, RelationType, Rules, Sentence, compose, relation_type
from tests.test_relate import release

RULE_KINDS = ("regex", "words", "matcher")


def _shipped_rules() -> list[Rules]:
    return [Rules.shipped(name) for name in sorted(load())] + [Rules.shipped("english_units")]


def test_the_shipped_types_are_the_labels_list_each_with_its_own_module():
    types = load()
    assert set(types) == set(RELATION_TYPES)
    modules = {cls.__module__ for cls in types.values()}
    assert len(modules) == len(types) and all(m.startswith("pipeline.relations.types.") for m in modules)
    for cls in types.values():
        assert cls.pairs and all(
            h in RELATION_ARGUMENT_LABELS and (t is None or t in RELATION_ARGUMENT_LABELS) for h, t in cls.pairs
        )


@pytest.mark.parametrize("rules", _shipped_rules(), ids=lambda r: r.path)
def test_every_data_file_loads_says_its_source_and_every_rule_compiles(rules: Rules):
    assert "Source:" in rules.source, f"{rules.path} has no # Source: line"
    assert rules.rows
    matcher = Matcher(spacy.blank("en").vocab, validate=True)
    for row in rules.rows:
        assert row.get("lang") in ("en", "zh"), row
        assert sum(k in row for k in RULE_KINDS) == 1, row
        if "regex" in row:
            rx = compile_zh(row["pattern"]) if row["lang"] == "zh" else re.compile(row["pattern"])
            assert "${" not in rx.pattern
            if "head" in row:  # a whole rule: its argument groups exist, and it scores and names itself
                for spec in (row["head"], row["tail"]):
                    groups = [] if spec == "org_before" else spec if isinstance(spec, list) else [spec]
                    assert all(1 <= g <= rx.groups for g in groups), row
                assert 0.0 < row["score"] <= 1.0 and row["rule"]
        elif "words" in row:
            assert row["list"] and all(isinstance(w, str) and w for w in row["list"])
        else:
            matcher.add(row["matcher"], [row["pattern"]])  # validate=True: a malformed pattern raises
    assert len({(r["lang"], k, r[k]) for r in rules.rows for k in ("regex", "words") if k in r}) == sum(
        "regex" in r or "words" in r for r in rules.rows
    ), f"{rules.path}: a rule name is used twice"


def test_a_chinese_placeholder_the_reader_does_not_know_is_an_error():
    with pytest.raises(KeyError, match="NOPE"):
        compile_zh("${ORG}${NOPE}")


def test_types_run_after_the_types_they_need_and_unknown_names_are_errors():
    assert [t.name for t in compose(["partnership", "located_in", "role"])] == ["role", "partnership", "located_in"]
    with pytest.raises(KeyError, match="founded_by"):
        compose(["role", "founded_by"])


FOUNDED_BY = """\
# founded_by: a relation type written for this test (ORG -> PERSON who founded it).
# Source: written for tests/test_relation_types.py.
{"lang": "en", "words": "founded", "list": %s}
{"lang": "zh", "regex": "founder", "pattern": "(${PER})(?:先生|博士)?(?:创办|创立)(?:了)?(${ORG})", \
"head": 2, "tail": 1, "score": 0.9, "rule": "zh-founded"}
"""


def _founded_by_type(data: Path) -> type[RelationType]:
    """The whole of a new type's module: its class, an English finder over units, and its data file;
    the Chinese finder is the skeleton's (the data file's whole-rule regexes)."""

    class FoundedBy(RelationType):
        name = "founded_by"
        pairs = (("ORG", "PERSON"),)
        data_path = data

        def english(self, reading: Reading, sent: Sentence) -> list[Fact]:
            us, founded = sent.units, self.rules.words("en", "founded")
            return [
                Fact(self.name, us[i].mention.entity, us[i + 4].mention.entity, sent.span, 0.9, rule="founded-by")
                for i in range(len(us) - 4)
                if us[i].kind == "ORG"
                and us[i + 1].is_("was")
                and us[i + 2].low in founded
                and us[i + 3].is_("by")
                and us[i + 4].kind == "PERSON"
            ]

    return FoundedBy


@pytest.fixture
def founded_by(tmp_path: Path):
    def register(words: str) -> None:
        data = tmp_path / "founded_by.jsonl"
        data.write_text(FOUNDED_BY % words, "utf-8")
        REGISTRY.pop("founded_by", None)
        relation_type(_founded_by_type(data))

    yield register
    REGISTRY.pop("founded_by", None)


EN_TEXT = (
    "Hong Kong Sanatorium & Hospital was founded by Li Shu-fan in 1922. "
    "Hong Kong Sanatorium & Hospital signed a memorandum of understanding with Shenzhen Cancer Hospital."
)
EN_ENTS = {"ORG": ["Hong Kong Sanatorium & Hospital", "Shenzhen Cancer Hospital"], "PERSON": ["Li Shu-fan"]}
ZH_TEXT = "李树芬创办了养和医院。养和医院与深圳市肿瘤医院签署合作协议。"
ZH_ENTS = {"ORG": ["养和医院", "深圳市肿瘤医院"], "PERSON": ["李树芬"]}


@pytest.mark.parametrize(
    ("text", "ents", "founded"),
    [
        (EN_TEXT, EN_ENTS, ("Hong Kong Sanatorium & Hospital", "Li Shu-fan")),
        (ZH_TEXT, ZH_ENTS, ("养和医院", "李树芬")),
    ],
    ids=["en", "zh"],
)
def test_a_new_type_is_one_module_and_one_data_file(founded_by, text, ents, founded):
    founded_by('["founded", "established"]')
    shipped = RelationExtractor(min_score=0.5)(release(text, ents, {}))
    rels = RelationExtractor(min_score=0.5, types=(*RELATION_TYPES, "founded_by"))(release(text, ents, {}))

    assert [(r.head, r.tail) for r in rels if r.type == "founded_by"] == [founded]
    assert all(r.evidence in text for r in rels)
    # the shipped types read the same with the new one beside them, and it is not there unless named
    assert [r for r in rels if r.type != "founded_by"] == shipped
    assert any(r.type == "partnership" for r in shipped) and not any(r.type == "founded_by" for r in shipped)


def test_the_new_types_english_words_come_from_its_data_file(founded_by):
    founded_by('["established"]')
    rels = RelationExtractor(min_score=0.5, types=("founded_by",))(release(EN_TEXT, EN_ENTS, {}))
    assert not rels  # `founded` is no longer in the list
    rels = RelationExtractor(min_score=0.5, types=("founded_by",))(
        release(EN_TEXT.replace("founded", "established"), EN_ENTS, {})
    )
    assert [(r.type, r.head, r.tail) for r in rels] == [("founded_by", "Hong Kong Sanatorium & Hospital", "Li Shu-fan")]
