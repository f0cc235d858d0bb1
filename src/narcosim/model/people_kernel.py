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

Their arguments come grouped: the per-slot fields as :class:`AgentArrays`, the step's uniforms
as :class:`StepDraws` and its per-cell tables and scalars as :class:`StepTables`.

The rules are stated plainly in :mod:`narcosim.model.people_reference`, the numpy reference
these kernels are proved equal to, bit for bit (``tests/test_people_kernel.py``): comparisons
are made in the dtypes numpy uses (float32 uniforms against float32 thresholds, as NumPy 2
casts a Python float compared with a float32 array) and sums are accumulated per state in slot
order, as ``np.bincount`` does. The kernels avoid branches on data that is random (whether a
slot is alive, co-use, naloxone), which mispredict, and pass tuples rather than arrays to the
small functions they call per agent, which would otherwise pay reference counting.

Profile that motivated them (people-only run 2015–2026 over a recorded market at 1:100, ``python
-m cProfile``): the numpy step spent its time in some forty full-array passes (``_expected``
27%, ``_care`` 31%, the rest of ``step`` 16%, drug masks 5%) rather than in the draws (16%);
with the passes compiled, the draws' fresh arrays, gather and shift were half of what was left,
hence draws into reused buffers (the shift is added here). Now a slot costs about 9 ns here and
4 × 1.8 ns of draws (overdose, care and the two overdose-detail draws, each O(largest slot));
the numpy step took about 290 ns per agent-step at 1:100.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

OPIOID, METH, COCAINE = 1, 2, 4
USING, TREATMENT, REMISSION, INCARCERATED = 0, 1, 2, 3
N_MASKS = 8
#: Row of the fentanyl deaths in the expected-death sums (people.DEATH_KEYS[0]).
FENTANYL_ROW = 0
#: Components whose deaths involve fentanyl (indices into the people's COMPONENTS).
FENTANYL_COMPONENT_A, FENTANYL_COMPONENT_B = 1, 4
#: Care actions returned by :func:`care_action`.
STAY, TO_TREATMENT, TO_PRISON, QUIT, TO_REMISSION, BACK_TO_USE = 0, 1, 2, 3, 4, 5


class AgentArrays(NamedTuple):
    """The people's per-slot fields (slots ``0..n-1``; the kernels update three of them).

    Attributes:
        alive: Whether each slot holds a live agent (quitters are cleared).
        state: State index per slot.
        group: Group per slot (0 opioid, 1 methamphetamine only, 2 cocaine only).
        meth_u: Fixed uniform per slot deciding methamphetamine co-use (float32).
        coc_u: Fixed uniform per slot deciding cocaine co-use (float32).
        status: Status per slot (using, treatment, remission, incarcerated); updated.
        nal_u: Fixed uniform per slot deciding naloxone access (float32).
        tol_until: Step until which each slot has lost tolerance; updated.
    """

    alive: np.ndarray
    state: np.ndarray
    group: np.ndarray
    meth_u: np.ndarray
    coc_u: np.ndarray
    status: np.ndarray
    nal_u: np.ndarray
    tol_until: np.ndarray


class StepDraws(NamedTuple):
    """This step's per-slot uniforms.

    Attributes:
        u_od: The overdose stream's raw uniforms (``k / 2**53``), one per slot.
        u_care: The care stream's raw uniforms, one per slot.
        shift: Added to every raw uniform (the streams' half-ulp shift into (0, 1)).
    """

    u_od: np.ndarray
    u_care: np.ndarray
    shift: float


class StepTables(NamedTuple):
    """This step's per-cell tables and scalars.

    Attributes:
        ti: Step index (lost tolerance lasts while ``tol_until > ti``).
        meth_thr: Methamphetamine co-use share among opioid users (float32, as numpy
            compares it with the float32 uniforms).
        coc_thr: Cocaine co-use share among opioid users (float32).
        nal_thr: Naloxone-access share (float32).
        p_cell: Overdose probability per cell, shape (2, cells): row 0 with tolerance, row 1
            with lost tolerance.
        fent_cell: Share of each cell's hazard from fentanyl.
        comp: Unit hazard per component and cell, shape (components, cells) (basis only).
        reversal: Probability that naloxone at hand reverses an opioid-involved overdose.
        tol_mult: Lost-tolerance hazard multiplier (basis only).
        scale: People per agent.
        n_states: Number of states.
        rates: Care thresholds (see :func:`care_action`).
        tol_until_new: ``tol_until`` of those returning to use this step.
        record_basis: Whether to fill the calibration basis.
    """

    ti: int
    meth_thr: np.float32
    coc_thr: np.float32
    nal_thr: np.float32
    p_cell: np.ndarray
    fent_cell: np.ndarray
    comp: np.ndarray
    reversal: float
    tol_mult: float
    scale: float
    n_states: int
    rates: tuple[float, ...]
    tol_until_new: int
    record_basis: bool


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
def apply_care(i: int, action: int, agents: AgentArrays, tol_until_new: int,
               exits: np.ndarray) -> None:
    """Carry out slot ``i``'s care action (rare, so a call is cheap enough); quitters exit."""
    if action == TO_TREATMENT:
        agents.status[i] = TREATMENT
    elif action == TO_PRISON:
        agents.status[i] = INCARCERATED
    elif action == QUIT:
        agents.alive[i] = False
        exits[agents.group[i], agents.state[i]] += 1.0
    elif action == TO_REMISSION:
        agents.status[i] = REMISSION
    elif action == BACK_TO_USE:
        agents.status[i] = USING
        agents.tol_until[i] = tol_until_new


@njit(cache=True, inline="always")
def add_expected(acc: tuple, p: float, fent: float, opioid: bool, has_r: float,
                 f_meth: float, f_coc: float, scale: float) -> tuple:
    """One agent's expected deaths added to its state's running sums ``acc``.

    Naloxone reverses only opioid-involved overdoses: every overdose of someone who uses
    opioids, and the fentanyl-involved share ``fent`` of the others' (fentanyl in adulterated
    stimulants). With naloxone at hand and reversal probability ``r`` (``has_r`` is ``r`` or
    0), an agent with overdose probability ``p`` and opioid-involved share ``q`` (1 for opioid
    users, ``fent`` otherwise; ``max()`` keeps it branch-free) dies with probability
    ``p * (1 - has_r * q)``; a death involves fentanyl with probability ``p * fent * (1 -
    has_r)``.

    Returns:
        The sums (fentanyl, methamphetamine, cocaine, all; then the opioid-involved, not
        reversed part of methamphetamine, cocaine, all).
    """
    q = max(fent, np.float64(opioid))
    nal = 1.0 - has_r  # survival factor of an opioid-involved overdose
    e = p * (1.0 - has_r * q) * scale
    e_rev = p * q * nal * scale
    return (acc[0] + p * nal * scale * fent, acc[1] + e * f_meth, acc[2] + e * f_coc,
            acc[3] + e, acc[4] + e_rev * f_meth, acc[5] + e_rev * f_coc, acc[6] + e_rev)


@njit(cache=True, inline="always")
def load_sums(expected: np.ndarray, opioid_part: np.ndarray, s: int) -> tuple:
    """State ``s``'s running sums, in :func:`add_expected`'s order."""
    return (expected[0, s], expected[1, s], expected[2, s], expected[3, s],
            opioid_part[1, s], opioid_part[2, s], opioid_part[3, s])


@njit(cache=True, inline="always")
def store_sums(expected: np.ndarray, opioid_part: np.ndarray, s: int, acc: tuple) -> None:
    """Write state ``s``'s running sums back."""
    expected[0, s], expected[1, s], expected[2, s], expected[3, s] = acc[0], acc[1], acc[2], acc[3]
    opioid_part[1, s], opioid_part[2, s], opioid_part[3, s] = acc[4], acc[5], acc[6]


@njit(cache=True, inline="always")
def record_basis(basis: np.ndarray, comp: np.ndarray, cell: int, s: int, w: float, nal: float,
                 opioid: bool, f_meth: float, f_coc: float) -> None:
    """One agent's unit expected deaths per risk component, added to the basis at state ``s``.

    A component's deaths are reversible if the user takes opioids or it is fentanyl's (the
    stimulant components of a stimulant-only user are not); ``w`` is the agent's weight
    (alive, lost tolerance, scale) and ``nal`` its survival factor of a reversible overdose.
    """
    for c in range(comp.shape[0]):
        fc = c in (FENTANYL_COMPONENT_A, FENTANYL_COMPONENT_B)
        x = w * (nal if (opioid or fc) else 1.0) * comp[c, cell]
        if fc:
            basis[c, 0, s] += x
        basis[c, 1, s] += x * f_meth
        basis[c, 2, s] += x * f_coc
        basis[c, 3, s] += x
        if opioid or fc:  # the opioid-involved part (co-involvement targets)
            basis[c, 4, s] += x * f_meth
            basis[c, 5, s] += x * f_coc


@njit(cache=True)
def step_pass(agents: AgentArrays, draws: StepDraws, t: StepTables, exits: np.ndarray,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Overdose draws, expected deaths and care transitions of every live agent, in one pass.

    An agent that overdoses keeps its status here (whether it survives is decided after
    the overdose-detail draws); :func:`care_of` moves the survivors afterwards. Work is
    branch-free on ``alive`` (slots of the dead and the departed are interleaved with the
    living): a dead slot's probability is zero, so it adds exact zeros to the sums, and its
    care uniform is raised to 2.0, above every threshold. Expected deaths of a run of slots in
    one state are summed in registers (the same additions in the same order as into
    ``expected[:, s]``), written back when the state changes. ``exits`` (leavers by group and
    state) gains the quitters.

    Returns:
        The slots that overdosed (ascending), expected deaths (4, states; see
        :func:`add_expected`), the part of them from opioid-involved overdoses (4, states; what
        a naloxone programme acts on), the basis (components, 6, states; zeros unless
        ``t.record_basis``): the 4 death keys, then the opioid-involved methamphetamine and
        cocaine deaths; and the (status, drug mask, state) cell of each slot that overdosed
        (its status as it overdosed: care skips those).
    """
    alive, state, group, meth_u, coc_u, status, nal_u, tol_until = agents
    u_od, u_care, shift = draws
    n = alive.shape[0]
    expected = np.zeros((4, t.n_states))
    opioid_part = np.zeros((4, t.n_states))
    basis = np.zeros((t.comp.shape[0], 6, t.n_states))
    who = np.empty(n, dtype=np.int64)
    who_cell = np.empty(n, dtype=np.int64)
    k = cur = 0
    acc = load_sums(expected, opioid_part, cur)
    for i in range(n):
        live = alive[i]
        s = np.int64(state[i])
        if s != cur:
            store_sums(expected, opioid_part, cur, acc)
            cur, acc = s, load_sums(expected, opioid_part, s)
        mask = drug_mask(group[i], meth_u[i], coc_u[i], t.meth_thr, t.coc_thr)
        cell = (np.int64(status[i]) * N_MASKS + mask) * t.n_states + s
        lost = np.int64(tol_until[i] > t.ti)
        p = t.p_cell[lost, cell] * np.float64(live)  # exactly p, or 0 for a slot not alive
        od = (u_od[i] + shift) < p
        who[k] = i
        who_cell[k] = cell
        k += np.int64(od)
        opioid = (mask & OPIOID) != 0
        has_r = np.float64(nal_u[i] < t.nal_thr) * t.reversal
        f_meth = np.float64((mask & METH) != 0)
        f_coc = np.float64((mask & COCAINE) != 0)
        acc = add_expected(acc, p, t.fent_cell[cell], opioid, has_r, f_meth, f_coc, t.scale)
        if t.record_basis:
            w = np.float64(live) * (t.tol_mult if lost else 1.0) * t.scale
            record_basis(basis, t.comp, cell, s, w, 1.0 - has_r, opioid, f_meth, f_coc)
        # care, unless the agent overdosed (decided once its fate is known) or is gone
        uc = max(u_care[i] + shift, 2.0 * np.float64(od | (not live)))
        if uc < t.rates[10]:
            action = care_action(uc, status[i], group[i] == 0, t.rates)
            if action != STAY:  # passing the agents' tuple costs, even to a call doing nothing
                apply_care(i, action, agents, t.tol_until_new, exits)
    store_sums(expected, opioid_part, cur, acc)
    # every fentanyl-involved overdose is opioid-involved
    opioid_part[FENTANYL_ROW] = expected[FENTANYL_ROW]
    return who[:k].copy(), expected, opioid_part, basis, who_cell[:k].copy()


@njit(cache=True)
def care_of(slots: np.ndarray, agents: AgentArrays, draws: StepDraws, t: StepTables,
            exits: np.ndarray) -> None:
    """Care transitions of the live agents among ``slots`` (those who survived an overdose)."""
    for i in slots:
        if agents.alive[i]:
            action = care_action(draws.u_care[i] + draws.shift, agents.status[i],
                                 agents.group[i] == 0, t.rates)
            apply_care(i, action, agents, t.tol_until_new, exits)


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
