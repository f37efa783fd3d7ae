"""Compact per-release signals that alignment compares: dates, numbers, Latin words, known names.

Releases about hospitals signing agreements all read alike, so the decision rests on what differs
between events: when (dateline and dates in the text, within a day or two), how much (numbers),
who (names in both languages, Latin names left in Chinese text, bilingual term concepts).
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from pipeline.align import lexicon, translit
from pipeline.text import dates as _dates
from pipeline.text.chars import HAN, HAN_CHARS
from pipeline.text.hans import to_hans

_YEAR = re.compile(r"(?<!\d)(19[89]\d|20[0-4]\d)(?!\d)")
_SHORT_YEAR_ZH = re.compile(r"(?<!\d)(\d{2})年")
_EN_NUM = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(%|per ?cent|thousand|million|billion|bn|m\b)?", re.I)
_ZH_NUM = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(%|％|千|万|萬|亿|億)?")
_SCALE = {
    "thousand": 1e3,
    "million": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "千": 1e3,
    "万": 1e4,
    "萬": 1e4,
    "亿": 1e8,
    "億": 1e8,
}
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9&'.-]*[A-Za-z0-9]|[A-Z]")
_LATIN_NOISE = frozenset(
    [
        "www",
        "http",
        "https",
        "com",
        "cn",
        "hk",
        "net",
        "org",
        "html",
        "htm",
        "php",
        "asp",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "pdf",
        "app",
        "ios",
        "android",
        "qr",
        "wechat",
        "weibo",
        "facebook",
        "twitter",
        "whatsapp",
        "email",
        "copyright",
        "rights",
        "reserved",
        "pm",
        "am",
        "a",
        "b",
        "c",
        "the",
        "and",
        "of",
    ]
)
# Not text/sentences.py: a summary also splits English sentences inside Chinese text (a bilingual
# newsletter's caption runs into its Chinese sentence), which the Chinese splitter keeps whole.
_SENT_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s+|\n+")


@dataclass
class Signals:
    """What alignment compares for one release (no raw text kept)."""

    dates: set[date] = field(default_factory=set)
    month_days: set[tuple[int, int]] = field(default_factory=set)  # dates seen without a year
    numbers: set[str] = field(default_factory=set)
    latin: set[str] = field(default_factory=set)  # zh: Latin words written in the Chinese text; en: all words
    concepts: set[int] = field(default_factory=set)
    names: list[str] = field(default_factory=list)  # en: romanised name candidates
    zh_names: dict[str, set[str]] = field(default_factory=dict)  # zh: surname spelling -> names starting with it
    words: frozenset[str] = frozenset()  # English content words (zh: CC-CEDICT glosses of its words)
    summary: str = ""


def main_year(text: str, dateline: date | None) -> int | None:
    """The year the release is about: its dateline's, else the commonest 4-digit year in the text."""
    if dateline is not None:
        return dateline.year
    years = Counter(int(y) for y in _YEAR.findall(text[:6000]))
    return years.most_common(1)[0][0] if years else None


# A date range gives both ends (a trip "24 日至 26 日", "November 24-26, 2025"): a report may date
# the event by either. A compact stamp (`20251127 16:22:39`, a wire service's) is a date too.
_ZH_RANGE = re.compile(r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]?\s*(?:至|到|[-–—~～])\s*(\d{1,2})\s*[日号號]")
_EN_RANGE = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})\s*(?:-|–|—|to)\s*(\d{1,2}),?\s+(\d{4})\b")
_COMPACT_DATE = re.compile(r"(?<!\d)((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)")


def _year(s: str | None) -> int | None:
    return _dates.cn_number(s) if s else None


def find_dates(text: str, default_year: int | None) -> tuple[set[date], set[tuple[int, int]], list[tuple[int, int]]]:
    """Full dates, year-less (month, day) dates, and the spans they occupy."""
    full: set[date] = set()
    partial: set[tuple[int, int]] = set()
    spans: list[tuple[int, int]] = []
    # Each pattern's (year, month, day) readings; the year is None for a year-less date.
    patterns: list[tuple[re.Pattern[str], Callable[[re.Match[str]], list[tuple[int | None, int | None, int]]]]] = [
        (_ZH_RANGE, lambda m: [(_year(m[1]), int(m[2]), int(m[3])), (_year(m[1]), int(m[2]), int(m[4]))]),
        (_EN_RANGE, lambda m: [(int(m[4]), _dates.MONTHS.get(m[1].lower()), int(d)) for d in (m[2], m[3])]),
        (_dates.ISO_DATE, lambda m: [(int(m[1]), int(m[2]), int(m[3]))]),
        (_COMPACT_DATE, lambda m: [(int(m[1]), int(m[2]), int(m[3]))]),
        (_dates.ZH_DATE_PARTS, lambda m: [(_year(m[1]), _dates.cn_number(m[2]), _dates.cn_number(m[3]))]),
        (_dates.EN_MDY, lambda m: [(int(m[3]), _dates.MONTHS.get(m[1].lower()), int(m[2]))]),
        (_dates.EN_DMY, lambda m: [(int(m[3]), _dates.MONTHS.get(m[2].lower()), int(m[1]))]),
        (_dates.EN_MD, lambda m: [(None, _dates.MONTHS.get(m[1].lower()), int(m[2]))]),
        (_dates.EN_DM, lambda m: [(None, _dates.MONTHS.get(m[2].lower()), int(m[1]))]),
    ]
    taken = bytearray(len(text))
    for rx, parts in patterns:
        for m in rx.finditer(text):
            if any(taken[m.start() : m.end()]):
                continue
            try:
                found = [(y, mo, d) for y, mo, d in parts(m) if mo and 1 <= mo <= 12 and 1 <= d <= 31]
            except (KeyError, ValueError):
                continue
            found = [(y, mo, d) for y, mo, d in found if y is None or 1980 <= y <= 2049]
            if not found:
                continue
            taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
            spans.append((m.start(), m.end()))
            for y, mo, d in found:
                partial.add((mo, d))
                year = y if y is not None else default_year
                if year is not None:
                    with contextlib.suppress(ValueError):  # 29 February of a common year
                        full.add(date(year, mo, d))
    return full, partial, spans


def _number(whole: str, frac: str | None, unit: str | None) -> str | None:
    value = float(whole.replace(",", "") + ("." + frac if frac else ""))
    unit = (unit or "").lower().replace(" ", "")
    if unit in ("%", "％", "percent"):
        return f"{value:g}%"
    value *= _SCALE.get(unit, 1.0)
    if value < 10 or (not unit and not frac and len(whole) == 4 and 1980 <= value <= 2049):
        return None  # small counts are written as words in one language and digits in the other; years are dates
    return f"{value:.6g}"


def find_numbers(text: str, lang: str, skip: list[tuple[int, int]]) -> set[str]:
    """Quantities (>= 10, percentages, scaled by million/万/亿) outside date spans, as canonical strings."""
    mask = bytearray(len(text))
    for a, b in skip:
        mask[a:b] = b"\x01" * (b - a)
    out = set()
    for m in (_ZH_NUM if lang == "zh" else _EN_NUM).finditer(text):
        if mask[m.start()]:
            continue
        n = _number(m[1], m[2], m[3])
        if n:
            out.add(n)
    return out


def summary_text(text: str, title: str | None, lang: str, max_lines: int = 2) -> str:
    """The release's headline, else its first substantial sentence, cut short: what the encoder compares.

    The title field is often page chrome (a site name, a byline with a timestamp, an unrelated
    company line on a spam copy), so the headline is the first of the title and the text's first
    short lines that the text bears out (`headline_support`: most of its words or character pairs
    recur further down). Short on purpose: the numpy encoder costs about 5 ms per short line on a
    shared core, and a release's first lines carry its event (who signed what) best.
    """
    min_len, max_len = (12, 60) if lang == "zh" else (40, 150)
    title = title.strip() if isinstance(title, str) else ""
    if lang == "zh":
        title = to_hans(title)
    head = text[:_HEAD_CHARS]
    lines = [x.strip() for x in head[:_HEAD_LINES_CHARS].split("\n")]
    parts = [h for h in (headline(title, lines, head, lang, max_len),) if h]
    first = ""  # the first substantial segment, kept if the filters below leave nothing
    for segment in _SENT_END.split(head):
        if len(parts) >= max_lines:
            break
        whole = _summary_sentence(segment or "", lang)
        s = whole[:max_len]
        if len(s) < min_len or any(s in p for p in parts) or len(headline_units(s, lang)) < _HEAD_UNITS[lang]:
            continue
        first = first or s
        if lang == "zh" and len(HAN.findall(s)) < _SUMMARY_HAN_SHARE * len(s.replace(" ", "")):
            continue  # an English caption or page line on the Chinese side says nothing the encoder can pair
        if not _ENDS_SENTENCE.search(whole) and headline_support(s, head, lang)[0] < _SUMMARY_SUPPORT:
            continue  # a line, not a sentence, the text does not say again: page chrome (a timestamp, a spam title)
        parts.append(s)
    return "\n".join(parts or [first])


def _summary_sentence(s: str, lang: str) -> str:
    """A sentence as the encoder should see it: on the Chinese side, a PDF's hard wraps inside
    words joined and a long English caption run in front of the sentence (a bilingual newsletter
    without line breaks) cut off."""
    s = s.strip()
    if lang != "zh":
        return s
    return _HAN_GAP.sub("", _LATIN_LEAD.sub("", s))


def headline(title: str, lines: list[str], text: str, lang: str, max_len: int) -> str | None:
    """The first of the title and the text's short lines before its first paragraph (a line
    longer than `max_len`; at most `_HEAD_LINES` lines) with enough content (`_HEAD_UNITS`) that the
    text bears out (support >= `_HEAD_SUPPORT`)."""
    cands = [title]
    for x in lines[:_HEAD_LINES]:
        if len(x) > max_len:
            break  # the body has begun: a headline comes before it
        cands.append(x)
    for c in dict.fromkeys(x for x in cands if x and len(x) <= max_len):
        share, n = headline_support(c, text, lang)
        if n >= _HEAD_UNITS[lang] and share >= _HEAD_SUPPORT:
            return c
    return None


_HEAD_CHARS, _HEAD_LINES_CHARS, _HEAD_LINES = 3000, 1500, 10
_HEAD_UNITS = {"zh": 8, "en": 6}  # a headline has at least this many character pairs / content words
_HEAD_SUPPORT = 0.6
_SUMMARY_SUPPORT = 0.3  # looser than a headline: a title the text only half repeats still counts
_SUMMARY_HAN_SHARE = 0.5
_ENDS_SENTENCE = re.compile(r"[。！？!?；;.”」\"]$")
_LATIN_LEAD = re.compile(rf"^[^{HAN_CHARS}]{{20,}}(?=[{HAN_CHARS}])")
_HAN_GAP = re.compile(rf"(?<=[{HAN_CHARS}]) +(?=[{HAN_CHARS}])")
_HAN_RUN = re.compile(rf"[{HAN_CHARS}]{{2,}}")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.I)


def headline_units(s: str, lang: str) -> set[str]:
    """What a line says, as a set: Chinese character pairs and Latin words; English content words."""
    s = _URL.sub(" ", s)
    if lang != "zh":
        return lexicon.content_words(s)
    out = {w.lower() for w in _LATIN_WORD.findall(s)}
    for run in _HAN_RUN.findall(s):
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def headline_support(line: str, text: str, lang: str) -> tuple[float, int]:
    """(share of the line's units found in the rest of `text`, how many units the line has).

    The line's own first occurrence is left out of the text, so a line counts only for what the
    text says again: a headline's parties and act recur in the body, a site name or an unrelated
    company line pasted on top of a copied page mostly do not."""
    units = headline_units(line, lang)
    if not units:
        return 0.0, 0
    k = text.find(line)
    rest = text[:k] + text[k + len(line) :] if k >= 0 else text
    return len(units & headline_units(rest, lang)) / len(units), len(units)


def extract(text: str, lang: str, title: str | None, dateline: date | None, max_chars: int = 8000) -> Signals:
    """Signals of one release; `text` is `text_hans` for Chinese, `clean_text` for English."""
    text = text[:max_chars]
    if not isinstance(dateline, date):
        dateline = None  # NaN / NaT from pandas
    elif hasattr(dateline, "date"):
        dateline = dateline.date()  # a pandas Timestamp
    year = main_year(text, dateline)
    full, partial, spans = find_dates(text, year)
    if dateline is not None:
        full.add(dateline)
        partial.add((dateline.month, dateline.day))
    sig = Signals(dates=full, month_days=partial, numbers=find_numbers(text, lang, spans))
    terms = lexicon.terms()
    if lang == "zh":
        sig.latin = {w.lower().strip(".") for w in _LATIN.findall(text)} - _LATIN_NOISE
        sig.latin = {w for w in sig.latin if len(w) > 1}
        sig.concepts = set(terms.find_zh(text))
        sig.zh_names = zh_name_index(text[:4000])
        sig.words = gloss_words(text[:_LEX_CHARS_ZH])
    else:
        toks = lexicon.en_tokens(text)
        sig.latin = {t.strip(".") for t in toks}
        sig.concepts = set(terms.find_en(toks))
        sig.names = translit.en_name_candidates(text[:6000])
        sig.words = frozenset(lexicon.content_words(text[:_LEX_CHARS_EN]))
    sig.summary = summary_text(text, title, lang)
    return sig


_LEX_CHARS_ZH, _LEX_CHARS_EN = 600, 1800  # about the same content in both languages


def gloss_words(text: str) -> frozenset[str]:
    """English words of the CC-CEDICT glosses of a Chinese text's words (greedy longest match).

    A word-by-word translation is poor English but shares the rare words (places, specialties,
    institution parts) with the English version; idf weighting mutes the common ones.
    """
    gl = lexicon.glosses()
    words: set[str] = set()
    i, n = 0, len(text)
    while i < n:
        for k in (4, 3, 2):
            w = text[i : i + k]
            if len(w) == k and w in gl:
                for g in gl[w][:2]:
                    words |= lexicon.content_words(g)
                i += k
                break
        else:
            i += 1
    return frozenset(words)


def zh_name_index(text: str) -> dict[str, set[str]]:
    """Two- and three-character strings that start with a surname, keyed by the surname's spellings."""
    table = lexicon.surnames()
    out: dict[str, set[str]] = {}
    for i, ch in enumerate(text):
        for sur in (text[i : i + 2], ch):
            if sur not in table:
                continue
            for glen in (1, 2):
                cand = text[i : i + len(sur) + glen]
                if len(cand) == len(sur) + glen and all(HAN.match(c) for c in cand):
                    for r in table[sur]:
                        out.setdefault(r, set()).add(cand)
            break
    return out


def names_found(en_names: list[str], zh_index: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(English, Chinese) name pairs whose surname and given name both transliterate exactly."""
    found = []
    for en in en_names:
        hit = None
        for sur, given in translit.orders(en):
            if not given:
                continue
            for cand in sorted(zh_index.get(sur, ())):
                parts = translit.split_zh(cand)
                if parts and given in translit.given_forms(parts[1]):
                    hit = cand
                    break
            if hit:
                break
        if hit:
            found.append((en, hit))
    return found
