"""Dates in English and Chinese: month names, parsing one date, finding dates in text, the default year.

Every part of the pipeline that reads a date uses this module, so a DATE entity, the date of a
relation, the dateline and the dates alignment compares are read by the same rules:

- `parse_date`: one written date (`December 24, 2025`, `2025年12月24日`, `2025-12-24`) to a
  `datetime.date`; a form without a year takes `default_year` when one is known.
- `find_dates_en` / `find_dates_zh`: DATE entity spans with their ISO `norm` (`2025-12-24`,
  `2025-06`, `2025`, or `--12-24` when no year is known). A month alone, a weekday, `today` or a
  day number (`13日`) is not a DATE.
- `TODAY`: `today` / 今日, which relations date by the dateline (their written dates are the
  recogniser's DATE entities: relate reads no dates of its own).
- `default_year`: the one rule for the year of dates written without one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol


class _Dated(Protocol):
    """What `default_year` reads of a release (a `pipeline.release.Release`)."""

    dateline_date: date | None
    text_hans: str | None
    clean_text: str


# ---------------------------------------------------------------------------------------------
# month names, Chinese numerals, one date

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

ISO_DATE = re.compile(r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")
ZH_DATE_PARTS = re.compile(
    r"(?:(\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*)?(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号號]"
)
EN_MDY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
EN_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
EN_MD = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!,?\s*\d)")
EN_DM = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\b(?!,?\s*\d)")


def cn_number(s: str) -> int:
    """`2025`, `二〇二五`, `十二`, `二十四` as an int: Chinese dates write their numbers either way."""
    if s.isdigit():
        return int(s)
    if len(s) == 4:  # 二〇二五
        return int("".join(str(CN_DIGITS[c]) for c in s))
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + CN_DIGITS[s[1]]
    if s.endswith("十"):
        return CN_DIGITS[s[0]] * 10
    if "十" in s:
        return CN_DIGITS[s[0]] * 10 + CN_DIGITS[s[2]]
    return CN_DIGITS[s]


def _make(y: int | None, m: int, d: int) -> date | None:
    if y is None:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str, default_year: int | None = None) -> date | None:
    """Parse one date written in English or Chinese; None when it is not a full calendar date."""
    text = text.strip()
    if m := ISO_DATE.search(text):
        return _make(int(m[1]), int(m[2]), int(m[3]))
    if m := ZH_DATE_PARTS.search(text):
        year = cn_number(m[1]) if m[1] else default_year
        return _make(year, cn_number(m[2]), cn_number(m[3]))
    if (m := EN_MDY.search(text)) and m[1].lower() in MONTHS:
        return _make(int(m[3]), MONTHS[m[1].lower()], int(m[2]))
    if (m := EN_DMY.search(text)) and m[2].lower() in MONTHS:
        return _make(int(m[3]), MONTHS[m[2].lower()], int(m[1]))
    if default_year is not None:
        if (m := EN_MD.search(text)) and m[1].lower() in MONTHS:
            return _make(default_year, MONTHS[m[1].lower()], int(m[2]))
        if (m := EN_DM.search(text)) and m[2].lower() in MONTHS:
            return _make(default_year, MONTHS[m[2].lower()], int(m[1]))
    return None


# ---------------------------------------------------------------------------------------------
# DATE entities (the recognisers' patterns)

MONTH_NAME = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_BARE_YEAR = r"(?:1[89]|20)\d{2}"
EN_DATE_SPAN = re.compile(
    rf"""(?x)
    (?P<mdy>\b{MONTH_NAME}\s+{_DAY},?\s+{_YEAR}\b)
  | (?P<dmy>\b{_DAY}\s+{MONTH_NAME},?\s+{_YEAR}\b)
  | (?P<ymd>(?<![\d.]){_YEAR}[-./](?:1[0-2]|0?[1-9])[-./](?:3[01]|[12]\d|0?[1-9])(?![\d.]))
  | (?P<us>(?<![\d/])(?:1[0-2]|0?[1-9])/(?:3[01]|[12]\d|0?[1-9])/(?:\d{{4}}|\d{{2}})(?![\d/]))
  | (?P<my>\b{MONTH_NAME},?\s+{_YEAR}\b)
  | (?P<md>\b{MONTH_NAME}\s+{_DAY}\b(?!\s*[-–]?\s*\d))
  | (?P<dm>\b{_DAY}\s+{MONTH_NAME}(?!\w))
    """
)
# A bare year read as when something happened: "in 1892", "Founded in 1997", "at the end of 2017".
_EN_YEAR = re.compile(rf"(?<=\b(?:in|In|of) )(?P<year>{_BARE_YEAR})(?![\w\-–/])(?!\s+[A-Z0-9])")

_ZH_NUM = r"(?:\d{1,4}|[〇零一二三四五六七八九十]{1,4})"
ZH_DATE_SPAN = re.compile(
    rf"""(?x)
    (?P<ymd>(?<!\d)\d{{4}}[-./](?:1[0-2]|0?[1-9])[-./](?:3[01]|[12]\d|0?[1-9])(?!\d))
  | (?P<full>(?:{_ZH_NUM}\s*年\s*)?{_ZH_NUM}\s*月\s*{_ZH_NUM}\s*[日号])
  | (?P<my>(?<!\d){_ZH_NUM}\s*年\s*{_ZH_NUM}\s*月(?!\s*{_ZH_NUM}\s*[日号]))
    """
)


@dataclass(frozen=True)
class Found:
    """A span found by pattern: a DATE (here) or a MONEY amount (`pipeline.ner.patterns`); `norm` its normal form."""

    start: int
    end: int
    label: str
    norm: str


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _month_num(name: str) -> int | None:
    return MONTHS.get(name.rstrip(".").lower())


def _en_norm(kind: str, text: str, default_year: int | None) -> str:
    if kind in ("mdy", "dmy", "ymd"):
        return _iso(parse_date(text)) or text
    if kind == "us":
        m, d, y = (int(x) for x in text.split("/"))
        y = y + (2000 if y < 50 else 1900) if y < 100 else y
        return _iso(_safe_date(y, m, d)) or text
    if kind == "my":
        name, year = _groups(r"([A-Za-z]+)\.?,?\s+(\d{4})", text)
        return f"{year}-{_month_num(name) or 0:02d}"
    words = re.findall(r"[A-Za-z]+", text)
    month = next((n for w in words if (n := _month_num(w))), 0)
    day = _first_int(text)
    if default_year and (found := _safe_date(default_year, month, day)):
        return found.isoformat()
    return f"--{month:02d}-{day:02d}"


def _safe_date(y: int, m: int | None, d: int) -> date | None:
    try:
        return date(y, m, d) if m else None
    except ValueError:
        return None


def find_dates_en(text: str, default_year: int | None = None, bare_years: bool = True) -> Iterator[Found]:
    """English DATE spans; month-day dates take `default_year` (the dateline's) for their ISO form."""
    for m in EN_DATE_SPAN.finditer(text):
        kind = m.lastgroup or ""
        if kind in ("md", "dm") and not _valid_day_month(m.group()):
            continue
        yield Found(m.start(), m.end(), "DATE", _en_norm(kind, m.group(), default_year))
    if bare_years:
        for m in _EN_YEAR.finditer(text):
            yield Found(m.start(), m.end(), "DATE", m.group())


def _valid_day_month(s: str) -> bool:
    return 1 <= _first_int(s) <= 31


def _first_int(s: str) -> int:
    """The first number of a span its pattern guarantees has one."""
    m = re.search(r"\d+", s)
    if m is None:
        raise ValueError(f"no number in date span {s!r}")
    return int(m.group())


def _groups(pattern: str, s: str) -> tuple[str, ...]:
    """The groups of `pattern` at the start of a span its pattern guarantees matches."""
    m = re.match(pattern, s)
    if m is None:
        raise ValueError(f"date span {s!r} does not match {pattern!r}")
    return m.groups()


def find_dates_zh(text: str, default_year: int | None = None) -> Iterator[Found]:
    """Chinese DATE spans: `2025年12月24日`, `12月24日`, `2025年6月`, `2025-12-24`."""
    for m in ZH_DATE_SPAN.finditer(text):
        s = m.group()
        if m.lastgroup == "my":
            y, mo = _groups(rf"({_ZH_NUM})\s*年\s*({_ZH_NUM})", s)
            year, month = _zh_int(y), _zh_int(mo)
            if year < 1900 or not 1 <= month <= 12:
                continue
            yield Found(m.start(), m.end(), "DATE", f"{year}-{month:02d}")
            continue
        d = parse_date(s, default_year)
        if d is None and m.lastgroup == "full" and "年" not in s:
            month, day = (_zh_int(x) for x in re.findall(_ZH_NUM, s)[:2])
            if 1 <= month <= 12 and 1 <= day <= 31:
                yield Found(m.start(), m.end(), "DATE", f"--{month:02d}-{day:02d}")
            continue
        if d is not None:
            yield Found(m.start(), m.end(), "DATE", d.isoformat())


def _zh_int(s: str) -> int:
    return int(s) if s.isdigit() else cn_number(s)


# ---------------------------------------------------------------------------------------------
# `today`, and the year of dates written without one

# A month word as press releases write it (`Jan`, `Jan.`, `January`, `Sept`); parse_date checks the spelling.
MONTH_WORD = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
TODAY = re.compile(r"\btoday\b|今日|今天|本日")
# A date that carries its year: 2025年12月 / 2025-12-24 / 24 December 2025 / December 24, 2025.
_YEAR_OF_DATE = re.compile(
    r"((?:19|20)\d{2})\s*(?:年\s*\d{1,2}\s*月|[-./]\d{1,2}[-./]\d{1,2})"
    r"|\b\d{1,2}\s+[A-Z][a-z]+\.?,?\s+((?:19|20)\d{2})"
    r"|[A-Z][a-z]+\.?\s+\d{1,2},?\s+((?:19|20)\d{2})"
)


def default_year(release: _Dated) -> int | None:
    """The year of dates written without one (`12月24日`, `January 13`): the dateline's, else the first dated mention's.

    One rule for DATE entities and for the dates of relations, so that an entity `--12-24` and the
    relation that cites it never disagree on the year.
    """
    if release.dateline_date is not None:
        return release.dateline_date.year
    m = _YEAR_OF_DATE.search(release.text_hans or release.clean_text)
    return int(next(g for g in m.groups() if g)) if m else None
