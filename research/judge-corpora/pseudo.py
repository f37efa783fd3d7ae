"""Pseudo-releases from public news NER corpora, for the span judge's training candidates (issue 14).

`python research/judge-corpora/pseudo.py conll DATASETS OUT --docs 300`
`python research/judge-corpora/pseudo.py msra DATASETS OUT --docs 300 --sentences 15` (or `cluener`)

writes OUT/raw/<id>.txt (one document per file) and OUT/gold.jsonl in the dev-set format
({"id", "lang", "entities": [{"label", "text"}], "relations": []}) plus two fields the dev sets do
not need: "labels" (the labels the corpus annotates: PERSON, ORG, GPE) and "ignore" (names the
corpus annotates with no label of ours: CoNLL MISC). A candidate of another label, or matching an
ignored name, teaches the judge nothing and is left out of its training rows.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

LABELS = ["PERSON", "ORG", "GPE"]
CONLL = {"PER": "PERSON", "ORG": "ORG", "LOC": "GPE"}  # MISC -> ignored
_NO_SPACE_BEFORE = {".", ",", ";", ":", "!", "?", ")", "]", "%", "'s", "'", "n't", "'re", "'ve", "'ll", "'d", "'m"}
_NO_SPACE_AFTER = {"(", "[", "$"}


def detokenize(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Tokens joined as running text (no space before `.`, `,`, `'s` ...), with each token's offsets."""
    out, offsets = "", []
    for i, t in enumerate(tokens):
        if i and t not in _NO_SPACE_BEFORE and tokens[i - 1] not in _NO_SPACE_AFTER:
            out += " "
        offsets.append((len(out), len(out) + len(t)))
        out += t
    return out, offsets


def conll_documents(path: Path) -> Iterator[list[tuple[list[str], list[str]]]]:
    """CoNLL-2003 documents (split at -DOCSTART-): lists of (tokens, IOB tags) sentences."""
    doc: list[tuple[list[str], list[str]]] = []
    tokens: list[str] = []
    tags: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in list(fh) + [""]:
            cols = line.split()
            if not cols or cols[0] == "-DOCSTART-":
                if tokens:
                    doc.append((tokens, tags))
                tokens, tags = [], []
                if (not line or (cols and cols[0] == "-DOCSTART-")) and doc:
                    yield doc
                    doc = []
                continue
            tokens.append(cols[0])
            tags.append(cols[-1])


def numeric_share(doc: list[tuple[list[str], list[str]]]) -> float:
    toks = [t for tokens, _ in doc for t in tokens]
    return sum(any(ch.isdigit() for ch in t) for t in toks) / max(len(toks), 1)


def conll(datasets: Path, n: int, max_numeric: float = 0.1) -> Iterator[tuple[str, str, list[dict], list[str]]]:
    """(id, text, entities, ignored names) for the first `n` eng.train documents that are running
    text (at most `max_numeric` of the tokens hold a digit: sports results and tables left out)."""
    from pipeline.train.corpora.common import bio_to_spans

    k = 0
    for i, doc in enumerate(conll_documents(Path(datasets) / "conll2003_en" / "eng.train")):
        if k >= n:
            return
        if numeric_share(doc) > max_numeric or len(doc) < 4:
            continue
        paragraphs, ents, ignore = [], [], []
        for tokens, tags in doc:
            text, offsets = detokenize(tokens)
            paragraphs.append(text)
            for s, e, raw in bio_to_spans(tags):
                name = text[offsets[s][0] : offsets[e - 1][1]]
                if raw in CONLL:
                    ents.append({"label": CONLL[raw], "text": name})
                else:
                    ignore.append(name)
        k += 1
        yield f"conll_en_{i:04d}", "\n\n".join(paragraphs) + "\n", dedupe(ents), sorted(set(ignore))


def msra(datasets: Path, n: int, per_doc: int = 15) -> Iterator[tuple[str, str, list[dict], list[str]]]:
    """(id, text, entities, []) for `n` documents of `per_doc` consecutive MSRA train sentences
    (the training converter's reader: Simplified, PER/ORG/LOC -> PERSON/ORG/GPE), a paragraph
    break every 5 sentences."""
    from pipeline.train.corpora.common import ConvertStats, blank_zh
    from pipeline.train.corpora.msra import read_msra

    batch = []
    k = 0
    for doc in read_msra(blank_zh(), Path(datasets) / "msra_ner" / "msra_train_bio", ConvertStats()):
        batch.append(doc)
        if len(batch) < per_doc:
            continue
        paragraphs = ["".join(d.text for d in batch[j : j + 5]) for j in range(0, per_doc, 5)]
        ents = [{"label": e.label_, "text": e.text} for d in batch for e in d.ents]
        yield f"msra_zh_{k:04d}", "\n\n".join(paragraphs) + "\n", dedupe(ents), []
        batch = []
        k += 1
        if k >= n:
            return


def cluener(datasets: Path, n: int, per_doc: int = 15) -> Iterator[tuple[str, str, list[dict], list[str]]]:
    """(id, text, entities, unclear names) for `n` documents of `per_doc` CLUENER train records (the
    training converter's reader: name -> PERSON, company/government/organization -> ORG, clear
    addresses -> GPE; scenes and unclear addresses left unannotated: their names are ignored)."""
    from pipeline.train.corpora.cluener import loc_gazetteer, read_cluener
    from pipeline.train.corpora.common import ConvertStats, blank_zh

    d = Path(datasets)
    gaz = loc_gazetteer([d / "msra_ner/msra_train_bio", d / "peoples_daily_ner/example.dev"])
    batch = []
    k = 0
    for doc in read_cluener(blank_zh(), d / "cluener2020" / "train.json", ConvertStats(), gaz):
        batch.append(doc)
        if len(batch) < per_doc:
            continue
        paragraphs = ["".join(x.text for x in batch[j : j + 5]) for j in range(0, per_doc, 5)]
        ents = [{"label": e.label_, "text": e.text} for x in batch for e in x.ents]
        ignore = set()
        for x in batch:
            run = ""
            for t in list(x) + [None]:
                if t is not None and t.ent_iob == 0:
                    run += t.text
                elif run:
                    ignore.add(run)
                    run = ""
        yield f"cluener_zh_{k:04d}", "\n\n".join(paragraphs) + "\n", dedupe(ents), sorted(ignore)
        batch = []
        k += 1
        if k >= n:
            return


def dedupe(ents: list[dict]) -> list[dict]:
    seen, out = set(), []
    for e in ents:
        key = (e["label"], e["text"])
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def write(docs, out: Path, lang: str) -> int:
    (out / "raw").mkdir(parents=True, exist_ok=True)
    rows = []
    for doc_id, text, ents, ignore in docs:
        (out / "raw" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        rows.append({"id": doc_id, "lang": lang, "entities": ents, "relations": [], "labels": LABELS, "ignore": ignore})
    with open(out / "gold.jsonl", "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return len(rows)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("corpus", choices=["conll", "msra", "cluener"])
    p.add_argument("datasets", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--docs", type=int, default=300)
    p.add_argument("--sentences", type=int, default=15)
    a = p.parse_args()
    if a.corpus == "conll":
        docs = conll(a.datasets, a.docs)
    else:
        docs = (msra if a.corpus == "msra" else cluener)(a.datasets, a.docs, a.sentences)
    print(write(docs, a.out, "en" if a.corpus == "conll" else "zh"), "documents ->", a.out)


if __name__ == "__main__":
    main()
