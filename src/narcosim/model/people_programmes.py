"""The public-health programmes' effects on people: extra naloxone reversals, extra treatment.

Interventions set per-state levers on :class:`~narcosim.model.people.People`
(``naloxone_extra``, ``treatment_extra``; the other two levers act inside its hazard and
initiation); these functions turn the first two into draws from their own named streams, so
a programme that is off draws nothing and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from narcosim.core.levers import Lever
from narcosim.core.time import Rate

if TYPE_CHECKING:
    from narcosim.model.people import People

#: Statuses, as in the people module (kept here so this module loads without numba).
USING, TREATMENT = 0, 1
#: The people's levers, per state, each reset after every step (the lever protocol).
PEOPLE_LEVERS: tuple[Lever, ...] = (
    Lever("naloxone_extra", "add", 0.0, np.inf, 0.0,
          doc="Added naloxone-access share (naloxone distribution; clipped to 1 where used)."),
    Lever("treatment_extra", "add", 0.0, np.inf, 0.0,
          doc="Added long-run share in treatment (treatment expansion; capped where used)."),
    Lever("fentanyl_factor", "scale", 0.0, 1.0, 1.0,
          doc="Multiplier on the fentanyl overdose hazard (test strips)."),
    Lever("initiation_factor", "scale", 0.0, 1.0, 1.0,
          doc="Multiplier on initiation (prevention)."),
)


def programme_naloxone_chance(people: People) -> np.ndarray:
    """Per state, the chance a naloxone programme reverses an opioid-involved overdose.

    A programme reaching an extra share ``x`` of a state's people (clipped to [0, 1]) gives
    every opioid-involved overdose there not already reversed an independent chance
    ``x * naloxone_reversal``; zeros where no programme acts.
    """
    return np.clip(people.naloxone_extra, 0.0, 1.0) * people.pars.naloxone_reversal


def programme_reversals(people: People, ti: int, who: np.ndarray, reversed_: np.ndarray,
                        reversible: np.ndarray) -> np.ndarray:
    """Overdoses reversed by a naloxone programme, beyond those reversed anyway.

    Naloxone reverses opioids only, so only opioid-involved overdoses (``reversible``: the
    person uses opioids, or fentanyl was involved) can be reversed; each not already
    reversed is with the chance of :func:`programme_naloxone_chance`. Expected opioid-involved
    deaths therefore scale by exactly ``1 - x * naloxone_reversal``, and stimulant overdoses
    without opioids are untouched.

    Args:
        people: The people module.
        ti: Step index.
        who: Slots that overdosed this step (ascending).
        reversed_: Whether each was reversed by the naloxone people already had.
        reversible: Whether each overdose was opioid-involved.

    Returns:
        Whether each overdose was reversed by the programme.
    """
    if not people.naloxone_extra.any() or who.size == 0:
        return np.zeros(who.size, dtype=bool)
    chance = programme_naloxone_chance(people)[people.agents["state"][who]]
    u = people.s_programme_reversal.random(ti, who)
    return ~reversed_ & reversible & (u < chance)


def programme_treatment(people: People, ti: int) -> None:
    """Extra treatment entries where MOUD capacity was expanded.

    Raising the long-run treatment share from ``s`` to ``s + x`` needs an entry rate of
    ``(s + x) / (1 - s - x)`` exits' worth instead of ``s / (1 - s)``; the difference is
    drawn for people with OUD who are using in the targeted states. The slots moved are kept
    as ``people.programme_entrants`` (what the programmes' costs are booked on).
    """
    people.programme_entrants = np.zeros(0, dtype=np.int64)
    if not people.treatment_extra.any():
        return
    p, a = people.pars, people.agents
    n = a.n_slots
    leave = 1.0 / p.treatment_weeks
    base = p.treatment_share
    target = np.clip(base + people.treatment_extra, 0.0, 0.95)
    extra_rate = np.maximum(target / (1 - target) - base / (1 - base), 0.0) * leave
    prob = Rate(extra_rate, per="week").prob_per_step(people.sim.dt_days)
    state = a["state"][:n]
    eligible = a.alive & (a["status"][:n] == USING) & (a["group"][:n] == 0) & (prob[state] > 0)
    slots = np.flatnonzero(eligible)
    u = people.s_programme_treatment.random(ti, slots)
    people.programme_entrants = slots[u < prob[state[slots]]]
    a["status"][people.programme_entrants] = TREATMENT
