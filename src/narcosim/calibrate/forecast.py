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

from collections.abc import Callable, Sequence

import numpy as np

from narcosim.analysis.scoring import QUANTILES
from narcosim.calibrate.deaths import annual_deaths, people_sim, record_market
from narcosim.core.axes import Axes
from narcosim.core.random import Stream
from narcosim.model.inputs import SupplyInputs

#: The anchored forecast (the forecast product) and the model's free-running one.
MODEL = "narcosim"
FREE = "narcosim free-running"

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


StreamFactory = Callable[[str, str, int], np.random.Generator]


def forecast_rng_for(seed: int, origin: int, drug: str) -> StreamFactory:
    """A factory ``rng(name, place, h)`` of the named forecast streams of one drug."""
    def rng(name: str, place: str, h: int) -> np.random.Generator:
        return forecast_rng(seed, origin, f"{name}/{drug}/{place}/{h}")
    return rng


#: The axes of the damping runs' expected deaths of one drug.
SIMS = Axes("year", "state", "damping")
#: The run whose history the in-sample errors are measured on: the first damping's.
FIRST_DAMPING = 0


def damping_runs(inputs: SupplyInputs, pars: dict[str, float], dampings: Sequence[float],
                 years: Sequence[int], seed: int, scale: int) -> np.ndarray:
    """Expected deaths per (drug, year, state, damping): one run per supply-trend damping."""
    end = f"{years[-1]}-12-31"
    runs = []
    for phi in dampings:
        chosen = inputs.with_fit(damping=phi)
        sold = record_market(chosen, seed, end)
        sim = people_sim(chosen, sold, seed=seed, scale=scale, end=end, pars=pars).run()
        runs.append(annual_deaths(sim, years))
    return np.stack(runs, axis=-1)


def model_quantiles(sims: np.ndarray, nat_hist: np.ndarray, state_hist: np.ndarray,
                    horizons: Sequence[int], rng: StreamFactory,
                    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The anchored and free-running quantile forecasts of one drug.

    Args:
        sims: Expected deaths (years, states, dampings); the first ``len(nat_hist)`` years are
            the history up to the origin, then one year per horizon.
        nat_hist: CDC's national deaths up to the origin.
        state_hist: CDC's deaths by state up to the origin, (years, states); NaN withheld.
        horizons: Years ahead, in the order of ``sims``' later years.
        rng: ``rng(name, place, h)`` giving each forecast's named stream.

    Returns:
        Model name -> (national quantiles (horizons, levels), states (states, horizons,
        levels)).
    """
    n_fit = len(nat_hist)
    history = slice(None, n_fit)
    sim_nat = SIMS.sum(sims, "state")
    nat = SIMS.drop("state")
    sigma_fit = log_rms(nat.take(sim_nat, year=history, damping=FIRST_DAMPING), nat_hist)
    sigma_state = log_rms(SIMS.take(sims, year=history, damping=FIRST_DAMPING), state_hist)
    walk = walk_sd(nat_hist)
    g_nat = growth_rms(nat.take(sim_nat, year=history, damping=FIRST_DAMPING), nat_hist)
    g_state = growth_rms(SIMS.take(sims, year=history, damping=FIRST_DAMPING), state_hist)
    ahead, origin = slice(n_fit, None), n_fit - 1
    with np.errstate(divide="ignore", invalid="ignore"):  # no deaths at T: no growth
        growth_nat = nat.take(sim_nat, year=ahead) / nat.take(sim_nat, year=origin)
        growth_state = SIMS.take(sims, year=ahead) / SIMS.take(sims, year=origin)
    out = {}
    for name, nat_mean, state_mean, s_nat, s_state in (
            (MODEL, nat_hist[-1] * growth_nat, state_hist[-1][None, :, None] * growth_state,
             [np.sqrt(h) * float(np.hypot(g_nat, walk)) for h in horizons],
             [np.sqrt(h) * g_state for h in horizons]),
            (FREE, sim_nat[n_fit:], sims[n_fit:],
             [float(np.hypot(sigma_fit, np.sqrt(h) * walk)) for h in horizons],
             [float(np.hypot(sigma_state, np.sqrt(h) * walk)) for h in horizons])):
        nat_q = np.stack([mixture_quantiles(nat_mean[j], s_nat[j], rng(name, "US", h))
                          for j, h in enumerate(horizons)])
        state_q = np.stack([mixture_quantiles(state_mean[j], s_state[j],
                                              rng(name, "states", h))
                            for j, h in enumerate(horizons)], axis=1)
        out[name] = (nat_q, state_q)
    return out
