"""Benchmark of the align stage: time and peak memory at 1k, 10k and 100k releases.

    python run_pipeline.py align-bench --wmt DIR [--samples OUT] [--sizes 1000,10000,100000]

Releases are synthesised from WMT zh-en newstest sentence pairs (DIR holds the damo_*.csv files):
each event gets a few parallel sentences, a date, amounts and a romanised person name, then an
English release and a Chinese one (a third in Traditional script); some events exist in one
language only, some Chinese releases are copied with injected characters and pinyin glosses, and
some events repeat between the same parties a few months later. Optionally the tables of a real
run (`--samples`) are mixed in, and each synthetic release then borrows the entity rows of one of
its aligned releases (a real entity density: ~15 a release on the dev set). Each size is written
as Parquet tables, then aligned in a fresh process that reads them from disk as `run` does, so its
peak RSS is the align stage's own; the
synthetic gold gives pair P/R/F1 as a sanity check (synthetic text is easier than real releases).

    python run_pipeline.py align-bench --wmt DIR --archive 100000 --new 1000 [--samples OUT]

times the corpus stages (align, records) as an incremental run meets them: an archive of ARCHIVE
synthetic releases is aligned once (which builds `OUT/cache`), NEW releases of later events are
added to its tables (the release stages are not run: their rows are synthesised too), and the
corpus stages run again over the archive plus the new releases with the cache, then once more from
scratch without it (a full re-run). Each run is a fresh process; the two runs' tables are compared.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from pipeline.align import lexicon
from pipeline.text.hans import converter

_SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "林",
    "罗",
    "高",
]
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志文斌宇浩凯晨"
_ORGS_EN = ["Hospital", "Medical Group", "Cancer Centre", "Health Commission", "University", "Pharmaceutical"]
_ORGS_ZH = ["医院", "医疗集团", "癌症中心", "卫生健康委员会", "大学", "制药"]
_PLACES = [
    ("Shenzhen", "深圳"),
    ("Shanghai", "上海"),
    ("Beijing", "北京"),
    ("Guangzhou", "广州"),
    ("Hangzhou", "杭州"),
    ("Chengdu", "成都"),
    ("Wuhan", "武汉"),
    ("Tianjin", "天津"),
    ("Xiamen", "厦门"),
    ("Suzhou", "苏州"),
]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def load_wmt(folder: Path) -> list[tuple[str, str]]:
    pairs = []
    for f in sorted(folder.glob("*.csv")):
        with open(f, encoding="utf-8") as fh:
            for row in csv.reader(fh):
                if len(row) == 2 and row[0] and row[1] and row[0] != "0":
                    pairs.append((row[1], row[0]))  # (en, zh)
    return pairs


def _pinyin(zh: str) -> str:
    return "".join(sorted(lexicon.readings(c))[0] if lexicon.readings(c) else "x" for c in zh)


def _noisy(text: str, rng: random.Random) -> str:
    """A spam copy: injected characters every few characters and pinyin glosses after some."""
    out = []
    for ch in text:
        out.append(ch)
        r = rng.random()
        if r < 0.06:
            out.append(rng.choice("的了是在有个人这中大为上们"))
        elif r < 0.09 and "\u4e00" <= ch <= "\u9fff":
            out.append(f"({_pinyin(ch)})")
    return "".join(out)


def synthesise(n: int, wmt: list[tuple[str, str]], seed: int = 0) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """About `n` release rows (SCHEMA columns used by align) and the gold (en, zh) source pairs."""
    rng = random.Random(seed)
    s2hk = converter("s2hk")
    rows: list[dict] = []
    gold: set[tuple[str, str]] = set()
    k = 0
    while len(rows) < n:
        k += 1
        sents = rng.sample(wmt, rng.randint(3, 6))
        d = date(2015, 1, 1) + timedelta(days=rng.randrange(3650))
        place_en, place_zh = rng.choice(_PLACES)
        o = rng.randrange(len(_ORGS_EN))
        sur, given = rng.choice(_SURNAMES), "".join(rng.sample(_GIVEN, 2))
        name_en = f"{sorted(lexicon.readings(sur))[0].title()} {_pinyin(given).title()}"
        beds, money = rng.randrange(100, 3000), rng.randrange(2, 900)
        title_en = f"{place_en} {_ORGS_EN[o]} signs agreement with partner"
        title_zh = f"{place_zh}{_ORGS_ZH[o]}签署合作协议"
        en = (
            f"{place_en.upper()}, {_MONTHS[d.month - 1]} {d.day}, {d.year} - {title_en}. {name_en}, president of the "
            f"{place_en} {_ORGS_EN[o]}, said the project has {beds} beds and costs {money} million yuan. "
            + " ".join(e for e, _ in sents)
        )
        dz = d + timedelta(days=rng.choice([0, 0, 0, 1]))  # time zones: a day apart
        zh = (
            f"{dz.year}年{dz.month}月{dz.day}日，{title_zh}。{place_zh}{_ORGS_ZH[o]}院长{sur}{given}表示，项目设有{beds}张床位，"
            f"投资{money * 100}万元。" + "".join(z for _, z in sents)
        )
        has_en, has_zh = rng.random() < 0.85, rng.random() < 0.85
        eid, zid = f"ev{k}_en", f"ev{k}_zh"
        if has_en:
            rows.append(_row(eid, "en", en, None, title_en, d))
        if has_zh:
            trad = rng.random() < 0.33
            rows.append(_row(zid, "zh", s2hk.convert(zh) if trad else zh, zh, None, None))
            for c in range(rng.choice([0, 0, 0, 1, 2])):
                rows.append(_row(f"{zid}_copy{c}", "zh", _noisy(zh, rng), None, None, None))
                if has_en:
                    gold.add((eid, f"{zid}_copy{c}"))
        if has_en and has_zh:
            gold.add((eid, zid))
    return pd.DataFrame(rows[:n]), gold


def _row(source: str, lang: str, text: str, hans: str | None, title: str | None, dl: date | None) -> dict:
    return {
        "release_id": hashlib.sha1(text.encode()).hexdigest()[:16],
        "source_path": source,
        "lang": lang,
        "script": "Latn" if lang == "en" else "Hans",
        "title": title,
        "dateline_place": None,
        "dateline_date": dl,
        "clean_text": text,
        "text_hans": (hans or text) if lang == "zh" else None,
        "duplicate_of": None,
    }


def write_corpus(n: int, wmt_dir: Path, samples: Path | None, dest: Path) -> None:
    """Synthesise `n` releases (plus the real tables of `samples`) into `dest` as a run would leave them."""
    from pipeline.io.tables import Tables

    rel, gold = synthesise(n, load_wmt(wmt_dir))
    tables = Tables(releases=rel)
    if samples is not None:
        real = Tables.read(samples)
        tables.entities = pd.concat([borrowed_entities(rel, real), real.entities], ignore_index=True)
        tables.releases = pd.concat(
            [rel, real.releases[[c for c in rel.columns if c in real.releases.columns]]], ignore_index=True
        )
    tables.write(dest)
    (dest / "gold.json").write_text(json.dumps(sorted(gold)), "utf-8")


def borrowed_entities(rel: pd.DataFrame, real) -> pd.DataFrame:
    """Entity rows for synthetic releases, so the align stage meets a real entity density: event k
    borrows the entities of one aligned pair of the real run (English ones for its English release,
    Chinese ones for the Chinese), so true pairs share entities as real ones do."""
    by_release = {rid: g for rid, g in real.entities.groupby("release_id")}
    pairs_ = [
        (e, z)
        for e, z in zip(real.alignments["en_release_id"], real.alignments["zh_release_id"])
        if e in by_release and z in by_release
    ]
    if not pairs_:
        return real.entities.iloc[:0]
    parts = []
    for rid, source, lang in zip(rel["release_id"], rel["source_path"], rel["lang"]):
        k = int(source[2:].split("_", 1)[0])
        donor = by_release[pairs_[k % len(pairs_)][0 if lang == "en" else 1]]
        parts.append(donor.assign(release_id=rid, entity_id=donor["entity_id"] + "-" + rid))
    return pd.concat(parts, ignore_index=True)


def replicate_run(run: Path, n: int, dest: Path) -> None:
    """The tables of a real run (releases with their entities) repeated in rounds up to `n` releases,
    each round's numbers moved as `bench` moves them, so every round is a new set of events with
    real entity density. The gold is the run's own pairs, repeated in every round."""
    from pipeline.bench import vary
    from pipeline.io.tables import Tables

    seed = Tables.read(run)
    rel_parts, ent_parts, gold = [], [], set()
    seed_pairs = list(zip(seed.alignments["en_release_id"], seed.alignments["zh_release_id"]))
    source = dict(zip(seed.releases["release_id"], seed.releases["source_path"]))
    for r in range((n + len(seed.releases) - 1) // max(1, len(seed.releases))):
        rel = seed.releases.copy()
        rel["release_id"] = rel["release_id"] + f"-{r}"
        rel["source_path"] = "ev" + rel["source_path"] + f"-{r}"
        for col in ("title", "clean_text", "text_hans"):
            rel[col] = [vary(t, r) if isinstance(t, str) else t for t in rel[col]]
        rel["dateline_date"] = [_vary_date(d, r) for d in rel["dateline_date"]]
        rel_parts.append(rel)
        ent = seed.entities.copy()
        ent["release_id"] = ent["release_id"] + f"-{r}"
        ent["entity_id"] = ent["entity_id"] + f"-{r}"
        for col in ("text", "text_norm"):
            ent[col] = [vary(t, r) if isinstance(t, str) else t for t in ent[col]]
        ent_parts.append(ent)
        gold |= {(f"ev{source[e]}-{r}", f"ev{source[z]}-{r}") for e, z in seed_pairs}
    tables = Tables(releases=pd.concat(rel_parts, ignore_index=True).iloc[:n], entities=pd.concat(ent_parts, ignore_index=True))
    tables.entities = tables.entities[tables.entities["release_id"].isin(set(tables.releases["release_id"]))]
    kept = set(tables.releases["source_path"])
    tables.write(dest)
    (dest / "gold.json").write_text(json.dumps(sorted(p for p in gold if p[0] in kept and p[1] in kept)), "utf-8")


def _vary_date(d, round_: int):
    """A dateline date moved as `vary` moves the numbers of the text."""
    from pipeline.bench import vary

    if not isinstance(d, date):
        return d
    y, dd = int(vary(f"{d.year}", round_)), int(vary(f"{d.day:02d}", round_))
    try:
        return date(y, d.month, dd)
    except ValueError:
        return None


def run_one(folder: Path, encoder: bool) -> dict:
    """Align the tables in `folder` in this process, as `run` does; returns the figures."""
    from pipeline.io.tables import TableFolder
    from pipeline.stages.align import Align

    gold = {tuple(p) for p in json.loads((folder / "gold.json").read_text("utf-8"))}
    corpus = TableFolder(folder)
    t0 = time.perf_counter()
    Align(encoder=encoder)(corpus)
    corpus.commit()
    secs = time.perf_counter() - t0
    rel = pd.read_parquet(folder / "releases.parquet", columns=["release_id", "source_path", "duplicate_of"])
    al = pd.read_parquet(folder / "alignments.parquet")
    src = dict(zip(rel["release_id"], rel["source_path"]))
    pred = {(src[a], src[b]) for a, b in zip(al["en_release_id"], al["zh_release_id"])}
    pred = {p for p in pred if p[0].startswith("ev")}
    tp = len(pred & gold)
    p, r = tp / max(len(pred), 1), tp / max(len(gold), 1)
    return {
        "releases": len(rel),
        "seconds": round(secs, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "pairs": len(al),
        "copies_folded": int(rel["duplicate_of"].notna().sum()),
        "pair_p": round(p, 3),
        "pair_r": round(r, 3),
        "pair_f": round(2 * p * r / (p + r), 3) if p + r else 0.0,
        "encoder": encoder,
    }


def bench(
    sizes: list[int], wmt_dir: Path | None, samples: Path | None, encoder: bool = True, replicate: Path | None = None
) -> Iterator[dict]:
    """Each size synthesised (from WMT, or by repeating the run `replicate`) in one process and
    aligned in a fresh one (its peak RSS is the align stage's own, reading the tables from disk as
    `run` does); yields each size's figures as it ends."""
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="align-bench-") as tmp:
            py = [sys.executable, "-m", "pipeline.bench_align"]
            if replicate is not None:
                subprocess.run([*py, "replicate", str(n), str(replicate), tmp], check=True)
            else:
                subprocess.run([*py, "write", str(n), str(wmt_dir), str(samples or ""), tmp], check=True)
            out = subprocess.run([*py, "align", tmp, "1" if encoder else "0"], capture_output=True, text=True, check=True)
            yield json.loads(out.stdout.strip().splitlines()[-1])


def write_split(archive: int, new: int, wmt_dir: Path, samples: Path | None, dest: Path, later: Path) -> None:
    """`archive + new` synthetic releases: the first `archive` as the tables of `dest` (a run's output
    folder before the new day), the rest (later events) as `later/releases.parquet` and
    `later/entities.parquet`, the rows the release stages would add."""
    from pipeline.io.tables import Tables

    write_corpus(archive + new, wmt_dir, samples, later)
    every = Tables.read(later)
    synthetic = every.releases["source_path"].str.startswith("ev")
    old_ids = set(every.releases["release_id"][synthetic].iloc[:archive]) | set(every.releases["release_id"][~synthetic])
    gold = (later / "gold.json").read_text("utf-8")
    for folder, keep in ((dest, True), (later, False)):
        rel = every.releases[every.releases["release_id"].isin(old_ids) == keep]
        ent = every.entities[every.entities["release_id"].isin(old_ids) == keep]
        Tables(releases=rel.reset_index(drop=True), entities=ent.reset_index(drop=True)).write(folder)
        (folder / "gold.json").write_text(gold, "utf-8")


def add_releases(folder: Path, later: Path) -> None:
    """Append the rows of `later` to the releases and entities of `folder` (as `run NEW --out` does)."""
    from pipeline.io.output import Transaction
    from pipeline.io.tables import SCHEMAS, write_parquet

    txn = Transaction(folder)
    for name in ("releases", "entities"):
        df = pd.concat(
            [pd.read_parquet(folder / f"{name}.parquet"), pd.read_parquet(later / f"{name}.parquet")], ignore_index=True
        )
        write_parquet(txn, df, SCHEMAS[name], f"{name}.parquet")
    txn.commit()


def run_corpus(folder: Path, encoder: bool) -> dict:
    """The corpus stages (align, then records) on the tables of `folder`, in this process."""
    from pipeline.io.tables import TableFolder
    from pipeline.stages.align import Align
    from pipeline.stages.records import Records

    corpus = TableFolder(folder)
    align, records = Align(encoder=encoder), Records()
    align.prepare()
    t0 = time.perf_counter()
    align(corpus)
    t1 = time.perf_counter()
    records(corpus)
    t2 = time.perf_counter()
    corpus.commit()
    n = pq.ParquetFile(folder / "releases.parquet").metadata.num_rows
    return {
        "releases": n,
        "align_s": round(t1 - t0, 1),
        "records_s": round(t2 - t1, 1),
        "seconds": round(t2 - t0, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "cache": align.cache_stats,
        "steps": align.seconds,
    }


CORPUS_TABLES = ("alignments", "entity_links", "events", "deals", "organisations", "people")


def same_tables(a: Path, b: Path) -> list[str]:
    """The corpus tables and corpus-filled columns that differ between two output folders."""
    differ = []
    for name in CORPUS_TABLES:
        x, y = pd.read_parquet(a / f"{name}.parquet"), pd.read_parquet(b / f"{name}.parquet")
        if (
            not x.astype(str)
            .sort_values(list(x.columns))
            .reset_index(drop=True)
            .equals(y.astype(str).sort_values(list(y.columns)).reset_index(drop=True))
        ):
            differ.append(name)
    for name, key, cols in (
        ("releases", ["release_id"], ["duplicate_of", "event_id"]),
        ("entities", ["release_id", "entity_id"], ["org_id", "person_id"]),
    ):
        x, y = (
            pd.read_parquet(f / f"{name}.parquet", columns=key + cols).astype(str).sort_values(key).reset_index(drop=True)
            for f in (a, b)
        )
        if not x.equals(y):
            differ.append(f"{name}.{'/'.join(cols)}")
    return differ


def bench_incremental(
    archive: int, new: int, wmt_dir: Path, samples: Path | None, encoder: bool = True, work: Path | None = None
) -> Iterator[dict]:
    """The archive run, the incremental run and the full re-run (see the module docstring); yields
    each run's figures as it ends, then the comparison of the last two."""
    with tempfile.TemporaryDirectory(prefix="align-inc-", dir=work) as tmp:
        root = Path(tmp)
        inc, later, full = root / "incremental", root / "later", root / "full"
        py = [sys.executable, "-m", "pipeline.bench_align"]
        subprocess.run([*py, "split", str(archive), str(new), str(wmt_dir), str(samples or ""), str(inc), str(later)], check=True)

        def corpus(folder: Path, what: str) -> dict:
            out = subprocess.run(
                [*py, "corpus", str(folder), "1" if encoder else "0"], capture_output=True, text=True, check=True
            )
            return {"run": what, **json.loads(out.stdout.strip().splitlines()[-1])}

        yield corpus(inc, "archive (builds the cache)")
        add_releases(inc, later)
        shutil.copytree(inc, full, ignore=shutil.ignore_patterns("cache"))
        yield corpus(inc, "incremental (new releases, with the cache)")
        yield corpus(full, "full re-run (no cache)")
        yield {"run": "compare", "differ": same_tables(inc, full)}


if __name__ == "__main__":
    if sys.argv[1] == "write":
        n_, wmt_, samples_, dest_ = sys.argv[2:6]
        write_corpus(int(n_), Path(wmt_), Path(samples_) if samples_ else None, Path(dest_))
    elif sys.argv[1] == "replicate":
        replicate_run(Path(sys.argv[3]), int(sys.argv[2]), Path(sys.argv[4]))
    elif sys.argv[1] == "split":
        a_, n_, wmt_, samples_, dest_, later_ = sys.argv[2:8]
        write_split(int(a_), int(n_), Path(wmt_), Path(samples_) if samples_ else None, Path(dest_), Path(later_))
    elif sys.argv[1] == "corpus":
        print(json.dumps(run_corpus(Path(sys.argv[2]), sys.argv[3] == "1")))
    else:
        print(json.dumps(run_one(Path(sys.argv[2]), sys.argv[3] == "1")))
