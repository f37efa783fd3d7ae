"""Entity links inside an aligned EN-ZH pair: which Chinese entity is which English one.

Evidence, best first: the bilingual term table (养和医疗集团 <-> HKSH Medical Group, titles and
places); transliteration for people (WANG Luhua <-> 王绿化, and the surname alone for Walton LI <->
李维达); word-by-word translation of organisation names through CC-CEDICT (医疗 -> medical, 集团 ->
group); Latin words kept in the Chinese name; and position: entities first mentioned in sentences
that translate each other (multilingual USE) and holding the same place in the story.
Each label is then matched one-to-one (Hungarian assignment), keeping links above a threshold.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy.optimize import linear_sum_assignment

from pipeline.align import lexicon, translit
from pipeline.text.hans import to_hans
from pipeline.text.sentences import sentence_spans

_LATIN_WORDS = re.compile(r"[A-Za-z][A-Za-z0-9&'-]*")
_GENERIC = frozenset(["hong", "kong", "china", "chinese", "the", "of", "and", "limited", "ltd", "company", "group"])


@dataclass
class Ent:
    entity_id: str
    label: str
    text: str
    text_norm: str
    aliases: list[str] = field(default_factory=list)
    start: int = 0  # first mention offset


@dataclass
class Link:
    en_entity_id: str
    zh_entity_id: str
    en_text: str
    zh_text: str
    score: float


@lru_cache(maxsize=50000)
def zh_words(name: str) -> tuple[str, ...]:
    """Greedy longest-match segmentation of a Chinese name over CC-CEDICT words (Latin runs kept whole)."""
    name = to_hans(name)
    gl = lexicon.glosses()
    out, i = [], 0
    while i < len(name):
        m = _LATIN_WORDS.match(name, i)
        if m:
            out.append(m[0].lower())
            i = m.end()
            continue
        for n in (4, 3, 2, 1):
            if name[i : i + n] in gl or n == 1:
                out.append(name[i : i + n])
                i += n
                break
    return tuple(w for w in out if w.strip())


@lru_cache(maxsize=50000)
def _gloss_words(word: str) -> frozenset[str]:
    if word.isascii():
        return frozenset({word})
    words: set[str] = set()
    for g in lexicon.glosses().get(word, []):
        words |= lexicon.content_words(g)
    return frozenset(words)


def translation_score(en: str, zh: str) -> float:
    """Share of the name's parts that translate into each other, word by word (both directions)."""
    en_words = lexicon.content_words(en) - _GENERIC
    if not en_words:
        return 0.0
    parts = [w for w in zh_words(zh) if w not in {"香港", "中国", "有限公司", "公司"}]
    if not parts:
        return 0.0
    hit_parts = 0
    covered: set[str] = set()
    for p in parts:
        g = _gloss_words(p)
        # morphology: "medical" vs "medicine", "hospitals" vs "hospital"
        hit = {e for e in en_words if e in g or any(len(e) > 4 and len(x) > 4 and e[:5] == x[:5] for x in g)}
        if hit:
            hit_parts += 1
            covered |= hit
    if not hit_parts:
        return 0.0
    p_zh = hit_parts / len(parts)
    p_en = len(covered) / len(en_words)
    return 2 * p_zh * p_en / (p_zh + p_en)


def term_score(en: str, zh: str) -> float:
    """1.0 when the term table names both as one concept (养和医疗集团 <-> HKSH Medical Group)."""
    t = lexicon.terms()
    toks = lexicon.en_tokens(en)
    ce = t.find_en(toks)
    zh_s = to_hans(zh)
    cz = t.find_zh(zh_s)
    if not ce or not cz:
        return 0.0
    whole = " ".join(toks[1:] if toks[:1] == ["the"] else toks)
    full_en = {c for c in ce if whole in t.en_names[c]}
    full_zh = {c for c in cz if zh_s in t.zh_names[c]}
    if full_en & full_zh:
        return 1.0
    shared = set(ce) & set(cz)
    return 0.6 * len(shared) / max(len(ce), len(cz)) if shared else 0.0


def pair_score(e: Ent, z: Ent) -> float:
    """Evidence that English entity `e` and Chinese entity `z` are one thing, in [0, 1]."""
    en_forms = tuple(dict.fromkeys(f for f in (e.text_norm, e.text, *e.aliases) if f))
    zh_forms = tuple(dict.fromkeys(f for f in (z.text_norm, z.text, *z.aliases) if f))
    return _forms_score(e.label, en_forms, zh_forms)


@lru_cache(maxsize=200_000)
def _forms_score(label: str, en_forms: tuple[str, ...], zh_forms: tuple[str, ...]) -> float:
    """Cached: the same organisations and people recur across a batch's candidate pairs."""
    best = 0.0
    for a in en_forms:
        for b in zh_forms:
            if label == "PERSON":
                s = translit.name_score(a, b)
            else:
                s = max(term_score(a, b), translation_score(a, b))
                latin = {w.lower() for w in _LATIN_WORDS.findall(b)} - _GENERIC
                if latin:
                    ew = set(lexicon.en_tokens(a))
                    s = max(s, len(latin & ew) / len(latin))
            if label in ("DATE", "MONEY") and a.strip().lower() == b.strip().lower():
                s = 1.0
            best = max(best, s)
    return best


def sentence_ends(text: str, lang: str) -> list[int]:
    """The end offset of each sentence of `text`, split once for all its entities' look-ups."""
    return [end for _, end in sentence_spans(text, lang)]


def sentence_of(ends: list[int], offset: int) -> int:
    """Index of the sentence holding `offset` (as `pair_sentences` numbers them), given `sentence_ends`."""
    i = bisect.bisect_right(ends, offset)
    return i if i < len(ends) else 0


def pair_sentences(en_text: str, zh_text: str, max_sentences: int = 15) -> tuple[list[str], list[str]]:
    """The first sentences of each side, the ones `aligned_sentences` compares."""
    es = [en_text[a:b].strip() for a, b in sentence_spans(en_text, "en")][:max_sentences]
    zs = [zh_text[a:b].strip() for a, b in sentence_spans(zh_text, "zh")][:max_sentences]
    return es, zs


def aligned_sentences(en_text: str, zh_text: str, min_sim: float = 0.5) -> dict[int, tuple[int, float]]:
    """English sentence index -> (Chinese sentence index, similarity) for mutual best matches (USE)."""
    from pipeline.align.encoder import embed_sentences

    es, zs = pair_sentences(en_text, zh_text)
    if not es or not zs:
        return {}
    ve, vz = embed_sentences(es), embed_sentences(zs)
    sim = ve @ vz.T
    out = {}
    for i in range(len(es)):
        j = int(sim[i].argmax())
        if sim[i, j] >= min_sim and int(sim[:, j].argmax()) == i:
            out[i] = (j, float(sim[i, j]))
    return out


@dataclass
class LinkPlan:
    """The name scores of a pair, per label, and whether sentence positions could change the links:
    some entity has no counterpart above the threshold while one of its label is free on the other side."""

    blocks: list[tuple[list[Ent], list[Ent], np.ndarray]]
    unresolved: bool


def plan_links(en: list[Ent], zh: list[Ent], threshold: float = 0.45) -> LinkPlan:
    labels = sorted({x.label for x in en} & {x.label for x in zh})
    blocks = []
    for label in labels:
        es = [x for x in en if x.label == label]
        zs = [x for x in zh if x.label == label]
        m = np.array([[pair_score(e, z) for z in zs] for e in es])
        blocks.append((es, zs, m))
    unresolved = any(((m < threshold).all(axis=1).any() and (m < threshold).all(axis=0).any()) for _, _, m in blocks)
    return LinkPlan(blocks, unresolved)


def link_entities(
    en: list[Ent],
    zh: list[Ent],
    en_text: str = "",
    zh_text: str = "",
    threshold: float = 0.45,
    use_sentences: bool = True,
    plan: LinkPlan | None = None,
) -> list[Link]:
    """One-to-one links per label between the entities of an aligned pair.

    Sentence positions (the encoder, a few ms a sentence) are computed only when the plan says they
    could change the links. `plan` is `plan_links(en, zh, threshold)` when the caller made it already
    (to encode the sentences of many pairs in one batch first).
    """
    plan = plan or plan_links(en, zh, threshold)
    sent_map = aligned_sentences(en_text, zh_text) if use_sentences and plan.unresolved and en_text and zh_text else {}
    links: list[Link] = []
    en_ends, zh_ends = (sentence_ends(en_text, "en"), sentence_ends(zh_text, "zh")) if sent_map else ([], [])
    for es, zs, m in plan.blocks:
        m = m.copy()
        if sent_map:  # first mentioned in sentences that translate each other
            zs_sent = [sentence_of(zh_ends, z.start) for z in zs]
            for i, e in enumerate(es):
                hit = sent_map.get(sentence_of(en_ends, e.start))
                if hit:
                    same = [j for j, s in enumerate(zs_sent) if s == hit[0]]
                    for j in same:
                        bonus = 0.35 * hit[1] / len(same)
                        m[i, j] = min(1.0, m[i, j] + bonus) if m[i, j] > 0 else bonus
        rows, cols = linear_sum_assignment(-m)
        for i, j in zip(rows, cols):
            if m[i, j] >= threshold:
                links.append(Link(es[i].entity_id, zs[j].entity_id, es[i].text_norm, zs[j].text_norm, round(float(m[i, j]), 4)))
    return links
