"""clean: strip scraping noise, keep every sentence of the release, find title and dateline.

Noise comes in a few recurring kinds (tracking words, image names, photo credits, pinyin glosses,
captions printed twice, promos, SOURCE/Related Links footers, copyright lines, raw HTML/JSON,
gambling and porn spam, navigation menus). Each kind is one rule below; a line is dropped only
when a rule says the whole line is noise, so release sentences are never cut.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import unicodedata
from datetime import date

from pipeline.ner.conventions import is_media_outlet
from pipeline.registry import Stage, stage
from pipeline.release import Release
from pipeline.text.datelines import find_dateline
from pipeline.text.dates import parse_date

# not pipeline.text.chars.HAN_CHARS: leaves out U+4DC0-U+4DFF (Yijing hexagrams), adds U+F900-U+FAFF (compatibility)
CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

# --- pinyin glosses: 醫(yī)院, 學(xue)(xue), 中心医院(zhōngxīnyīyuàn) ------------------------------
_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ"
_SYLLABLE = (
    r"(?:[bpmfdtnlgkhjqxrzcsyw]|zh|ch|sh)?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|uai|uan|ian|iao|van|ai|ei|ao|ou|an|en|in|un|vn|ia|ie|iu|ua|uo|"
    r"ue|ve|ui|er|a|o|e|i|u|v)"
)
_PINYIN_WORD = re.compile(rf"^(?:{_SYLLABLE})+$|^(?:hm|hng|m|n|ng)$")
_GLOSS = re.compile(rf"(?<=[{CJK}\)）])[ \t]?[\(（]([a-z{_TONED}]{{1,40}}(?: [a-z{_TONED}]{{1,40}}){{0,6}})[\)）]", re.IGNORECASE)
_TONE_STRIP = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", "aaaaeeeeiiiioooouuuuvvvvvnnnm")


def _is_pinyin(word: str) -> bool:
    if word != word.lower():
        return False  # (MSD), (HKSH): abbreviations, not glosses
    words = word.translate(_TONE_STRIP).split(" ")
    if len(words) > 1 and not any(c in _TONED for c in word):
        return False  # (in english), (see below): several toneless words are English, not pinyin
    return all(_PINYIN_WORD.match(w) for w in words)


# Toned pinyin in brackets is a gloss wherever it stands (mojibake can eat the character before it).
_TONED_GLOSS = re.compile(rf"([{CJK}?？][a-z]{{0,3}}|[^\s\w])[\(（]([a-z{_TONED}]*[{_TONED}][a-z{_TONED}]*)[\)）]")


def strip_pinyin_glosses(text: str) -> str:
    """Remove pinyin written in brackets after Chinese characters (with or without tones)."""
    text = _GLOSS.sub(lambda m: "" if _is_pinyin(m.group(1)) else m.group(0), text)
    return _TONED_GLOSS.sub(lambda m: m.group(1) if _is_pinyin(m.group(2)) else m.group(0), text)


# --- whole-line noise -------------------------------------------------------------------------
_IMAGE = r"[\w\-. （）()\u4e00-\u9fff]{1,120}\.(?:jpe?g|png|gif|webp|bmp|tiff?)"
_LINE_NOISE = [
    # tracking and analytics words left by scrapers
    r"(?:omniture|googletag\b.*|adsbygoogle.*|window\.dataLayer.*|_hmt\.push.*|var _gaq.*)",
    # image file names and photo credits
    rf"(?:{_IMAGE}\s*)+",
    r"(?:photo|photos|image|picture|file photo|pic)(?: credit)?s?\s*[:：/]\s*.{0,80}",
    r"(?:photo|image)s? (?:by|from|courtesy of|source)\b.{0,80}",
    r"(?:圖|图|圖片|图片|攝影|摄影|圖源|图源|圖片來源|图片来源)\s*[:：/].{0,40}",
    r"(?:press photo|photo) from .{0,80}",
    # footers: SOURCE line, Related Links, copyright, editor lines
    r"SOURCE\s+[A-Z].{0,150}",
    r"Related Links?\s*:?",
    r"(?:copyright|©|\(c\)|版權所有|版权所有|all rights reserved).{0,200}",
    r".{0,120}(?:all rights reserved|版權所有|版权所有)\.?",
    # (an editor line that names people is a byline, kept: see _EDITOR_CREDIT)
    r"[\(（]?\s*(?:責任編輯|责任编辑|責編|责编|編輯|编辑|校對|校对|審核|审核)\s*[:：].{0,40}[\)）]?",
    # navigation and page chrome
    r"(?:skip to (?:main )?content.{0,80}|home\s*[>/›].{0,200}|author archives?:.*|print this page|back to top"
    r"|share this(?: article)?:?)",
    r"(?:您现在的位置|您現在的位置|当前位置|當前位置|首页|首頁)\s*[:：>]?.{0,60}",
    r"(?:[-•·*▪◦]\s*)?(?:首頁|首页|登錄|登录|注册|註冊|舉報|举报|English|網站無障礙|网站无障碍|民文|天氣|天气|--\s*天氣|--\s*天气)",
    r"[•·▪◦]\s*.{0,80}",  # bulleted menu items
    r"\*{5,}|-{5,}|={5,}|_{5,}",
    # ads, promos, newsletter and app prompts
    r"(?:advertisement|sponsored(?: content)?|read more\b.*|see also\s*:.*|related\s*:.*|recommended\s*:?.*)",
    r"(?:subscribe|sign up)\b.{0,120}(?:newsletter|updates|inbox).{0,80}",
    r"(?:download|get) (?:our|the) app\b.{0,80}",
    r"(?:扫描|掃描|扫码|掃碼|长按|長按|点击|點擊|下載|下载).{0,20}(?:二维码|二維碼|客户端|客戶端|APP|app|关注|關注|阅读|閱讀).{0,40}",
    r"(?:广告|廣告|推廣|推广)\s*[:：]?.{0,40}",
    r"(?:published|last updated at|updated)\s*[:：]?\s*[\d: ,a-z]{0,40}",
    r"press release",
    r"(?:please )?click here\b.{0,80}",
    # count lines and widget residue (views, likes)
    r"\d{1,6}",
]
# An editor credit that names people (`(责编:徐祥丽、刘慧)`, `責任編輯:蔣璐 2024-04-26 16:36:01 來源:...`)
# is a byline like `记者陈然`, whose names the gold reads as PERSON: the credit is kept, what follows it
# on the line (time stamp, source) is not. A credit with a user id (`责任编辑:wb001`) stays noise.
_EDITOR_CREDIT = re.compile(
    r"^[\(（]?\s*(?:責任編輯|责任编辑|責編|责编)\s*[:：]\s*"
    r"(?P<names>[\u4e00-\u9fff]{2,4}(?:\s*[、，,/ ]\s*[\u4e00-\u9fff]{2,4}){0,3})(?![\u4e00-\u9fff])"
)
_GLUED_DASHES = re.compile(r"(?<=[\w)])--(?=[\w(])")
_BULLET_ITEM = re.compile(r"^[•·▪◦]\s*\S")
_LATIN_LINE = re.compile(r"^[\x00-\u024f\u2010-\u206f]+$")  # Latin letters, digits, punctuation


def _unwrap(lines: list[str]) -> list[str]:
    """Join English lines that were hard-wrapped at a fixed width (a newswire copy cut every 60-70
    characters: `... and Dr. Cheng Yu` / `Tung Foundation, ...`) back into their sentences. In a run
    of four or more Latin lines where most fill the run's width, a line that fills 70 % of it
    continues on the next; a shorter line ends its paragraph. Headlines, lists and short lines stay."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and lines[j] and _LATIN_LINE.match(lines[j]) and not _BULLET_ITEM.match(lines[j]):
            j += 1
        run = lines[i:j]
        lengths = sorted(len(x) for x in run)
        width = lengths[int(0.8 * (len(lengths) - 1))] if lengths else 0
        wrapped = len(run) >= 4 and 40 <= width <= 100 and sum(n >= 0.7 * width for n in lengths) * 2 >= len(run)
        if not wrapped:
            out.append(lines[i])
            i += 1
            continue
        para = run[0]
        for prev, line in itertools.pairwise(run):
            if len(prev) >= 0.7 * width:
                para += " " + line
            else:
                out.append(para)
                para = line
        out.append(para)
        i = j
    return out


_LINE_NOISE_RE = re.compile(r"^\s*(?:" + "|".join(_LINE_NOISE) + r")\s*$", re.IGNORECASE)
_INLINE_IMAGE = re.compile(rf"(?<![\w/]){_IMAGE}(?!\w)", re.IGNORECASE)
# Looked for first: _INLINE_IMAGE tries 120 characters from every start, slow on long lines of dots or spaces.
_IMAGE_SUFFIX = re.compile(r"\.(?:jpe?g|png|gif|webp|bmp|tiff?)(?!\w)", re.IGNORECASE)

# Gambling and porn spam injected by hijacked sites; a line with two or more of these is spam.
_SPAM_WORDS = re.compile(
    r"博彩|娛樂城|娱乐城|赌场|賭場|百家乐|百家樂|葡京|太阳城|太陽城|威尼斯人|bet365|彩票|黑料|棋牌|"
    r"体育投注|體育投注|真人|无码|無碼|字幕|精品|一区二区|一區二區|在线观看|在線觀看|成人|色网|\bAV\b|"
    r"老虎机|老虎機|开户|開戶|注册送|註冊送|casino|slot|porn",
    re.IGNORECASE,
)
_SPAM_SUFFIX = re.compile(r"\s*[-_|｜–—]\s*[^-_|｜–—]*?(?:" + _SPAM_WORDS.pattern + r")[^-_|｜–—]*$", re.IGNORECASE)

# Scraper metadata prefix: " date 2025-12-24 HONG KONG, ...". Whatever stands in the date's place
# (2025-13-25, 2025-02-30, 0000-01-01, 24/12/2025) is taken off the text; only a real calendar date
# in a plausible year becomes the release's date (the dateline's, when it has one, comes first).
_DATE_PREFIX = re.compile(
    r"^\s*date\s+(?P<value>(?:\d{8}|\d{1,6}(?:[-/.]\d{1,4}){1,2})"
    r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)"
    r"(?![\d\-/.:])\s*"
)
_META_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?|(\d{4})(\d{2})(\d{2})")
META_YEARS = range(1900, 2101)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,500}>")
_BLANK_RUN = re.compile(r"\n{3,}")


# --- the headline ---------------------------------------------------------------------------------
_TITLE_SCAN = 10  # non-empty lines looked at
_HEADLINE_LEN = 10  # Han characters, or English words x 2, of a line long enough to be the headline
# lines above a headline that are none: bylines and sources, breadcrumbs, app promotions
_METADATA_LINE = re.compile(
    r"^(?:published on|posted|source|by |press release|skip to|home\b)|(?:^|\s)(?:作者|来源|來源|发布时间|發佈時間|發布時間|"
    r"时间|時間|日期|责任编辑|責任編輯|编辑|編輯|source)\s*[:：]|\s>\s|^首页|^首頁|^第[A-Z]?\d+版|查看其他|点击|點擊|扫描|掃描|下载|下載|客户端|客戶端",
    re.IGNORECASE,
)
_NAME_ONLY_LINE = re.compile(
    rf"^[{CJK}A-Za-z()（）]{{2,24}}(?:股份有限公司|有限公司|公司|集团|集團)$"
    r"|^[A-Z][\w&.'’ -]{2,60}\b(?:Hospital|Limited|Ltd\.?|Inc\.?|Group|Magazine|News|Newswire)$"
)


def _not_a_headline(line: str, is_zh: bool) -> bool:
    """A line above the headline that is no headline: metadata, a menu (`新闻 / 正文`), a date, a site or
    company name, an outlet."""
    if _METADATA_LINE.search(line) or " / " in line or (parse_date(line) is not None and len(line) < 40):
        return True
    if re.fullmatch(r"[\d\s年月日./-]+", line):
        return True
    return bool(_NAME_ONLY_LINE.match(line)) or is_media_outlet(line, "zh" if is_zh else "en")


def metadata_date(value: str) -> date | None:
    """The scraper's `date` value as a date, or None when it is none (month 13, 30 February, year 0
    or 9999, day and month first): bad metadata is ignored, never the release."""
    m = _META_ISO.fullmatch(value)
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups() if g is not None)
    if y not in META_YEARS:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _key(line: str) -> str:
    return re.sub(r"\W+", "", unicodedata.normalize("NFKC", line)).casefold()


@stage("clean")
class Clean(Stage):
    """Turns `raw_text` into `clean_text`; records title and dateline."""

    requires = ("raw_text",)
    provides = ("clean_text", "title", "dateline_place", "dateline_date")

    def __init__(self, max_title_chars: int = 200) -> None:
        self.max_title_chars = max_title_chars

    def __call__(self, release: Release) -> Release:
        text = unicodedata.normalize("NFC", release.raw_text)
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ").replace("\u3000", " ")
        text = re.sub(r"[\u200b-\u200f\ufeff\u2060]", "", text)
        text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", " ", text)  # control characters (NUL cuts OpenCC)
        meta_date = None
        m = _DATE_PREFIX.match(text)
        if m:
            meta_date = metadata_date(m.group("value"))
            text = text[m.end() :]
        if _HTML_TAG.search(text):
            text = html.unescape(_HTML_TAG.sub(" ", text))
        text = strip_pinyin_glosses(text)

        lines = _unwrap(self._clean_lines(text.split("\n")))
        title = self._find_title(lines, release.title)
        if title and lines:
            lines = self._unfuse_title(lines, title)
        clean = "\n".join(lines)
        clean = _BLANK_RUN.sub("\n\n", clean).strip()
        place, when, _ = find_dateline(clean)
        release.clean_text = clean
        release.title = title
        release.dateline_place = place
        release.dateline_date = when or meta_date
        return release

    def _clean_lines(self, raw_lines: list[str]) -> list[str]:
        kept: list[str] = []
        seen: set[str] = set()
        footer = False
        list_open = False
        for line in raw_lines:
            line = re.sub(r"[ \t]+", " ", line).strip()
            if not line:
                if kept and kept[-1] != "":
                    kept.append("")
                continue
            if re.match(r"^(?:SOURCE\s+[A-Z]|Related Links?\b)", line):
                footer = True  # PR Newswire footer: what follows is links and boilerplate
            if footer and (re.match(r"^(?:https?://|www\.)\S+$", line) or _LINE_NOISE_RE.match(line)):
                continue
            if credit := _EDITOR_CREDIT.match(line):  # a byline: kept, without what follows it
                line = credit.group(0).strip() + ("）" if line.startswith("（") else ")" if line.startswith("(") else "")
            # a bulleted line is a menu item, unless it continues a list the text introduced
            # (`Its members include:`, then items): then it is content
            listed = list_open and bool(_BULLET_ITEM.match(line))
            noise = (
                credit is None and not listed and (_LINE_NOISE_RE.match(line) or self._is_json_blob(line) or self._is_spam(line))
            )
            list_open = listed or (not noise and line.endswith((":", "：")))
            if noise:
                continue
            if _IMAGE_SUFFIX.search(line):
                line = _INLINE_IMAGE.sub("", line).strip()
            line = _SPAM_SUFFIX.sub("", line).strip()
            line = _GLUED_DASHES.sub(" -- ", line)  # `NEW YORK--(BUSINESS WIRE)--Shanghai ...`: words, not one token
            if not line:
                continue
            key = _key(line)
            if len(key) >= 8 and key in seen:
                continue  # captions and headlines printed twice
            seen.add(key)
            kept.append(line)
        while kept and kept[-1] == "":
            kept.pop()
        return kept

    @staticmethod
    def _is_json_blob(line: str) -> bool:
        if not (line.startswith(("{", "[")) and line.endswith(("}", "]"))):
            return False
        try:
            json.loads(line)
        except ValueError:
            return bool(re.match(r'^[\[{]\s*"[\w-]+"\s*:', line))
        return True

    @staticmethod
    def _is_spam(line: str) -> bool:
        hits = _SPAM_WORDS.findall(line)
        return (len(hits) >= 2 and len(hits) * 12 >= len(line) / 4) or len(hits) >= 4

    def _find_title(self, lines: list[str], given: str | None) -> str | None:
        """The headline among the lines before the body starts. Scraped pages put a site name,
        a date, a byline or a breadcrumb above it (`Home > ...`, `作者:… 来源:…`, `大公產品`), and
        often print the headline twice: a headline printed twice wins, then the first one of
        headline length, then the first short one."""
        if given:
            return _SPAM_SUFFIX.sub("", given).strip() or None
        cands: list[tuple[str, int]] = []  # (line, size: Han characters, or English words x 2)
        for line in [x for x in lines if x][:_TITLE_SCAN]:
            if find_dateline(line)[0] is not None and len(line) > 120:
                break  # the release starts straight with its dateline
            is_zh = bool(re.search(f"[{CJK}]", line))
            limit = 60 if is_zh else self.max_title_chars
            ends_sentence = line.endswith(("。", ".", "!", "?", "！", "？", ":", "：")) and not line.endswith("..")
            words = len(line.split()) if not is_zh else len(line)
            if ends_sentence or len(line) > limit:
                if len(line) > 40:
                    break  # body text: no headline comes after it
                continue
            if _not_a_headline(line, is_zh) or words < 4:
                continue
            cands.append((line, words if is_zh else words * 2))
        if not cands:
            return None
        full = [c for c, size in cands if size >= _HEADLINE_LEN]
        twice = [c for c in full if lines.count(c) >= 2]
        return (twice or full or [cands[0][0]])[0]

    @staticmethod
    def _unfuse_title(lines: list[str], title: str) -> list[str]:
        """Split a headline fused onto the first body sentence by content farms."""
        out = []
        for line in lines:
            if line != title and line.startswith(title) and len(line) > len(title) + 10:
                rest = line[len(title) :].strip()
                if title not in out:
                    out.append(title)
                out.append(rest)
            else:
                out.append(line)
        return out
