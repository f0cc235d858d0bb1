"""The fast inverse CDFs equal scipy's ppf, element by element.

At the very top (u > 1 - 1e-13) the computed CDF is flat over several k; there we
check the definition (smallest k with CDF(k) >= u) instead of scipy's answer.
"""

import numpy as np
import pytest
from scipy import special, stats

from narcosim.core.distributions import binomial_ppf, poisson_ppf


def uniforms(n, seed):
    gen = np.random.Generator(np.random.SFC64(np.random.SeedSequence(seed)))
    u = gen.random(n) + 2.0**-54
    u[:4] = [2.0**-54, 1e-12, 1 - 1e-12, 1 - 2.0**-53]  # the extremes
    return u


@pytest.mark.parametrize("lam", [0.001, 0.3, 3.0, 47.5, 1e4, 3e6])
def test_poisson_matches_scipy(lam):
    u = uniforms(5_000, 1)
    k = poisson_ppf(u, lam)
    body = u < 1 - 1e-13
    assert np.array_equal(k[body], stats.poisson.ppf(u[body], lam))
    assert np.all(special.pdtr(k, lam) >= u)
    assert np.all((k == 0) | (special.pdtr(k - 1, lam) < u))


def test_poisson_mixed_means_and_zero():
    u = uniforms(6000, 2)
    lam = np.tile([0.0, 0.2, 9.0, 800.0, 0.0, 1.0], 1000)
    out = poisson_ppf(u, lam)
    assert np.all(out[lam == 0] == 0)
    keep = (lam > 0) & (u < 1 - 1e-13)
    assert np.array_equal(out[keep], stats.poisson.ppf(u[keep], lam[keep]))


@pytest.mark.parametrize(("n", "p"), [(1, 0.3), (20, 0.25), (64, 0.9), (65, 0.01),
                                      (5000, 0.5), (10**6, 0.003)])
def test_binomial_matches_scipy(n, p):
    u = uniforms(5_000, 3)
    k = binomial_ppf(u, n, p)
    body = u < 1 - 1e-13
    assert np.array_equal(k[body], stats.binom.ppf(u[body], n, p))
    if n > 64:  # the summed pmf for small n is checked against scipy on the body only
        assert np.all(special.bdtr(k, n, p) >= u)
        assert np.all((k == 0) | (special.bdtr(k - 1, n, p) < u))


def test_binomial_edges():
    u = uniforms(100, 4)
    assert np.all(binomial_ppf(u, 0, 0.5) == 0)
    assert np.all(binomial_ppf(u, 7, 0.0) == 0)
    assert np.all(binomial_ppf(u, 7, 1.0) == 7)
    grid = binomial_ppf(u[:6].reshape(2, 3), np.array([[3], [30]]), 0.5)
    assert grid.shape == (2, 3) and grid.max() <= 30
