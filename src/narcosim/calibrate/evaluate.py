"""Out-of-sample evaluation: rolling-origin forecasts and held-out states, beside baselines.

*Rolling origin* (DESIGN.md section 5): for each origin T, every input is cut at T
(``input_end=T``: NFLIS reports and fitted flows up to T, the supply projected after it), the
model is fitted to CDC deaths up to T only (:func:`~narcosim.calibrate.optimise.calibrate_deaths`,
the flow elasticities to reports included), and deaths at T+1 and T+2 are forecast by drug,
nationally and by state, as the 23 quantiles of the CDC forecast hubs
(:mod:`narcosim.calibrate.forecast`: anchored at the origin's observed value, and
free-running). The baselines (persistence, log-linear trend and, for
states, the national persistence forecast times population share) are computed from the same
CDC history by :mod:`narcosim.analysis.baselines` and scored by the same code
(:mod:`narcosim.analysis.scoring`).

*Leave states out* (k-fold): the states are dealt into ``folds`` groups by a named stream of
the seed; each group's fit never sees that group's deaths after the first year (the national
totals, which include them, stay in the fit), and predicts their per-capita rates 2016 on.
Every state is held out once, so the pooled out-of-fold R² covers all states and does not hang
on which ten were drawn; it is scored beside the baselines of :mod:`narcosim.calibrate.skill`,
with each fold's own R² beside it to show the spread.

Known limits: the packaged seizure fit's corridor weights and load sizes for fiscal years after
an origin still steer routing (not the flow's size, which is cut at the origin); each origin's
supply scale before FY2019 is anchored on FY2019's flow, a unit the fitted risks absorb.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from narcosim.analysis.baselines import loglinear_trend, persistence, population_share
from narcosim.analysis.scoring import QUANTILES, quantile_column
from narcosim.atlas.query import death_years
from narcosim.atlas.store import Atlas
from narcosim.calibrate.deaths import (
    DeathTargets,
    annual_deaths,
    death_targets,
    people_sim,
    record_market,
)
from narcosim.calibrate.forecast import (
    damping_runs,
    forecast_rng_for,
    model_quantiles,
)
from narcosim.calibrate.optimise import MIN_FIT_YEARS, calibrate_deaths
from narcosim.calibrate.skill import rate_r2_table
from narcosim.core.random import Stream
from narcosim.errors import ParameterError
from narcosim.model.builder import load_inputs
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.people import DEATH_KEYS
from narcosim.scenario.limits import MAX_RUNS, MAX_SCALE, check_count
from narcosim.world import World


@dataclass(frozen=True)
class EvaluationSettings:
    """What an evaluation runs.

    Attributes:
        origins: Forecast origins (last year of data each fit sees).
        horizons: Years ahead.
        trials: Optuna trials per fit.
        scale: People per agent in the fit runs.
        forecast_scale: People per agent in the forecast runs (finer, so that small states'
            expected deaths are not dominated by which few agents live there; the fitted
            parameters do not depend on the scale).
        seed: Run seed (fits, forecasts, the held-out states).
        dampings: Status-quo dampings of the supply trend mixed in the forecast (the guessed
            parameter's range, evenly).
        folds: Leave-states-out folds: every state is held out once, in one of ``folds``
            groups (0 = skip it).
    """

    origins: tuple[int, ...] = (2018, 2019, 2020, 2021)
    horizons: tuple[int, ...] = (1, 2)
    trials: int = 80
    scale: int = 1000
    forecast_scale: int = 100
    seed: int = 1
    dampings: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
    folds: int = 5


def check_settings(years: Sequence[int], settings: EvaluationSettings) -> None:
    """Refuse origins the data cannot score, in one line.

    Raises:
        ParameterError: An origin with fewer than three fit years, or whose last horizon is
            past the data; bad horizons, trials, scale or fold count.
    """
    first, last = years[0], years[-1]
    if not settings.origins:
        raise ParameterError("evaluate: no origins given")
    if not settings.horizons or min(settings.horizons) < 1:
        raise ParameterError(f"evaluate: horizons must be >= 1, got {settings.horizons}")
    for origin in settings.origins:
        if origin - first + 1 < MIN_FIT_YEARS:
            raise ParameterError(f"evaluate: origin {origin} leaves fewer than "
                                 f"{MIN_FIT_YEARS} fit years (CDC data start in {first})")
        if origin + max(settings.horizons) > last:
            raise ParameterError(f"evaluate: origin {origin} + {max(settings.horizons)} years "
                                 f"is past the last CDC year in the store ({last})")
    check_count("--trials", settings.trials, 1, MAX_RUNS)
    check_count("--scale", settings.scale, 1, MAX_SCALE)
    check_count("--forecast-scale", settings.forecast_scale, 1, MAX_SCALE)
    if settings.folds != 0 and not 2 <= settings.folds <= 10:
        raise ParameterError(f"evaluate: folds must be 0 (skip) or 2–10, got {settings.folds}")


def _rows(model: str, origin: int, drug: str, locations: Sequence[str],
          horizons: Sequence[int], quantiles: np.ndarray, observed: np.ndarray) -> list[dict]:
    """Tidy rows from quantiles (locations, horizons, levels) and observed (locations, h)."""
    cols = [quantile_column(q) for q in QUANTILES]
    rows = []
    for i, loc in enumerate(locations):
        for j, h in enumerate(horizons):
            row = {"model": model, "origin": origin, "horizon": h, "drug": drug,
                   "location": loc, "observed": float(observed[i, j])}
            row.update(zip(cols, quantiles[i, j].tolist(), strict=True))
            rows.append(row)
    return rows


def forecast_origin(atlas: Atlas, origin: int, settings: EvaluationSettings,
                    full: DeathTargets) -> tuple[pd.DataFrame, dict]:
    """Fit on data up to ``origin`` and forecast its horizons; the baselines beside it.

    Args:
        atlas: The opened atlas store.
        origin: Last data year the fit and every input may see.
        settings: The evaluation settings.
        full: CDC targets over every year (only years <= origin reach the fit; later ones are
            the observed values scored).

    Returns:
        The tidy forecast rows (every model) and a summary of the origin's fit.
    """
    inputs = load_inputs(atlas, input_end=origin,
                         report_elasticity=dict.fromkeys(SUPPLY_DRUGS, 1.0))
    world = inputs.world
    fit_years = tuple(y for y in full.years if y <= origin)
    targets = death_targets(atlas, world.states, fit_years, full.drugs)
    fitted, table = calibrate_deaths(inputs, targets, seed=settings.seed, trials=settings.trials,
                                     scale=settings.scale, profile=False)
    horizons = tuple(settings.horizons)
    years = (*fit_years, *(origin + h for h in horizons))
    sims = damping_runs(inputs.with_fit(report_elasticity=fitted.report_elasticity),
                        fitted.pars, settings.dampings, years, settings.seed,
                        settings.forecast_scale)
    n_fit = len(fit_years)
    observed_idx = [full.years.index(origin + h) for h in horizons]
    pop_row = int(np.clip(origin - world.years[0], 0, len(world.years) - 1))
    pop_share = np.asarray(world.population, dtype=float)[pop_row]
    pop_share = pop_share / pop_share.sum()
    states = list(world.states)
    rows: list[dict] = []
    for d, drug in enumerate(full.drugs):
        nat_hist = full.national[d, :n_fit]
        state_hist = full.states[d, :n_fit]
        obs_nat = full.national[d, observed_idx][None, :]
        obs_state = full.states[d, observed_idx].T
        quantiles = model_quantiles(sims[d], nat_hist, state_hist, horizons,
                                    forecast_rng_for(settings.seed, origin, drug))
        for name, (nat_q, state_q) in quantiles.items():
            rows += _rows(name, origin, drug, ["US"], horizons, nat_q[None], obs_nat)
            rows += _rows(name, origin, drug, states, horizons, state_q, obs_state)
        per = persistence(fit_years, nat_hist, horizons)
        rows += _rows("persistence", origin, drug, ["US"], horizons, per[None], obs_nat)
        rows += _rows("trend", origin, drug, ["US"], horizons,
                      loglinear_trend(fit_years, nat_hist, horizons)[None], obs_nat)
        s_per = np.stack([persistence(fit_years, state_hist[:, s], horizons)
                          for s in range(len(states))])
        s_trend = np.stack([loglinear_trend(fit_years, state_hist[:, s], horizons)
                            for s in range(len(states))])
        rows += _rows("persistence", origin, drug, states, horizons, s_per, obs_state)
        rows += _rows("trend", origin, drug, states, horizons, s_trend, obs_state)
        rows += _rows("population share", origin, drug, states, horizons,
                      population_share(per, pop_share), obs_state)
    summary = {"origin": origin, "fit": table.to_dict(orient="records"),
               "pars": fitted.pars, "report_elasticity": fitted.report_elasticity}
    return pd.DataFrame(rows), summary


def state_folds(states: Sequence[str], folds: int, seed: int) -> list[list[str]]:
    """The states dealt into ``folds`` groups after a shuffle by the stream ``evaluate.folds``."""
    rng = Stream("evaluate.folds", seed).generator(0)
    order = rng.permutation(len(states))
    return [sorted(states[i] for i in part) for part in np.array_split(order, folds)]


def fit_without(atlas: Atlas, settings: EvaluationSettings, held: Sequence[str]) -> dict:
    """Fit without ``held`` states' deaths after the first year; simulate their deaths.

    Returns:
        The held states and their simulated deaths per (drug, year, held state), every CDC
        year, as nested lists (JSON).
    """
    inputs = load_inputs(atlas, report_elasticity=dict.fromkeys(SUPPLY_DRUGS, 1.0))
    world = inputs.world
    years = death_years(atlas)
    full = death_targets(atlas, world.states, years, DEATH_KEYS)
    mask = np.isin(world.states, list(held))
    hidden = full.states.copy()
    hidden[:, 1:, mask] = np.nan
    train = DeathTargets(full.years, full.drugs, full.national, hidden)
    fitted, _ = calibrate_deaths(inputs, train, seed=settings.seed, trials=settings.trials,
                                 scale=settings.scale, profile=False)
    chosen = inputs.with_fit(report_elasticity=fitted.report_elasticity)
    end = f"{years[-1]}-12-31"
    sold = record_market(chosen, settings.seed, end)
    sim = people_sim(chosen, sold, seed=settings.seed, scale=settings.forecast_scale, end=end,
                     pars=fitted.pars).run()
    annual = annual_deaths(sim, years)[:, :, mask]
    return {"states": [s for s in world.states if s in set(held)], "years": list(years),
            "deaths": annual.tolist()}


def leave_states_out(atlas: Atlas, folds: Sequence[dict]) -> dict:
    """Pool the folds' out-of-fold predictions; R² of rates 2016 on beside the baselines.

    Args:
        atlas: The opened atlas store.
        folds: :func:`fit_without` results that together hold out every state once.

    Returns:
        ``states`` (all held out), ``r2`` (pooled over every state, one row per drug) and
        ``folds`` (each fold's states and its own R² table).
    """
    world = World.from_atlas(atlas)
    years = death_years(atlas)
    full = death_targets(atlas, world.states, years, DEATH_KEYS)
    rows = np.clip(np.asarray(years) - world.years[0], 0, len(world.years) - 1)
    pop = np.asarray(world.population, dtype=float)[rows]
    pooled = np.full(full.states.shape, np.nan)
    later = [y for y in years if y > years[0]]
    per_fold = []
    for fold in folds:
        idx = [world.states.index(s) for s in fold["states"]]
        pooled[:, :, idx] = np.asarray(fold["deaths"], dtype=float)
        mask = np.isin(world.states, fold["states"])
        table = rate_r2_table(pooled, full, pop, years=later, states=mask)
        per_fold.append({"states": fold["states"], "r2": table.to_dict(orient="records")})
    held = np.isfinite(pooled[0, 0])
    table = rate_r2_table(np.nan_to_num(pooled), full, pop, years=later, states=held)
    return {"states": [s for s, h in zip(world.states, held, strict=True) if h],
            "r2": table.to_dict(orient="records"), "folds": per_fold}
