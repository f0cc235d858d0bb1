"""Demand reduction abroad: the lever on the cartels' export markets.

Prevention, treatment or retail enforcement in one region (Europe, Africa, Asia, Oceania)
shrinks its demand for the Mexican cartels' exports (:mod:`narcosim.model.portfolio`): the
kilograms shipped there and the revenue they earn fall by ``efficacy`` x intensity. Part of
the product no longer sold abroad goes to the US instead (a "balloon effect"): the export
markets' ``redirect_to_us`` share (``[parameters.portfolio]``, 0.5, guess: 0-1) of the cut
kilograms joins the US-bound production that week
(:meth:`narcosim.model.portfolio.Portfolio.redirected_kg`), so the lever also raises US
supply, sales and deaths. With ``redirect_to_us = 0`` it changes the exports and the money
accounts and nothing else; switched off it changes nothing.
"""

from __future__ import annotations

from typing import ClassVar

from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.errors import ParameterError
from narcosim.interventions.base import Intervention
from narcosim.model.portfolio import REGIONS


class DemandAbroad(Intervention):
    """Less demand for the cartels' exports in one region."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("efficacy", 0.2, "fraction", 0.0, 1.0,
                  source="guess: share of the region's demand for the cartels' product cut "
                         "at intensity 1 (demand-side programmes move national markets by a "
                         "few to tens of percent over years); range 0.05-0.5",
                  doc="Share of the region's demand cut per unit intensity.",
                  prior=(0.05, 0.5),
                  prior_source="guess: from a twentieth to a half"),
    ]

    def init_pre(self, sim: Sim) -> None:
        """Check the run has the export markets; resolve the region."""
        super().init_pre(sim)
        if "portfolio" not in sim.modules:
            raise ParameterError(f"{self.config.label}: demand reduction abroad needs the "
                                 "export markets (build the run with chain=True)")
        self.region = REGIONS.index(self.config.region)

    def apply(self) -> None:
        """Scale the region's demand down."""
        portfolio = self.module("portfolio")
        portfolio.levers.scale("demand_factor",
                               max(0.0, 1.0 - self.pars.efficacy * self.config.intensity),
                               where=self.region)
