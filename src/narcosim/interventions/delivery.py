"""What a public-health programme delivered in the run, the quantity its cost is booked on.

A programme's cost follows what the model delivers, not what the lever asked for: a treatment
expansion pays per patient-year for the people it moved into treatment, for the weeks they
stayed (capacity the model could not fill costs nothing); a naloxone programme pays per person
reached per year (a kit each). Flat ``annual_cost`` stays for contracts that are flat
(enforcement, or a programme's fixed overheads).
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: The people module's treatment status (kept here so this module loads without numba).
TREATMENT = 1


def lever_share(own: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Per state, this programme's share of the lever all programmes set (0 where none)."""
    return np.divide(own, total, out=np.zeros_like(own, dtype=float), where=total > 0)


class EnrolledPatients:
    """The people a treatment programme moved into treatment, while they stay there.

    Each enrolled agent carries a weight: the programme's share of the state's added
    treatment share when it entered (1 unless programmes overlap), so overlapping programmes
    split a patient rather than each booking it whole.
    """

    def __init__(self) -> None:
        self.slots = np.zeros(0, dtype=np.int64)
        self.weights = np.zeros(0)

    def update(self, people: Any, own_extra: np.ndarray) -> float:
        """Drop those who left treatment, add this step's entrants; agents in treatment now.

        Args:
            people: The people module after its step (``programme_entrants``: the slots
                moved into treatment by programmes this step).
            own_extra: This programme's added treatment share per state this step.

        Returns:
            The weighted number of agents the programme holds in treatment at the step's end.
        """
        a = people.agents
        # a slot freed by a death and reused by a newcomer holds someone using, so drops out
        stay = a.alive[self.slots] & (a["status"][self.slots] == TREATMENT)
        slots, weights = self.slots[stay], self.weights[stay]
        new = people.programme_entrants
        if new.size:
            share = lever_share(own_extra, people.treatment_extra)[a["state"][new]]
            mine = share > 0
            slots = np.concatenate([slots, new[mine]])
            weights = np.concatenate([weights, share[mine]])
        self.slots, self.weights = slots, weights
        return float(weights.sum())


def people_reached(people: Any, own_extra: np.ndarray) -> float:
    """People a naloxone programme reaches now: its added access share x people by state.

    Access is capped at 1 per state, as the people module caps it; where programmes overlap
    past the cap, each is scaled down in proportion.
    """
    a = people.agents
    alive = a.alive_slots
    by_state = np.bincount(a["state"][alive], minlength=len(own_extra)) * float(people.scale)
    total = people.naloxone_extra
    capped = np.divide(np.clip(total, 0.0, 1.0), total, out=np.zeros_like(total),
                       where=total > 0)
    return float((own_extra * capped * by_state).sum())
