"""The public-health programmes' effects on people: extra naloxone reversals, extra treatment.

Interventions set per-state levers on :class:`~narcosim.model.people.People`
(``naloxone_extra``, ``treatment_extra``; the other two levers act inside its hazard and
initiation); these functions turn the first two into draws from their own named streams, so
a programme that is off draws nothing and changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from narcosim.model.people import People

#: Statuses, as in the people module (kept here so this module loads without numba).
USING, TREATMENT = 0, 1


def programme_reversals(people: People, ti: int, who: np.ndarray,
                        reversed_: np.ndarray) -> np.ndarray:
    """Overdoses reversed by a naloxone programme, beyond those reversed anyway.

    A programme reaching an extra share ``x`` of a state's people gives every overdose
    there not already reversed an independent chance ``x * naloxone_reversal``, so expected
    deaths scale by exactly ``1 - x * naloxone_reversal``.
    """
    if not people.naloxone_extra.any() or who.size == 0:
        return np.zeros(who.size, dtype=bool)
    chance = np.clip(people.naloxone_extra, 0.0, 1.0)[people.agents["state"][who]]
    u = people.s_programme_reversal.random(ti, who)
    return ~reversed_ & (u < chance * people.pars.naloxone_reversal)


def programme_treatment(people: People, ti: int) -> None:
    """Extra treatment entries where MOUD capacity was expanded.

    Raising the long-run treatment share from ``s`` to ``s + x`` needs an entry rate of
    ``(s + x) / (1 - s - x)`` exits' worth instead of ``s / (1 - s)``; the difference is
    drawn for people with OUD who are using in the targeted states.
    """
    if not people.treatment_extra.any():
        return
    p, a = people.pars, people.agents
    n = a.n_slots
    leave = 1.0 / p.treatment_weeks
    base = p.treatment_share
    target = np.clip(base + people.treatment_extra, 0.0, 0.95)
    extra_rate = np.maximum(target / (1 - target) - base / (1 - base), 0.0) * leave
    prob = -np.expm1(-extra_rate * people.sim.dt_days / 7.0)
    state = a["state"][:n]
    eligible = a.alive & (a["status"][:n] == USING) & (a["group"][:n] == 0) & (prob[state] > 0)
    slots = np.flatnonzero(eligible)
    u = people.s_programme_treatment.random(ti, slots)
    a["status"][slots[u < prob[state[slots]]]] = TREATMENT
