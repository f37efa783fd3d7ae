"""The Han (CJK ideograph) character class the pipeline's Chinese tests share.

`HAN_CHARS` is the class body, U+3400-U+9FFF: CJK Unified Ideographs Extension A and the
unified ideographs (no compatibility ideographs U+F900-U+FAFF, no supplementary planes). Modules
that build bigger regexes put it inside their own brackets (rf"[^{HAN_CHARS}]"); `HAN` matches
one such character. A site that needs another range writes its own and says why.
"""

from __future__ import annotations

import re

HAN_CHARS = r"\u3400-\u9fff"
HAN = re.compile(f"[{HAN_CHARS}]")
