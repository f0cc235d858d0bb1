"""Perceived route risk learned from one's own seizures (the NarcoLogic rule).

Magliocca et al., "Modeling cocaine traffickers and counterdrug interdiction forces as a
complex adaptive system", PNAS 116(16) 7784–7792 (2019): each trafficking node keeps a
perceived risk of interdiction,

    risk = (discounted past seizures + α) / (discounted elapsed steps + α + β),

with α = 2, β = 0.5 and a time weight of 0.91 per step (DESIGN.md section 3). Here one
"elapsed step" is one shipment sent through the crossing (a trial), so the rule is the mean
of a discounted Beta posterior over the interdiction probability. Umbrella factions pool
what they learn (they share routes and corrupt contacts); everyone else learns alone.
"""

from __future__ import annotations

import numpy as np

#: Prior pseudo-seizures, Magliocca et al. (2019).
ALPHA = 2.0
#: Prior pseudo-passes, Magliocca et al. (2019).
BETA = 0.5
#: Weight of the past per step, Magliocca et al. (2019).
TIME_WEIGHT = 0.91


class PerceivedRisk:
    """Discounted seizure and trial counts per (learning group, crossing).

    Args:
        group_of: For each operator, the index of the group it learns with; operators of an
            umbrella share one group.
        n_ports: Number of crossings.
        alpha: Prior pseudo-seizures.
        beta: Prior pseudo-passes.
        time_weight: Discount applied to the past each step.
    """

    def __init__(
        self,
        group_of: np.ndarray,
        n_ports: int,
        alpha: float = ALPHA,
        beta: float = BETA,
        time_weight: float = TIME_WEIGHT,
    ) -> None:
        self.group_of = np.asarray(group_of, dtype=np.int64)
        n_groups = int(self.group_of.max()) + 1 if self.group_of.size else 0
        self.seized = np.zeros((n_groups, n_ports))
        self.trials = np.zeros((n_groups, n_ports))
        self.alpha = alpha
        self.beta = beta
        self.time_weight = time_weight

    def risk(self) -> np.ndarray:
        """Perceived risk per (operator, crossing), in [0, 1]."""
        per_group = (self.seized + self.alpha) / (self.trials + self.alpha + self.beta)
        return per_group[self.group_of]

    def update(self, operator: np.ndarray, port: np.ndarray, seized: np.ndarray) -> None:
        """Discount the past, then add this step's shipments and seizures.

        Args:
            operator: Operator index of each shipment.
            port: Crossing index of each shipment.
            seized: Whether each shipment was seized.
        """
        self.seized *= self.time_weight
        self.trials *= self.time_weight
        group = self.group_of[operator]
        np.add.at(self.trials, (group, port), 1.0)
        np.add.at(self.seized, (group, port), seized.astype(float))


def choice_probabilities(utility: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Multinomial-logit choice over the allowed alternatives of each row.

    Args:
        utility: Utilities, shape (rows, alternatives).
        allowed: Boolean mask of the same shape; each row needs one allowed alternative.

    Returns:
        Probabilities per row summing to 1, zero where not allowed.
    """
    u = np.where(allowed, utility, -np.inf)
    u = u - u.max(axis=1, keepdims=True)
    w = np.exp(u)
    return w / w.sum(axis=1, keepdims=True)
