"""How much memory a run, ensemble or comparison will take, checked before anything starts.

A run's peak resident memory grows with its weekly steps (the results arrays, one row per
step) and with its agents (people who use drugs / scale), and the agents' share grows with
the steps as people start using over the horizon. :func:`estimate_run_bytes` is a fit to
measured peaks (below); an ensemble or comparison holds one run per worker plus its own
process. A job whose estimate is above ``--max-memory`` (default: a share of the memory
available now) is refused in one line, so ``--scale 1 --end 2050-12-31`` on a small
machine says so instead of being killed by the kernel half way.
"""

from __future__ import annotations

import math
import re
from datetime import date

import psutil

from narcosim.core.time import Duration
from narcosim.errors import ParameterError

#: Measured: peak resident set of ``narcosim run`` (``/usr/bin/time -f %M``; the default
#: scenario, its summary and report included) on this project's 2-core machine, 2026-12-03,
#: in MB at (scale, weeks): 498 (1:10,000, 26), 667 (1:10,000, 314), 957 (1:10,000, 1,096),
#: 1,239 (1:10,000, 1,879), 499 (1:1,000, 26), 910 (1:1,000, 835), 499 (1:100, 26),
#: 684 (1:100, 314), 895 (1:100, 835), 521 (1:30, 26), 583 (1:10, 26), 700 (1:10, 105),
#: 700 (1:3, 13), 945 (1:3, 209), 1,275 (1:1, 9), 1,276 (1:1, 53). Least-squares fit of
#: ``base + step * weeks + (agent + agent_step * weeks) / scale``; largest miss 8.7%.
BASE_BYTES = 511e6
#: Results arrays and the tidy results frame, per weekly step (fit above).
STEP_BYTES = 0.41e6
#: Agents at 1:1 (people who use drugs), per unit of 1/scale (fit above).
AGENT_BYTES = 701e6
#: Growth of the agents' share per step at 1:1 (fit above).
AGENT_STEP_BYTES = 1.48e6
#: guess: margin on the fit, range 1.1-1.5 (the fit's largest miss is 8.7%; scenarios
#: with levers add modules and arrays).
MARGIN = 1.25
#: guess: share of the memory available when the job starts that it may plan to use by
#: default, range 0.5-0.9 (the rest for the system, other users and page cache).
DEFAULT_SHARE = 0.8
#: The largest ``--max-memory`` accepted (1 PiB), so that a typo is not taken as a limit.
MAX_LIMIT = 2**50

_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "kib": 2**10, "m": 1e6, "mb": 1e6,
          "mib": 2**20, "g": 1e9, "gb": 1e9, "gib": 2**30, "t": 1e12, "tb": 1e12,
          "tib": 2**40}


def run_steps(start: date, end: date) -> int:
    """Weekly steps from ``start`` to ``end`` (the last day a step may start)."""
    weeks = Duration((end - start).days, "days").to("weeks").value
    return max(math.floor(weeks) + 1, 1)


def estimate_run_bytes(scale: int, steps: int) -> int:
    """Estimated peak resident memory of one run, margin included.

    Args:
        scale: Real people per agent.
        steps: Weekly steps.

    Returns:
        Bytes.
    """
    agents = (AGENT_BYTES + AGENT_STEP_BYTES * steps) / max(int(scale), 1)
    return int(MARGIN * (BASE_BYTES + STEP_BYTES * steps + agents))


def estimate_pool_bytes(scale: int, steps: int, workers: int, members: int) -> int:
    """Estimated peak of an ensemble or comparison: its own process and one run a worker.

    Args:
        scale: Real people per agent.
        steps: Weekly steps of each member.
        workers: Worker processes asked for.
        members: Members still to run (no more workers than members are started).

    Returns:
        Bytes.
    """
    return estimate_run_bytes(scale, steps) * (1 + max(min(workers, members), 1))


def available_bytes() -> int:
    """Memory available to new processes now (``psutil.virtual_memory().available``)."""
    return int(psutil.virtual_memory().available)


def default_max_memory() -> int:
    """The default ``--max-memory``: :data:`DEFAULT_SHARE` of the memory available now."""
    return int(DEFAULT_SHARE * available_bytes())


def fmt_bytes(value: float) -> str:
    """Bytes as ``1.2 GB`` (decimal units)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value / 1e3:.0f} kB"


def parse_memory(text: str | None, option: str = "--max-memory") -> int | None:
    """Parse a memory size: ``4G``, ``1.5GB``, ``512MiB``, ``2000000000``.

    Args:
        text: The option's value (None: not given).
        option: Named in the message.

    Returns:
        Bytes, or None when not given.

    Raises:
        ParameterError: Not a size, not finite, zero or negative, or above 1 PiB.
    """
    if text is None:
        return None
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)\s*", text.lower())
    if match is None or match.group(2) not in _UNITS:
        raise ParameterError(f"{option} {text!r}: write a size like 4G, 1.5GB or 512MiB")
    value = float(match.group(1)) * _UNITS[match.group(2)]
    if not math.isfinite(value) or not 1 <= value <= MAX_LIMIT:
        raise ParameterError(f"{option} {text!r}: must be from 1 byte to 1 PiB")
    return int(value)


def check_memory(need: int, limit: int | None, what: str) -> None:
    """Refuse, in one line, a job whose estimated memory is above the limit.

    Args:
        need: Estimated bytes (:func:`estimate_run_bytes` or :func:`estimate_pool_bytes`).
        limit: ``--max-memory`` in bytes; None for :func:`default_max_memory`.
        what: The job, e.g. ``run at 1:1, 1,880 weeks``.

    Raises:
        ParameterError: ``need`` is above the limit.
    """
    given = limit is not None
    limit = default_max_memory() if limit is None else limit
    if need > limit:
        whose = "--max-memory" if given else (f"{DEFAULT_SHARE:.0%} of the memory available "
                                              "now (--max-memory)")
        raise ParameterError(f"{what} needs about {fmt_bytes(need)} of memory, more than "
                             f"{fmt_bytes(limit)} ({whose}); use a larger --scale, a shorter "
                             "horizon or fewer --workers, or raise --max-memory")
