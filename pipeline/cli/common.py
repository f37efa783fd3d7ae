"""What every command shares: the typer app, the stderr console, the progress bars."""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
            self.console.print(
                f"{self.label}: {done} after {t.elapsed or 0:,.0f} s{rate}  {t.description}", highlight=False, markup=False
            )


def batch_progress(label: str, disable: bool = False) -> Progress:
    """The progress line of a batch: releases done of all, time, the file or stage at work."""
    return _LoggedProgress(
        label,
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
        console=console,
        disable=disable,
        transient=True,
    )


def whole_batch(progress: Progress, task):
    """on_stage callback: a corpus stage works on the whole batch, with no count to show (minutes at 100k)."""
    return lambda name: progress.update(task, total=None, description=f"{name}: the whole batch")
