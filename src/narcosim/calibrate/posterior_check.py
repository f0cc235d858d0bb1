"""Posterior predictive check: how many of CDC's values fall inside the posterior 90% band.

Each particle's expected deaths (drug, year, state) come from a people-only run over the
recorded market (as its distance did). Two bands are reported:

* **parameters only**: weighted quantiles of the particles' expected deaths. It says how far the
  parameter uncertainty alone reaches; it cannot cover the model's structural error.
* **predictive**: each particle's expected deaths times a log-normal discrepancy,
  ``exp(sigma * z)``, where ``sigma`` is that particle's root-mean-square log error against
  CDC's values for that drug (national series for national values, state-years for state
  values): the usual observation-error term of a Bayesian calibration (Kennedy & O'Hagan
  2001, here a plug-in variance per particle instead of a Gaussian process). ``z`` is drawn
  from the named stream ``calibrate.posterior_check`` of the seed, ``replicates`` times per
  particle, and the band is the weighted 5th–95th percentile of all replicates.

The share of CDC's national drug-year values inside each band (and of state-year values, where
CDC publishes them) is the check.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from narcosim.calibrate.deaths import DeathTargets
from narcosim.core.axes import Axes
from narcosim.core.random import Stream

#: Replicate discrepancy draws per particle.
REPLICATES = 20
#: The band checked.
BAND: tuple[float, float] = (0.05, 0.95)
STREAM = "calibrate.posterior_check"


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: Sequence[float]
                       ) -> np.ndarray:
    """Quantiles over axis 0 of ``values`` with sample ``weights`` (inverse of the weighted CDF).

    Args:
        values: (samples, ...) values.
        weights: (samples,) non-negative weights.
        qs: Quantiles in [0, 1].

    Returns:
        (len(qs), ...) the smallest value whose cumulative weight reaches each quantile.
    """
    order = np.argsort(values, axis=0, kind="stable")
    sorted_v = np.take_along_axis(values, order, axis=0)
    w = np.asarray(weights, dtype=float)
    cw = np.cumsum(w[order], axis=0) / w.sum()
    out = [np.take_along_axis(sorted_v, np.argmax(cw >= q - 1e-12, axis=0)[None], axis=0)[0]
           for q in qs]
    return np.stack(out)


def _log_rms(sim: np.ndarray, obs: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Root-mean-square log error over ``axes``, over cells where both are positive."""
    ok = np.isfinite(obs) & (obs > 0) & (sim > 0)
    err = np.where(ok, np.log(np.where(ok, sim, 1.0) / np.where(ok, obs, 1.0)), 0.0)
    n = np.maximum(ok.sum(axis=axes), 1)
    return np.sqrt((err ** 2).sum(axis=axes) / n)


def _inside(lo: np.ndarray, hi: np.ndarray, obs: np.ndarray) -> tuple[int, int]:
    ok = np.isfinite(obs)
    return int(((obs >= lo) & (obs <= hi) & ok).sum()), int(ok.sum())


def _bands(sim: np.ndarray, obs: np.ndarray, weights: np.ndarray, w_rep: np.ndarray,
           replicates: int, rng: np.random.Generator, key: str, out: dict[str, Any]
           ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The predictive and parameters-only bands of ``sim`` (particles, drugs, ...) vs ``obs``.

    Records the share (and count) of ``obs`` inside each band in ``out`` under ``key`` and
    ``key_parameters_only``.

    Returns:
        Each particle's log error scale (particles, drugs), the predictive band and the
        parameters-only band.
    """
    sigma = _log_rms(sim, obs[None], tuple(range(2, sim.ndim)))  # (P, D)
    z = rng.standard_normal((len(weights), replicates, *sim.shape[1:]))
    scale = sigma.reshape(*sigma.shape[:1], 1, sigma.shape[1], *(1,) * (sim.ndim - 2))
    rep = sim[:, None] * np.exp(scale * z)
    band = weighted_quantiles(rep.reshape(-1, *sim.shape[1:]), w_rep, BAND)
    params = weighted_quantiles(sim, weights, BAND)
    for name, (a, b) in ((key, band), (f"{key}_parameters_only", params)):
        inside, total = _inside(a, b, obs)
        out[name] = inside / total
        out[f"{name}_count"] = [inside, total]
    return sigma, band, params


#: The axes of the particles' expected deaths by state.
PARTICLE_STATES = Axes("particle", "drug", "year", "state")


def predictive_check(states: np.ndarray, weights: np.ndarray, targets: DeathTargets, *,
                     seed: int = 1, replicates: int = REPLICATES) -> dict[str, Any]:
    """The check's shares and bands.

    Args:
        states: (particles, drugs, years, states) expected deaths, drugs and years as in
            ``targets``.
        weights: (particles,) normalised weights.
        targets: CDC's deaths.
        seed: Seed of the discrepancy draws.
        replicates: Discrepancy draws per particle.

    Returns:
        ``national`` and ``states`` shares inside the predictive band, the same
        ``..._parameters_only``, the counts, and the national bands per drug and year.
    """
    national = PARTICLE_STATES.sum(states, "state")
    rng = Stream(STREAM, int(seed)).generator(0)
    w_rep = np.repeat(np.asarray(weights, float) / replicates, replicates)
    out: dict[str, Any] = {"band": list(BAND), "replicates": replicates}
    sigma_n, (lo, hi), (plo, phi) = _bands(national, targets.national, weights, w_rep,
                                            replicates, rng, "national", out)
    out["national_band"] = [
        {"drug": drug, "year": int(year), "cdc": float(targets.national[d, y]),
         "low": float(lo[d, y]), "high": float(hi[d, y]),
         "parameters_low": float(plo[d, y]), "parameters_high": float(phi[d, y])}
        for d, drug in enumerate(targets.drugs) for y, year in enumerate(targets.years)]
    sigma_s, _, _ = _bands(states, targets.states, weights, w_rep, replicates, rng, "states",
                           out)
    out["discrepancy_sd"] = {
        drug: {"national": float(weights @ sigma_n[:, d]), "states": float(weights @ sigma_s[:, d])}
        for d, drug in enumerate(targets.drugs)}
    return out
