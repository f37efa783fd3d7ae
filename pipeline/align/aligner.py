"""The alignment algorithm of the align stage: fold copies, pair English and Chinese releases of one
event, link their entities. Here, not in `pipeline/stages/align.py`, so the tools that fit and
score it (`calibrate`, `cv`) run the steps one by one without the stage; the stage reads and writes
the tables and calls these steps in order.

It reads a batch as tables (a `Corpus`: the output folder, read in column batches), never raw
files, and never holds the batch's text. Three steps:
1. near-duplicates per language (`releases.duplicate_of` = the least noisy copy);
2. EN-ZH pairs between canonical releases, from blocked candidates scored by a calibrated logistic
   combination of encoder similarity, dates, numbers, names and bilingual terms; copies inherit
   their canonical release's pair;
3. entity links inside each pair (when the entities table has rows).
Every decision is a function of the batch's content, never of its row order (a resumed or
incremental run reads the same releases in another order and must write the same tables):
- the canonical copy of a group: the least noisy, then the earliest dateline, then the longest
  text, then the smallest source path, then the smallest release id (`dedupe.CopyFinder`);
- the signals of each side in release_id order, vocabulary columns in key order (`sides.canonical`),
  so blocking ties and float sums come out the same;
- pair ties: a release keeps its best counterpart by (score desc, counterpart's release id), scores
  compared rounded to 9 decimals (`pairs.choose`);
- entity links: each release's entities in entity_id order before the one-to-one assignment;
- output rows sorted: alignments by (en_release_id, zh_release_id), entity_links by
  (en_release_id, zh_release_id, en_entity_id, zh_entity_id);
- a release id found on more than one row (the runner keeps ids unique; a hand-built `Tables`
  may not): the row with the smallest source path, then text.
Per release it keeps about 5 KB (compact signals, a MinHash sketch, compressed entities), so
100,000 releases fit in well under 2 GB.
On an output folder the per-release work (signals, copy-finder entries, summary vectors) and the
per-pair work (entity shares, entity links) is kept in `OUT/cache/` (`pipeline.align.cache`), so an
incremental run computes it only for its new or changed releases; what depends on the whole batch
(blocking, feature weights, the decision) is recomputed every run.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd

from pipeline.align import dedupe, events, pairs, signals
from pipeline.align.cache import AlignCache, open_cache, unpack
from pipeline.align.link import Ent, link_entities, plan_links
from pipeline.align.sides import Side, SideBuilder, Vocabs, canonical
from pipeline.io.tables import Corpus, empty

_RELEASE_COLUMNS = ["release_id", "source_path", "lang", "title", "dateline_date", "clean_text", "text_hans"]
_ENTITY_COLUMNS = ["release_id", "entity_id", "label", "text", "text_norm", "aliases", "mentions"]


class _ReleaseRow(Protocol):
    """A `releases` row as itertuples gives it: the id a string, the other cells as stored (None or
    NaN where missing)."""

    release_id: str
    source_path: Any
    clean_text: Any
    text_hans: Any


class _EntityRow(Protocol):
    """An `entities` row of `_ENTITY_COLUMNS` as stored (aliases and mentions: arrays, or None)."""

    release_id: Any
    entity_id: Any
    label: Any
    text: Any
    text_norm: Any
    aliases: Any
    mentions: Any


class _AlignmentRow(Protocol):
    """An `alignments` row as itertuples gives it."""

    en_release_id: str
    zh_release_id: str


def _text(row) -> str:
    t = row.text_hans if row.lang == "zh" and isinstance(row.text_hans, str) else row.clean_text
    return t if isinstance(t, str) else ""


def _rows(corpus: Corpus, columns: list[str] = _RELEASE_COLUMNS, chosen: dict[str, int] | None = None) -> Iterator:
    """Each release row once. If a release id repeats, the row `chosen` names (see `repeated_ids`),
    else the first."""
    seen: set[str] = set()
    position = -1
    for batch in corpus.batches("releases", columns):
        for r in cast(Iterator[_ReleaseRow], batch.itertuples(index=False)):
            position += 1
            if r.release_id in seen:
                continue
            if chosen and r.release_id in chosen and chosen[r.release_id] != position:
                continue
            seen.add(r.release_id)
            yield r


def repeated_ids(corpus: Corpus) -> dict[str, int]:
    """For each release id on more than one row, the position of the row to use: the smallest
    (source path, clean text, text_hans), so the choice does not depend on which row comes first.
    Reads only the ids when none repeats (the runner keeps them unique)."""
    counts: dict[str, int] = {}
    for batch in corpus.batches("releases", ["release_id"]):
        for rid in batch["release_id"].tolist():
            counts[rid] = counts.get(rid, 0) + 1
    repeated = {rid for rid, n in counts.items() if n > 1}
    del counts
    if not repeated:
        return {}
    best: dict[str, tuple[tuple, int]] = {}
    position = -1
    for batch in corpus.batches("releases", ["release_id", "source_path", "clean_text", "text_hans"]):
        for r in cast(Iterator[_ReleaseRow], batch.itertuples(index=False)):
            position += 1
            if r.release_id in repeated:
                key = tuple(v if isinstance(v, str) else "" for v in (r.source_path, r.clean_text, r.text_hans))
                if r.release_id not in best or key < best[r.release_id][0]:
                    best[r.release_id] = (key, position)
    return {rid: pos for rid, (_, pos) in best.items()}


class Entities:
    """The entities of every release, zlib-compressed per release (~1 KB a release, not ~10), in
    entity_id order (not the table's row order, which a resumed run changes)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    @classmethod
    def read(cls, corpus: Corpus) -> Entities:
        out = cls()
        for batch in corpus.batches("entities", _ENTITY_COLUMNS):
            grouped: dict[str, list[tuple]] = {}
            for r in cast(Iterator[_EntityRow], batch.itertuples(index=False)):
                mentions = list(r.mentions) if r.mentions is not None else []
                start = min((int(m[0]) for m in mentions), default=0)
                aliases = [a for a in (list(r.aliases) if r.aliases is not None else []) if isinstance(a, str)]
                ent = (str(r.entity_id), str(r.label), str(r.text), str(r.text_norm or r.text), aliases, start)
                grouped.setdefault(str(r.release_id), []).append(ent)
            for rid, ents in grouped.items():
                if rid in out.blobs:  # a release split across two batches
                    ents = pickle.loads(zlib.decompress(out.blobs[rid])) + ents
                out.blobs[rid] = zlib.compress(pickle.dumps(sorted(ents)), 1)
        return out

    def __bool__(self) -> bool:
        return bool(self.blobs)

    def get(self, release_id: str) -> list[Ent]:
        blob = self.blobs.get(release_id)
        return [Ent(*e) for e in pickle.loads(zlib.decompress(blob))] if blob else []


class Aligner:
    """The align stage's settings and its steps over a batch's tables. The defaults are the stage's
    (`Align.__init__`, the config's one source of defaults; a test checks that they agree)."""

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
        self._chosen: dict[str, int] = {}  # release id on several rows -> the row to use (set by `batch`)
        self._cache = AlignCache(None, "")  # per-release and per-pair values of earlier runs (set by `batch`)

    def prepare(self) -> None:
        """Load the lexicons and the encoder the first batch would load."""
        from pipeline.align import lexicon, translit

        lexicon.glosses()
        lexicon.terms()
        lexicon.surnames()
        translit.syllables("李")  # imports ToJyutping and its trie
        if self.encoder or self.link_sentences:
            from pipeline.align.encoder import embed_summaries

            embed_summaries(["预热 warm-up"])  # loads the encoder; its first call is slower than the next ones

    @contextmanager
    def batch(self, corpus: Corpus) -> Iterator[AlignCache]:
        """The steps inside read `corpus` as one batch: a repeated release id from the row
        `repeated_ids` picks, cached values from its output folder's cache (yielded, for the caller
        to save). Outside it the steps read the first row of an id and cache nothing."""
        self._chosen = repeated_ids(corpus)
        self._cache = open_cache(corpus, self.settings())
        try:
            yield self._cache
        finally:
            self._chosen, self._cache = {}, AlignCache(None, "")

    def languages(self, corpus: Corpus) -> dict[str, str]:
        """release_id -> lang, each release once."""
        return {r.release_id: r.lang for r in self._rows(corpus, ["release_id", "lang"])}

    def settings(self) -> dict:
        """The settings (part of the cache's version: another setting, other cached values)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def _rows(self, corpus: Corpus, columns: list[str] = _RELEASE_COLUMNS) -> Iterator:
        """Each release row once (see `repeated_ids`)."""
        return _rows(corpus, columns, self._chosen)

    # --- 1. copies --------------------------------------------------------------------------
    def fold_copies(self, corpus: Corpus, ents: Entities | None = None) -> dict[str, str]:
        """release_id -> the canonical copy it duplicates (the rule: `dedupe.CopyFinder`). With a
        cache, this pass also records each release's digest (what the cached values are checked by)."""
        finders = {lang: dedupe.CopyFinder(lang, self.copy_similarity) for lang in ("en", "zh")}
        for r in self._rows(corpus):
            if ents is not None and self._cache.enabled:
                parts = (r.lang, r.title, r.dateline_date, r.source_path, r.clean_text, r.text_hans)
                self._cache.see(r.release_id, parts, ents.blobs.get(r.release_id))
            if r.lang in finders:
                finder = finders[r.lang]

                def entry(r=r, finder=finder) -> tuple:
                    text = _text(r)
                    return finder.entry(dedupe.normalise(text, r.lang)), dedupe.latin_noise(text) if r.lang == "zh" else 0.0

                found, noise = self._cache.copy_entry(r.release_id, entry)
                finder.add(r.release_id, "", noise, r.dateline_date, r.source_path, entry=found)
        return {c.release_id: c.canonical for f in finders.values() if len(f.ids) > 1 for c in f.find()}

    # --- 2. pairs ---------------------------------------------------------------------------
    def sides(self, corpus: Corpus, copies: dict[str, str], ents: Entities) -> tuple[Side, Side]:
        """Compact signals of the canonical releases, English first (its names index the Chinese side),
        each side in release_id order whatever the order of the rows (`sides.canonical`)."""
        vocabs = Vocabs()
        builders = {lang: SideBuilder(lang, vocabs) for lang in ("en", "zh")}
        later: list[tuple[str, bytes]] = []  # the Chinese side waits for the English names, compressed
        for r in self._rows(corpus):
            if r.lang in builders and r.release_id not in copies:
                blob = self._cache.signals_blob(r.release_id, lambda r=r: self.signals_of(r, ents.get(r.release_id)))
                if r.lang == "en":
                    builders["en"].add(r.release_id, unpack(blob))
                else:
                    later.append((r.release_id, blob))
        for rid, blob in later:
            builders["zh"].add(rid, unpack(blob))
        del later
        return canonical(builders["en"].build(), builders["zh"].build())

    @staticmethod
    def signals_of(row, ents: list[Ent]) -> signals.Signals:
        title = row.title if isinstance(row.title, str) else None
        s = signals.extract(_text(row), row.lang, title, row.dateline_date)
        for e in ents:
            if e.label == "PERSON" and row.lang == "en" and e.text_norm not in s.names:
                s.names.append(e.text_norm)
            if e.label == "PERSON" and row.lang == "zh":
                for sur, names in signals.zh_name_index(e.text_norm).items():
                    s.zh_names.setdefault(sur, set()).update(names)
        return s

    def score_candidates(self, en: Side, zh: Side, ents: Entities) -> tuple[np.ndarray, np.ndarray]:
        """The blocked candidate pairs (rows: en index, zh index) and their scores under the shipped weights."""
        if not len(en) or not len(zh):
            return np.zeros((0, 2), dtype=np.int64), np.zeros(0)
        cand = pairs.block(en, zh, self.max_df, self.top_k)
        return cand, pairs.Weights.load(bool(ents)).score(self.feature_matrix(en, zh, cand, ents))

    def decide(
        self, en: Side, zh: Side, cand: np.ndarray, p: np.ndarray, lang_of: dict[str, str], copies: dict[str, str]
    ) -> events.Decision:
        """Events and the pairs of canonical releases from candidate scores (`events.decide`: the same
        rule the out-of-fold estimate scores)."""
        return events.decide(en.ids, zh.ids, cand, p, en.dates, zh.dates, lang_of, copies, self.threshold, self.mutual)

    def feature_matrix(self, en: Side, zh: Side, cand: np.ndarray, ents: Entities, exact_cos: bool = False) -> np.ndarray:
        """Features of every candidate pair (rows of `cand`: en index, zh index).

        The two slow signals run only on pairs whose fate they can change. Entity links (the
        `entities` share) only where the pair could pass the threshold with full marks on both.
        The encoder (numpy, ~5 ms a line on a shared core) only on releases whose pairing it can
        change: a candidate that passes the threshold with a perfect cosine and fails with a zero
        one, or a release with more than one such candidate. Elsewhere (the only candidate, above
        the threshold whatever the cosine) the cosine is imputed as the median cosine of the gold
        pairs the weights were fitted on (`cos_prior`). `exact_cos` computes both everywhere (for
        fitting the weights).
        """
        cand = np.asarray(cand, dtype=np.int64).reshape(-1, 2)
        x = pairs.features(en, zh, cand)
        if not len(cand):
            return x
        w = pairs.Weights.load(bool(ents))
        coef = w.vector()
        col, share = pairs.FEATURES.index("cos"), pairs.FEATURES.index("entities")

        def prob(z: np.ndarray) -> np.ndarray:
            return 1.0 / (1.0 + np.exp(-z))

        z = x @ coef + w.bias  # cos and entities are still 0 here
        if ents:
            bound = prob(z + max(coef[col], 0.0) + max(coef[share], 0.0))
            for k in np.flatnonzero((bound >= self.threshold) | exact_cos).tolist():
                i, j = cand[k].tolist()
                x[k, share] = self._cache.share(
                    en.ids[i], zh.ids[j], lambda i=i, j=j: self.entity_share(ents, en.ids[i], zh.ids[j])
                )
            z = x @ coef + w.bias
        if not self.encoder:
            return x
        from pipeline.align.encoder import embed_summaries

        p_lo, p_hi = prob(z), prob(z + coef[col])
        viable = p_hi >= self.threshold
        n_en = np.bincount(cand[viable, 0], minlength=len(en))
        n_zh = np.bincount(cand[viable, 1], minlength=len(zh))
        need = viable & ((p_lo < self.threshold) | (n_en[cand[:, 0]] > 1) | (n_zh[cand[:, 1]] > 1))
        if exact_cos:
            need[:] = True
        used_en, used_zh = np.unique(cand[need, 0]).tolist(), np.unique(cand[need, 1]).tolist()
        ve = dict(
            zip(used_en, self._cache.vectors([en.ids[i] for i in used_en], [en.summary[i] for i in used_en], embed_summaries))
        )
        vz = dict(
            zip(used_zh, self._cache.vectors([zh.ids[j] for j in used_zh], [zh.summary[j] for j in used_zh], embed_summaries))
        )
        for k in np.flatnonzero(need).tolist():
            i, j = cand[k].tolist()
            x[k, col] = float(ve[i] @ vz[j])
        x[viable & ~need, col] = w.cos_prior
        return x

    def entity_share(self, ents: Entities, en_id: str, zh_id: str) -> float:
        """The share of a pair's entities that name-only links join (a feature of the score)."""
        e_ents, z_ents = ents.get(en_id), ents.get(zh_id)
        if not e_ents or not z_ents:
            return 0.0
        links = link_entities(e_ents, z_ents, threshold=self.link_threshold, use_sentences=False)
        return len(links) / max(1, min(len(e_ents), len(z_ents)))

    def expand(self, scored: list[tuple[str, str, float]], copies: dict[str, str]) -> pd.DataFrame:
        """Pairs of canonical releases, plus each copy paired with the other side's canonical release.

        Not every copy with every copy: that grows with the product of the copy counts, and
        `duplicate_of` already ties the copies together. Rows sorted by (en_release_id, zh_release_id).
        """
        members: dict[str, list[str]] = {}
        for rid, canon in copies.items():
            members.setdefault(canon, []).append(rid)
        rows: list[dict[str, Any]] = []
        for e, z, p in scored:
            pairs = [(e, z), *((ee, z) for ee in members.get(e, [])), *((e, zz) for zz in members.get(z, []))]
            rows.extend({"en_release_id": ee, "zh_release_id": zz, "score": round(p, 4)} for ee, zz in pairs)
        if not rows:
            return empty("alignments")
        rows.sort(key=lambda r: (r["en_release_id"], r["zh_release_id"]))
        return pd.DataFrame(rows)

    # --- 3. entity links ----------------------------------------------------------------------
    def links(
        self, alignments: pd.DataFrame, corpus: Corpus, ents: Entities, batch_rows: int = 20_000, pairs_per_block: int = 256
    ) -> Iterator[pd.DataFrame]:
        """Entity links of every aligned pair, in batches of about `batch_rows` rows: a batch with
        many pairs has many more links (~20 a pair), and they go to disk as they come. A pair whose
        links the cache holds (neither release changed) is not linked again. Rows come in
        (en_release_id, zh_release_id, en_entity_id, zh_entity_id)
        order: the pairs in `alignments` order (sorted by `expand`), each pair's links sorted."""
        if alignments.empty or not ents:
            return
        alignments = alignments.sort_values(["en_release_id", "zh_release_id"], kind="stable")
        cached = {}
        for a in cast(Iterator[_AlignmentRow], alignments.itertuples()):
            got = self._cache.links(a.en_release_id, a.zh_release_id)
            if got is not None:  # neither release changed since the run that linked them
                cached[(a.en_release_id, a.zh_release_id)] = got
        todo = alignments[[(e, z) not in cached for e, z in zip(alignments["en_release_id"], alignments["zh_release_id"])]]
        wanted = set(todo["en_release_id"]) | set(todo["zh_release_id"])
        texts = (
            {
                r.release_id: zlib.compress(r.clean_text.encode("utf-8"), 1)
                for r in self._rows(corpus, ["release_id", "clean_text"])
                if r.release_id in wanted and isinstance(r.clean_text, str)
            }
            if wanted
            else {}
        )

        def text(rid: str) -> str:
            return zlib.decompress(texts[rid]).decode("utf-8") if rid in texts else ""

        rows = []
        for start in range(0, len(alignments), pairs_per_block):
            for a in cast(Iterator[_AlignmentRow], alignments.iloc[start : start + pairs_per_block].itertuples()):
                got = cached.get((a.en_release_id, a.zh_release_id))
                if got is None:
                    e, z = ents.get(a.en_release_id), ents.get(a.zh_release_id)
                    if not e or not z:
                        continue
                    plan = plan_links(e, z, self.link_threshold)
                    # sentence vectors per text (`encoder.embed_sentences`): a pair's links do not
                    # depend on which other pairs this run links
                    got = link_entities(
                        e, z, text(a.en_release_id), text(a.zh_release_id), self.link_threshold, self.link_sentences, plan=plan
                    )
                    self._cache.put_links(a.en_release_id, a.zh_release_id, got)
                for link in sorted(got, key=lambda x: (x.en_entity_id, x.zh_entity_id)):
                    rows.append({"en_release_id": a.en_release_id, "zh_release_id": a.zh_release_id, **vars(link)})
            if len(rows) >= batch_rows:
                yield pd.DataFrame(rows)
                rows = []
        if rows:
            yield pd.DataFrame(rows)
