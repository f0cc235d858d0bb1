"""Fast vectorised inverse CDFs, so every draw is a function of ONE uniform per slot.

``scipy.stats.<dist>.ppf`` gives the same answers but costs 2-5 µs per element;
these start from a Cornish-Fisher guess and correct it by stepping with the exact
CDF (``scipy.special.pdtr`` / ``bdtr``), or, for binomials with few trials, sum
the probability mass function upwards. Each element's result depends only on its
own uniform and parameters. Results equal scipy's ``ppf`` (checked in the tests).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from scipy import special

FloatArray = npt.NDArray[np.float64]
_SMALL_N = 64  # binomials with at most this many trials use the summed pmf


Cdf = Callable[[FloatArray, npt.NDArray[np.intp]], FloatArray]


def _correct(k: FloatArray, u: FloatArray, cdf: Cdf) -> FloatArray:
    """Move each ``k`` to the smallest integer with ``cdf(k) >= u``."""
    idx = np.arange(k.size)
    idx = idx[cdf(k, idx) < u]
    while idx.size:
        k[idx] += 1
        idx = idx[cdf(k[idx], idx) < u[idx]]
    idx = np.flatnonzero(k > 0)
    idx = idx[cdf(k[idx] - 1, idx) >= u[idx]]
    while idx.size:
        k[idx] -= 1
        idx = idx[k[idx] > 0]
        idx = idx[cdf(k[idx] - 1, idx) >= u[idx]]
    return k


def poisson_ppf(u: FloatArray, lam: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Poisson quantiles: the smallest ``k`` with ``P(X <= k) >= u`` (0 where ``lam == 0``).

    Args:
        u: Uniforms in the open interval (0, 1).
        lam: Means, broadcastable to ``u``; must be >= 0.
    """
    u = np.asarray(u, dtype=float)
    lam_a = np.ascontiguousarray(np.broadcast_to(np.asarray(lam, dtype=float), u.shape)).ravel()
    flat = u.ravel()
    z = special.ndtri(flat)
    guess = np.floor(lam_a + np.sqrt(lam_a) * z + (z * z - 1.0) / 6.0 + 0.5)
    k = np.clip(np.nan_to_num(guess), 0.0, None)
    pos = np.flatnonzero(lam_a > 0)
    k[lam_a <= 0] = 0.0
    if pos.size:
        lam_pos = lam_a[pos]
        k[pos] = _correct(k[pos], flat[pos], lambda kk, i: special.pdtr(kk, lam_pos[i]))
    return k.astype(np.int64).reshape(u.shape)


def binomial_ppf(u: FloatArray, n: npt.ArrayLike, p: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Binomial quantiles: the smallest ``k`` with ``P(X <= k) >= u``.

    Args:
        u: Uniforms in the open interval (0, 1).
        n: Numbers of trials (whole numbers >= 0), broadcastable to ``u``.
        p: Success probabilities in [0, 1], broadcastable to ``u``.
    """
    u = np.asarray(u, dtype=float)
    flat = u.ravel()
    n_a = np.ascontiguousarray(np.broadcast_to(np.asarray(n, dtype=float), u.shape)).ravel()
    n_a = np.floor(n_a + 0.5)
    p_a = np.ascontiguousarray(np.broadcast_to(np.asarray(p, dtype=float), u.shape)).ravel()
    out = np.zeros(flat.size)
    out[p_a >= 1] = n_a[p_a >= 1]
    live = (n_a > 0) & (p_a > 0) & (p_a < 1)
    small = np.flatnonzero(live & (n_a <= _SMALL_N))
    large = np.flatnonzero(live & (n_a > _SMALL_N))
    if small.size:
        out[small] = _binomial_small(flat[small], n_a[small], p_a[small])
    if large.size:
        nl, pl, ul = n_a[large], p_a[large], flat[large]
        z = special.ndtri(ul)
        mu = nl * pl
        sd = np.sqrt(mu * (1.0 - pl))
        guess = np.floor(mu + sd * z + (1.0 - 2.0 * pl) * (z * z - 1.0) / 6.0 + 0.5)
        k = np.clip(np.nan_to_num(guess), 0.0, nl)
        n_int = nl.astype(np.int64)
        out[large] = _correct(k, ul, lambda kk, i: special.bdtr(kk, n_int[i], pl[i]))
    return out.astype(np.int64).reshape(u.shape)


def _binomial_small(u: FloatArray, n: FloatArray, p: FloatArray) -> FloatArray:
    """Inverse CDF by summing the pmf from 0 upwards (few trials, 0 < p < 1)."""
    ratio = p / (1.0 - p)
    k = np.zeros(u.size)
    pmf = (1.0 - p) ** n
    cdf = pmf.copy()
    idx = np.flatnonzero(cdf < u)
    while idx.size:
        kk = k[idx]
        pmf[idx] *= (n[idx] - kk) / (kk + 1.0) * ratio[idx]
        k[idx] = kk + 1.0
        cdf[idx] += pmf[idx]
        idx = idx[(cdf[idx] < u[idx]) & (k[idx] < n[idx])]
    return k
