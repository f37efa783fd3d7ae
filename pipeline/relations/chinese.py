"""Chinese relation patterns over `text_hans` (character patterns).

Each sentence is turned into a *sketch*: every entity mention becomes one private-use character
(ORG U+E000.., PERSON U+E400.., GPE U+E800..), so patterns are plain regular expressions over
characters, e.g. ORG + unit words + TITLE + PERSON for `养和医疗集团行政总裁、养和医院院长李维达医生`,
and coordination runs `X与Y、Z` followed by a signing word for partnerships. Matches map back to
entities through the sketch, and to `clean_text` through `hans_to_clean` for the evidence.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from itertools import combinations

from pipeline import lang
from pipeline.relations.common import Doc, Fact, Mention, find_dates, kind_table, nearest_date, title_table, to_hans

ORG0, PER0, GPE0 = 0xE000, 0xE400, 0xE800
ORG_C = "[\ue000-\ue3ff]"
PER_C = "[\ue400-\ue7ff]"
GPE_C = "[\ue800-\uebff]"
ANY_ENT = "[\ue000-\uebff]"
U = r"[\u4e00-\u9fffA-Za-z0-9·]"  # word characters of a unit or title ("普通外科", "发展委员会")
HON = r"(?:医生|教授|博士|先生|女士|院士|神父|主教|律师|同志|小姐|太平绅士|议员|医师|大律师|伉俪)"
CONN = r"(?:以及|、|及|和|暨|兼|与|并)"
PAREN = r"(?:[（(][^（）()]{1,15}[）)])"
SENT_SPLIT = re.compile(r"(?<=[。！？!?；;])|\n")
BARRIER = set("。！？!?；;：:\n")
WITH = ("与", "同", "跟", "和")  # "with" before an object run; inside a run only 与/同/跟 split the sides
SPLIT = ("与", "同", "跟", "牵手", "携手")
# people attending or witnessing: a run of organisations followed by these is not signing anything
ATTEND = re.compile(r"出席|见证|参加|派代表|代表团|等|嘉宾|领导|官员|一行|人员")
# word lists that are data: pipeline/lang/zh/*.tsv, each with its source
STRONG_VERBS = "|".join(r["verb"] for r in lang.table("zh", "signing_verbs"))


@cache
def title_core() -> str:
    heads = sorted({z for row in title_table() for z in row.zh}, key=len, reverse=True)
    mods = "|".join(r["modifier"] for r in lang.table("zh", "title_modifiers"))
    return rf"(?:(?:{mods})?(?:{'|'.join(map(re.escape, heads))}))"


@cache
def _regexes() -> dict[str, re.Pattern]:
    tc = title_core()
    kinds = sorted({z for row in kind_table() for z in row.zh}, key=len, reverse=True)
    strong_kinds = sorted({z for row in kind_table() if row.strong for z in row.zh}, key=len, reverse=True)
    return {
        # one title segment ending where the string ends: [ORG][(alias)] unit-words TITLE [(detail)]
        "seg_end": re.compile(rf"({ORG_C}{PAREN}?)?((?![、及和暨与以兼并]){U}{{0,8}}?{tc}{PAREN}?)$"),
        "conn_end": re.compile(rf"{CONN}$"),
        "title_start": re.compile(rf"^{tc}"),
        "kind": re.compile("|".join(map(re.escape, kinds))),
        "strong": re.compile(STRONG_VERBS + "|" + "|".join(map(re.escape, strong_kinds))),
        # 与Y合作 / 与Y开展全面合作, not the descriptive 与Y的合作
        "weak_after": re.compile(r"^(?:进行|开展|展开|深化|加强|全面|战略|深度|共同|进一步|一起|紧密|密切){0,3}合作"),
        # an agreement whose title names its parties: 《A与B合作框架协议》的签署, 签署《A和B谅解备忘录》
        # (a party written as two adjacent names, 香港特别行政区政府 + 医务衞生局, is left alone)
        "titled": re.compile(rf"《({ORG_C})(?:{PAREN})?(?:与|和|同|及)({ORG_C})(?!{ORG_C})(?:{PAREN})?[^《》]{{0,40}}?"
                             rf"(?:协议|备忘录|协定|合约|合同|意向书|协议书)(?:书)?》"),
        # subsidiaries
        "sub_word": re.compile(rf"({ORG_C})(?:{PAREN})?(?:的|之)?(?:全资|控股|直属)?(?:子公司|附属公司|附属机构|下属单位|下属机构|下属医院|下属|旗下(?:的)?(?:全资)?(?:子公司|附属公司|医院|机构)?)({ORG_C})"),
        # an acquisition stated as done (SCHEMA.md): 已收购 / 完成收购 / 完成对B的收购 / 成功收购了, not 拟收购
        "acquired": re.compile(rf"({ORG_C})(?:{PAREN})?(?:已经|已|成功|正式|今日|日前|近日)*(?:完成(?:了)?对({ORG_C})(?:的)?(?:全部|全资|控股权?)?收购"
                               rf"|(?:已经|已|成功|完成)(?:了)?收购(?:了)?({ORG_C})|收购了({ORG_C}))"),
        "sub_its": re.compile(rf"其(?:全资|控股)?(?:子公司|附属公司|附属机构|下属(?:单位|机构)?|旗下(?:的)?)({ORG_C})"),
        "sub_group_generic": re.compile(rf"(?:本集团|集团|本公司|公司)旗下(?:的)?({ORG_C})"),
        "sub_is": re.compile(rf"({ORG_C})(?:{PAREN})?(?:是|为|系|乃)({ORG_C})(?:{PAREN})?(?:的|之)(?:全资|控股|直属)?(?:子公司|附属公司|附属机构|下属单位|下属机构|成员企业|下属)"),
        "sub_belongs": re.compile(rf"({ORG_C})(?:{PAREN})?隶属(?:于)?({ORG_C})"),
        # located_in
        "loc_org_at": re.compile(rf"({ORG_C})(?:{PAREN})?(?:位于|坐落于|坐落在|地处|落户)({GPE_C})(?:[、]?({GPE_C}))?"),
        "loc_at_org": re.compile(rf"位于({GPE_C})(?:{GPE_C})?的({ORG_C})"),
    }


# units that are parts of the organisation written right before them: 衞健委港澳台办公室, 港大李嘉诚医学院
UNIT_SUFFIX = re.compile(r"(?:办公室|办|医学院|学院|研究所|研发所|研究院|研究中心|分院|分校|分中心|中心|学系|系|部|司|处|局|署|委员会|基金会)$")


@dataclass
class Sketch:
    span: tuple[int, int]
    chars: str
    pos: list[int]  # working-text offset of each sketch character
    ment: dict[int, Mention] = field(default_factory=dict)  # sketch index -> mention

    def mention_at(self, i: int) -> Mention | None:
        return self.ment.get(i)


def sketches(doc: Doc) -> list[Sketch]:
    text = doc.text
    out = []
    start = 0
    bounds = []
    for m in SENT_SPLIT.finditer(text):
        if m.start() > start:
            bounds.append((start, m.start()))
        start = m.end() if text[m.start() : m.end()] == "\n" else m.start()
    if start < len(text):
        bounds.append((start, len(text)))
    mentions = sorted(doc.mentions, key=lambda m: m.start)
    mi = 0
    for s0, e0 in bounds:
        while s0 < e0 and text[s0].isspace():
            s0 += 1
        if s0 >= e0:
            continue
        while mi < len(mentions) and mentions[mi].start < s0:
            mi += 1
        chars, pos, ment = [], [], {}
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


class ChinesePatterns:
    """Reads roles, partnerships, subsidiaries and locations from Chinese releases (on text_hans)."""

    def extract(self, doc: Doc, is_headline: Callable[[tuple[int, int]], bool] = lambda span: False) -> None:
        body_pairs: list[Fact] = []
        signing: list[tuple[Sketch, list[Fact]]] = []
        all_sketches = sketches(doc)
        for sk in all_sketches:
            roles, role_orgs = self._roles(doc, sk)
            doc.facts.extend(roles)
            pairs = self._partnerships(doc, sk, roles, role_orgs) + self._titled_agreements(doc, sk)
            if is_headline(sk.span):
                for f in pairs:
                    f.score = min(f.score, 0.7)
                    f.rule += "+headline"
            body_pairs.extend(pairs)
            doc.facts.extend(self._subsidiaries(doc, sk))
            doc.facts.extend(self._locations(doc, sk))
            if re.search(r"签署|签字|签订|签约", sk.chars):
                signing.append((sk, roles))
        body = [f for f in body_pairs if "headline" not in f.rule]
        if body_pairs:
            doc.facts.extend(body or body_pairs)
        else:
            doc.facts.extend(self._signatories(doc, signing))
        doc.facts.extend(_faculties(doc, [sk.span for sk in all_sketches]))

    # roles ------------------------------------------------------------

    def _roles(self, doc: Doc, sk: Sketch) -> tuple[list[Fact], set[int]]:
        rx = _regexes()
        s = sk.chars
        facts: list[Fact] = []
        role_orgs: set[int] = set()  # sketch indices of organisations used in a title
        by_person: dict[int, list[Fact]] = {}
        for pi, ch in enumerate(s):
            if not ("\ue400" <= ch <= "\ue7ff"):
                continue
            person = sk.mention_at(pi).entity
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
                    title = doc.text[sk.pos[ts] : _end_pos(sk, te)]
                    org = sk.mention_at(org_i).entity if org_i is not None else None
                    if org_i is not None:
                        org = self._unit_org(sk, org_i)
                        role_orgs.add(org_i)
                    found.append(Fact("role", person, org, sk.span, 0.9 if org else 0.55, title=title, rule="zh-pre"))
                # 宋清及总经理韩跃伟: a bare title after another person's title at an organisation
                if groups and groups[0][0] is None:
                    c = rx["conn_end"].search(left[: segs[0][1]])
                    before = left[: c.start()] if c else ""
                    before = re.sub(HON + "$", "", before)
                    if c and before and "\ue400" <= before[-1] <= "\ue7ff":
                        prev = by_person.get(len(before) - 1, [])
                        orgs = [f.tail for f in prev if f.tail is not None]
                        if orgs:
                            found[0].tail = orgs[-1]
                            found[0].score = 0.7
                            found[0].rule = "zh-inherit"
                # 记者陈然: the reporter works for the agency in the dateline
                for f in found:
                    if f.tail is None and f.title.endswith("记者"):
                        # 人民网香港12月18日电(记者陈然) / 【大公报讯】记者莫思年
                        head = s[: segs[0][1]]
                        om = list(re.finditer(rf"({ORG_C})[^电讯\ue000-\ue3ff]{{0,14}}(?:电|讯|报讯)", head))
                        if om:
                            f.tail = sk.mention_at(om[-1].start(1)).entity
                            f.score = 0.7
            # after the name: 中国医学科学院肿瘤医院深圳医院王绿化院长 / 华润集团傅育宁董事长
            m = rx["title_start"].match(s[pi + 1 :])
            if m:
                title = doc.text[sk.pos[pi + 1] : _end_pos(sk, pi + 1 + m.end())]
                oi = pi - 1
                while oi >= 0 and s[oi] == " ":
                    oi -= 1
                org = None
                if oi >= 0 and "\ue000" <= s[oi] <= "\ue3ff":
                    org = sk.mention_at(oi).entity
                    role_orgs.add(oi)
                found.append(Fact("role", person, org, sk.span, 0.85 if org else 0.55, title=title, rule="zh-post"))
            by_person[pi] = found
            facts.extend(found)
        return facts, role_orgs

    def _unit_org(self, sk: Sketch, oi: int):
        return sk.mention_at(oi).entity

    # partnerships -----------------------------------------------------

    def _runs(self, sk: Sketch, role_orgs: set[int]) -> list[tuple[list[int], list[str]]]:
        """Coordinated organisations: members (sketch indices) and the connector before each member."""
        s = sk.chars
        runs = []
        i = 0
        while i < len(s):
            if not _is_org(s[i]) or i in role_orgs:
                i += 1
                continue
            members, conns = [], [""]
            j = i
            while True:
                # X香港特别行政区政府医务卫生局: the unit written last is the party
                while j + 1 < len(s) and _is_org(s[j + 1]) and (j + 1) not in role_orgs:
                    j += 1
                members.append(j)
                k = _skip_paren(s, j + 1)
                m = re.match(r"以及|、以及|牵手|携手|[、及和与同跟]", s[k:])
                if not m:
                    break
                k2 = k + m.end()
                d = re.match(rf"(?:{U}|{GPE_C}){{0,6}}?(?={ORG_C})", s[k2:])
                if not d:
                    break
                nxt = k2 + d.end()
                if nxt in role_orgs:
                    break
                conns.append(m.group(0))
                j = nxt
            runs.append((members, conns))
            i = _skip_paren(s, j + 1)
        return runs

    def _partnerships(self, doc: Doc, sk: Sketch, roles: list[Fact], role_orgs: set[int]) -> list[Fact]:
        rx = _regexes()
        s = sk.chars
        facts: list[Fact] = []
        dates = find_dates(doc, *sk.span)
        for members, conns in self._runs(sk, role_orgs):
            end = _skip_paren(s, members[-1] + 1)
            tail = s[end:]
            strong = rx["strong"].search(tail)
            if strong and (ATTEND.search(tail[: strong.start()]) or not _same_clause(tail[: strong.start()])):
                strong = None
            weak = rx["weak_after"].match(tail)
            internal = [n for n, c in enumerate(conns) if c in SPLIT]
            if not (strong or weak or any(conns[n] in ("牵手", "携手") for n in internal)):
                continue
            trig_i = end + (strong.start() if strong else 0)
            trig_pos = sk.pos[min(trig_i, len(sk.pos) - 1)]
            kind = _kind(tail) or ("cooperation" if weak else None)
            score = 0.9 if strong else 0.7
            if internal:
                n = internal[0]
                left, right = members[:n], members[n:]
                subj_from = None
            else:
                subj_from = self._subject(sk, members[0], roles)
                if subj_from is None:
                    # a run with no "与" is the subject itself: 默沙东和国药集团联合宣布, 双方签署
                    # (unless it is the subject of a "与" clause: A及B于7月与C签订)
                    with_next = re.match(r"[^，,。；]{0,12}?[与同跟]", tail) and re.search(ORG_C, tail[:20])
                    if len(members) >= 2 and not with_next and (weak or (strong and strong.start() <= 15)):
                        for a, b in combinations(members, 2):
                            self._pair(facts, sk, a, b, score, kind, dates, trig_pos, "zh-coordinated")
                    continue
                left, right = subj_from, members
                if _joint(s, members[0]) and len(members) > 1:
                    # 公司连同其附属公司B以及C订立协议: B signs on the company's side
                    left, right = subj_from + members[:1], members[1:]
            respectively = "分别" in s[max(0, members[0] - 6) : members[0]] or "分别" in tail[:12]
            mdates = [d for d in dates if d.start < sk.pos[members[0]]] if respectively else []
            for a in left:
                for n, b in enumerate(right):
                    when = mdates[n].value if respectively and len(mdates) == len(right) else None
                    self._pair(facts, sk, a, b, score, kind, dates, trig_pos, "zh-with", when)
        return facts

    def _titled_agreements(self, doc: Doc, sk: Sketch) -> list[Fact]:
        """《A与B……协议》 signed in the sentence: the title names the parties."""
        rx = _regexes()
        if not re.search(r"签署|签订|签约|签字|续签|订立", sk.chars):
            return []
        facts: list[Fact] = []
        dates = find_dates(doc, *sk.span)
        for m in rx["titled"].finditer(sk.chars):
            self._pair(facts, sk, m.start(1), m.start(2), 0.85, _kind(m.group(0)), dates, sk.pos[m.start()], "zh-titled-agreement")
        return facts

    def _subject(self, sk: Sketch, first: int, roles: list[Fact]) -> list[int] | None:
        """The party before `与` for a run starting at `first`: an organisation, a titled person's
        organisation, or the one `其` points back to. None when the run is not after `与`."""
        s = sk.chars
        k = first - 1
        # the "with": 与 right before the run, or before a short description ("与三间……大学（")
        conn = None
        for q in range(k, max(k - 26, -1), -1):
            ch = s[q]
            if ch in BARRIER or ch in "，," or _is_org(ch) or _is_person(ch):
                break
            if ch in WITH:
                conn = q
                break
        if conn is None or rx_strong_between(s, conn, first):
            return None
        if conn >= 1 and s[conn - 1] == "其":
            q = next((x for x in range(conn - 2, max(conn - 40, -1), -1) if _is_org(s[x])), None)
            return [q] if q is not None else None
        for q in range(conn - 1, max(conn - 32, -1), -1):
            ch = s[q]
            if ch in BARRIER:
                return None
            if _is_org(ch):
                # its own coordination: 中大香港癌症研究所及包玉刚爵士癌症中心于7月与……
                group = [q]
                r = q
                while True:
                    m = re.search(rf"({ORG_C}){PAREN}?(?:以及|、|及|和){U}{{0,6}}$", s[: _paren_start(s, r)])
                    if not m:
                        break
                    r = m.start(1)
                    group.insert(0, r)
                return group
            if _is_person(ch):
                pid = sk.mention_at(q).eid
                for f in roles:
                    if f.head.entity_id == pid and f.tail is not None:
                        idx = next((i for i, m in sk.ment.items() if m.eid == f.tail.entity_id), None)
                        if idx is not None:
                            return [idx]
                return None
            if _is_ent(ch) and not _is_gpe(ch):
                return None
        return None

    def _pair(self, facts, sk: Sketch, a: int, b: int, score: float, kind, dates, trig_pos: int, rule: str, when=None) -> None:
        ea, eb = sk.mention_at(a).entity, sk.mention_at(b).entity
        if ea.entity_id == eb.entity_id:
            return
        facts.append(Fact("partnership", ea, eb, sk.span, score, kind=kind, date=when or nearest_date(dates, trig_pos), rule=rule))

    def _signatories(self, doc: Doc, signing: list[tuple[Sketch, list[Fact]]]) -> list[Fact]:
        facts = []
        for sk, roles in signing:
            # a signer is written before a signing word with no "witnessed"/"attended" in between
            s = sk.chars
            signer_ids = set()
            for i, m in sk.ment.items():
                if m.label == "PERSON":
                    verb = re.search(r"签署|签字|签订|签约", s[i:])
                    if verb and not re.search(r"见证|出席|陪同|参加|致辞", s[i : i + verb.start()]):
                        signer_ids.add(m.eid)
            orgs, signers = [], set()
            for f in roles:  # one organisation per signer: the first title's
                if f.tail is None or f.head.entity_id in signers or f.tail.entity_id in {o.entity_id for o in orgs}:
                    continue
                if f.head.entity_id in signer_ids:
                    orgs.append(f.tail)
                    signers.add(f.head.entity_id)
            dates = find_dates(doc, *sk.span)
            kind = _kind(sk.chars)
            for a, b in combinations(orgs, 2):
                facts.append(Fact("partnership", a, b, sk.span, 0.6, kind=kind, date=nearest_date(dates, sk.span[0]), rule="zh-signatories"))
        return facts

    # subsidiaries and locations ----------------------------------------

    def _subsidiaries(self, doc: Doc, sk: Sketch) -> list[Fact]:
        rx = _regexes()
        s = sk.chars
        facts: list[Fact] = []

        def sub(ci: int, pi: int, score: float, rule: str) -> None:
            c, p = sk.mention_at(ci).entity, sk.mention_at(pi).entity
            if c.entity_id != p.entity_id:
                facts.append(Fact("subsidiary_of", c, p, sk.span, score, rule=rule))

        for m in rx["sub_word"].finditer(s):
            sub(m.start(2), m.start(1), 0.85, "zh-subsidiary-word")
        for m in rx["acquired"].finditer(s):
            child = next(g for g in (2, 3, 4) if m.group(g))
            sub(m.start(child), m.start(1), 0.8, "zh-acquired")
        for m in rx["sub_is"].finditer(s):
            sub(m.start(1), m.start(2), 0.85, "zh-is-subsidiary")
        for m in rx["sub_belongs"].finditer(s):
            sub(m.start(1), m.start(2), 0.85, "zh-belongs")
        for pat in ("sub_its", "sub_group_generic"):
            for m in rx[pat].finditer(s):
                parent = next((x for x in range(m.start() - 1, -1, -1) if _is_org(s[x])), None)
                if parent is not None:
                    sub(m.start(1), parent, 0.8, "zh-its")
        # adjacency: 衞健委港澳台办公室, 香港特别行政区政府医务卫生局
        for i in range(len(s) - 1):
            if _is_org(s[i]) and _is_org(s[i + 1]):
                child = sk.mention_at(i + 1).entity
                if UNIT_SUFFIX.search(child.text_norm or child.text) and not child.text_norm.endswith("医院"):
                    sub(i + 1, i, 0.45, "zh-adjacent-unit")  # below the default min_score: gold lists few
        return facts

    def _locations(self, doc: Doc, sk: Sketch) -> list[Fact]:
        rx = _regexes()
        s = sk.chars
        facts: list[Fact] = []
        for m in rx["loc_org_at"].finditer(s):
            for g in (1, 2, 3)[1:]:
                if m.group(g):
                    facts.append(Fact("located_in", sk.mention_at(m.start(1)).entity, sk.mention_at(m.start(g)).entity, sk.span, 0.85, rule="zh-located"))
        for m in rx["loc_at_org"].finditer(s):
            facts.append(Fact("located_in", sk.mention_at(m.start(2)).entity, sk.mention_at(m.start(1)).entity, sk.span, 0.85, rule="zh-located"))
        return facts


# --------------------------------------------------------------------------------------------- helpers


_FACULTY = re.compile(r"(?:学院|书院|研究所|研究院|学系)$")


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
        if not _FACULTY.search(name) or name in universities:
            continue
        parent = next((u for full, u in universities.items() if name.startswith(full) and len(name) > len(full)), None)
        if parent is None:
            parent = next((universities[full] for abbr, full in short.items() if name.startswith(abbr) and full in universities), None)
        if parent is not None and parent is not m.entity:
            span = sentences[max(bisect_right(starts, m.start) - 1, 0)]
            facts.append(Fact("subsidiary_of", m.entity, parent, span, 0.7, rule="zh-faculty"))
    return facts


def _is_org(ch: str) -> bool:
    return "\ue000" <= ch <= "\ue3ff"


def _is_person(ch: str) -> bool:
    return "\ue400" <= ch <= "\ue7ff"


def _is_gpe(ch: str) -> bool:
    return "\ue800" <= ch <= "\uebff"


def _is_ent(ch: str) -> bool:
    return "\ue000" <= ch <= "\uebff"


def _skip_paren(s: str, j: int) -> int:
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


def _paren_start(s: str, r: int) -> int:
    return r


def _same_clause(between: str) -> bool:
    """The signing word belongs to the run's clause: no comma before it, unless the next clause is
    about the same parties (`，双方签署`, `，并签署`)."""
    parts = re.split(r"[，,]", between)
    return all(re.match(r"\s*(?:双方|三方|各方|两院|两家|两校|并|共同|正式|同时|随后)", p) for p in parts[1:])


def _joint(s: str, first: int) -> bool:
    """Whether the run at `first` follows 连同/会同/联同 (together with: the same side)."""
    head = s[max(0, first - 12) : first]
    return bool(re.search(r"(?:连同|会同|联同)[^与和及、，,]{0,10}$", head))


def rx_strong_between(s: str, a: int, b: int) -> bool:
    """A signing word between `与` and the run means the run is not what was signed with."""
    return bool(_regexes()["strong"].search(s[a:b]))


def _end_pos(sk: Sketch, te: int) -> int:
    """Working-text offset just after sketch index te-1 (a mention ends at its own end)."""
    i = te - 1
    m = sk.mention_at(i)
    return m.end if m else sk.pos[i] + 1


def _kind(s: str) -> str | None:
    rx = _regexes()
    best = None
    for m in rx["kind"].finditer(s):
        row = next((r for r in kind_table() if m.group(0) in r.zh), None)
        if row is None:
            continue
        if best is None or (row.strong and not best.strong):
            best = row
        if best.strong:
            break
    return best.kind if best else None
