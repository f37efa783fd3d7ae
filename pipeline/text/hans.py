"""Traditional -> Simplified Chinese with OpenCC: one cached converter per config for the whole pipeline.

Every Chinese comparison in the pipeline (patterns, lexicons, alignment, scoring) is made on
Simplified text; `to_hans` is the one conversion they all use, so two parts never disagree on a
spelling. `convert_with_offsets` is the convert stage's conversion, which also keeps, for each
Simplified character, the index of the character it came from.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from functools import cache

import opencc


@cache
def converter(config: str) -> opencc.OpenCC:
    """The OpenCC converter for `config` (t2s, s2t, s2hk, hk2s, tw2s ...), built once: building one reads its tables."""
    return opencc.OpenCC(config)


def to_hans(s: str) -> str:
    """`s` in Simplified Chinese (OpenCC t2s); text without Traditional characters comes back unchanged."""
    return converter("t2s").convert(s)


def convert_with_offsets(text: str, config: str) -> tuple[str, list[int]]:
    """Convert `text`; return the result and, for each of its characters, its index in `text`.

    OpenCC's t2s/hk2s/tw2s are almost always one character for one; lines where a phrase table
    changed the length are aligned character by character.
    """
    cc = converter(config)
    out: list[str] = []
    offsets: list[int] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        # OpenCC's segmenting configs (hk2s, tw2s) stop at a NUL and drop the rest of the line.
        conv = "\x00".join(cc.convert(part) for part in line.split("\x00"))
        if len(conv) == len(line):
            offsets.extend(range(pos, pos + len(line)))
        else:
            key = "".join(c if len(k := cc.convert(c)) != 1 else k for c in line)  # same length as line
            offsets.extend(pos + i for i in align_offsets(line, conv, key))
        out.append(conv)
        pos += len(line)
    return "".join(out), offsets


def align_offsets(src: str, dst: str, key: str | None = None) -> list[int]:
    """For each character of `dst`, the index of the `src` character it came from.

    `key` is `src` converted character by character: compared with it rather than with `src`, only
    the words a phrase table really lengthened or shortened differ, not every Traditional character.
    An inserted character belongs to the one before it.
    """
    mapping: list[int] = []
    a = key if key is not None and len(key) == len(src) else src
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, dst, autojunk=False).get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            mapping.extend(range(i1, i2))
        elif tag == "insert":
            mapping.extend([max(i1 - 1, 0)] * (j2 - j1))
        elif tag == "replace":
            n_src = i2 - i1
            mapping.extend(min(i1 + (k * n_src) // (j2 - j1), max(i2 - 1, i1)) for k in range(j2 - j1))
    return [min(m, len(src) - 1) for m in mapping]
