"""subsidiary_of: a child ORG is part of (owned by, a unit of) a parent ORG.

English, over the units of a sentence: `B of/at A`, `A acquired B` (done, not planned), `A's B`,
`B, a A subsidiary`, `its B`, `A and its subsidiary, B`, `B is a joint venture between A and C`.
Chinese, over sketches: `子公司`, `旗下`, `隶属`, `已收购`, `其`, a unit written right after its parent,
and (once per release) a school named after its university.

Data (pipeline/lang/rel/subsidiary_of.jsonl): the Chinese regexes (most are whole rules that
chinese.table_facts runs) and the English words. Code: the English walk over units, the adjacency
of two Chinese names and the school-of-university test (they compare names, not one match).
"""

from __future__ import annotations

from bisect import bisect_right

from pipeline.labels import SUBSIDIARY_OF
from pipeline.relations.chinese import is_org, table_facts
from pipeline.relations.common import Doc, Fact, Mention, to_hans
from pipeline.relations.english import Unit, coordination_groups, group_after, skip_paren
from pipeline.relations.types.base import Reading, RelationType, Rules, Sentence, relation_type

RULES = Rules.shipped(SUBSIDIARY_OF)
SUBSIDIARY_NOUNS = RULES.words("en", "subsidiary_nouns")
ITS_SUBSIDIARY_NOUNS = RULES.words("en", "its_subsidiary_nouns")
POSSESSIVE_SUBSIDIARY_NOUNS = RULES.words("en", "possessive_subsidiary_nouns")
OWNERSHIP = RULES.words("en", "ownership")
COMPLETED = RULES.words("en", "completed")
ACQUISITION_ADVERBS = RULES.words("en", "acquisition_adverbs")


@relation_type
class Subsidiary(RelationType):
    """child ORG -> parent ORG; read both ways, the better-scored direction wins (common.merge_facts)."""

    name = SUBSIDIARY_OF
    pairs = (("ORG", "ORG"),)
    one_direction = True

    def english(self, reading: Reading, sent: Sentence) -> list[Fact]:
        span, us = sent.span, sent.units
        facts: list[Fact] = []
        groups = coordination_groups(us)
        group_of = {i: g for g in groups for i in g}

        def sub(child: Unit, parent: Unit, score: float, rule: str) -> None:
            if child.eid != parent.eid:
                facts.append(Fact("subsidiary_of", child.entity, parent.entity, span, score, rule=rule))

        for i, u in enumerate(us):
            if u.kind != "ORG":
                continue
            j = skip_paren(us, i + 1)
            # B of the A / B and C at A
            if j + 1 < len(us) and us[j].is_("of", "at"):
                q = j + 1 + us[j + 1].is_("the")
                if q < len(us) and us[q].kind == "ORG":
                    prev = i - 1
                    if prev >= 0 and us[prev].is_("the"):
                        prev -= 1
                    after_title = prev >= 0 and us[prev].is_("of") and prev >= 1 and us[prev - 1].kind == "TITLE"
                    members = group_of.get(i, [i]) if us[j].is_("at") else [i]
                    for c in members:
                        sub(us[c], us[q], 0.75 if not after_title else 0.7, "of-at")
            # A [has] acquired B / A [has] completed the acquisition of B (done, not `will acquire`)
            k = j + (j < len(us) and us[j].is_("has", "have", "had"))
            k += k < len(us) and us[k].is_(*ACQUISITION_ADVERBS)
            if (
                k < len(us)
                and us[k].low in COMPLETED
                and k + 3 < len(us)
                and us[k + 1].is_("the", "its")
                and us[k + 2].low == "acquisition"
                and us[k + 3].is_("of")
            ):
                k += 3
            if k < len(us) and (us[k].low == "acquired" or (k > j and us[k].is_("of") and us[k - 1].low == "acquisition")):
                q = k + 1 + (k + 1 < len(us) and us[k + 1].is_("the"))
                if q < len(us) and us[q].kind == "ORG":
                    sub(us[q], u, 0.8, "acquired")
            # A's B
            if j + 1 < len(us) and us[j].is_("'s", "’s") and us[j + 1].kind == "ORG":
                sub(us[j + 1], u, 0.7, "possessive")
            # B, a A subsidiary / B, a subsidiary of A / B is a wholly-owned subsidiary of A
            k = j
            if k < len(us) and us[k].is_(",", "is", "was", "are", "being"):
                k += 1
                parent = None
                if k < len(us) and us[k].is_("its", "their"):  # B, its subsidiary: the organisation before B
                    parent = next((x for x in reversed(us[:i]) if x.kind == "ORG" and x.eid != u.eid), None)
                    k += 1
                elif k < len(us) and us[k].is_("a", "an", "the"):
                    k += 1
                k = _skip_ownership(us, k)
                if parent is None and k < len(us) and us[k].kind == "ORG":
                    parent, k = us[k], k + 1
                if k < len(us) and us[k].low in SUBSIDIARY_NOUNS:
                    k += 1
                    if parent is None and k + 1 < len(us) and us[k].is_("of") and us[k + 1].kind == "ORG":
                        parent = us[k + 1]
                    elif (
                        parent is None
                        and k + 2 < len(us)
                        and us[k].is_("of")
                        and us[k + 1].is_("the")
                        and us[k + 2].kind == "ORG"
                    ):
                        parent = us[k + 2]
                    if parent is not None:
                        sub(u, parent, 0.85, "subsidiary-word")
                elif k + 1 < len(us) and us[k].kind == "KIND" and (kr := us[k].kindrow) and kr.kind == "joint venture":
                    q = k + 1
                    if q < len(us) and us[q].is_("between", "of", "by"):
                        for c in group_after(us, q + 1, group_of):
                            sub(u, us[c], 0.8, "joint-venture")
            # its B / A and its wholly-owned subsidiary, B
            if i >= 1 and us[i - 1].is_("its", "their"):
                parent = next((x for x in us[: i - 1] if x.kind == "ORG"), None)
                if parent is not None:
                    sub(u, parent, 0.7, "its")
            if j < len(us) and us[j].is_("and", ",", "with") and j + 1 < len(us) and us[j + 1].is_("its", "their"):
                k = _skip_ownership(us, j + 2)
                if k < len(us) and us[k].low in ITS_SUBSIDIARY_NOUNS:
                    k += 1 + (k + 1 < len(us) and us[k + 1].is_(","))
                    if k < len(us) and us[k].kind == "ORG":
                        sub(us[k], u, 0.85, "its-subsidiary")
            # A's wholly-owned subsidiary B
            if j + 2 < len(us) and us[j].is_("'s", "’s"):
                k = j + 1
                k = _skip_ownership(us, k)
                if k + 1 < len(us) and us[k].low in POSSESSIVE_SUBSIDIARY_NOUNS and us[k + 1 + us[k + 1].is_(",")].kind == "ORG":
                    sub(us[k + 1 + us[k + 1].is_(",")], u, 0.85, "possessive-subsidiary")
        return facts

    # locations ---------------------------------------------------------

    def chinese(self, reading: Reading, sent: Sentence) -> list[Fact]:
        reading.keep(SUBSIDIARY_OF).append(sent.span)
        sk = sent.sketch
        assert sk is not None, "a Chinese sentence has its sketch"
        s = sk.chars
        facts = table_facts(self, sent)

        def sub(ci: int, pi: int, score: float, rule: str) -> None:
            c, p = sk.entity_at(ci), sk.entity_at(pi)
            if c.entity_id != p.entity_id:
                facts.append(Fact("subsidiary_of", c, p, sk.span, score, rule=rule))

        # adjacency: 衞健委港澳台办公室, 香港特别行政区政府医务卫生局
        for i in range(len(s) - 1):
            if is_org(s[i]) and is_org(s[i + 1]):
                child = sk.entity_at(i + 1)
                if RULES.zh["unit_suffix"].search(child.text_norm or child.text) and not child.text_norm.endswith("医院"):
                    sub(i + 1, i, 0.45, "zh-adjacent-unit")  # below the default min_score: gold lists few
        return facts

    def finish(self, reading: Reading) -> None:
        if reading.lang == "zh":
            reading.doc.facts.extend(_faculties(reading.doc, reading.keep(SUBSIDIARY_OF)))


def _faculties(doc: Doc, sentences: list[tuple[int, int]]) -> list[Fact]:
    """`浸大中医药学院`, `香港中文大学医学院`, `港大李嘉诚医学院`: a school named after its university
    (in full or by its conventional short form) is part of it, when the release names the university.
    The evidence is the sentence (of `sentences`, the sketches' spans) of the school's first mention."""
    from pipeline.ner.lexicon import zh_abbreviations

    short = zh_abbreviations()
    first: dict[str, Mention] = {}
    for m in sorted(doc.mentions, key=lambda m: m.start):
        if m.label == "ORG":
            first.setdefault(m.eid, m)
    names = {eid: to_hans(m.entity.text_norm or m.entity.text) for eid, m in first.items()}
    universities = {names[eid]: m.entity for eid, m in first.items() if names[eid].endswith("大学")}
    starts = [a for a, _ in sentences]
    facts = []
    for eid, m in first.items():
        name = names[eid]
        if not RULES.zh["faculty"].search(name) or name in universities:
            continue
        parent = next((u for full, u in universities.items() if name.startswith(full) and len(name) > len(full)), None)
        if parent is None:
            parent = next(
                (universities[full] for abbr, full in short.items() if name.startswith(abbr) and full in universities), None
            )
        if parent is not None and parent is not m.entity:
            span = sentences[max(bisect_right(starts, m.start) - 1, 0)]
            facts.append(Fact("subsidiary_of", m.entity, parent, span, 0.7, rule="zh-faculty"))
    return facts


def _skip_ownership(us: list[Unit], k: int) -> int:
    """Past `wholly-owned`, `indirect non-wholly owned`, `listed` before `subsidiary`."""
    while k < len(us) and us[k].low in OWNERSHIP:
        k += 1
    return k
