"""Forecast building blocks: log-normal mixture quantiles, the spread statistics, state-level
skill beside its baselines, and the profile-likelihood interval. Expected values are worked
out by hand in each test.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from narcosim.analysis.scoring import QUANTILES
from narcosim.calibrate.deaths import DeathTargets
from narcosim.calibrate.elasticity import CHI2_95, profile_interval
from narcosim.calibrate.forecast import (
    DRAWS,
    forecast_rng,
    growth_rms,
    log_rms,
    mixture_quantiles,
    walk_sd,
)
from narcosim.calibrate.skill import BASELINES, baseline_counts, r2, rate_r2_table

LN2 = math.log(2.0)


# --- mixture_quantiles -------------------------------------------------------------------

def test_one_component_without_spread_is_that_value_at_every_level() -> None:
    out = mixture_quantiles(np.array([1234.5]), 0.0, forecast_rng(1, 2020, "x"))
    assert out.shape == (len(QUANTILES),)
    assert np.all(out == pytest.approx(1234.5, rel=1e-12))
    # leading axes are kept: (2 series, 1 component) -> (2, levels)
    two = mixture_quantiles(np.array([[10.0], [20.0]]), 0.0, forecast_rng(1, 2020, "y"),
                            levels=(0.1, 0.9))
    assert two == pytest.approx(np.array([[10.0, 10.0], [20.0, 20.0]]), rel=1e-12)


def test_one_log_normal_component() -> None:
    sigma, m = 0.2, 500.0
    q = mixture_quantiles(np.array([m]), sigma, forecast_rng(3, 2021, "fentanyl"),
                          levels=(0.05, 0.5, 0.95))
    # standard errors in log units with 4000 draws: median 1.2533/sqrt(n)*sigma = 0.004;
    # 5%/95%: sqrt(.05*.95/n)/pdf(1.645)*sigma = 0.0067; tolerate about five of them
    assert DRAWS == 4000
    assert math.log(q[1] / m) == pytest.approx(0.0, abs=0.02)
    assert math.log(q[0] / (m * math.exp(-1.645 * sigma))) == pytest.approx(0.0, abs=0.035)
    assert math.log(q[2] / (m * math.exp(1.645 * sigma))) == pytest.approx(0.0, abs=0.035)
    # the quantiles are in order and the spread is not that of sigma=0
    assert q[0] < q[1] < q[2]
    assert q[2] / q[0] > 1.6


def test_two_components_far_apart() -> None:
    q = mixture_quantiles(np.array([10.0, 1000.0]), 0.1, forecast_rng(5, 2019, "k"),
                          levels=(0.25, 0.5, 0.75))
    assert 10.0 < q[1] < 1000.0
    # each half of the mixture's mass is one component, so the mixture's 25% and 75%
    # quantiles are the components' medians (log standard error 1.2533/sqrt(4000)*0.1)
    assert math.log(q[0] / 10.0) == pytest.approx(0.0, abs=0.012)
    assert math.log(q[2] / 1000.0) == pytest.approx(0.0, abs=0.012)


def test_same_seed_and_key_same_quantiles_other_key_differs() -> None:
    means = np.array([100.0, 150.0])
    a = mixture_quantiles(means, 0.3, forecast_rng(11, 2020, "opioids"))
    b = mixture_quantiles(means, 0.3, forecast_rng(11, 2020, "opioids"))
    c = mixture_quantiles(means, 0.3, forecast_rng(11, 2020, "cocaine"))
    d = mixture_quantiles(means, 0.3, forecast_rng(12, 2020, "opioids"))
    e = mixture_quantiles(means, 0.3, forecast_rng(11, 2021, "opioids"))
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a, d)
    assert not np.array_equal(a, e)


def test_a_non_positive_component_gives_nan() -> None:
    out = mixture_quantiles(np.array([[0.0], [5.0]]), 0.2, forecast_rng(1, 2020, "z"))
    assert np.all(np.isnan(out[0]))
    assert np.all(np.isfinite(out[1]))


# --- log_rms, growth_rms, walk_sd --------------------------------------------------------

def test_log_rms_by_hand() -> None:
    sim = np.array([2.0, 1.0, 4.0, np.nan, 5.0, 0.0])
    obs = np.array([1.0, 1.0, 1.0, 3.0, 0.0, 2.0])
    # usable pairs: (2,1), (1,1), (4,1): logs ln2, 0, 2 ln2 -> sqrt((1 + 0 + 4)/3) ln2
    assert log_rms(sim, obs) == pytest.approx(LN2 * math.sqrt(5 / 3), rel=1e-12)
    assert math.isnan(log_rms(np.array([1.0, 0.0]), np.array([np.nan, 2.0])))


def test_growth_rms_by_hand() -> None:
    sim = np.array([1.0, 2.0, 4.0])
    obs = np.array([1.0, 3.0, 6.0])
    # errors: ln3 - ln2 = ln1.5, ln2 - ln2 = 0 -> ln1.5 / sqrt(2)
    assert growth_rms(sim, obs) == pytest.approx(math.log(1.5) / math.sqrt(2), rel=1e-12)
    # a withheld year drops both changes that touch it
    obs_gap = np.array([1.0, np.nan, 4.0, 12.0])
    sim_gap = np.array([1.0, 2.0, 4.0, 8.0])
    assert growth_rms(sim_gap, obs_gap) == pytest.approx(math.log(1.5), rel=1e-12)
    # a zero observed value gives infinite log changes, which are dropped too
    obs_zero = np.array([1.0, 0.0, 4.0, 12.0])
    assert growth_rms(sim_gap, obs_zero) == pytest.approx(math.log(1.5), rel=1e-12)
    # along axis 0 of a (years, states) array, pooled over the states
    sim2 = np.array([[1.0, 1.0], [2.0, 1.0], [4.0, 1.0]])
    obs2 = np.array([[1.0, 1.0], [3.0, 2.0], [6.0, 2.0]])
    # errors: ln1.5, 0 (state 0); ln2, 0 (state 1)
    expect = math.sqrt((math.log(1.5) ** 2 + LN2 ** 2) / 4)
    assert growth_rms(sim2, obs2) == pytest.approx(expect, rel=1e-12)
    assert math.isnan(growth_rms(np.array([1.0, 2.0]), np.array([np.nan, 2.0])))


def test_walk_sd_by_hand() -> None:
    x = [100.0, 110.0, 99.0, 120.0]
    d = [math.log(110 / 100), math.log(99 / 110), math.log(120 / 99)]
    mean = sum(d) / 3
    expect = math.sqrt(sum((v - mean) ** 2 for v in d) / 2)
    assert walk_sd(np.array(x)) == pytest.approx(expect, rel=1e-12)
    # leading withheld or zero values are dropped
    assert walk_sd(np.array([np.nan, 0.0, *x])) == pytest.approx(expect, rel=1e-12)
    # fewer than three usable values: no changes to spread, 0
    assert walk_sd(np.array([100.0, 200.0])) == 0.0
    assert walk_sd(np.array([np.nan, 100.0, 0.0, 200.0])) == 0.0
    # a constant growth rate has no spread
    assert walk_sd(np.array([1.0, 2.0, 4.0, 8.0])) == pytest.approx(0.0, abs=1e-12)


# --- skill -------------------------------------------------------------------------------

def test_r2_by_hand() -> None:
    pred = np.array([1.0, 2.0, 3.0, 4.0, np.nan])
    obs = np.array([1.0, 2.0, 2.0, 5.0, 100.0])
    # SS_res = 0 + 0 + 1 + 1 = 2; mean obs 2.5; SS_tot = 2.25 + .25 + .25 + 6.25 = 9
    assert r2(pred, obs) == pytest.approx(7 / 9, rel=1e-12)
    assert r2(obs[:4], obs[:4]) == 1.0
    assert math.isnan(r2(np.array([1.0, np.nan]), np.array([1.0, 2.0])))
    assert math.isnan(r2(np.array([1.0, 2.0]), np.array([3.0, 3.0])))


def make_targets() -> tuple[DeathTargets, np.ndarray]:
    states = np.array([
        [[10.0, 30.0, 60.0], [12.0, 40.0, 70.0], [20.0, 35.0, 90.0]],   # drug a
        [[5.0, 1.0, 4.0], [6.0, np.nan, 9.0], [4.0, 3.0, 12.0]],       # drug b
    ])
    national = np.array([[100.0, 122.0, 145.0], [10.0, 16.0, 19.0]])
    pop = np.array([[1e6, 2e6, 3e6], [1.1e6, 2e6, 3.1e6], [1.2e6, 2.1e6, 3.3e6]])
    return DeathTargets((2015, 2016, 2017), ("a", "b"), national, states), pop


def test_baselines_by_hand() -> None:
    targets, pop = make_targets()
    base = baseline_counts(targets, pop)
    assert set(base) == set(BASELINES)
    ps = base["population share"]
    assert ps.shape == (2, 3, 3)
    # sums over states to the national value, every drug and year
    assert ps.sum(axis=2) == pytest.approx(targets.national, rel=1e-12)
    # one cell: drug a 2016, state 0: 122 * 1.1 / 6.2
    assert ps[0, 1, 0] == pytest.approx(122 * 1.1 / 6.2, rel=1e-12)
    s15 = base["2015 share"]
    assert s15.sum(axis=2) == pytest.approx(targets.national, rel=1e-12)
    # drug b 2017 state 2: 19 * 4 / (5 + 1 + 4)
    assert s15[1, 2, 2] == pytest.approx(19 * 4 / 10, rel=1e-12)
    per = base["persistence"]
    assert np.array_equal(per[0, 0], targets.states[0, 0])      # first year: itself
    assert np.array_equal(per[0, 2], targets.states[0, 1])      # then the year before
    assert np.isnan(per[1, 2, 1])                               # 2016 b, state 1 withheld


def test_rate_r2_model_equal_to_observed_is_one() -> None:
    targets, pop = make_targets()
    table = rate_r2_table(targets.states.copy(), targets, pop)
    assert isinstance(table, pd.DataFrame)
    assert table["drug"].tolist() == ["a", "b"]
    assert table["model"].tolist() == [1.0, 1.0]
    assert table["state_years"].tolist() == [9, 8]  # drug b has one withheld state-year
    # the baselines are not perfect on these numbers
    for name in BASELINES:
        assert (table[name] < 1.0).all()
    # a model off by a constant factor in one drug loses its perfect score there
    sim = targets.states.copy()
    sim[1] *= 1.5
    off = rate_r2_table(sim, targets, pop)
    assert off.loc[0, "model"] == 1.0
    assert off.loc[1, "model"] < 1.0
    # scoring one year and two states only
    sub = rate_r2_table(targets.states.copy(), targets, pop, years=[2017],
                        states=np.array([True, False, True]))
    assert sub["state_years"].tolist() == [2, 2]
    assert sub["model"].tolist() == [1.0, 1.0]


def test_rate_r2_uses_rates_not_counts() -> None:
    targets, pop = make_targets()
    # the population-share baseline by hand for drug a: rate = national / total pop, the
    # same in every state of a year
    obs = (targets.states[0] / pop * 1e5).reshape(-1)
    pred = np.repeat(targets.national[0] / pop.sum(axis=1) * 1e5, 3)
    resid = ((pred - obs) ** 2).sum()
    total = ((obs - obs.mean()) ** 2).sum()
    table = rate_r2_table(targets.states.copy(), targets, pop)
    assert table.loc[0, "population share"] == pytest.approx(1 - resid / total, rel=1e-10)


# --- profile_interval --------------------------------------------------------------------

def test_profile_interval_interpolates_each_side() -> None:
    assert CHI2_95 == 3.841
    prof = pd.DataFrame({"elasticity": [1.0, 2.0, 3.0], "deviance": [5.0, 0.0, 7.682]})
    lo, hi = profile_interval(prof)
    # left: 2 + (1 - 2) * 3.841 / 5; right: 2 + 1 * 3.841 / 7.682 = 2.5
    assert lo == pytest.approx(2 - 3.841 / 5, rel=1e-12)
    assert hi == pytest.approx(2.5, rel=1e-12)


def test_profile_interval_side_without_crossing_ends_at_the_grid() -> None:
    prof = pd.DataFrame({"elasticity": [0.0, 0.5, 1.0, 1.5, 2.0, 2.5],
                         "deviance": [10.0, 3.0, 0.0, 1.0, 2.0, 3.0]})
    lo, hi = profile_interval(prof)
    # left crosses between 0.5 (3.0) and 0.0 (10.0): 0.5 - 0.5 * (3.841 - 3) / 7
    assert lo == pytest.approx(0.5 - 0.5 * 0.841 / 7, rel=1e-12)
    assert hi == 2.5
    # best at the grid's first point: the left side is the first point itself
    edge = pd.DataFrame({"elasticity": [0.2, 0.4, 0.6], "deviance": [0.0, 2.0, 6.0]})
    lo, hi = profile_interval(edge)
    assert lo == 0.2
    assert hi == pytest.approx(0.4 + 0.2 * (3.841 - 2.0) / 4.0, rel=1e-12)


def test_profile_interval_empty_is_nan() -> None:
    lo, hi = profile_interval(pd.DataFrame({"elasticity": [], "deviance": []}))
    assert math.isnan(lo)
    assert math.isnan(hi)
