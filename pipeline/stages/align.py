"""align: fold copies, pair English and Chinese releases of one event, link their entities.

A corpus stage: it sees the whole batch as tables, never raw files. Three steps:
1. near-duplicates per language (`releases.duplicate_of` = the least noisy copy);
2. EN-ZH pairs between canonical releases, from blocked candidates scored by a calibrated logistic
   combination of encoder similarity, dates, numbers, names and bilingual terms; copies inherit
   their canonical release's pair;
3. entity links inside each pair (when the entities table has rows).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from pipeline.align import dedupe, pairs, signals
from pipeline.align.link import Ent, link_entities
from pipeline.io.tables import Tables, empty
from pipeline.registry import Stage, stage


def _text(row: Any) -> str:
    t = row.text_hans if row.lang == "zh" and isinstance(row.text_hans, str) else row.clean_text
    return t if isinstance(t, str) else ""


def _entities_by_release(ents: pd.DataFrame) -> dict[str, list[Ent]]:
    out: dict[str, list[Ent]] = {}
    if ents.empty:
        return out
    for r in ents.itertuples():
        mentions = list(r.mentions) if r.mentions is not None else []
        start = min((int(m[0]) for m in mentions), default=0)
        aliases = [a for a in (list(r.aliases) if r.aliases is not None else []) if isinstance(a, str)]
        out.setdefault(r.release_id, []).append(
            Ent(str(r.entity_id), str(r.label), str(r.text), str(r.text_norm or r.text), aliases, start)
        )
    return out


@stage("align")
class Align(Stage):
    """Fills `releases.duplicate_of`, `alignments` and `entity_links`."""

    kind = "corpus"
    requires = ("lang", "text_hans")
    provides = ("duplicate_of", "alignments", "entity_links")

    def __init__(
        self,
        threshold: float = 0.5,
        mutual: bool = False,
        copy_similarity: float = 0.75,
        encoder: bool = True,
        max_df: int = 60,
        top_k: int = 25,
        link_threshold: float = 0.45,
        link_sentences: bool = True,
    ) -> None:
        self.threshold = threshold
        self.mutual = mutual
        self.copy_similarity = copy_similarity
        self.encoder = encoder
        self.max_df = max_df
        self.top_k = top_k
        self.link_threshold = link_threshold
        self.link_sentences = link_sentences

    def __call__(self, tables: Tables) -> Tables:
        rel = tables.releases
        if rel.empty:
            return tables
        rel = rel.copy()
        rel["duplicate_of"] = None
        copies = self.fold_copies(rel)
        rel["duplicate_of"] = [copies.get(r) for r in rel["release_id"]]
        tables.releases = rel
        scored = self.score_pairs(rel[rel["duplicate_of"].isna()], tables.entities)
        tables.alignments = self.expand(scored, rel)
        tables.entity_links = self.links(tables.alignments, rel, tables.entities)
        return tables

    # --- 1. copies --------------------------------------------------------------------------
    def fold_copies(self, rel: pd.DataFrame) -> dict[str, str]:
        out: dict[str, str] = {}
        for lang in ("en", "zh"):
            sub = rel[rel["lang"] == lang].drop_duplicates("release_id")
            if len(sub) < 2:
                continue
            rows = list(sub.itertuples())
            texts = [dedupe.normalise(_text(r), lang) for r in rows]
            noise = [dedupe.latin_noise(_text(r)) if lang == "zh" else 0.0 for r in rows]
            for c in dedupe.find_copies([r.release_id for r in rows], texts, lang, self.copy_similarity, noise=noise):
                out[c.release_id] = c.canonical
        return out

    # --- 2. pairs ---------------------------------------------------------------------------
    def signals_of(self, rel: pd.DataFrame, ents: dict[str, list[Ent]]) -> list[signals.Signals]:
        out = []
        for r in rel.itertuples():
            title = r.title if isinstance(r.title, str) else None
            s = signals.extract(_text(r), r.lang, title, r.dateline_date)
            for e in ents.get(r.release_id, []):
                if e.label == "PERSON" and r.lang == "en" and e.text_norm not in s.names:
                    s.names.append(e.text_norm)
                if e.label == "PERSON" and r.lang == "zh":
                    for sur, names in signals.zh_name_index(e.text_norm).items():
                        s.zh_names.setdefault(sur, set()).update(names)
            out.append(s)
        return out

    def score_pairs(self, canon: pd.DataFrame, entities: pd.DataFrame) -> list[tuple[str, str, float]]:
        en_rel = canon[canon["lang"] == "en"].drop_duplicates("release_id")
        zh_rel = canon[canon["lang"] == "zh"].drop_duplicates("release_id")
        if en_rel.empty or zh_rel.empty:
            return []
        ents = _entities_by_release(entities)
        en_sig, zh_sig = self.signals_of(en_rel, ents), self.signals_of(zh_rel, ents)
        cand = pairs.block(en_sig, zh_sig, self.max_df, self.top_k)
        x = self.feature_matrix(en_sig, zh_sig, cand, list(en_rel["release_id"]), list(zh_rel["release_id"]), ents)
        p = pairs.Weights.load(bool(ents)).score(x) if len(cand) else np.zeros(0)
        scores = {c: float(s) for c, s in zip(cand, p) if not pairs.full_date_conflict(en_sig[c[0]], zh_sig[c[1]])}
        chosen = pairs.choose(scores, self.threshold, self.mutual)
        en_ids, zh_ids = list(en_rel["release_id"]), list(zh_rel["release_id"])
        return [(en_ids[i], zh_ids[j], p_) for (i, j), p_ in sorted(chosen.items())]

    def feature_matrix(
        self,
        en_sig: list[signals.Signals],
        zh_sig: list[signals.Signals],
        cand: list[tuple[int, int]],
        en_ids: list[str],
        zh_ids: list[str],
        ents: dict[str, list[Ent]],
        exact_cos: bool = False,
    ) -> np.ndarray:
        """Features of every candidate pair.

        The encoder is the slow signal (numpy, ~5 ms a line on a shared core), so it runs only on
        releases whose pairing it can change: a candidate that passes the threshold with a perfect
        cosine and fails with a zero one, or a release with more than one such candidate. Elsewhere
        (the only candidate, above the threshold whatever the cosine) the cosine is imputed as the
        median cosine of the gold pairs the weights were fitted on (`cos_prior`). `exact_cos`
        encodes every candidate (for fitting the weights).
        """
        idf = pairs.idf_table(en_sig, zh_sig)
        rarity = pairs.Rarity.of(en_sig)
        rows = []
        for i, j in cand:
            share = 0.0
            e_ents, z_ents = ents.get(en_ids[i], []), ents.get(zh_ids[j], [])
            if e_ents and z_ents:
                links = link_entities(e_ents, z_ents, threshold=self.link_threshold, use_sentences=False)
                share = len(links) / max(1, min(len(e_ents), len(z_ents)))
            rows.append(pairs.features(en_sig[i], zh_sig[j], 0.0, idf, rarity, share))
        x = np.array(rows) if rows else np.zeros((0, len(pairs.FEATURES)))
        if not self.encoder or not len(cand):
            return x
        from pipeline.align.encoder import embed_summaries

        w = pairs.Weights.load(bool(ents))
        col = pairs.FEATURES.index("cos")
        hi = x.copy()
        hi[:, col] = 1.0
        p_lo, p_hi = w.score(x), w.score(hi)
        viable = p_hi >= self.threshold
        n_en = Counter(i for (i, _), v in zip(cand, viable) if v)
        n_zh = Counter(j for (_, j), v in zip(cand, viable) if v)
        need = [
            bool(exact_cos or (v and (p_lo[k] < self.threshold or n_en[i] > 1 or n_zh[j] > 1)))
            for k, ((i, j), v) in enumerate(zip(cand, viable))
        ]
        used_en = sorted({i for (i, _), nd in zip(cand, need) if nd})
        used_zh = sorted({j for (_, j), nd in zip(cand, need) if nd})
        ve = dict(zip(used_en, embed_summaries([en_sig[i].summary for i in used_en])))
        vz = dict(zip(used_zh, embed_summaries([zh_sig[j].summary for j in used_zh])))
        for k, ((i, j), v, nd) in enumerate(zip(cand, viable, need)):
            if nd:
                x[k, col] = float(ve[i] @ vz[j])
            elif v:
                x[k, col] = w.cos_prior
        return x

    def expand(self, scored: list[tuple[str, str, float]], rel: pd.DataFrame) -> pd.DataFrame:
        """Pairs of canonical releases, plus each copy paired with the other side's canonical release.

        Not every copy with every copy: that grows with the product of the copy counts, and
        `duplicate_of` already ties the copies together.
        """
        members: dict[str, list[str]] = {}
        for rid, dup in zip(rel["release_id"], rel["duplicate_of"]):
            if isinstance(dup, str):
                members.setdefault(dup, []).append(rid)
        rows = []
        for e, z, p in scored:
            pairs = [(e, z), *((ee, z) for ee in members.get(e, [])), *((e, zz) for zz in members.get(z, []))]
            rows.extend({"en_release_id": ee, "zh_release_id": zz, "score": round(p, 4)} for ee, zz in pairs)
        return pd.DataFrame(rows) if rows else empty("alignments")

    # --- 3. entity links ----------------------------------------------------------------------
    def links(self, alignments: pd.DataFrame, rel: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
        ents = _entities_by_release(entities)
        if alignments.empty or not ents:
            return empty("entity_links")
        text = {r.release_id: (r.clean_text if isinstance(r.clean_text, str) else "") for r in rel.itertuples()}
        rows = []
        for a in alignments.itertuples():
            e, z = ents.get(a.en_release_id, []), ents.get(a.zh_release_id, [])
            if not e or not z:
                continue
            for link in link_entities(
                e, z, text[a.en_release_id], text[a.zh_release_id], self.link_threshold, self.link_sentences
            ):
                rows.append({"en_release_id": a.en_release_id, "zh_release_id": a.zh_release_id, **vars(link)})
        return pd.DataFrame(rows) if rows else empty("entity_links")
