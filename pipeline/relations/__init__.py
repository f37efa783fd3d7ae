"""Relation extraction for the relate stage: English patterns over spaCy units, Chinese character
patterns over `text_hans`, the bilingual title table, and the merge into `Relation` records."""

from __future__ import annotations

import re
from collections.abc import Callable

from pipeline.relations.common import Doc, collect_mentions, date_hits, merge_facts
from pipeline.release import Relation, Release
from pipeline.text.dates import default_year

__all__ = ["RelationExtractor"]

# long stretches of English inside a Chinese release (bilingual newsletters, quoted English releases)
_LATIN_RUN = re.compile(r"[A-Za-z][A-Za-z0-9 ,.'’\"“”()&/:;\-–]{80,}")
_TERMINAL = re.compile(r"[.!?。！？”」\"')）]\s*$")


class RelationExtractor:
    """Patterns for both languages, loaded once; `__call__` gives the relations of one release."""

    def __init__(self, min_score: float = 0.0) -> None:
        from pipeline.relations.chinese import ChinesePatterns
        from pipeline.relations.english import EnglishPatterns

        self.min_score = min_score
        self.en = EnglishPatterns()
        self.zh = ChinesePatterns()

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
            self.zh.extract(doc, is_headline)
            latin = [m.span() for m in _LATIN_RUN.finditer(doc.text)]
            if latin:
                self.en.extract(doc, is_headline, segments=latin)
        else:
            self.en.extract(doc, is_headline)
        doc.facts = [f for f in doc.facts if not _against_conventions(f, release.lang)]
        return doc

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
