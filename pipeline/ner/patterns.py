"""MONEY by pattern, in English and Chinese: amounts follow a handful of written forms.

MONEY always carries its currency; `norm` is the amount as written. DATE patterns are in
`pipeline.text.dates` (`find_dates_en`, `find_dates_zh`), with every other date rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pipeline.text.dates import Found

_CUR_SYM = r"(?:HK\$|US\$|NT\$|S\$|A\$|RMB|CNY|HKD|USD|EUR|GBP|JPY|MOP|\$|€|£|¥|￥)"
_SCALE = r"(?:\s?(?:million|billion|trillion|thousand|mn|bn|m|b)\b)?"
_CUR_WORD = (
    r"(?:yuan|renminbi|dollars?|US dollars|Hong Kong dollars|HK dollars|euros?|pounds?|cents|pence|yen|patacas|HKD|USD|RMB|CNY)"
)
_EN_MONEY = re.compile(rf"(?<![\w$])(?:{_CUR_SYM}\s?\d[\d,]*(?:\.\d+)?{_SCALE}|\d[\d,]*(?:\.\d+)?{_SCALE}\s?{_CUR_WORD}\b)")
_ZH_AMOUNT = r"(?:\d[\d,]*(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)\s*[十百千万亿]*"
_ZH_CUR_PRE = r"(?:人民币|港币|港元|美元|欧元|澳门币|新台币|RMB|HK\$|US\$|\$|￥|¥)"
_ZH_CUR_POST = r"(?:港元|美元|欧元|英镑|日元|澳门元|新台币|元)"
_ZH_MONEY = re.compile(rf"(?:{_ZH_CUR_PRE}\s*)?(?<![\d.]){_ZH_AMOUNT}\s*{_ZH_CUR_POST}|{_ZH_CUR_PRE}\s*{_ZH_AMOUNT}(?![\d,])")


def find_money(text: str, lang: str) -> Iterator[Found]:
    rx = _EN_MONEY if lang == "en" else _ZH_MONEY
    for m in rx.finditer(text):
        s = m.group().strip()
        if lang == "zh" and not re.search(r"\d|[十百千万亿]", s):
            continue  # 一元, 多元: no amount
        start = m.start() + (len(m.group()) - len(m.group().lstrip()))
        yield Found(start, start + len(s), "MONEY", s)
