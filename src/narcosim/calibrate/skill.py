"""State-level skill on per-capita rates, beside simple baselines computed by the same code.

The fit is scored on deaths per 100,000 people (pooled over state-years with a CDC value),
so that large states do not carry the score. Three baselines that know the answer's level:

* ``population share``: every state at the nation's rate that year (CDC's national total
  times the state's population share);
* ``2015 share``: CDC's national total that year times each state's share of 2015 deaths (an
  initial condition the model may use too; states CDC withheld in 2015 share the national
  remainder by population);
* ``persistence``: each state's own rate the year before (for the first year: itself).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from narcosim.calibrate.deaths import DeathTargets
from narcosim.core.axes import Axes

#: The axes of the CDC targets by state and nationally (:class:`DeathTargets`).
BY_STATE, NATIONAL = Axes("drug", "year", "state"), Axes("drug", "year")

BASELINES: tuple[str, ...] = ("population share", "2015 share", "persistence")


def r2(pred: np.ndarray, obs: np.ndarray) -> float:
    """Coefficient of determination over the finite pairs (1 - SS_res / SS_tot)."""
    ok = np.isfinite(obs) & np.isfinite(pred)
    if ok.sum() < 2:
        return float("nan")
    resid = float(((pred[ok] - obs[ok]) ** 2).sum())
    total = float(((obs[ok] - obs[ok].mean()) ** 2).sum())
    return 1.0 - resid / total if total > 0 else float("nan")


def baseline_counts(targets: DeathTargets, population: np.ndarray,
                    first: DeathTargets | None = None) -> dict[str, np.ndarray]:
    """Baseline state counts per (drug, year, state) for the targets' years.

    Args:
        targets: CDC targets (national and by state).
        population: State populations per target year, (years, states).
        first: The targets' first-year values (2015 shares); default the targets' own first
            year.
    """
    pop = np.asarray(population, dtype=float)
    share_pop = pop / pop.sum(axis=1, keepdims=True)
    nat = targets.national[:, :, None]
    first = first or targets
    base = BY_STATE.take(first.states, year=0).copy()  # the first year's, (drug, state)
    # states CDC withheld in the first year share the national remainder by population
    by_state = np.nansum(base, axis=BY_STATE.drop("year").of("state"))
    rest = np.clip(NATIONAL.take(first.national, year=0) - by_state, 0.0, None)
    missing = ~np.isfinite(base)
    pop_missing = np.where(missing, pop[0][None, :], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = rest[:, None] * pop_missing / pop_missing.sum(axis=1, keepdims=True)
    base = np.where(missing, fill, base)
    share_2015 = (base / base.sum(axis=1, keepdims=True))[:, None, :]
    prev = np.concatenate([targets.states[:, :1], targets.states[:, :-1]], axis=1)
    return {"population share": nat * share_pop[None], "2015 share": nat * share_2015,
            "persistence": prev}


def rate_r2_table(sim_annual: np.ndarray, targets: DeathTargets, population: np.ndarray,
                  years: Sequence[int] | None = None, states: np.ndarray | None = None,
                  ) -> pd.DataFrame:
    """Pooled state-year R² of per-capita rates: the model beside the baselines.

    Args:
        sim_annual: Simulated deaths per (drug, year, state) over ``targets.years``.
        targets: CDC targets.
        population: State populations per target year, (years, states).
        years: Score only these years (default all of the targets').
        states: Boolean mask of the states to score (default all).

    Returns:
        One row per drug: ``model`` and one column per baseline (R² of rates per 100,000).
    """
    pop = np.asarray(population, dtype=float)
    keep_y = np.ones(len(targets.years), bool) if years is None else np.isin(
        targets.years, list(years))
    keep_s = np.ones(pop.shape[1], bool) if states is None else np.asarray(states, bool)
    preds = {"model": sim_annual, **baseline_counts(targets, pop)}
    rows = []
    for d, drug in enumerate(targets.drugs):
        obs = (targets.states[d] / pop * 1e5)[keep_y][:, keep_s].reshape(-1)
        row: dict[str, float | str] = {"drug": drug}
        for name, counts in preds.items():
            rate = (counts[d] / pop * 1e5)[keep_y][:, keep_s].reshape(-1)
            row[name] = r2(rate, obs)
        row["state_years"] = int(np.isfinite(obs).sum())
        rows.append(row)
    return pd.DataFrame(rows)
