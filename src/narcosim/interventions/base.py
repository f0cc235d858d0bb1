"""The :class:`Intervention` base: a module that pulls a lever while it is active.

Interventions step before the model's parts, so a lever set this week acts this week; the
parts reset their levers after each step, so an intervention that is off (or of intensity 0)
leaves every result bit-identical to the run without it — common random numbers make the
difference between two arms exactly the intervention's doing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from narcosim.core.module import Module
from narcosim.core.sim import Sim
from narcosim.core.time import Rate
from narcosim.interventions.config import InterventionConfig
from narcosim.interventions.targeting import ResolvedTarget


class Intervention(Module):
    """An enforcement or public-health lever over a period.

    Args:
        config: The validated configuration.
        target: The target resolved against the world.
        index: Position in the scenario (makes the module name unique).
    """

    def __init__(self, config: InterventionConfig, target: ResolvedTarget, index: int) -> None:
        super().__init__(dict(config.parameters), name=f"intervention{index}_{config.kind}")
        self.config = config
        self.target = target

    def init_pre(self, sim: Sim) -> None:
        """Declare the cost and activity results."""
        self.results.define("cost_usd", units="US dollars per step",
                            doc=f"Cost of {self.config.label} this step.")
        self.results.define("active", dtype=np.int64, doc="1 while the intervention acts.")
        self.cost = 0.0
        #: The flat ``annual_cost`` booked for each step the intervention acts.
        self.cost_per_step = Rate(self.config.annual_cost, per="year").per_step(sim.dt_days)

    def is_active(self) -> bool:
        """Whether the current step's first day falls in [start, end] and intensity > 0."""
        day = self.sim.timeline.date_of(self.sim.ti)
        return self.config.intensity > 0 and self.config.start <= day <= self.config.end

    def step(self) -> None:
        """Pull the lever if active and book the cost."""
        self.cost = 0.0
        if self.is_active():
            self.cost = self.cost_per_step
            self.apply()
        self.after()

    def apply(self) -> None:
        """Set this week's levers (subclasses)."""

    def after(self) -> None:
        """Called every step, active or not (e.g. for delayed effects)."""

    def update_results(self) -> None:
        """Record cost and activity."""
        ti = self.sim.ti
        self.results["cost_usd"][ti] = self.cost
        self.results["active"][ti] = int(self.cost > 0 or self.is_active())

    def module(self, name: str) -> Any:
        """Another module of the run."""
        return self.sim.modules[name]
