"""Shared ``--json`` and ``--top`` options, and how a command prints its results as JSON.

With ``--json`` a command prints exactly one JSON object on stdout (UTF-8, NaN and
infinities as null, keys documented in ``docs/cli-json.md``) and nothing else there:
progress bars, spinners and notes stay on stderr, so ``narcosim X --json | jq`` works.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

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
