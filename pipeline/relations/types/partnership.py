"""partnership: two organisations that signed or formed something together (symmetric), with its date and kind.

English, over the units of a sentence: `A signed KIND with B[, C and D]`, `KIND between A and B`,
`A and B signed / formed KIND`; when no sentence names the parties, the organisations of the people
who signed. Chinese, over sketches: coordination runs `X与Y、Z及W` followed by a signing word in the
same clause, `分别` with one date per partner, `连同`, `其`, an agreement whose title names its parties,
and the signatories' organisations. Pairs read in a headline or caption count only when the body
names none; an undated pair takes the date of a following sentence about the signing.

Data (pipeline/lang/rel/partnership.jsonl): the Chinese regexes, the English trigger words and the
regex of a sentence about the signing; kinds and signing verbs come from the shared tables
(pipeline/data/relations/kinds.tsv, pipeline/lang/<code>/signing_verbs.tsv) through the readers.
Code: which organisations a trigger joins (the walk left to the subject and right to the partners).
"""

from __future__ import annotations

import re
from datetime import date
from itertools import combinations

from pipeline.labels import PARTNERSHIP, ROLE
from pipeline.relations.chinese import ORG_C, Sketch, is_ent, is_gpe, is_org, is_person, skip_paren
from pipeline.relations.common import DateHit, Doc, Fact, find_dates, kind_table, nearest_date
from pipeline.relations.english import Unit, coordination_groups, group_after
from pipeline.relations.english import skip_paren as skip_unit_paren
from pipeline.relations.types.base import Reading, RelationType, Rules, Sentence, relation_type
from pipeline.release import Entity

RULES = Rules.shipped(PARTNERSHIP)
BETWEEN_NOUNS = RULES.words("en", "between_nouns")
WITNESS = RULES.words("en", "witness")
SIGNING_NEARBY = re.compile(RULES.pattern("en", "signing_nearby"), re.I)
BARRIER = set("。！？!?；;：:\n")
WITH = ("与", "同", "跟", "和")  # "with" before an object run; inside a run only 与/同/跟 split the sides
SPLIT = ("与", "同", "跟", "牵手", "携手")
BOTH_SIGNED = re.compile(RULES.pattern("en", "both_signed"), re.I)
NAMED_TOGETHER = f"{PARTNERSHIP}/named-together"  # the pairs of organisations coordinated in the sentences read so far
SIGNING_SENTENCES = f"{PARTNERSHIP}/signing"  # what `finish` reads the signatories from, kept per pass


@relation_type
class Partnership(RelationType):
    """ORG - ORG, either order; reads the role facts of the sentence (a titled signer stands for its organisation)."""

    name = PARTNERSHIP
    pairs = (("ORG", "ORG"),)
    symmetric = True
    needs = (ROLE,)

    def english(self, reading: Reading, sent: Sentence) -> list[Fact]:
        roles = sent.found.get(ROLE, [])
        pairs = self._partnerships(reading.doc, sent.span, sent.units, roles)
        named_two: list[tuple[Entity, Entity]] = reading.keep(NAMED_TOGETHER)
        if not pairs and named_two and BOTH_SIGNED.search(reading.doc.text[sent.span[0] : sent.span[1]]):
            # `the MOU signed by both hospitals`: the two organisations last named together
            a, b = named_two[-1]
            dates = find_dates(reading.doc, *sent.span)
            pairs = [
                Fact(
                    "partnership",
                    a,
                    b,
                    sent.span,
                    0.6,
                    kind=_first_kind(sent.units),
                    date=nearest_date(dates, sent.span[0]),
                    rule="both-signed",
                )
            ]
        for g in coordination_groups(sent.units):
            ents = list({sent.units[i].eid: sent.units[i].entity for i in g}.values())
            if len(ents) == 2:
                named_two.append((ents[0], ents[1]))
        self._hold(reading, sent, pairs)
        if any(u.verb == "strong" and u.low.startswith(("sign", "ink")) for u in sent.units):
            reading.keep(SIGNING_SENTENCES).append((sent.span, sent.units, roles))
        return []

    def chinese(self, reading: Reading, sent: Sentence) -> list[Fact]:
        roles = sent.found.get(ROLE, [])
        sk = sent.sketch
        assert sk is not None, "a Chinese sentence has its sketch"
        pairs = self._zh_partnerships(reading.doc, sk, roles, sent.marks.get("role_orgs", set())) + self._zh_titled_agreements(
            reading.doc, sk
        )
        self._hold(reading, sent, pairs)
        if RULES.zh["signing"].search(sk.chars):
            reading.keep(SIGNING_SENTENCES).append((sk, roles))
        return []

    def _hold(self, reading: Reading, sent: Sentence, pairs: list[Fact]) -> None:
        """Keep a sentence's pairs for `finish`; a headline's are marked (and capped) as a summary."""
        if reading.is_headline(sent.span):
            for f in pairs:
                f.score = min(f.score, 0.7)
                f.rule += "+headline"
        reading.keep(PARTNERSHIP).extend(pairs)

    def finish(self, reading: Reading) -> None:
        doc = reading.doc
        body_pairs = reading.keep(PARTNERSHIP)
        body = [f for f in body_pairs if "headline" not in f.rule]
        if body_pairs:
            # a headline is a summary: its pairs count only when the body names none
            doc.facts.extend(body or body_pairs)
        elif reading.lang == "en":
            doc.facts.extend(self._signatories(doc, reading.keep(SIGNING_SENTENCES)))
        else:
            doc.facts.extend(self._zh_signatories(doc, reading.keep(SIGNING_SENTENCES)))
        if reading.lang == "en":
            attach_following_dates(doc)

    def _partnerships(self, doc: Doc, span: tuple[int, int], us: list[Unit], roles: list[Fact]) -> list[Fact]:
        groups = coordination_groups(us)
        group_of = {i: g for g in groups for i in g}
        dates = find_dates(doc, *span)
        facts: list[Fact] = []

        def kind_near(a: int, b: int) -> str | None:
            cands = [u.kindrow for u in us[max(a, 0) : b] if u.kind == "KIND" and u.kindrow]
            if not cands:
                return None
            strong = [c for c in cands if c.strong]
            return (strong or cands)[0].kind

        def pair(a: Unit, b: Unit, score: float, kind: str | None, at: int, rule: str) -> None:
            if a.eid == b.eid:
                return
            facts.append(
                Fact("partnership", a.entity, b.entity, span, score, kind=kind, date=nearest_date(dates, us[at].start), rule=rule)
            )

        # A signed/inked/entered into KIND with B[, C and D]
        for w, u in enumerate(us):
            if not u.is_("with"):
                continue
            trig = None
            for t in range(w - 1, max(w - 9, -1), -1):
                if us[t].kind in ("ORG", "PERSON") or us[t].is_(";", "with"):
                    break
                if us[t].kind == "KIND" or us[t].verb:
                    trig = t if trig is None or us[t].verb else trig
            if trig is None:
                continue
            window = us[max(trig - 30, 0) : w]
            has_strong_verb = any(x.verb == "strong" for x in window[-12:])
            has_verb = any(x.verb for x in window)
            strong_kind = any(x.kind == "KIND" and x.kindrow and x.kindrow.strong for x in us[trig:w])
            if not (has_strong_verb or (has_verb and strong_kind)):
                continue
            subj = _subject(us, trig)
            if subj is None:
                continue
            right = group_after(us, w + 1, group_of)
            if not right:
                continue
            left = group_of.get(subj, [subj]) if us[subj].kind == "ORG" else [subj]
            kind = kind_near(trig, w + 1) or kind_near(0, len(us))
            left_units = [_org_of(us, i, roles) for i in left]
            for party in left_units:
                for b in right:
                    if party is not None:
                        pair(party, us[b], 0.9, kind, trig, "with")

        # KIND between A and B
        for w, u in enumerate(us):
            if not u.is_("between"):
                continue
            before = us[max(w - 4, 0) : w]
            if not any(x.kind == "KIND" or x.verb == "strong" or x.low in BETWEEN_NOUNS for x in before):
                continue
            right = group_after(us, w + 1, group_of)
            if len(right) < 2:
                continue
            kind = kind_near(max(w - 4, 0), w) or kind_near(0, len(us))
            for a, b in combinations(right, 2):
                pair(us[a], us[b], 0.85, kind, w, "between")

        # A and B [have] signed / formed KIND / joined hands
        for g in groups:
            if len(g) < 2:
                continue
            first = g[0]
            prev = first - 1
            while prev >= 0 and (us[prev].is_("the") or us[prev].pos in ("ADJ",) or us[prev].kind == "GPE"):
                prev -= 1
            if prev >= 0 and us[prev].is_("with", "between", "of", "at", "and", "from", "by", "for", "to"):
                # "facilitated by the NCC, HKSH and CHCAMS signed": the first one ends the aside
                k = skip_unit_paren(us, g[0] + 1)
                if len(g) >= 3 and us[k].is_(","):
                    g = g[1:]
                else:
                    continue
            end = skip_unit_paren(us, g[-1] + 1)
            trig = None
            for t in range(end, min(end + 15, len(us))):
                if us[t].kind in ("ORG",) or us[t].is_(";", "with"):
                    break
                if us[t].verb == "strong":
                    trig = t
                    break
                if us[t].verb and any(x.kind == "KIND" and x.kindrow and x.kindrow.strong for x in us[t:]):
                    trig = t
                    break
            if trig is None:
                continue
            kind = kind_near(trig, len(us))
            for a, b in combinations(g, 2):
                pair(us[a], us[b], 0.85, kind, trig, "coordinated")
        return facts

    def _signatories(self, doc: Doc, sents: list[tuple[tuple[int, int], list[Unit], list[Fact]]]) -> list[Fact]:
        """Fallback when no sentence names the parties: the organisations of the people who signed."""
        facts = []
        for span, us, roles in sents:
            cut = next((i for i, u in enumerate(us) if u.low in WITNESS or u.is_(";")), len(us))
            persons = {u.eid for u in us[:cut] if u.kind == "PERSON"}
            orgs: list[Entity] = []
            signers: set[str] = set()
            for f in roles:  # one organisation per signer: the first title's
                if (
                    f.tail is not None
                    and f.head.entity_id in persons
                    and f.head.entity_id not in signers
                    and f.tail.entity_id not in {o.entity_id for o in orgs}
                ):
                    orgs.append(f.tail)
                    signers.add(f.head.entity_id)
            dates = find_dates(doc, *span)
            for a, b in combinations(orgs, 2):
                facts.append(
                    Fact(
                        "partnership",
                        a,
                        b,
                        span,
                        0.6,
                        kind=_first_kind(us),
                        date=nearest_date(dates, span[0]),
                        rule="signatories",
                    )
                )
        return facts

    def _zh_runs(self, sk: Sketch, role_orgs: set[int]) -> list[tuple[list[int], list[str]]]:
        """Coordinated organisations: members (sketch indices) and the connector before each member."""
        rx = RULES.zh
        s = sk.chars
        runs = []
        i = 0
        while i < len(s):
            if not is_org(s[i]) or i in role_orgs:
                i += 1
                continue
            members, conns = [], [""]
            j = i
            while True:
                # X香港特别行政区政府医务卫生局: the unit written last is the party
                while j + 1 < len(s) and is_org(s[j + 1]) and (j + 1) not in role_orgs:
                    j += 1
                members.append(j)
                k = skip_paren(s, j + 1)
                m = rx["run_connector"].match(s[k:])
                if not m:
                    break
                k2 = k + m.end()
                d = rx["run_descriptor"].match(s[k2:])
                if not d:
                    break
                nxt = k2 + d.end()
                if nxt in role_orgs:
                    break
                conns.append(m.group(0))
                j = nxt
            runs.append((members, conns))
            i = skip_paren(s, j + 1)
        return runs

    def _zh_partnerships(self, doc: Doc, sk: Sketch, roles: list[Fact], role_orgs: set[int]) -> list[Fact]:
        rx = RULES.zh
        s = sk.chars
        facts: list[Fact] = []
        dates = find_dates(doc, *sk.span)
        for members, conns in self._zh_runs(sk, role_orgs):
            end = skip_paren(s, members[-1] + 1)
            tail = s[end:]
            strong = rx["strong"].search(tail)
            if strong and (rx["attend"].search(tail[: strong.start()]) or not _same_clause(tail[: strong.start()])):
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
                subj_from = self._zh_subject(sk, members[0], roles)
                if subj_from is None:
                    # a run with no "与" is the subject itself: 默沙东和国药集团联合宣布, 双方签署
                    # (unless it is the subject of a "与" clause: A及B于7月与C签订)
                    with_next = rx["with_next"].match(tail) and re.search(ORG_C, tail[:20])
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

    def _zh_titled_agreements(self, doc: Doc, sk: Sketch) -> list[Fact]:
        """《A与B……协议》 signed in the sentence: the title names the parties."""
        rx = RULES.zh
        if not rx["titled_signing"].search(sk.chars):
            return []
        facts: list[Fact] = []
        dates = find_dates(doc, *sk.span)
        for m in rx["titled"].finditer(sk.chars):
            self._pair(
                facts, sk, m.start(1), m.start(2), 0.85, _kind(m.group(0)), dates, sk.pos[m.start()], "zh-titled-agreement"
            )
        return facts

    def _zh_subject(self, sk: Sketch, first: int, roles: list[Fact]) -> list[int] | None:
        """The party before `与` for a run starting at `first`: an organisation, a titled person's
        organisation, or the one `其` points back to. None when the run is not after `与`."""
        rx = RULES.zh
        s = sk.chars
        k = first - 1
        # the "with": 与 right before the run, or before a short description ("与三间……大学（")
        conn = None
        for q in range(k, max(k - 26, -1), -1):
            ch = s[q]
            if ch in BARRIER or ch in "，," or is_org(ch) or is_person(ch):
                break
            if ch in WITH:
                conn = q
                break
        if conn is None or _strong_between(s, conn, first):
            return None
        if conn >= 1 and s[conn - 1] == "其":
            parent = next((x for x in range(conn - 2, max(conn - 40, -1), -1) if is_org(s[x])), None)
            return [parent] if parent is not None else None
        for q in range(conn - 1, max(conn - 32, -1), -1):
            ch = s[q]
            if ch in BARRIER:
                return None
            if is_org(ch):
                # its own coordination: 中大香港癌症研究所及包玉刚爵士癌症中心于7月与……
                group = [q]
                r = q
                while True:
                    m = rx["subject_group"].search(s[:r])
                    if not m:
                        break
                    r = m.start(1)
                    group.insert(0, r)
                return group
            if is_person(ch):
                pid = sk.entity_at(q).entity_id
                for f in roles:
                    if f.head.entity_id == pid and f.tail is not None:
                        idx = next((i for i, m in sk.ment.items() if m.eid == f.tail.entity_id), None)
                        if idx is not None:
                            return [idx]
                return None
            if is_ent(ch) and not is_gpe(ch):
                return None
        return None

    def _pair(
        self,
        facts: list[Fact],
        sk: Sketch,
        a: int,
        b: int,
        score: float,
        kind: str | None,
        dates: list[DateHit],
        trig_pos: int,
        rule: str,
        when: date | None = None,
    ) -> None:
        ea, eb = sk.entity_at(a), sk.entity_at(b)
        if ea.entity_id == eb.entity_id:
            return
        facts.append(
            Fact("partnership", ea, eb, sk.span, score, kind=kind, date=when or nearest_date(dates, trig_pos), rule=rule)
        )

    def _zh_signatories(self, doc: Doc, signing: list[tuple[Sketch, list[Fact]]]) -> list[Fact]:
        rx = RULES.zh
        facts = []
        for sk, roles in signing:
            # a signer is written before a signing word with no "witnessed"/"attended" in between
            s = sk.chars
            # or after `签署...的代表包括`
            listed = rx["signers_listed"].search(s)
            signer_ids = set()
            for i, m in sk.ment.items():
                if m.label == "PERSON":
                    verb = rx["signing"].search(s[i:])
                    if (verb and not rx["not_signing"].search(s[i : i + verb.start()])) or (listed and i >= listed.end()):
                        signer_ids.add(m.eid)
            orgs: list[Entity] = []
            signers: set[str] = set()
            for f in roles:  # one organisation per signer: the first title's
                if f.tail is None or f.head.entity_id in signers or f.tail.entity_id in {o.entity_id for o in orgs}:
                    continue
                if f.head.entity_id in signer_ids:
                    orgs.append(f.tail)
                    signers.add(f.head.entity_id)
            dates = find_dates(doc, *sk.span)
            kind = _kind(sk.chars)
            for a, b in combinations(orgs, 2):
                facts.append(
                    Fact(
                        "partnership", a, b, sk.span, 0.6, kind=kind, date=nearest_date(dates, sk.span[0]), rule="zh-signatories"
                    )
                )
        return facts


def _org_of(us: list[Unit], i: int, roles: list[Fact]) -> Unit | None:
    """The organisation a subject unit stands for: itself, or the organisation of a person's title
    (`roles`: the role facts of the sentence)."""
    if us[i].kind == "ORG":
        return us[i]
    if us[i].kind == "PERSON":
        for f in roles:
            if f.head.entity_id == us[i].eid and f.tail is not None:
                for x in us:
                    if x.mention and x.mention.eid == f.tail.entity_id:
                        return x
    return None


def _subject(us: list[Unit], trig: int) -> int | None:
    """The party on the left of a signing: nearest organisation (or a titled person) before the trigger."""
    seen_eids = set()
    for i in range(trig - 1, max(trig - 31, -1), -1):
        u = us[i]
        if u.is_(";", "with", "between", "by"):
            return None
        if u.kind == "ORG":
            return i
        if u.kind == "PERSON":
            seen_eids.add(u.eid)
            return i
    return None


def _first_kind(us: list[Unit]) -> str | None:
    for u in us:
        if u.kind == "KIND" and u.kindrow:
            return u.kindrow.kind
    return None


def attach_following_dates(doc: Doc) -> None:
    """An undated partnership takes the date of a nearby sentence about the signing with no parties of
    its own ("The agreement, signed on April 3 during ...", "The signing ceremony took place ... on May 23.")."""
    undated = [f for f in doc.facts if f.type == "partnership" and f.date is None]
    if not undated:
        return
    text = doc.text
    rx = SIGNING_NEARBY
    for f in undated:
        e = f.sent[1]
        window_end = min(len(text), e + 400)
        nxt = text[e:window_end]
        for part in re.split(r"(?<=[.!?。！？])\s+|\n+", nxt)[:3]:
            if rx.search(part):
                off = text.find(part, e)
                hits = find_dates(doc, off, off + len(part))
                if hits:
                    f.date = hits[0].value
                    break


def _same_clause(between: str) -> bool:
    """The signing word belongs to the run's clause: no comma before it, unless the next clause is
    about the same parties (`，双方签署`, `，并签署`)."""
    parts = re.split(r"[，,]", between)
    return all(RULES.zh["same_clause"].match(p) for p in parts[1:])


def _joint(s: str, first: int) -> bool:
    """Whether the run at `first` follows 连同/会同/联同 (together with: the same side)."""
    head = s[max(0, first - 12) : first]
    return bool(RULES.zh["joint"].search(head))


def _strong_between(s: str, a: int, b: int) -> bool:
    """A signing word between `与` and the run means the run is not what was signed with."""
    return bool(RULES.zh["strong"].search(s[a:b]))


def _kind(s: str) -> str | None:
    rx = RULES.zh
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
