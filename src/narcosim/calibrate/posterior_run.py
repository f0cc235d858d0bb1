"""``narcosim calibrate posterior`` end to end: sample, check, package.

:func:`fit_posterior` builds the point fit's trial context (recorded market, CDC targets),
runs the ABC-PMC sampler (:mod:`narcosim.calibrate.posterior`), checks the sample against the
targets (:mod:`narcosim.calibrate.posterior_check`) and returns it as a
:class:`~narcosim.model.fitted_posterior.FittedPosterior`. :func:`particle_deaths`
re-simulates a packaged sample, so a test can recompute the check from the file alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from narcosim import __version__
from narcosim.calibrate.deaths import LINEAR, DeathTargets, annual_deaths
from narcosim.calibrate.elasticity import KAPPA
from narcosim.calibrate.optimise import TrialContext, trial_context
from narcosim.calibrate.posterior import (
    ALPHA,
    INITIAL_SPREAD,
    MIN_ACCEPT,
    Population,
    effective_size,
    prior_box,
    sample_posterior,
)
from narcosim.calibrate.posterior_check import predictive_check
from narcosim.model.fitted_people import FittedPeople
from narcosim.model.fitted_posterior import FittedPosterior
from narcosim.model.inputs import SupplyInputs
from narcosim.model.people import People

METHOD = ("adaptive ABC population Monte Carlo (Lenormand, Jabot & Deffuant 2013), "
          "multivariate normal kernel of twice the weighted covariance, truncated to the "
          "prior box (Beaumont et al. 2009; Filippi et al. 2013), uniform priors "
          "on the point fit's search ranges, distance = the point fit's objective on expected "
          "deaths, linear risks re-solved per particle")


def start_coefficients(point: FittedPeople) -> dict[str, float]:
    """Where each particle's linear solve starts: the point fit's risks, else spec defaults."""
    defaults = {s.name: float(s.default) for s in People.param_specs if s.name in LINEAR}
    return {k: float(point.pars.get(k, defaults[k])) for k in LINEAR}


def fit_posterior(
    inputs: SupplyInputs,
    targets: DeathTargets,
    *,
    particles: int,
    generations: int,
    seed: int,
    scale: int,
    work: Path,
    backend: str | None = "local",
    workers: int = 2,
    command: str = "",
    progress: Callable[[int, int, Population], None] | None = None,
) -> tuple[FittedPosterior, list[dict[str, Any]]]:
    """Sample the posterior and check it.

    Returns:
        The sample (with its meta: method, sizes, tolerance, check) and the sampler's
        per-generation record.
    """
    t0 = time.perf_counter()
    point = FittedPeople.load()
    ctx = trial_context(inputs, targets, seed, scale)
    start = start_coefficients(point)
    centre = {**point.pars, **{KAPPA + d: v for d, v in point.report_elasticity.items()}}
    missing = [k for k in prior_box() if k not in centre]
    pop, history = sample_posterior(ctx, start, particles=particles, generations=generations,
                                    seed=seed, work=work, backend=backend, workers=workers,
                                    centre=None if missing else centre, progress=progress)
    check = predictive_check(pop.states, pop.weights, targets, seed=seed)
    columns = (*pop.names, *LINEAR)
    values = np.hstack([pop.theta, pop.coefs])
    meta: dict[str, Any] = {
        "method": METHOD, "alpha": ALPHA, "min_accept": MIN_ACCEPT,
        "initial_proposal": (f"half the prior, half a truncated normal around the point fit "
                             f"(sd = prior range / {INITIAL_SPREAD:g}), weighted prior / "
                             "mixture"
                             if not missing else "the prior"),
        "particles": particles, "generations_asked": generations,
        "generations_run": len(history) - 1, "evaluations": pop.evaluations,
        "tolerance": pop.tolerance, "effective_sample_size": effective_size(pop.weights),
        "best_distance": float(pop.distance.min()), "history": history,
        "seed": seed, "scale": scale, "fit_years": [targets.years[0], targets.years[-1]],
        "command": command, "point_fit_command": point.meta.get("command"),
        "point_fit_objective": point.meta.get("objective"),
        "predictive_check": check,
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "narcosim_version": __version__,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return FittedPosterior(columns, values, pop.weights, pop.distance, meta), history


def particle_context(inputs: SupplyInputs, targets: DeathTargets, seed: int, scale: int
                     ) -> TrialContext:
    """The trial context the particles were scored in (same seed, scale and targets)."""
    return trial_context(inputs, targets, seed, scale)


def particle_deaths(post: FittedPosterior, ctx: TrialContext) -> np.ndarray:
    """Each particle's expected deaths (particles, drugs, years, states), re-simulated."""
    out = []
    for i in range(len(post)):
        people, kappa = post.particle(i)
        pars = {**people, **{f"report_elasticity.{d}": v for d, v in kappa.items()}}
        out.append(annual_deaths(ctx.sim(pars).run(), ctx.targets.years))
    return np.stack(out)
