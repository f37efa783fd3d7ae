"""convert: detect language and script, convert Traditional Chinese to Simplified with OpenCC.

Every later stage reads Chinese as `text_hans`; `hans_to_clean` maps each of its characters back
to `clean_text`, so entities found on the Simplified text point into the original script.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import cache, lru_cache

import opencc
from lingua import Language, LanguageDetectorBuilder

from pipeline.registry import Stage, stage
from pipeline.release import Release

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Region hints that pick OpenCC's Hong Kong or Taiwan variant table.
_HK_HINTS = re.compile(r"香港|港府|港元|港幣|澳門|醫管局|醫院管理局|衞|綫|粵港澳|九龍|新界|特區|屯門|沙田")
_TW_HINTS = re.compile(r"臺灣|台灣|臺北|台北|新臺幣|新台幣|臺中|台中|高雄|衛福部|行政院|立法院|健保")


@cache
def _converter(config: str) -> opencc.OpenCC:
    return opencc.OpenCC(config)


@lru_cache(maxsize=1)
def _detector():
    return LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.CHINESE).build()


def detect_lang(text: str) -> str:
    """`zh` or `en`; a page mixing both counts as Chinese when Chinese carries most of its words."""
    cjk = len(_CJK.findall(text))
    words = len(_LATIN_WORD.findall(text))
    if cjk == 0:
        return "en"
    if words == 0 or cjk > 3 * words:
        return "zh"
    if words > 6 * cjk:
        return "en"
    lang = _detector().detect_language_of(text[:4000])
    return "zh" if lang == Language.CHINESE else "en"


def detect_script(text: str) -> str:
    """`Hant` when OpenCC's t2s changes more characters than s2t does, else `Hans`."""
    sample = "".join(_CJK.findall(text))[:20000]
    if not sample:
        return "Latn"
    to_simple = sum(a != b for a, b in zip(sample, _converter("t2s").convert(sample)))
    to_trad = sum(a != b for a, b in zip(sample, _converter("s2t").convert(sample)))
    return "Hant" if to_simple > to_trad else "Hans"


def pick_config(text: str) -> str:
    """OpenCC config for Traditional text: Hong Kong, Taiwan or generic."""
    hk, tw = len(_HK_HINTS.findall(text)), len(_TW_HINTS.findall(text))
    if hk > tw:
        return "hk2s"
    if tw > hk:
        return "tw2s"
    return "t2s"


def convert_with_offsets(text: str, config: str) -> tuple[str, list[int]]:
    """Convert `text`; return the result and, for each of its characters, its index in `text`.

    OpenCC's t2s/hk2s/tw2s are almost always one character for one; lines where a phrase table
    changed the length are aligned character by character.
    """
    cc = _converter(config)
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
            offsets.extend(pos + i for i in _align(line, conv, key))
        out.append(conv)
        pos += len(line)
    return "".join(out), offsets


def _align(src: str, dst: str, key: str | None = None) -> list[int]:
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


@stage("convert")
class Convert(Stage):
    """Sets `lang`, `script`, `text_hans` and `hans_to_clean`."""

    requires = ("clean_text",)
    provides = ("lang", "script", "text_hans")

    def __init__(self, config: str = "auto") -> None:
        if config != "auto" and config not in {"t2s", "hk2s", "tw2s"}:
            raise ValueError(f"convert.config must be auto, t2s, hk2s or tw2s, not {config!r}")
        self.config = config

    def __call__(self, release: Release) -> Release:
        text = release.clean_text
        release.lang = detect_lang(text)
        script = detect_script(text)
        if release.lang == "en":
            release.script = "Latn"
            release.text_hans = None
            release.hans_to_clean = None
            return release
        release.script = script
        if script == "Hant":
            config = pick_config(text) if self.config == "auto" else self.config
            release.opencc_config = config
            release.text_hans, release.hans_to_clean = convert_with_offsets(text, config)
        else:
            release.text_hans = text
            release.hans_to_clean = list(range(len(text)))
        return release
