"""`bench` and `align-bench`: throughput and memory, printed; not tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pipeline.cli.common import app, batch_progress, console, whole_batch


@app.command()
def bench(
    n: Annotated[int, typer.Option("--n", min=1, help="Number of releases to synthesise and process.")] = 200,
    source: Annotated[Path, typer.Option("--source", help="Folder of .txt releases the corpus is made from.")] = Path("data/raw"),
    config: Annotated[Path | None, typer.Option("--config", "-c", help="Pipeline config (default: the shipped one).")] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker processes.")] = 1,
    baseline: Annotated[bool, typer.Option(help="Also time bare en_core_web_sm nlp.pipe on the same English text.")] = True,
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep",
            help="Keep the corpus (DIR/in) and tables (DIR/out) in DIR. A bench stopped there by Ctrl-C or SIGTERM "
            "goes on where it stopped when the same command is run again (for corpora too large for one sitting).",
        ),
    ] = None,
) -> None:
    """Throughput (releases/s, characters/s) per stage and in total, and peak memory, on N releases."""
    import platform

    from pipeline.bench import KeepFolderError
    from pipeline.bench import bench as run_bench

    with batch_progress("bench") as progress:
        task = progress.add_task("", total=n)
        try:
            r = run_bench(
                n,
                source,
                config=config,
                workers=workers,
                baseline=baseline,
                keep=keep,
                on_file=lambda _: progress.advance(task),
                on_stage=whole_batch(progress, task),
            )
        except KeepFolderError as e:
            console.print(f"[red]error:[/red] {escape(str(e))}")
            raise typer.Exit(2) from e
        except KeyboardInterrupt:
            console.print("[red]stopped:[/red] nothing of this bench was kept.")
            raise typer.Exit(130) from None
    table = Table(
        title=f"bench: {r.n} releases, {r.chars:,} characters, {workers} worker(s), {platform.machine()} {os.cpu_count()} cores",
        caption=(
            "stage seconds of the release stages are summed over the workers; "
            "RSS: the highest of a process running the stage, as it returned"
        )
        if workers > 1
        else "RSS: the highest of the process as the stage returned",
    )
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    table.add_column("releases/s", justify="right")
    table.add_column("chars/s", justify="right")
    table.add_column("RSS MB", justify="right")
    share = r.processed / r.n  # characters are counted over the whole corpus; a resumed bench processes a part
    for name, sec, count, rss in r.stages:
        chars = r.chars * count / r.n
        table.add_row(
            name, f"{sec:.2f}", f"{count / sec:,.0f}" if sec else "-", f"{chars / sec:,.0f}" if sec else "-", f"{rss:,.0f}"
        )
    table.add_row(
        "total (model loading + read + stages + write)",
        f"{r.seconds:.2f}",
        f"{r.processed / r.seconds:,.1f}",
        f"{r.chars * share / r.seconds:,.0f}",
        f"{max(r.peak_rss_mb, r.peak_worker_rss_mb):,.0f}",
    )
    console.print(table)
    console.print(
        f"peak RSS: {r.peak_rss_mb:,.0f} MB in this process"
        + (f", {r.peak_worker_rss_mb:,.0f} MB in the largest worker" if workers > 1 else "")
    )
    if r.skipped:
        console.print(
            f"resumed: {r.skipped:,} releases were already written in {escape(str(keep))}/out; "
            f"the rates count the {r.processed:,} processed now"
        )
    if r.interrupted:
        console.print(f"[yellow]interrupted:[/yellow] {r.processed:,} releases written; run the same command again to go on.")
        raise typer.Exit(130)
    if r.spacy_rel_per_s and r.en_rel_per_s is not None:
        console.print(
            f"English: ours {r.en_rel_per_s:,.1f} releases/s vs bare en_core_web_sm nlp.pipe {r.spacy_rel_per_s:,.1f} "
            f"releases/s: ratio {r.en_rel_per_s / r.spacy_rel_per_s:.2f}"
        )


@app.command("align-bench")
def align_bench(
    wmt: Annotated[
        Path | None,
        typer.Option("--wmt", help="Folder of WMT zh-en newstest CSV files (damo_*.csv) to synthesise releases from."),
    ] = None,
    samples: Annotated[
        Path | None, typer.Option("--samples", help="Tables of a real run (run --out) to mix into each size.")
    ] = None,
    replicate: Annotated[
        Path | None,
        typer.Option(
            "--replicate",
            help="Instead of --wmt: repeat the tables of this run (releases and entities), numbers varied per round.",
        ),
    ] = None,
    sizes: Annotated[str, typer.Option("--sizes", help="Comma-separated corpus sizes.")] = "1000,10000,100000",
    encoder: Annotated[bool, typer.Option("--encoder/--no-encoder", help="Use the sentence encoder signal.")] = True,
    archive: Annotated[
        int | None,
        typer.Option(
            "--archive",
            min=1,
            help="Instead of --sizes: time the corpus stages (align, records) on an archive of this many releases, then "
            "incrementally with --new releases added (reusing OUT/cache), against a full re-run over both.",
        ),
    ] = None,
    new: Annotated[int, typer.Option("--new", min=1, help="With --archive: releases added to the archive.")] = 1000,
    work: Annotated[
        Path | None, typer.Option("--work", help="With --archive: folder for the temporary tables (default: the system's).")
    ] = None,
) -> None:
    """Time and peak memory of the align stage on synthetic corpora of growing size (or, with
    --archive, of the corpus stages run incrementally against a full re-run)."""
    from pipeline.bench_align import bench as run_bench
    from pipeline.bench_align import bench_incremental

    folder = replicate if replicate is not None else wmt
    if folder is None or not folder.is_dir():
        console.print(f"[red]no such folder:[/red] {folder} (give --wmt DIR or --replicate RUN_OUT)")
        raise typer.Exit(2)
    if archive is not None:
        if wmt is None:
            console.print("[red]--archive needs --wmt DIR[/red]")
            raise typer.Exit(2)
        for row in bench_incremental(archive, new, wmt, samples, encoder, work):
            if row["run"] == "compare":
                print(
                    "incremental vs full re-run: "
                    + ("same tables" if not row["differ"] else "DIFFER: " + ", ".join(row["differ"])),
                    flush=True,
                )
                continue
            cache = " ".join(f"{k}={v}" for k, v in row["cache"].items())
            steps = " ".join(f"{k}={v}" for k, v in row["steps"].items())
            print(
                f"{row['run']:<45} releases={row['releases']:>7} seconds={row['seconds']:>7} (align {row['align_s']}, "
                f"records {row['records_s']}) peak_rss_mb={row['peak_rss_mb']:>6}\n"
                f"    align steps (s): {steps}\n    cache: {cache}",
                flush=True,
            )
        return
    for row in run_bench([int(s) for s in sizes.split(",") if s.strip()], wmt, samples, encoder, replicate=replicate):
        print(
            f"releases={row['releases']:>7} seconds={row['seconds']:>7} peak_rss_mb={row['peak_rss_mb']:>6} "
            f"pairs={row['pairs']} copies={row['copies_folded']} "
            f"synthetic_pair_P/R/F={row['pair_p']}/{row['pair_r']}/{row['pair_f']}",
            flush=True,
        )
