"""Enforcement levers on the supply chain: the border, the hubs, production, money, leaders.

Adaptation is the model's, not the lever's: loads reroute to other crossings as the learned
risk of a surged port rises (NarcoLogic); hubs under pressure see loads diverted to the next
hub; umbrella factions cover part of a removed faction's supply and share what a precursor or
money-laundering action hits (precursor control cuts only the drugs made from precursors,
money laundering every drug); a removed CJNG centre slows new franchises while existing ones
go on.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

import numpy as np

from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.core.time import Duration
from narcosim.interventions.base import Intervention
from narcosim.model.drugs import SUPPLY_DRUGS


class BorderSurge(Intervention):
    """More inspection at the targeted ports (all ports of the targeted field offices).

    The ports' seizure probability is multiplied by ``1 + intensity``; Border Patrol's in the
    targeted field offices' corridors by ``1 + corridor_share * intensity``.
    """

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("corridor_share", 0.5, "fraction", 0.0, 10.0,
                  source="guess: a surge at the ports also adds some Border Patrol pressure "
                         "in the corridor",
                  doc="Share of the surge applied to Border Patrol in the corridor."),
    ]

    def init_pre(self, sim: Sim) -> None:
        """Work out which ports the surge covers."""
        super().init_pre(sim)
        fo_of_port = self.module("trafficking").inputs.port_fo
        ports = self.target.ports | self.target.field_offices[fo_of_port]
        self.ports = ports if ports.any() else np.ones_like(ports)
        fos = self.target.field_offices.copy()
        fos[fo_of_port[self.target.ports]] = True
        self.offices = fos if fos.any() else np.ones_like(fos)

    def apply(self) -> None:
        """Raise port and corridor pressure."""
        traf = self.module("trafficking")
        k = self.config.intensity
        traf.levers.scale("port_pressure", 1.0 + k, where=self.ports)
        traf.levers.scale("corridor_pressure", 1.0 + self.pars.corridor_share * k,
                          where=self.offices)


class HubTakedown(Intervention):
    """Investigations at distribution hubs: stock seized, loads diverted to other hubs."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("weekly_seizure", 0.02, "fraction per week", 0.0, 1.0,
                  source="guess: share of a hub's stock seized per week at intensity 1",
                  doc="Weekly share of the targeted hubs' stock seized at intensity 1."),
        ParamSpec("diversion", 0.3, "fraction", 0.0, 1.0,
                  source="guess: share of loads traffickers send to the next hub instead, at "
                         "intensity 1 (cartel adaptation)",
                  doc="Share of loads bound for a targeted hub diverted to the next-nearest."),
    ]

    def apply(self) -> None:
        """Seize at and divert from the targeted hubs (all hubs if none named)."""
        hubs = self.target.hubs if self.target.hubs.any() else np.ones_like(self.target.hubs)
        k = self.config.intensity
        dist, traf = self.module("distribution"), self.module("trafficking")
        dist.levers.add("hub_seizure", self.pars.weekly_seizure * k, where=hubs, cap=1.0)
        traf.levers.add("hub_diversion", self.pars.diversion * k, where=hubs, cap=1.0)


def _affected_operators(lever: Intervention, resource: str) -> np.ndarray:
    """Operators hit: the target's, widened to a whole umbrella that shares ``resource``."""
    structure = lever.module("production").inputs.structure
    keys = structure.operator_keys
    hit = lever.target.operators.copy()
    if not hit.any():
        return np.array([structure.cartel_of(k).structure != "independent" for k in keys])
    for i, key in enumerate(keys):
        cartel = structure.cartel_of(key)
        if hit[i] and resource in cartel.shared:
            hit |= np.array([structure.operators[k].cartel == cartel.key for k in keys])
    return hit


class PrecursorControl(Intervention):
    """Precursor-chemical control: less capacity to make the chosen synthetic drugs.

    Acts per drug, on the config's ``drugs`` (fentanyl and methamphetamine by default; never
    cocaine, which the cartels buy from South America). Umbrella factions share chemical
    suppliers (NDTA 2024), so hitting one hits all.
    """

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("efficacy", 0.25, "fraction", 0.0, 1.0,
                  source="guess: share of production capacity lost at intensity 1",
                  doc="Capacity lost per unit intensity."),
    ]

    def apply(self) -> None:
        """Cut the capacity to make the targeted drugs."""
        prod = self.module("production")
        hit = _affected_operators(self, "chemical_suppliers")
        drugs = [SUPPLY_DRUGS.index(d) for d in self.config.drugs]
        prod.levers.scale("precursor_factor", max(0.0, 1.0 - self.pars.efficacy
                                                   * self.config.intensity),
                          where=np.ix_(hit, drugs))


class AntiMoneyLaundering(Intervention):
    """Anti-money-laundering: seized and frozen proceeds cut what the cartels can reinvest.

    Umbrella factions share laundering networks (NDTA 2024), so hitting one hits all.
    """

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("efficacy", 0.1, "fraction", 0.0, 1.0,
                  source="guess: share of production capacity lost at intensity 1",
                  doc="Capacity lost per unit intensity."),
    ]

    def apply(self) -> None:
        """Cut capacity."""
        prod = self.module("production")
        hit = _affected_operators(self, "laundering")
        prod.levers.scale("capacity_factor",
                          max(0.0, 1.0 - self.pars.efficacy * self.config.intensity), where=hit)


class LeaderRemoval(Intervention):
    """Capture of a faction's leadership (or CJNG's central command) on the start date.

    Mexico releases the captive with ``release_probability`` after ``release_days`` (the seed:
    Abraham Oseguera was released nine days after his capture; a son of El Chapo was released
    in 2019 after a violent response); otherwise a successor takes over after
    ``succession_weeks``. While out: a Sinaloa faction produces nothing (the others cover part
    of its supply) and opens no branches; CJNG without its centre opens franchises slowly.
    """

    def init_pre(self, sim: Sim) -> None:
        """Plan the capture and draw whether Mexico releases the captive."""
        super().init_pre(sim)
        self.s_release = self.stream("release")
        released = bool(self.s_release.random(-1, np.array([0]))[0]
                        < self.config.release_probability)
        timeline = sim.timeline
        start = self.config.start
        self.capture_step = self._step_on_or_after(start)
        out_for = (Duration(self.config.release_days, "days") if released
                   else Duration(self.config.succession_weeks, "weeks"))
        steps = int(np.ceil(out_for.steps(timeline.dt_days)))
        self.return_step = self.capture_step + max(steps, 0)
        self.released = released
        self.results.define("leadership_out", dtype=np.int64,
                            doc="1 while the targeted leadership is out.")

    def _step_on_or_after(self, day: date) -> int:
        dates = self.sim.timeline.dates.astype("datetime64[D]")
        return int(np.searchsorted(dates, np.datetime64(day, "D")))

    def after(self) -> None:
        """Switch the leadership off between capture and return."""
        ti = self.sim.ti
        out = self.config.intensity > 0 and self.capture_step <= ti < self.return_step
        self.out = out
        prod, dist = self.module("production"), self.module("distribution")
        structure = prod.inputs.structure
        for i, key in enumerate(structure.operator_keys):
            if not self.target.operators[i]:
                continue
            if structure.cartel_of(key).structure == "franchise":
                dist.levers.set("centre_out", out)
            elif out:
                prod.levers.set("operator_active", False, where=i)
            elif ti == self.return_step:
                prod.levers.set("operator_active", structure.active(key), where=i)

    def update_results(self) -> None:
        """Record whether the leadership is out."""
        super().update_results()
        self.results["leadership_out"][self.sim.ti] = int(self.out)
