"""Long texts cut into pieces for the taggers: spaCy refuses more than `nlp.max_length` characters
(1,000,000, error E088), and the rules and the grouping of mentions cost more than linear time in
the length of what they read. A release longer than the limit is read piece by piece, each piece
ending at a paragraph break, else a line break, else a sentence end, else a space.
"""

from __future__ import annotations

import bisect
import re

from pipeline.release import Entity

DEFAULT_MAX_CHARS = 100_000
# Where a sentence ends: a full stop (with closing quotes or brackets) and the spaces after it.
_SENTENCE_END = re.compile(r"[.!?。！？；;][\"'”’」』)）]*[ \t]*")


def split_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> list[tuple[int, int]]:
    """Contiguous [start, end) spans covering `text`, each at most `max_chars` long.

    The break that separates most wins (a blank line, then a line end, a sentence end, a space)
    if there is one in the last three quarters of the window (so that pieces are not tiny), else
    anywhere in it; text with no break at all is cut at the window's end.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be positive, not {max_chars!r}")
    spans: list[tuple[int, int]] = []
    start, n = 0, len(text)
    while n - start > max_chars:
        end = start + max_chars
        cut = _cut(text, start + max_chars // 4, end) or _cut(text, start + 1, end) or end
        spans.append((start, cut))
        start = cut
    spans.append((start, n))
    return spans


def _cut(text: str, lo: int, hi: int) -> int | None:
    """The best place in (lo, hi] to end a piece: just after a break, or None."""
    for sep in ("\n\n", "\n"):
        i = text.rfind(sep, lo, hi)
        if i >= 0:
            return i + len(sep)
    last = None
    for m in _SENTENCE_END.finditer(text, lo, hi):
        last = m.end()
    if last is not None and last > lo:
        return last
    i = max(text.rfind(" ", lo, hi), text.rfind("\t", lo, hi))
    return i + 1 if i >= 0 else None


def merge_entities(parts: list[list[Entity]], text: str | None = None, lang: str = "en") -> list[Entity]:
    """The entities of a release read in pieces: one row per entity across the pieces.

    Rows of two pieces are one entity when they have the same label and the same name (`text` or
    `text_norm`; a date by its written form), or when one's name is a short form the other defined
    (`HVMG` read in a later piece than `Harbourvale Medical Group ("HVMG")`). Generic short forms
    (`the Company`) join nothing. With `text` (the clean text the offsets point into), a short
    form is then also a mention wherever it is written and nothing else was read, in every piece
    (as a release read whole ties each use of a defined short form to its name). Ids are given
    again in order of first mention, as for a release read whole.
    """
    from pipeline.labels import TERM_LABELS
    from pipeline.ner import lexicon
    from pipeline.ner.consolidate import GENERIC_NAMES, canon

    def names(e: Entity) -> list[str]:
        if e.label in ("DATE", "MONEY"):
            own = [e.text]
        elif e.label in TERM_LABELS:
            own = [e.text_norm]
        else:
            own = [e.text_norm, e.text]
        keys = [canon(s) for s in own] + [canon(a) for a in e.aliases if canon(a) not in GENERIC_NAMES]
        if e.label == "GPE" and lang == "en":  # `MACAU` in one piece, `Macao` in another: one place (consolidate)
            keys += [f"place:{spelling}" for s in own if (spelling := lexicon.place_spelling(s))]
        return list(dict.fromkeys(k for k in keys if k))

    merged: list[Entity] = []
    index: dict[tuple[str, str], Entity] = {}
    for ents in parts:
        for e in ents:
            keys = names(e)
            target = next((t for k in keys if (t := index.get((e.label, k))) is not None), None)
            if target is None:
                e = Entity("", e.label, e.text, e.text_norm, list(e.mentions), list(e.aliases), e.source, e.score)
                merged.append(e)
                target = e
            else:
                _join(target, e, canon)
            for k in keys:
                index.setdefault((e.label, k), target)
    if text is not None:
        _short_forms_everywhere(merged, text, lang, canon, GENERIC_NAMES)
    merged.sort(key=lambda e: e.mentions[0][0] if e.mentions else 0)
    for i, e in enumerate(merged, 1):
        e.entity_id = f"E{i}"
    return merged


def _short_forms_everywhere(entities: list[Entity], text: str, lang: str, canon, generic: frozenset[str]) -> None:
    """Add each use of an entity's short form that no mention covers yet (`HKSH` in a piece that
    never defines it). English short forms count only as whole words with a capital letter."""
    taken = sorted(m for e in entities for m in e.mentions)
    starts = [s for s, _ in taken]
    longest = max((e - s for s, e in taken), default=0)

    def free(s: int, e: int) -> bool:
        lo, hi = bisect.bisect_left(starts, s - longest + 1), bisect.bisect_left(starts, e)
        return not any(a < e and s < b for a, b in taken[lo:hi])

    added: list[tuple[int, int]] = []
    for ent in entities:
        if ent.label not in ("ORG", "GPE", "PERSON"):
            continue
        new = []
        for alias in ent.aliases:
            alias = alias.strip()
            if canon(alias) in generic or len(alias) < 2:
                continue
            if lang == "en":
                if not any(c.isupper() for c in alias) or (len(alias) < 3 and not alias.isupper()):
                    continue
                rx = re.compile(rf"(?<![\w&]){re.escape(alias)}(?![\w&])")
            else:
                rx = re.compile(re.escape(alias))
            new += [m.span() for m in rx.finditer(text) if free(*m.span())]
        new = [span for span in dict.fromkeys(new) if not any(a < span[1] and span[0] < b for a, b in added)]
        if new:
            ent.mentions = sorted(set(ent.mentions) | set(new))
            added += new


def _join(target: Entity, e: Entity, canon) -> None:
    """Fold `e` (a later piece's row) into `target`; the score as if its mentions had been one group's."""
    n_t, n_e = len(target.mentions), len(e.mentions)
    target.mentions = sorted(set(target.mentions) | set(e.mentions))
    own = {canon(target.text), canon(target.text_norm)}
    if target.text_norm.isupper() and not e.text_norm.isupper() and canon(e.text_norm) == canon(target.text_norm):
        target.text_norm = e.text_norm  # `Hong Kong` read in one piece, `HONG KONG` (a dateline) in another
    for a in [e.text, *e.aliases]:
        if canon(a) not in own and a not in target.aliases:
            target.aliases.append(a)
    if target.score >= 1.0 or e.score >= 1.0:
        target.score = 1.0
    else:
        best = max(target.score - 0.03 * (n_t - 1), e.score - 0.03 * (n_e - 1))
        target.score = round(min(1.0, best + 0.03 * (len(target.mentions) - 1)), 3)
