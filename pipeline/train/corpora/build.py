"""Building the train / dev / test DocBins from the shared datasets folder.

``python -m pipeline.train.corpora.build DATASETS WORK`` writes ``WORK/train.spacy``,
``WORK/dev.spacy``, ``WORK/test/<corpus>.spacy`` and ``WORK/corpus_stats.json`` and prints
the summary (without the per-split stats).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, DocBin

from . import cluener, msra, peoples_daily, resume, weibo
from .cluener import loc_gazetteer
from .common import ConvertStats, blank_zh

#: A corpus reader: ``(nlp, path, stats, gazetteer) -> Docs``.
Reader = Callable[[Language, Path, ConvertStats, frozenset[str]], Iterator[Doc]]

#: Corpus name (as in :class:`SplitSpec`) -> its reader. Only CLUENER uses the LOC
#: gazetteer (to tell clear place names among its addresses).
READERS: dict[str, Reader] = {
    "msra": lambda nlp, path, stats, gazetteer: msra.read_msra(nlp, path, stats),
    "peoples_daily": lambda nlp, path, stats, gazetteer: peoples_daily.read_peoples_daily(nlp, path, stats),
    "weibo": lambda nlp, path, stats, gazetteer: weibo.read_weibo(nlp, path, stats),
    "resume": lambda nlp, path, stats, gazetteer: resume.read_resume(nlp, path, stats),
    "cluener": cluener.read_cluener,
}


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
    reader = READERS.get(spec.corpus)
    if reader is None:
        raise ValueError(spec.corpus)
    return list(reader(nlp, path, stats, gazetteer))


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


if __name__ == "__main__":  # python -m pipeline.train.corpora.build DATASETS WORK
    import sys

    s = build_docbins(Path(sys.argv[1]), Path(sys.argv[2]))
    print(json.dumps({k: v for k, v in s.items() if k != "splits"}, ensure_ascii=False, indent=2))
