"""Baseline quantile forecasters of annual deaths, for scoring models against.

Each forecaster takes a history up to the forecast origin (``years``, ``values``), the horizons
in years ahead and the quantile levels, and returns an array ``(len(horizons), len(levels))`` of
predictive quantiles, non-decreasing in level, that :mod:`narcosim.analysis.scoring` scores.

* :func:`persistence`: no change, with the spread of past changes (the Forecast Hub baseline).
* :func:`loglinear_trend`: the last three years' exponential trend, extrapolated.
* :func:`population_share`: a national forecast split among states by population share.

Both time-series baselines work on the log scale, so their spreads are multiplicative. Missing
data gives missing forecasts, never invented ones: a NaN in the values they need gives an
all-NaN forecast, which scoring skips and counts. Zeros are kept as zeros where the model can
say something about them (see each function); negative values are an error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm

from narcosim.analysis.scoring import QUANTILES, check_levels
from narcosim.errors import ParameterError

LOG_SD_FLOOR = 0.02
"""Smallest log-scale spread, per square root of a year ahead, of the time-series baselines.

A choice, not an estimate: a floor of 0.02 keeps a forecast from a short or perfectly smooth
history from being a point mass (which WIS punishes by the full absolute error, and which
would claim certainty no annual death count has) while staying narrow: the 90% interval one
year ahead is about +/-3.3%, below the year-to-year changes seen in national and state deaths.
"""


def _history(years: ArrayLike, values: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Validate a history: equal-length 1-D, strictly increasing years, values >= 0 or NaN."""
    yr = np.asarray(years, dtype=float)
    v = np.asarray(values, dtype=float)
    if yr.ndim != 1 or v.shape != yr.shape or yr.size == 0:
        raise ParameterError(
            f"history needs equal-length non-empty 1-D years and values, got shapes "
            f"{yr.shape} and {v.shape}"
        )
    if not np.all(np.isfinite(yr)) or np.any(np.diff(yr) <= 0):
        raise ParameterError(f"history years must be finite and strictly increasing: {yr.tolist()}")
    if np.any(v < 0) or np.any(np.isinf(v)):
        raise ParameterError(f"history values must be finite and >= 0 (or NaN): {v.tolist()}")
    return yr, v


def _horizons(horizons: Sequence[int]) -> np.ndarray:
    h = np.asarray(horizons)
    if h.ndim != 1 or h.size == 0 or not np.issubdtype(h.dtype, np.integer) or np.any(h < 1):
        raise ParameterError(f"horizons must be whole years >= 1, got {list(horizons)}")
    return h


def persistence(
    years: ArrayLike,
    values: ArrayLike,
    horizons: Sequence[int] = (1, 2),
    levels: ArrayLike = QUANTILES,
    log_sd_floor: float = LOG_SD_FLOOR,
) -> np.ndarray:
    """No-change forecast with the spread of past changes, like the Forecast Hub baseline.

    The median is the last value. For horizon ``h`` the spread comes from the empirical
    distribution of the history's ``h``-year log changes ``d = log v[t] - log v[t-h]`` (pairs
    exactly ``h`` years apart, both positive), symmetrised by pooling ``d`` and ``-d`` as the
    COVID-19 Forecast Hub baseline does (Cramer et al., PNAS 119(15) e2113561119, 2022), so the
    median stays the last value. Each quantile's log offset is then widened, if needed, to at
    least that of a normal with sd ``log_sd_floor * sqrt(h)``; with too short a history for
    any change, the floor alone sets the spread.

    Args:
        years: Years of the history, strictly increasing; the last is the forecast origin.
        values: Deaths in those years, >= 0 or NaN.
        horizons: Years ahead to forecast.
        levels: Quantile levels (see :func:`~narcosim.analysis.scoring.check_levels`).
        log_sd_floor: Smallest log-scale sd per sqrt(year), see :data:`LOG_SD_FLOOR`.

    Returns:
        Quantiles ``(len(horizons), len(levels))``: ``last * exp(offset)``. All NaN if the last
        value is NaN; all 0 if it is 0 (a multiplicative change cannot leave zero).

    Raises:
        ParameterError: On an invalid history, horizons, levels or floor.
    """
    yr, v = _history(years, values)
    lv, h = check_levels(levels), _horizons(horizons)
    if not log_sd_floor > 0:
        raise ParameterError(f"log_sd_floor must be > 0, got {log_sd_floor}")
    out = np.full((h.size, lv.size), np.nan)
    last = v[-1]
    if np.isnan(last):
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        logv = np.where(v > 0, np.log(v), np.nan)
    z = norm.ppf(lv)
    for i, step in enumerate(h):
        floor = z * log_sd_floor * np.sqrt(step)
        later, earlier = np.nonzero(yr[:, None] - yr[None, :] == step)
        d = logv[later] - logv[earlier]
        d = d[np.isfinite(d)]
        offset = floor
        if d.size:
            emp = np.quantile(np.concatenate([d, -d]), lv)
            offset = np.where(lv < 0.5, np.minimum(emp, floor), np.maximum(emp, floor))
            offset[lv.size // 2] = 0.0
        out[i] = last * np.exp(offset)
    return out


def loglinear_trend(
    years: ArrayLike,
    values: ArrayLike,
    horizons: Sequence[int] = (1, 2),
    levels: ArrayLike = QUANTILES,
    log_sd_floor: float = LOG_SD_FLOOR,
) -> np.ndarray:
    """Exponential trend of the last three years, extrapolated, with a normal log-scale spread.

    A least-squares line through ``log(values)`` against year over the last three years of the
    history, evaluated at ``origin + h``. The spread is normal on the log scale with the
    line's prediction standard error ``s * sqrt(1 + 1/n + (x - mean)^2 / Sxx)`` (``s`` the
    residual sd on ``n - 2 = 1`` degree of freedom), widened to at least
    ``log_sd_floor * sqrt(h)``. Normal rather than Student t is a choice: t on one degree of
    freedom is a Cauchy whose 1% and 99% quantiles are +/-31.8 sds, which after ``exp`` gives
    intervals no one would use; the normal understates the uncertainty in ``s``, which the
    scores will show as undercoverage.

    Args:
        years: Years of the history, strictly increasing; the last is the forecast origin.
        values: Deaths in those years, >= 0 or NaN.
        horizons: Years ahead to forecast.
        levels: Quantile levels (see :func:`~narcosim.analysis.scoring.check_levels`).
        log_sd_floor: Smallest log-scale sd per sqrt(year), see :data:`LOG_SD_FLOOR`.

    Returns:
        Quantiles ``(len(horizons), len(levels))``, median ``exp(a + b * (origin + h))``. All
        NaN when the history has fewer than three years or any of the last three is NaN or 0
        (no log-linear trend through a zero).

    Raises:
        ParameterError: On an invalid history, horizons, levels or floor.
    """
    yr, v = _history(years, values)
    lv, h = check_levels(levels), _horizons(horizons)
    if not log_sd_floor > 0:
        raise ParameterError(f"log_sd_floor must be > 0, got {log_sd_floor}")
    out = np.full((h.size, lv.size), np.nan)
    x, y = yr[-3:], v[-3:]
    if x.size < 3 or not np.all(y > 0):
        return out
    logy = np.log(y)
    xbar = x.mean()
    sxx = np.sum((x - xbar) ** 2)
    slope = np.sum((x - xbar) * (logy - logy.mean())) / sxx
    intercept = logy.mean() - slope * xbar
    s = np.sqrt(np.sum((logy - intercept - slope * x) ** 2) / (x.size - 2))
    z = norm.ppf(lv)
    for i, step in enumerate(h):
        x0 = yr[-1] + step
        se = s * np.sqrt(1 + 1 / x.size + (x0 - xbar) ** 2 / sxx)
        sd = max(se, log_sd_floor * np.sqrt(step))
        out[i] = np.exp(intercept + slope * x0 + z * sd)
    return out


def population_share(national_quantiles: ArrayLike, shares: ArrayLike) -> np.ndarray:
    """State forecasts as the national forecast times each state's population share.

    Scaling by a constant keeps quantiles quantiles, and the states' forecasts are perfectly
    dependent, so with shares summing to 1 each quantile summed over states is the national
    one.

    Args:
        national_quantiles: National quantiles, levels on the last axis (e.g. the output of
            :func:`persistence`, ``(len(horizons), len(levels))``).
        shares: Population shares, one per state, each in [0, 1], summing to at most 1 (a
            subset of states may be passed).

    Returns:
        Array ``(len(shares), *national_quantiles.shape)``; NaN national quantiles stay NaN.

    Raises:
        ParameterError: If shares are not 1-D, outside [0, 1] or sum above 1.
    """
    nat = np.asarray(national_quantiles, dtype=float)
    sh = np.asarray(shares, dtype=float)
    if sh.ndim != 1 or not np.all(np.isfinite(sh)) or np.any((sh < 0) | (sh > 1)):
        raise ParameterError(f"population shares must be a 1-D sequence in [0, 1]: {sh.tolist()}")
    if sh.sum() > 1 + 1e-9:
        raise ParameterError(f"population shares sum to {sh.sum():.6g}, more than 1")
    return sh.reshape(-1, *([1] * nat.ndim)) * nat
