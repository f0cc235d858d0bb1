"""Compiled (numba) passes over the people's agent arrays, one per phase of a step.

:class:`~narcosim.model.people.People` computes everything that is per *cell* (status, drug
mask, state: a few thousand values) with numpy, draws the per-slot uniforms from its named
streams, and hands both to these kernels, which make one pass over the agents each:

* :func:`step_pass`: each live agent's drug mask and cell, its overdose probability
  (looked up, not recomputed, so the float64 values are numpy's), the overdose draw, the
  expected deaths (and the part of them that a naloxone programme could still reverse, and,
  when asked, the calibration basis) summed by state in slot order, and its care transition
  (treatment, prison, remission, relapse, quitting) against its care uniform, all in one
  pass;
* :func:`care_of`: the care transitions of the few who overdosed and survived, once their
  fate is known;
* :func:`count_status`: live agents by status.

Profile that motivated them (people-only run 2015–2026 over a recorded market at 1:100, ``python
-m cProfile``): the numpy step spent its time in some forty full-array passes (``_expected``
27%, ``_care`` 31%, the rest of ``step`` 16%, drug masks 5%) rather than in the draws (16%);
with the passes compiled, the draws' fresh arrays, gather and shift were half of what was left,
hence draws into reused buffers (the shift is added here). Now a slot costs about 9 ns here and
4 × 1.8 ns of draws (overdose, care and the two overdose-detail draws, each O(largest slot));
the numpy step took about 290 ns per agent-step at 1:100.

The kernels reproduce the numpy implementation bit for bit: comparisons are made in the dtypes
numpy used (float32 uniforms against float32 thresholds, as NumPy 2 casts a Python float
compared with a float32 array) and sums are accumulated per state in slot order, as
``np.bincount`` does. They avoid branches on data that is random (whether a slot is alive, co-
use, naloxone), which mispredict, and pass tuples rather than arrays to the small functions they
call, which would otherwise pay reference counting per agent.
"""

from __future__ import annotations

import numpy as np
from numba import njit

OPIOID, METH, COCAINE = 1, 2, 4
USING, TREATMENT, REMISSION, INCARCERATED = 0, 1, 2, 3
N_MASKS = 8
#: Components whose deaths involve fentanyl (indices into the people's COMPONENTS).
FENTANYL_COMPONENT_A, FENTANYL_COMPONENT_B = 1, 4


@njit(cache=True, inline="always")
def drug_mask(group: int, meth_u: np.float32, coc_u: np.float32, meth_thr: np.float32,
              coc_thr: np.float32) -> int:
    """One agent's drugs (bit mask): its group's drug plus co-use for opioid users.

    Written without branches: the co-use uniforms are random, so branches would mispredict.
    """
    opioid = group == 0
    return (np.int64(opioid) * OPIOID
            | np.int64(opioid & (meth_u < meth_thr)) * METH
            | np.int64(opioid & (coc_u < coc_thr)) * COCAINE
            | np.int64(group == 1) * METH
            | np.int64(group == 2) * COCAINE)


#: Care actions returned by :func:`care_action`.
STAY, TO_TREATMENT, TO_PRISON, QUIT, TO_REMISSION, BACK_TO_USE = 0, 1, 2, 3, 4, 5


@njit(cache=True)
def care_action(u: float, status: int, opioid: bool, rates: tuple) -> int:
    """One agent's care transition against its uniform ``u`` (2.0 for an agent not alive).

    Args:
        u: The agent's care uniform.
        status: Its status.
        opioid: Whether it is in the opioid group (opioid users may enter treatment, others
            may quit).
        rates: For non-opioid then opioid users (cut_treat, cut_jail, p_any), then p_leave,
            p_remit, p_relapse, p_release, and last the largest of them: no transition happens
            at or above it, the common case, so it is tested first. A tuple of floats, not an
            array, so that the call compiles to plain arithmetic.

    Returns:
        One of ``STAY``, ``TO_TREATMENT``, ``TO_PRISON``, ``QUIT``, ``TO_REMISSION``,
        ``BACK_TO_USE``.
    """
    if not u < rates[10]:
        return STAY
    if status == USING:
        g = 3 if opioid else 0
        if u < rates[g]:
            return TO_TREATMENT
        if u < rates[g + 1]:
            return TO_PRISON
        if u < rates[g + 2]:
            return QUIT
    elif status == TREATMENT:
        if u < rates[6]:
            return TO_REMISSION if u < rates[7] else BACK_TO_USE
    elif status == REMISSION:
        if u < rates[8]:
            return BACK_TO_USE
    elif status == INCARCERATED and u < rates[9]:
        return BACK_TO_USE
    return STAY


@njit(cache=True)
def apply_care(i: int, action: int, alive: np.ndarray, state: np.ndarray, group: np.ndarray,
               status: np.ndarray, tol_until: np.ndarray, tol_until_new: int,
               exits: np.ndarray) -> None:
    """Carry out a care action (rare, so a call is cheap enough)."""
    if action == TO_TREATMENT:
        status[i] = TREATMENT
    elif action == TO_PRISON:
        status[i] = INCARCERATED
    elif action == QUIT:
        alive[i] = False
        exits[group[i], state[i]] += 1.0
    elif action == TO_REMISSION:
        status[i] = REMISSION
    elif action == BACK_TO_USE:
        status[i] = USING
        tol_until[i] = tol_until_new


@njit(cache=True)
def step_pass(alive: np.ndarray, state: np.ndarray, group: np.ndarray, meth_u: np.ndarray,
              coc_u: np.ndarray, status: np.ndarray, nal_u: np.ndarray, tol_until: np.ndarray,
              u_od: np.ndarray, u_care: np.ndarray, shift: float, ti: int,
              thresholds: np.ndarray, p_cell: np.ndarray, fent_cell: np.ndarray,
              weights: np.ndarray, n_states: int, comp: np.ndarray, record_basis: bool,
              rates: tuple, tol_until_new: int, exits: np.ndarray,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Overdose draws, expected deaths and care transitions of every live agent, in one pass.

    Naloxone reverses only opioid-involved overdoses: every overdose of someone who uses
    opioids, and the fentanyl-involved share ``fent_cell`` of the others' (fentanyl in
    adulterated stimulants). With naloxone at hand (``has``) and reversal probability ``r``,
    an agent with overdose probability ``p`` and opioid-involved share ``q`` (1 for opioid
    users, ``fent_cell`` otherwise) dies with probability ``p * (1 - has * r * q)``; a death
    involves fentanyl with probability ``p * fent_cell * (1 - has * r)``.

    An agent that overdoses keeps its status here (whether it survives is decided after
    the overdose-detail draws); :func:`care_of` moves the survivors afterwards. Work is
    branch-free on ``alive`` (slots of the dead and the departed are interleaved with the
    living): a dead slot's probability is zero, so it adds exact zeros to the sums.

    Args:
        alive: Whether each slot ``0..n-1`` holds a live agent (quitters are cleared).
        state: State index per slot.
        group: Group per slot (0 opioid, 1 methamphetamine only, 2 cocaine only).
        meth_u: Fixed uniform per slot deciding methamphetamine co-use (float32).
        coc_u: Fixed uniform per slot deciding cocaine co-use (float32).
        status: Status per slot (using, treatment, remission, incarcerated); updated.
        nal_u: Fixed uniform per slot deciding naloxone access (float32).
        tol_until: Step until which each slot has lost tolerance; updated.
        u_od: The overdose stream's raw uniforms (``k / 2**53``), one per slot.
        u_care: The care stream's raw uniforms, one per slot.
        shift: Added to every raw uniform (the stream's half-ulp shift into (0, 1)).
        ti: Step index (lost tolerance lasts while ``tol_until > ti``).
        thresholds: float32 (methamphetamine co-use share among opioid users, cocaine
            co-use share, naloxone-access share) this step, as numpy compares them.
        p_cell: Overdose probability per cell, shape (2, cells): row 0 with tolerance, row 1
            with lost tolerance.
        fent_cell: Share of each cell's hazard from fentanyl.
        weights: (naloxone_reversal, lost-tolerance multiplier, people per agent).
        n_states: Number of states.
        comp: Unit hazard per component and cell, shape (components, cells) (basis only).
        record_basis: Whether to fill the basis.
        rates: Care thresholds (see :func:`care_action`).
        tol_until_new: ``tol_until`` of those returning to use this step.
        exits: Leavers by (group, state); quitters are added.

    Returns:
        The slots that overdosed (ascending), expected deaths (4, states), the part of the
        expected deaths from opioid-involved overdoses (4, states; what a naloxone programme
        acts on), the basis (components, 6, states; zeros unless ``record_basis``): the 4
        death keys, then the opioid-involved methamphetamine and cocaine deaths; and the
        (status, drug mask, state) cell of each slot that overdosed (its status as it
        overdosed: care skips those).
    """
    n = alive.shape[0]
    n_comp = comp.shape[0]
    meth_thr, coc_thr, nal_thr = thresholds[0], thresholds[1], thresholds[2]
    reversal, tol_mult, scale = weights[0], weights[1], weights[2]
    expected = np.zeros((4, n_states))
    opioid_part = np.zeros((4, n_states))
    basis = np.zeros((n_comp, 6, n_states))
    who = np.empty(n, dtype=np.int64)
    who_cell = np.empty(n, dtype=np.int64)
    k = 0
    # expected deaths of the current run of slots in one state, accumulated in registers (the
    # same additions in the same order as into expected[:, s]; written back when s changes)
    top = rates[10]
    cur = 0
    acc0 = acc1 = acc2 = acc3 = 0.0
    rev1 = rev2 = rev3 = 0.0
    for i in range(n):
        live = alive[i]
        s = np.int64(state[i])
        if s != cur:
            expected[0, cur], expected[1, cur] = acc0, acc1
            expected[2, cur], expected[3, cur] = acc2, acc3
            opioid_part[1, cur], opioid_part[2, cur], opioid_part[3, cur] = rev1, rev2, rev3
            cur = s
            acc0, acc1 = expected[0, s], expected[1, s]
            acc2, acc3 = expected[2, s], expected[3, s]
            rev1, rev2, rev3 = opioid_part[1, s], opioid_part[2, s], opioid_part[3, s]
        mask = drug_mask(group[i], meth_u[i], coc_u[i], meth_thr, coc_thr)
        cell = (np.int64(status[i]) * N_MASKS + mask) * n_states + s
        lost = np.int64(tol_until[i] > ti)
        p = p_cell[lost, cell] * np.float64(live)  # exactly p, or 0 for a slot not alive
        od = (u_od[i] + shift) < p
        who[k] = i
        who_cell[k] = cell
        k += np.int64(od)
        # naloxone reverses opioid-involved overdoses only: share q of this agent's (1 for
        # opioid users, the fentanyl share for the others; max() keeps it branch-free)
        fent = fent_cell[cell]
        opioid = (mask & OPIOID) != 0
        q = max(fent, np.float64(opioid))
        has_r = np.float64(nal_u[i] < nal_thr) * reversal
        nal = 1.0 - has_r  # survival factor of an opioid-involved overdose
        e = p * (1.0 - has_r * q) * scale
        e_rev = p * q * nal * scale  # opioid-involved and not reversed
        f_meth = np.float64((mask & METH) != 0)
        f_coc = np.float64((mask & COCAINE) != 0)
        acc0 += p * nal * scale * fent
        acc1 += e * f_meth
        acc2 += e * f_coc
        acc3 += e
        rev1 += e_rev * f_meth
        rev2 += e_rev * f_coc
        rev3 += e_rev
        if record_basis:
            w = np.float64(live) * (tol_mult if lost else 1.0) * scale
            for c in range(n_comp):
                fc = c in (FENTANYL_COMPONENT_A, FENTANYL_COMPONENT_B)
                # a component's deaths are reversible if the user takes opioids or it is
                # fentanyl's (the stimulant components of a stimulant-only user are not)
                x = w * (nal if (opioid or fc) else 1.0) * comp[c, cell]
                if fc:
                    basis[c, 0, s] += x
                basis[c, 1, s] += x * f_meth
                basis[c, 2, s] += x * f_coc
                basis[c, 3, s] += x
                if opioid or fc:  # the opioid-involved part (co-involvement targets)
                    basis[c, 4, s] += x * f_meth
                    basis[c, 5, s] += x * f_coc
        # care, unless the agent overdosed (decided once its fate is known) or is gone
        # (2.0, above every threshold, for the gone and the overdosed; without branches)
        uc = max(u_care[i] + shift, 2.0 * np.float64(od | (not live)))
        if uc < top:
            action = care_action(uc, status[i], group[i] == 0, rates)
            apply_care(i, action, alive, state, group, status, tol_until, tol_until_new, exits)
    expected[0, cur], expected[1, cur] = acc0, acc1
    expected[2, cur], expected[3, cur] = acc2, acc3
    opioid_part[1, cur], opioid_part[2, cur], opioid_part[3, cur] = rev1, rev2, rev3
    # every fentanyl-involved overdose is opioid-involved
    opioid_part[0] = expected[0]
    return who[:k].copy(), expected, opioid_part, basis, who_cell[:k].copy()


@njit(cache=True)
def care_of(slots: np.ndarray, alive: np.ndarray, state: np.ndarray, group: np.ndarray,
            status: np.ndarray, tol_until: np.ndarray, u_care: np.ndarray, shift: float,
            rates: tuple, tol_until_new: int, exits: np.ndarray) -> None:
    """Care transitions of the live agents among ``slots`` (those who survived an overdose)."""
    for i in slots:
        if alive[i]:
            action = care_action(u_care[i] + shift, status[i], group[i] == 0, rates)
            apply_care(i, action, alive, state, group, status, tol_until, tol_until_new, exits)


@njit(cache=True)
def count_status(alive: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Live agents by status (four statuses; branch-free, as the dead are interleaved)."""
    out = np.zeros(4, dtype=np.int64)
    c0 = c1 = c2 = c3 = 0
    for i in range(alive.shape[0]):
        live = np.int64(alive[i])
        st = status[i]
        c0 += live & np.int64(st == 0)
        c1 += live & np.int64(st == 1)
        c2 += live & np.int64(st == 2)
        c3 += live & np.int64(st == 3)
    out[0], out[1], out[2], out[3] = c0, c1, c2, c3
    return out
