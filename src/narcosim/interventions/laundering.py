"""Anti-money-laundering by channel: the lever on :mod:`narcosim.model.money`.

An action against one laundering channel (bulk cash at the border, trade-based laundering,
Chinese money-laundering organisations) seizes more of what the channel moves and cuts how
much it can move, so cash waits longer in the US, where it is exposed again. It acts on the
targeted cartel or faction; the Sinaloa factions share their laundering networks (NDTA
2024), so hitting one faction's channel hits the umbrella's. Money does not feed back into
supply in the model: this lever changes the money accounts and nothing else.
"""

from __future__ import annotations

from typing import ClassVar

from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.errors import ParameterError
from narcosim.interventions.base import Intervention
from narcosim.interventions.enforcement import _affected_operators
from narcosim.model.money import CHANNELS


class ChannelAML(Intervention):
    """More seizures on, and less capacity of, one laundering channel."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("added_seizure", 0.05, "fraction", 0.0, 1.0,
                  source="guess: share of the channel's flow seized on top of the usual "
                         "rate at intensity 1 (bulk cash seizures run near 1%, Washington "
                         "Post 2010); range 0.01-0.2",
                  doc="Added seizure share per unit intensity.",
                  prior=(0.01, 0.2),
                  prior_source="guess: from one to twenty percent"),
        ParamSpec("capacity_cut", 0.3, "fraction", 0.0, 1.0,
                  source="guess: share of the channel's weekly capacity lost at intensity 1; "
                         "range 0.1-0.6",
                  doc="Channel capacity lost per unit intensity.",
                  prior=(0.1, 0.6),
                  prior_source="guess: a tenth to three fifths"),
    ]

    def init_pre(self, sim: Sim) -> None:
        """Check the run has the money module; resolve the channel and operators."""
        super().init_pre(sim)
        if "money" not in sim.modules:
            raise ParameterError(f"{self.config.label}: anti-money-laundering by channel "
                                 "needs the money module (build the run with chain=True)")
        self.channel = CHANNELS.index(self.config.channel)
        self.hit = _affected_operators(self, "laundering")

    def apply(self) -> None:
        """Seize more on the channel and cut its capacity, for the operators hit."""
        money = self.module("money")
        k = self.config.intensity
        where = (self.hit, self.channel)
        money.levers.add("extra_seizure", self.pars.added_seizure * k, where=where, cap=1.0)
        money.levers.scale("capacity_factor", max(0.0, 1.0 - self.pars.capacity_cut * k),
                           where=where)
