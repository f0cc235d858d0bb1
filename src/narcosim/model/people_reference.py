"""The people rules written plainly in numpy: the reference the compiled kernel is proved equal to.

:mod:`narcosim.model.people_kernel` makes one compiled pass over the agents a step, written for
speed (no branches on random data, sums held in registers, care only where it can happen).
This module states the same per-agent rules once, plainly, and is what that kernel is proved
equal to, bit for bit (``tests/test_people_kernel.py``: whole runs, and the rule functions
over random inputs). :class:`ReferencePeople` is :class:`~narcosim.model.people.People` stepped
by this module's :func:`step_pass`, :func:`care_of` and :func:`count_status` instead of the
kernel's (same arguments: :class:`~narcosim.model.people_kernel.AgentArrays`,
:class:`~narcosim.model.people_kernel.StepDraws`,
:class:`~narcosim.model.people_kernel.StepTables`); the Mesa yardstick
(``benchmarks/mesa_people.py``) calls the scalar rule functions agent by agent.

The rules, for each live agent each week (the hazards per (status, drugs, state) cell, and the
sources of every parameter, are in :class:`~narcosim.model.people.People` and
:mod:`narcosim.model.people_params`):

1. **Drugs** (:func:`drug_mask`): its group's drug; an opioid user also uses methamphetamine
   (cocaine) when its fixed co-use uniform is below the year's co-use share (fitted; cited
   prior for the methamphetamine trend: Ellis, Kasper & Cicero, Drug Alcohol Depend 2018).
2. **Overdose**: the probability of its cell, with lost tolerance's multiplier in the weeks after
   treatment, remission or prison (Merrall et al., Addiction 2010); it overdoses when its
   overdose uniform is below that probability.
3. **Naloxone** reverses only opioid-involved overdoses: every overdose of someone who uses
   opioids, and the fentanyl-involved share of the others' (fentanyl in adulterated stimulants)
   (:func:`reversible_share`); an agent has naloxone at hand when its fixed uniform is below the
   year's access share, and it then reverses with probability ``naloxone_reversal``. Expected
   deaths (:func:`expected_deaths`) count a death toward every drug involved (CDC's
   multiple-cause convention).
4. **Care** (:func:`care_action`, :data:`NEW_STATUS`), against one care uniform, for those who
   did not overdose or survived it: users enter treatment (opioid users, at the rate that holds
   the MMWR 2024 share in treatment), prison, or quit (stimulant-only users); the treated leave
   treatment, to remission or back to use; the remitted relapse; prisoners are released; those
   back to use have lost tolerance. The thresholds come from ``People._care_rates``.

The overdose details (fentanyl involvement, reversal, death) are drawn after the pass, in
:meth:`People.step <narcosim.model.people.People.step>` itself, the same numpy for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from narcosim.core.sim import Sim
from narcosim.model.people import (
    BASIS_KEYS,
    COCAINE,
    FENTANYL_COMPONENTS,
    INCARCERATED,
    METH,
    N_MASKS,
    OPIOID,
    REMISSION,
    STATUSES,
    TREATMENT,
    USING,
    People,
)
from narcosim.model.people_kernel import (
    BACK_TO_USE,
    QUIT,
    STAY,
    TO_PRISON,
    TO_REMISSION,
    TO_TREATMENT,
    AgentArrays,
    StepDraws,
    StepTables,
)

#: The status a care action moves an agent to (``QUIT`` leaves; ``STAY`` changes nothing).
NEW_STATUS: dict[int, int] = {TO_TREATMENT: TREATMENT, TO_PRISON: INCARCERATED,
                              TO_REMISSION: REMISSION, BACK_TO_USE: USING}


# ------------------------------------------------------------------ rules of one agent
def drug_mask(group: int, meth_u: float, coc_u: float, meth_share: float,
              cocaine_share: float) -> int:
    """The drugs an agent uses (bit mask of ``OPIOID``, ``METH``, ``COCAINE``).

    Its group's drug (0 opioids, 1 methamphetamine only, 2 cocaine only), and for an opioid
    user each stimulant whose fixed co-use uniform is below its share (float32 uniforms are
    compared with float32 shares; Python floats holding them compare the same).
    """
    if group == 1:
        return METH
    if group == 2:
        return COCAINE
    mask = OPIOID
    if meth_u < meth_share:
        mask |= METH
    if coc_u < cocaine_share:
        mask |= COCAINE
    return mask


def reversible_share(opioid: bool, fent: float) -> float:
    """The share of an agent's overdoses that involve an opioid, so naloxone can reverse them.

    All of an opioid user's; otherwise the fentanyl-involved share ``fent`` of its cell's
    hazard (fentanyl in adulterated stimulants).
    """
    return 1.0 if opioid else fent


def expected_deaths(p: Any, q: Any, has_r: Any, fent: Any, scale: float) -> tuple[Any, Any, Any]:
    """An agent's expected overdose deaths this week, in people.

    Args:
        p: Its overdose probability.
        q: Its reversible share (:func:`reversible_share`).
        has_r: The reversal probability if it has naloxone at hand, else 0.
        fent: Its cell's fentanyl-involved share.
        scale: People per agent.

    Returns:
        Expected deaths involving fentanyl, of all drugs (a methamphetamine or cocaine user's
        count toward that drug too), and the part of all from opioid-involved overdoses (what a
        naloxone programme can still reverse). Works on one agent and element-wise on arrays.
    """
    nal = 1.0 - has_r  # survival factor of an opioid-involved overdose
    return p * nal * scale * fent, p * (1.0 - has_r * q) * scale, p * q * nal * scale


def care_action(u: float, status: int, opioid: bool, rates: Sequence[float]) -> int:
    """One agent's care action this week against its care uniform ``u``.

    Args:
        u: The agent's care uniform.
        status: Its status.
        opioid: Whether it is in the opioid group (opioid users may enter treatment, others
            may quit).
        rates: For non-opioid then opioid users the cumulative chances (to treatment, then
            prison, then quitting), then leaving treatment, leaving it into remission,
            relapse, release, and last the largest of them (no rule holds at or above it; a
            shortcut for the common case).

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
    elif status == TREATMENT and u < rates[6]:
        return TO_REMISSION if u < rates[7] else BACK_TO_USE
    elif (status == REMISSION and u < rates[8]) or (status == INCARCERATED and u < rates[9]):
        return BACK_TO_USE
    return STAY


# ------------------------------------------------------------------ the same, over arrays
def drug_masks(group: np.ndarray, meth_u: np.ndarray, coc_u: np.ndarray, meth_share: np.float32,
               cocaine_share: np.float32) -> np.ndarray:
    """:func:`drug_mask` element-wise."""
    opioid = group == 0
    return (np.select([group == 1, group == 2], [METH, COCAINE], OPIOID)
            | np.where(opioid & (meth_u < meth_share), METH, 0)
            | np.where(opioid & (coc_u < cocaine_share), COCAINE, 0))


def reversible_shares(opioid: np.ndarray, fent: np.ndarray) -> np.ndarray:
    """:func:`reversible_share` element-wise."""
    return np.where(opioid, 1.0, fent)


def care_actions(u: np.ndarray, status: np.ndarray, opioid: np.ndarray,
                 rates: Sequence[float]) -> np.ndarray:
    """:func:`care_action` element-wise: the first rule that holds applies."""
    r = np.asarray(rates, dtype=float)
    g = np.where(opioid, 3, 0)
    using = status == USING
    leaves_treatment = (status == TREATMENT) & (u < r[6])
    rules = [(using & (u < r[g]), TO_TREATMENT),
             (using & (u < r[g + 1]), TO_PRISON),
             (using & (u < r[g + 2]), QUIT),
             (leaves_treatment & (u < r[7]), TO_REMISSION),
             (leaves_treatment, BACK_TO_USE),
             ((status == REMISSION) & (u < r[8]), BACK_TO_USE),
             ((status == INCARCERATED) & (u < r[9]), BACK_TO_USE)]
    return np.select([rule for rule, _ in rules], [action for _, action in rules], STAY)


def apply_care(slots: np.ndarray, actions: np.ndarray, agents: AgentArrays, tol_until_new: int,
               exits: np.ndarray) -> None:
    """Carry out the care ``actions`` of ``slots``: new statuses, lost tolerance, quitters exit."""
    for action, status in NEW_STATUS.items():
        agents.status[slots[actions == action]] = status
    agents.tol_until[slots[actions == BACK_TO_USE]] = tol_until_new
    quitters = slots[actions == QUIT]
    agents.alive[quitters] = False
    np.add.at(exits, (agents.group[quitters], agents.state[quitters]), 1.0)


def basis(t: StepTables, cell: np.ndarray, state: np.ndarray, w: np.ndarray, nal: np.ndarray,
          opioid: np.ndarray, meth: np.ndarray, coc: np.ndarray) -> np.ndarray:
    """Expected deaths of each risk component per unit coefficient (components, 6, states).

    ``w`` is each agent's weight (alive, lost tolerance, scale) and ``nal`` its survival factor
    of an opioid-involved overdose, which applies to an opioid user's every component and to
    fentanyl's. Keys: :data:`~narcosim.model.people.BASIS_KEYS`.
    """
    out = np.zeros((t.comp.shape[0], len(BASIS_KEYS), t.n_states))
    for c in range(t.comp.shape[0]):
        involved = opioid | (c in FENTANYL_COMPONENTS)
        x = w * np.where(involved, nal, 1.0) * t.comp[c, cell]
        rows = {1: x * meth, 2: x * coc, 3: x, 4: x * involved * meth, 5: x * involved * coc}
        if c in FENTANYL_COMPONENTS:
            rows[0] = x
        for key, weights in rows.items():
            out[c, key] = np.bincount(state, weights, minlength=t.n_states)
    return out


def step_pass(agents: AgentArrays, draws: StepDraws, t: StepTables, exits: np.ndarray,
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Overdose draws, expected deaths and care of every live agent (the kernel's contract).

    Returns:
        As :func:`narcosim.model.people_kernel.step_pass`: the slots that overdosed, expected
        deaths (fentanyl, methamphetamine, cocaine, all; by state), their opioid-involved part,
        the basis (zeros unless asked) and each overdosed slot's (status, drugs, state) cell.
    """
    a, n_s = agents, t.n_states
    drugs = drug_masks(a.group, a.meth_u, a.coc_u, t.meth_thr, t.coc_thr)
    cell = (a.status.astype(np.int64) * N_MASKS + drugs) * n_s + a.state
    lost = a.tol_until > t.ti
    p = np.where(a.alive, t.p_cell[lost.astype(np.int64), cell], 0.0)
    od = draws.u_od + draws.shift < p
    opioid, meth, coc = (drugs & OPIOID) > 0, (drugs & METH) > 0, (drugs & COCAINE) > 0
    fent = t.fent_cell[cell]
    has_r = (a.nal_u < t.nal_thr) * t.reversal
    fentanyl, every, involved = expected_deaths(p, reversible_shares(opioid, fent), has_r, fent,
                                                t.scale)

    def by_state(weights: np.ndarray) -> np.ndarray:
        return np.bincount(a.state, weights, minlength=n_s)

    expected = np.stack([by_state(fentanyl), by_state(every * meth), by_state(every * coc),
                         by_state(every)])
    opioid_part = np.stack([expected[0], by_state(involved * meth), by_state(involved * coc),
                            by_state(involved)])
    table = np.zeros((t.comp.shape[0], len(BASIS_KEYS), n_s))
    if t.record_basis:
        w = a.alive * np.where(lost, t.tol_mult, 1.0) * t.scale
        table = basis(t, cell, a.state, w, 1.0 - has_r, opioid, meth, coc)
    who = np.flatnonzero(od)
    who_cell = cell[who]
    # care of the living who did not overdose (the survivors' waits for their fate)
    care_of(np.flatnonzero(a.alive & ~od), agents, draws, t, exits)
    return who, expected, opioid_part, table, who_cell


def care_of(slots: np.ndarray, agents: AgentArrays, draws: StepDraws, t: StepTables,
            exits: np.ndarray) -> None:
    """Care transitions of the live agents among ``slots``."""
    slots = slots[agents.alive[slots]]
    actions = care_actions(draws.u_care[slots] + draws.shift, agents.status[slots],
                           agents.group[slots] == 0, t.rates)
    apply_care(slots, actions, agents, t.tol_until_new, exits)


def count_status(alive: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Live agents by status."""
    return np.bincount(status[alive], minlength=len(STATUSES))


#: This module in the kernel's place: what :class:`ReferencePeople` steps with.
REFERENCE = SimpleNamespace(AgentArrays=AgentArrays, StepDraws=StepDraws, StepTables=StepTables,
                            step_pass=step_pass, care_of=care_of, count_status=count_status)


class ReferencePeople(People):
    """:class:`~narcosim.model.people.People` stepped by this module's numpy, not the kernel."""

    def init_pre(self, sim: Sim) -> None:
        """As :meth:`People.init_pre`, then swap the compiled kernel for the reference."""
        super().init_pre(sim)
        self.kernel = REFERENCE
