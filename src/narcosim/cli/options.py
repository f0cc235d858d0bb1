"""Parsers shared by the commands' options, and the progress bar of their long jobs."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from narcosim.cli.output import ResumeEtaColumn
from narcosim.errors import ParameterError
from narcosim.scenario.limits import check_horizon

#: ``--store`` of every command that reads the atlas.
StoreOption = Annotated[Path | None, typer.Option(
    "--store", help="Atlas store file (default: $NARCOSIM_HOME/atlas.duckdb, else the "
    "per-user data folder).", dir_okay=False)]

#: ``--max-memory`` of the commands that run the model (run, ensemble, compare).
MaxMemoryOption = Annotated[str | None, typer.Option(
    "--max-memory", help="Refuse, before starting, a job estimated to need more memory than "
    "this (e.g. 8G, 512MiB; default: 80% of the memory available now).")]


def int_list(text: str, option: str) -> tuple[int, ...]:
    """Parse ``2015-2023`` (a range, ends included) or ``2015,2016`` into whole numbers.

    Raises:
        ParameterError: Neither form, in one line naming ``option``.
    """
    try:
        if "-" in text:
            first, last = (int(x) for x in text.split("-", 1))
            return tuple(range(first, last + 1))
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ParameterError(f"{option} {text!r}: write a range like 2015-2023 or a list "
                             "like 2015,2016") from None


def end_date(text: str | None, start: datetime.date,
             option: str = "--end") -> datetime.date | None:
    """Check an ``--end`` option: a YYYY-MM-DD date within the run horizon's bounds.

    Args:
        text: The option's value (None: not given, nothing to check).
        start: The run's first day.
        option: The option named in messages.

    Returns:
        The date, or None when not given.

    Raises:
        ParameterError: Not a date, before ``start`` or after
            :data:`~narcosim.scenario.limits.MAX_END`, in one line.
    """
    if text is None:
        return None
    try:
        end = datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise ParameterError(f"{option} {text!r}: not a date (write YYYY-MM-DD)") from None
    if end < start:
        raise ParameterError(f"{option} {end}: before the start {start}")
    check_horizon(start, end, option)
    return end


def job_progress(console: Console, unit: str,
                 remaining: ProgressColumn | None = None) -> Progress:
    """The progress bar of a long job, on ``console`` (stderr), gone when it ends.

    Description, bar, ``done/total unit``, time elapsed and time left (by default
    :class:`~narcosim.cli.output.ResumeEtaColumn`, right after a resume too).

    Args:
        console: Where to draw (the command's stderr console).
        unit: What is counted (``runs``, ``samples``, ``weeks``).
        remaining: The time-left column instead of the resume-aware one.
    """
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn(unit), TimeElapsedColumn(), remaining or ResumeEtaColumn(),
                    console=console, transient=True)


class JobBar:
    """The progress of a resumable job (ensemble, compare, sensitivity) as its callback.

    The bar appears at the job's first call (after every check has passed, so that an error
    is the only line printed), counts the runs a resume finds done as done, names each run
    as it finishes, and says what comes after the last one. Use it as a context manager; it
    stops the bar on the way out.

    Args:
        console: Where to draw (stderr).
        unit: What is counted (``runs``, ``samples``).
        backend: Shown until the first run finishes when nothing was done before.
        total: Runs expected (the job's first call may correct it).
        describe: The description after a run, from its record.
        finishing: The description once all runs are done, if more work follows.
    """

    def __init__(self, console: Console, unit: str, backend: str, total: int,
                 describe: Callable[[dict[str, Any]], str], finishing: str | None = None) -> None:
        self.bar = job_progress(console, unit)
        self.task = self.bar.add_task("starting", total=total)
        self.backend, self.describe, self.finishing = backend, describe, finishing
        self.started = False

    def __call__(self, done: int, total: int, record: dict[str, Any] | None) -> None:
        """The job's progress callback: ``record`` is None at the start, then each run's."""
        if record is None:  # the start: runs already finished count as done
            self.bar.start()
            self.started = True
            self.bar.reset(self.task, completed=done, total=total, resumed=done,
                           description=f"{done} already done" if done else self.backend)
            return
        self.bar.update(self.task, completed=done, description=self.describe(record))
        if self.finishing and done >= total:  # what follows takes a while: say so
            self.bar.update(self.task, description=self.finishing)

    def __enter__(self) -> JobBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.started:
            self.bar.stop()
