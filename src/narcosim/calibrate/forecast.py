"""Quantile forecasts of overdose deaths from a fitted model.

Two forecasts come from the same fitted runs; both mix, with equal weights, the runs made under
each status-quo damping of the supply trend (the projection's guessed parameter, sampled over
its range), each spread log-normally:

* **anchored** (the forecast product, as forecast hubs do): the last observed value at the
  origin times the model's growth from the origin, ``obs_T * sim_{T+h} / sim_T``. Its log
  spread is ``sqrt(h) * sigma_growth``, the root mean square of the one-year growth errors up
  to the origin. Nationally the fit pins the growth, so in-sample errors understate what is to
  come: there ``sigma_growth`` is widened by the year-on-year variability of CDC's national
  series (``sqrt(sigma_growth**2 + sigma_walk**2)``: shocks the model does not see, such as
  the 2020 pandemic). By state the fit does not pin each state's growth, so the pooled
  in-sample errors (which already carry the national shocks) are used as they are. Its skill
  over persistence is the skill of the model's dynamics: supply and people driving deaths.
* **free-running**: the model's own level, ``sim_{T+h}``, spread by
  ``sqrt(sigma_fit**2 + h * sigma_walk**2)``: the RMS of the fit's log errors, and the standard
  deviation of CDC's year-on-year national log changes up to the origin (shocks the model does
  not see, such as the 2020 pandemic).

Everything comes from data up to the origin. Quantiles are read off draws from a named stream
of the run seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from narcosim.analysis.scoring import QUANTILES
from narcosim.core.random import Stream

#: Draws per mixture component when reading quantiles off the predictive distribution.
DRAWS = 4000


def forecast_rng(seed: int, origin: int, key: str) -> np.random.Generator:
    """The named stream ``evaluate.forecast`` of the run seed, at the origin, for one key."""
    return Stream("evaluate.forecast", seed).generator(origin, key)


def log_rms(sim: np.ndarray, obs: np.ndarray) -> float:
    """Root mean square of log(sim / obs) over the pairs where both are positive."""
    ok = np.isfinite(obs) & np.isfinite(sim) & (obs > 0) & (sim > 0)
    if not ok.any():
        return float("nan")
    return float(np.sqrt(np.mean(np.log(sim[ok] / obs[ok]) ** 2)))


def growth_rms(sim: np.ndarray, obs: np.ndarray) -> float:
    """RMS of the one-year growth errors, log(obs_t/obs_t-1) - log(sim_t/sim_t-1), axis 0.

    Args:
        sim: Simulated values over the fit years (years, ...).
        obs: Observed values, same shape (NaN where withheld).
    """
    sim = np.asarray(sim, dtype=float)
    obs = np.asarray(obs, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.log(obs[1:] / obs[:-1]) - np.log(sim[1:] / sim[:-1])
    err = err[np.isfinite(err)]
    return float(np.sqrt(np.mean(err ** 2))) if err.size else float("nan")


def walk_sd(national: np.ndarray) -> float:
    """Standard deviation of year-on-year log changes of a national series (at least 2)."""
    x = np.asarray(national, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    if x.size < 3:
        return 0.0
    return float(np.std(np.diff(np.log(x)), ddof=1))


def mixture_quantiles(means: np.ndarray, sigma: float, rng: np.random.Generator,
                      levels: Sequence[float] = tuple(QUANTILES)) -> np.ndarray:
    """Quantiles of an equal-weight mixture of log-normals around ``means`` (last axis).

    Args:
        means: Medians of the components, shape (..., components).
        sigma: Log-scale standard deviation of every component.
        rng: The forecast's generator.
        levels: Quantile levels.

    Returns:
        Shape (..., len(levels)).
    """
    means = np.asarray(means, dtype=float)
    z = rng.standard_normal((means.shape[-1], DRAWS))
    draws = np.where(means[..., None] > 0, means[..., None], np.nan) * np.exp(sigma * z)
    flat = draws.reshape(*means.shape[:-1], -1)
    out = np.quantile(flat, np.asarray(levels), axis=-1)
    return np.moveaxis(out, 0, -1)
