"""Calendar time: a stepped :class:`Timeline` and typed :class:`Rate` / :class:`Duration`.

Rates and durations carry their time unit, so a model written with
``Rate(26, per="year").prob_per_step(timeline.dt_days)`` stays right when the
step length changes. Time-unit strings are parsed strictly (``day``, ``week``,
``month``, ``year``, singular or plural); anything else raises
:class:`~narcosim.errors.ParameterError`. Unit conventions are in
:mod:`narcosim.core.units` (a year is 365.25 days).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pandas as pd

from narcosim.core.units import KNOWN_WORDS
from narcosim.errors import ParameterError

ArrayLike = float | npt.NDArray[np.floating]


def time_unit_days(unit: str) -> Fraction:
    """Length in days of a time unit (``"week"`` -> 7), parsed strictly.

    Raises:
        ParameterError: ``unit`` is not day(s), week(s), month(s) or year(s).
    """
    key = unit.strip().lower() if isinstance(unit, str) else unit
    entry = KNOWN_WORDS.get(key) if isinstance(key, str) else None
    if entry is None or entry[0] != "time":
        raise ParameterError(
            f"unknown time unit {unit!r} (use day, week, month or year, singular or plural)"
        )
    return entry[1]


def _scale(value: ArrayLike, ratio: Fraction) -> ArrayLike:
    """``value * ratio`` as ``value * numerator / denominator`` (exact for whole values)."""
    if isinstance(value, int | float) and math.isfinite(value):
        return float(Fraction(value) * ratio)
    return value * ratio.numerator / ratio.denominator


def fiscal_year(d: date) -> int:
    """US federal fiscal year of a date: FY N runs from 1 Oct N-1 to 30 Sep N."""
    return d.year + 1 if d.month >= 10 else d.year


def _year_start(year: npt.NDArray[np.int64], fiscal: bool) -> npt.NDArray[np.datetime64]:
    """First day of each calendar (or US fiscal) year, as datetime64[D]."""
    first = (year - 1970 - (1 if fiscal else 0)).astype("datetime64[Y]").astype("datetime64[M]")
    return (first + (9 if fiscal else 0)).astype("datetime64[D]")


def step_days(dates: npt.ArrayLike | pd.Series) -> int:
    """The step length in days of a run's step dates (the smallest gap; 7 if one date)."""
    uniq = np.unique(pd.to_datetime(np.asarray(dates)).to_numpy())
    if len(uniq) < 2:
        return 7
    return int(np.diff(uniq).min() / np.timedelta64(1, "D"))


def split_steps_by_year(
    dates: npt.ArrayLike, dt_days: int, fiscal: bool = False
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """How each step's days fall into the year of its first day and the year after.

    A weekly step that starts on 29 December has three days in its year and four in the
    next; a value the step records is split 3/7 and 4/7 so that an annual total counts
    exactly the year's days (a year with 53 step starts, such as 2015, 2020 or 2026 from
    1 January 2015, is then not inflated by a 53rd week). Steps are at most a year long.

    Args:
        dates: The steps' first days (anything ``numpy.datetime64`` accepts).
        dt_days: Step length in days (1 to 365).
        fiscal: US fiscal years (1 October to 30 September) instead of calendar years.

    Returns:
        ``(year, share_this, share_next)``: the (fiscal) year of each step's first day, the
        share of the step's days inside it, and the share inside the year after.

    Raises:
        ParameterError: ``dt_days`` outside 1..365.
    """
    if int(dt_days) != dt_days or not 1 <= dt_days <= 365:
        raise ParameterError(f"step length {dt_days!r} days: a whole number from 1 to 365")
    days = np.asarray(dates, dtype="datetime64[D]")
    cal = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = (days.astype("datetime64[M]").astype(np.int64) % 12) + 1
    year = cal + (months >= 10) if fiscal else cal
    next_start = _year_start(year + 1, fiscal)
    inside = np.minimum((next_start - days).astype(np.int64), int(dt_days))
    this = inside / float(dt_days)
    return year.astype(np.int64), this, 1.0 - this


def year_weights(dates: npt.ArrayLike, dt_days: int, years: npt.ArrayLike,
                 fiscal: bool = False) -> npt.NDArray[np.float64]:
    """Day weights (years, steps): the share of each step's days inside each year.

    ``weights @ values`` turns per-step values (deaths, kilograms: counts over the step)
    into annual totals over exactly each year's days; see :func:`split_steps_by_year`.

    Args:
        dates: The steps' first days.
        dt_days: Step length in days.
        years: Calendar (or fiscal) years wanted, one row each.
        fiscal: US fiscal years instead of calendar years.
    """
    year, this, nxt = split_steps_by_year(dates, dt_days, fiscal)
    wanted = np.asarray(years, dtype=np.int64)[:, None]
    return (wanted == year[None, :]) * this[None, :] + (wanted == year[None, :] + 1) * nxt


def full_years(dates: npt.ArrayLike, dt_days: int, fiscal: bool = False) -> list[int]:
    """The (fiscal) years every day of which lies in one of the steps, in order.

    A run from 1 January 2015 to a last step starting on 28 December 2023 covers 2015-2023
    in full; a year with 52 step starts may still miss a day or two at its ends.

    Args:
        dates: The steps' first days.
        dt_days: Step length in days.
        fiscal: US fiscal years instead of calendar years.
    """
    year, _, _ = split_steps_by_year(dates, dt_days, fiscal)
    if not len(year):
        return []
    candidates = np.arange(int(year.min()), int(year.max()) + 1)
    covered = year_weights(dates, dt_days, candidates, fiscal).sum(axis=1) * dt_days
    length = (_year_start(candidates + 1, fiscal) - _year_start(candidates, fiscal)
              ).astype(np.int64)
    return [int(y) for y, c, n in zip(candidates, covered, length, strict=True)
            if c >= n - 1e-6]


def annual_totals(values: npt.ArrayLike, dates: npt.ArrayLike, dt_days: int,
                  years: npt.ArrayLike, fiscal: bool = False) -> npt.NDArray[np.float64]:
    """Day-weighted annual totals of per-step values along their first axis.

    Args:
        values: Per-step values, shape (steps, ...).
        dates: The steps' first days.
        dt_days: Step length in days.
        years: The years wanted.
        fiscal: US fiscal years instead of calendar years.

    Returns:
        Shape (years, ...): each year's total over its own days.
    """
    arr = np.asarray(values, dtype=float)
    weights = year_weights(dates, dt_days, years, fiscal)
    return np.tensordot(weights, arr, axes=(1, 0))


def annual_frame_sums(rows: pd.DataFrame, by: list[str], dt_days: int, fiscal: bool = False,
                      year_column: str = "year") -> pd.Series:
    """Day-weighted annual sums of tidy per-step rows (``date``, ``value``, ``by`` columns).

    Each row's value is split between the (fiscal) year of its ``date`` and the year after by
    the step's days in each (:func:`split_steps_by_year`), then summed per ``by`` and year.

    Args:
        rows: Tidy rows with ``date`` (a step's first day) and ``value``.
        by: Columns to group by besides the year.
        dt_days: Step length in days.
        fiscal: US fiscal years instead of calendar years.
        year_column: Name of the year level in the result's index.

    Returns:
        The sums, indexed by ``by`` with ``year_column`` inserted after the first column
        when ``by`` is not empty (``drug, year, state`` for ``by=["drug", "state"]``).
    """
    year, this, nxt = split_steps_by_year(pd.to_datetime(rows["date"]).to_numpy(), dt_days,
                                          fiscal)
    value = rows["value"].to_numpy(dtype=float)
    keys = rows[by].reset_index(drop=True)
    later = nxt > 0
    parts = [keys.assign(**{year_column: year, "value": value * this}),
             keys[later].assign(**{year_column: year[later] + 1,
                                   "value": value[later] * nxt[later]})]
    order = [*by[:1], year_column, *by[1:]]
    return pd.concat(parts, ignore_index=True).groupby(order, sort=True)["value"].sum()


@dataclass(frozen=True, eq=False)
class Rate:
    """A rate of events per unit time, e.g. ``Rate(26, per="year")``.

    Attributes:
        value: Events per ``per``; a number or an array (e.g. one rate per state).
        per: The time unit: ``"day"``, ``"week"``, ``"month"`` or ``"year"``.
    """

    value: ArrayLike
    per: str = "year"

    def __post_init__(self) -> None:
        time_unit_days(self.per)
        if np.any(np.asarray(self.value) < 0) or np.any(np.isnan(self.value)):
            raise ParameterError(f"rate {self.value!r} per {self.per} must be >= 0 and not NaN")

    @property
    def per_day(self) -> ArrayLike:
        """The rate in events per day."""
        return _scale(self.value, 1 / time_unit_days(self.per))

    def to(self, per: str) -> Rate:
        """The same rate expressed per another time unit."""
        return Rate(_scale(self.value, time_unit_days(per) / time_unit_days(self.per)), per)

    def per_step(self, dt_days: float) -> ArrayLike:
        """Expected events in one step of ``dt_days`` days."""
        return _scale(self.value, Fraction(dt_days) / time_unit_days(self.per))

    def prob_per_step(self, dt_days: float) -> ArrayLike:
        """Probability of at least one event in a step: ``1 - exp(-rate * dt)``."""
        return -np.expm1(-np.asarray(self.per_step(dt_days), dtype=float))

    def __repr__(self) -> str:
        return f"Rate({self.value!r} per {self.per})"


@dataclass(frozen=True, eq=False)
class Duration:
    """A length of time, e.g. ``Duration(26, "weeks")``.

    Attributes:
        value: Amount of ``unit``; a number or an array.
        unit: ``"days"``, ``"weeks"``, ``"months"`` or ``"years"`` (singular accepted).
    """

    value: ArrayLike
    unit: str = "weeks"

    def __post_init__(self) -> None:
        time_unit_days(self.unit)

    @property
    def days(self) -> ArrayLike:
        """The duration in days."""
        return _scale(self.value, time_unit_days(self.unit))

    def to(self, unit: str) -> Duration:
        """The same duration in another unit."""
        return Duration(_scale(self.value, time_unit_days(self.unit) / time_unit_days(unit)), unit)

    def steps(self, dt_days: float) -> ArrayLike:
        """The duration as a (fractional) number of steps of ``dt_days`` days."""
        return _scale(self.value, time_unit_days(self.unit) / Fraction(dt_days))

    def __repr__(self) -> str:
        return f"Duration({self.value!r} {self.unit})"


def _as_date(value: date | str, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ParameterError(f"timeline {what} {value!r} is not an ISO date (YYYY-MM-DD)") from None


class Timeline:
    """Regular steps over calendar dates; weekly by default.

    Step ``k`` covers ``[dates[k], dates[k] + dt)``. The steps start at ``start``
    and run while the step's first day is on or before ``end``. A step is
    attributed to the year, month and fiscal year of its first day.

    Args:
        start: First day of the first step.
        end: Last day a step may start on.
        dt_days: Step length in days (7 = weekly, the design's default).

    Raises:
        ParameterError: Dates unreadable, ``end`` before ``start`` or ``dt_days`` < 1.
    """

    def __init__(self, start: date | str, end: date | str, dt_days: int = 7) -> None:
        self.start = _as_date(start, "start")
        self.end = _as_date(end, "end")
        if int(dt_days) != dt_days or dt_days < 1:
            raise ParameterError(f"timeline step dt_days={dt_days!r} must be a whole number >= 1")
        if self.end < self.start:
            raise ParameterError(f"timeline end {self.end} is before its start {self.start}")
        self.dt_days = int(dt_days)
        n = (self.end - self.start).days // self.dt_days + 1
        first = np.datetime64(self.start, "D")
        self.dates: npt.NDArray[np.datetime64] = first + np.arange(n) * np.timedelta64(
            self.dt_days, "D"
        )
        idx = pd.DatetimeIndex(self.dates)
        self.years: npt.NDArray[np.int64] = idx.year.to_numpy(np.int64)
        self.months: npt.NDArray[np.int64] = idx.month.to_numpy(np.int64)
        self.fiscal_years: npt.NDArray[np.int64] = self.years + (self.months >= 10)

    @property
    def n_steps(self) -> int:
        """Number of steps."""
        return len(self.dates)

    @property
    def dt(self) -> Duration:
        """The step length as a :class:`Duration` in days."""
        return Duration(self.dt_days, "days")

    def _check(self, step: int) -> int:
        if not 0 <= step < self.n_steps:
            raise ParameterError(f"step {step} is outside the timeline (0..{self.n_steps - 1})")
        return int(step)

    def date_of(self, step: int) -> date:
        """First day of a step."""
        return self.start + timedelta(days=self._check(step) * self.dt_days)

    def year_of(self, step: int) -> int:
        """Calendar year of a step's first day."""
        return int(self.years[self._check(step)])

    def fiscal_year_of(self, step: int) -> int:
        """US fiscal year (starting 1 October) of a step's first day."""
        return int(self.fiscal_years[self._check(step)])

    def step_of(self, d: date | str) -> int:
        """Index of the step whose interval contains day ``d``.

        Raises:
            ParameterError: ``d`` falls outside the timeline.
        """
        day = _as_date(d, "date")
        k = (day - self.start).days // self.dt_days
        if not 0 <= k < self.n_steps:
            raise ParameterError(f"date {day} is outside the timeline {self.start}..{self.end}")
        return k

    def steps_in_year(self, year: int) -> npt.NDArray[np.intp]:
        """Indices of the steps attributed to a calendar year."""
        return np.flatnonzero(self.years == year)

    def steps_in_fiscal_year(self, fy: int) -> npt.NDArray[np.intp]:
        """Indices of the steps attributed to a US fiscal year."""
        return np.flatnonzero(self.fiscal_years == fy)

    def annual(self, values: npt.ArrayLike, years: npt.ArrayLike,
               fiscal: bool = False) -> npt.NDArray[np.float64]:
        """Day-weighted annual totals (years, ...) of per-step values (steps, ...).

        See :func:`annual_totals`: a step that straddles New Year (or 1 October) counts in
        each year by its days there, so a year with 53 step starts is not inflated.
        """
        return annual_totals(values, self.dates, self.dt_days, years, fiscal)

    def to_frame(self) -> pd.DataFrame:
        """One row per step: ``step, date, year, month, fiscal_year``."""
        return pd.DataFrame(
            {
                "step": np.arange(self.n_steps),
                "date": pd.DatetimeIndex(self.dates),
                "year": self.years,
                "month": self.months,
                "fiscal_year": self.fiscal_years,
            }
        )

    def __len__(self) -> int:
        return self.n_steps

    def __repr__(self) -> str:
        kind = "weekly" if self.dt_days == 7 else f"{self.dt_days}-day"
        last = self.dates[-1]
        return f"Timeline({self.start} → {last}, {self.n_steps} {kind} steps)"
