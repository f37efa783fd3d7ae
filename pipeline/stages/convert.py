"""convert: detect language and script, convert Traditional Chinese to Simplified with OpenCC.

Every later stage reads Chinese as `text_hans`; `hans_to_clean` maps each of its characters back
to `clean_text`, so entities found on the Simplified text point into the original script. The
conversion and its offset map are `pipeline.text.hans`; this stage picks the language, the script
and the OpenCC config.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lingua import Language, LanguageDetectorBuilder

from pipeline.registry import Stage, stage
from pipeline.release import Release
from pipeline.text.hans import convert_with_offsets, converter

# not pipeline.text.chars.HAN: leaves out U+4DC0-U+4DFF (Yijing hexagrams), counts U+F900-U+FAFF (compatibility)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Region hints that pick OpenCC's Hong Kong or Taiwan variant table.
_HK_HINTS = re.compile(r"香港|港府|港元|港幣|澳門|醫管局|醫院管理局|衞|綫|粵港澳|九龍|新界|特區|屯門|沙田")
_TW_HINTS = re.compile(r"臺灣|台灣|臺北|台北|新臺幣|新台幣|臺中|台中|高雄|衛福部|行政院|立法院|健保")


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
    to_simple = sum(a != b for a, b in zip(sample, converter("t2s").convert(sample)))
    to_trad = sum(a != b for a, b in zip(sample, converter("s2t").convert(sample)))
    return "Hant" if to_simple > to_trad else "Hans"


def pick_config(text: str) -> str:
    """OpenCC config for Traditional text: Hong Kong, Taiwan or generic."""
    hk, tw = len(_HK_HINTS.findall(text)), len(_TW_HINTS.findall(text))
    if hk > tw:
        return "hk2s"
    if tw > hk:
        return "tw2s"
    return "t2s"


@stage("convert")
class Convert(Stage):
    """Sets `lang`, `script`, `text_hans` and `hans_to_clean`."""

    requires = ("clean_text",)
    provides = ("lang", "script", "opencc_config", "text_hans", "hans_to_clean")

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
