"""Romanised names vs Chinese names: is `Lo Chung-mau` the same person as `卢宠茂`?

A Chinese name is a surname (one or two characters) and a given name. The English side writes the
surname in one of several systems (mainland pinyin Lu, Hong Kong Lo, Taiwan Lu ...; taken from the
surname table) and the given name in pinyin (Jinyi, Luhua) or Hong Kong Cantonese spelling
(Chung-mau, Wai-tat), surname first or last, or replaces the given name by an English one (Walton LI).
Mandarin readings come from CC-CEDICT, Cantonese ones from ToJyutping, turned into the spelling
the Hong Kong government uses (d -> t, z/c -> ch or ts, oeng -> eung, yu -> ue ...).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from itertools import product

from rapidfuzz import fuzz

from pipeline import lang
from pipeline.align import lexicon
from pipeline.text.chars import HAN_CHARS
from pipeline.text.hans import converter, to_hans

# Words around a name that are not part of it: honorifics, and `the` / Hong Kong post-nominals (`Hon Lo Chung-mau, SBS, JP`).
_HONORIFIC = lang.words("en", "honorifics", "translit") | frozenset(["the", "sbs", "jp", "gbs", "mh", "bbs"])
_CJK = re.compile(rf"^[{HAN_CHARS}]+$")

_INITIALS = {
    "b": ["p"],
    "p": ["p"],
    "d": ["t"],
    "t": ["t"],
    "g": ["k"],
    "k": ["k"],
    "gw": ["kw"],
    "kw": ["kw"],
    "z": ["ch", "ts", "j"],
    "c": ["ch", "ts"],
    "s": ["s", "sh"],
    "j": ["y", ""],
    "ng": ["ng", ""],
    "m": ["m"],
    "n": ["n"],
    "l": ["l"],
    "h": ["h"],
    "f": ["f"],
    "w": ["w"],
    "": [""],
}
_FINALS = {
    "aa": ["a", "ah"],
    "aai": ["ai"],
    "aau": ["au"],
    "aam": ["am"],
    "aan": ["an"],
    "aang": ["ang"],
    "aap": ["ap"],
    "aat": ["at"],
    "aak": ["ak"],
    "ei": ["ei", "ee", "i"],
    "i": ["i", "ee", "ze", "z", "yi"],
    "ou": ["o", "ou", "oh"],
    "o": ["o", "oh"],
    "oi": ["oi", "oy"],
    "u": ["u", "oo"],
    "ui": ["ui", "ooi"],
    "un": ["un", "oon"],
    "oe": ["oe", "eu"],
    "oeng": ["eung"],
    "oek": ["euk"],
    "eoi": ["ui", "eui", "ey"],
    "eon": ["un", "eun"],
    "eot": ["ut", "eut"],
    "yu": ["u", "ue", "yu"],
    "yun": ["uen", "un", "yun"],
    "yut": ["uet", "ut", "yut"],
    "im": ["im", "eem"],
    "in": ["in", "een"],
    "ing": ["ing"],
    "ik": ["ik"],
    "ip": ["ip"],
    "it": ["it"],
}
_JP = re.compile(r"^(gw|kw|ng|[bpmfdtnlgkhwzcsj])?([a-z]+?)([1-6])?$")


def hk_spellings(jyutping: str) -> set[str]:
    """Hong Kong government style spellings of one Jyutping syllable (`cung2` -> {chung, tsung})."""
    m = _JP.match(jyutping)
    if not m:
        return set()
    ini, fin = m[1] or "", m[2]
    if ini == "j" and fin.startswith("yu"):
        ini = ""
    out = set()
    for a in _INITIALS.get(ini, [ini]):
        for b in _FINALS.get(fin, [fin]):
            if a in ("s", "ts", "ch", "z") and fin == "i":
                b = {"ze": "ze", "z": "z"}.get(b, b)
            out.add(a + b)
    if ini == "j":  # jan -> yan, ji -> yi
        out.add("y" + fin.replace("yu", "u"))
    return {x for x in out if x}


@lru_cache(maxsize=20000)
def syllables(char: str) -> frozenset[str]:
    """Every spelling a romanised name may use for `char`: pinyin readings plus HK Cantonese forms."""
    out = {r.replace(" ", "") for r in lexicon.readings(char)}
    out |= {r.replace("u", "v") for r in out if "u" in r}  # lü written lv / lyu
    import ToJyutping  # loads its trie (about 2 s) only when a name is romanised

    trad = converter("s2hk").convert(char)
    for _, cands in ToJyutping.get_jyutping_candidates(trad):
        for jp in (cands or [])[:3]:
            out |= hk_spellings(jp)
    return frozenset(out)


def split_zh(name: str) -> tuple[str, str] | None:
    """(surname, given name) of a Chinese person name, or None when it does not start with a surname."""
    table = lexicon.surnames()
    if len(name) >= 3 and name[:2] in table:
        return name[:2], name[2:]
    if len(name) >= 2 and name[0] in table:
        return name[0], name[1:]
    return None


@cache
def _surname_romans_rev() -> dict[str, set[str]]:
    rev: dict[str, set[str]] = {}
    for zh, romans in lexicon.surnames().items():
        for r in romans:
            rev.setdefault(r, set()).add(zh)
    return rev


@lru_cache(maxsize=100000)
def given_forms(given: str, limit: int = 64) -> frozenset[str]:
    """Joined spellings of a given name (`宠茂` -> {chungmau, chongmao, ...}), and the initials a
    Hong Kong name may be written with, marked by `INITIALS` (`德章` -> {~tc, ~dz, ...}: `T.C. Chan`)."""
    per_char = [sorted(syllables(c)) for c in given]
    if not per_char or any(not s for s in per_char):
        return frozenset()
    out = set()
    for combo in product(*per_char):
        out.add("".join(combo))
        if len(out) >= limit:
            break
    if 2 <= len(given) <= 3:
        out |= {INITIALS + "".join(c) for c in product(*({s[0] for s in syl} for syl in per_char))}
    return frozenset(out)


def en_name_tokens(name: str) -> list[str]:
    """Lower-case name tokens without honorifics; hyphenated given names stay one token (`chungmau`)."""
    raw = re.findall(r"[A-Za-z]+(?:[-‐'][A-Za-z]+)*", name)
    toks = [t for t in raw if t.lower().strip(".") not in _HONORIFIC]
    return [re.sub(r"[-‐']", "", t).lower() for t in toks]


# A given name written as initials before the surname: `T.C. Chan`, `Anthony T. C. Chan`, `Y.K. Pao`.
_INITIALS_NAME = re.compile(r"\b((?:[A-Z]\.[ \t]?){2,3})([A-Z][a-z]+|[A-Z]{2,})\b")
INITIALS = "~"  # marks a given name read as initials, which no spelled-out given name starts with


@lru_cache(maxsize=100000)
def orders(name: str) -> tuple[tuple[str, str], ...]:
    """(surname, given) readings of an English name: surname first, surname last, capitals first;
    a name with initials (`T.C. Chan`) reads only as the surname after them and the initials."""
    m = _INITIALS_NAME.search(name)
    if m:
        return ((m[2].lower(), INITIALS + re.sub(r"[^A-Za-z]", "", m[1]).lower()),)
    raw = [t for t in re.findall(r"[A-Za-z]+(?:[-‐'][A-Za-z]+)*", name) if t.lower() not in _HONORIFIC]
    toks = [re.sub(r"[-‐']", "", t).lower() for t in raw]
    if len(toks) < 2:
        return ((toks[0], ""),) if toks else ()
    caps = [i for i, t in enumerate(raw) if len(t) > 1 and t.isupper()]
    out = []
    if len(caps) == 1 and len(caps) < len(raw):  # WANG Luhua, Walton LI: the capitals are the surname
        i = caps[0]
        out.append((toks[i], "".join(toks[:i] + toks[i + 1 :])))
    out.append((toks[0], "".join(toks[1:])))
    out.append((toks[-1], "".join(toks[:-1])))
    # Chinese-English hybrids: "Walton Li Wai-tat" -> surname Li, given waitat
    if len(toks) >= 3:
        out.append((toks[-2], toks[-1]))
        out.append((toks[1], "".join(toks[2:])))
    return tuple(out)


def name_score(en: str, zh: str) -> float:
    """How sure we are that English `en` and Chinese `zh` name one person, in [0, 1].

    1.0: surname and given name both match; ~0.8: given name close (a spelling variant);
    0.5: only the surname matches (an English given name, `Walton LI` <-> `李维达`); 0 otherwise.
    """
    zh = to_hans(zh.strip())
    if not _CJK.match(zh):
        return 0.0
    parts = split_zh(zh)
    if parts is None:
        return 0.0
    surname, given = parts
    romans = set(lexicon.surnames().get(surname, set()))
    if len(surname) == 1:
        romans |= syllables(surname)  # pinyin and Cantonese readings beyond the table's spellings
    forms = given_forms(given)
    best = 0.0
    for s, g in orders(en):
        if s not in romans:
            continue
        score = 0.5
        if g and forms:
            if g in forms:
                score = 1.0
            elif g.startswith(INITIALS):
                score = 0.2  # initials that are not this name's: evidence against
            else:
                r = max(fuzz.ratio(g, f) for f in forms)
                if r >= 80:
                    score = 0.5 + 0.5 * (r - 60) / 40
                elif len(g) >= 4 and romanised(g):
                    score = 0.2  # a romanised given name that is not this one: evidence against
        best = max(best, score)
    return min(best, 1.0)


@cache
def _syllable_set() -> frozenset[str]:
    """Pinyin readings plus every surname spelling (which covers the common HK / Taiwan forms)."""
    syl = {r for rs in lexicon.all_readings().values() for r in rs if r.isalpha()}
    syl |= {r for rs in lexicon.surnames().values() for r in rs}
    return frozenset(syl)


def romanised(word: str) -> bool:
    """Whether `word` splits into Chinese syllables (Wanqing, Chungmau), unlike Walton or Kenneth."""
    syl = _syllable_set()
    ok = [True] + [False] * len(word)
    for i in range(1, len(word) + 1):
        ok[i] = any(ok[j] and word[j:i] in syl for j in range(max(0, i - 6), i))
    return ok[-1] and sum(1 for c in word if c in "aeiouy") >= 2


_CAP_RUN = re.compile(r"(?:\b(?:[A-Z][a-z]+|[A-Z]{2,})(?:[-‐][A-Za-z][a-z]+)?\b[ \t]*)+")


def en_name_candidates(text: str, limit: int = 80) -> list[str]:
    """Windows of two or three capitalised words, one of them a known surname spelling; initials
    before a known surname spelling (`T.C. Chan`)."""
    out: dict[str, None] = {}
    surn = _surname_romans_rev()
    for m in _INITIALS_NAME.finditer(text):
        if m[2].lower() in surn:
            out.setdefault(re.sub(r"\s+", "", m[1]) + " " + m[2], None)
    for m in _CAP_RUN.finditer(text):
        words = m[0].split()
        for n in (3, 2):
            for i in range(len(words) - n + 1):
                win = words[i : i + n]
                toks = en_name_tokens(" ".join(win))
                if len(toks) == n and (toks[0] in surn or toks[-1] in surn):
                    out.setdefault(" ".join(win), None)
        if len(out) >= limit:
            break
    return list(out)
