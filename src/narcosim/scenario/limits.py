"""Bounds on what a scenario file or a command line may ask for.

A run's memory grows with its horizon (weeks), its population (people / scale) and,
for an ensemble, its members, so each is bounded here and refused in one line
before anything is allocated. Every bound is a guess with a range: wide enough for
any study the model can support, narrow enough that a typo (``9999-12-31``,
``--scale 9223372036854775808``, ``--runs 1000000000``) cannot exhaust memory.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from typing import Any

from narcosim.errors import ParameterError

#: First day a run may start: CDC VSRR state counts, the population table and the
#: world's data begin in 2015 (docs/model.md), so earlier days have no inputs.
MIN_START = date(2015, 1, 1)
#: guess: last day a run may reach, range 2035-2100. The model holds population and
#: fitted trends after the data (2024); 25 years past it is already a long extrapolation,
#: and it bounds a run to about 1,880 weekly steps.
MAX_END = date(2050, 12, 31)
#: guess: most real people per agent, range 1,000-100,000. At 1:10,000 Wyoming
#: (585,000 people, Census 2024) still has 58 agents; beyond, small states get none.
MAX_SCALE = 10_000
#: Seeds are unsigned 63-bit (numpy SeedSequence takes any size; manifests store int64).
MAX_SEED = 2**63 - 1
#: guess: most ensemble members, range 1,000-100,000 (each member's results are kept).
MAX_RUNS = 10_000
#: guess: most ABC-PMC generations after the first, range 20-1,000 (the packaged
#: posterior took 7; each generation reruns every particle).
MAX_GENERATIONS = 100
#: guess: most worker processes, range 64-1,024 (far beyond any machine's cores here).
MAX_WORKERS = 256
#: guess: largest magnitude of any number in a scenario file, range 1e13-1e18: thirty
#: times US GDP in dollars (2.9e13, BEA 2024), so every real cost and count fits.
MAX_NUMBER = 1e15
#: guess: largest scenario file, range 64 KiB-16 MiB (the built-ins are under 4 KiB).
MAX_TOML_BYTES = 1_000_000
#: guess: deepest nesting of tables and arrays, range 8-64 (the schema needs 4).
MAX_TOML_DEPTH = 16


def check_horizon(start: date, end: date, where: str = "scenario") -> None:
    """Refuse a horizon outside :data:`MIN_START`-:data:`MAX_END`.

    Args:
        start: First day.
        end: Last day a step may start.
        where: Named in the message (``--end``, ``scenario``).

    Raises:
        ParameterError: One line saying which bound is broken.
    """
    if start < MIN_START:
        raise ParameterError(f"{where}: start {start} is before {MIN_START}, the first day "
                             "with data")
    if end > MAX_END:
        raise ParameterError(f"{where}: end {end} is after {MAX_END}, the last day a run "
                             "may reach")


def check_dates(start: str | date, end: str | date) -> tuple[date, date]:
    """Parse and bound a run's ``--start``/``--end`` (ISO dates), in one line if bad.

    Args:
        start: First day (``YYYY-MM-DD`` or a date).
        end: Last day a step may start.

    Returns:
        The two dates.

    Raises:
        ParameterError: Not a date, end before start, or outside
            :data:`MIN_START`-:data:`MAX_END` (the message names the option).
    """
    days = []
    for value, option in ((start, "--start"), (end, "--end")):
        try:
            days.append(value if isinstance(value, date)
                        else date.fromisoformat(str(value).strip()))
        except ValueError:
            raise ParameterError(f"{option} {value!r}: not a date (write YYYY-MM-DD)") from None
    first, last = days
    if last < first:
        raise ParameterError(f"--end {last}: before the start {first}")
    check_horizon(first, first, "--start")
    check_horizon(first, last, "--end")
    return first, last


def horizon_problem(start: date | None, end: date | None) -> tuple[str, str] | None:
    """The key and message of a horizon outside the bounds, or None.

    Args:
        start: ``[scenario] start`` (None: not given).
        end: ``[scenario] end`` (None: not given).

    Returns:
        ``("start" | "end", message)`` for the first broken bound, or None.
    """
    if start is not None and start < MIN_START:
        return "start", f"{start} is before {MIN_START}, the first day with data"
    if end is not None and end > MAX_END:
        return "end", f"{end} is after {MAX_END}, the last day a run may reach"
    return None


def check_count(option: str, value: int, low: int, high: int) -> None:
    """Refuse a whole-number option outside ``low``-``high``.

    Args:
        option: The option as typed, e.g. ``--runs``.
        value: Its value.
        low: Smallest allowed.
        high: Largest allowed.

    Raises:
        ParameterError: One line naming the option and the bounds.
    """
    if isinstance(value, bool) or int(value) != value or not low <= value <= high:
        raise ParameterError(f"{option} {value}: must be a whole number from {low:,} to "
                             f"{high:,}")


def _walk(data: Any, path: tuple[Any, ...], depth: int) -> Iterator[tuple[tuple[Any, ...],
                                                                       str]]:
    if depth > MAX_TOML_DEPTH:
        yield path, f"nested more than {MAX_TOML_DEPTH} levels deep"
        return
    items: Any = (data.items() if isinstance(data, dict)
                  else enumerate(data) if isinstance(data, list) else None)
    if items is not None:
        for key, value in items:
            yield from _walk(value, (*path, key), depth + 1)
        return
    if isinstance(data, bool) or not isinstance(data, int | float):
        return
    if isinstance(data, float) and math.isnan(data):
        yield path, "nan is not a number"
    elif isinstance(data, float) and math.isinf(data):
        yield path, f"{data} is not a finite number"
    elif abs(data) > MAX_NUMBER:
        yield path, f"{data:.6g} is beyond ±{MAX_NUMBER:.0e}, the largest number allowed"


def number_problems(data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """Every non-finite or huge number in parsed TOML, and nesting past the bound.

    Walks iteratively deep only to :data:`MAX_TOML_DEPTH`, so it never recurses far.

    Args:
        data: The parsed TOML document.

    Returns:
        ``(key path, message)`` pairs, in document order.
    """
    return list(_walk(data, (), 0))


def max_depth(text: str) -> int:
    """The deepest nesting of ``[``/``{`` in TOML text, outside strings and comments.

    A cheap scan run before the parser, which recurses once per level and would
    otherwise raise RecursionError on a deeply nested file.

    Args:
        text: TOML text.

    Returns:
        The largest number of open brackets at any point.
    """
    depth = deepest = 0
    quote = ""
    comment = False
    escaped = False
    for char in text:
        if comment:
            comment = char != "\n"
        elif quote:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            comment = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(depth - 1, 0)
    return deepest
