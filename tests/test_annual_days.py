"""Day-weighted annual totals: a year with 53 weekly step starts is not inflated.

From 1 January 2015, weekly steps start 53 times in 2015, 2020 and 2026. Summing the steps
that start in a year counts 371 days for those years; the totals must instead hold exactly
the year's 365 or 366 days, as CDC's annual counts and CBP's fiscal years do. The reference
is a daily rate summed day by day over each calendar (or fiscal) year.
"""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from narcosim.core.time import (
    Timeline,
    annual_frame_sums,
    split_steps_by_year,
    step_days,
    year_weights,
)
from narcosim.errors import ParameterError
from narcosim.model.people import DEATH_KEYS
from narcosim.report.run_data import annual_array

YEARS = list(range(2015, 2027))
TIMELINE = Timeline("2015-01-01", "2026-12-31")


def _daily_rate(day: date) -> float:
    """A daily rate with a trend and a season (deaths a day, say)."""
    t = (day - date(2015, 1, 1)).days
    return 100.0 + 0.02 * t + 10.0 * np.sin(2 * np.pi * t / 365.25)


def _per_step(timeline: Timeline) -> np.ndarray:
    """Each step's value: the daily rate summed over the step's own days."""
    out = []
    for d in timeline.dates.astype(date):
        out.append(sum(_daily_rate(d + timedelta(days=k)) for k in range(timeline.dt_days)))
    return np.array(out)


def _reference(year: int, fiscal: bool = False) -> float:
    first, last = (date(year - 1, 10, 1), date(year, 9, 30)) if fiscal else (
        date(year, 1, 1), date(year, 12, 31))
    return sum(_daily_rate(first + timedelta(days=k)) for k in range((last - first).days + 1))


def test_53_step_years_exist_and_old_sums_inflate_them():
    starts = pd.Series(TIMELINE.years).value_counts()
    assert sorted(y for y in YEARS if starts[y] == 53) == [2015, 2020, 2026]
    ones = np.ones(TIMELINE.n_steps)
    naive = {y: 7 * ones[TIMELINE.years == y].sum() for y in (2020, 2026)}
    assert naive == {2020: 371, 2026: 371}  # what the step-start sums counted


def test_constant_rate_gives_each_year_its_days():
    got = TIMELINE.annual(np.full(TIMELINE.n_steps, 7.0), YEARS)  # one a day
    days = [366 if y % 4 == 0 else 365 for y in YEARS]
    np.testing.assert_allclose(got, days, rtol=0, atol=1e-9)


def test_2020_and_2026_match_a_daily_rate_reference():
    per_step = _per_step(TIMELINE)
    got = dict(zip(YEARS, TIMELINE.annual(per_step, YEARS), strict=True))
    for year in YEARS:
        ref = _reference(year)
        # within a step the rate is treated as even: error far below one day's share
        assert got[year] == pytest.approx(ref, rel=2e-5), year
    for year in (2020, 2026):
        inflated = per_step[TIMELINE.years == year].sum()
        assert inflated / _reference(year) - 1 > 0.012  # the old bias, ~1.4-1.6%
        assert abs(got[year] / _reference(year) - 1) < 2e-5


def test_fiscal_years_match_a_daily_rate_reference():
    per_step = _per_step(TIMELINE)
    fys = list(range(2016, 2027))
    got = TIMELINE.annual(per_step, fys, fiscal=True)
    for fy, value in zip(fys, got, strict=True):
        assert value == pytest.approx(_reference(fy, fiscal=True), rel=2e-5), fy


def test_a_straddling_week_is_split_by_its_days():
    year, this, later = split_steps_by_year(np.array(["2015-12-29", "2020-09-28"],
                                                   dtype="datetime64[D]"), 7)
    assert list(year) == [2015, 2020]
    np.testing.assert_allclose(this, [3 / 7, 1.0])
    np.testing.assert_allclose(later, [4 / 7, 0.0])
    _, fthis, fnext = split_steps_by_year(np.array(["2020-09-28"], dtype="datetime64[D]"), 7,
                                          fiscal=True)
    np.testing.assert_allclose([fthis[0], fnext[0]], [3 / 7, 4 / 7])
    weights = year_weights(TIMELINE.dates, 7, YEARS)
    np.testing.assert_allclose(weights[:, :-1].sum(axis=0), 1.0)  # every day counted once
    with pytest.raises(ParameterError, match="step length"):
        split_steps_by_year(TIMELINE.dates, 0)


def test_tidy_results_and_report_arrays_are_day_weighted():
    """The report's annual arrays (tidy results) agree with the timeline's totals."""
    per_step = _per_step(TIMELINE)
    states = ["CA", "TX"]
    rows = pd.DataFrame({
        "date": np.repeat(pd.DatetimeIndex(TIMELINE.dates), len(states)),
        "module": "people", "metric": "expected_deaths", "drug": "fentanyl",
        "state": states * TIMELINE.n_steps,
        "value": np.repeat(per_step, len(states)) * np.tile([1.0, 0.5], TIMELINE.n_steps),
    })
    assert step_days(rows["date"]) == 7
    sums = annual_frame_sums(rows, ["drug", "state"], 7)
    assert sums.loc[("fentanyl", 2020, "CA")] == pytest.approx(_reference(2020), rel=2e-5)
    arr, order = annual_array(rows, YEARS, states=states)
    assert order == tuple(states)
    d = DEATH_KEYS.index("fentanyl")
    expected = TIMELINE.annual(per_step, YEARS)
    np.testing.assert_allclose(arr[d, :, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(arr[d, :, 1], expected / 2, rtol=1e-12)


def test_money_by_year_and_the_money_pages_are_day_weighted():
    """US revenue by year, the money Sankey's and the world map's year: by days, not weeks."""
    from types import SimpleNamespace

    from narcosim.core.time import full_years
    from narcosim.model.money import revenue_by_year
    from narcosim.report.money_sankey import money_rows

    per_step = _per_step(TIMELINE) * 1e6  # dollars a step
    ops, drugs = 2, 3
    revenue = per_step[:, None, None] * np.full((ops, drugs), 1.0 / (ops * drugs))
    sim = SimpleNamespace(timeline=TIMELINE, results={"money": {"revenue_usd": revenue}})
    by_year = revenue_by_year(sim)
    assert sorted(by_year) == YEARS
    for year in (2020, 2023, 2026):
        ref = _reference(year) * 1e6
        assert by_year[year] == pytest.approx(ref, rel=2e-5), year
    assert per_step[TIMELINE.years == 2020].sum() / (_reference(2020) * 1e6) - 1 > 0.012
    rows = pd.DataFrame({"date": pd.DatetimeIndex(TIMELINE.dates), "module": "money",
                         "metric": "revenue_usd", "value": per_step})
    picked, year = money_rows(rows, 2020)
    assert year == 2020 and picked["value"].sum() == pytest.approx(by_year[2020], rel=1e-12)
    # the default year is the last the run covers day for day: 2026 ends on 31 December
    assert money_rows(rows)[1] == max(full_years(TIMELINE.dates, 7)) == 2026
    assert full_years(TIMELINE.dates[:-1], 7)[-1] == 2025  # a week short of 2026's end
