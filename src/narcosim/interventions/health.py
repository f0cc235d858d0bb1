"""Public-health levers: naloxone, treatment, test strips, prevention.

Each sets a per-state lever on the people module for the week (reset after its step): more
naloxone at hand, a higher share in treatment (MOUD), less fentanyl exposure among users who
test their drugs, fewer people starting to use. Targets are states (or cities' states); none
means the whole country. Naloxone and treatment book their ``unit_cost`` on what the model
delivered (:mod:`narcosim.interventions.delivery`), on top of any flat ``annual_cost``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.core.time import Rate
from narcosim.errors import ParameterError
from narcosim.interventions.base import Intervention
from narcosim.interventions.delivery import EnrolledPatients, people_reached


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

    def own_extra(self, per_unit: float) -> np.ndarray:
        """This step's addition to the lever per state (zeros while inactive)."""
        n = len(self.target.states)
        if not self.is_active():
            return np.zeros(n)
        return np.where(self.states(), per_unit * self.config.intensity, 0.0)


class NaloxoneDistribution(_StateLever):
    """Naloxone distribution: more people have naloxone at hand.

    Cost: ``unit_cost`` per person reached per year (a kit each), on the people the added
    access share reaches in the run (result ``people_reached``), plus any flat
    ``annual_cost``.
    """

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("access_per_unit", 0.2, "fraction", 0.0, 1.0,
                  source="guess: share of people who use drugs newly reached at intensity 1",
                  doc="Added naloxone-access share per unit intensity."),
    ]

    def init_pre(self, sim: Sim) -> None:
        """Declare the delivered quantity."""
        super().init_pre(sim)
        self.results.define("people_reached", units="people",
                            doc="People who use drugs given naloxone by the programme.")
        self.reached = 0.0
        #: ``unit_cost`` (a year of a person's naloxone) for one step of one person reached.
        self.cost_per_reached = Rate(self.config.unit_cost, per="year").per_step(sim.dt_days)

    def apply(self) -> None:
        """Raise naloxone access."""
        self.module("people").levers.add("naloxone_extra",
                                         self.pars.access_per_unit * self.config.intensity,
                                         where=self.states())

    def update_results(self) -> None:
        """Book the kits for the people reached this step, then record."""
        own = self.own_extra(self.pars.access_per_unit)
        self.reached = people_reached(self.module("people"), own) if own.any() else 0.0
        self.cost += self.cost_per_reached * self.reached
        self.results["people_reached"][self.sim.ti] = self.reached
        super().update_results()


class TreatmentExpansion(_StateLever):
    """More MOUD capacity: a higher long-run share of people with OUD in treatment.

    Cost: ``unit_cost`` per patient-year delivered: the people the programme moved into
    treatment, for every week they stay (result ``patient_weeks``; those still in treatment
    when it ends are booked until they leave), plus any flat ``annual_cost``.
    """

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("share_per_unit", 0.15, "fraction", 0.0, 1.0,
                  source="guess: added treatment share at intensity 1 (from 25.1% in 2022, "
                         "MMWR 73(25))",
                  doc="Added share in treatment per unit intensity."),
    ]

    def init_pre(self, sim: Sim) -> None:
        """Declare the delivered quantity."""
        super().init_pre(sim)
        self.results.define("patient_weeks", units="patient-weeks per step",
                            doc="Treatment delivered to the people the programme enrolled.")
        self.patients = EnrolledPatients()
        #: One patient's treatment in a step, in weeks; ``unit_cost`` (a patient-year) per
        #: patient-week.
        self.weeks_per_step = float(sim.timeline.dt.to("weeks").value)
        self.cost_per_patient_week = float(Rate(self.config.unit_cost, per="year")
                                           .to("week").value)

    def apply(self) -> None:
        """Raise the treatment share."""
        self.module("people").levers.add("treatment_extra",
                                         self.pars.share_per_unit * self.config.intensity,
                                         where=self.states())

    def update_results(self) -> None:
        """Book the patient-weeks delivered this step, then record."""
        people = self.module("people")
        held = self.patients.update(people, self.own_extra(self.pars.share_per_unit))
        weeks = held * people.scale * self.weeks_per_step
        self.cost += self.cost_per_patient_week * weeks
        self.results["patient_weeks"][self.sim.ti] = weeks
        super().update_results()


class TestStrips(_StateLever):
    """Fentanyl test strips: users who test and find fentanyl take fewer risks."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("coverage", 0.3, "fraction", 0.0, 1.0,
                  source="guess: share of users who test at intensity 1",
                  doc="Share of people who use drugs who test their drugs."),
        ParamSpec("efficacy", 0.3, "fraction", 0.0, 1.0,
                  source="guess informed by Peiper et al., Int J Drug Policy 63 (2019): a "
                         "positive strip leads to safer use; the reduction in risk is not "
                         "measured",
                  doc="Reduction in fentanyl overdose risk among those who test."),
    ]

    def apply(self) -> None:
        """Lower the fentanyl hazard."""
        cut = min(self.pars.coverage * self.pars.efficacy * self.config.intensity, 1.0)
        self.module("people").levers.scale("fentanyl_factor", 1.0 - cut, where=self.states())


class Prevention(_StateLever):
    """Prevention: fewer people start using."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("efficacy", 0.2, "fraction", 0.0, 1.0,
                  source="guess: share of initiations prevented at intensity 1",
                  doc="Reduction in initiation per unit intensity."),
    ]

    def apply(self) -> None:
        """Lower initiation."""
        cut = min(self.pars.efficacy * self.config.intensity, 1.0)
        self.module("people").levers.scale("initiation_factor", 1.0 - cut, where=self.states())
