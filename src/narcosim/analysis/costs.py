"""Cost uncertainty in comparisons: every member's lever costs drawn within their ranges.

A lever's cost in a run is booked at its point values (``annual_cost`` a year while active,
plus ``unit_cost`` on what a naloxone or treatment programme delivers; see
:mod:`narcosim.interventions.base` and :mod:`narcosim.interventions.delivery`). Both are linear
in their cost, so a member's cost at other values follows from the booked one without rerunning:

* the flat part is ``annual_cost × dt/365.25`` for each step of the window that falls in the
  lever's dates (with intensity > 0), so at a drawn annual cost ``A`` it is ``A × dt/365.25``
  per such step;
* the per-unit part is the rest of the booked cost, scaled by ``drawn unit cost / unit_cost``.

Each value is drawn from a **triangular** distribution on its ``[low, high]`` range with its
mode at the point value (a cost without a range is exact). The uniform behind each draw comes
from the named stream :data:`COST_STREAM` of the **member seed** (:class:`narcosim.core.random.
Stream`), keyed by the lever kind and the cost field (``"naloxone.unit_cost"``): the same lever
kind draws the same uniform in every arm of a member (common random numbers for costs; a
comparison of two naloxone arms is not blurred by independent price draws), and each
intervention maps that uniform through its own range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from narcosim.analysis.measures import INTERVENTION_PREFIX, Window
from narcosim.core.random import INIT_STEP, Stream
from narcosim.core.time import Duration
from narcosim.errors import StoreError
from narcosim.interventions.config import CONFIG_BY_KIND, InterventionConfig

#: The named stream every member's cost draws come from.
COST_STREAM = "compare.cost"
#: Step length when a member has a single step (the design's weekly step).
DEFAULT_DT_DAYS = 7
COST_COLUMNS = ["intervention", "label", "kind", "booked_usd", "drawn_usd"]


def triangular_ppf(u: float, low: float, mode: float, high: float) -> float:
    """The ``u`` quantile of the triangular distribution on ``[low, high]`` with ``mode``.

    Args:
        u: A probability in [0, 1].
        low: Lower bound.
        mode: The most likely value, ``low <= mode <= high``.
        high: Upper bound.

    Returns:
        The quantile; ``mode`` itself when ``low == high``.
    """
    if high <= low:
        return float(mode)
    width = high - low
    if u * width < mode - low:
        return float(low + math.sqrt(u * width * (mode - low)))
    return float(high - math.sqrt((1.0 - u) * width * (high - mode)))


def configs_of(interventions: Sequence[Mapping[str, Any]]) -> list[InterventionConfig]:
    """Validated configs from an arm's JSON-ready intervention dicts."""
    return [CONFIG_BY_KIND[str(c["kind"])].model_validate(dict(c)) for c in interventions]


def cost_uniforms(configs: Sequence[InterventionConfig], seed: int) -> dict[str, float]:
    """One uniform per (lever kind, cost field) with a range, from the member's cost stream."""
    stream = Stream(COST_STREAM, int(seed))
    keys = sorted({f"{c.kind}.{name}" for c in configs
                   for name, (_, (low, high)) in c.cost_ranges().items() if high > low})
    return {key: float(stream.random(INIT_STEP, [0], key=key)[0]) for key in keys}


def drawn_value(config: InterventionConfig, name: str, uniforms: Mapping[str, float]) -> float:
    """The cost field ``name`` of ``config`` at this member's draw (the value without a range)."""
    value, (low, high) = config.cost_ranges()[name]
    key = f"{config.kind}.{name}"
    return triangular_ppf(uniforms[key], low, value, high) if key in uniforms else value


def _read_costs(path: Path) -> pd.DataFrame:
    try:
        table = pq.read_table(path, columns=["module", "metric", "date", "value"],
                              filters=[("metric", "=", "cost_usd")])
    except (OSError, pa.ArrowException) as error:
        raise StoreError(f"cannot read member results {path}: {error}") from None
    frame = table.to_pandas()
    return frame[frame["module"].astype(str).str.startswith(INTERVENTION_PREFIX)]


def member_costs(path: Path, window: Window, interventions: Sequence[Mapping[str, Any]],
                 seed: int) -> pd.DataFrame:
    """Each intervention's booked and drawn cost over the window, for one member.

    Args:
        path: The member's ``run-NNNN.parquet``.
        window: Dates to sum over (inclusive).
        interventions: The arm's interventions (JSON-ready dicts, scenario order).
        seed: The member's seed (the cost stream's seed).

    Returns:
        Frame of :data:`COST_COLUMNS`, one row per intervention in scenario order.

    Raises:
        StoreError: The file cannot be read.
    """
    configs = configs_of(interventions)
    uniforms = cost_uniforms(configs, seed)
    frame = _read_costs(path)
    days = frame["date"].dt.date
    steps = sorted(set(days))
    dt = (steps[1] - steps[0]).days if len(steps) > 1 else DEFAULT_DT_DAYS
    frame = frame[(days >= window.start) & (days <= window.end)]
    rows = []
    for i, config in enumerate(configs):
        mine = frame[frame["module"] == f"{INTERVENTION_PREFIX}{i}_{config.kind}"]
        booked = float(mine["value"].sum())
        acting = mine["date"].dt.date.between(config.start, config.end).sum() \
            if config.intensity > 0 else 0
        years_acting = float(Duration(dt, "days").to("years").value) * int(acting)
        flat = config.annual_cost * years_acting
        drawn = booked + (drawn_value(config, "annual_cost", uniforms) - config.annual_cost) \
            * years_acting
        unit = max(booked - flat, 0.0)
        point = config.cost_ranges().get("unit_cost", (0.0, (0.0, 0.0)))[0]
        if unit > 0 and point > 0:
            drawn += unit * (drawn_value(config, "unit_cost", uniforms) / point - 1.0)
        rows.append({"intervention": i, "label": config.label, "kind": config.kind,
                     "booked_usd": booked, "drawn_usd": drawn})
    return pd.DataFrame(rows, columns=COST_COLUMNS)
