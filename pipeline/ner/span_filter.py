"""A learned judge of entity candidates: keep, drop or relabel what the taggers and rules found.

The recognisers stay the high-recall candidate generators; this model decides, from features that
do not name any release (the tagger and rule that produced the span, its label and score, its first
and last words or characters, the words around its first mention, gazetteer hits from the public
lists, where it first appears, how often it is mentioned). Fitted by logistic regression on the
dev releases' gold (`train spans`), scored out of fold by `evaluate --cv`, stored as plain JSON
(feature -> weight per class), so loading it runs no code from the file.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.evaluate import same
from pipeline.ner.conventions import decided_none
from pipeline.text.chars import HAN

NONE = "NONE"  # the class of a candidate that is not an entity of the gold
KEEP = "KEEP"
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'&.-]*|[^\sA-Za-z0-9]")


@dataclass
class Candidate:
    """What the judge sees of one entity: its row and the text it was found in."""

    label: str
    text: str
    source: str
    score: float
    mentions: Sequence[Sequence[int]]
    aliases: Sequence[str]
    clean_text: str
    lang: str


def _bucket(n: float, edges: Sequence[float]) -> str:
    for e in edges:
        if n <= e:
            return f"<={e}"
    return f">{edges[-1]}"


def _gazetteer(kind: str, lang: str) -> frozenset[str]:
    from pipeline.ner import lexicon

    try:
        return lexicon.names(kind, "zh" if lang.startswith("zh") else "en")
    except FileNotFoundError:
        return frozenset()


def features(c: Candidate) -> dict[str, float]:
    """Sparse binary features of a candidate (names -> 1.0)."""
    zh = c.lang.startswith("zh") or bool(HAN.search(c.text))
    lab = c.label
    f: dict[str, float] = {}

    def add(name: str) -> None:
        f[name] = 1.0
        f[f"{lab}|{name}"] = 1.0

    add("bias")
    add(f"src={c.source}")
    add(f"score={_bucket(c.score, (0.5, 0.7, 0.8, 0.85, 0.9, 0.95))}")
    add(f"lang={'zh' if zh else 'en'}")
    add(f"chars={_bucket(len(c.text), (1, 2, 3, 5, 9, 19, 39))}")
    add(f"mentions={_bucket(len(c.mentions), (1, 2, 4))}")
    if c.aliases:
        add("has_alias")
    if any(ch.isdigit() for ch in c.text):
        add("digit")
    for kind in ("org", "gpe"):
        if c.text in _gazetteer(kind, "zh" if zh else "en"):
            add(f"in_{kind}_list")
    start = min((m[0] for m in c.mentions), default=-1)
    end = next((m[1] for m in c.mentions if m[0] == start), -1)
    if start >= 0 and c.clean_text:
        add(f"pos={_bucket(start / max(len(c.clean_text), 1), (0.02, 0.1, 0.3, 0.7))}")
        before, after = c.clean_text[max(0, start - 30) : start], c.clean_text[end : end + 30]
    else:
        before = after = ""
    if zh:
        t = c.text
        add(f"first={t[:1]}")
        add(f"last={t[-1:]}")
        add(f"last2={t[-2:]}")
        add(f"prev={before[-1:]}")
        add(f"prev2={before[-2:]}")
        add(f"next={after[:1]}")
        add(f"next2={after[:2]}")
    else:
        words = _WORD.findall(c.text)
        low = [w.lower() for w in words]
        add(f"words={_bucket(len(words), (1, 2, 3, 5, 8))}")
        if low:
            add(f"first={low[0]}")
            add(f"last={low[-1]}")
            add(f"shape0={_shape(words[0])}")
            add(f"shape_last={_shape(words[-1])}")
        for w in set(low[1:-1]):
            f[f"{lab}|inner={w}"] = 1.0
        if sum(1 for w in words if w[:1].isupper()) < len([w for w in words if w[:1].isalpha()]):
            add("lowercase_word")
        prev = _WORD.findall(before)[-2:]
        nxt = _WORD.findall(after)[:2]
        add(f"prev={prev[-1].lower() if prev else '^'}")
        add(f"prev2={' '.join(prev).lower() if prev else '^'}")
        add(f"next={nxt[0].lower() if nxt else '$'}")
    return f


def _shape(word: str) -> str:
    if word.isupper() and len(word) > 1:
        return "AA"
    if word[:1].isupper():
        return "Aa"
    if word[:1].isdigit():
        return "0"
    return "a" if word[:1].isalpha() else "."


def gold_label(c: Candidate, gold_entities: Iterable[dict]) -> str:
    """KEEP when a gold entity of the candidate's label has its name (SCHEMA.md matching), else NONE."""
    hit = any(g["label"] == c.label and same(g.get("clean") or g["text"], c.text) for g in gold_entities)
    return KEEP if hit else NONE


@dataclass
class SpanJudge:
    """Per-class weights over feature names; `threshold` on P(NONE) decides a drop."""

    classes: list[str]
    weights: dict[str, list[float]]
    bias: list[float]
    threshold: float = 0.5
    relabel: bool = True

    def proba(self, feats: dict[str, float]) -> np.ndarray:
        z = np.array(self.bias, dtype=float)
        for name, v in feats.items():
            w = self.weights.get(name)
            if w is not None:
                z += v * np.asarray(w)
        z -= z.max()
        e = np.exp(z)
        return e / e.sum()

    def p_none(self, c: Candidate) -> float:
        """The probability that the candidate is no entity of the gold (1 where SCHEMA.md decides so)."""
        if decided_none(c.label, c.text, c.lang):
            return 1.0
        return float(self.proba(features(c))[self.classes.index(NONE)]) if NONE in self.classes else 0.0

    def decide(self, c: Candidate) -> str:
        """The label to keep the candidate under, or NONE to drop it."""
        if decided_none(c.label, c.text, c.lang):
            return NONE
        p = self.proba(features(c))
        if NONE in self.classes and p[self.classes.index(NONE)] >= self.threshold:
            return NONE
        if not self.relabel:
            return c.label
        order = [self.classes[i] for i in np.argsort(-p) if self.classes[i] != NONE]
        return order[0] if order else c.label

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {
            "classes": self.classes,
            "bias": self.bias,
            "threshold": self.threshold,
            "relabel": self.relabel,
            "weights": self.weights,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> SpanJudge:
        data = json.loads(Path(path).read_text("utf-8"))
        return cls(data["classes"], data["weights"], data["bias"], data.get("threshold", 0.5), data.get("relabel", True))


def fit(
    candidates: Sequence[Candidate], labels: Sequence[str], c: float = 1.0, threshold: float = 0.5, relabel: bool = True
) -> SpanJudge:
    """Multinomial logistic regression over the candidates' features (L2, `c` its inverse strength)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    # What SCHEMA.md's conventions decide (p_none = 1) teaches the weights nothing.
    rows = [(cand, lab) for cand, lab in zip(candidates, labels) if not decided_none(cand.label, cand.text, cand.lang)]
    candidates, labels = [r[0] for r in rows], [r[1] for r in rows]
    vec = DictVectorizer()
    x = vec.fit_transform([features(cand) for cand in candidates])
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise ValueError("the span judge needs candidates of at least two classes (some kept, some not)")
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit(x, list(labels))
    coef = model.coef_
    if len(model.classes_) == 2:  # binary: sklearn keeps one row (for classes_[1])
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        bias = [-model.intercept_[0] / 2, model.intercept_[0] / 2]
    else:
        bias = list(model.intercept_)
    weights = {}
    for j, name in enumerate(vec.get_feature_names_out()):
        col = coef[:, j]
        if np.abs(col).max() > 1e-4:
            weights[str(name)] = [round(float(v), 4) for v in col]
    return SpanJudge([str(k) for k in model.classes_], weights, [round(float(b), 4) for b in bias], threshold, relabel)


def log_loss(judge: SpanJudge, candidates: Sequence[Candidate], labels: Sequence[str]) -> float:
    """Mean negative log-likelihood of the gold classes (lower is better)."""
    total = 0.0
    for cand, lab in zip(candidates, labels):
        p = judge.proba(features(cand))
        total -= math.log(max(p[judge.classes.index(lab)] if lab in judge.classes else 1e-9, 1e-9))
    return total / max(len(candidates), 1)


def from_tables(tables) -> list[tuple[str, str, str, Candidate]]:
    """(release_id, entity_id, gold id = the file name without extension, candidate) per entity row."""
    rel = tables.releases.set_index("release_id")
    out = []
    for r in tables.entities.itertuples():
        if r.release_id not in rel.index:
            continue
        row = rel.loc[r.release_id]
        cand = Candidate(
            r.label,
            r.text,
            r.source,
            float(r.score),
            [tuple(m) for m in r.mentions],
            list(r.aliases),
            str(row["clean_text"]),
            str(row["lang"]),
        )
        out.append((r.release_id, r.entity_id, Path(str(row["source_path"])).stem, cand))
    return out


# --- span variants: the candidates the recognisers did not propose, for the judge to weigh ---------
# An organisation written as two names (`X – Y of Z`, `Ruijin Hospital, Shanghai Jiao Tong University
# School of Medicine`, `北京` + `协和医院`) or two names read as one (`Pfizer and Shangyao Holdings`).
_JOIN_EN = re.compile(r"\s?|\s*[–—-]\s*|,\s*|\s+of\s+(?:the\s+)?")
_SPLIT_EN = re.compile(r"\s+and\s+|\s*&\s*")
_SPLIT_ZH = re.compile(r"[与和及、]")
MERGE, SPLIT = "merge", "split"


def variants(entities: Sequence, text: str, lang: str, next_id: int) -> list:
    """Merged neighbours (ORG/GPE followed by ORG) and the parts of an ORG written `X and Y`, as
    new `Entity` candidates (source "merge" / "split", ids from E{next_id}) not already present."""
    from pipeline.release import Entity

    zh = lang.startswith("zh")
    have = {e.text for e in entities}
    out: list = []

    def add(start: int, end: int, source: str, score: float) -> None:
        name = text[start:end].strip()
        if not name or name in have or len(name) > 120 or "\n\n" in name:
            return
        have.add(name)
        mentions, at = [], text.find(name)
        while at >= 0:
            mentions.append((at, at + len(name)))
            at = text.find(name, at + len(name))
        out.append(Entity(f"E{next_id + len(out)}", "ORG", name, name, mentions or [(start, end)], [], source, score))

    spans = sorted((m[0], m[1], e) for e in entities if e.label in ("ORG", "GPE") for m in e.mentions)
    for (s1, e1, a), (s2, e2, b) in itertools.pairwise(spans):
        if b.label != "ORG" or s2 < e1:
            continue
        gap = text[e1:s2]
        if (gap == "" if zh else _JOIN_EN.fullmatch(gap)) and (a.label == "ORG" or gap in ("", " ")):
            add(s1, e2, MERGE, min(a.score, b.score))
    for e in entities:
        if e.label != "ORG" or not e.mentions:
            continue
        s, t = e.mentions[0]
        name = text[s:t]
        parts = list((_SPLIT_ZH if zh else _SPLIT_EN).finditer(name))
        if len(parts) != 1:
            continue
        cut = parts[0]
        left, right = name[: cut.start()], name[cut.end() :]
        if zh and (len(left) < 2 or len(right) < 2):
            continue
        if not zh and not (left[:1].isupper() and right[:1].isupper()):
            continue
        add(s, s + cut.start(), SPLIT, e.score)
        add(s + cut.end(), t, SPLIT, e.score)
    return out


def _held(x, y) -> bool:
    """Does some mention of y hold a mention of x (x nested in a longer name y)?"""
    return any(ys <= xs and xe <= ye and (ys, ye) != (xs, xe) for xs, xe in x.mentions for ys, ye in y.mentions)


def resolve(cands: Sequence, p_none: Sequence[float], threshold: float) -> list[bool]:
    """Which candidates to keep: those under the threshold, then each kept variant weighed against
    the candidates it overlaps (a merge against its parts, a part against its whole): the likelier
    side stays, and a candidate loses only where every mention of it lies inside the winner's."""
    keep = [p < threshold for p in p_none]

    def inside(x, y) -> bool:  # every mention of x within some mention of y
        return all(any(ys <= xs and xe <= ye for ys, ye in y.mentions) for xs, xe in x.mentions)

    def overlaps(x, y) -> bool:
        return any(xs < ye and ys < xe for xs, xe in x.mentions for ys, ye in y.mentions)

    order = sorted(range(len(cands)), key=lambda i: p_none[i])
    for i in order:
        v = cands[i]
        if not keep[i] or v.source not in (MERGE, SPLIT):
            continue
        rivals = [
            j for j in range(len(cands)) if j != i and keep[j] and cands[j].source not in (MERGE, SPLIT) and overlaps(v, cands[j])
        ]
        if not rivals:
            continue
        if v.source == MERGE:
            # weighed against its parts, not against a longer name that holds it (gold nests names:
            # 北京協和醫院 inside 離島醫療綜合體北京協和醫院澳門醫學中心)
            rivals = [j for j in rivals if not _held(v, cands[j])]
            if not rivals:
                continue
            if p_none[i] < min(p_none[j] for j in rivals):
                for j in rivals:
                    if inside(cands[j], v):
                        keep[j] = False
            else:
                keep[i] = False
        else:  # a part of a whole written `X and Y`
            whole = [j for j in rivals if inside(v, cands[j])]
            if whole and p_none[i] >= min(p_none[j] for j in whole):
                keep[i] = False
            else:
                for j in whole:
                    keep[j] = False
    return keep
