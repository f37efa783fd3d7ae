"""DATE and MONEY by pattern, in English and Chinese: both follow a handful of written forms.

A DATE is a calendar day, a month of a year, or (English only, when asked) a year read as a time
adverbial (`founded in 1997`). A month alone, a weekday, `today` or a day number (`13日`) is not.
MONEY always carries its currency. `norm` is an ISO date (`2025-12-24`, `2025-06`, `2025`, or
`--12-24` when no year is known), or the amount as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from pipeline.dates import _MONTHS, _cn_number, parse_date

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)"
)
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_BARE_YEAR = r"(?:1[89]|20)\d{2}"
_EN_DATE = re.compile(
    rf"""(?x)
    (?P<mdy>\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b)
  | (?P<dmy>\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b)
  | (?P<ymd>(?<![\d.]){_YEAR}[-./](?:1[0-2]|0?[1-9])[-./](?:3[01]|[12]\d|0?[1-9])(?![\d.]))
  | (?P<us>(?<![\d/])(?:1[0-2]|0?[1-9])/(?:3[01]|[12]\d|0?[1-9])/(?:\d{{4}}|\d{{2}})(?![\d/]))
  | (?P<my>\b{_MONTH},?\s+{_YEAR}\b)
  | (?P<md>\b{_MONTH}\s+{_DAY}\b(?!\s*[-–]?\s*\d))
  | (?P<dm>\b{_DAY}\s+{_MONTH}(?!\w))
    """
)
# A bare year read as when something happened: "in 1892", "Founded in 1997", "at the end of 2017".
_EN_YEAR = re.compile(rf"(?<=\b(?:in|In|of) )(?P<year>{_BARE_YEAR})(?![\w\-–/])(?!\s+[A-Z0-9])")

_ZH_NUM = r"(?:\d{1,4}|[〇零一二三四五六七八九十]{1,4})"
_ZH_DATE = re.compile(
    rf"""(?x)
    (?P<ymd>(?<!\d)\d{{4}}[-./](?:1[0-2]|0?[1-9])[-./](?:3[01]|[12]\d|0?[1-9])(?!\d))
  | (?P<full>(?:{_ZH_NUM}\s*年\s*)?{_ZH_NUM}\s*月\s*{_ZH_NUM}\s*[日号])
  | (?P<my>(?<!\d){_ZH_NUM}\s*年\s*{_ZH_NUM}\s*月(?!\s*{_ZH_NUM}\s*[日号]))
    """
)

_CUR_SYM = r"(?:HK\$|US\$|NT\$|S\$|A\$|RMB|CNY|HKD|USD|EUR|GBP|JPY|MOP|\$|€|£|¥|￥)"
_SCALE = r"(?:\s?(?:million|billion|trillion|thousand|mn|bn|m|b)\b)?"
_CUR_WORD = r"(?:yuan|renminbi|dollars?|US dollars|Hong Kong dollars|HK dollars|euros?|pounds?|cents|pence|yen|patacas|HKD|USD|RMB|CNY)"
_EN_MONEY = re.compile(
    rf"(?<![\w$])(?:{_CUR_SYM}\s?\d[\d,]*(?:\.\d+)?{_SCALE}|\d[\d,]*(?:\.\d+)?{_SCALE}\s?{_CUR_WORD}\b)"
)
_ZH_AMOUNT = r"(?:\d[\d,]*(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)\s*[十百千万亿]*"
_ZH_CUR_PRE = r"(?:人民币|港币|港元|美元|欧元|澳门币|新台币|RMB|HK\$|US\$|\$|￥|¥)"
_ZH_CUR_POST = r"(?:港元|美元|欧元|英镑|日元|澳门元|新台币|元)"
_ZH_MONEY = re.compile(rf"(?:{_ZH_CUR_PRE}\s*)?(?<![\d.]){_ZH_AMOUNT}\s*{_ZH_CUR_POST}|{_ZH_CUR_PRE}\s*{_ZH_AMOUNT}(?![\d,])")


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    label: str
    norm: str


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _month_num(name: str) -> int | None:
    return _MONTHS.get(name.rstrip(".").lower())


def _en_norm(kind: str, text: str, default_year: int | None) -> str:
    if kind in ("mdy", "dmy", "ymd"):
        return _iso(parse_date(text)) or text
    if kind == "us":
        m, d, y = (int(x) for x in text.split("/"))
        y = y + (2000 if y < 50 else 1900) if y < 100 else y
        return _iso(_safe_date(y, m, d)) or text
    if kind == "my":
        name, year = re.match(r"([A-Za-z]+)\.?,?\s+(\d{4})", text).groups()
        return f"{year}-{_month_num(name):02d}"
    words = re.findall(r"[A-Za-z]+", text)
    month = next((_month_num(w) for w in words if _month_num(w)), None)
    day = int(re.search(r"\d+", text).group())
    if default_year and (d := _safe_date(default_year, month, day)):
        return d.isoformat()
    return f"--{month:02d}-{day:02d}"


def _safe_date(y: int, m: int | None, d: int) -> date | None:
    try:
        return date(y, m, d) if m else None
    except ValueError:
        return None


def find_dates_en(text: str, default_year: int | None = None, bare_years: bool = True) -> Iterator[Found]:
    """English DATE spans; month-day dates take `default_year` (the dateline's) for their ISO form."""
    for m in _EN_DATE.finditer(text):
        kind = m.lastgroup or ""
        if kind in ("md", "dm") and not _valid_day_month(m.group()):
            continue
        yield Found(m.start(), m.end(), "DATE", _en_norm(kind, m.group(), default_year))
    if bare_years:
        for m in _EN_YEAR.finditer(text):
            yield Found(m.start(), m.end(), "DATE", m.group())


def _valid_day_month(s: str) -> bool:
    day = int(re.search(r"\d+", s).group())
    return 1 <= day <= 31


def find_dates_zh(text: str, default_year: int | None = None) -> Iterator[Found]:
    """Chinese DATE spans: `2025年12月24日`, `12月24日`, `2025年6月`, `2025-12-24`."""
    for m in _ZH_DATE.finditer(text):
        s = m.group()
        if m.lastgroup == "my":
            y, mo = re.match(rf"({_ZH_NUM})\s*年\s*({_ZH_NUM})", s).groups()
            year, month = _zh_int(y), _zh_int(mo)
            if year < 1900 or not 1 <= month <= 12:
                continue
            yield Found(m.start(), m.end(), "DATE", f"{year}-{month:02d}")
            continue
        d = parse_date(s, default_year)
        if d is None and m.lastgroup == "full" and "年" not in s:
            mo, dd = (_zh_int(x) for x in re.findall(_ZH_NUM, s)[:2])
            if 1 <= mo <= 12 and 1 <= dd <= 31:
                yield Found(m.start(), m.end(), "DATE", f"--{mo:02d}-{dd:02d}")
            continue
        if d is not None:
            yield Found(m.start(), m.end(), "DATE", d.isoformat())


def _zh_int(s: str) -> int:

    return int(s) if s.isdigit() else _cn_number(s)


def find_money(text: str, lang: str) -> Iterator[Found]:
    rx = _EN_MONEY if lang == "en" else _ZH_MONEY
    for m in rx.finditer(text):
        s = m.group().strip()
        if lang == "zh" and not re.search(r"\d|[十百千万亿]", s):
            continue  # 一元, 多元: no amount
        start = m.start() + (len(m.group()) - len(m.group().lstrip()))
        yield Found(start, start + len(s), "MONEY", s)
