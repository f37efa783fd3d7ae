"""`evaluate` (against gold, in-sample or out of fold) and `evaluate-corpus` (public corpora)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pipeline.cli.common import app, console


@app.command()
def evaluate(
    gold: Annotated[
        list[Path],
        typer.Option(
            "--gold", help="Gold annotations, one JSON object per release (samples/gold.jsonl format); repeatable with --cv."
        ),
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


@app.command("evaluate-corpus")
def evaluate_corpus_command(
    corpus: Annotated[
        str, typer.Option("--corpus", help="Comma-separated: conll2003, msra, peoples_daily, weibo, resume, cluener (or all).")
    ],
    datasets: Annotated[Path, typer.Option("--datasets", help="Folder of the public corpora (conll2003_en/, msra_ner/, ...).")],
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Score only the first N sentences of each test split.")
    ] = None,
    backend: Annotated[str, typer.Option("--backend", help="Chinese tagger(s), comma-separated: lac, model, both.")] = "lac",
    rules: Annotated[
        bool, typer.Option("--rules/--no-rules", help="With our press-release rules (as shipped), or the bare taggers.")
    ] = True,
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
