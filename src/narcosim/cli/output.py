"""Shared ``--json`` and ``--top`` options, and how a command prints its results as JSON.

With ``--json`` a command prints exactly one JSON object on stdout (UTF-8, NaN and
infinities as null, keys documented in ``docs/cli-json.md``) and nothing else there:
progress bars, spinners and notes stay on stderr, so ``narcosim X --json | jq`` works.
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.progress import ProgressColumn, Task
from rich.text import Text

from narcosim.errors import ParameterError

JsonOption = Annotated[bool, typer.Option(
    "--json", help="Print the results as one JSON object on stdout (keys: docs/cli-json.md).")]
TopOption = Annotated[int, typer.Option("--top", help="Rows listed (0: all).")]


def print_json(data: Any) -> None:
    """Write ``data`` as one JSON document on stdout (numpy and pandas values made plain)."""
    from narcosim.run.manifest import jsonable

    sys.stdout.write(json.dumps(jsonable(data), ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def check_top(top: int, option: str = "--top") -> int:
    """Check a ``--top`` value (>= 0; 0 means all) and return it.

    Raises:
        ParameterError: A negative value, in one line.
    """
    if top < 0:
        raise ParameterError(f"{option} {top}: use 0 (all) or more")
    return top


def cut(rows: list[Any], top: int) -> list[Any]:
    """The first ``top`` rows (all of them when ``top`` is 0)."""
    return rows if top == 0 else rows[:top]


class ResumeEtaColumn(ProgressColumn):
    """Time left at this session's own pace, right after a resume too.

    rich's ``TimeRemainingColumn`` divides by a speed measured over the last 30 s, which is
    unknown when one run takes longer than that, and a resumed task starts with its earlier
    runs already done. This column uses the runs finished since the task (re)started: time
    left = runs left x elapsed / runs done here. Give ``resumed=<runs already done>`` when
    resetting the task (``Progress.reset(task, completed=done, resumed=done)``).
    """

    def render(self, task: Task) -> Text:
        """The time left as ``H:MM:SS``, or ``-:--:--`` before the first run of this session."""
        made = task.completed - float(task.fields.get("resumed", 0))
        elapsed = task.elapsed
        if task.total is None or not elapsed or made <= 0:
            return Text("-:--:--", style="progress.remaining")
        left = max(0.0, (task.total - task.completed) * elapsed / made)
        return Text(str(timedelta(seconds=round(left))), style="progress.remaining")
