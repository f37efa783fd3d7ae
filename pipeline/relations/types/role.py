"""role: a PERSON holds a title at an ORG (or a title with no organisation).

English, over the units of a sentence: `PERSON, TITLE of ORG [and TITLE of ORG]`, `PERSON, ORG TITLE`,
`TITLE of ORG, PERSON`, `ORG('s) TITLE PERSON`, `TITLES A, B and C [of ORG]`, `TITLE PERSON`. Chinese,
over sketches: title chains `ORG单位TITLE、ORG TITLE PERSON`, `ORG PERSON TITLE`, `记者PERSON` (the
agency of the dateline). Reading a title also reads `Head of ITR, HKSTP`: the unit is a subsidiary_of
its parent (those facts come from here, in the role facts' order).

Data (pipeline/lang/rel/role.jsonl): the Chinese regexes, the English regexes on titles and
organisation names, the head words. Code: the walk over units and the title chains, which move
backwards and forwards through a sentence and are not one match each.
"""

from __future__ import annotations

import re
from functools import cache

from pipeline import lang
from pipeline.labels import ROLE
from pipeline.ner import lexicon
from pipeline.relations.chinese import Sketch, end_pos, is_org, is_person, title_core
from pipeline.relations.chinese import skip_paren as skip_zh_paren
from pipeline.relations.common import Doc, Fact
from pipeline.relations.english import Unit, skip_paren
from pipeline.relations.types.base import Reading, RelationType, Rules, Sentence, relation_type
from pipeline.release import Entity
from pipeline.text.chars import subsequence_gap
from pipeline.text.hans import to_hans

RULES = Rules.shipped(ROLE)
HONORIFICS = {
    form
    for r in lang.table("en", "honorifics")
    if r["relations"] == "1"
    for form in (r["honorific"].lower(), *([r["honorific"].lower() + "."] if r["dotted"] == "1" else []))
}
# word lists that are data: pipeline/lang/en/*.tsv, each with its source
DEGREES = lang.words("en", "post_nominals")
# a title ending like this points back to an organisation named elsewhere ("president of the hospital")
ANAPHORIC = re.compile(RULES.pattern("en", "anaphoric_title"), re.I)
# An organisation's governing body: a role in it is a role at the organisation.
_ORGAN = RULES.pattern("en", "governing_body")
ORGAN = re.compile(rf"(?:the\s+)?(?:CPC\s+|Communist Party\s+)?{_ORGAN}", re.I)
ORGAN_OF = re.compile(rf"(?:the\s+)?{_ORGAN}\s+of\s+(?:the\s+)?(?P<org>.+)", re.I)
# organisations that are parts of the one after them: folded into the title ("Dean of the Faculty of Engineering of PolyU")
UNIT_ORG = re.compile(RULES.pattern("en", "unit_org"), re.I)
# `authority chairman Anthony Wu`: head words that name the release's one organisation ending in them
ANAPHOR_HEADS = RULES.words("en", "anaphor_heads")
CAPTION = "role-caption"  # Reading.keep: the person of a caption line whose sentence ended at a semicolon


@relation_type
class Role(RelationType):
    """PERSON -> ORG with the title as written; a title read without organisation has no tail."""

    name = ROLE
    pairs = (("PERSON", "ORG"), ("PERSON", None))

    def english(self, reading: Reading, sent: Sentence) -> list[Fact]:
        assert reading.reader is not None, "an English pass has its reader"
        return self._roles(reading.doc, sent.span, sent.units, reading.reader.plural_titles)

    def chinese(self, reading: Reading, sent: Sentence) -> list[Fact]:
        sk = sent.sketch
        assert sk is not None, "a Chinese sentence has its sketch"
        facts, role_orgs = self._zh_roles(reading.doc, sk)
        # a caption's next part after a semicolon is read as a sentence of its own: `;熊本大学医院副院长`
        carried: list[Entity] = reading.keep(CAPTION)
        if carried and not any(is_person(ch) for ch in sk.chars):
            facts += self._caption_parts(reading.doc, sk, 0, carried[-1], role_orgs)
        elif not any(f.rule == "zh-caption" for f in facts):
            carried.clear()
        captions = [f for f in facts if f.rule == "zh-caption"]
        carried[:] = [captions[-1].head] if captions and sk.chars.rstrip().endswith((";", "；")) else []
        sent.marks["role_orgs"] = role_orgs
        return facts

    def _roles(self, doc: Doc, span: tuple[int, int], us: list[Unit], plural_titles: set[str]) -> list[Fact]:
        facts: list[Fact] = []
        used: set[int] = set()

        def add(p: int, title: str, org: Unit | None, score: float, rule: str) -> None:
            title = title.strip(" ,")
            if org is None and ANAPHORIC.search(title):
                return
            tail = org.mention.entity if org and org.mention else None
            if tail is not None and (parent := _organ_parent(doc, tail)) is not None:
                tail = parent  # Chairman of the Board of Directors of X: a role at X
            facts.append(Fact("role", us[p].entity, tail, span, score, title=title, rule=rule))

        # after the name: PERSON (..), [M.D.,] [the] TITLE of ORG [and TITLE of ORG] / PERSON, ORG TITLE
        for p, u in enumerate(us):
            if u.kind != "PERSON":
                continue
            j = skip_paren(us, p + 1)
            if j < len(us) and us[j].is_(","):
                j += 1
            while j + 1 < len(us) and us[j].low.rstrip(",") in DEGREES and us[j + 1].is_(","):
                j += 2
            if j < len(us) and us[j].is_("the", "a", "an"):
                j += 1
            if j < len(us) and us[j].kind == "TITLE" and not _title_before_person(us, j):
                while j < len(us) and us[j].kind == "TITLE":
                    title, org, nxt = self._title_org(us, j, doc, span, facts)
                    used.add(j)
                    add(p, title, org, 0.9 if org else 0.6, "post")
                    if nxt < len(us) and us[nxt].is_("and", ",", "&") and nxt + 1 < len(us):
                        k = nxt + 1 + (us[nxt + 1].is_("the"))
                        if k < len(us) and us[k].kind == "TITLE" and (org is not None or us[nxt].is_("and")):
                            j = k
                            continue
                    break
            elif j + 1 < len(us) and us[j].kind == "ORG":
                k = j + 1 + (us[j + 1].is_("'s", "’s"))
                if k < len(us) and us[k].kind == "TITLE" and (k + 1 >= len(us) or us[k + 1].kind != "PERSON"):
                    used.add(k)
                    add(p, us[k].text, us[j], 0.85, "post-org-title")

        # a plural title before a list of names: TITLES A, B and C [of ORG] / ORG('s) TITLES A and B
        listed: set[int] = set()
        for t, u in enumerate(us):
            last = u.text.split()[-1].lower() if u.kind == "TITLE" and u.text.split() else ""
            people = _person_list(us, t + 1) if last in plural_titles and t not in used else []
            if len(people) < 2:
                continue
            after = people[-1] + 1
            q = after + 1 + (after + 1 < len(us) and us[after + 1].is_("the"))
            org = us[q] if after < len(us) and us[after].is_("of", "at") and q < len(us) and us[q].kind == "ORG" else None
            b = t - 1 - (t >= 2 and us[t - 1].is_("'s", "’s"))
            if org is None and b >= 0 and us[b].kind == "ORG":
                org = us[b]
            used.add(t)
            listed.update(people)
            for p in people:
                add(p, u.text, org, 0.85 if org else 0.6, "title-person-list")

        # before the name: TITLE of ORG, PERSON / ORG('s) TITLE, PERSON / TITLE PERSON
        for p, u in enumerate(us):
            if u.kind != "PERSON" or p in listed:
                continue
            k = p - 1
            while k >= 0 and us[k].kind == "W" and us[k].low in HONORIFICS:
                k -= 1
            if k >= 0 and us[k].is_(","):
                k -= 1
            if k < 0:
                continue
            # the nearest free title whose phrase (with its "of ..." and organisation) ends at k
            for t in range(k, max(k - 14, -1), -1):
                if us[t].kind == "PERSON" or (us[t].is_(";", "and") and t < k):
                    break
                if us[t].kind != "TITLE" or t in used:
                    continue
                title, org, nxt = self._title_org(us, t, doc, span, [])
                if nxt != k + 1 and t != k:
                    continue
                if t == k:
                    title, org = us[t].text, None
                used.add(t)
                b = t - 1
                if b >= 0 and us[b].is_("'s", "’s"):
                    b -= 1
                if org is not None:
                    self._title_org(us, t, doc, span, facts)
                    add(p, title, org, 0.85, "title-of-org-person")
                elif b >= 0 and us[b].kind == "ORG":
                    add(p, title, us[b], 0.85, "org-title-person")
                elif b >= 0 and us[b].kind == "GPE":
                    add(p, f"{us[b].text} {title}", None, 0.6, "title-person")
                elif b >= 0 and us[b].kind == "W" and (named := _named_by_head(doc, us[b].low)) is not None:
                    # `authority chairman Anthony Wu`: the one organisation of the release with that head word
                    facts.append(Fact("role", us[p].entity, named, span, 0.7, title=title, rule="head-title-person"))
                elif (inherited := _same_office_before(us, b, title, facts)) is not None:
                    # `UM Rector Yonghua Song and Vice Rector Xu Jian`: the deputy of the same office
                    facts.append(Fact("role", us[p].entity, inherited, span, 0.7, title=title, rule="title-person-inherit"))
                else:
                    add(p, title, None, 0.6, "title-person")
                break
        facts += _chaired_by(doc, span, us)
        # Secretary of the Party Committee and Chairman of X: the committee is X's
        for f in facts:
            if f.tail is not None and ORGAN.fullmatch(f.tail.text_norm or f.tail.text):
                other = next(
                    (
                        g.tail
                        for g in facts
                        if g.head is f.head and g.tail is not None and not ORGAN.fullmatch(g.tail.text_norm or g.tail.text)
                    ),
                    None,
                )
                if other is not None:
                    f.tail = other
        return facts

    def _title_org(
        self, us: list[Unit], j: int, doc: Doc, span: tuple[int, int], facts: list[Fact]
    ) -> tuple[str, Unit | None, int]:
        """From a title unit at j: the title as written, its organisation (or None) and the next index."""
        title = us[j].text
        k = j + 1
        # "of the Department of General Surgery" stays in the title; "of the National Cancer Center" names the org
        ext_end = k
        while True:
            if ext_end < len(us) and us[ext_end].is_("of", "for", "in"):
                q = ext_end + 1 + (ext_end + 1 < len(us) and us[ext_end + 1].is_("the"))
                if q < len(us) and us[q].kind in ("ORG", "GPE", "PERSON"):
                    break
                r = q
                while (
                    r < len(us)
                    and us[r].kind == "W"
                    and us[r].pos in ("PROPN", "NOUN", "ADJ", "ADP", "DET", "CCONJ", "NUM")
                    and not us[r].is_("of", "at", "and", ",", "said", "says", "in")
                ):
                    r += 1
                if r == q or r - q > 8:
                    break
                title = doc.text[us[j].start : us[r - 1].end]
                ext_end = r
                continue
            break
        k = ext_end
        org = None
        if k < len(us) and us[k].is_("of", "at", "for", ","):
            q = k + 1 + (k + 1 < len(us) and us[k + 1].is_("the"))
            if q < len(us) and us[q].kind == "ORG" and not (us[k].is_(",") and q + 1 < len(us) and us[q + 1].kind == "TITLE"):
                org = us[q]
                k = q + 1
                # a department is part of the title: "Dean of the Faculty of Engineering of PolyU"
                while UNIT_ORG.match(org.text) and k < len(us) and us[k].is_("of", "at"):
                    q2 = k + 1 + (k + 1 < len(us) and us[k + 1].is_("the"))
                    if q2 < len(us) and us[q2].kind == "ORG":
                        title = doc.text[us[j].start : us[k - 1].end]
                        org = us[q2]
                        k = q2 + 1
                    else:
                        break
                # "of the NHC", "of Shenzhen Municipality" after the organisation: its parent or place
                while (
                    k + 1 < len(us)
                    and us[k].is_("of")
                    and (
                        us[k + 1].kind in ("ORG", "GPE")
                        or (k + 2 < len(us) and us[k + 1].is_("the") and us[k + 2].kind in ("ORG", "GPE"))
                    )
                ):
                    k += 2 + us[k + 1].is_("the")
                # "Head of ITR, HKSTP (first from left)": the unit, then its parent
                listed = k + 2 < len(us) and (
                    us[k + 2].is_("and", "&")
                    or (us[k + 2].is_(",") and k + 3 < len(us) and (us[k + 3].kind == "ORG" or us[k + 3].is_("and")))
                )
                if k + 1 < len(us) and us[k].is_(",") and us[k + 1].kind == "ORG" and not listed:
                    facts.append(Fact("subsidiary_of", org.entity, us[k + 1].entity, span, 0.6, rule="title-of-unit-parent"))
                    k += 2
        return title, org, k

    def _zh_roles(self, doc: Doc, sk: Sketch) -> tuple[list[Fact], set[int]]:
        rx = RULES.zh
        s = sk.chars
        facts: list[Fact] = []
        role_orgs: set[int] = set()  # sketch indices of organisations used in a title
        by_person: dict[int, list[Fact]] = {}
        for pi, ch in enumerate(s):
            if not is_person(ch):
                continue
            person = sk.entity_at(pi)
            left = s[:pi].rstrip(" ")
            segs: list[tuple[int | None, int, int]] = []  # (org sketch index, title start, title end)
            end = len(left)
            while True:
                m = rx["seg_end"].search(left[:end])
                if not m:
                    break
                org_i = m.start(1) if m.group(1) else None
                segs.append((org_i, m.start(2), m.end(2)))
                c = rx["conn_end"].search(left[: m.start()])
                if not c or m.start() == 0:
                    break
                end = c.start()
            found: list[Fact] = []
            if segs:
                segs.reverse()
                # titles listed after an organisation belong to it: 联合医务主席、行政总裁及执行董事
                current_org = None
                groups: list[list] = []
                for org_i, ts, te in segs:
                    if org_i is not None or not groups:
                        current_org = org_i
                        groups.append([current_org, ts, te])
                    else:
                        groups[-1][2] = te
                for org_i, ts, te in groups:
                    title = doc.text[sk.pos[ts] : end_pos(sk, te)]
                    org = sk.entity_at(org_i) if org_i is not None else None
                    if org_i is not None:
                        org = self._unit_org(sk, org_i)
                        role_orgs.add(org_i)
                    else:
                        org, title = _org_in_title(doc, title, sk.pos[ts])
                    found.append(Fact("role", person, org, sk.span, 0.9 if org else 0.55, title=title, rule="zh-pre"))
                # 宋清及总经理韩跃伟: a bare title after another person's title at an organisation
                if groups and groups[0][0] is None and found[0].tail is None:
                    c = rx["conn_end"].search(left[: segs[0][1]])
                    before = left[: c.start()] if c else ""
                    before = rx["honorific_end"].sub("", before)
                    if c and before and is_person(before[-1]):
                        prev = by_person.get(len(before) - 1, [])
                        orgs = [f.tail for f in prev if f.tail is not None]
                        if orgs:
                            found[0].tail = orgs[-1]
                            found[0].score = 0.7
                            found[0].rule = "zh-inherit"
                # 高雄医学大学近年……，校长余明隆: a bare title in a sentence whose subject holds it
                if found[0].tail is None and found[0].title is not None:
                    subject = _zh_subject_org(sk, pi, found[0].title)
                    if subject is not None:
                        found[0].tail = subject
                        found[0].score = 0.7
                        found[0].rule = "zh-subject"
                # 记者陈然: the reporter works for the agency in the dateline
                for f in found:
                    if f.tail is None and f.title is not None and f.title.endswith("记者"):
                        # 人民网香港12月18日电(记者陈然) / 【大公报讯】记者莫思年
                        head = s[: segs[0][1]]
                        om = list(rx["dateline_agency"].finditer(head))
                        if om:
                            f.tail = sk.entity_at(om[-1].start(1))
                            f.score = 0.7
            # after the name: 中国医学科学院肿瘤医院深圳医院王绿化院长 / 华润集团傅育宁董事长
            m = rx["title_start"].match(s[pi + 1 :])
            if m:
                title = doc.text[sk.pos[pi + 1] : end_pos(sk, pi + 1 + m.end())]
                oi = pi - 1
                while oi >= 0 and s[oi] == " ":
                    oi -= 1
                org = None
                if oi >= 0 and "\ue000" <= s[oi] <= "\ue3ff":
                    org = sk.entity_at(oi)
                    role_orgs.add(oi)
                found.append(Fact("role", person, org, sk.span, 0.85 if org else 0.55, title=title, rule="zh-post"))
            if not found:
                found = self._zh_caption(doc, sk, pi, person, role_orgs)
            by_person[pi] = found
            facts.extend(found)
        return facts, role_orgs

    def _zh_caption(self, doc: Doc, sk: Sketch, pi: int, person: Entity, role_orgs: set[int]) -> list[Fact]:
        """A caption line `NAME[(gloss)]-ORG TITLE[;ORG TITLE]` (photo captions, delegation lists):
        one role per part between semicolons."""
        rx = RULES.zh
        s = sk.chars
        dash = rx["caption_dash"].match(s[skip_zh_paren(s, pi + 1) :])
        if not dash:
            return []
        return self._caption_parts(doc, sk, skip_zh_paren(s, pi + 1) + dash.end(), person, role_orgs)

    def _caption_parts(self, doc: Doc, sk: Sketch, at: int, person: Entity, role_orgs: set[int]) -> list[Fact]:
        """The `ORG TITLE` parts of a caption from `at`, each ending at a semicolon or the sentence's end."""
        rx = RULES.zh
        s = sk.chars
        found = []
        while at < len(s):
            m = rx["caption_title"].match(s[at:])
            if not m:
                break
            org = None
            if m.group(1):
                org = self._unit_org(sk, at + m.start(1))
                role_orgs.add(at + m.start(1))
            title = doc.text[sk.pos[at + m.start(2)] : end_pos(sk, at + m.end(2))]
            found.append(Fact("role", person, org, sk.span, 0.85 if org else 0.55, title=title, rule="zh-caption"))
            at += m.end()
            if at >= len(s) or s[at] not in ";；":
                break
            at += 1
        return found

    def _unit_org(self, sk: Sketch, oi: int) -> Entity:
        return sk.entity_at(oi)


def _org_in_title(doc: Doc, title: str, at: int) -> tuple[Entity | None, str]:
    """The organisation a Chinese title names in short before its title word, and the title without
    it: 澳大校长 (an organisation of the release abbreviated: 澳门大学), 港大校长 (a conventional short
    form, pipeline/data/ner/abbrev_zh.tsv), 该中心主任 (the last organisation before it ending in 中心)."""
    orgs = [(m, doc.text[m.start : m.end]) for m in doc.mentions if m.label == "ORG"]
    core = re.search(title_core(), title)
    anaphor = re.match(r".?[该本]", title[: core.start()] if core else "")
    if core and anaphor and core.start() > anaphor.end():
        head = title[anaphor.end() : core.start()]
        before = [m for m, name in orgs if name.endswith(head) and m.end <= at]
        if before:
            return max(before, key=lambda m: m.end).entity, title[core.start() :]
        return None, title
    for n in (3, 2):
        short, rest = title[:n], title[n:]
        if not re.search(title_core(), rest):
            continue
        full = lexicon.zh_abbreviations().get(short)
        fits = {
            m.eid: m.entity
            for m, name in orgs
            if (full is not None and name.endswith(full))
            or (
                len(name) >= n + 2
                and name[0] == short[0]
                and not name.startswith(short)
                and subsequence_gap(short, name) is not None
            )
        }
        # a name that starts with another fitting name is that one's unit (`澳门大学` / `澳门大学—...中心`)
        names = {eid: e.text_norm or e.text for eid, e in fits.items()}
        fits = {
            eid: e for eid, e in fits.items() if not any(n != names[eid] and names[eid].startswith(n) for n in names.values())
        }
        if len(fits) == 1:
            return next(iter(fits.values())), rest
    return None, title


# what may stand before a sentence's subject: a dateline (places, a date, dashes)
_DATELINE_PREFIX = re.compile(r"[\s\d年月日号,，.\-–—/:：()（）\ue800-\uebff]*")


@cache
def _title_org_heads() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """pipeline/lang/zh/title_org_heads.tsv, longest title first."""
    rows = [(r["title"], tuple(r["org_endings"].split("|"))) for r in lang.table("zh", "title_org_heads")]
    return tuple(sorted(rows, key=lambda r: -len(r[0])))


def _zh_subject_org(sk: Sketch, pi: int, title: str) -> Entity | None:
    """The organisation a sentence opens with, when it is the only one before the person at `pi`
    and its name ends as organisations holding `title` end (pipeline/lang/zh/title_org_heads.tsv)."""
    s = sk.chars
    opening = _DATELINE_PREFIX.match(s)
    first = opening.end() if opening else 0
    if first >= pi or not is_org(s[first]) or any(is_org(c) for c in s[first + 1 : pi]):
        return None
    t = to_hans(title)
    endings = next((e for head, e in _title_org_heads() if t.endswith(head)), None)
    org = sk.entity_at(first)
    name = to_hans(org.text_norm or org.text)
    return org if endings and name.endswith(endings) else None


def _named_by_head(doc: Doc, word: str) -> Entity | None:
    """The release's only organisation whose name ends in `word` (`authority` -> `Hospital
    Authority`), or None when it names none or several."""
    if word not in ANAPHOR_HEADS:
        return None
    found = {
        m.entity.entity_id: m.entity
        for m in doc.mentions
        if m.label == "ORG" and (m.entity.text_norm or m.entity.text).lower().endswith(" " + word)
    }
    return next(iter(found.values())) if len(found) == 1 else None


def _organ_parent(doc: Doc, org: Entity) -> Entity | None:
    """`Board of Directors of Sinopharm`, `University Council of UM`: the organisation the organ
    belongs to, when the release names it (as written in a mention), else None."""
    m = ORGAN_OF.fullmatch(org.text_norm or org.text)
    if m is None:
        return None
    name = m.group("org")
    return next(
        (x.entity for x in doc.mentions if x.label == "ORG" and x.entity is not org and doc.text[x.start : x.end] == name), None
    )


_CHAIRED_BY = re.compile(RULES.pattern("en", "chaired_by"), re.I)


def _chaired_by(doc: Doc, span: tuple[int, int], us: list[Unit]) -> list[Fact]:
    """`Co-chaired by A, CEO of X, and B, President of Y, the Z will ...`: a sentence opening so names
    the chairs (or heads) of its subject, the first organisation after a comma that ends the clause."""
    m = _CHAIRED_BY.match(doc.text, span[0])
    if m is None or m.end() > span[1]:
        return []
    people: list[Unit] = []
    for i, u in enumerate(us):
        if u.start < m.end():
            continue
        if u.kind == "PERSON":
            people.append(u)
        elif u.kind == "ORG" and i > 0 and (us[i - 1].is_(",") or (us[i - 1].is_("the") and i > 1 and us[i - 2].is_(","))):
            if not people:
                return []
            title = ("co-" if m.group("co") else "") + ("chair" if m.group("verb").lower() == "chaired" else "head")
            return [Fact("role", p.entity, u.entity, span, 0.75, title=title, rule="chaired-by") for p in people]
    return []


def _same_office_before(us: list[Unit], b: int, title: str, facts: list[Fact]) -> Entity | None:
    """The organisation of the person named just before `and` at `b`, when that person's title
    ends in the same word as `title` (`Rector` / `Vice Rector`), else None."""
    if b < 1 or not us[b].is_("and", ",") or us[b - 1].kind != "PERSON":
        return None
    before = us[b - 1].entity
    word = title.split()[-1].lower() if title.split() else ""
    return next(
        (
            f.tail
            for f in reversed(facts)
            if f.head is before and f.tail is not None and f.title and f.title.split()[-1].lower() == word
        ),
        None,
    )


def _person_list(us: list[Unit], j: int) -> list[int]:
    """Indices of the names listed from j: `A, B and C`, `A, B, and C` (honorifics skipped)."""
    out: list[int] = []
    while j < len(us):
        while j < len(us) and us[j].kind == "W" and us[j].low in HONORIFICS:
            j += 1
        if j >= len(us) or us[j].kind != "PERSON":
            break
        out.append(j)
        j = skip_paren(us, j + 1)
        if j < len(us) and us[j].is_(","):
            j += 1
        if j < len(us) and us[j].is_("and", "&"):
            j += 1
        elif j > out[-1] + 1 and us[j - 1].is_(","):
            continue
        else:
            break
    return out


def _title_before_person(us: list[Unit], j: int) -> bool:
    """`Deputy Mayor Yang Yang`: a title written right before a name belongs to that name."""
    k = j + 1
    while k < len(us) and us[k].kind == "W" and us[k].low in HONORIFICS:
        k += 1
    return k < len(us) and us[k].kind == "PERSON"
