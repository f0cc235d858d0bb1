"""National annual bands of an ensemble: each member's state results summed, then quantiles.

``bands_annual.parquet`` holds a band per state, and the quantiles of states cannot be added
up into a national quantile. Here each member's flow metrics that have a ``state`` dimension
are summed over the states first, day-weighted by calendar year (a weekly step straddling
New Year counts in each year by its days there, as in ``bands_annual.parquet``), and the
statistics are taken across members of those national totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from narcosim.core.time import split_steps_by_year, step_days
from narcosim.errors import StoreError
from narcosim.run.bands import KEY_COLUMNS, _stats

__all__ = ["national_annual_bands"]


def _year_days(dates: np.ndarray, step: int) -> pd.Series:
    """Days of each calendar year the steps starting on ``dates`` cover."""
    year, share, share_next = split_steps_by_year(dates, step)
    days = pd.concat([pd.Series(share * step, index=year),
                      pd.Series(share_next * step, index=year + 1)])
    days = days[days > 0]
    return np.rint(days.groupby(level=0).sum()).astype(np.int64)


def _member_totals(path: Path, flows: set[tuple[str, str]]) -> tuple[pd.Series, pd.Series]:
    """One member's national annual totals of its flow metrics with states, and year days."""
    try:
        frame = pq.read_table(path, filters=[("state", "!=", "")]).to_pandas()
    except (OSError, pa.ArrowException) as error:
        raise StoreError(f"cannot read member results {path}: {error}") from None
    pairs = pd.MultiIndex.from_frame(frame[["module", "metric"]].astype(str))
    frame = frame[pairs.isin(list(flows))]
    dims = [c for c in frame.columns if c not in (*KEY_COLUMNS, "state", "value")]
    dates = pd.DatetimeIndex(frame["date"]).to_numpy()
    year, share, share_next = split_steps_by_year(dates, step_days(frame["date"]))
    keys = frame[["module", "metric", *dims]].astype(object).reset_index(drop=True)
    value = frame["value"].to_numpy(np.float64)
    later = share_next > 0
    both = pd.concat([keys.assign(year=year, value=value * share),
                      keys[later].assign(year=year[later] + 1,
                                         value=(value * share_next)[later])],
                     ignore_index=True)
    group = ["year", "module", "metric", *dims]
    sums = both.groupby(group, dropna=False, sort=True)["value"].sum(min_count=1)
    return sums, _year_days(np.unique(dates), step_days(frame["date"]))


def national_annual_bands(
    files: Sequence[Path], flows: Sequence[Sequence[str]], quantiles: Sequence[float],
) -> pd.DataFrame:
    """National annual bands of an ensemble's members.

    Args:
        files: The members' result files (``runs/run-<member>.parquet``).
        flows: The ``[module, metric]`` pairs that are flows per step (a member's
            ``run-<member>.json`` lists them); levels are not summed over a year.
        quantiles: The quantiles to report (``ensemble.json`` → ``quantiles``).

    Returns:
        ``year, module, metric, <dims>, days, n, mean, q<level>…``: one row per year, flow metric
        that has a ``state`` dimension, and cell of its other dimensions (``drug`` for
        deaths), the states summed; ``days`` is the days of the year the run covers (fewer where the
        horizon cuts it: a year's share of a step that straddles New Year).

    Raises:
        StoreError: A member file that cannot be read, or members with different rows.
    """
    wanted = {(str(m), str(x)) for m, x in flows}
    read = [_member_totals(Path(f), wanted) for f in files]
    if not read:
        raise StoreError("no members to sum")
    totals = [sums for sums, _ in read]
    index = totals[0].index
    if any(not t.index.equals(index) for t in totals[1:]):
        raise StoreError("members of one ensemble hold different rows; they must share a "
                         "scenario")
    values = np.stack([t.to_numpy(np.float64) for t in totals])
    out = index.to_frame(index=False)
    for name, column in _stats(values, quantiles).items():
        out[name] = column
    out["year"] = out["year"].astype(np.int64)
    for col in out.columns[1:index.nlevels]:
        out[col] = out[col].astype("string")
    out.insert(index.nlevels, "days", out["year"].map(read[0][1]).astype(np.int64))
    return out
