"""located_in: an ORG is in a GPE.

English, over the units of a sentence: `ORG located in GPE`, `ORG in GPE`, `ORG, one of GPE's ...`,
`ORG is one of the ... in GPE`, `GPE-based ORG`, `GPE's ORG`. Chinese: `位于`, `坐落于`, `地处`, `落户`.

Data (pipeline/lang/rel/located_in.jsonl): the Chinese rules, whole (chinese.table_facts runs them:
this module has no Chinese code), and the English verbs. Code: the English walk over units.
"""

from __future__ import annotations

from pipeline.labels import LOCATED_IN
from pipeline.relations.common import Fact
from pipeline.relations.english import Unit, skip_paren
from pipeline.relations.types.base import Reading, RelationType, Rules, Sentence, relation_type

RULES = Rules.shipped(LOCATED_IN)
LOCATED_VERBS = RULES.words("en", "located_verbs")
BARE_LOCATED_VERBS = RULES.words("en", "bare_located_verbs")
BASED = RULES.words("en", "based")


@relation_type
class LocatedIn(RelationType):
    """ORG -> GPE; read both ways, the better-scored direction wins (common.merge_facts)."""

    name = LOCATED_IN
    pairs = (("ORG", "GPE"),)
    one_direction = True

    def english(self, reading: Reading, sent: Sentence) -> list[Fact]:
        span, us = sent.span, sent.units
        facts: list[Fact] = []

        def loc(org: Unit, gpe: Unit, score: float, rule: str) -> None:
            facts.append(Fact("located_in", org.entity, gpe.entity, span, score, rule=rule))

        for i, u in enumerate(us):
            if u.kind != "ORG":
                continue
            j = skip_paren(us, i + 1)
            comma = j < len(us) and us[j].is_(",")
            k = j + comma
            # ORG [,] [is] located/based in GPE[, GPE]
            if k + 2 < len(us) and us[k].is_("is", "was", "are", "being") and us[k + 1].low in LOCATED_VERBS:
                k += 1
            if k + 1 < len(us) and us[k].low in BARE_LOCATED_VERBS:
                q = k + 1
                if us[q].is_("in", "at"):
                    q += 1
                    if q < len(us) and us[q].is_("the"):
                        q += 1
                    while q < len(us) and us[q].kind == "GPE":
                        loc(u, us[q], 0.9, "located")
                        if (q + 2 < len(us) and us[q + 1].is_(",") and us[q + 2].kind == "GPE") or (
                            q + 2 < len(us) and us[q + 1].is_("in") and us[q + 2].kind == "GPE"
                        ):
                            q += 2
                        else:
                            break
                continue
            # ORG in [the|suburban] GPE
            if k + 1 < len(us) and us[k].is_("in"):
                q = k + 1
                if q < len(us) and (us[q].is_("the") or (us[q].pos == "ADJ" and us[q].text.islower())):
                    q += 1
                if q < len(us) and us[q].kind == "GPE" and (not comma or q + 1 >= len(us) or us[q + 1].is_(",", ".", ")")):
                    loc(u, us[q], 0.75, "in")
                continue
            # ORG, one of GPE's ...
            if comma and k + 2 < len(us) and us[k].is_("one") and us[k + 1].is_("of") and us[k + 2].kind == "GPE":
                loc(u, us[k + 2], 0.75, "one-of-gpe")
                continue
            # ORG is one of the ... hospitals in GPE
            if k < len(us) and us[k].is_("is", "was", "are"):
                for q in range(k + 1, min(k + 12, len(us) - 1)):
                    if us[q].kind != "W" or us[q].is_(",", ".", ";", "and", "with", "by", "from", "to"):
                        break
                    if us[q].is_("in") and us[q + 1 + (q + 2 < len(us) and us[q + 1].is_("the"))].kind == "GPE":
                        loc(u, us[q + 1 + us[q + 1].is_("the")], 0.7, "is-in")
                        break
            # GPE-based ORG / ORG, a GPE-based company
            for g in range(max(i - 4, 0), i):
                if us[g].kind == "GPE" and _based_after(us, g) == i:
                    loc(u, us[g], 0.85, "gpe-based")
            q = k + (k < len(us) and us[k].is_("a", "an", "the"))
            past = _based_after(us, q) if comma and q < len(us) and us[q].kind == "GPE" else 0
            if past and us[past].kind != "ORG":  # `X, Japan-based Y` describes Y
                loc(u, us[q], 0.85, "apposition-gpe-based")
            # GPE's ORG
            if i >= 2 and us[i - 1].is_("'s", "’s") and us[i - 2].kind == "GPE":
                loc(u, us[i - 2], 0.8, "gpe-possessive")
        return facts


def _based_after(us: list[Unit], g: int) -> int:
    """After a place at g, `-based` / `- based` / `-headquartered`: the index past it, else 0."""
    k = g + 1
    if k < len(us) and us[k].text in ("-", "–"):
        k += 1
    if k < len(us) and us[k].low.lstrip("-–") in BASED and (k > g + 1 or us[k].low[:1] in "-–"):
        return k + 1
    return 0
