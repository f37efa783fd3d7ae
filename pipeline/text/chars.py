"""Chinese characters as the pipeline's stages share them: the Han class, and how a short form's
characters sit in the name it shortens (`subsequence_gap`).

The Han (CJK ideograph) class:
`HAN_CHARS` is the class body, U+3400-U+9FFF: CJK Unified Ideographs Extension A and the
unified ideographs (no compatibility ideographs U+F900-U+FAFF, no supplementary planes). Modules
that build bigger regexes put it inside their own brackets (rf"[^{HAN_CHARS}]"); `HAN` matches
one such character. A site that needs another range writes its own and says why.
"""

from __future__ import annotations

import re

HAN_CHARS = r"\u3400-\u9fff"
HAN = re.compile(f"[{HAN_CHARS}]")


def subsequence_gap(short: str, full: str) -> int | None:
    """Total gap when `short`'s characters appear in order in `full` (科大 in 香港科技大学: 3), else None:
    how a Chinese abbreviation sits in the name it shortens."""
    pos, gap, prev = 0, 0, None
    for ch in short:
        i = full.find(ch, pos)
        if i < 0:
            return None
        if prev is not None:
            gap += i - prev - 1
        prev, pos = i, i + 1
    return gap
