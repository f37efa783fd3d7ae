"""Converters from public Chinese NER corpora to spaCy ``Doc`` / ``DocBin`` files.

Target label set: ``PERSON``, ``ORG``, ``GPE`` (``LOC`` is folded into ``GPE``).

Supported corpora (folder names as in the shared datasets folder; pass its path in):

=====================  ==========================  ======================================
folder                 format                      label mapping
=====================  ==========================  ======================================
``msra_ner``           char ``<c>\\t<BIO>``         PER->PERSON, ORG->ORG, LOC->GPE
``peoples_daily_ner``  char ``<c> <BIO>``          PER->PERSON, ORG->ORG, LOC->GPE
``weibo_ner``          char ``<c><digit>\\t<BIO>``  *.NAM only: PER->PERSON, ORG->ORG,
                                                   GPE/LOC->GPE; *.NOM -> outside (O)
``resume_ner``         char ``<c> <BMES>``         NAME->PERSON, ORG->ORG; LOC/CONT -> GPE
                                                   after trimming 人/籍/国籍 (see below);
                                                   TITLE/EDU/PRO/RACE -> O
``cluener2020``        JSONL spans (end incl.)     name->PERSON; company/government/
                                                   organization->ORG; address->GPE only
                                                   for clear place names, otherwise
                                                   *missing*; scene -> *missing*;
                                                   book/game/movie/position -> O
=====================  ==========================  ======================================

"*missing*" means the tokens are marked as unannotated (``ent_iob == 0``): the spaCy NER
loss and scorer ignore them, so unclear spans neither teach "not an entity" nor count as
errors.

All text is converted with OpenCC ``t2s`` (Traditional -> Simplified). The conversion is
expected to be character-for-character; a sentence whose length changes is skipped (and
counted), so gold offsets always stay valid.

Docs are made with ``spacy.blank("zh")`` whose default segmenter is ``char`` (one token
per character) and entity spans are created with ``doc.char_span(...,
alignment_mode="strict")``.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans

from pipeline.text.hans import to_hans

LABELS: tuple[str, ...] = ("PERSON", "ORG", "GPE")

#: Sentinel for "annotation unknown" (token left with ent_iob == 0).
MISSING = "<MISSING>"

# Raw span as produced by the tag decoders: (start_char, end_char_exclusive, raw_label)
RawSpan = tuple[int, int, str]

MSRA_MAP = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE"}
PEOPLES_DAILY_MAP = MSRA_MAP
WEIBO_MAP = {
    "PER.NAM": "PERSON",
    "ORG.NAM": "ORG",
    "GPE.NAM": "GPE",
    "LOC.NAM": "GPE",
    # nominal mentions (e.g. 记者, 政府) are not names -> outside
    "PER.NOM": None,
    "ORG.NOM": None,
    "GPE.NOM": None,
    "LOC.NOM": None,
}
RESUME_MAP = {
    "NAME": "PERSON",
    "ORG": "ORG",
    # LOC / CONT spans include 人 / 籍 / 国籍 (e.g. "云南建水人", "中国国籍"); they are
    # trimmed to the place name in resume_place_span().
    "LOC": "GPE",
    "CONT": "GPE",
    "TITLE": None,
    "EDU": None,
    "PRO": None,
    "RACE": None,
}
CLUENER_MAP = {
    "name": "PERSON",
    "company": "ORG",
    "government": "ORG",
    "organization": "ORG",
    "address": "GPE",  # only clear place names, see cluener_address_label()
    "scene": MISSING,  # 故宫 / 洱海 / 博物馆 ... ; LOC in MSRA terms, unclear for us
    "book": None,
    "game": None,
    "movie": None,
    "position": None,
}

# --------------------------------------------------------------------------------------
# Traditional -> Simplified
# --------------------------------------------------------------------------------------

def to_simplified(text: str) -> str:
    """OpenCC ``t2s`` conversion (the pipeline's one cached converter)."""
    return to_hans(text)


def simplify_keep_offsets(text: str) -> str | None:
    """Return the Simplified text, or ``None`` if the conversion changed the length."""
    out = to_simplified(text)
    return out if len(out) == len(text) else None


# --------------------------------------------------------------------------------------
# Tag decoding
# --------------------------------------------------------------------------------------


def _split_tag(tag: str) -> tuple[str, str]:
    if tag in ("", "O"):
        return "O", ""
    if len(tag) > 2 and tag[1] in "-_":
        return tag[0].upper(), tag[2:]
    return "O", ""  # unknown tag: treat as outside


def bio_to_spans(tags: Sequence[str]) -> list[RawSpan]:
    """Decode BIO (also tolerates IOB1: an ``I-X`` without ``B-X`` starts a span)."""
    spans: list[RawSpan] = []
    start, label = None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, lab = _split_tag(tag)
        if prefix == "I" and label == lab and start is not None:
            continue
        if start is not None:
            spans.append((start, i, label))
            start, label = None, None
        if prefix in ("B", "I"):
            start, label = i, lab
    return spans


def bmes_to_spans(tags: Sequence[str]) -> list[RawSpan]:
    """Decode BMES / BIOES (``S``/``U`` single, ``B`` begin, ``M``/``I`` middle, ``E`` end).

    Malformed sequences are repaired leniently: a span is closed when the label changes
    or when a new ``B``/``S`` starts.
    """
    spans: list[RawSpan] = []
    start, label = None, None
    for i, tag in enumerate(tags):
        prefix, lab = _split_tag(tag)
        if prefix == "U":
            prefix = "S"
        if prefix == "I":
            prefix = "M"
        if start is not None and (prefix in ("O", "B", "S") or lab != label):
            spans.append((start, i, label))  # unterminated span: close it here
            start, label = None, None
        if prefix == "S":
            spans.append((i, i + 1, lab))
        elif prefix == "B":
            start, label = i, lab
        elif prefix in ("M", "E"):
            if start is None:
                start, label = i, lab
            if prefix == "E":
                spans.append((start, i + 1, label))
                start, label = None, None
    if start is not None:
        spans.append((start, len(tags), label))
    return spans


def read_char_columns(path: Path, char_fn: Callable[[str], str] | None = None) -> Iterator[tuple[list[str], list[str]]]:
    """Read a one-character-per-line file (``<char><ws><tag>``; blank line = sentence end).

    A line whose tag column is empty (e.g. ``"0\\t"`` in MSRA) gets tag ``O``. The char
    column is the text before the last whitespace run; ``char_fn`` may post-process it
    (Weibo appends a word-position digit to each character).
    """
    chars: list[str] = []
    tags: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.rstrip("\r\n")
            if not line.strip():
                if chars:
                    yield chars, tags
                chars, tags = [], []
                continue
            m = re.match(r"^(.*?)[ \t]+(\S*)$", line)
            if m and m.group(1):
                ch, tag = m.group(1), m.group(2) or "O"
            elif m:  # the character itself is whitespace, e.g. "\u3000 O"
                ch, tag = line[0], m.group(2) or "O"
            else:
                ch, tag = line, "O"
            if char_fn is not None:
                ch = char_fn(ch)
            if not ch:
                continue
            chars.append(ch)
            tags.append(tag)
    if chars:
        yield chars, tags


def weibo_char(field_text: str) -> str:
    """Weibo CoNLL: ``<char><word-position digits>`` -> ``<char>``."""
    return field_text[0]


# --------------------------------------------------------------------------------------
# Doc construction
# --------------------------------------------------------------------------------------


@dataclass
class ConvertStats:
    sentences: int = 0
    docs: int = 0
    skipped_length_changed: int = 0
    skipped_misaligned_spans: int = 0
    skipped_overlapping_spans: int = 0
    raw_labels: Counter = field(default_factory=Counter)
    labels: Counter = field(default_factory=Counter)
    missing_spans: int = 0

    def as_dict(self) -> dict:
        return {
            "sentences": self.sentences,
            "docs": self.docs,
            "skipped_length_changed": self.skipped_length_changed,
            "skipped_misaligned_spans": self.skipped_misaligned_spans,
            "skipped_overlapping_spans": self.skipped_overlapping_spans,
            "missing_spans": self.missing_spans,
            "labels": dict(sorted(self.labels.items())),
            "raw_labels": dict(sorted(self.raw_labels.items())),
        }


def make_doc(
    nlp: Language,
    text: str,
    spans: Iterable[tuple[int, int, str | None]],
    stats: ConvertStats | None = None,
    simplify: bool = True,
) -> Doc | None:
    """Build a Doc from ``text`` and already-mapped char spans ``(start, end_excl, label)``.

    ``label`` is one of :data:`LABELS`, :data:`MISSING` (tokens set to unknown) or
    ``None`` (outside; nothing to do). All other tokens are set to outside (``O``).
    Returns ``None`` when OpenCC changes the text length.
    """
    stats = stats if stats is not None else ConvertStats()
    stats.sentences += 1
    if simplify:
        conv = simplify_keep_offsets(text)
        if conv is None:
            stats.skipped_length_changed += 1
            return None
        text = conv
    doc = nlp.make_doc(text)
    ents: list[Span] = []
    missing: list[Span] = []
    for start, end, label in spans:
        if label is None:
            continue
        span = doc.char_span(start, end, label=label if label != MISSING else "", alignment_mode="strict")
        if span is None:
            stats.skipped_misaligned_spans += 1
            continue
        (missing if label == MISSING else ents).append(span)
    kept = filter_spans(ents)
    stats.skipped_overlapping_spans += len(ents) - len(kept)
    taken = {i for s in kept for i in range(s.start, s.end)}
    missing = [s for s in missing if not any(i in taken for i in range(s.start, s.end))]
    missing = filter_spans(missing)
    doc.set_ents(kept, missing=missing, default="outside")
    for s in kept:
        stats.labels[s.label_] += 1
    stats.missing_spans += len(missing)
    stats.docs += 1
    return doc


def tagged_to_doc(
    nlp: Language,
    chars: Sequence[str],
    tags: Sequence[str],
    label_map: dict[str, str | None],
    scheme: str = "BIO",
    stats: ConvertStats | None = None,
    span_fn: Callable[[str, int, int, str], list[tuple[int, int, str | None]]] | None = None,
) -> Doc | None:
    """Char-tagged sentence (BIO or BMES) -> Doc with mapped labels.

    Raw labels absent from ``label_map`` are treated as outside. ``span_fn(text, start,
    end, raw_label)`` may rewrite a decoded span into several mapped spans.
    """
    stats = stats if stats is not None else ConvertStats()
    offsets = []
    pos = 0
    for ch in chars:
        offsets.append((pos, pos + len(ch)))
        pos += len(ch)
    text = "".join(chars)
    decode = bio_to_spans if scheme.upper() == "BIO" else bmes_to_spans
    mapped: list[tuple[int, int, str | None]] = []
    for s, e, raw in decode(tags):
        stats.raw_labels[raw] += 1
        cs, ce = offsets[s][0], offsets[e - 1][1]
        if span_fn is not None:
            mapped.extend(span_fn(text, cs, ce, raw))
        else:
            mapped.append((cs, ce, label_map.get(raw)))
    return make_doc(nlp, text, mapped, stats)


# Resume NER: LOC like "云南建水人", "北京市丰台区人"; CONT like "中国国籍", "国籍：日本".
_RESUME_PREFIX = re.compile(r"^(国籍[：:]?)")
_RESUME_SUFFIX = re.compile(r"(国籍|省籍|籍|公民|人)$")


def resume_place_span(text: str, start: int, end: int, raw: str) -> list[tuple[int, int, str | None]]:
    """Map a Resume NER span; LOC/CONT are trimmed to the bare place name.

    The trimmed characters (人, 国籍, ...) are marked missing. A LOC whose bare form is
    longer than 4 characters (e.g. "湖北谷城县", "北京市丰台区") is a multi-level place
    that MSRA-style annotation would split; it is marked missing instead.
    """
    label = RESUME_MAP.get(raw)
    if raw not in ("LOC", "CONT"):
        return [(start, end, label)]
    surface = text[start:end]
    m_pre = _RESUME_PREFIX.match(surface)
    s = start + (m_pre.end() if m_pre else 0)
    m_suf = _RESUME_SUFFIX.search(text[s:end])
    e = s + m_suf.start() if m_suf else end
    if e - s < 2 or (raw == "LOC" and e - s > 4):
        return [(start, end, MISSING)]
    out: list[tuple[int, int, str | None]] = [(s, e, "GPE")]
    if s > start:
        out.append((start, s, MISSING))
    if e < end:
        out.append((e, end, MISSING))
    return out


# CLUENER "address" covers everything from 北京 to 上海市黄浦区南京东路3段248号.
_ADMIN_SUFFIX = ("省", "市", "县", "州", "国", "自治区", "特别行政区")


def cluener_address_label(surface: str, gazetteer: set[str] | frozenset[str]) -> str:
    """``GPE`` if the address is a clear place name, else :data:`MISSING`.

    Clear = the surface (or the surface without one administrative suffix 省/市/县/州/
    国/自治区) is a LOC surface seen in the MSRA / People's Daily training annotation
    (``gazetteer``), or it is short (<= 4 chars), made of CJK characters only, and ends
    with an administrative suffix (e.g. 泗水县, 北京市).
    """
    if surface in gazetteer:
        return "GPE"
    for suf in _ADMIN_SUFFIX:
        if surface.endswith(suf) and len(surface) > len(suf):
            if surface[: -len(suf)] in gazetteer:
                return "GPE"
            if len(surface) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", surface):
                return "GPE"
    return MISSING


def cluener_record_to_doc(
    nlp: Language,
    record: dict,
    gazetteer: set[str] | frozenset[str] = frozenset(),
    stats: ConvertStats | None = None,
) -> Doc | None:
    """One CLUENER JSON record ``{"text", "label": {type: {surface: [[s, e_incl], ...]}}}``."""
    stats = stats if stats is not None else ConvertStats()
    text = record["text"]
    simple = to_simplified(text)
    spans: list[tuple[int, int, str | None]] = []
    for raw, by_surface in (record.get("label") or {}).items():
        for _surface, positions in by_surface.items():
            for start, end_incl in positions:
                stats.raw_labels[raw] += 1
                label = CLUENER_MAP.get(raw)
                if raw == "address":
                    label = cluener_address_label(simple[start : end_incl + 1], gazetteer)
                spans.append((start, end_incl + 1, label))
    return make_doc(nlp, text, spans, stats)


# --------------------------------------------------------------------------------------
# Corpus readers (each yields Docs)
# --------------------------------------------------------------------------------------


def blank_zh() -> Language:
    nlp = spacy.blank("zh")  # default ChineseTokenizer segmenter = "char"
    return nlp


def read_msra(nlp: Language, path: Path, stats: ConvertStats) -> Iterator[Doc]:
    for chars, tags in read_char_columns(path):
        doc = tagged_to_doc(nlp, chars, tags, MSRA_MAP, "BIO", stats)
        if doc is not None:
            yield doc


read_peoples_daily = read_msra  # same format (space instead of tab) and labels


def read_weibo(nlp: Language, path: Path, stats: ConvertStats) -> Iterator[Doc]:
    for chars, tags in read_char_columns(path, char_fn=weibo_char):
        doc = tagged_to_doc(nlp, chars, tags, WEIBO_MAP, "BIO", stats)
        if doc is not None:
            yield doc


def read_resume(nlp: Language, path: Path, stats: ConvertStats) -> Iterator[Doc]:
    for chars, tags in read_char_columns(path):
        doc = tagged_to_doc(nlp, chars, tags, RESUME_MAP, "BMES", stats, span_fn=resume_place_span)
        if doc is not None:
            yield doc


def read_cluener(nlp: Language, path: Path, stats: ConvertStats, gazetteer: frozenset[str] = frozenset()) -> Iterator[Doc]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            doc = cluener_record_to_doc(nlp, json.loads(line), gazetteer, stats)
            if doc is not None:
                yield doc


def loc_gazetteer(paths: Iterable[Path], min_count: int = 1) -> frozenset[str]:
    """Surfaces tagged LOC in char-BIO files (MSRA / People's Daily), Simplified."""
    counts: Counter = Counter()
    for path in paths:
        for chars, tags in read_char_columns(path):
            text = "".join(chars)
            for s, e, raw in bio_to_spans(tags):
                if raw == "LOC":
                    counts[to_simplified(text[s:e])] += 1
    return frozenset(k for k, v in counts.items() if v >= min_count and len(k) >= 2)


# --------------------------------------------------------------------------------------
# Building the train / dev / test DocBins
# --------------------------------------------------------------------------------------


@dataclass
class SplitSpec:
    corpus: str
    split: str  # file's own split name
    relpath: str
    role: str  # "train" | "dev" | "test"


#: Which file plays which role. Test sets are each corpus's own held-out split
#: (CLUENER's test is unlabeled, so its official dev set is our test; People's Daily
#: has no train here, so its dev goes to training and its test is held out).
SPLITS: tuple[SplitSpec, ...] = (
    SplitSpec("msra", "train", "msra_ner/msra_train_bio", "train"),
    SplitSpec("msra", "test", "msra_ner/msra_test_bio", "test"),
    SplitSpec("cluener", "train", "cluener2020/train.json", "train"),
    SplitSpec("cluener", "dev", "cluener2020/dev.json", "test"),
    SplitSpec("weibo", "train", "weibo_ner/weiboNER_2nd_conll.train", "train"),
    SplitSpec("weibo", "dev", "weibo_ner/weiboNER_2nd_conll.dev", "dev"),
    SplitSpec("weibo", "test", "weibo_ner/weiboNER_2nd_conll.test", "test"),
    SplitSpec("resume", "train", "resume_ner/train.char.bmes", "train"),
    SplitSpec("resume", "dev", "resume_ner/dev.char.bmes", "dev"),
    SplitSpec("resume", "test", "resume_ner/test.char.bmes", "test"),
    SplitSpec("peoples_daily", "dev", "peoples_daily_ner/example.dev", "train"),
    SplitSpec("peoples_daily", "test", "peoples_daily_ner/example.test", "test"),
)

#: Sentences moved from a training file into the model-selection dev set (corpora
#: without their own labelled dev split). Deterministic (seeded) sample.
DEV_FROM_TRAIN = {"msra": 1500, "cluener": 800}


def read_split(nlp: Language, datasets: Path, spec: SplitSpec, stats: ConvertStats, gazetteer: frozenset[str]) -> list[Doc]:
    path = Path(datasets) / spec.relpath
    if not path.exists():
        raise FileNotFoundError(f"{path} not found (is --datasets the shared datasets folder?)")
    if spec.corpus in ("msra",):
        return list(read_msra(nlp, path, stats))
    if spec.corpus == "peoples_daily":
        return list(read_peoples_daily(nlp, path, stats))
    if spec.corpus == "weibo":
        return list(read_weibo(nlp, path, stats))
    if spec.corpus == "resume":
        return list(read_resume(nlp, path, stats))
    if spec.corpus == "cluener":
        return list(read_cluener(nlp, path, stats, gazetteer))
    raise ValueError(spec.corpus)


def build_docbins(datasets: Path, work: Path, seed: int = 0, corpora: Sequence[str] | None = None) -> dict:
    """Convert all corpora; write ``train.spacy``, ``dev.spacy`` and ``test/<corpus>.spacy``.

    Training/dev sentences whose text also occurs in any test set are dropped (MSRA and
    People's Daily share newswire sources). Returns a summary dict (also written to
    ``work/corpus_stats.json``).
    """
    datasets = Path(datasets)
    work = Path(work)
    (work / "test").mkdir(parents=True, exist_ok=True)
    nlp = blank_zh()
    gaz = loc_gazetteer([datasets / "msra_ner/msra_train_bio", datasets / "peoples_daily_ner/example.dev"])
    rng = random.Random(seed)

    train: list[tuple[str, Doc]] = []
    dev: list[tuple[str, Doc]] = []
    tests: dict[str, list[Doc]] = {}
    summary: dict = {"datasets": str(datasets), "splits": {}, "gazetteer_size": len(gaz)}
    for spec in SPLITS:
        if corpora and spec.corpus not in corpora:
            continue
        stats = ConvertStats()
        docs = read_split(nlp, datasets, spec, stats, gaz)
        summary["splits"][f"{spec.corpus}/{spec.split}"] = {"role": spec.role, "file": spec.relpath, **stats.as_dict()}
        if spec.role == "test":
            tests[spec.corpus] = docs
        elif spec.role == "dev":
            dev.extend((spec.corpus, d) for d in docs)
        else:
            n_dev = DEV_FROM_TRAIN.get(spec.corpus, 0)
            if n_dev:
                idx = list(range(len(docs)))
                rng.shuffle(idx)
                dev_idx = set(idx[:n_dev])
                dev.extend((spec.corpus, docs[i]) for i in sorted(dev_idx))
                train.extend((spec.corpus, docs[i]) for i in range(len(docs)) if i not in dev_idx)
            else:
                train.extend((spec.corpus, d) for d in docs)

    test_texts = {d.text for docs in tests.values() for d in docs}
    n_train0, n_dev0 = len(train), len(dev)
    train = [(c, d) for c, d in train if d.text not in test_texts]
    dev = [(c, d) for c, d in dev if d.text not in test_texts]
    summary["dropped_overlap_with_test"] = {"train": n_train0 - len(train), "dev": n_dev0 - len(dev)}

    def write(docs: Iterable[Doc], path: Path) -> int:
        db = DocBin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"], store_user_data=False)
        n = 0
        for d in docs:
            db.add(d)
            n += 1
        db.to_disk(path)
        return n

    rng.shuffle(train)
    summary["train_docs"] = write((d for _, d in train), work / "train.spacy")
    summary["dev_docs"] = write((d for _, d in dev), work / "dev.spacy")
    summary["train_by_corpus"] = dict(Counter(c for c, _ in train))
    summary["dev_by_corpus"] = dict(Counter(c for c, _ in dev))
    summary["test_docs"] = {name: write(docs, work / "test" / f"{name}.spacy") for name, docs in tests.items()}
    summary["train_chars"] = sum(len(d) for _, d in train)
    summary["train_entities"] = dict(Counter(e.label_ for _, d in train for e in d.ents))
    (work / "corpus_stats.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return summary


def load_docbin(path: Path, nlp: Language | None = None) -> list[Doc]:
    nlp = nlp or blank_zh()
    return list(DocBin().from_disk(path).get_docs(nlp.vocab))


if __name__ == "__main__":  # python -m pipeline.train.zh_corpora DATASETS WORK
    import sys

    s = build_docbins(Path(sys.argv[1]), Path(sys.argv[2]))
    print(json.dumps({k: v for k, v in s.items() if k != "splits"}, ensure_ascii=False, indent=2))
