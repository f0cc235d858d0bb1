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
