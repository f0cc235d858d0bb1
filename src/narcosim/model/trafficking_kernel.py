"""Compiled (numba) part of :class:`~narcosim.model.trafficking.Trafficking`'s weekly loads.

Every (operator, drug) draws a run of candidate load sizes; it ships the longest prefix whose
running total stays within its stock (``np.searchsorted(np.cumsum(sizes), stock, "right")``)
and takes what it shipped off the stock (``sizes[:n].sum()``). Done key by key in numpy that
was some sixty small calls a week; :func:`ship` does every key in one pass and gives the
same numbers bit for bit: the running total is accumulated in order as ``np.cumsum`` does,
and the shipped total is NumPy's pairwise summation (:func:`pairwise_sum`, the algorithm of
``numpy/_core/src/umath/loops_utils.h.src``: eight accumulators in blocks of up to 128,
halved above that), which is what ``ndarray.sum`` computes for a float64 vector.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_BLOCK = 128


@njit(cache=True)
def pairwise_sum(a: np.ndarray, lo: int, n: int) -> float:
    """``a[lo:lo + n].sum()`` as NumPy computes it for a contiguous float64 vector."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[lo + i]
        return res
    if n <= _BLOCK:
        r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
        r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
        i = 8
        end = n - n % 8
        while i < end:
            r0 += a[lo + i]
            r1 += a[lo + i + 1]
            r2 += a[lo + i + 2]
            r3 += a[lo + i + 3]
            r4 += a[lo + i + 4]
            r5 += a[lo + i + 5]
            r6 += a[lo + i + 6]
            r7 += a[lo + i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[lo + i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a, lo, n2) + pairwise_sum(a, lo + n2, n - n2)


@njit(cache=True)
def ship(sizes: np.ndarray, counts: np.ndarray, stock: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray]:
    """Loads shipped and kg shipped per key.

    Args:
        sizes: Candidate load sizes of every key, end to end.
        counts: Number of candidates per key.
        stock: Stock per key.

    Returns:
        ``n[j]``, the number of leading candidates of key ``j`` whose running total is at most
        ``stock[j]``, and ``kg[j]``, their sum (NumPy's pairwise sum).
    """
    k = counts.shape[0]
    n = np.zeros(k, dtype=np.int64)
    kg = np.zeros(k)
    start = 0
    for j in range(k):
        total = 0.0
        m = 0
        for i in range(counts[j]):
            total += sizes[start + i]
            if total > stock[j]:
                break
            m += 1
        n[j] = m
        kg[j] = pairwise_sum(sizes, start, m)
        start += counts[j]
    return n, kg
