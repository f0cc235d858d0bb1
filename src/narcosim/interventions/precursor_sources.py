"""Precursor controls by supplier country: the lever on the precursor chain.

Diplomacy and export controls in one supplier country (China or India) cap its shipments of
the chosen drugs' precursors at a share of their status-quo volume
(:mod:`narcosim.model.precursors`). The labs re-order part of what is blocked from the other
country the same week, and their stock buffers the rest, so output falls only once the stock
runs down. Cocaine is never touched (the config refuses it: it is refined in South America).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.errors import ParameterError
from narcosim.interventions.base import Intervention
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.precursors import SOURCES


class SourceControl(Intervention):
    """Block a share of one supplier country's precursor shipments for the chosen drugs."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("efficacy", 0.5, "fraction", 0.0, 1.0,
                  source="guess: share of the country's shipments blocked at intensity 1 "
                         "(China's 2019 class-wide scheduling of fentanyl analogues moved "
                         "trade to precursors rather than stopping it, Chemistry World 2025); "
                         "range 0.1-0.9",
                  doc="Share of the source's shipments blocked per unit intensity.",
                  prior=(0.1, 0.9),
                  prior_source="guess: from a token control to a near embargo"),
    ]

    def init_pre(self, sim: Sim) -> None:
        """Check that the run has the precursor chain and resolve the source and drugs."""
        super().init_pre(sim)
        if "precursors" not in sim.modules:
            raise ParameterError(f"{self.config.label}: a precursor source control needs "
                                 "the precursor chain (build the run with chain=True)")
        self.source = SOURCES.index(self.config.source)
        self.drugs = np.array([SUPPLY_DRUGS.index(d) for d in self.config.drugs])

    def apply(self) -> None:
        """Let through only the unblocked share of the source's shipments."""
        chain = self.module("precursors")
        chain.levers.scale("source_open", max(0.0, 1.0 - self.pars.efficacy
                                              * self.config.intensity),
                           where=(self.source, self.drugs))
