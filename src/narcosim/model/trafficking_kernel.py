"""Compiled (numba) parts of :class:`~narcosim.model.trafficking.Trafficking`'s weekly loads.

Every (operator, drug) draws a run of candidate load sizes; it ships the longest prefix whose
running total stays within its stock (``np.searchsorted(np.cumsum(sizes), stock, "right")``)
and takes what it shipped off the stock (``sizes[:n].sum()``). Done key by key in numpy that
was some sixty small calls a week; :func:`ship` does every key in one pass and gives the
same numbers bit for bit: the running total is accumulated in order as ``np.cumsum`` does,
and the shipped total is NumPy's pairwise summation (:func:`pairwise_sum`, the algorithm of
``numpy/_core/src/umath/loops_utils.h.src``: eight accumulators in blocks of up to 128,
halved above that), which is what ``ndarray.sum`` computes for a float64 vector.
:func:`cross` then picks every load's crossing and seizures from its uniforms, and
:func:`settle` books the week (what seven ``np.bincount`` calls did), both in load order.
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
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loads shipped, and kg shipped, per key.

    Args:
        sizes: Candidate load sizes of every key, end to end.
        counts: Number of candidates per key.
        stock: Stock per key.

    Returns:
        The shipped sizes end to end; ``n[j]``, the number of leading candidates of key ``j``
        whose running total is at most ``stock[j]``; and ``kg[j]``, their sum (NumPy's
        pairwise sum).
    """
    k = counts.shape[0]
    n = np.zeros(k, dtype=np.int64)
    kg = np.zeros(k)
    out = np.empty(sizes.shape[0])
    start = 0
    m_all = 0
    for j in range(k):
        total = 0.0
        m = 0
        for i in range(counts[j]):
            total += sizes[start + i]
            if total > stock[j]:
                break
            out[m_all + m] = sizes[start + i]
            m += 1
        n[j] = m
        kg[j] = pairwise_sum(sizes, start, m)
        start += counts[j]
        m_all += m
    return out[:m_all], n, kg


@njit(cache=True)
def cross(key: np.ndarray, cum: np.ndarray, u_route: np.ndarray, u_ofo: np.ndarray,
          u_usbp: np.ndarray, key_op: np.ndarray, key_drug: np.ndarray, p_port: np.ndarray,
          usbp_prob: np.ndarray, corridor_pressure: np.ndarray, port_fo: np.ndarray,
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each load's crossing, and whether the port or the patrol seized it.

    As ``Stream.choice`` and ``Stream.bernoulli`` did key by key: the crossing is
    ``min(#{j: cum[key, j] <= u_route}, n_ports - 1)`` (``searchsorted(cum, u, "right")``
    on the key's normalised cumulative probabilities); the port seizes when
    ``u_ofo < p_port[operator, port]``; the patrol, when the port did not, when
    ``u_usbp < clip(usbp_prob[drug] * corridor_pressure[field office], 0, 1)``.

    Returns:
        Per load: port, port seizure, patrol seizure, operator and drug.
    """
    n = key.shape[0]
    n_ports = cum.shape[1]
    port = np.empty(n, dtype=np.int64)
    ofo = np.empty(n, dtype=np.bool_)
    usbp = np.empty(n, dtype=np.bool_)
    op = np.empty(n, dtype=np.int64)
    drug = np.empty(n, dtype=np.int64)
    for i in range(n):
        r = key[i]
        u = u_route[i]
        c = 0
        for j in range(n_ports):
            if cum[r, j] <= u:
                c += 1
        c = min(c, n_ports - 1)
        port[i] = c
        op[i] = key_op[r]
        drug[i] = key_drug[r]
        ofo[i] = u_ofo[i] < p_port[op[i], c]
        p = usbp_prob[drug[i]] * corridor_pressure[port_fo[c]]
        if p < 0.0:  # np.clip's bounds; NaN stays NaN
            p = 0.0
        if p > 1.0:
            p = 1.0
        usbp[i] = (u_usbp[i] < p) and not ofo[i]
    return port, ofo, usbp, op, drug


@njit(cache=True)
def settle(op: np.ndarray, drug: np.ndarray, kg: np.ndarray, port: np.ndarray,
           ofo: np.ndarray, usbp: np.ndarray, port_fo: np.ndarray, port_hub: np.ndarray,
           port_hub_alt: np.ndarray, hub_diversion: np.ndarray, n_ops: int, n_d: int,
           n_fo: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                               np.ndarray, np.ndarray]:
    """The week's seizures, arrivals and crossings, summed in load order.

    Each total is accumulated from zero in load order, as ``np.bincount`` (and ``np.add.at``
    on zeros) sum, so the values are theirs bit for bit. A load that passed goes to its
    port's hub, less the hub's diverted share, which goes to the next-nearest hub (added
    after every load's main part, as the second ``np.add.at`` did).

    Returns:
        Seized kg and seized loads by (drug, field office, OFO/USBP), flat; arrivals by
        (operator, drug, hub), flat; seized kg by drug; kg crossing by (drug, port), flat;
        kg by (operator, port), flat; kg passed by drug.
    """
    n_ports = port_fo.shape[0]
    n_hubs = hub_diversion.shape[0]
    kg_seized = np.zeros(n_d * n_fo * 2)
    ev_seized = np.zeros(n_d * n_fo * 2, dtype=np.int64)
    arrivals = np.zeros(n_ops * n_d * n_hubs)
    seized_drug = np.zeros(n_d)
    crossing = np.zeros(n_d * n_ports)
    op_port = np.zeros(n_ops * n_ports)
    passed = np.zeros(n_d)
    diverted = False
    for h in range(n_hubs):
        if hub_diversion[h] != 0.0:
            diverted = True
    for i in range(op.shape[0]):
        pt = port[i]
        crossing[drug[i] * n_ports + pt] += kg[i]
        op_port[op[i] * n_ports + pt] += kg[i]
        if ofo[i] or usbp[i]:
            cell = (drug[i] * n_fo + port_fo[pt]) * 2 + (0 if ofo[i] else 1)
            kg_seized[cell] += kg[i]
            ev_seized[cell] += 1
            seized_drug[drug[i]] += kg[i]
        else:
            hub = port_hub[pt]
            arrivals[(op[i] * n_d + drug[i]) * n_hubs + hub] += kg[i] * (1.0 - hub_diversion[hub])
            passed[drug[i]] += kg[i]
    if diverted:
        for i in range(op.shape[0]):
            if not (ofo[i] or usbp[i]):
                pt = port[i]
                keep = 1.0 - hub_diversion[port_hub[pt]]
                arrivals[(op[i] * n_d + drug[i]) * n_hubs + port_hub_alt[pt]] += kg[i] * (
                    1.0 - keep)
    return kg_seized, ev_seized, arrivals, seized_drug, crossing, op_port, passed
