"""The flow north outside the seizure-fit window: damped projection of NFLIS reports, the
reports held or projected around the last input year, and the flows rebuilt from them.

Every expected value is written out by hand from the formulas in the module's docstring:
flow(y) = flow(anchor) * (reports(y) / reports(anchor)) ** kappa, reports after the last
input year continuing the log slope of the last three years damped by phi per year.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.fitted_supply import FittedSupply
from narcosim.model.supply_index import (
    damped_projection,
    extend_flows,
    projected_reports,
    report_ratio,
)

FYS = tuple(range(2015, 2028))
HUGE = 1e12


def fy(year: int) -> int:
    return year - FYS[0]


def make_fit() -> FittedSupply:
    """Synthetic fit, FY2015–FY2027, window FY2019–FY2023; every flow distinct."""
    n = len(FYS)
    flow = np.array([[1000.0 * (d + 1) + 37.0 * j + 3.0 * j * j for j in range(n)]
                     for d in range(len(SUPPLY_DRUGS))])
    return FittedSupply(
        fiscal_years=FYS,
        field_offices=("San Diego", "Tucson"),
        flow_kg_per_year=flow,
        corridor_weight=np.ones((len(SUPPLY_DRUGS), n, 2)),
        usbp_prob=np.full(len(SUPPLY_DRUGS), 0.1),
        shipment_kg=np.ones((len(SUPPLY_DRUGS), n)),
        meta={"fit_window": [2019, 2023]},
    )


# Reports per drug, calendar 2015-2023; each ends in three exactly geometric years so the
# projected slope is known by hand: 2021-2023 grow by G[drug] a year (and for the
# last_year=2020 case 2018-2020 grow by H[drug]; for last_year=2018, 2016-2018 by K[drug]).
G = {"fentanyl": 1.5, "methamphetamine": 1.2, "cocaine": 0.8}


def make_reports() -> dict[str, pd.Series]:
    out = {}
    for i, drug in enumerate(SUPPLY_DRUGS):
        g = G[drug]
        vals = {2015: 50.0 + i, 2016: 80.0 + 2 * i, 2017: 70.0 + i, 2018: 120.0 + 5 * i,
                2019: 150.0, 2020: 140.0 + 3 * i, 2021: 200.0 + 10 * i}
        vals[2022] = vals[2021] * g
        vals[2023] = vals[2022] * g
        out[drug] = pd.Series(vals, dtype=float)
    return out


# --- damped_projection -------------------------------------------------------------------

def test_phi_zero_holds_the_last_value_flat() -> None:
    out = damped_projection(np.array([1.0, 2.0, 4.0, 8.0]), 4, 0.0)
    assert out == pytest.approx([8.0, 8.0, 8.0, 8.0], rel=1e-12)


def test_phi_one_continues_an_exact_exponential() -> None:
    values = 3.0 * 1.5 ** np.arange(6)
    out = damped_projection(values, 3, 1.0)
    assert out == pytest.approx([3.0 * 1.5 ** 6, 3.0 * 1.5 ** 7, 3.0 * 1.5 ** 8], rel=1e-10)


def test_only_the_last_three_values_set_the_slope() -> None:
    # The first value is far off the trend; 2, 4, 8 double, so phi=1 continues 16, 32.
    out = damped_projection(np.array([1000.0, 2.0, 4.0, 8.0]), 2, 1.0)
    assert out == pytest.approx([16.0, 32.0], rel=1e-10)


def test_slope_is_the_least_squares_slope_of_log_values() -> None:
    # log values 0, 1, 3 at x = 0, 1, 2: least-squares slope = ((-1)(-4/3) + 1 * 5/3) / 2 = 1.5
    out = damped_projection(np.exp([0.0, 1.0, 3.0]), 1, 1.0)
    assert out[0] == pytest.approx(math.exp(3.0 + 1.5), rel=1e-10)


def test_damped_growth_lies_between_flat_and_undamped_and_converges() -> None:
    values = np.array([1.0, 2.0, 4.0])  # doubling: log slope ln 2
    phi = 0.5
    out = damped_projection(values, 4, phi)
    # log increments ln2 * 0.5, 0.25, 0.125, 0.0625 -> exponents 0.5, 0.75, 0.875, 0.9375
    assert out == pytest.approx([4 * 2 ** 0.5, 4 * 2 ** 0.75, 4 * 2 ** 0.875, 4 * 2 ** 0.9375],
                                rel=1e-10)
    flat = damped_projection(values, 4, 0.0)
    full = damped_projection(values, 4, 1.0)
    assert np.all(out > flat)
    assert np.all(out < full)
    steps = np.diff(np.log(np.concatenate([[4.0], out])))
    assert steps[1:] / steps[:-1] == pytest.approx([phi] * 3, rel=1e-10)
    # the limit is 4 * 2 ** (phi / (1 - phi)) = 8: never reached, always approached
    assert np.all(out < 8.0)
    assert damped_projection(values, 60, phi)[-1] == pytest.approx(8.0, rel=1e-12)


# --- projected_reports -------------------------------------------------------------------

def test_projected_reports_published_then_held_before_then_projected_after() -> None:
    series = pd.Series({2016: 10.0, 2017: 20.0, 2018: 30.0, 2019: 60.0, 2020: 120.0,
                        2021: HUGE, 2022: HUGE}, dtype=float)
    years = list(range(2014, 2024))
    out = projected_reports(series, years, 2020, 0.5)
    # 2014, 2015 before the first report hold the first (2016's)
    assert out[:2] == pytest.approx([10.0, 10.0])
    # 2016..2020 as published
    assert out[2:7] == pytest.approx([10.0, 20.0, 30.0, 60.0, 120.0])
    # 2021.. from the last three published (30, 60, 120: doubling), damped by 0.5;
    # the HUGE 2021 and 2022 reports are after last_year and are ignored
    assert out[7:] == pytest.approx([120 * 2 ** 0.5, 120 * 2 ** 0.75, 120 * 2 ** 0.875],
                                    rel=1e-10)


def test_projected_reports_ignore_values_after_last_year() -> None:
    base = pd.Series({2015: 5.0, 2016: 7.0, 2017: 9.0, 2018: 4.0}, dtype=float)
    changed = base.copy()
    changed[2018] = HUGE
    years = list(range(2015, 2022))
    assert projected_reports(base, years, 2017, 0.7) == pytest.approx(
        projected_reports(changed, years, 2017, 0.7), rel=1e-14)
    # and the 2018 value does count when last_year reaches it
    assert projected_reports(changed, years, 2018, 0.7)[3] == HUGE


def test_a_gap_inside_the_published_range_holds_the_year_before() -> None:
    series = pd.Series({2015: 5.0, 2017: 9.0, 2018: 11.0}, dtype=float)
    out = projected_reports(series, [2015, 2016, 2017, 2018], 2018, 0.5)
    assert out == pytest.approx([5.0, 5.0, 9.0, 11.0])


# --- report_ratio / extend_flows ---------------------------------------------------------

@pytest.mark.parametrize("kappa", [0.5, 1.0, 2.0])
def test_flows_inside_the_window_kept_before_the_window_follow_reports(kappa: float) -> None:
    fit, reports = make_fit(), make_reports()
    out = extend_flows(fit, reports, 2023, 0.5, kappa)
    for d, drug in enumerate(SUPPLY_DRUGS):
        r = reports[drug]
        # FY2019..FY2023: the fitted flows, untouched
        for y in range(2019, 2024):
            assert out.flow_kg_per_year[d, fy(y)] == fit.flow_kg_per_year[d, fy(y)]
        # FY2015..FY2018: flow(2019) * (reports(y) / reports(2019)) ** kappa
        f19 = fit.flow_kg_per_year[d, fy(2019)]
        for y in range(2015, 2019):
            expect = f19 * (r[y] / r[2019]) ** kappa
            assert out.flow_kg_per_year[d, fy(y)] == pytest.approx(expect, rel=1e-12)
        # FY2024..FY2027: reports 2021-2023 grow by g, damped by 0.5 after 2023:
        # r(2023 + h) / r(2023) = g ** (0.5, 0.75, 0.875, 0.9375)
        f23 = fit.flow_kg_per_year[d, fy(2023)]
        for h, expo in zip(range(1, 5), [0.5, 0.75, 0.875, 0.9375], strict=True):
            expect = f23 * G[drug] ** (expo * kappa)
            assert out.flow_kg_per_year[d, fy(2023 + h)] == pytest.approx(expect, rel=1e-10)
    # the input fit is not modified
    assert np.array_equal(fit.flow_kg_per_year, make_fit().flow_kg_per_year)


def test_report_ratio_anchors_and_ratios() -> None:
    fit, reports = make_fit(), make_reports()
    anchor, ratio = report_ratio(fit, reports, 2023, 0.5)
    expect_anchor = [fy(min(max(y, 2019), 2023)) for y in FYS]
    assert anchor.tolist() == expect_anchor
    assert ratio.shape == (len(SUPPLY_DRUGS), len(FYS))
    assert np.all(ratio[:, fy(2019):fy(2023) + 1] == 1.0)
    r = reports["fentanyl"]
    assert ratio[0, fy(2016)] == pytest.approx(r[2016] / r[2019], rel=1e-12)


H = {"fentanyl": 2.0, "methamphetamine": 1.1, "cocaine": 0.5}


def reports_2020() -> dict[str, pd.Series]:
    """Reports where 2018-2020 grow by H[drug], and 2021+ are huge (not to be used)."""
    out = {}
    for i, drug in enumerate(SUPPLY_DRUGS):
        vals = {2015: 40.0 + i, 2016: 90.0, 2017: 60.0 + 2 * i, 2018: 100.0 + i}
        vals[2019] = vals[2018] * H[drug]
        vals[2020] = vals[2019] * H[drug]
        vals.update({2021: HUGE, 2022: HUGE, 2023: HUGE})
        out[drug] = pd.Series(vals, dtype=float)
    return out


@pytest.mark.parametrize("kappa", [0.5, 1.0, 2.0])
def test_last_year_inside_the_window_projects_from_it(kappa: float) -> None:
    fit, reports = make_fit(), reports_2020()
    phi = 0.5
    out = extend_flows(fit, reports, 2020, phi, kappa)
    exps = [phi * (1 - phi ** h) / (1 - phi) for h in range(1, 8)]  # sum_{j=1..h} phi^j
    for d, drug in enumerate(SUPPLY_DRUGS):
        f19 = fit.flow_kg_per_year[d, fy(2019)]
        f20 = fit.flow_kg_per_year[d, fy(2020)]
        assert out.flow_kg_per_year[d, fy(2019)] == f19
        assert out.flow_kg_per_year[d, fy(2020)] == f20
        for h, expo in zip(range(1, 8), exps, strict=True):
            y = 2020 + h
            expect = f20 * H[drug] ** (expo * kappa)
            got = out.flow_kg_per_year[d, fy(y)]
            assert got == pytest.approx(expect, rel=1e-10)
            if y <= 2023:  # no longer the fitted flow of that year
                assert got != pytest.approx(fit.flow_kg_per_year[d, fy(y)], rel=1e-6)
        r = reports[drug]
        for y in range(2015, 2019):
            assert out.flow_kg_per_year[d, fy(y)] == pytest.approx(
                f19 * (r[y] / r[2019]) ** kappa, rel=1e-12)
    # the huge reports after 2020 change nothing: replace them and compare
    tame = {d: s.where(s.index <= 2020, 1.0) for d, s in reports.items()}
    again = extend_flows(fit, tame, 2020, phi, kappa)
    assert np.allclose(again.flow_kg_per_year, out.flow_kg_per_year, rtol=1e-14, atol=0)


K = {"fentanyl": 1.3, "methamphetamine": 0.9, "cocaine": 1.0}


def reports_2018() -> dict[str, pd.Series]:
    out = {}
    for i, drug in enumerate(SUPPLY_DRUGS):
        vals = {2015: 30.0 + i, 2016: 50.0 + i}
        vals[2017] = vals[2016] * K[drug]
        vals[2018] = vals[2017] * K[drug]
        vals.update({2019: 70.0, 2020: 90.0, 2021: 95.0, 2022: 100.0, 2023: 130.0})
        out[drug] = pd.Series(vals, dtype=float)
    return out


@pytest.mark.parametrize("kappa", [0.5, 1.0, 2.0])
def test_last_year_before_the_window_uses_no_later_report(kappa: float) -> None:
    fit, reports = make_fit(), reports_2018()
    phi = 0.5
    out = extend_flows(fit, reports, 2018, phi, kappa)
    changed = {d: s.where(s.index <= 2018, s * 7.5 + 1000.0) for d, s in reports.items()}
    out2 = extend_flows(fit, changed, 2018, phi, kappa)
    for d, drug in enumerate(SUPPLY_DRUGS):
        early = out.flow_kg_per_year[d, : fy(2018) + 1]
        early2 = out2.flow_kg_per_year[d, : fy(2018) + 1]
        # FY2015-2018 relative to each other unchanged when reports 2019+ change
        assert early2 / early2[-1] == pytest.approx(early / early[-1], rel=1e-12)
        # (in fact every flow is identical: the reports after 2018 are never read)
        assert np.allclose(out2.flow_kg_per_year[d], out.flow_kg_per_year[d], rtol=1e-14)
        # by hand: r(2019) is projected from 2016-2018 (growth K, damped 0.5): r18 * K ** 0.5,
        # and each year's flow is flow(2019) * (r(y) / r_proj(2019)) ** kappa
        r = reports[drug]
        f19 = fit.flow_kg_per_year[d, fy(2019)]
        r19 = r[2018] * K[drug] ** 0.5
        for y in range(2015, 2019):
            assert out.flow_kg_per_year[d, fy(y)] == pytest.approx(
                f19 * (r[y] / r19) ** kappa, rel=1e-10)
        assert out.flow_kg_per_year[d, fy(2019)] == pytest.approx(f19, rel=1e-12)
        # FY2020: r_proj(2020) / r_proj(2019) = K ** 0.25
        assert out.flow_kg_per_year[d, fy(2020)] == pytest.approx(
            f19 * K[drug] ** (0.25 * kappa), rel=1e-10)


def test_per_drug_kappa_equal_to_a_single_float() -> None:
    fit, reports = make_fit(), make_reports()
    one = extend_flows(fit, reports, 2021, 0.6, 1.7)
    per = extend_flows(fit, reports, 2021, 0.6, {d: 1.7 for d in SUPPLY_DRUGS})
    assert np.array_equal(one.flow_kg_per_year, per.flow_kg_per_year)
    # and distinct per-drug values give each drug the single-kappa row of its own value
    mixed = extend_flows(fit, reports, 2021, 0.6, {"fentanyl": 0.5, "methamphetamine": 2.0,
                                                   "cocaine": 1.0})
    for d, k in enumerate([0.5, 2.0, 1.0]):
        alone = extend_flows(fit, reports, 2021, 0.6, k)
        assert np.array_equal(mixed.flow_kg_per_year[d], alone.flow_kg_per_year[d])
    assert not np.allclose(mixed.flow_kg_per_year[0], one.flow_kg_per_year[0])
