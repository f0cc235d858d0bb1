"""Dealer operations in the manner of Operation Last Mile and Operation Overdrive.

Operation Last Mile (DEA, May 2022 – May 2023) ran 1,436 investigations into the Sinaloa and
CJNG distribution networks, with 3,337 arrests and seizures of nearly 44 million fentanyl
pills, over 6,500 lb of fentanyl powder, over 91,000 lb of methamphetamine, 8,497 firearms and
over $100 million (DEA NDTA 2024, as reported). Its yields per investigation are this lever's
calibrated defaults (``docs/tutorials/enforcement.md`` shows the calibration run):

* arrests come from the dealer agents of the targeted states; a fixed number of
  investigations spread over more dealers means less risk for each (enforcement swamping),
  and dealers charge a premium for the risk (risks and prices, Reuter & Kleiman 1986);
* drugs come from the targeted states' street stock, so seizures follow the market;
* firearms and cash are counted per arrest; in runs with the guns module
  (:mod:`narcosim.model.firearms`) part of the firearms leave the guns going south.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.interventions.base import Intervention
from narcosim.model.drugs import SUPPLY_DRUGS

LAST_MILE = "Operation Last Mile tallies (DEA, May 2022 – May 2023, as reported)"
#: Operation Last Mile's reported tallies (DEA; the seed): the calibration targets.
LAST_MILE_TALLIES: dict[str, float] = {
    "investigations": 1436, "arrests": 3337, "fentanyl_pills": 44e6,
    "fentanyl_powder_lb": 6500, "methamphetamine_lb": 91000, "firearms": 8497,
    "cash_usd": 100e6,
}
#: Fentanyl seized as pills vs powder by weight, from the same tallies: 44 million pills at
#: about 0.1 g each (a counterfeit 'M30' tablet; guess of tablet mass) is 4,400 kg, against
#: 2,948 kg (6,500 lb) of powder.
PILL_KG = 1e-4
PILL_SHARE = 4400.0 / (4400.0 + 2948.35)
KG_PER_LB = 0.45359237


class DealerOperation(Intervention):
    """Investigations of cartel-linked dealers in the targeted states (or cities' states)."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("arrests_per_investigation", 3337 / 1436, "arrests per investigation", 0.0, 100.0,
                  source=f"{LAST_MILE}: 3,337 arrests / 1,436 investigations",
                  doc="Dealers arrested per investigation (if there are dealers to arrest)."),
        ParamSpec("fentanyl_seizure_per_investigation", 1.2e-3, "fraction per investigation",
                  0.0, 1.0,
                  source=f"calibrated to {LAST_MILE}: pills and powder "
                         "(narcosim calibrate last-mile --seed 1)",
                  doc="Share of the targeted states' fentanyl street stock seized per "
                      "investigation."),
        ParamSpec("meth_seizure_per_investigation", 1.0e-3, "fraction per investigation", 0.0, 1.0,
                  source=f"calibrated to {LAST_MILE}: 91,000 lb methamphetamine "
                         "(narcosim calibrate last-mile --seed 1)",
                  doc="Share of the targeted states' methamphetamine street stock seized per "
                      "investigation."),
        ParamSpec("firearms_per_arrest", 8497 / 3337, "firearms per arrest", 0.0, 100.0,
                  source=f"{LAST_MILE}: 8,497 firearms / 3,337 arrests",
                  doc="Firearms seized per arrest."),
        ParamSpec("cash_per_arrest", 100e6 / 3337, "usd per arrest", 0.0, 1e9,
                  source=f"{LAST_MILE}: $100 million / 3,337 arrests",
                  doc="US dollars seized per arrest."),
    ]

    def init_pre(self, sim: Sim) -> None:
        """Spread the investigations over the active weeks; declare the tallies."""
        super().init_pre(sim)
        # the investigations spread evenly over the weekly steps the operation spans — counted
        # on the run's step grid, not cut at the run's end — so a run that ends before the
        # operation does sees only its share of them
        first, dt = sim.timeline.start, sim.dt_days
        k_min = -(-(self.config.start - first).days // dt)
        k_max = (self.config.end - first).days // dt
        self.per_step = self.config.investigations / max(k_max - max(k_min, 0) + 1, 1)
        states = self.target.states
        self.states = states if states.any() else np.ones_like(states)
        self.tally = dict.fromkeys(("investigations", "arrests", "fentanyl_pills",
                                    "fentanyl_powder_lb", "methamphetamine_lb", "firearms",
                                    "cash_usd"), 0.0)
        for key in self.tally:
            self.results.define(key, units="per step", doc=f"{key} this step.")
        self.week = dict.fromkeys(self.tally, 0.0)

    def arrest_probability(self, dealers: np.ndarray, investigations: float) -> np.ndarray:
        """Weekly arrest probability of a dealer per state: swamping by construction.

        The week's expected arrests are spread over the targeted states' dealers, so each
        dealer's risk is arrests / dealers: the more dealers, the less risk for each.
        """
        expected = investigations * self.pars.arrests_per_investigation
        total = float(dealers[self.states].sum())
        prob = np.zeros_like(dealers, dtype=float)
        if total > 0:
            prob[self.states] = min(expected / total, 1.0)
        return prob

    def apply(self) -> None:
        """Arrest dealers and seize street stock in the targeted states this week."""
        k = self.config.intensity
        investigations = self.per_step * k
        dealers_mod, dist = self.module("dealers"), self.module("distribution")
        dealers = dealers_mod.counts().sum(axis=0) * dealers_mod.scale
        prob = self.arrest_probability(dealers.astype(float), investigations)
        dealers_mod.levers.raise_to("arrest_prob", prob)
        dist.levers.raise_to("arrest_risk", prob)
        f, m = SUPPLY_DRUGS.index("fentanyl"), SUPPLY_DRUGS.index("methamphetamine")
        share_f = min(self.pars.fentanyl_seizure_per_investigation * investigations, 1.0)
        share_m = min(self.pars.meth_seizure_per_investigation * investigations, 1.0)
        dist.levers.raise_to("street_seizure", share_f, where=(f, self.states))
        dist.levers.raise_to("street_seizure", share_m, where=(m, self.states))
        if "firearms" in self.sim.modules:  # the guns seized leave the southbound flow
            self.module("firearms").levers.raise_to(
                "ops_per_arrest", self.pars.firearms_per_arrest, where=self.states)
        self.week = {"investigations": investigations}

    def update_results(self) -> None:
        """Record this week's tallies (arrests as the dealers module made them)."""
        super().update_results()
        ti = self.sim.ti
        week = dict.fromkeys(self.tally, 0.0)
        if self.cost > 0 or self.is_active():
            week.update(self.week)
            seized = self.module("distribution").street_seized_now
            f, m = SUPPLY_DRUGS.index("fentanyl"), SUPPLY_DRUGS.index("methamphetamine")
            fent_kg = float(seized[f, self.states].sum())
            week["fentanyl_pills"] = fent_kg * PILL_SHARE / PILL_KG
            week["fentanyl_powder_lb"] = fent_kg * (1 - PILL_SHARE) / KG_PER_LB
            week["methamphetamine_lb"] = float(seized[m, self.states].sum()) / KG_PER_LB
            arrests = float((self.module("dealers").arrests * self.states).sum()
                            * self.module("dealers").scale)
            week["arrests"] = arrests
            week["firearms"] = arrests * self.pars.firearms_per_arrest
            week["cash_usd"] = arrests * self.pars.cash_per_arrest
        for key, value in week.items():
            self.results[key][ti] = value
            self.tally[key] += value
        self.week = dict.fromkeys(self.tally, 0.0)
