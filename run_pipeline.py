#!/usr/bin/env python3
"""Command line of the bilingual press-release pipeline: run, evaluate, train, review, bench."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.io.readers import DEFAULT_MAX_BYTES
from pipeline.registry import ConfigError, PipelineConfig

app = typer.Typer(
    help="Turn folders of English and Chinese medical press releases into reviewed, structured tables.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


class _LoggedProgress(Progress):
    """Rich's progress bar; where the output is not a terminal (nohup, a log file), where the bar
    does not show, a plain line every `every` seconds instead: a long batch still reports how far it is."""

    def __init__(self, label: str, *columns, every: float = 60.0, **kwargs) -> None:
        super().__init__(*columns, **kwargs)
        self.label, self.every = label, every
        self.last_line = time.monotonic()

    def update(self, task_id, **kwargs) -> None:
        super().update(task_id, **kwargs)
        self._line()

    def advance(self, task_id, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._line()

    def _line(self) -> None:
        if self.disable or self.console.is_terminal or time.monotonic() - self.last_line < self.every:
            return
        self.last_line = time.monotonic()
        for t in self.tasks:
            done = f"{t.completed:,.0f}" + (f"/{t.total:,.0f}" if t.total else "")
            rate = f", {t.speed:,.1f}/s" if t.speed else ""
            self.console.print(f"{self.label}: {done} after {t.elapsed or 0:,.0f} s{rate}  {t.description}", highlight=False, markup=False)


def _batch_progress(label: str, disable: bool = False) -> Progress:
    """The progress line of a batch: releases done of all, time, the file or stage at work."""
    return _LoggedProgress(
        label,
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"),
        console=console, disable=disable, transient=True,
    )


def _whole_batch(progress: Progress, task):
    """on_stage callback: a corpus stage works on the whole batch, with no count to show (minutes at 100k)."""
    return lambda name: progress.update(task, total=None, description=f"{name}: the whole batch")


@app.command()
def run(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders of releases (.txt in any encoding, .html, .json, .jsonl). Default: data/raw."),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder the Parquet tables are written to.")] = Path("data/extracted"),
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="TOML file with the stage list and settings (default: the shipped pipeline/default.toml).")
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
        typer.Option("--force", help="Re-process releases even when their input and the pipeline (config, code, models) are unchanged."),
    ] = False,
    max_bytes: Annotated[int, typer.Option("--max-bytes", help="Skip (and report) input files larger than this.")] = DEFAULT_MAX_BYTES,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Worker processes for the release stages (each loads the models once).")] = 1,
    scheduler: Annotated[
        str | None, typer.Option("--scheduler", help="Dask scheduler address (tcp://HOST:PORT): run the release stages on that cluster.")
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
    with _batch_progress("run", disable=quiet) as progress:
        task = progress.add_task("", total=None)  # the total is set once the inputs are listed

        def on_file(name: str) -> None:
            progress.update(task, advance=1, description=name[-50:])

        try:
            summary = run_batch(
                inputs, out, pipe, force=force, max_bytes=max_bytes, on_file=on_file, workers=workers, scheduler=scheduler,
                on_total=lambda n: progress.update(task, total=n),
                on_stage=_whole_batch(progress, task), wait=wait,
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

    with _batch_progress("bench") as progress:
        task = progress.add_task("", total=n)
        try:
            r = run_bench(
                n, source, config=config, workers=workers, baseline=baseline, keep=keep, on_file=lambda _: progress.advance(task),
                on_stage=_whole_batch(progress, task),
            )
        except KeepFolderError as e:
            console.print(f"[red]error:[/red] {escape(str(e))}")
            raise typer.Exit(2) from e
        except KeyboardInterrupt:
            console.print("[red]stopped:[/red] nothing of this bench was kept.")
            raise typer.Exit(130) from None
    table = Table(
        title=f"bench: {r.n} releases, {r.chars:,} characters, {workers} worker(s), {platform.machine()} {os.cpu_count()} cores",
        caption="stage seconds of the release stages are summed over the workers; RSS: the highest of a process running the stage, as it returned"
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
        table.add_row(name, f"{sec:.2f}", f"{count / sec:,.0f}" if sec else "-", f"{chars / sec:,.0f}" if sec else "-", f"{rss:,.0f}")
    table.add_row(
        "total (model loading + read + stages + write)", f"{r.seconds:.2f}", f"{r.processed / r.seconds:,.1f}", f"{r.chars * share / r.seconds:,.0f}",
        f"{max(r.peak_rss_mb, r.peak_worker_rss_mb):,.0f}",
    )
    console.print(table)
    console.print(
        f"peak RSS: {r.peak_rss_mb:,.0f} MB in this process"
        + (f", {r.peak_worker_rss_mb:,.0f} MB in the largest worker" if workers > 1 else "")
    )
    if r.skipped:
        console.print(f"resumed: {r.skipped:,} releases were already written in {escape(str(keep))}/out; the rates count the {r.processed:,} processed now")
    if r.interrupted:
        console.print(f"[yellow]interrupted:[/yellow] {r.processed:,} releases written; run the same command again to go on.")
        raise typer.Exit(130)
    if r.spacy_rel_per_s:
        console.print(
            f"English: ours {r.en_rel_per_s:,.1f} releases/s vs bare en_core_web_sm nlp.pipe {r.spacy_rel_per_s:,.1f} "
            f"releases/s: ratio {r.en_rel_per_s / r.spacy_rel_per_s:.2f}"
        )


def _train_spans(gold: list[Path], extracted: Path | None, model_dir: Path) -> None:
    from pipeline.cv import read_set
    from pipeline.io.tables import Tables
    from pipeline.train.spans import train_spans

    missing = [str(g) for g in gold if not g.is_file()]
    if not gold or missing or extracted is None:
        console.print(f"[red]train spans needs --gold FILE (repeatable) and --extracted DIR[/red]{': no such file ' + ', '.join(missing) if missing else ''}")
        raise typer.Exit(2)
    tables = Tables.read(extracted)
    try:
        result = train_spans(tables, [read_set(g) for g in gold], model_dir, log=console.print)
    except ValueError as e:
        console.print(f"[red]{escape(str(e))}[/red]")
        raise typer.Exit(2) from e
    console.print(("[green]promoted[/green] " if result["promoted"] else "[yellow]not promoted[/yellow] ") + result["reason"])


@app.command()
def train(
    what: Annotated[str, typer.Argument(help="ner, relations, or spans (the span judge: both languages)")],
    lang: Annotated[str | None, typer.Option("--lang", help="en or zh (ner and relations)")] = None,
    reviewed: Annotated[
        list[Path] | None, typer.Option("--reviewed", help="Folder written by `export-reviews --out` (repeatable): reviewed releases to learn from.")
    ] = None,
    datasets: Annotated[Path | None, typer.Option("--datasets", help="Folder of the public corpora (Chinese NER: msra_ner/, cluener2020/, ...).")] = None,
    model_dir: Annotated[Path | None, typer.Option("--model-dir", help="Model folder (default MODELS_DIR/ner-en, ner-zh or rel-en).")] = None,
    models_dir: Annotated[Path, typer.Option("--models-dir", help="Folder holding the model folders ner-en/, ner-zh/, rel-en/.")] = Path("models"),
    max_steps: Annotated[
        int | None, typer.Option("--max-steps", help="Training steps (Chinese NER default 8,500: about 4.5 min per 1,000 on 2 cores; relations: no cap).")
    ] = None,
    epochs: Annotated[int | None, typer.Option("--epochs", help="Passes over the data (English NER default 15, relations 2).")] = None,
    rollback: Annotated[bool, typer.Option("--rollback", help="Put the previous model back instead of training.")] = False,
    gold: Annotated[
        list[Path] | None,
        typer.Option("--gold", help="spans: gold annotations (repeatable; pairs.jsonl and docs.jsonl beside each group the folds)."),
    ] = None,
    extracted: Annotated[
        Path | None, typer.Option("--extracted", help="spans: tables of a `run` over the --gold releases (their candidates).")
    ] = None,
) -> None:
    """Rebuild a model. Slow (minutes to an hour on 2 cores): a command, never a test.

    English NER fine-tunes en_core_web_sm's `ner` on reviewed releases; Chinese NER trains our spaCy
    model on the public corpora (--datasets), plus reviewed releases; the relation classifier trains
    on public corpora; the span judge (spans) learns which entity candidates of a `run` over gold
    releases to keep, and is promoted when its out-of-fold entity F1 beats the bare candidates'. Each new model is written to candidate/ and promoted to live/ only if it is
    not worse than the current one on the same held-out data; the replaced one is kept in previous/,
    and --rollback puts it back (pipeline/train/promote.py).
    """
    if not ((what in ("ner", "relations") and lang in ("en", "zh")) or what == "spans"):
        console.print("[red]usage:[/red] train ner|relations --lang en|zh, or train spans --gold FILE --extracted DIR")
        raise typer.Exit(2)
    from pipeline.train.promote import digest
    from pipeline.train.promote import rollback as do_rollback

    names = {("ner", "en"): "ner-en", ("ner", "zh"): "ner-zh", ("relations", "en"): "rel-en", ("relations", "zh"): "rel-zh"}
    name = "span-judge" if what == "spans" else names[(what, lang)]
    model_dir = model_dir or models_dir / name
    if rollback:
        try:
            live = do_rollback(model_dir)
        except FileNotFoundError as e:
            console.print(f"[red]cannot roll back:[/red] {escape(str(e))}")
            raise typer.Exit(2) from e
        console.print(
            f"rolled back {escape(str(model_dir))}: the previous model is live again in {escape(str(live))} "
            f"(sha256 {digest(live)[:12]}); the replaced one is kept in {escape(str(model_dir / 'candidate'))}"
        )
        return
    if what == "spans":
        _train_spans(gold or [], extracted, model_dir)
        return
    reviewed_bins = [f / f"{lang}.spacy" for f in (reviewed or [])]
    missing = [str(p) for p in reviewed_bins if not p.is_file()]
    if missing:
        console.print(f"[red]no reviewed export at[/red] {', '.join(missing)}: run `export-reviews --out FOLDER` first")
        raise typer.Exit(2)
    if what == "ner" and lang == "en":
        from pipeline.train.ner_en import train_en_ner

        if not reviewed_bins:
            console.print("[red]English NER learns from reviewed releases:[/red] give --reviewed FOLDER (from export-reviews)")
            raise typer.Exit(2)
        decision = train_en_ner(reviewed_bins, model_dir, epochs=epochs or 15)
        console.print(("[green]promoted[/green] " if decision.promoted else "[yellow]not promoted[/yellow] ") + decision.reason)
    elif what == "ner" and lang == "zh":
        from pipeline.train.ner_zh import format_scores, train_zh_ner

        if datasets is None or not datasets.is_dir():
            console.print("[red]Chinese NER trains on the public corpora:[/red] give --datasets FOLDER (with msra_ner/, cluener2020/, ...)")
            raise typer.Exit(2)
        # without --reviewed: a reproducible rebuild from the public corpora, judged like any other
        decision, scores = train_zh_ner(datasets, model_dir, max_steps=max_steps or 8500, reviewed=reviewed_bins or None)
        console.print(format_scores(scores))
        console.print(("[green]promoted[/green] " if decision.promoted else "[yellow]not promoted[/yellow] ") + decision.reason)
    elif lang == "en":
        from pipeline.train.relations import format_scores as rel_scores
        from pipeline.train.relations import train_relations

        if datasets is None or not datasets.is_dir():
            console.print("[red]the relation classifier trains on public corpora:[/red] give --datasets FOLDER (with redocred/, dwie/)")
            raise typer.Exit(2)
        if reviewed_bins:
            console.print("[yellow]reviewed releases are not used by the relation classifier yet[/yellow]: it trains on --datasets only")
        result = train_relations(datasets, model_dir, epochs=float(epochs or 2), max_steps=max_steps,
                                 log=console.print)
        console.print(rel_scores(result))
        if result["promoted"]:
            console.print(f"live in {escape(str(model_dir / 'live'))}: use it with \\[stages.relate] classifier = \"filter\" | \"add\" ...")
    else:
        console.print(
            "[red]no Chinese relation classifier:[/red] no pretrained Chinese encoder ships in a pip package, and the Chinese "
            "patterns are the relate stage's only reader for zh (see pipeline/relations/README.md)"
        )
        raise typer.Exit(2)


@app.command()
def evaluate(
    gold: Annotated[
        list[Path],
        typer.Option("--gold", help="Gold annotations, one JSON object per release (samples/gold.jsonl format); repeatable with --cv."),
    ],
    extracted: Annotated[Path, typer.Option("--extracted", help="Folder of tables written by `run`.")] = Path("data/extracted"),
    pairs: Annotated[
        list[Path] | None,
        typer.Option(
            "--pairs",
            help="Gold EN-ZH pairs (pairs.jsonl or docs.jsonl) to score alignment; with several --gold, one per --gold in the"
            " same order (default with --cv: the pairs.jsonl beside each gold file).",
        ),
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Score only gold releases of this language (en or zh).")] = None,
    cv: Annotated[
        int | None,
        typer.Option(
            "--cv",
            help="K folds by event (all copies and translations of one event in one fold): what is fitted on dev releases"
            " (the alignment weights) is refitted without each fold; prints pooled, per gold file and per fold scores.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    conform: Annotated[
        bool,
        typer.Option(
            "--conform",
            help="Leave out gold that SCHEMA.md's conventions exclude (media outlets as ORG or as a relation's"
            " party, bylines as roles, 内地 alone as GPE, bare disease words): for gold annotated before the"
            " conventions were written, such as samples/.",
        ),
    ] = False,
) -> None:
    """Precision, recall and F1 per entity label and relation type (and alignment with --pairs).

    Matching follows SCHEMA.md: per release, as sets, after normalisation (case, width,
    Traditional -> Simplified, spaces and punctuation), fuzzy ratio >= 90 also counts.
    """
    import json

    from pipeline.evaluate import conform as conformed
    from pipeline.evaluate import evaluate as score
    from pipeline.evaluate import format_report, read_jsonl
    from pipeline.io.tables import Tables

    pairs = pairs or []
    for path in [*gold, *pairs]:
        if not path.is_file():
            console.print(f"[red]no such file:[/red] {path}")
            raise typer.Exit(2)
    if len(gold) > 1 and cv is None:
        console.print("[red]several --gold files need --cv K[/red] (or score each file on its own)")
        raise typer.Exit(2)
    if pairs and len(pairs) != len(gold) and not (cv is None and len(pairs) == 1):
        console.print(f"[red]{len(pairs)} --pairs for {len(gold)} --gold:[/red] give one --pairs per --gold, in the same order")
        raise typer.Exit(2)
    tables = Tables.read(extracted)
    if tables.releases.empty:
        console.print(f"[red]no releases table under {extracted}[/red]: run `run_pipeline.py run --out {extracted}` first")
        raise typer.Exit(2)
    if cv is None:
        gold_rows = conformed(read_jsonl(gold[0])) if conform else read_jsonl(gold[0])
        result = score(tables, gold_rows, read_jsonl(pairs[0]) if pairs else None, lang=lang)
        print(json.dumps(result, ensure_ascii=False, indent=1) if as_json else format_report(result))
        return
    from pipeline.cv import cross_validate, format_cv, read_set

    if lang:
        console.print("[red]--lang is not supported with --cv[/red]")
        raise typer.Exit(2)
    sets = [read_set(g, pairs[i] if pairs else None, conform=conform) for i, g in enumerate(gold)]
    try:
        result = cross_validate(tables, sets, cv)
    except ValueError as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    print(json.dumps(result, ensure_ascii=False, indent=1) if as_json else format_cv(result))


@app.command()
def review(
    extracted: Annotated[Path, typer.Option("--extracted", help="Folder of tables written by `run`.")] = Path("data/extracted"),
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0: any free port).")] = 8765,
    db: Annotated[Path | None, typer.Option("--db", help="SQLite file of review decisions (default: EXTRACTED/reviews.sqlite).")] = None,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; keep the default to stay on this machine. Any other address gets a --token.")
    ] = "127.0.0.1",
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-host",
            help="Also answer requests for this Host name (repeatable; `*.example.org` for the names under it). Requests for"
            " other names get 400 (DNS rebinding). Default: localhost, 127.0.0.1, [::1] and --host; with --host 0.0.0.0"
            " or ::, this machine's hostname instead of --host.",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="MEDPR_REVIEW_TOKEN",
            show_envvar=True,
            help="Shared secret every request needs: 16 or more of A-Z a-z 0-9 . _ ~ -, or 'auto' to generate one. The"
            " address printed at start carries it (?token=...). Default: none on a loopback --host; generated for any other.",
        ),
    ] = None,
) -> None:
    """Start the review web app: a queue of releases, their text with entities, accept/reject/fix/add.

    Every decision is saved at once, with who and when, in --db; nothing is ever overwritten.

    Open the address it prints (with a token, the page keeps it in a cookie); scripts send `Authorization: Bearer TOKEN`.
    """
    from pipeline.review.app import (
        allowed_hosts,
        bind,
        create_app,
        default_db,
        is_loopback,
        is_wildcard,
        open_urls,
        resolve_token,
        server,
    )

    if not (extracted / "releases.parquet").is_file():
        console.print(f"[red]no releases table under {extracted}[/red]: run `run_pipeline.py run --out {extracted}` first")
        raise typer.Exit(2)
    try:
        hosts = allowed_hosts(host, allow_host or ())
        secret = resolve_token(token, host)
    except ValueError as e:
        console.print(f"[red]{escape(str(e))}[/red]")
        raise typer.Exit(2) from e
    db = db or default_db(extracted)
    app_ = create_app(extracted, db, hosts=hosts, token=secret)
    try:
        sock = bind(host, port)
    except OSError as e:
        console.print(f"[red]cannot listen on {host}:{port}:[/red] {e}")
        raise typer.Exit(2) from e
    if not is_loopback(host):
        console.print(f"[yellow]warning:[/yellow] listening on {escape(host)}: anyone who can reach this address and has the token can review")
    if "*" in hosts:
        console.print("[yellow]warning:[/yellow] --allow-host '*' answers any Host name: no protection against DNS rebinding")
    if is_wildcard(host) or allow_host:
        console.print(f"answering Host names: {escape(', '.join(hosts))} (add more with --allow-host NAME)")
    first, *others = open_urls(sock, secret)
    print(f"review app: {first}  (decisions in {db}; Ctrl-C to stop)", flush=True)
    for url in others:
        print(f"        or: {url}", flush=True)
    server(app_).run(sockets=[sock])


@app.command("export-reviews")
def export_reviews_command(
    extracted: Annotated[Path, typer.Option("--extracted", help="Folder of tables written by `run`.")] = Path("data/extracted"),
    db: Annotated[Path | None, typer.Option("--db", help="SQLite file of review decisions (default: EXTRACTED/reviews.sqlite).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Folder for en.spacy, zh.spacy, reviewed.jsonl, manifest.json.")] = None,
    include: Annotated[str, typer.Option("--include", help="reviewed (marked reviewed), decided (any decision) or all.")] = "reviewed",
    apply: Annotated[bool, typer.Option("--apply", help="Also rewrite the entities/relations/entity_links tables in EXTRACTED with the decisions applied.")] = False,
) -> None:
    """Export reviewed releases for retraining (spaCy DocBin + JSONL), and/or apply the decisions to the tables."""
    from pipeline.export_reviews import INCLUDE, apply_reviews, export_reviews

    db = db or extracted / "reviews.sqlite"
    if out is None and not apply:
        console.print("[red]nothing to do:[/red] give --out FOLDER and/or --apply")
        raise typer.Exit(2)
    if include not in INCLUDE:
        console.print(f"[red]--include must be one of {', '.join(INCLUDE)}[/red]")
        raise typer.Exit(2)
    if not (extracted / "releases.parquet").is_file() or not db.is_file():
        console.print(f"[red]need {extracted}/releases.parquet and the review database {db}[/red]")
        raise typer.Exit(2)
    if out is not None:
        summary = export_reviews(extracted, db, out, include)
        console.print(f"exported {summary['releases']} releases ({summary['reviewed']} reviewed), {summary['entities']} entities, "
                      f"{summary['relations']} relations -> {out}: {', '.join(summary['files'])}")
    if apply:
        from pipeline.io.output import OutputBusy

        try:
            summary = apply_reviews(extracted, db)
        except OutputBusy as e:
            console.print(f"[red]busy:[/red] {escape(str(e))}")
            raise typer.Exit(75) from e
        console.print(f"applied reviews to {extracted}: {summary}")


@app.command("align-bench")
def align_bench(
    wmt: Annotated[
        Path | None, typer.Option("--wmt", help="Folder of WMT zh-en newstest CSV files (damo_*.csv) to synthesise releases from.")
    ] = None,
    samples: Annotated[Path | None, typer.Option("--samples", help="Tables of a real run (run --out) to mix into each size.")] = None,
    replicate: Annotated[
        Path | None,
        typer.Option("--replicate", help="Instead of --wmt: repeat the tables of this run (releases and entities), numbers varied per round."),
    ] = None,
    sizes: Annotated[str, typer.Option("--sizes", help="Comma-separated corpus sizes.")] = "1000,10000,100000",
    encoder: Annotated[bool, typer.Option("--encoder/--no-encoder", help="Use the sentence encoder signal.")] = True,
) -> None:
    """Time and peak memory of the align stage on synthetic corpora of growing size."""
    from pipeline.bench_align import bench as run_bench

    folder = replicate if replicate is not None else wmt
    if folder is None or not folder.is_dir():
        console.print(f"[red]no such folder:[/red] {folder} (give --wmt DIR or --replicate RUN_OUT)")
        raise typer.Exit(2)
    for row in run_bench([int(s) for s in sizes.split(",") if s.strip()], wmt, samples, encoder, replicate=replicate):
        print(
            f"releases={row['releases']:>7} seconds={row['seconds']:>7} peak_rss_mb={row['peak_rss_mb']:>6} "
            f"pairs={row['pairs']} copies={row['copies_folded']} synthetic_pair_P/R/F={row['pair_p']}/{row['pair_r']}/{row['pair_f']}",
            flush=True,
        )


@app.command("evaluate-corpus")
def evaluate_corpus_command(
    corpus: Annotated[str, typer.Option("--corpus", help="Comma-separated: conll2003, msra, peoples_daily, weibo, resume, cluener (or all).")],
    datasets: Annotated[Path, typer.Option("--datasets", help="Folder of the public corpora (conll2003_en/, msra_ner/, ...).")],
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Score only the first N sentences of each test split.")] = None,
    backend: Annotated[str, typer.Option("--backend", help="Chinese tagger(s), comma-separated: lac, model, both.")] = "lac",
    rules: Annotated[bool, typer.Option("--rules/--no-rules", help="With our press-release rules (as shipped), or the bare taggers.")] = True,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the scores as JSON to this file.")] = None,
) -> None:
    """PERSON / ORG / GPE precision, recall and F1 of the recognise stage on public NER test splits.

    Exact span + label matching (CoNLL style), and the lenient set matching of SCHEMA.md.
    """
    import json

    from pipeline.corpus_eval import CORPORA, Recogniser, evaluate_corpus, format_result, pooled

    names = list(CORPORA) if corpus == "all" else [c.strip() for c in corpus.split(",") if c.strip()]
    backends = [b.strip() for b in backend.split(",") if b.strip()]
    bad = [c for c in names if c not in CORPORA] + [b for b in backends if b not in ("lac", "model", "both")]
    if bad or not names or not backends:
        console.print(f"[red]unknown corpus or backend:[/red] {', '.join(bad) or '(none given)'}; corpora: {', '.join(CORPORA)}")
        raise typer.Exit(2)
    absent = [str(datasets / CORPORA[c].relpath) for c in names if not (datasets / CORPORA[c].relpath).is_file()]
    if absent:
        console.print(f"[red]not found:[/red] {', '.join(absent)} (is --datasets the folder of the public corpora?)")
        raise typer.Exit(2)
    results = []
    for b in backends:
        rec = Recogniser(b, rules)
        zh = []
        for name in names:
            if CORPORA[name].lang == "en" and b != backends[0]:
                continue  # the backend only changes Chinese
            r = evaluate_corpus(name, datasets, limit, b, rules, recogniser=rec)
            print(format_result(r), flush=True)
            results.append(r.as_dict())
            zh += [r] if CORPORA[name].lang == "zh" else []
        if len(zh) > 1:
            print(format_result(pooled(zh)), flush=True)
            results.append(pooled(zh).as_dict())
    if out is not None:
        out.write_text(json.dumps({"limit": limit, "results": results}, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(app())
