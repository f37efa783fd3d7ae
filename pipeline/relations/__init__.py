"""Relation extraction for the relate stage: the relation types (pipeline/relations/types/, one module
each, their rules in pipeline/lang/rel/) read over two shared readers (english.py: spaCy units,
chinese.py: sketches of `text_hans`), and the merge into `Relation` records (common.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from pipeline.labels import RELATION_TYPES
from pipeline.relations.common import Doc, collect_mentions, date_hits, merge_facts
from pipeline.release import Relation, Release
from pipeline.text.dates import default_year

__all__ = ["RelationExtractor"]

# long stretches of English inside a Chinese release (bilingual newsletters, quoted English releases)
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9 ,.'’\"“”()&/:;\-–]{80,}")
_TERMINAL = re.compile(r"[.!?。！？”」\"')）]\s*$")


class RelationExtractor:
    """The relation types named (default: labels.RELATION_TYPES), composed over the two readers and
    loaded once; `__call__` gives the relations of one release."""

    def __init__(self, min_score: float = 0.0, types: Iterable[str] = RELATION_TYPES) -> None:
        from pipeline.relations.english import EnglishReader
        from pipeline.relations.types import load
        from pipeline.relations.types.base import compose

        load()
        self.min_score = min_score
        self.types = compose(types)
        self.en = EnglishReader()

    def doc(self, release: Release) -> Doc:
        text = release.text_hans if release.lang == "zh" and release.text_hans else release.clean_text
        return Doc(release, text, collect_mentions(release, text), default_year(release), dates=date_hits(release))

    def facts(self, release: Release) -> Doc:
        """The release's candidate facts, before merging (kept on the returned Doc)."""
        doc = self.doc(release)
        if not release.clean_text or not doc.mentions:
            return doc
        is_headline = headline_test(release, doc)
        if release.lang == "zh":
            self.read(doc, "zh", is_headline)
            latin = [m.span() for m in _LATIN_RUN.finditer(doc.text)]
            if latin:
                self.read(doc, "en", is_headline, segments=latin)
        else:
            self.read(doc, "en", is_headline)
        doc.facts = [f for f in doc.facts if not _against_conventions(f, release.lang)]
        return doc

    def read(
        self, doc: Doc, lang: str, is_headline: Callable[[tuple[int, int]], bool], segments: list[tuple[int, int]] | None = None
    ) -> None:
        """One pass of every type's rules of one language: sentence by sentence in the types' order,
        each type seeing what the ones before read in the sentence, then each type's `finish`."""
        from pipeline.relations.chinese import sketches
        from pipeline.relations.types.base import Reading, Sentence

        reading = Reading(doc, lang, is_headline, reader=self.en)
        if lang == "zh":
            sentences = [Sentence(sk.span, sketch=sk) for sk in sketches(doc)]
        else:
            sentences = [Sentence(span, units=units) for span, units in self.en.sentences(doc, segments)]
        for sent in sentences:
            for rtype in self.types:
                facts = rtype.chinese(reading, sent) if lang == "zh" else rtype.english(reading, sent)
                sent.found[rtype.name] = facts
                doc.facts.extend(facts)
        for rtype in self.types:
            rtype.finish(reading)

    def __call__(self, release: Release) -> list[Relation]:
        return merge_facts(self.facts(release), self.min_score)


def _against_conventions(fact, lang: str) -> bool:
    """A fact SCHEMA.md rules out: a media outlet as a party, a byline as a role."""
    from pipeline.ner.conventions import decided_none, is_byline_title

    if fact.type == "role" and is_byline_title(fact.title):
        return True
    return any(e is not None and decided_none(e.label, e.text_norm or e.text, lang) for e in (fact.head, fact.tail))


def headline_test(release: Release, doc: Doc) -> Callable[[tuple[int, int]], bool]:
    """Whether a sentence is a headline or caption-like line: the release title, or a short line
    with no closing punctuation. Pairs read there count only when the body names none."""
    spans = []
    limit = 100 if release.lang == "zh" else 200
    pos = 0
    for line in doc.text.split("\n"):
        body = line.strip()
        if body and len(body) < limit and not _TERMINAL.search(body):
            spans.append((pos, pos + len(line)))
        pos += len(line) + 1
    title = (release.title or "").strip()
    if title and release.clean_text.startswith(title):
        end = len(title)
        if release.lang == "zh" and release.hans_to_clean:
            end = next((j for j, c in enumerate(release.hans_to_clean) if c >= end), len(doc.text))
        spans.append((0, end))
    return lambda span: any(s <= span[0] and span[1] <= e for s, e in spans)
