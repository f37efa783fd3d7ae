"""`run`: a batch of releases into the tables of an output folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from pipeline.cli.common import app, batch_progress, console, whole_batch
from pipeline.io.readers import DEFAULT_MAX_BYTES
from pipeline.registry import ConfigError, PipelineConfig


@app.command()
def run(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders of releases (.txt in any encoding, .html, .json, .jsonl). Default: data/raw."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder the Parquet tables are written to.")] = Path("data/extracted"),
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", "-c", help="TOML file with the stage list and settings (default: the shipped pipeline/default.toml)."
        ),
    ] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Override one setting: stages.NAME.SETTING=VALUE (e.g. stages.relate.min_score=0.6), or"
            ' pipeline.stages=["clean","convert"]; repeatable. The filled config of the run is written to --out/config.toml.',
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Re-process releases even when their input and the pipeline (config, code, models) are unchanged."
        ),
    ] = False,
    max_bytes: Annotated[
        int, typer.Option("--max-bytes", help="Skip (and report) input files larger than this.")
    ] = DEFAULT_MAX_BYTES,
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, help="Worker processes for the release stages (each loads the models once).")
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="Dask scheduler address (tcp://HOST:PORT): run the release stages on that cluster."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    wait: Annotated[
        bool, typer.Option("--wait", help="If another command is writing to --out, wait for it instead of stopping.")
    ] = False,
) -> None:
    """Clean, convert and extract every release under INPUTS into tables under --out.

    Re-running is idempotent: releases whose file and pipeline version are unchanged are skipped
    (the version hashes the filled config, the package's code and data, and the models loaded: a
    new setting, an upgrade or a retrained model re-processes them). Every run writes its filled
    config to --out/config.toml, which --config reads back.
    Unreadable files are reported, recorded in the `errors` table and skipped; the exit status is 1
    when any input failed. Ctrl-C (or SIGTERM) stops after the chunk in hand and keeps the releases
    done so far: run the same command again to go on (alignments are made once all are done); a
    second Ctrl-C stops at once and keeps nothing of this run. A release whose file is gone from an
    input folder (deleted or renamed) loses its rows; releases of other inputs stay. One command
    writes to an --out at a time (the others stop, or wait with --wait).
    """
    from pipeline.io.output import OutputBusy
    from pipeline.runner import OutputError, Pipeline, run_batch

    inputs = inputs or [Path("data/raw")]
    try:
        # with workers or a cluster, the release stages' models load there, not here
        pipe = Pipeline(PipelineConfig.load(config, overrides), release_stages=workers == 1 and not scheduler)
    except ConfigError as e:
        console.print(f"[red]config error:[/red] {e}")
        raise typer.Exit(2) from e
    with batch_progress("run", disable=quiet) as progress:
        task = progress.add_task("", total=None)  # the total is set once the inputs are listed

        def on_file(name: str) -> None:
            progress.update(task, advance=1, description=name[-50:])

        try:
            summary = run_batch(
                inputs,
                out,
                pipe,
                force=force,
                max_bytes=max_bytes,
                on_file=on_file,
                workers=workers,
                scheduler=scheduler,
                on_total=lambda n: progress.update(task, total=n),
                on_stage=whole_batch(progress, task),
                wait=wait,
            )
        except OutputBusy as e:
            console.print(f"[red]busy:[/red] {escape(str(e))}")
            raise typer.Exit(75) from e
        except OutputError as e:
            console.print(f"[red]output error:[/red] {escape(str(e))}")
            raise typer.Exit(2) from e
        except KeyboardInterrupt:
            console.print(f"[red]stopped:[/red] nothing of this run was written; {escape(str(out))} is as it was before it.")
            raise typer.Exit(130) from None
    table = Table(title=f"run -> {out}  (pipeline {pipe.version})", show_header=False)
    table.add_row("releases read", str(summary.read))
    table.add_row("written", str(summary.written))
    table.add_row("skipped as unchanged", str(summary.unchanged))
    table.add_row("failed", str(len(summary.failed)))
    if summary.dropped:
        table.add_row("dropped: input file gone", str(summary.dropped))
    if summary.earlier_failures:
        table.add_row("failures of earlier runs kept in errors", str(summary.earlier_failures))
    console.print(table)
    for source, stage_name, reason in summary.failed:
        console.print(f"  [red]failed[/red] {escape(source)} \\[{stage_name}]: {escape(reason)}")
    if summary.interrupted:
        console.print(
            f"[yellow]interrupted:[/yellow] {summary.written} releases written to {escape(str(out))}; "
            "run the same command again to process the rest and align the batch."
        )
        raise typer.Exit(130)
    raise typer.Exit(0 if summary.ok else 1)
