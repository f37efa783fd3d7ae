"""The Chinese reader the relation types share: sentences of `text_hans` as sketches, and their regexes.

Each sentence is turned into a *sketch*: every entity mention becomes one private-use character
(ORG U+E000.., PERSON U+E400.., GPE U+E800..), so patterns are plain regular expressions over
characters, e.g. ORG + unit words + TITLE + PERSON for `养和医疗集团行政总裁、养和医院院长李维达医生`,
and coordination runs `X与Y、Z` followed by a signing word for partnerships. Matches map back to
entities through the sketch, and to `clean_text` through `hans_to_clean` for the evidence.

The regexes are data (each type's `pipeline/lang/rel/<type>.jsonl`), written with placeholders
`${NAME}` for what the reader and the shared tables give (`PLACEHOLDERS`); `compile_zh` fills them in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from pipeline import lang
from pipeline.relations.common import Doc, Fact, Mention, kind_table, title_table
from pipeline.text.sentences import sentence_spans

if TYPE_CHECKING:
    from pipeline.relations.types.base import RelationType, Sentence
    from pipeline.release import Entity

ORG0, PER0, GPE0 = 0xE000, 0xE400, 0xE800
ORG_C = "[\ue000-\ue3ff]"
PER_C = "[\ue400-\ue7ff]"
GPE_C = "[\ue800-\uebff]"
ANY_ENT = "[\ue000-\uebff]"
U = r"[\u4e00-\u9fffA-Za-z0-9·]"  # word characters of a unit or title ("普通外科", "发展委员会")
PAREN = r"(?:[（(][^（）()]{1,15}[）)])"


@cache
def title_core() -> str:
    heads = sorted({z for row in title_table() for z in row.zh}, key=len, reverse=True)
    mods = "|".join(r["modifier"] for r in lang.table("zh", "title_modifiers"))
    return rf"(?:(?:{mods})?(?:{'|'.join(map(re.escape, heads))}))"


def _alternation(phrases: set[str]) -> str:
    return "|".join(map(re.escape, sorted(phrases, key=len, reverse=True)))


@cache
def placeholders() -> dict[str, str]:
    """What `${NAME}` stands for in a Chinese regex of a data file: mention classes, the bracket aside,
    and alternations built from the shared tables (titles, kinds, lang/zh/signing_verbs.tsv)."""
    return {
        "ORG": ORG_C,
        "PER": PER_C,
        "GPE": GPE_C,
        "ANY": ANY_ENT,
        "U": U,
        "PAREN": PAREN,
        "TITLE": title_core(),
        "KINDS": _alternation({z for row in kind_table() for z in row.zh}),
        "STRONG_KINDS": _alternation({z for row in kind_table() if row.strong for z in row.zh}),
        "SIGNING_VERBS": "|".join(r["verb"] for r in lang.table("zh", "signing_verbs")),
    }


_PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


@cache
def compile_zh(pattern: str) -> re.Pattern:
    """A data file's Chinese regex with its `${NAME}` placeholders filled in."""
    values = placeholders()

    def fill(m: re.Match) -> str:
        if m.group(1) not in values:
            raise KeyError(f"unknown placeholder ${{{m.group(1)}}} in {pattern!r} (known: {sorted(values)})")
        return values[m.group(1)]

    return re.compile(_PLACEHOLDER.sub(fill, pattern))


def table_facts(rtype: RelationType, sent: Sentence) -> list[Fact]:
    """The facts of a type's whole-rule regex rows in one sketch, rows in file order. A row's `head` and
    `tail` name groups (one or a list: each that matched gives a fact) or `org_before` (the nearest
    organisation before the match: what 其 / 旗下 point back to)."""
    sk = sent.sketch
    assert sk is not None, "a Chinese sentence has its sketch"
    s = sk.chars
    facts: list[Fact] = []
    for row in rtype.rules.table_rules("zh"):
        for m in compile_zh(row["pattern"]).finditer(s):
            for hi in _arguments(row["head"], m, s):
                for ti in _arguments(row["tail"], m, s):
                    head, tail = sk.entity_at(hi), sk.entity_at(ti)
                    if head.entity_id != tail.entity_id:
                        facts.append(Fact(rtype.name, head, tail, sk.span, row["score"], rule=row["rule"]))
    return facts


def _arguments(spec: Any, m: re.Match, s: str) -> list[int]:
    """Sketch indices of one argument of a table rule's match."""
    if spec == "org_before":
        parent = next((x for x in range(m.start() - 1, -1, -1) if is_org(s[x])), None)
        return [] if parent is None else [parent]
    groups = spec if isinstance(spec, list) else [spec]
    return [m.start(g) for g in groups if m.group(g)]


@dataclass
class Sketch:
    span: tuple[int, int]
    chars: str
    pos: list[int]  # working-text offset of each sketch character
    ment: dict[int, Mention] = field(default_factory=dict)  # sketch index -> mention

    def mention_at(self, i: int) -> Mention | None:
        return self.ment.get(i)

    def entity_at(self, i: int) -> Entity:
        """The entity at sketch index i where a rule has matched one (an ORG, PERSON or GPE character)."""
        m = self.ment.get(i)
        assert m is not None, f"no mention at sketch index {i}"
        return m.entity


def sketches(doc: Doc) -> list[Sketch]:
    text = doc.text
    out = []
    bounds = sentence_spans(text, "zh")
    mentions = sorted(doc.mentions, key=lambda m: m.start)
    mi = 0
    for s0, e0 in bounds:
        while s0 < e0 and text[s0].isspace():
            s0 += 1
        if s0 >= e0:
            continue
        while mi < len(mentions) and mentions[mi].start < s0:
            mi += 1
        chars: list[str] = []
        pos: list[int] = []
        ment: dict[int, Mention] = {}
        k = 0
        i = s0
        j = mi
        while i < e0:
            if j < len(mentions) and mentions[j].start == i and mentions[j].end <= e0:
                m = mentions[j]
                base = {"ORG": ORG0, "PERSON": PER0, "GPE": GPE0}.get(m.label)
                if base is not None and k < 0x400:
                    ment[len(chars)] = m
                    chars.append(chr(base + k))
                    pos.append(i)
                    k += 1
                    i = m.end
                    j += 1
                    continue
                j += 1
                continue
            while j < len(mentions) and mentions[j].start < i:
                j += 1
            chars.append(text[i])
            pos.append(i)
            i += 1
        out.append(Sketch((s0, e0), "".join(chars), pos, ment))
    return out


def is_org(ch: str) -> bool:
    return "\ue000" <= ch <= "\ue3ff"


def is_person(ch: str) -> bool:
    return "\ue400" <= ch <= "\ue7ff"


def is_gpe(ch: str) -> bool:
    return "\ue800" <= ch <= "\uebff"


def is_ent(ch: str) -> bool:
    return "\ue000" <= ch <= "\uebff"


def skip_paren(s: str, j: int) -> int:
    """Index after an alias or aside in brackets at j: （下称“养和”）, (“华润健康”), (MSD)."""
    while j < len(s) and s[j] == " ":
        j += 1
    if j < len(s) and s[j] in "（(":
        depth = 0
        for k in range(j, min(j + 40, len(s))):
            if s[k] in "（(":
                depth += 1
            elif s[k] in "）)":
                depth -= 1
                if depth == 0:
                    k2 = k + 1
                    while k2 < len(s) and s[k2] == " ":
                        k2 += 1
                    return k2
    return j


def end_pos(sk: Sketch, te: int) -> int:
    """Working-text offset just after sketch index te-1 (a mention ends at its own end)."""
    i = te - 1
    m = sk.mention_at(i)
    return m.end if m else sk.pos[i] + 1
