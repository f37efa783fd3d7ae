"""Date parsing for datelines and DATE entities, English and Chinese.

The common press-release forms are parsed by hand (fast, exact); anything else goes to
`dateparser` for English. A form without a year takes `default_year` when one is known.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",),
            ("jun", "june"), ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"),
            ("oct", "october"), ("nov", "november"), ("dec", "december"),
        ]
    )
    for m in names
}
_CN_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}

_ISO = re.compile(r"(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})(?!\d)")
_ZH = re.compile(r"(?:(\d{4}|[〇零一二三四五六七八九]{4})\s*年\s*)?(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号號]")
_EN_MDY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_EN_DMY = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_EN_MD = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!,?\s*\d)")
_EN_DM = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\b(?!,?\s*\d)")


def _cn_number(s: str) -> int:
    if s.isdigit():
        return int(s)
    if len(s) == 4:  # 二〇二五
        return int("".join(str(_CN_DIGITS[c]) for c in s))
    if s == "十":
        return 10
    if s.startswith("十"):
        return 10 + _CN_DIGITS[s[1]]
    if s.endswith("十"):
        return _CN_DIGITS[s[0]] * 10
    if "十" in s:
        return _CN_DIGITS[s[0]] * 10 + _CN_DIGITS[s[2]]
    return _CN_DIGITS[s]


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
    if m := _ISO.search(text):
        return _make(int(m[1]), int(m[2]), int(m[3]))
    if m := _ZH.search(text):
        year = _cn_number(m[1]) if m[1] else default_year
        return _make(year, _cn_number(m[2]), _cn_number(m[3]))
    if (m := _EN_MDY.search(text)) and m[1].lower() in _MONTHS:
        return _make(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    if (m := _EN_DMY.search(text)) and m[2].lower() in _MONTHS:
        return _make(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    if default_year is not None:
        if (m := _EN_MD.search(text)) and m[1].lower() in _MONTHS:
            return _make(default_year, _MONTHS[m[1].lower()], int(m[2]))
        if (m := _EN_DM.search(text)) and m[2].lower() in _MONTHS:
            return _make(default_year, _MONTHS[m[2].lower()], int(m[1]))
    return None
