"""Timeline over calendar dates, fiscal years, typed rates and durations."""

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from narcosim.core import Duration, Rate, Timeline, fiscal_year, time_unit_days
from narcosim.errors import ParameterError

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def test_weekly_dates():
    tl = Timeline(date(2015, 1, 1), date(2026, 12, 31))
    assert tl.dt_days == 7
    gaps = np.diff(tl.dates).astype("timedelta64[D]").astype(int)
    assert set(gaps.tolist()) == {7}
    assert tl.dates[0] == np.datetime64("2015-01-01")
    # the last step starts within a week of the end and not after it
    last = tl.date_of(tl.n_steps - 1)
    assert last <= date(2026, 12, 31) < last + timedelta(7)
    assert tl.n_steps == (date(2026, 12, 31) - date(2015, 1, 1)).days // 7 + 1
    assert tl.year_of(0) == 2015 and tl.year_of(tl.n_steps - 1) == 2026
    assert tl.step_of("2015-01-07") == 0 and tl.step_of("2015-01-08") == 1
    assert len(tl.steps_in_year(2016)) in (52, 53)
    assert "weekly steps" in repr(tl)


def test_fiscal_year_starts_in_october():
    assert fiscal_year(date(2018, 9, 30)) == 2018
    assert fiscal_year(date(2018, 10, 1)) == 2019
    tl = Timeline("2018-09-27", "2019-10-10")
    assert tl.fiscal_year_of(tl.step_of("2018-09-27")) == 2018
    assert tl.fiscal_year_of(tl.step_of("2018-10-04")) == 2019
    assert tl.fiscal_year_of(tl.step_of("2019-10-03")) == 2020
    fy19 = tl.steps_in_fiscal_year(2019)
    assert tl.date_of(int(fy19[0])) >= date(2018, 10, 1)
    assert tl.date_of(int(fy19[-1])) <= date(2019, 9, 30)


def test_fiscal_months_match_cbp_seizure_file(data_dir):
    """The (FY, month) pairs of Oct 2018 - Sep 2023 are exactly those CBP reports."""
    cbp = pd.read_csv(data_dir / "cbp_nationwide_drug_seizures_fy2019_fy2023.csv")
    pairs = zip(cbp["FY"], cbp["Month (abbv)"], strict=True)
    cbp_pairs = {(int(fy), MONTHS.index(m) + 1) for fy, m in pairs}
    frame = Timeline("2018-10-01", "2023-09-30", dt_days=1).to_frame()
    ours = set(zip(frame["fiscal_year"].tolist(), frame["month"].tolist(), strict=True))
    assert ours == cbp_pairs
    assert len(ours) == 60


def test_rate_per_step_and_probability():
    rate = Rate(26, per="year")
    assert rate.per_step(7) == 26 * 7 / 365.25
    assert rate.to("week").value == pytest.approx(26 * 7 / 365.25, rel=1e-15)
    assert Rate(1, "day").per_step(7) == 7.0
    assert Rate(1, "week").prob_per_step(7) == pytest.approx(1 - math.exp(-1), rel=1e-15)
    # daily vs weekly steps: survival over 28 days is the same however dt is cut
    r = Rate(3.0, "year")
    weekly = (1 - r.prob_per_step(7)) ** 4
    daily = (1 - r.prob_per_step(1)) ** 28
    assert weekly == pytest.approx(daily, rel=1e-12)
    arr = Rate(np.array([0.0, 52.0]), "year").per_step(7)
    assert arr.shape == (2,) and arr[0] == 0.0


def test_duration():
    assert Duration(2, "weeks").days == 14.0
    assert Duration(14, "days").steps(7) == 2.0
    assert Duration(1, "year").to("days").value == 365.25
    assert time_unit_days("months") * 12 == time_unit_days("year")


@pytest.mark.parametrize("unit", ["fortnight", "kg", "yr ", "per year", ""])
def test_bad_time_units_raise_one_line(unit):
    with pytest.raises(ParameterError) as info:
        Rate(1.0, per=unit)
    assert "\n" not in str(info.value) and "unknown time unit" in str(info.value)
    with pytest.raises(ParameterError):
        Duration(1.0, unit)


def test_bad_timelines():
    with pytest.raises(ParameterError, match="before its start"):
        Timeline("2020-01-01", "2019-01-01")
    with pytest.raises(ParameterError, match="not an ISO date"):
        Timeline("2020-13-01", "2021-01-01")
    with pytest.raises(ParameterError, match="dt_days"):
        Timeline("2020-01-01", "2021-01-01", dt_days=0)
    with pytest.raises(ParameterError, match="outside the timeline"):
        Timeline("2020-01-01", "2021-01-01").step_of("2019-12-31")
    with pytest.raises(ParameterError, match=r"must be >= 0"):
        Rate(-1.0, "year")
