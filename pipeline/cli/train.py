"""`train ner|relations|spans`: retrain an extractor from reviewed tables, promote it only if not worse."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from pipeline.cli.common import app, console


def _train_spans(gold: list[Path], extracted: Path | None, model_dir: Path) -> None:
    from pipeline.cv import read_set
    from pipeline.io.tables import Tables
    from pipeline.train.spans import train_spans

    missing = [str(g) for g in gold if not g.is_file()]
    if not gold or missing or extracted is None:
        console.print(
            "[red]train spans needs --gold FILE (repeatable) and --extracted DIR[/red]"
            f"{': no such file ' + ', '.join(missing) if missing else ''}"
        )
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
        list[Path] | None,
        typer.Option(
            "--reviewed", help="Folder written by `export-reviews --out` (repeatable): reviewed releases to learn from."
        ),
    ] = None,
    datasets: Annotated[
        Path | None, typer.Option("--datasets", help="Folder of the public corpora (Chinese NER: msra_ner/, cluener2020/, ...).")
    ] = None,
    model_dir: Annotated[
        Path | None, typer.Option("--model-dir", help="Model folder (default MODELS_DIR/ner-en, ner-zh or rel-en).")
    ] = None,
    models_dir: Annotated[
        Path | None,
        typer.Option(
            "--models-dir",
            help="Folder holding the model folders ner-en/, ner-zh/, rel-en/ "
            "(default: $MEDPR_MODELS, else the checkout's models/: where a run reads them).",
        ),
    ] = None,
    max_steps: Annotated[
        int | None,
        typer.Option(
            "--max-steps",
            help="Training steps (Chinese NER default 8,500: about 4.5 min per 1,000 on 2 cores; relations: no cap).",
        ),
    ] = None,
    epochs: Annotated[
        int | None, typer.Option("--epochs", help="Passes over the data (English NER default 15, relations 2).")
    ] = None,
    rollback: Annotated[bool, typer.Option("--rollback", help="Put the previous model back instead of training.")] = False,
    gold: Annotated[
        list[Path] | None,
        typer.Option(
            "--gold", help="spans: gold annotations (repeatable; pairs.jsonl and docs.jsonl beside each group the folds)."
        ),
    ] = None,
    extracted: Annotated[
        Path | None, typer.Option("--extracted", help="spans: tables of a `run` over the --gold releases (their candidates).")
    ] = None,
) -> None:
    """Rebuild a model. Slow (minutes to an hour on 2 cores): a command, never a test.

    English NER fine-tunes en_core_web_sm's `ner` on reviewed releases; Chinese NER trains our spaCy
    model on the public corpora (--datasets), plus reviewed releases; the relation classifier trains
    on public corpora; the span judge (spans) learns which entity candidates of a `run` over gold
    releases to keep, and is promoted when its out-of-fold entity F1 beats the bare candidates'. \
Each new model is written to candidate/ and promoted to live/ only if it is
    not worse than the current one on the same held-out data; the replaced one is kept in previous/,
    and --rollback puts it back (pipeline/train/promote.py).
    """
    if not ((what in ("ner", "relations") and lang in ("en", "zh")) or what == "spans"):
        console.print("[red]usage:[/red] train ner|relations --lang en|zh, or train spans --gold FILE --extracted DIR")
        raise typer.Exit(2)
    from pipeline.train.promote import digest
    from pipeline.train.promote import rollback as do_rollback

    names = {("ner", "en"): "ner-en", ("ner", "zh"): "ner-zh", ("relations", "en"): "rel-en", ("relations", "zh"): "rel-zh"}
    name = "span-judge" if what == "spans" else names[(what, str(lang))]
    if model_dir is None and models_dir is None:
        from pipeline.models import training_root

        try:
            models_dir = training_root()
        except FileNotFoundError as e:
            console.print(f"[red]where to train:[/red] {escape(str(e))}")
            raise typer.Exit(2) from e
    model_dir = model_dir or Path(str(models_dir)) / name
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
            console.print(
                "[red]Chinese NER trains on the public corpora:[/red] give --datasets FOLDER (with msra_ner/, cluener2020/, ...)"
            )
            raise typer.Exit(2)
        # without --reviewed: a reproducible rebuild from the public corpora, judged like any other
        decision, scores = train_zh_ner(datasets, model_dir, max_steps=max_steps or 8500, reviewed=reviewed_bins or None)
        console.print(format_scores(scores))
        console.print(("[green]promoted[/green] " if decision.promoted else "[yellow]not promoted[/yellow] ") + decision.reason)
    elif lang == "en":
        from pipeline.train.relations import format_scores as rel_scores
        from pipeline.train.relations import train_relations

        if datasets is None or not datasets.is_dir():
            console.print(
                "[red]the relation classifier trains on public corpora:[/red] give --datasets FOLDER (with redocred/, dwie/)"
            )
            raise typer.Exit(2)
        if reviewed_bins:
            console.print(
                "[yellow]reviewed releases are not used by the relation classifier yet[/yellow]: it trains on --datasets only"
            )
        result = train_relations(datasets, model_dir, epochs=float(epochs or 2), max_steps=max_steps, log=console.print)
        console.print(rel_scores(result))
        if result["promoted"]:
            console.print(
                f'live in {escape(str(model_dir / "live"))}: use it with \\[stages.relate] classifier = "filter" | "add" ...'
            )
    else:
        console.print(
            "[red]no Chinese relation classifier:[/red] no pretrained Chinese encoder ships in a pip package, and the Chinese "
            "patterns are the relate stage's only reader for zh (see pipeline/relations/README.md)"
        )
        raise typer.Exit(2)
