"""From mentions to entities: aliases defined in the text, short forms, one row per entity.

A release names an organisation in full once and then by a short form it defines
(`HKSH Medical Group ("HKSH")`, `养和医疗集团（下称养和）`) or by a conventional one (`CUHK`,
`医管局`, `Professor Lo`). Those mentions belong to the full name's entity, whose `text` is the
full name and whose `aliases` list the short forms. So does a Latin gloss in brackets after a
Chinese name (`尾池雄一(Yuichi Oike)`, `熊本大學（Kumamoto University）`): it is the Chinese name's
alias, its mentions that entity's (`add_gloss_aliases`). A date keeps one entity per written form
(`2024-05-23` and `2024年5月23日` are both read), normalised to ISO in `text_norm`.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from rapidfuzz.distance import Levenshtein

from pipeline import lang
from pipeline.labels import TERM_LABELS
from pipeline.ner import lexicon
from pipeline.ner.mentions import Mention
from pipeline.release import Entity
from pipeline.text.chars import HAN, subsequence_gap
from pipeline.text.hans import to_hans

_PUNCT = re.compile(r"[\s\.,'\"“”‘’()（）\[\]\-–—·・:：;；/&、「」『』《》]+")
_EN_ALIAS_DEF = re.compile(r"\s*[(\[]\s*([^()\[\]\n]{1,120})[)\]]")
_ZH_ALIAS_DEF = re.compile(r"\s*[（(]\s*([^（）()\n]{1,40})[）)]")
_ZH_ALIAS_LEAD = re.compile(r"^(?:以下简称|以下称|以下统称|下称|简称|下同|统称|以下)\s*[:：]?\s*")
_ZH_LEGAL = lang.words("zh", "legal_forms", "consolidate")
_QUOTES = "“”\"'‘’「」『』"
# Head words that end a complete Chinese organisation name.
_ZH_HEADS = lang.column("zh", "org_endings", "consolidate")  # pipeline/lang/zh/org_endings.tsv
# Short forms that stand for "the company" in general: listed as aliases, never searched for.
GENERIC_NAMES = lang.words("en", "generic_names") | lang.words("zh", "generic_names")
# A Latin gloss in brackets after a Chinese name: `尾池雄一(Yuichi Oike)`, `小川久雄教授（Prof. Hisao Ogawa）`.
_GLOSS = re.compile(r"[（(]\s*(?:(?:Prof|Professor|Dr|Mr|Mrs|Ms)(?:\.\s*|\s+))?([A-Za-z][^（）()\n]{0,100}?)\s*[）)]")
_EN_ORG_WORDS = lang.words("en", "org_heads", "recognise")  # a gloss with one names no person
_GLOSS_LOWER = frozenset(("of", "and", "&", "for", "the", "de", "da", "van", "von", "in", "at"))
_ZH_TITLES = tuple(sorted(lang.column("zh", "title_words"), key=len, reverse=True))  # pipeline/lang/zh/title_words.tsv
_ZH_ORG_ENDINGS = lang.column("zh", "org_endings", "recognise")


@lru_cache(maxsize=1 << 16)  # asked for the same few names again and again (every use of a short form)
def canon(text: str) -> str:
    """The comparison key of a name: width, case, a leading `the`, possessive and punctuation dropped."""
    s = unicodedata.normalize("NFKC", text).casefold().strip()
    s = re.sub(r"^the\s+", "", s)
    s = re.sub(r"['’]s$", "", s)
    return _PUNCT.sub("", s)


@dataclass
class _Group:
    label: str
    key: str
    mentions: list[Mention] = field(default_factory=list)
    variants: list[_Group] = field(default_factory=list)  # the same name spelled otherwise
    aliases: list[str] = field(default_factory=list)  # defined short forms, in the working text
    norm: str | None = None


class Consolidator:
    """Groups one release's mentions into `Entity` rows.

    `text` is the text the mentions point into (clean_text for English, text_hans for Chinese);
    `to_clean` maps a span of it to `clean_text`, where the output offsets point. For Chinese,
    `hans_offset` is where `text` starts in `text_hans`: each entity then also carries its mentions
    there (`hans_mentions`), for the stages that read the Simplified text.
    """

    def __init__(
        self,
        lang: str,
        text: str,
        clean_text: str,
        to_clean: Callable[[int, int], tuple[int, int]],
        hans_offset: int | None = None,
    ) -> None:
        self.lang, self.text, self.clean_text, self.to_clean = lang, text, clean_text, to_clean
        self.hans_offset = hans_offset

    # -- aliases ---------------------------------------------------------------------------------
    def alias_definitions(self, mentions: list[Mention]) -> list[tuple[Mention, list[str], int]]:
        """(full-name mention, short forms, end of the definition) for each `Name ("Short")`."""
        out = []
        rx = _EN_ALIAS_DEF if self.lang == "en" else _ZH_ALIAS_DEF
        for m in mentions:
            if m.label not in ("ORG", "GPE"):
                continue
            d = rx.match(self.text, m.end)
            if not d or re.match(r"\s*[:：]", self.text[d.end() : d.end() + 3]):
                continue  # `HONG KONG (SE):`: a wire's credit, not a short form
            items = self._alias_items(d.group(1))
            items = [a for a in items if a not in lexicon.names("gpe", self.lang)]
            if m.label == "GPE" and self.lang == "en":
                name = self.text[m.start : m.end]
                items = [a for a in items if _initials_match(a, name) or '"' in d.group(1) or "“" in d.group(1)]
            if items:
                out.append((m, items, d.end()))
        return out

    def _alias_items(self, body: str) -> list[str]:
        body = re.split(r"[;；]|,\s*(?=[A-Z]+\s*(?:stock|code|:))|[,，]\s*(?:股份代号|股票代码|stock code)", body)[0]
        body = _ZH_ALIAS_LEAD.sub("", body.strip())
        parts = re.split(r"\s+or\s+|\s+and\s+|\s*或\s*|\s*、\s*", body)
        items = []
        for p in parts:
            quoted = any(q in p for q in _QUOTES)
            p = re.sub(r"^(?:the(?=[\s“\"'‘])\s*|本)", "", p.strip(), flags=re.IGNORECASE).strip(_QUOTES + " ")
            if not p or ":" in p or "：" in p or re.search(r"\d{3,}|年|月|日", p) or len(p) > 60:
                continue
            if self.lang == "en":
                words = p.split()
                if len(words) > 5 or not (quoted or all(w[:1].isupper() or w in ("&", "of", "and") for w in words)):
                    continue
            elif len(p) > 12 or (" " in p.strip() and not re.search(r"[A-Za-z]", p)):
                continue
            items.append(p)
        return items

    def add_alias_mentions(self, mentions: list[Mention]) -> list[Mention]:
        """Mentions with every use of a defined short form tied to its full name (`alias_of`).

        A short form that already names another organisation before its definition (`Precious
        Blood Hospital [Caritas]`) is a qualifier that belongs to the name, not a definition.
        """
        mentions = list(mentions)
        index = _Overlaps(mentions)
        defined: dict[str, str] = {}  # short form -> the full name it was defined for
        for full, items, def_end in self.alias_definitions(mentions):
            idx = next((i for i, m in enumerate(mentions) if m is full), None)
            if idx is None:  # already read as another name's short form
                continue
            if self._is_qualifier(full, items, mentions, defined):
                mentions[idx] = replace(full, end=def_end)
                index.grew(mentions[idx])
                continue
            full = mentions[idx] = replace(full, defines=full.defines + tuple(items))
            defined.update((canon(a), canon(self.text[full.start : full.end])) for a in items)
            for alias in items:
                key = canon(alias)
                if key in GENERIC_NAMES:
                    continue
                for s, e in self._occurrences(alias):
                    if full.start <= s < full.end:
                        continue
                    hit = index.overlapping(s, e)
                    same = [i for i in hit if canon(self.text[mentions[i].start : mentions[i].end]) == key]
                    for i in same:
                        mentions[i] = replace(mentions[i], label=full.label, origin="alias", alias_of=full)
                    if not hit:
                        mentions.append(Mention(s, e, full.label, "alias", full.score, alias_of=full))
                        index.added(len(mentions) - 1)
        return sorted(mentions, key=lambda m: m.start)

    def _is_qualifier(self, full: Mention, items: list[str], mentions: list[Mention], defined: dict[str, str]) -> bool:
        """`Precious Blood Hospital [Caritas]`, `宝血医院(明爱)`: the bracket names another organisation
        already met (by a name it starts, or as that one's short form), so it qualifies this name."""
        if len(items) != 1:
            return False
        key, name = canon(items[0]), canon(self.text[full.start : full.end])
        if (
            name.startswith(key)
            or _initials_match(items[0], self.text[full.start : full.end])
            or (self.lang == "zh" and subsequence_gap(key, name) is not None)
        ):
            return False
        if key in defined:
            return defined[key] != name
        if self.lang == "zh":
            return False
        return any(
            m.end <= full.start
            and m.label == "ORG"
            and m.origin != "alias"
            and canon(self.text[m.start : m.end]).startswith(key)
            and canon(self.text[m.start : m.end]) not in (name, key)
            for m in mentions
        )

    def _occurrences(self, alias: str) -> list[tuple[int, int]]:
        if self.lang == "en":
            rx = re.compile(rf"(?<![\w&])(?:the\s+)?{re.escape(alias)}(?![\w&])")
            return [(m.end() - len(alias), m.end()) for m in rx.finditer(self.text)]
        return [(m.start(), m.end()) for m in re.finditer(re.escape(alias), self.text)]

    # -- Latin glosses -----------------------------------------------------------------------------
    def add_gloss_aliases(self, mentions: list[Mention]) -> list[Mention]:
        """Mentions with each Latin gloss in brackets after a Chinese name tied to that name.

        `尾池雄一(Yuichi Oike)`, `熊本大学（Kumamoto University）`, `小川久雄教授（Prof. Hisao Ogawa）`:
        the English name is the Chinese one's alias, not an entity of its own (the English reader's
        pieces of it, `Jun-ichirou` + `Ando`, become one). A person whose Chinese name the tagger
        cut short (`田中靖`) or missed is read as the Han run before the bracket (`_gloss_person`).
        """
        out: list[Mention | None] = list(mentions)  # None: gone (a cut-short name, a piece of a gloss)
        glossed: dict[str, Mention] = {}  # canon(gloss) -> the Chinese name's mention
        for bracket in _GLOSS.finditer(self.text):
            gloss, (g0, g1) = bracket.group(1), bracket.span(1)
            if not _name_like_gloss(gloss):
                continue
            over = [i for i, m in enumerate(out) if m is not None and m.start < bracket.end() and bracket.start() < m.end]
            parts = [m for i in over if (m := out[i]) is not None and bracket.start() < m.start and m.end <= g1]
            if not parts or len(parts) != len(over):
                continue
            if any(m.alias_of is not None or m.label not in ("PERSON", "ORG") for m in parts):
                continue  # `香港科技园公司（HKSTP）`: a short form already defined; a date: no name
            labels = {m.label for m in parts}
            han_end = bracket.start()
            while han_end > 0 and self.text[han_end - 1] == " ":
                han_end -= 1
            words = gloss.split()
            person_like = len(words) <= 4 and not any(w.casefold() in _EN_ORG_WORDS for w in words)
            found = self._gloss_org(out, han_end) if "ORG" in labels else None
            if found is None and person_like:
                found = self._gloss_person(out, han_end, guess="PERSON" in labels)
            if found is None:
                continue
            han, drop = found
            named = replace(han, defines=(*han.defines, gloss) if gloss not in han.defines else han.defines)
            for i in over:
                out[i] = None
            _swap(out, han, named, drop)
            out.append(Mention(g0, g1, named.label, "alias", max(m.score for m in parts), alias_of=named))
            glossed.setdefault(canon(gloss), named)
        # The gloss written elsewhere (not after its Chinese name) is the same entity.
        for i, other in enumerate(out):
            if other is None or other.alias_of is not None:
                continue
            if (first := glossed.get(canon(self.text[other.start : other.end]))) is None:
                continue
            current = next((x for x in out if x is not None and (x.start, x.end) == (first.start, first.end)), None)
            if current is not None:
                out[i] = replace(other, label=current.label, origin="alias", alias_of=current)
        return sorted((m for m in out if m is not None), key=lambda m: m.start)

    def _gloss_org(self, mentions: list[Mention | None], end: int) -> tuple[Mention, list[int]] | None:
        """The Chinese organisation name ending at `end`."""
        m = self._han_name(mentions, "ORG", end)
        return None if m is None else (m, [])

    def _han_name(self, mentions: list[Mention | None], label: str, end: int) -> Mention | None:
        """A Chinese name of `label` ending at `end` (not a short form's use)."""
        for m in mentions:
            if (
                m is not None
                and m.label == label
                and m.alias_of is None
                and m.end == end
                and HAN.search(self.text[m.start : m.end])
            ):
                return m
        return None

    def _gloss_person(self, mentions: list[Mention | None], end: int, guess: bool) -> tuple[Mention, list[int]] | None:
        """The Chinese person's name ending at `end` (or before a title there), and the indices of
        readings of it to drop. A tagger's name ending there is taken as it is; else, when `guess`
        (the gloss was read as a person), the name is the run of Han characters before it (after
        any title or other name in the run) if that is 2-5 characters and no other name runs over it."""
        before = self.text[max(0, end - 6) : end]
        title = next((t for t in _ZH_TITLES if before.endswith(t)), "")
        end -= len(title)
        if (tagged := self._han_name(mentions, "PERSON", end)) is not None:
            return tagged, []
        if not guess:
            return None
        start = end
        while start > 0 and HAN.match(self.text[start - 1]):
            start -= 1
        run = self.text[start:end]
        start += max((run.rfind(t) + len(t) for t in _ZH_TITLES if t in run[:-2]), default=0)
        inside = [(i, m) for i, m in enumerate(mentions) if m is not None and m.end > start and m.start < end]
        # another name before this one in the run: 熊本大学 before 田中靖人
        start = max([start] + [m.end for _, m in inside if m.label != "PERSON" and m.end <= end - 2])
        drop = []
        for i, m in inside:
            if m.end <= start:
                continue
            if m.label == "PERSON" and start <= m.start and m.end <= end:
                drop.append(i)  # 田中靖 for 田中靖人
            elif (m.start, m.end) == (start, end) and m.origin in ("lac", "model") and m.label == "GPE":
                drop.append(i)  # the tagger's place 長谷川美穗, glossed as a person
            else:
                return None  # part of another name
        name = self.text[start:end]
        if not 2 <= len(name) <= 5 or name.endswith(_ZH_ORG_ENDINGS) or name in lexicon.names("gpe", "zh"):
            return None
        return Mention(start, end, "PERSON", "gloss", 0.8), drop

    # -- grouping --------------------------------------------------------------------------------
    def add_repeats(self, mentions: list[Mention]) -> list[Mention]:
        """Every other place an organisation's full name is written is a mention of it too
        (`香港明爱` read once from its definition, later written again without one)."""
        names = {self.text[m.start : m.end]: m for m in mentions if m.label == "ORG" and m.alias_of is None}
        names = {n: m for n, m in names.items() if len(n) >= (3 if self.lang == "zh" else 6)}
        out: list[Mention | None] = list(mentions)  # None: replaced by a repeat over it
        index = _Overlaps(out)
        for name, m in sorted(names.items(), key=lambda x: -len(x[0])):
            rx = re.escape(name) if self.lang == "zh" else rf"(?<![\w&]){re.escape(name)}(?![\w&])"
            for hit in re.finditer(rx, self.text):
                probe = Mention(hit.start(), hit.end(), "", "", 0)
                over = index.overlapping(probe.start, probe.end)
                overlapped = [o for i in over if (o := out[i]) is not None]  # all of them: overlapping() skips gone entries
                if all(o.inside(probe) for o in overlapped) and not any(
                    (o.start, o.end) == (probe.start, probe.end) for o in overlapped
                ):
                    for i in over:
                        out[i] = None
                    out.append(Mention(hit.start(), hit.end(), "ORG", m.origin, m.score))
                    index.added(len(out) - 1)
        return sorted((o for o in out if o is not None), key=lambda x: x.start)

    def entities(self, mentions: list[Mention]) -> list[Entity]:
        mentions = self.add_alias_mentions(self.add_repeats(mentions))
        if self.lang == "zh":
            mentions = self.add_gloss_aliases(mentions)
        groups: dict[tuple[str, str], _Group] = {}
        of_full: dict[int, _Group] = {}
        for m in mentions:
            if m.alias_of is not None:
                continue
            term = m.label in TERM_LABELS and m.norm
            key = canon(m.norm if term else self.text[m.start : m.end])
            g = groups.setdefault((m.label, key), _Group(m.label, key))
            g.mentions.append(m)
            g.aliases.extend(a for a in m.defines if a not in g.aliases)
            of_full[id(m)] = g
            if (m.label in ("DATE", "MONEY") or term) and m.norm:
                g.norm = m.norm
        for m in mentions:
            if m.alias_of is not None and (full_group := of_full.get(id(m.alias_of))) is not None:
                full_group.mentions.append(m)
        return self._rows(self._merge(list(groups.values())))

    def _merge(self, groups: list[_Group]) -> list[_Group]:
        """Fold near-identical spellings, short forms and abbreviations into their full names."""
        alive = sorted(groups, key=lambda g: -len(g.key))
        out: list[_Group] = []
        for g in alive:
            target, variant = self._target(g, out)
            if target is None:
                out.append(g)
                continue
            target.mentions.extend(g.mentions)
            if variant:
                target.variants.append(g)
                continue
            surface = self._surface(g)
            if canon(surface) != target.key and surface not in target.aliases:
                target.aliases.append(surface)
            target.aliases.extend(a for a in g.aliases if a not in target.aliases)
        return out

    def _target(self, g: _Group, longer: list[_Group]) -> tuple[_Group | None, bool]:
        """The group `g` belongs to, and whether `g` is a spelling variant of it (else a short form)."""
        same = [t for t in longer if t.label == g.label]
        if g.label in ("DATE", "MONEY") or not same or not g.key:
            return None, False
        # A name cut off where a truncated copy ends (`... Peking Union Med`): the longer name it starts.
        if all(not self.text[m.end :].strip() for m in g.mentions):
            cut = [t for t in same if self._surface(t).startswith(self._surface(g)) and t.key != g.key]
            if len(cut) == 1:
                return cut[0], True
        # Spelling variants: `... Academy Medical Sciences` / `... Academy of Medical Sciences`; not two
        # Chinese names ending in different head words (熊本大学医院 / 熊本大学医学院: a hospital, a school).
        min_len = 6 if self.lang == "en" else 4
        max_dist = 1 if g.label == "PERSON" or self.lang == "zh" else 2
        key = expand_zh(g.key) if self.lang == "zh" else g.key
        close = [
            t
            for t in same
            if len(key) >= min_len
            and Levenshtein.distance(key, expand_zh(t.key) if self.lang == "zh" else t.key, score_cutoff=max_dist) <= max_dist
            and not (self.lang == "zh" and _zh_head(key) != _zh_head(expand_zh(t.key)))
        ]
        if not close and g.label == "GPE" and self.lang == "en":  # `MACAU` (a dateline) and `Macao`: one place
            close = [t for t in same if lexicon.same_place(g.key, t.key)]
        if len(close) == 1 and (g.label != "PERSON" or len(g.key) >= 8):
            return close[0], True
        if g.label == "PERSON":
            return self._person_target(g, same), False
        if g.label == "ORG":
            return self._org_target(g, same), False
        if g.label == "GPE":
            return self._place_target(g, same), False
        return None, False

    def _place_target(self, g: _Group, same: list[_Group]) -> _Group | None:
        """`大湾区` in `粤港澳大湾区`, `江西` / `江西省`, `Greater Bay Area` in `Guangdong-Hong Kong-Macao
        Greater Bay Area`: the same place written short."""
        if self.lang == "zh":
            fits = [t for t in same if len(g.key) >= 3 and t.key.endswith(g.key)]
        else:
            words = self._surface(g).split()
            fits = [t for t in same if len(words) >= 2 and t.key.endswith(g.key)]
        return fits[0] if len(fits) == 1 else None

    def _person_target(self, g: _Group, same: list[_Group]) -> _Group | None:
        """`Lo` -> `Lo Chung-mau`, `Yim` -> `Joseph Yim Tak-lung`, when only one full name fits."""
        if self.lang != "en":
            return None
        words = self._surface(g).split()
        if len(words) != 1:
            return None
        w = words[0].casefold()
        fits = [
            t
            for t in same
            if len(self._surface(t).split()) > 1 and w in (x.casefold() for x in re.split(r"\s+", self._surface(t)))
        ]
        return fits[0] if len(fits) == 1 else None

    def _org_target(self, g: _Group, same: list[_Group]) -> _Group | None:
        surface = self._surface(g)
        if self.lang == "en" or re.fullmatch(r"[A-Za-z0-9 .,&'’()\[\]\-]+", surface):
            fits = [t for t in same if _initials_match(surface, self._surface(t))]
            if not fits:
                found = [(pos, t) for t in same if (pos := _short_form_of(surface, self._surface(t))) is not None]
                prefix = [t for pos, t in found if pos == 0]
                fits = prefix if len(prefix) == 1 else [t for _, t in found]
            return fits[0] if len(fits) == 1 else None
        return self._zh_org_target(g.key, same)

    def _zh_org_target(self, key: str, same: list[_Group]) -> _Group | None:
        expanded = expand_zh(key)
        if expanded != key:
            fits = [t for t in same if t.key.endswith(expanded) or t.key == expanded]
            if len(fits) == 1:
                return fits[0]
        # The same name with a place before it or a legal form after it: 周大福医疗基金 /
        # 香港周大福医疗基金有限公司; or the end of a longer name: 安德逊癌症中心 / 美国得克萨斯大学安德逊癌症中心.
        places = lexicon.names("gpe", "zh")
        fits = []
        for t in same:
            i = t.key.find(key)
            if i < 0 or t.key == key:
                continue
            before, after = t.key[:i], t.key[i + len(key) :]
            if ((not before or before in places) and (not after or after in _ZH_LEGAL)) or (not after and len(key) >= 5):
                fits.append(t)
        if len(fits) == 1:
            return fits[0]
        # Abbreviation by characters in order: 科大 -> 香港科技大学, 北医三院 -> 北京大学第三医院. A
        # complete name (澳门大学, ending in a head word) is no abbreviation of a longer name it starts
        # (澳门大学澳门中药检测中心: a unit of it), nor of one with the same head and more before it
        # (香港大学 / 香港中文大学, 北京大学 / 北京理工大学: two universities).
        if 2 <= len(key) <= 4:
            scored = sorted(
                (
                    (gap, t)
                    for t in same
                    if (gap := subsequence_gap(key, t.key)) is not None
                    and len(t.key) > len(key)
                    and not _other_complete_name(key, t.key)
                ),
                key=lambda x: x[0],
            )
            if scored and (len(scored) == 1 or scored[0][0] < scored[1][0]):
                return scored[0][1]
        return None

    # -- output ----------------------------------------------------------------------------------
    def _surface(self, g: _Group) -> str:
        own = [m for m in g.mentions if m.origin != "alias"] or g.mentions
        best = max(own, key=lambda m: (m.end - m.start, -m.start))
        return self.text[best.start : best.end]

    def _rows(self, groups: list[_Group]) -> list[Entity]:
        rows = []
        for g in groups:
            g.mentions.sort(key=lambda m: m.start)
            # `text` is the name as first written in full; `text_norm` its longest spelling.
            own = [m for x in [g, *g.variants] for m in x.mentions if m.origin != "alias" and m.alias_of is None]
            own = sorted(own or g.mentions, key=lambda m: m.start)
            first = own[0]
            best = max(
                own,
                key=lambda m: (
                    len(expand_zh(self.text[m.start : m.end])) if self.lang == "zh" else m.end - m.start,
                    not self.text[m.start : m.end].isupper(),
                    -m.start,
                ),
            )
            c0, c1 = self.to_clean(first.start, first.end)
            spans = sorted({self.to_clean(m.start, m.end) for m in g.mentions})
            work = self.text[best.start : best.end]
            if self.lang == "zh":  # the name as written, in OpenCC's t2s (what SCHEMA.md's matching applies)
                b0, b1 = self.to_clean(best.start, best.end)
                work = to_hans(self.clean_text[b0:b1])
            norm, source = self._norm(g, work, best)
            aliases = []
            for a in g.aliases:
                aliases.append(self._clean_form(a, g))
            score = min(1.0, max(m.score for m in g.mentions) + 0.03 * (len(spans) - 1))
            hans = (
                []
                if self.hans_offset is None
                else sorted({(m.start + self.hans_offset, m.end + self.hans_offset) for m in g.mentions})
            )
            rows.append(
                (
                    spans[0][0],
                    Entity(
                        "",
                        g.label,
                        self.clean_text[c0:c1],
                        norm,
                        [(s0, s1) for s0, s1 in spans],
                        aliases,
                        source,
                        round(score, 3),
                        hans,
                    ),
                )
            )
        rows.sort(key=lambda r: r[0])
        for i, (_, e) in enumerate(rows, 1):
            e.entity_id = f"E{i}"
        return [e for _, e in rows]

    def _norm(self, g: _Group, work: str, best: Mention) -> tuple[str, str]:
        source = best.source
        if g.norm:
            return g.norm, source
        norm = re.sub(r"\s+", " ", work).strip()
        if self.lang == "en":
            return re.sub(r"^(?:the|The)\s+", "", norm), source
        # A conventional short form (`国资委`) stays as written: `expand_zh` only groups it with its
        # full name; the gold, and an analyst reading the evidence, use the text's own words.
        return norm, source

    def _clean_form(self, alias: str, g: _Group) -> str:
        """The short form as written in clean_text (it was read on the Simplified text)."""
        for m in g.mentions:
            if self.text[m.start : m.end] == alias:
                c0, c1 = self.to_clean(m.start, m.end)
                return self.clean_text[c0:c1]
        i = self.text.find(alias)
        if i >= 0:
            c0, c1 = self.to_clean(i, i + len(alias))
            return self.clean_text[c0:c1]
        return alias


class _Overlaps:
    """Which mentions of a list overlap a span, without reading the whole list each time (a long
    release defines a short form once and uses it hundreds of times). The list may be changed in
    place (same start, an end only ever extended: call `grew`) and appended to (`added`)."""

    def __init__(self, mentions: Sequence[Mention | None]) -> None:
        self.mentions = mentions  # an entry set to None is gone
        present = [m for m in mentions if m is not None]
        assert len(present) == len(mentions)  # entries are set to None only after the index is built
        self.order = sorted(range(len(present)), key=lambda i: present[i].start)
        self.starts = [present[i].start for i in self.order]
        self.longest = max((m.end - m.start for m in present), default=0)

    def grew(self, m: Mention) -> None:
        self.longest = max(self.longest, m.end - m.start)

    def added(self, i: int) -> None:
        m = self.mentions[i]
        assert m is not None  # the mention just appended
        pos = bisect_right(self.starts, m.start)
        self.starts.insert(pos, m.start)
        self.order.insert(pos, i)
        self.grew(m)

    def overlapping(self, start: int, end: int) -> list[int]:
        """Indices, in list order, of the mentions overlapping [start, end)."""
        lo = bisect_left(self.starts, start - self.longest + 1)
        hi = bisect_left(self.starts, end)
        ms = self.mentions
        return sorted(i for i in self.order[lo:hi] if (m := ms[i]) is not None and m.start < end and start < m.end)


def _name_like_gloss(text: str) -> bool:
    """`Yuichi Oike`, `Jun-ichirou Yasunaga`, `University of Macau`: Latin words, each capitalised
    but for a few joining words."""
    words = text.split()
    if not words or HAN.search(text) or not re.fullmatch(r"[A-Za-z][A-Za-z .,&'’\-–]*", text):
        return False
    return words[0][0].isupper() and all(w[0].isupper() or w.casefold() in _GLOSS_LOWER for w in words)


def _swap(mentions: list[Mention | None], old: Mention, new: Mention, drop: list[int]) -> None:
    """`old` replaced by `new` in place (or added), every short form of `old` pointing to `new`; `drop` gone."""
    for i in drop:
        mentions[i] = None
    idx = next((i for i, m in enumerate(mentions) if m is old), None)
    if idx is None:
        mentions.append(new)
    else:
        mentions[idx] = new
    for i, m in enumerate(mentions):
        if m is not None and m.alias_of is old:
            mentions[i] = replace(m, alias_of=new)


def expand_zh(name: str) -> str:
    """`深圳市卫健委` -> `深圳市卫生健康委员会`: conventional short forms spelled out."""
    for short, full in lexicon.zh_abbreviations().items():
        if short in name and full not in name:
            return name.replace(short, full, 1)
    return name


def _initials_match(short: str, full: str) -> bool:
    """`CUHK` / `Chinese University of Hong Kong`, `HA` / `Hospital Authority`."""
    if not re.fullmatch(r"[A-Z]{2,7}", short):
        return False
    words = [w for w in re.split(r"[\s\-]+", full) if w and w.casefold() not in ("of", "and", "&", "the", "for")]
    initials = "".join(w[0] for w in words if w[0].isalpha()).upper()
    return initials == short or (len(short) >= 3 and initials.startswith(short) and len(initials) - len(short) <= 1)


_WORD = re.compile(r"[A-Za-z0-9]+")
_EN_HEADS = lang.words("en", "org_heads", "consolidate")  # pipeline/lang/en/org_heads.tsv


_HONORIFICS = lang.words("en", "honorifics", "consolidate")


def _short_form_of(short: str, full: str) -> int | None:
    """Where `short` sits in `full` as its short form, or None.

    `MD Anderson` in `The University of Texas MD Anderson Cancer Center`, `Concord` in `Concord
    Medical Services`, `UMP Healthcare` in `UMP Healthcare Holdings Limited`: the short name's words
    appear in the full name in a row. A short name that is a complete name (it has a head word)
    must start the full one, and what follows must add no other organisation or place:
    `Peking University` is not `Peking University Third Hospital`, `National Cancer Center` is not
    `National Cancer Center Korea`, `University of Hong Kong` is not `Chinese University of Hong Kong`.
    """
    s = _join_initials([w.casefold() for w in _WORD.findall(short)])
    f = _join_initials([w.casefold() for w in _WORD.findall(full)])
    if not s or len(s) >= len(f) or ("," in full and "," not in short):
        return None
    complete = any(w in _EN_HEADS for w in s)
    places = _en_places()
    for i in range(len(f) - len(s) + 1):
        if f[i : i + len(s)] != s:
            continue
        after = f[i + len(s) :]
        before = f[:i]
        if after[:1] == ["and"] or before[-1:] in (["and"], ["of"]) or any(w in _HONORIFICS for w in after):
            # `Sinopharm and the University of Macao` names two; `Board of Directors of Sinopharm` is a
            # part of Sinopharm; `University of Macau Mr. Song Yonghua` ran into a name
            continue
        acronym = len(before) == 1 and re.search(rf"\b{before[0].upper()}\b", full) is not None
        if complete and (
            (before not in ([], ["the"]) and not acronym and " ".join(before) not in places)
            or any(w in _EN_HEADS for w in after)
            or " ".join(after) in places
        ):
            continue
        return i
    return None


@cache
def _en_places() -> frozenset[str]:
    return frozenset(p.casefold() for p in lexicon.names("gpe", "en"))


def _join_initials(words: list[str]) -> list[str]:
    """`m d anderson` -> `md anderson`: runs of single letters are one abbreviation."""
    out: list[str] = []
    prev_single = False
    for w in words:
        if len(w) == 1 and prev_single:
            out[-1] += w
        else:
            out.append(w)
        prev_single = len(w) == 1 or (prev_single and len(w) == 1)
    return out


def _zh_head(name: str) -> str | None:
    """The head word a Chinese organisation name ends in (大学, 医院, 学院 ...), if any."""
    return next((h for h in _ZH_HEADS if name.endswith(h)), None)


def _other_complete_name(key: str, longer: str) -> bool:
    """Is `key`, a complete name (ending in a head word), another organisation than `longer` rather
    than its short form: `longer` starts with it (a unit of it), or ends in the same head word with
    more written before the head (香港大学 / 香港中文大学)."""
    head = _zh_head(key)
    if head is None:
        return False
    return longer.startswith(key) or (longer.endswith(head) and not longer.endswith(key))
