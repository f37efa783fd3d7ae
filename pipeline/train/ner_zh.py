"""Train and evaluate our Chinese NER model (spaCy, labels PERSON / ORG / GPE).

Usage::

    python -m pipeline.train.ner_zh --datasets /path/to/datasets --out models/ner-zh

Steps: convert the corpora to DocBins in a work folder (see :mod:`pipeline.train.corpora`),
train with spaCy (``spacy.cli.train.train``, config ``pipeline/train/configs/ner_zh.cfg``),
keep ``model-best`` only, as ``<out>/candidate/``, evaluate it on each corpus's held-out test
split and write per-label precision / recall / F1 to ``<out>/candidate/scores.json``; then score
the live model (``<out>/live/``) on the same test splits and promote the candidate only if it is
not worse (:mod:`pipeline.train.promote`: the replaced model is kept in ``<out>/previous/``).
Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import shutil
import sys
import time
from pathlib import Path

from .corpora.build import build_docbins, load_docbin
from .corpora.common import LABELS, blank_zh
from .promote import Decision, conclude, new_candidate, resolve

log = logging.getLogger(__name__)

CONFIG = Path(__file__).resolve().parent / "configs" / "ner_zh.cfg"
DEFAULT_WORK = Path("build") / "ner-zh-work"  # build/ is git-ignored


def _prf(d: dict | None) -> dict:
    d = d or {}
    return {k: round(float(d.get(k) or 0.0), 4) for k in ("p", "r", "f")}


def evaluate_model(model_dir: Path, test_dir: Path, batch_size: int = 256) -> dict:
    """Score ``model_dir`` on every ``test_dir/*.spacy``; per-label P/R/F plus overall.

    Scoring is spaCy's entity scorer (exact span + label match; tokens whose gold
    annotation is missing are ignored). ``"all"`` pools the examples of every test set.
    """
    import spacy
    from spacy.scorer import get_ner_prf
    from spacy.training import Example

    nlp = spacy.load(model_dir)
    ref_nlp = blank_zh()

    def summarise(examples: list) -> dict:
        scores = get_ner_prf(examples)  # the scorer spaCy's NER component uses
        per_type = scores.get("ents_per_type") or {}
        return {
            "overall": _prf({"p": scores.get("ents_p"), "r": scores.get("ents_r"), "f": scores.get("ents_f")}),
            "per_label": {lab: _prf(per_type.get(lab)) for lab in LABELS},
        }

    results: dict = {}
    pooled: list = []
    for path in sorted(Path(test_dir).glob("*.spacy")):
        gold = load_docbin(path, ref_nlp)
        t0 = time.time()
        preds = list(nlp.pipe((d.text for d in gold), batch_size=batch_size))
        examples = [Example(p, g) for p, g in zip(preds, gold)]
        results[path.stem] = {
            "docs": len(gold),
            "gold_entities": {lab: sum(1 for d in gold for e in d.ents if e.label_ == lab) for lab in LABELS},
            **summarise(examples),
            "eval_seconds": round(time.time() - t0, 1),
        }
        pooled.extend(examples)
    if pooled:
        results["all"] = {"docs": len(pooled), **summarise(pooled)}
    return results


#: Training data and their terms, from each corpus's SOURCE.txt (shared datasets folder).
SOURCES = [
    {
        "name": "MSRA NER (SIGHAN 2006 bakeoff)",
        "url": "https://github.com/TVect/ChinNER",
        "license": "Microsoft research-use terms; no open licence",
    },
    {"name": "CLUENER2020", "url": "https://github.com/CLUEbenchmark/CLUENER2020", "license": "none stated; research use"},
    {
        "name": "Weibo NER (golden-horse, 2nd_conll revision)",
        "url": "https://github.com/hltcoe/golden-horse",
        "license": "CC BY-SA 3.0 (annotations); messages under Weibo ToS",
    },
    {"name": "Resume NER (LatticeLSTM)", "url": "https://github.com/jiesutd/LatticeLSTM", "license": "none stated; research use"},
    {
        "name": "People's Daily 1998 NER (dev split)",
        "url": "https://github.com/OYE93/Chinese-NLP-Corpus",
        "license": "none stated; research use; text (c) People's Daily",
    },
]


def update_meta(model_dir: Path) -> None:
    """Name the pipeline and record its training data / licence status in meta.json."""
    path = Path(model_dir) / "meta.json"
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta.update(
        {
            "name": "ner_zh",
            "version": "0.1.0",
            "description": "Chinese (Simplified, character-level) NER: PERSON, ORG, GPE. See MODEL_CARD.md.",
            "license": "research use only (4 of 5 training corpora have no open licence; see MODEL_CARD.md)",
            "sources": SOURCES,
        }
    )
    path.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")


def live_model(model_dir: Path) -> Path | None:
    """The spaCy model the pipeline loads from a model folder (models/ner-zh): live/, or model/ in
    the old layout; a spaCy model folder given directly is itself."""
    return resolve(model_dir, "config.cfg")


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def train_zh_ner(
    datasets: Path,
    out: Path,
    max_steps: int = 8500,
    work: Path | None = None,
    config: Path = CONFIG,
    eval_frequency: int = 500,
    seed: int = 0,
    keep_work: bool = True,
    skip_convert: bool = False,
    overrides: dict | None = None,
    reviewed: list[Path] | None = None,
) -> tuple[Decision, dict]:
    """Build DocBins from ``datasets``, train, keep model-best as ``out/candidate``, score it and
    the live model on the same test splits, promote the candidate if it is not worse.

    Returns the decision and the candidate's scores (also in ``out/candidate/scores.json``).
    """
    from spacy.cli.train import train as spacy_train

    datasets, out = Path(datasets), Path(out)
    work = Path(work) if work is not None else DEFAULT_WORK
    work.mkdir(parents=True, exist_ok=True)
    candidate = new_candidate(out)

    t0 = time.time()
    if skip_convert and (work / "train.spacy").exists():
        corpus_stats = json.loads((work / "corpus_stats.json").read_text(encoding="utf-8"))
    else:
        log.info("converting corpora from %s into %s", datasets, work)
        corpus_stats = build_docbins(datasets, work, seed=seed)
    t_convert = time.time() - t0

    train_out = work / "training"
    if train_out.exists():
        shutil.rmtree(train_out)
    train_path = work / "train.spacy"
    if reviewed:
        train_path = add_reviewed(work, reviewed)
        corpus_stats["reviewed"] = str(train_path)
    ov = {
        "paths.train": str(train_path),
        "paths.dev": str(work / "dev.spacy"),
        "training.max_steps": int(max_steps),
        "training.eval_frequency": int(eval_frequency),
        "system.seed": int(seed),
    }
    ov.update(overrides or {})
    log.info("training: config=%s overrides=%s", config, ov)
    t1 = time.time()
    spacy_train(config, train_out, overrides=ov, use_gpu=-1)
    t_train = time.time() - t1

    best = train_out / "model-best"
    shutil.copytree(best, candidate, dirs_exist_ok=True)
    update_meta(candidate)
    shutil.rmtree(train_out / "model-last", ignore_errors=True)

    meta_best = json.loads((best / "meta.json").read_text(encoding="utf-8"))
    t2 = time.time()
    tests = evaluate_model(candidate, work / "test")
    t_eval = time.time() - t2

    import spacy

    scores = {
        "model": str(out),
        "labels": list(LABELS),
        "spacy_version": spacy.__version__,
        "python": platform.python_version(),
        "config": str(Path(config).name),
        "max_steps": int(max_steps),
        "seed": seed,
        "dev_score_of_best": meta_best.get("performance", {}),
        "train_docs": corpus_stats.get("train_docs"),
        "train_by_corpus": corpus_stats.get("train_by_corpus"),
        "dev_docs": corpus_stats.get("dev_docs"),
        "dev_by_corpus": corpus_stats.get("dev_by_corpus"),
        "dropped_overlap_with_test": corpus_stats.get("dropped_overlap_with_test"),
        "seconds": {"convert": round(t_convert, 1), "train": round(t_train, 1), "evaluate": round(t_eval, 1)},
        "model_bytes": _dir_size(candidate),
        "test_sets": tests,
    }
    (candidate / "scores.json").write_text(json.dumps(scores, ensure_ascii=False, indent=2), encoding="utf-8")

    live = live_model(out)
    current = evaluate_model(live, work / "test") if live is not None else None
    decision = conclude(
        out,
        current["all"]["overall"]["f"] if current and "all" in current else None,
        tests["all"]["overall"]["f"] if "all" in tests else 0.0,
        {"model": "ner-zh", "max_steps": int(max_steps), "seed": seed, "reviewed": [str(p) for p in reviewed or []]},
    )
    if not keep_work:
        shutil.rmtree(work, ignore_errors=True)
    return decision, scores


def add_reviewed(work: Path, reviewed: list[Path], holdout: float = 0.25) -> Path:
    """Add reviewed releases (export-reviews' zh.spacy) to the training data.

    A stable quarter of them (by release id) is held out as `test/reviewed.spacy`, so the new model
    is judged on reviewed text it has not seen. Returns the training path: a folder holding the
    public training DocBin and the reviewed one (spaCy reads every .spacy file in it).
    """
    import hashlib

    from spacy.tokens import DocBin

    nlp = blank_zh()
    train_bin, test_bin = DocBin(store_user_data=False), DocBin(store_user_data=False)
    for path in reviewed:
        for doc in DocBin().from_disk(path).get_docs(nlp.vocab):
            doc.ents = [e for e in doc.ents if e.label_ in LABELS]  # the model's labels only
            key = str(doc.user_data.get("release_id") or doc.text[:200])
            held = int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < holdout
            (test_bin if held else train_bin).add(doc)
    folder = work / "train_all"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy(work / "train.spacy", folder / "public.spacy")
    train_bin.to_disk(folder / "reviewed.spacy")
    if len(test_bin):
        test_bin.to_disk(work / "test" / "reviewed.spacy")
    return folder


def format_scores(scores: dict) -> str:
    lines = [f"{'test set':<15}{'docs':>6}  {'label':<8}{'P':>7}{'R':>7}{'F':>7}"]
    for name, res in scores["test_sets"].items():
        rows = [("overall", res["overall"])] + list(res["per_label"].items())
        for lab, prf in rows:
            lines.append(f"{name:<15}{res['docs']:>6}  {lab:<8}{prf['p']:>7.3f}{prf['r']:>7.3f}{prf['f']:>7.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipeline.train.ner_zh", description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--datasets",
        type=Path,
        required=True,
        help="folder holding msra_ner/, cluener2020/, weibo_ner/, resume_ner/, peoples_daily_ner/",
    )
    ap.add_argument("--out", type=Path, default=Path("models/ner-zh"), help="model folder (candidate/ -> live/, previous/)")
    ap.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help=f"work folder for DocBins and checkpoints (default {DEFAULT_WORK})"
    )
    ap.add_argument("--max-steps", type=int, default=8500)
    ap.add_argument("--eval-frequency", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--config", type=Path, default=CONFIG)
    ap.add_argument("--skip-convert", action="store_true", help="reuse DocBins already in --work")
    ap.add_argument("--evaluate-only", action="store_true", help="only score <out>/model on <work>/test/*.spacy")
    ap.add_argument("--no-keep-work", action="store_true", help="delete the work folder afterwards")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    if args.evaluate_only:
        if not (args.work / "test").exists():
            build_docbins(args.datasets, args.work, seed=args.seed)
        live = live_model(args.out)
        if live is None:
            print(f"no Chinese model under {args.out}", file=sys.stderr)
            return 2
        tests = evaluate_model(live, args.work / "test")
        print(format_scores({"test_sets": tests}))
        return 0

    decision, scores = train_zh_ner(
        args.datasets,
        args.out,
        max_steps=args.max_steps,
        work=args.work,
        config=args.config,
        eval_frequency=args.eval_frequency,
        seed=args.seed,
        keep_work=not args.no_keep_work,
        skip_convert=args.skip_convert,
    )
    print(format_scores(scores))
    print(f"candidate: {scores['model_bytes'] / 1e6:.1f} MB; seconds: {scores['seconds']}")
    print(("promoted to " if decision.promoted else "not promoted, kept ") + f"{args.out / 'live'}: {decision.reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
