"""The English reader the relation types share: a release's sentences as sequences of units.

spaCy gives sentences, part-of-speech tags and the phrase matches (titles from the bilingual table,
partnership kinds, signing verbs). Each sentence is then read as a short sequence of units in which
an entity mention, a title phrase or a kind phrase is one unit; each type's English finder
(pipeline/relations/types/) walks those units. The reader's own Matcher patterns (multi-word
signing verbs, `as well as`) are data: pipeline/lang/rel/english_units.jsonl.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from itertools import pairwise

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc as SpacyDoc
from spacy.tokens import Span
from spacy.util import filter_spans

from pipeline import lang
from pipeline.ner.pieces import DEFAULT_MAX_CHARS as MAX_LINE_CHARS
from pipeline.ner.pieces import split_text
from pipeline.relations.common import Doc, KindRow, Mention, kind_of_phrase, kind_table, title_table
from pipeline.relations.types.base import Rules
from pipeline.release import Entity

_NOT_READ = ("ner",)  # what the reader does not need of the shared pipeline
# word lists that are data: pipeline/lang/en/*.tsv, each with its source
TITLE_MODIFIERS = lang.words("en", "title_modifiers")
EXTRA_TITLES = [r["title"] for r in lang.table("en", "titles")]
STRONG_VERBS = frozenset(r["verb"] for r in lang.table("en", "signing_verbs") if r["strength"] == "strong")
WEAK_VERBS = frozenset(r["verb"] for r in lang.table("en", "signing_verbs") if r["strength"] == "weak")
BASED_UNITS = ("-based", "-headquartered")  # the unit after a place in `China-based X`, a descriptor


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

    @property
    def entity(self) -> Entity:
        """The entity of a mention unit (ORG PERSON GPE): the finders read it once `kind` says it is one."""
        assert self.mention is not None, f"{self.kind} unit {self.text!r} is not a mention"
        return self.mention.entity

    @property
    def eid(self) -> str:
        return self.entity.entity_id


def load_nlp() -> Language:
    """The process's en_core_web_sm, shared with the recogniser (pipeline.models.english_pipeline);
    the reader runs it with `ner` disabled. Relate still parses the lines that name entities itself:
    their tokens are cut at the mention boundaries recognise settled, which its parse of the whole
    text did not know."""
    from pipeline.models import english_pipeline

    return english_pipeline()


class EnglishReader:
    """Sentences as unit sequences: spaCy and the phrase matchers, loaded once per extractor."""

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
        # multi-word signing verbs and connectors (`entered into`, `as well as`): Matcher patterns as data
        for label, pattern in Rules.shipped("english_units").matcher_patterns("en"):
            self.phrases.add(label, [pattern])

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
            inside = by_start[bisect_left(starts, off) : bisect_right(starts, off + len(line))]
            per_line.append([doc.mentions[i] for i in sorted(inside) if doc.mentions[i].end <= off + len(line)])
        # a line that names no entity states no fact: it is not worth a parse
        lines, per_line = [x for x, m in zip(lines, per_line) if m], [m for m in per_line if m]
        docs = [
            self._tokenize(line, [(m.start - off, m.end - off) for m in ments]) for (off, line), ments in zip(lines, per_line)
        ]
        for (off, _), ments, sdoc in zip(lines, per_line, self.nlp.pipe(docs, disable=_NOT_READ)):
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
                while (
                    s > 0
                    and s - 1 not in taken
                    and (
                        sdoc[s - 1].lower_ in TITLE_MODIFIERS
                        or (sdoc[s - 1].text == "-" and s > 1 and sdoc[s - 2].lower_ in TITLE_MODIFIERS)
                    )
                ):
                    s -= 1
            grown.append((s, sp.end, sp.label_))
        extra = [
            sp
            for sp in filter_spans([Span(sdoc, s, e, label=lab) for s, e, lab in grown])
            if not any(i in taken for i in range(sp.start, sp.end))
        ]
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
                    ment = ent_of.get((sp.start, sp.end))
                    if ment is not None:
                        units.append(Unit(ment.label, sp.text, off + sp.start_char, off + sp.end_char, "PROPN", mention=ment))
                    else:
                        kr = kind_of_phrase(sp.text) if sp.label_ == "KIND" else None
                        units.append(Unit(sp.label_, sp.text, off + sp.start_char, off + sp.end_char, "NOUN", kindrow=kr))
                    i = sp.end
                    continue
                if i in verbs:
                    e, label = verbs[i]
                    sp = sdoc[i:e]
                    units.append(
                        Unit(
                            "W",
                            sp.text,
                            off + sp.start_char,
                            off + sp.end_char,
                            "VERB" if label == "STRONG" else "CCONJ",
                            verb="strong" if label == "STRONG" else "",
                        )
                    )
                    i = e
                    continue
                t = sdoc[i]
                if not t.is_space:
                    low = t.lower_
                    verb = (
                        "strong"
                        if low in STRONG_VERBS and t.pos_ in ("VERB", "AUX")
                        else "weak"
                        if low in WEAK_VERBS and t.pos_ in ("VERB", "AUX")
                        else ""
                    )
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


# --------------------------------------------------------------------------------------------- helpers shared by the types


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


def _plural(title: str) -> str:
    """`president` -> `presidents`, `chairman` -> `chairmen`, `secretary` -> `secretaries`."""
    if title.endswith("man"):
        return title[:-3] + "men"
    if title.endswith("y") and title[-2:-1] not in "aeiou":
        return title[:-1] + "ies"
    return title if title.endswith("s") else title + "s"


def skip_paren(us: list[Unit], j: int) -> int:
    """Index after an aside like `(left)`, `(second from right)`, `("HKSH")` or `[PMS]` starting at j."""
    if j < len(us) and us[j].kind == "W" and us[j].text in ("(", "["):
        close = ")" if us[j].text == "(" else "]"
        for k in range(j + 1, min(j + 12, len(us))):
            if us[k].text == close:
                return k + 1
    return j


def coordination_groups(us: list[Unit]) -> list[list[int]]:
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
            k = skip_paren(us, j + 1)
            if k < len(us) and (
                us[k].is_(",", "and", "&") or (us[k].pos == "CCONJ" and us[k].low in ("as well as", "together with"))
            ):
                k2 = k + 1
                if k2 < len(us) and us[k].is_(",") and us[k2].is_("and"):
                    k2 += 1
                n = 0
                while (
                    k2 < len(us)
                    and n < 4
                    and (
                        us[k2].is_("the")
                        or (us[k2].kind == "GPE")
                        or us[k2].is_(*BASED_UNITS)  # `and China-based B`
                        or (
                            us[k2].kind == "W"
                            and us[k2].pos in ("ADJ", "NOUN", "PROPN")
                            and not us[k2].verb
                            and us[k2].text not in (",", "(", ")")
                        )
                    )
                ):
                    k2 += 1
                    n += 1
                # after a comma only an article or a place's `-based` may come first (`X, a unit of Y` is no member)
                described = n > 0 and not us[k2 - 1].is_("the", *BASED_UNITS)
                if k2 < len(us) and us[k2].kind == "ORG" and not (us[k].is_(",") and described):
                    g.append(k2)
                    j = k2
                    continue
            break
        groups.append(g)
        i = j + 1
    return groups


def group_after(us: list[Unit], j: int, group_of: dict[int, list[int]]) -> list[int]:
    """The organisations coordinated right after position j ("with the X (X), Y and Z")."""
    n = 0
    while (
        j < len(us)
        and n < 5
        and us[j].kind in ("W", "GPE")
        and (us[j].is_("the", "its", "their", "'s", "’s") or us[j].kind == "GPE" or us[j].pos in ("ADJ", "NOUN", "PROPN", "NUM"))
        and not us[j].is_(",", "(", ")")
        and not us[j].verb
    ):
        j += 1
        n += 1
    if j < len(us) and us[j].kind == "ORG":
        g = group_of.get(j, [j])
        return [i for i in g if i >= j]
    return []
