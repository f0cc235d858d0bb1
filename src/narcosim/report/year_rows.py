"""One calendar year of a run's tidy per-step rows, day-weighted.

The report pages that draw one year (the money Sankey, the world map) sum weekly flows into
that year the way the annual totals do (:func:`narcosim.core.time.annual_frame_sums`): a
week across New Year counts in each year by its days, so a year with 53 step starts is not
inflated by a 53rd week and the page agrees with ``summary.json``.
"""

from __future__ import annotations

import pandas as pd

from narcosim.core.time import full_years, split_steps_by_year, step_days
from narcosim.errors import ParameterError


def year_rows(rows: pd.DataFrame, year: int | None, what: str) -> tuple[pd.DataFrame, int]:
    """The rows whose steps have days in ``year``, each value scaled to those days.

    Args:
        rows: Tidy per-step rows with ``date`` (the step's first day) and ``value``.
        year: Calendar year (default: the last year whose every day the rows cover, else the
            last year).
        what: What the rows are, for the error (``"money"``, ``"export"``).

    Returns:
        The rows of the year (a copy, ``value`` day-weighted) and the year.

    Raises:
        ParameterError: No rows, or none with days in ``year``.
    """
    dates = pd.to_datetime(rows["date"]).to_numpy()
    dt = step_days(dates)
    first, this, later = split_steps_by_year(dates, dt)
    if year is None:
        full = full_years(pd.unique(dates), dt)
        year = max(full) if full else int(first.max())
    share = (first == year) * this + (first + 1 == year) * later
    picked = rows[share > 0].copy()
    if picked.empty:
        raise ParameterError(f"no {what} results in {year} (the run covers "
                             f"{int(first.min())}-{int(first.max())})")
    picked["value"] = picked["value"].to_numpy(dtype=float) * share[share > 0]
    return picked, int(year)
