"""Public-health levers: naloxone, treatment, test strips, prevention.

Each sets a per-state lever on the people module for the week (reset after its step): more
naloxone at hand, a higher share in treatment (MOUD), less fentanyl exposure among users who
test their drugs, fewer people starting to use. Targets are states (or cities' states); none
means the whole country.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.errors import ParameterError
from narcosim.interventions.base import Intervention


class _StateLever(Intervention):
    """A lever that acts on the targeted states (all if none)."""

    def init_pre(self, sim: Sim) -> None:
        """Check the run has people to act on."""
        super().init_pre(sim)
        if "people" not in sim.modules:
            raise ParameterError(f"{self.config.label}: a {self.config.kind} intervention "
                                 "needs the people module (this run has supply only)")

    def states(self) -> np.ndarray:
        """Mask of the targeted states."""
        s = self.target.states
        return s if s.any() else np.ones_like(s)


class NaloxoneDistribution(_StateLever):
    """Naloxone distribution: more people have naloxone at hand."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("access_per_unit", 0.2, "", 0.0, 1.0,
                  source="guess: share of people who use drugs newly reached at intensity 1",
                  doc="Added naloxone-access share per unit intensity."),
    ]

    def apply(self) -> None:
        """Raise naloxone access."""
        self.module("people").naloxone_extra[self.states()] += (
            self.pars.access_per_unit * self.config.intensity)


class TreatmentExpansion(_StateLever):
    """More MOUD capacity: a higher long-run share of people with OUD in treatment."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("share_per_unit", 0.15, "", 0.0, 1.0,
                  source="guess: added treatment share at intensity 1 (from 25.1% in 2022, "
                         "MMWR 73(25))",
                  doc="Added share in treatment per unit intensity."),
    ]

    def apply(self) -> None:
        """Raise the treatment share."""
        self.module("people").treatment_extra[self.states()] += (
            self.pars.share_per_unit * self.config.intensity)


class TestStrips(_StateLever):
    """Fentanyl test strips: users who test and find fentanyl take fewer risks."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("coverage", 0.3, "", 0.0, 1.0,
                  source="guess: share of users who test at intensity 1",
                  doc="Share of people who use drugs who test their drugs."),
        ParamSpec("efficacy", 0.3, "", 0.0, 1.0,
                  source="guess informed by Peiper et al., Int J Drug Policy 63 (2019): a "
                         "positive strip leads to safer use; the reduction in risk is not "
                         "measured",
                  doc="Reduction in fentanyl overdose risk among those who test."),
    ]

    def apply(self) -> None:
        """Lower the fentanyl hazard."""
        cut = min(self.pars.coverage * self.pars.efficacy * self.config.intensity, 1.0)
        self.module("people").fentanyl_factor[self.states()] *= 1.0 - cut


class Prevention(_StateLever):
    """Prevention: fewer people start using."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("efficacy", 0.2, "", 0.0, 1.0,
                  source="guess: share of initiations prevented at intensity 1",
                  doc="Reduction in initiation per unit intensity."),
    ]

    def apply(self) -> None:
        """Lower initiation."""
        cut = min(self.pars.efficacy * self.config.intensity, 1.0)
        self.module("people").initiation_factor[self.states()] *= 1.0 - cut
