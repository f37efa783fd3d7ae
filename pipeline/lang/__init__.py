"""Per-language word lists (`pipeline/lang/<code>/<name>.tsv`): rules that are data, kept out of the code.

Each file starts with `#` lines saying where its words came from, then a tab-separated header
line and one row per word. Columns other than the first are flags (`1` or empty) saying which
caller uses the row, where callers have so far used different subsets. Read through
importlib.resources, so an installed wheel finds them. The relation types' rules (regexes, Matcher
patterns) are JSONL files in `rel/`, read by pipeline/relations/types/base.py.
"""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def table(lang: str, name: str) -> tuple[dict[str, str], ...]:
    """The rows of `lang/<lang>/<name>.tsv` as dicts keyed by its header (comment lines skipped)."""
    text = resources.files(__name__).joinpath(lang, f"{name}.tsv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    header = lines[0].split("\t")
    return tuple(dict(zip(header, (cell.strip() for cell in line.split("\t")))) for line in lines[1:])


@cache
def words(lang: str, name: str, flag: str | None = None) -> frozenset[str]:
    """The first column of `lang/<lang>/<name>.tsv`, lower-cased; with `flag`, only the rows flagged `1` in that column."""
    rows = table(lang, name)
    if not rows:
        return frozenset()
    first = next(iter(rows[0]))
    return frozenset(r[first].lower() for r in rows if flag is None or r.get(flag) == "1")


@cache
def column(lang: str, name: str, flag: str | None = None) -> tuple[str, ...]:
    """The first column of `lang/<lang>/<name>.tsv` as written (case kept), in the file's order; with `flag`, only
    the rows flagged `1` in that column. For callers that need order (the first match wins) or a tuple."""
    rows = table(lang, name)
    if not rows:
        return ()
    first = next(iter(rows[0]))
    return tuple(r[first] for r in rows if flag is None or r.get(flag) == "1")


def files() -> list[str]:
    """Every list shipped, as `<lang>/<name>` (for the tests: each must say where it came from)."""
    root = resources.files(__name__)
    return sorted(
        f"{d.name}/{f.name[:-4]}"
        for d in root.iterdir()
        if d.is_dir() and not d.name.startswith("_")
        for f in d.iterdir()
        if f.name.endswith(".tsv")
    )
