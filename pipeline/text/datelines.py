"""Datelines: where and when a release was filed, as its first line writes it.

`HONG KONG, Dec. 24, 2025 /PRNewswire/ --`, `HONG KONG SAR - Media OutReach Newswire - 23 April 2025 -`,
`SHANGHAI, China and NEW YORK -- (BUSINESS WIRE) --`, `香港2025年12月24日 /美通社/ --`. Read by the
clean stage (the release's `dateline_place` and `dateline_date`) and by the English recogniser (the
places a dateline names are places, known to the gazetteer or not).
"""

from __future__ import annotations

import re
from datetime import date

from pipeline.text.dates import MONTH_WORD, parse_date

_MONTH = MONTH_WORD
_EN_DATE = rf"(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}})"
_WIRE = (
    r"(?:PRNewswire|PR Newswire|Business Wire|BUSINESS WIRE|GLOBE NEWSWIRE|Xinhua|AP|Reuters|ACCESSWIRE"
    r"|Media OutReach(?: Newswire)?)"
)
_PLACE_WORD = r"[A-Z][A-Za-z.'\-]*"  # each word of a place capitalised: `SHANGHAI, China and NEW YORK`
_DATELINES = [
    # HONG KONG, Dec. 24, 2025 /PRNewswire/ --
    re.compile(rf"(?P<place>[A-Z][A-Za-z .'\-]{{1,40}}?),\s*(?P<date>{_EN_DATE})\s*/\s*{_WIRE}[^/]*/\s*[-–—]*"),
    # HONG KONG SAR - Media OutReach Newswire - 23 April 2025 -
    re.compile(rf"(?P<place>[A-Z][A-Z .'\-]{{1,40}}?)\s*[-–—]\s*{_WIRE}\s*[-–—]\s*(?P<date>{_EN_DATE})\s*[-–—]"),
    # (11 March 2025, Hong Kong)  /  (12 June 2023 - Hong Kong) –
    re.compile(rf"\(\s*(?P<date>{_EN_DATE})\s*[,\-–—]\s*(?P<place>[A-Z][A-Za-z .'\-]{{1,40}}?)\s*\)"),
    # HONG KONG (SE): / BEIJING, Aug. 31 (Xinhua) --
    re.compile(rf"(?P<place>[A-Z][A-Z .'\-]{{2,40}}?),?\s*(?:(?P<date>{_EN_DATE})\s*)?\((?:SE|Xinhua|AP|Reuters)\)\s*[:\-–—]"),
    # SHANGHAI, China and NEW YORK -- (BUSINESS WIRE) -- (Business Wire writes no date there; the place
    # runs from the start of its line and may name several)
    re.compile(
        rf"(?m)^[ \t]*(?P<place>{_PLACE_WORD}(?:(?:,[ \t]*|[ \t]+(?:and|&)[ \t]+|[ \t]+){_PLACE_WORD}){{0,7}})"
        rf"\s*[-–—]{{1,2}}\s*\(\s*{_WIRE}\s*\)\s*[-–—]{{1,2}}"
    ),
    # 香港2025年12月24日 /美通社/ --
    re.compile(
        r"(?P<place>[\u4e00-\u9fff]{2,8}?)\s*(?P<date>\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s*(?:電|电)?\s*/\s*(?:美通社|新华社|新華社|亚太|亞太)[^/]{0,10}/\s*[-–—]*"
    ),
    # 人民网香港12月18日电 / 本報香港9月9日電 / 新华社北京8月1日电
    re.compile(
        r"(?:人民网|人民網|新华社|新華社|中新社|中新网|中新網|本報|本报|香港商報|大公報|文匯報)\s*(?:訊|讯)?\s*(?P<place>[\u4e00-\u9fff]{2,6}?)\s*(?P<date>(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*日)\s*(?:電|电|訊|讯)"
    ),
]


def dateline_match(text: str, head_chars: int = 1500) -> re.Match[str] | None:
    """The first dateline in the head of the text (its `place` and `date` groups), or None."""
    head = text[:head_chars]
    best = None
    for rx in _DATELINES:
        m = rx.search(head)
        if m and (best is None or m.start() < best.start()):
            best = m
    return best


def find_dateline(text: str, head_chars: int = 1500) -> tuple[str | None, date | None, str | None]:
    """Return (place, date, date as written) of the first dateline in the head of the text."""
    best = dateline_match(text, head_chars)
    if best is None:
        return None, None, None
    place = best.group("place").strip(" ,-–—") if best.group("place") else None
    written = best.groupdict().get("date")
    when = parse_date(written) if written else None
    return place, when, written


_PLACE_SEP = re.compile(r"\s*(?:,|&|\band\b)\s*")


def dateline_places(text: str, head_chars: int = 1500) -> list[tuple[int, int]]:
    """The (start, end) offsets of each place a dateline names: `SHANGHAI, China and NEW YORK` is
    three (`SHANGHAI`, `China`, `NEW YORK`), split at commas, `&` and `and`."""
    m = dateline_match(text, head_chars)
    if m is None or m.group("place") is None:
        return []
    start, place = m.start("place"), m.group("place")
    out, at = [], 0
    for sep in [*_PLACE_SEP.finditer(place), None]:
        end = sep.start() if sep else len(place)
        piece = place[at:end]
        lead = len(piece) - len(piece.lstrip(" -–—"))
        piece = piece.strip(" -–—")
        if piece[:1].isupper():
            out.append((start + at + lead, start + at + lead + len(piece)))
        at = sep.end() if sep else end
    return out
