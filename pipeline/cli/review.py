"""`review` (the web page) and `export-reviews` (decisions into training data and corrected tables)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from pipeline.cli.common import app, console


@app.command()
def review(
    extracted: Annotated[Path, typer.Option("--extracted", help="Folder of tables written by `run`.")] = Path("data/extracted"),
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0: any free port).")] = 8765,
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite file of review decisions (default: EXTRACTED/reviews.sqlite).")
    ] = None,
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to bind; keep the default to stay on this machine. Any other address gets a --token."
        ),
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
        console.print(
            f"[yellow]warning:[/yellow] listening on {escape(host)}: "
            "anyone who can reach this address and has the token can review"
        )
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
    db: Annotated[
        Path | None, typer.Option("--db", help="SQLite file of review decisions (default: EXTRACTED/reviews.sqlite).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for en.spacy, zh.spacy, reviewed.jsonl, manifest.json.")
    ] = None,
    include: Annotated[
        str, typer.Option("--include", help="reviewed (marked reviewed), decided (any decision) or all.")
    ] = "reviewed",
    apply: Annotated[
        bool,
        typer.Option(
            "--apply",
            help="Also rewrite the entities/relations/entity_links tables in EXTRACTED with the decisions applied "
            "(and the records tables, with the organisation merges and splits).",
        ),
    ] = False,
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
        console.print(
            f"exported {summary['releases']} releases ({summary['reviewed']} reviewed), {summary['entities']} entities, "
            f"{summary['relations']} relations, {summary['org_decisions']} organisation decisions -> {out}: "
            f"{', '.join(summary['files'])}"
        )
    if apply:
        from pipeline.io.output import OutputBusy

        try:
            summary = apply_reviews(extracted, db)
        except OutputBusy as e:
            console.print(f"[red]busy:[/red] {escape(str(e))}")
            raise typer.Exit(75) from e
        console.print(f"applied reviews to {extracted}: {summary}")
