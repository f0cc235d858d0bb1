"""A posterior sample of the people module's parameters: adaptive ABC population Monte Carlo.

The point fit (:mod:`narcosim.calibrate.optimise`) finds one parameter set; this module draws a
weighted sample of parameter sets consistent with CDC's deaths, by the adaptive population
Monte Carlo ABC of Lenormand, Jabot & Deffuant (2013, *Computational Statistics* 28:2777,
"Adaptive approximate Bayesian computation for complex models"), with a multivariate normal
kernel of twice the population's weighted covariance (Beaumont et al. 2009, *Biometrika*
96:983; Filippi et al. 2013), truncated to the prior box and normalised there, so the
importance weights are those of what is sampled:

* priors: uniform over the point fit's search ranges (:data:`~narcosim.calibrate.deaths.
  SEARCH_SPACE` and the flow elasticities to reports, :data:`~narcosim.calibrate.optimise.
  KAPPA_SPACE`);
* distance: the point fit's own objective on expected deaths (national MAPE, weighted
  state-year R² shortfall, co-involvement share), with the linear risks (:data:`~narcosim.
  calibrate.deaths.LINEAR`) re-solved for each particle as a trial of the point fit does;
* generation 0 draws ``particles / alpha`` sets from the prior, or half from the prior and half
  from a broad normal around the point fit, weighted prior / mixture (defensive importance
  sampling: the same target, fewer draws wasted where nothing fits), and keeps the best
  ``particles``; each later generation draws
  ``particles / alpha - particles`` sets from the kernel around the weighted population,
  weights them prior / mixture density, merges them with the population and keeps the best
  ``particles``; the tolerance is the worst kept distance. It stops after ``generations``
  generations or when fewer than ``min_accept`` of the new draws make it into the population
  (the tolerance has stopped falling).

Each generation's population is saved to a work folder, so an interrupted run resumes from its
last finished generation. All draws come from the named stream ``calibrate.posterior`` of the
seed (one generator per generation), so the sample depends on the seed, not on the backend.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from narcosim.calibrate.deaths import (
    SEARCH_SPACE,
    annual_deaths,
    co_involvement,
    fit_table,
    objective_value,
)
from narcosim.calibrate.elasticity import KAPPA
from narcosim.calibrate.optimise import KAPPA_SPACE, TrialContext
from narcosim.core.files import atomic_write
from narcosim.core.random import Stream
from narcosim.errors import ParameterError
from narcosim.run.backends import run_jobs
from narcosim.run.member import write_json_atomic

#: Share of each generation's draws kept (Lenormand et al.'s alpha; their recommended 0.5).
ALPHA = 0.5
#: Stop when fewer than this share of a generation's new draws enter the population.
MIN_ACCEPT = 0.05
#: Monte Carlo draws per parent for the kernel's mass inside the prior box.
MASS_DRAWS = 4000
#: Generation 0 around the point fit: the proposal's sd is the prior range / this.
INITIAL_SPREAD = 4.0
#: Name of the random stream all the sampler's draws come from.
STREAM = "calibrate.posterior"


def prior_box() -> dict[str, tuple[float, float]]:
    """The uniform priors: shape parameters, then the flow elasticities to reports."""
    box = {name: (lo, hi) for name, (lo, hi, _) in SEARCH_SPACE.items()}
    box.update({KAPPA + d: (lo, hi) for d, (lo, hi, _) in KAPPA_SPACE.items()})
    return box


@dataclass
class Population:
    """One generation's particles.

    Attributes:
        names: Parameter names (prior box order).
        theta: (particles, parameters) sampled values.
        weights: Normalised importance weights.
        distance: Each particle's distance (the point fit's objective).
        coefs: (particles, linear coefficients) re-solved for each particle.
        national: (particles, drugs, years) expected national deaths.
        states: (particles, drugs, years, states) expected deaths by state.
        tolerance: The worst kept distance.
        accepted: Share of this generation's new draws that entered the population.
        evaluations: Distances computed so far (all generations).
    """

    names: tuple[str, ...]
    theta: np.ndarray
    weights: np.ndarray
    distance: np.ndarray
    coefs: np.ndarray
    national: np.ndarray
    states: np.ndarray
    tolerance: float
    accepted: float
    evaluations: int

    def save(self, path: Path, generation: int) -> None:
        """Write the population (npz, then a json marker naming it) atomically."""
        def savez(tmp: Path) -> None:
            with tmp.open("wb") as handle:
                np.savez(handle, theta=self.theta, weights=self.weights, distance=self.distance,
                         coefs=self.coefs, national=self.national, states=self.states)

        atomic_write(path / f"gen-{generation}.npz", savez)
        write_json_atomic(path / f"gen-{generation}.json", {
            "names": list(self.names), "tolerance": self.tolerance,
            "accepted": self.accepted, "evaluations": self.evaluations})

    @classmethod
    def load(cls, path: Path, generation: int) -> Population | None:
        """A saved generation, or None when it is missing or unreadable."""
        try:
            info = json.loads((path / f"gen-{generation}.json").read_text("utf-8"))
            with np.load(path / f"gen-{generation}.npz") as arrays:
                data = {k: np.asarray(arrays[k]) for k in arrays.files}
            return cls(tuple(info["names"]), data["theta"], data["weights"], data["distance"],
                       data["coefs"], data["national"], data["states"],
                       float(info["tolerance"]), float(info["accepted"]),
                       int(info["evaluations"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None


def evaluate_particle(ctx: TrialContext, number: int, pars: dict[str, float],
                      start: dict[str, float]) -> tuple[int, float, list[float],
                                                        np.ndarray]:
    """One particle: solve the linear risks, run, score (top-level, so it pickles).

    Returns:
        ``(number, distance, coefficients, expected deaths (drugs, years, states))``.
    """
    coefs = ctx.solve(pars, start)
    sim = ctx.sim({**pars, **coefs}).run()
    annual = annual_deaths(sim, ctx.targets.years)
    table = fit_table(annual, ctx.targets)
    value = objective_value(table, co_involvement(sim, ctx.targets.years))
    return number, value, list(coefs.values()), annual


def _evaluate(ctx: TrialContext, theta: np.ndarray, names: tuple[str, ...],
              start: dict[str, float], backend: str | None, workers: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    jobs = [(ctx, i, dict(zip(names, map(float, row), strict=True)), start)
            for i, row in enumerate(theta)]
    if backend is None:
        results = [evaluate_particle(*job) for job in jobs]
    else:
        results = list(run_jobs(evaluate_particle, jobs, backend=backend, workers=workers))
    results.sort(key=lambda r: r[0])
    return (np.array([r[1] for r in results]), np.array([r[2] for r in results]),
            np.stack([r[3] for r in results]))


def _kernel_chol(pop: Population, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Cholesky factor of the kernel covariance: twice the weighted covariance.

    Beaumont et al.'s twice-the-variance kernel with the full covariance (Filippi et al. 2013,
    *Stat. Appl. Genet. Mol. Biol.* 12:87), so draws follow the correlations between
    parameters (e.g. the supply elasticity of deaths against the flow elasticity to reports).
    """
    mean = pop.weights @ pop.theta
    dev = pop.theta - mean
    cov = 2.0 * (dev * pop.weights[:, None]).T @ dev
    cov += np.diag((1e-6 * (hi - lo)) ** 2)  # keeps it positive definite
    return np.linalg.cholesky(cov)


def _inside(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return ((x >= lo) & (x <= hi)).all(axis=-1)


def _propose(pop: Population, n: int, lo: np.ndarray, hi: np.ndarray,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` draws from the kernel mixture truncated to the box, and their importance weights.

    A draw is a weighted parent plus a multivariate normal step, redrawn until it lies in the
    box. Each parent's kernel is normalised by its mass inside the box (a Monte Carlo estimate
    from :data:`MASS_DRAWS` shared steps), so the weights prior / mixture density are those of
    the truncated kernel actually sampled.
    """
    chol = _kernel_chol(pop, lo, hi)
    k = len(lo)
    parents = rng.choice(len(pop.theta), size=n, p=pop.weights)
    theta = pop.theta[parents].copy()
    todo = np.arange(n)
    for _ in range(1000):
        cand = pop.theta[parents[todo]] + rng.standard_normal((len(todo), k)) @ chol.T
        ok = _inside(cand, lo, hi)
        theta[todo[ok]] = cand[ok]
        todo = todo[~ok]
        if not len(todo):
            break
    steps = rng.standard_normal((MASS_DRAWS, k)) @ chol.T
    mass = np.array([_inside(t + steps, lo, hi).mean() for t in pop.theta])
    # mixture density up to a constant: sum_j w_j exp(-q_j / 2) / mass_j
    diff = theta[:, None, :] - pop.theta[None, :, :]
    white = np.linalg.solve(chol, diff.reshape(-1, k).T).T.reshape(diff.shape)
    dens = np.exp(-0.5 * (white ** 2).sum(axis=2)) / np.maximum(mass, 1.0 / MASS_DRAWS)[None]
    mixture = dens @ pop.weights
    return theta, 1.0 / np.maximum(mixture, 1e-300)  # uniform prior: constant numerator


def _initial(n: int, lo: np.ndarray, hi: np.ndarray, centre: np.ndarray | None,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Generation 0: ``n`` draws and their importance weights against the uniform prior.

    Without ``centre``, draws from the prior (equal weights). With it, from a defensive
    mixture (Hesterberg 1995): half the draws from the prior, half from a normal around
    ``centre`` (the point fit) with a quarter of each prior range as its standard deviation,
    truncated to the box. The weights prior / mixture (at most 2) make it the same target as
    prior draws, while fewer draws are spent where no parameter set fits.
    """
    uniform = lo + (hi - lo) * rng.random((n, len(lo)))
    if centre is None:
        return uniform, np.ones(n)
    sd = (hi - lo) / INITIAL_SPREAD
    a, b = (lo - centre) / sd, (hi - centre) / sd
    near = np.clip(stats.truncnorm.ppf(rng.random((n, len(lo))), a, b, loc=centre, scale=sd),
                   lo, hi)
    theta = np.where((np.arange(n) % 2 == 1)[:, None], near, uniform)
    prior = 1.0 / np.prod(hi - lo)
    q = np.prod(stats.truncnorm.pdf(theta, a, b, loc=centre, scale=sd), axis=1)
    return theta, prior / (0.5 * prior + 0.5 * q)


def _keep(arrays: tuple[np.ndarray, ...], distance: np.ndarray, n: int, new_from: int
          ) -> tuple[tuple[np.ndarray, ...], float, float]:
    """The ``n`` smallest distances of a merged set (rows ``new_from`` on are new draws).

    Returns:
        The kept rows of each array, the tolerance (worst kept distance) and the share of the
        new draws kept.
    """
    order = np.argsort(distance, kind="stable")[:n]
    new = len(distance) - new_from
    accepted = float((order >= new_from).sum()) / new if new else 1.0
    return tuple(a[order] for a in arrays), float(distance[order].max()), accepted


def sample_posterior(
    ctx: TrialContext,
    start: dict[str, float],
    *,
    particles: int = 100,
    generations: int = 4,
    seed: int = 1,
    work: Path,
    backend: str | None = "local",
    workers: int = 2,
    centre: dict[str, float] | None = None,
    progress: Callable[[int, int, Population], None] | None = None,
) -> tuple[Population, list[dict[str, Any]]]:
    """Run (or resume) the adaptive ABC-PMC sampler.

    Args:
        ctx: The trial context (recorded market, targets, scale, seed of the runs).
        start: Linear risks the first solve of each particle starts from (the point fit's).
        particles: Population size kept in each generation.
        generations: Most generations after the prior draw.
        seed: Seed of the sampler's named stream.
        work: Folder for each generation's population (resumes from it).
        backend: None (here, one by one), ``local`` or ``dask``.
        workers: Worker processes.
        centre: Where generation 0's proposal is centred (the point fit's shape parameters
            and flow elasticities, by name); None draws generation 0 from the prior.
        progress: Called as ``progress(generation, generations, population)``.

    Returns:
        The last population and one record per generation (tolerance, acceptance, draws).

    Raises:
        ParameterError: Fewer than 10 particles or a negative number of generations.
    """
    if particles < 10:
        raise ParameterError(f"--particles must be >= 10, got {particles}")
    if generations < 0:
        raise ParameterError(f"--generations must be >= 0, got {generations}")
    box = prior_box()
    names = tuple(box)
    lo = np.array([box[k][0] for k in names])
    hi = np.array([box[k][1] for k in names])
    work.mkdir(parents=True, exist_ok=True)
    mid = None if centre is None else np.clip([centre[k] for k in names], lo, hi)
    identity = {"names": list(names), "particles": particles, "seed": seed,
                "scale": ctx.scale, "years": list(ctx.targets.years), "alpha": ALPHA,
                "centre": None if mid is None else mid.tolist()}
    marker = work / "sampler.json"
    if not marker.is_file() or json.loads(marker.read_text("utf-8")) != identity:
        for old in work.glob("gen-*"):
            old.unlink()
        write_json_atomic(marker, identity)
    stream = Stream(STREAM, seed)
    history: list[dict[str, Any]] = []
    pop: Population | None = None
    n_draw = round(particles / ALPHA)
    for gen in range(generations + 1):
        rng = stream.generator(gen)
        saved = Population.load(work, gen)
        if saved is not None:
            pop = saved
        else:
            if pop is None:
                theta, weights = _initial(n_draw, lo, hi, mid, rng)
                old_t, old_w, old_d, old_c, old_s = (
                    np.empty((0, *x)) for x in ((len(names),), (), (), (len(start),), ()))
            else:
                theta, weights = _propose(pop, n_draw - particles, lo, hi, rng)
                # old particles keep their weights; new ones get prior / mixture density,
                # each set scaled to its share of the merged draws
                weights = weights / weights.sum() * (n_draw - particles) / n_draw
                old_t, old_w, old_d, old_c, old_s = (
                    pop.theta, pop.weights * particles / n_draw, pop.distance, pop.coefs,
                    pop.states)
            d, c, ann = _evaluate(ctx, theta, names, start, backend, workers)
            if len(old_s) == 0:
                old_s = np.empty((0, *ann.shape[1:]))
            (t, w, dist, cf, st), tol, accepted = _keep(
                (np.vstack([old_t, theta]), np.concatenate([old_w, weights]),
                 np.concatenate([old_d, d]), np.vstack([old_c, c]),
                 np.concatenate([old_s, ann])),
                np.concatenate([old_d, d]), particles, len(old_d))
            done = (0 if pop is None else pop.evaluations) + len(theta)
            pop = Population(names, t, w / w.sum(), dist, cf, st.sum(axis=3), st, tol,
                             accepted, done)
            pop.save(work, gen)
        history.append({"generation": gen, "tolerance": pop.tolerance,
                        "accepted": pop.accepted, "evaluations": pop.evaluations})
        if progress is not None:
            progress(gen, generations, pop)
        if gen > 0 and pop.accepted < MIN_ACCEPT:
            break
    assert pop is not None
    return pop, history


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size of normalised weights."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w ** 2).sum())
