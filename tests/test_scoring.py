"""Forecast scoring: WIS, its decomposition, coverage, relative WIS, baselines, score table."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from narcosim.analysis.baselines import (
    LOG_SD_FLOOR,
    loglinear_trend,
    persistence,
    population_share,
)
from narcosim.analysis.scoring import (
    QUANTILES,
    interval_coverage,
    quantile_column,
    relative_wis,
    score_table,
    weighted_interval_score,
    wis_decomposition,
)
from narcosim.errors import ParameterError

THREE = [0.25, 0.5, 0.75]


def test_quantile_levels_are_the_hub_23():
    assert len(QUANTILES) == 23
    assert QUANTILES[:3].tolist() == [0.01, 0.025, 0.05]
    assert QUANTILES[-3:].tolist() == [0.95, 0.975, 0.99]
    assert np.allclose(QUANTILES[2:-2], np.arange(0.05, 0.951, 0.05))
    assert np.allclose(QUANTILES + QUANTILES[::-1], 1)
    assert QUANTILES[11] == 0.5


def test_point_forecast_scores_absolute_error():
    y = np.array([0.0, 7.0, 10.0, 12.5, 1000.0])
    q = np.full((y.size, QUANTILES.size), 10.0)
    assert np.allclose(weighted_interval_score(q, QUANTILES, y), np.abs(y - 10.0))


def test_wis_by_hand_three_levels():
    q = np.array([1.0, 2.0, 4.0])
    # K = 1 interval [1, 4] with alpha = 0.5; weight 1 / (K + 1/2) = 1 / 1.5.
    # y = 5 above the interval: 0.5*|5-2| + 0.25*((4-1) + (2/0.5)*(5-4)) = 1.5 + 1.75
    assert weighted_interval_score(q, THREE, 5.0) == pytest.approx((1.5 + 1.75) / 1.5)
    # y = 0 below: 0.5*|0-2| + 0.25*((4-1) + (2/0.5)*(1-0)) = 1 + 1.75
    assert weighted_interval_score(q, THREE, 0.0) == pytest.approx((1.0 + 1.75) / 1.5)
    # y = 3 inside: 0.5*|3-2| + 0.25*(4-1) = 0.5 + 0.75
    assert weighted_interval_score(q, THREE, 3.0) == pytest.approx((0.5 + 0.75) / 1.5)


def test_wis_equals_mean_pinball_loss_form():
    # Independent identity: WIS = 1/(K+1/2) * sum_i rho_tau_i(y - q_i).
    rng = np.random.default_rng(7)
    q = np.sort(rng.normal(50, 10, size=(200, QUANTILES.size)), axis=-1)
    y = rng.normal(50, 15, size=200)
    u = y[:, None] - q
    pinball = np.sum(u * (QUANTILES - (u < 0)), axis=-1) / (11 + 0.5)
    assert np.allclose(weighted_interval_score(q, QUANTILES, y), pinball)


def test_wis_is_vectorised_over_leading_axes():
    rng = np.random.default_rng(3)
    q = np.sort(rng.gamma(5, 10, size=(4, 3, QUANTILES.size)), axis=-1)
    y = rng.gamma(5, 10, size=(4, 3))
    wis = weighted_interval_score(q, QUANTILES, y)
    assert wis.shape == (4, 3)
    assert wis[2, 1] == pytest.approx(weighted_interval_score(q[2, 1], QUANTILES, y[2, 1]))
    # a scalar observation broadcasts over all forecasts
    assert weighted_interval_score(q, QUANTILES, 40.0).shape == (4, 3)


def test_decomposition_sums_to_wis_and_sides_are_right():
    rng = np.random.default_rng(11)
    q = np.sort(rng.normal(100, 20, size=(500, QUANTILES.size)), axis=-1)
    y = rng.normal(100, 40, size=500)
    parts = wis_decomposition(q, QUANTILES, y)
    assert np.allclose(parts.dispersion + parts.overprediction + parts.underprediction, parts.wis)
    assert np.allclose(parts.wis, weighted_interval_score(q, QUANTILES, y))
    above, below = y > q[:, -1], y < q[:, 0]
    assert np.all(parts.overprediction[above] == 0) and np.all(parts.underprediction[above] > 0)
    assert np.all(parts.underprediction[below] == 0) and np.all(parts.overprediction[below] > 0)
    one = wis_decomposition([1.0, 2.0, 4.0], THREE, 5.0)
    assert one.dispersion == pytest.approx(0.25 * 3 / 1.5)
    assert one.underprediction == pytest.approx((0.5 * 3 + 1) / 1.5)
    assert one.overprediction == 0


def test_coverage_wide_true_narrow_off_centre_false():
    wide = 100 + 50 * norm.ppf(QUANTILES)
    narrow_off = 200 + 1 * norm.ppf(QUANTILES)
    for width in (0.5, 0.9):
        assert interval_coverage(wide, QUANTILES, 101.0, width)
        assert not interval_coverage(narrow_off, QUANTILES, 101.0, width)
    both = interval_coverage(np.stack([wide, narrow_off]), QUANTILES, 101.0, 0.9)
    assert both.dtype == bool and both.tolist() == [True, False]


def test_coverage_of_calibrated_normal_is_nominal():
    rng = np.random.default_rng(20240601)
    mu, sigma = 250.0, 30.0
    draws = rng.normal(mu, sigma, size=20_000)
    q = mu + sigma * norm.ppf(QUANTILES)
    assert interval_coverage(q, QUANTILES, draws, 0.5).mean() == pytest.approx(0.5, abs=0.02)
    assert interval_coverage(q, QUANTILES, draws, 0.9).mean() == pytest.approx(0.9, abs=0.02)


def test_nan_forecast_or_observation_scores_nan():
    q = np.array([[1.0, 2.0, 3.0], [1.0, np.nan, 3.0], [1.0, 2.0, 3.0]])
    y = np.array([2.0, 2.0, np.nan])
    wis = weighted_interval_score(q, THREE, y)
    assert wis[0] == pytest.approx(1.0 / 3.0) and np.isnan(wis[1:]).all()
    assert interval_coverage(q, THREE, y, 0.5).tolist() == [True, False, False]


@pytest.mark.parametrize(
    ("quantiles", "levels", "words"),
    [
        ([1.0, 2.0, 3.0], [0.5, 0.25, 0.75], "strictly increasing"),
        ([1.0, 2.0, 3.0], [0.2, 0.5, 0.75], "symmetric"),
        ([1.0, 2.0, 3.0, 4.0], [0.2, 0.4, 0.6, 0.8], "median"),
        ([1.0, 2.0, 3.0], [0.0, 0.5, 1.0], "between 0 and 1"),
        ([1.0, 3.0, 2.0], THREE, "non-decreasing"),
        ([[1.0, 2.0, 3.0], [2.0, 2.0, 1.5]], THREE, "forecast (1,)"),
        ([1.0, 2.0], THREE, "3 values"),
        ([1.0, np.inf, 3.0], THREE, "infinite"),
    ],
)
def test_bad_input_raises_one_line(quantiles, levels, words):
    with pytest.raises(ParameterError) as err:
        weighted_interval_score(np.array(quantiles), levels, 2.0)
    message = str(err.value)
    assert words in message and "\n" not in message


def test_coverage_needs_the_interval_levels():
    with pytest.raises(ParameterError, match=r"no 0\.9 central interval"):
        interval_coverage([1.0, 2.0, 3.0], THREE, 2.0, 0.9)


@settings(max_examples=200, deadline=None)
@given(
    median=st.floats(-1e4, 1e4),
    scale=st.floats(0.0, 1e3),
    factor=st.floats(1.0, 10.0),
    y=st.floats(-1e5, 1e5),
)
def test_wis_nonnegative_and_sharper_correct_forecast_no_worse(median, scale, factor, y):
    shape = norm.ppf(QUANTILES)
    sharp = median + scale * shape
    wide = median + scale * factor * shape
    assert weighted_interval_score(sharp, QUANTILES, y) >= 0
    # observed at the median, a sharper forecast with the same median is not worse
    at_median = weighted_interval_score(np.stack([sharp, wide]), QUANTILES, median)
    assert at_median[0] <= at_median[1] + 1e-9 * (1 + abs(median))


def test_relative_wis_skips_incomplete_pairs():
    model = np.array([1.0, 2.0, np.nan, 4.0])
    base = np.array([2.0, 2.0, 8.0, np.nan])
    assert relative_wis(model, base) == pytest.approx(3.0 / 4.0)
    assert np.isnan(relative_wis([np.nan], [1.0]))
    with pytest.raises(ParameterError, match="shapes differ"):
        relative_wis([1.0, 2.0], [1.0])


# --- baselines -------------------------------------------------------------------------------


def test_persistence_constant_series_gives_last_value():
    years = np.arange(2015, 2023)
    q = persistence(years, np.full(years.size, 500.0))
    assert q.shape == (2, QUANTILES.size)
    assert np.all(q[:, 11] == 500.0)
    assert np.all(np.diff(q, axis=-1) >= 0)


def test_persistence_spread_is_symmetric_on_log_scale_and_from_history():
    years = np.arange(2010, 2023)
    rng = np.random.default_rng(5)
    values = 1000 * np.exp(np.cumsum(rng.normal(0.05, 0.15, size=years.size)))
    q = persistence(years, values, horizons=(1, 2))
    last = values[-1]
    assert np.allclose(q[:, 11], last)
    assert np.allclose(q * q[:, ::-1], last**2)  # offsets +d and -d pooled
    d1 = np.diff(np.log(values))
    upper = np.quantile(np.concatenate([d1, -d1]), 0.95)
    assert q[0, 20] == pytest.approx(last * np.exp(upper))
    assert q[1, 20] - q[1, 2] > q[0, 20] - q[0, 2]  # two years ahead is wider


def test_persistence_short_history_gives_narrow_floor():
    q = persistence([2022], [1000.0])
    assert np.all(np.diff(q[0]) > 0)  # not a point mass
    assert q[0, 20] == pytest.approx(1000 * np.exp(norm.ppf(0.95) * LOG_SD_FLOOR))
    assert q[0, 20] / q[0, 2] < 1.1


def test_persistence_missing_and_zero_last_values():
    assert np.isnan(persistence([2020, 2021, 2022], [5.0, 6.0, np.nan])).all()
    assert np.all(persistence([2020, 2021, 2022], [5.0, 6.0, 0.0]) == 0)
    # a NaN earlier in the history only removes the changes it is part of
    q = persistence([2019, 2020, 2021, 2022], [10.0, np.nan, 12.0, 12.0])
    assert np.all(np.isfinite(q)) and q[0, 11] == 12.0
    with pytest.raises(ParameterError, match="strictly increasing"):
        persistence([2022, 2021], [1.0, 2.0])
    with pytest.raises(ParameterError, match=">= 0"):
        persistence([2021, 2022], [1.0, -2.0])


def test_loglinear_recovers_exact_exponential():
    years = np.arange(2016, 2023)
    values = 800 * 1.12 ** (years - 2016)
    q = loglinear_trend(years, values, horizons=(1, 2))
    assert q[0, 11] == pytest.approx(800 * 1.12**7)
    assert q[1, 11] == pytest.approx(800 * 1.12**8)
    assert np.all(np.diff(q, axis=-1) > 0)  # the floor keeps it from a point mass


def test_loglinear_uses_only_last_three_years_and_missing_gives_nan():
    q = loglinear_trend([2018, 2019, 2020, 2021, 2022], [1.0, 9e9, 100.0, 200.0, 400.0])
    assert q[0, 11] == pytest.approx(800.0)
    assert np.isnan(loglinear_trend([2021, 2022], [1.0, 2.0])).all()
    assert np.isnan(loglinear_trend([2020, 2021, 2022], [1.0, np.nan, 2.0])).all()
    assert np.isnan(loglinear_trend([2020, 2021, 2022], [1.0, 0.0, 2.0])).all()


def test_population_share_sums_to_national():
    national = persistence(np.arange(2015, 2023), [5, 6, 7, 9, 8, 11, 12, 13.0])
    shares = np.array([0.5, 0.3, 0.15, 0.05])
    states = population_share(national, shares)
    assert states.shape == (4, *national.shape)
    assert np.allclose(states.sum(axis=0), national)
    assert np.allclose(states[1], 0.3 * national)
    with pytest.raises(ParameterError, match="more than 1"):
        population_share(national, [0.7, 0.7])
    with pytest.raises(ParameterError, match=r"\[0, 1\]"):
        population_share(national, [-0.1, 0.5])


# --- score table -----------------------------------------------------------------------------


def _table() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    rows = []
    for location in ("US", "OH", "WV"):
        for origin in (2019, 2020, 2021):
            for horizon in (1, 2):
                y = float(rng.gamma(20, 50))
                for model, q in (
                    ("persistence", y * np.exp(0.3 * norm.ppf(QUANTILES) + 0.2)),
                    ("oracle", np.full(QUANTILES.size, y)),
                ):
                    row = {"model": model, "origin": origin, "horizon": horizon}
                    row |= {"drug": "fentanyl", "location": location, "observed": y}
                    row |= {quantile_column(lv): v for lv, v in zip(QUANTILES, q, strict=True)}
                    rows.append(row)
    return pd.DataFrame(rows)


def test_score_table_summaries(tmp_path):
    frame = _table()
    frame.loc[(frame["model"] == "oracle") & (frame["location"] == "WV"), "q0.5"] = np.nan
    path = tmp_path / "forecasts.parquet"
    frame.to_parquet(path)
    table = score_table(pd.read_parquet(path)).set_index(["model", "drug", "location_kind"])
    oracle_state = table.loc[("oracle", "fentanyl", "state")]
    assert oracle_state["n"] == 6 and oracle_state["n_missing"] == 6
    assert oracle_state["mean_wis"] == 0 and oracle_state["relative_wis"] == 0
    assert oracle_state["coverage_50"] == 1 and oracle_state["coverage_90"] == 1
    base = table.loc[("persistence", "fentanyl", "national")]
    assert base["n"] == 6 and base["n_missing"] == 0 and base["relative_wis"] == 1
    us = frame[(frame["model"] == "persistence") & (frame["location"] == "US")]
    cols = [quantile_column(lv) for lv in QUANTILES]
    expected = weighted_interval_score(us[cols].to_numpy(), QUANTILES, us["observed"].to_numpy())
    assert base["mean_wis"] == pytest.approx(expected.mean())


def test_score_table_by_horizon_and_bad_frames():
    frame = _table()
    by_h = score_table(frame, by=("model", "horizon"))
    assert set(by_h.columns) >= {"model", "horizon", "n", "mean_wis", "relative_wis"}
    assert len(by_h) == 4 and by_h["n"].tolist() == [9, 9, 9, 9]
    with pytest.raises(ParameterError, match="duplicate"):
        score_table(pd.concat([frame, frame.iloc[:1]]))
    with pytest.raises(ParameterError, match="lacks"):
        score_table(frame.drop(columns="observed"))
    with pytest.raises(ParameterError, match="symmetric"):
        score_table(frame.drop(columns="q0.99"))
