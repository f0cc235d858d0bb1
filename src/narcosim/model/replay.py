"""Replay a recorded market: feed the people module supply that was simulated once.

Calibration runs the people module many times over the same supply (the supply does not
depend on the people's parameters), so the supply run is recorded once and replayed by this
module, which stands where the distribution module stands and exposes the same
``sold_by_state`` (drugs, states; kg this step).
"""

from __future__ import annotations

import numpy as np

from narcosim.core.module import Module
from narcosim.core.sim import Sim


class MarketReplay(Module):
    """Sets ``sold_by_state`` each step from a recorded array.

    Args:
        sold: Kilograms sold per step, drug and state, shape (steps, drugs, states); the
            sim's timeline must not be longer than the recording.
    """

    name = "market_replay"

    def __init__(self, sold: np.ndarray) -> None:
        super().__init__()
        self.recorded = np.asarray(sold, dtype=float)
        self.sold_by_state = np.zeros(self.recorded.shape[1:])

    def init_pre(self, sim: Sim) -> None:
        """Check the recording covers the run."""
        if sim.timeline.n_steps > len(self.recorded):
            raise ValueError(f"market replay holds {len(self.recorded)} steps, the run needs "
                             f"{sim.timeline.n_steps}")

    def step(self) -> None:
        """Expose this step's recorded sales."""
        self.sold_by_state = self.recorded[self.sim.ti]
