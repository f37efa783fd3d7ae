"""Our recognise stage scored on public NER test splits (CoNLL-2003 English, five Chinese corpora).

Each corpus sentence becomes a `Release` whose `clean_text` is the sentence, goes through the
shipped `convert` and `recognise` stages, and every mention of a PERSON / ORG / GPE entity is
compared with the corpus annotation mapped onto our labels (PER -> PERSON, ORG -> ORG,
LOC / GPE -> GPE; MISC and the rest dropped; the Chinese mappings are those of
pipeline/train/corpora/, whose readers are reused). Two scores:

- exact: a mention counts when its character span and label equal a gold span's (CoNLL style);
  predictions lying wholly on tokens a corpus leaves unannotated are ignored, as spaCy's scorer does;
- lenient: per sentence, as sets, by the SCHEMA.md name matching of pipeline/evaluate.py
  (normalised text, fuzzy ratio >= 90) — how the dev set of press releases is scored.

This measures how the pipeline carries over to other text; the corpora's conventions (CoNLL's
LOC includes rivers, Resume tags places only in birthplaces) are not those of press releases.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.evaluate import match, prf, same
from pipeline.release import Release

LABELS: tuple[str, ...] = ("PERSON", "ORG", "GPE")
#: CoNLL-2003 tags -> ours (None: not scored).
CONLL_MAP: dict[str, str | None] = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE", "GPE": "GPE", "MISC": None}

Span = tuple[int, int, str]


@dataclass
class Corpus:
    lang: str
    relpath: str  # under --datasets
    note: str


CORPORA: dict[str, Corpus] = {
    "conll2003": Corpus("en", "conll2003_en/eng.testb", "CoNLL-2003 English testb (Reuters; licence not open: evaluation only)"),
    "msra": Corpus("zh", "msra_ner/msra_test_bio", "MSRA NER test (SIGHAN 2006)"),
    "peoples_daily": Corpus("zh", "peoples_daily_ner/example.test", "People's Daily 1998 NER test"),
    "weibo": Corpus("zh", "weibo_ner/weiboNER_2nd_conll.test", "Weibo NER test (2nd_conll; NAM mentions only)"),
    "resume": Corpus("zh", "resume_ner/test.char.bmes", "Resume NER test"),
    "cluener": Corpus("zh", "cluener2020/dev.json", "CLUENER2020 dev (its test has no labels)"),
}


@dataclass
class Sentence:
    """One corpus sentence: its text, gold spans on our labels, and unannotated character ranges."""

    text: str
    gold: list[Span]
    missing: list[tuple[int, int]] = field(default_factory=list)


# -- readers ------------------------------------------------------------------------------------
def read_conll(path: Path) -> Iterator[Sentence]:
    """CoNLL-2003 columns (`token POS chunk NER`, IOB1 or BIO); tokens joined by single spaces."""
    from pipeline.train.corpora.common import bio_to_spans

    def sentence(tokens: list[str], tags: list[str]) -> Sentence:
        starts, pos = [], 0
        for t in tokens:
            starts.append(pos)
            pos += len(t) + 1
        gold = []
        for s, e, raw in bio_to_spans(tags):
            label = CONLL_MAP.get(raw)
            if label is not None:
                gold.append((starts[s], starts[e - 1] + len(tokens[e - 1]), label))
        return Sentence(" ".join(tokens), gold)

    tokens: list[str] = []
    tags: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            cols = line.split()
            if not cols or cols[0] == "-DOCSTART-":
                if tokens:
                    yield sentence(tokens, tags)
                tokens, tags = [], []
                continue
            tokens.append(cols[0])
            tags.append(cols[-1] if len(cols) > 1 else "O")
    if tokens:
        yield sentence(tokens, tags)


def read_chinese(corpus: str, datasets: Path) -> Iterator[Sentence]:
    """A Chinese test split through the training converters: Simplified text, mapped labels,
    and the tokens they leave unannotated (Resume's trimmed 人/籍, CLUENER's unclear addresses)."""
    from pipeline.train.corpora.build import SPLITS, read_split
    from pipeline.train.corpora.cluener import loc_gazetteer
    from pipeline.train.corpora.common import ConvertStats, blank_zh

    spec = next(s for s in SPLITS if s.corpus == corpus and s.role == "test")
    gaz: frozenset[str] = frozenset()
    if corpus == "cluener":  # which addresses are clear place names: the training converters' gazetteer
        gaz = loc_gazetteer([datasets / "msra_ner/msra_train_bio", datasets / "peoples_daily_ner/example.dev"])
    for doc in read_split(blank_zh(), datasets, spec, ConvertStats(), gaz):
        missing = [(t.idx, t.idx + len(t.text)) for t in doc if t.ent_iob == 0]
        yield Sentence(doc.text, [(e.start_char, e.end_char, e.label_) for e in doc.ents], missing)


def read_corpus(name: str, datasets: Path) -> Iterator[Sentence]:
    corpus = CORPORA[name]
    path = Path(datasets) / corpus.relpath
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found (is --datasets the folder holding {corpus.relpath.split('/')[0]}/?)")
    return read_conll(path) if corpus.lang == "en" else read_chinese(name, Path(datasets))


# -- scoring ------------------------------------------------------------------------------------
@dataclass
class Counts:
    """tp / gold / pred per label, for the exact and the lenient matching."""

    exact: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    lenient: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))

    def table(self, which: str) -> dict[str, dict]:
        counts = self.exact if which == "exact" else self.lenient
        rows = {}
        for label in (*LABELS, "ALL"):
            tp, g, p = counts[label] if label != "ALL" else [sum(counts[x][i] for x in LABELS) for i in range(3)]
            pr, rc, f = prf(tp, g, p)
            rows[label] = {"p": round(pr, 4), "r": round(rc, 4), "f": round(f, 4), "tp": tp, "gold": g, "pred": p}
        return rows


def _unannotated(span: tuple[int, int], missing: list[tuple[int, int]]) -> bool:
    """Is every character of `span` on an unannotated token?"""
    if not missing:
        return False
    covered = {i for s, e in missing for i in range(s, e)}
    return all(i in covered for i in range(span[0], span[1]))


def score_exact(
    gold: Iterable[Span], pred: Iterable[Span], counts: dict[str, list[int]], missing: Iterable[tuple[int, int]] = ()
) -> None:
    """Add one sentence to `counts`: exact (start, end, label) matches, our labels only."""
    g = {x for x in gold if x[2] in LABELS}
    p = {x for x in pred if x[2] in LABELS and not _unannotated((x[0], x[1]), list(missing))}
    for label in LABELS:
        gl, pl = {x for x in g if x[2] == label}, {x for x in p if x[2] == label}
        counts[label][0] += len(gl & pl)
        counts[label][1] += len(gl)
        counts[label][2] += len(pl)


def score_lenient(gold: Iterable[tuple[str, str]], pred: Iterable[tuple[str, list[str]]], counts: dict[str, list[int]]) -> None:
    """Add one sentence as SCHEMA.md scores a release: distinct gold names per label against
    predicted entities (each with its written forms), normalised and fuzzy, one to one."""
    gold, pred = list(gold), list(pred)
    for label in LABELS:
        g = list(dict.fromkeys(t for lab, t in gold if lab == label))
        p = [alts for lab, alts in pred if lab == label]
        counts[label][0] += match(g, p, lambda gt, alts: any(same(gt, a) for a in alts))
        counts[label][1] += len(g)
        counts[label][2] += len(p)


# -- running the stages -------------------------------------------------------------------------
class Recogniser:
    """The shipped convert + recognise stages, fed one sentence at a time as a release."""

    def __init__(self, backend: str = "lac", rules: bool = True) -> None:
        from pipeline.stages.convert import Convert
        from pipeline.stages.recognise import Recognise

        self.convert = Convert()
        self.recognise = Recognise(zh_backend=backend, rules=rules, keep_docs=False)
        self.forced = 0  # sentences whose detected language was not the corpus's

    def __call__(self, text: str, lang: str) -> Release:
        r = self.convert(Release(source_path="<corpus>", raw_text=text, clean_text=text))
        if r.lang != lang:  # a short sentence can read as the other language; the corpus knows
            self.forced += 1
            r.lang = lang
            r.script = "Hans" if lang == "zh" else "Latn"
            r.text_hans = text if lang == "zh" else None
            r.hans_to_clean = list(range(len(text))) if lang == "zh" else None
        return self.recognise(r)


@dataclass
class Result:
    corpus: str
    backend: str
    rules: bool
    sentences: int
    seconds: float
    forced_lang: int
    exact: dict
    lenient: dict

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def evaluate_corpus(
    corpus: str,
    datasets: Path,
    limit: int | None = None,
    backend: str = "lac",
    rules: bool = True,
    recogniser: Recogniser | None = None,
) -> Result:
    """Score the recognise stage on the first `limit` sentences (all when None) of a test split."""
    lang = CORPORA[corpus].lang
    rec = recogniser or Recogniser(backend, rules)
    counts = Counts()
    n = 0
    t0 = time.perf_counter()
    for sent in read_corpus(corpus, datasets):
        if limit is not None and n >= limit:
            break
        n += 1
        release = rec(sent.text, lang)
        ents = [e for e in release.entities if e.label in LABELS]
        pred = [(s, t, e.label) for e in ents for s, t in e.mentions]
        score_exact(sent.gold, pred, counts.exact, sent.missing)
        kept = [e for e in ents if not all(_unannotated((s, t), sent.missing) for s, t in e.mentions)]
        score_lenient(
            [(lab, sent.text[s:e]) for s, e, lab in sent.gold], [(e.label, [e.text, e.text_norm]) for e in kept], counts.lenient
        )
    return Result(
        corpus,
        backend if lang == "zh" else "-",
        rules,
        n,
        round(time.perf_counter() - t0, 1),
        rec.forced,
        counts.table("exact"),
        counts.table("lenient"),
    )


def pooled(results: list[Result]) -> Result:
    """The counts of several runs added up (micro average), e.g. the five Chinese test splits."""
    exact, lenient = Counts(), Counts()
    for r in results:
        for label in LABELS:
            for mine, theirs in ((exact.exact, r.exact), (lenient.lenient, r.lenient)):
                mine[label] = [a + theirs[label][k] for a, k in zip(mine[label], ("tp", "gold", "pred"))]
    return Result(
        "+".join(r.corpus for r in results),
        results[0].backend,
        results[0].rules,
        sum(r.sentences for r in results),
        round(sum(r.seconds for r in results), 1),
        sum(r.forced_lang for r in results),
        exact.table("exact"),
        lenient.table("lenient"),
    )


def format_result(r: Result) -> str:
    note = CORPORA[r.corpus].note if r.corpus in CORPORA else "pooled"
    head = f"{r.corpus} ({note}): {r.sentences} sentences, backend={r.backend}, rules={r.rules}, {r.seconds} s"
    lines = [head]
    for which in ("exact", "lenient"):
        for label, v in getattr(r, which).items():
            lines.append(
                f"  {which:8s}{label:7s} P={v['p']:.3f} R={v['r']:.3f} F={v['f']:.3f}  "
                f"(tp={v['tp']} gold={v['gold']} pred={v['pred']})"
            )
    if r.forced_lang:
        lines.append(f"  {r.forced_lang} sentences detected as the other language were read as the corpus's language")
    return "\n".join(lines)
