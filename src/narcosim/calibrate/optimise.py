"""The deaths fit's optimiser: Optuna over the shape parameters, NNLS inside each trial.

A trial is self-contained (:class:`TrialContext` holds the recorded market, the targets and
what the people module needs), so trials can run in this process or — in batches asked of
Optuna at once and told back in trial order — on the same process pool or Dask cluster the
ensembles use (:func:`narcosim.run.backends.run_jobs`). The result depends on the seed and the
batch size (``workers``), not on the backend or the order in which trials finish.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import optuna
import pandas as pd

from narcosim import __version__
from narcosim.calibrate.deaths import (
    LINEAR,
    SEARCH_SPACE,
    DeathTargets,
    annual_basis,
    annual_deaths,
    co_involvement,
    co_involvement_records,
    fit_table,
    objective_value,
    record_market,
    solve_linear,
    with_population,
)
from narcosim.calibrate.elasticity import KAPPA, elasticity_profile, profile_interval
from narcosim.core.sim import Sim
from narcosim.core.time import Timeline
from narcosim.errors import ParameterError
from narcosim.model.builder import DEFAULT_START
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.fitted_people import FittedPeople
from narcosim.model.inputs import SupplyInputs
from narcosim.model.people import People
from narcosim.model.people_params import FIT_START
from narcosim.model.replay import MarketReplay
from narcosim.run.backends import run_jobs

#: Passes of the linear solve per trial (each from the previous pass's coefficients).
SOLVE_PASSES = 2
#: Prefix of the search's flow elasticities to reports (one per supply drug), and their ranges
#: (low, high, log): the latent growth curve of the flows before the seizure window.
KAPPA_SPACE: dict[str, tuple[float, float, bool]] = {
    "fentanyl": (0.5, 3.0, False), "methamphetamine": (0.0, 3.0, False),
    "cocaine": (0.0, 3.0, False)}
#: Fewest years a deaths fit takes (trends and growth need three points).
MIN_FIT_YEARS = 3
#: Upper bounds of the linearly solved parameters (their specs' ``high``).
_BOUNDS: dict[str, float] = {s.name: (np.inf if s.high is None else float(s.high))
                             for s in People.param_specs if s.name in LINEAR}


@dataclass(frozen=True)
class TrialContext:
    """Everything a trial needs, picklable: people inputs, the recorded market, the targets."""

    population: np.ndarray
    first_year: int
    states: tuple[str, ...]
    prevalence: np.ndarray
    sold: np.ndarray
    targets: DeathTargets
    seed: int
    scale: int
    end: str
    step_ratio: np.ndarray | None = None
    kappa0: tuple[float, ...] = (1.0, 1.0, 1.0)

    def market(self, kappa: dict[str, float]) -> np.ndarray:
        """The recorded market with its report-driven years rescaled to elasticities ``kappa``.

        Flows outside the seizure window are reports ** kappa (see supply_index); sales follow
        flows within a few weeks, so during the search the recorded sales of those years are
        rescaled instead of re-running the supply. The fit's final table comes from a full
        run with the chosen values.
        """
        if self.step_ratio is None or not kappa:
            return self.sold
        power = np.array([kappa.get(d, k0) - k0
                          for d, k0 in zip(SUPPLY_DRUGS, self.kappa0, strict=True)])
        return self.sold * (self.step_ratio ** power[None, :])[:, :, None]

    def sim(self, pars: dict[str, float], basis: bool = False) -> Sim:
        """A people-only run over the (rescaled) recorded market."""
        kappa = {k.removeprefix(KAPPA): v for k, v in pars.items() if k.startswith(KAPPA)}
        people_pars = {k: v for k, v in pars.items() if not k.startswith(KAPPA)}
        people = People(self.population, self.first_year, self.states, self.scale,
                        market="market_replay", prevalence=self.prevalence,
                        record_basis=basis, pars=people_pars)
        return Sim([MarketReplay(self.market(kappa)), people], Timeline(DEFAULT_START, self.end),
                   seed=self.seed, name="people")

    def solve(self, shape: dict[str, float], coefs: dict[str, float]) -> dict[str, float]:
        """The linear coefficients that best fit, given the shape parameters.

        The basis is recorded in a run with ``coefs``, whose deaths thin the people at risk, so
        it is linear only near them: the solve is repeated from its own answer
        (:data:`SOLVE_PASSES` passes), so the final coefficients sit at a basis run with
        coefficients like themselves, not with the starting values.
        """
        high = np.array([_BOUNDS[name] for name in LINEAR])
        for _ in range(SOLVE_PASSES):
            sim = self.sim({**shape, **coefs}, basis=True).run()
            basis = annual_basis(sim, self.population, self.first_year, self.targets.years)
            coef = solve_linear(basis, self.targets)
            # keep each coefficient within its parameter's bounds (binds only in odd corners
            # of the search, e.g. very short fit windows; otherwise it leaves the solution)
            coefs = dict(zip(LINEAR, np.minimum(coef, high).tolist(), strict=True))
        return coefs

    def score(self, pars: dict[str, float]) -> tuple[float, pd.DataFrame]:
        """The objective and fit table of one parameter set."""
        sim = self.sim(pars).run()
        table = fit_table(annual_deaths(sim, self.targets.years), self.targets)
        return objective_value(table, co_involvement(sim, self.targets.years)), table

    def shares(self, pars: dict[str, float]) -> dict[str, float]:
        """The simulated opioid co-involvement shares (see deaths.CO_INVOLVEMENT)."""
        return co_involvement(self.sim(pars).run(), self.targets.years)


def evaluate_trial(ctx: TrialContext, number: int, shape: dict[str, float],
                   start: dict[str, float]) -> tuple[int, float, dict[str, float]]:
    """One trial: solve the coefficients for ``shape``, then score (a top-level, picklable job)."""
    coefs = ctx.solve(shape, start)
    return number, ctx.score({**shape, **coefs})[0], coefs


def _suggest(trial: optuna.Trial) -> dict[str, float]:
    space = {**SEARCH_SPACE, **{KAPPA + d: r for d, r in KAPPA_SPACE.items()}}
    return {name: trial.suggest_float(name, lo, hi, log=log)
            for name, (lo, hi, log) in space.items()}


def trial_context(inputs: SupplyInputs, targets: DeathTargets, seed: int, scale: int
                  ) -> TrialContext:
    """A trial context over the inputs' market, recorded up to the targets' last year."""
    end = f"{targets.years[-1]}-12-31"
    world = inputs.world
    targets = with_population(targets, np.asarray(world.population), world.years[0])
    kappa0 = tuple(float(inputs.report_elasticity[d]) for d in SUPPLY_DRUGS)
    return TrialContext(np.asarray(world.population), world.years[0], world.states,
                        np.asarray(inputs.prevalence), record_market(inputs, seed, end),
                        targets, seed, scale, end,
                        step_ratio(inputs, Timeline(DEFAULT_START, end)), kappa0)


def step_ratio(inputs: SupplyInputs, timeline: Timeline) -> np.ndarray:
    """Reports relative to the anchor year at each step, (steps, drugs)."""
    ratio = inputs.report_ratio()
    idx = [inputs.fitted.fy_index(int(fy)) for fy in timeline.fiscal_years]
    return ratio[:, idx].T


def calibrate_deaths(
    inputs: SupplyInputs,
    targets: DeathTargets,
    *,
    seed: int = 1,
    trials: int = 40,
    scale: int = 1000,
    backend: str | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    profile: bool = True,
) -> tuple[FittedPeople, pd.DataFrame]:
    """Fit the overdose-risk parameters to CDC's deaths.

    Optuna (TPE, seeded) searches the shape parameters; inside each trial the linear risk
    coefficients are solved exactly by non-negative least squares.

    Args:
        inputs: Supply inputs (their market shares decide what the people see).
        targets: CDC deaths to fit (the years set the fit window).
        seed: Seed of the runs and of the sampler.
        trials: Optuna trials.
        scale: People per agent in the trial runs.
        backend: None runs trials here one by one; ``local`` or ``dask`` runs them in batches
            of ``workers`` on the ensembles' process pool or Dask cluster.
        workers: Trials per batch (and worker processes).
        scheduler: A Dask scheduler's address (``dask`` only).
        progress: Called as ``progress(trial, trials, best_value)``.
        profile: Also profile the fentanyl elasticity for its interval (stored in ``meta``).

    Returns:
        The fit and its fit table (from a check run with the fitted values).
    """
    if trials < 1:
        raise ParameterError(f"trials must be >= 1, got {trials}")
    if len(targets.years) < MIN_FIT_YEARS:
        raise ParameterError(f"a deaths fit needs at least {MIN_FIT_YEARS} years of CDC "
                             f"deaths; got {len(targets.years)} "
                             f"({', '.join(str(y) for y in targets.years)})")
    if workers < 1:
        raise ParameterError(f"workers must be >= 1, got {workers}")
    ctx = trial_context(inputs, targets, seed, scale)
    # start from the calibration's own starting values, never the packaged fit (the spec
    # defaults), which saw every CDC year: a rolling-origin fit must not depend on later data
    start = {name: FIT_START[name] for name in LINEAR}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize",
                                sampler=optuna.samplers.TPESampler(seed=seed))
    batch = 1 if backend is None else workers
    done = 0
    while done < trials:
        asked = [study.ask() for _ in range(min(batch, trials - done))]
        jobs = [(ctx, t.number, _suggest(t), start) for t in asked]
        results = _run(jobs, backend, workers, scheduler)
        for trial in asked:  # tell in trial order, whatever order they finished in
            _, value, coefs = results[trial.number]
            trial.set_user_attr("coefficients", coefs)
            study.tell(trial, value)
        done += len(asked)
        if progress is not None:
            progress(done, trials, float(study.best_value))
    shape = {k: v for k, v in study.best_params.items() if not k.startswith(KAPPA)}
    kappa = {k.removeprefix(KAPPA): v for k, v in study.best_params.items()
             if k.startswith(KAPPA)}
    # the final solve and table on a full run of the supply with the chosen elasticities
    chosen = inputs.with_fit(report_elasticity=kappa)
    ctx = trial_context(chosen, targets, seed, scale)
    best = {**shape, **ctx.solve(shape, study.best_trial.user_attrs["coefficients"])}
    # the status quo after the fit: trends held from the end of the last fit year
    best["trends_until"] = float(targets.years[-1] + 1)
    table_profile = None
    if profile:
        # the elasticity is identified from the national fentanyl series: its profile's best
        # value (with the fentanyl flow elasticity re-fitted there) is the fit's, and the
        # profile gives its interval
        table_profile = elasticity_profile(ctx, {**best, **{KAPPA + d: v
                                                            for d, v in kappa.items()}})
        top = table_profile.loc[table_profile["deviance"].idxmin()]
        shape["fentanyl_elasticity"] = float(top["elasticity"])
        kappa["fentanyl"] = float(top["report_elasticity"])
        ctx = trial_context(inputs.with_fit(report_elasticity=kappa), targets, seed, scale)
        coefs = ctx.solve(shape, {k: best[k] for k in LINEAR})
        best = {**shape, **coefs, "trends_until": best["trends_until"]}
    value, table = ctx.score(best)
    workers_part = f" --backend {backend} --workers {workers}" if backend else ""
    meta: dict[str, Any] = {
        "command": f"narcosim calibrate --seed {seed} --trials {trials} --scale {scale} "
                   f"--years {targets.years[0]}-{targets.years[-1]}{workers_part}",
        "seed": seed, "trials": trials, "scale": scale,
        "fit_years": [targets.years[0], targets.years[-1]],
        "objective": value,
        "fit": table.to_dict(orient="records"),
        "opioid_co_involvement": co_involvement_records(ctx.shares(best)),
        **({} if table_profile is None else {
            "fentanyl_elasticity_interval": list(profile_interval(table_profile)),
            "fentanyl_elasticity_profile": table_profile.to_dict(orient="records")}),
        "narcosim_version": __version__,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return FittedPeople(best, meta, kappa), table


def _run(jobs: list[tuple[Any, ...]], backend: str | None, workers: int,
         scheduler: str | None) -> dict[int, tuple[int, float, dict[str, float]]]:
    if backend is None:
        return {job[1]: evaluate_trial(*job) for job in jobs}
    return {r[0]: r for r in run_jobs(evaluate_trial, jobs, backend=backend, workers=workers,
                                      scheduler=scheduler)}
