"""Production: the product each operator has ready to send north, week by week.

The national flow of each drug comes from the fitted supply (kg per fiscal year, fitted to
CBP's southwest-border seizures); each operator produces its share. Precursor supply caps
the synthetic drugs' production, fentanyl and methamphetamine (precursor-chemical control
lowers it, per drug); cocaine is bought from South America and needs no Mexican precursors.
Anti-money-laundering cuts an operator's capacity for every drug. A removed operator
produces nothing; under an umbrella the other factions can cover part of its supply.
Independents lose share as the cartels cover more of the country's market (the NDTA 2024:
the cartels "eliminated any competition"). When demand abroad falls, part of the product no
longer exported is sent north on top of the fitted flow
(:meth:`narcosim.model.portfolio.Portfolio.redirected_kg`).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from narcosim.core.levers import Lever, Levers
from narcosim.core.module import Module
from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.core.time import Rate
from narcosim.model.drugs import PRECURSOR_DRUGS, SUPPLY_DRUGS
from narcosim.model.inputs import SupplyInputs


class Production(Module):
    """Weekly production per operator and drug into each operator's Mexican stock.

    Args:
        inputs: The run's supply inputs.
        pars: Parameter overrides.
    """

    name = "production"
    #: What supply-side interventions may change (see __init__).
    lever_specs: ClassVar[tuple[Lever, ...]] = (
        Lever("capacity_factor", "scale", 0.0, 1.0, 1.0,
              doc="Capacity multiplier per operator, all drugs (anti-money-laundering)."),
        Lever("precursor_factor", "scale", 0.0, 1.0, 1.0,
              doc="Capacity multiplier per operator and drug (precursor control)."),
        Lever("operator_active", "set", 0.0, 1.0, True, reset="held",
              doc="Whether each operator's leadership is in place (leader removal)."),
    )
    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("precursor_supply", 1.0, "ratio", 0.0, 2.0,
                  source="guess: 1 = the precursor supply behind the fitted FY2019–FY2023 flow",
                  doc="Precursor chemicals available, relative to the fitted years; caps the "
                      "output of fentanyl and methamphetamine (not cocaine).",
                  prior=(0.8, 1.2),
                  prior_source="guess: precursor supply a fifth either side of the fitted years'"),
        ParamSpec("independent_squeeze", 0.8, "fraction", 0.0, 1.0,
                  source="guess: NDTA 2024 says the cartels 'eliminated any competition'; "
                         "the fraction is not published",
                  doc="Share of the independents' supply the cartels take over at full coverage.",
                  prior=(0.5, 1.0),
                  prior_source="guess: from half to all of the independents' supply"),
        ParamSpec("cover_for_removed", 0.5, "fraction", 0.0, 1.0,
                  source="guess: NDTA 2024 — umbrella factions share suppliers and routes; "
                         "how much of a removed faction's supply the rest absorb is unknown",
                  doc="Share of a removed umbrella faction's supply the other factions take over.",
                  prior=(0.2, 0.8),
                  prior_source="guess: the other factions absorb a fifth to four fifths"),
    ]

    def __init__(self, inputs: SupplyInputs, pars: dict[str, Any] | None = None) -> None:
        super().__init__(pars)
        self.inputs = inputs
        structure = inputs.structure
        self.base_share = np.array(
            [[op.supply_share[d] for d in SUPPLY_DRUGS] for op in structure.operators.values()]
        )
        keys = structure.operator_keys
        self.is_independent = np.array(
            [structure.cartel_of(k).structure == "independent" for k in keys])
        self.cartel_of = np.array([structure.operators[k].cartel for k in keys])
        #: Levers (``lever_specs``; set by interventions each step, reset after): capacity
        #: multiplier per
        #: operator, all drugs (anti-money-laundering), and per operator and drug (precursor
        #: control; cocaine's column is never cut).
        self.capacity_factor = np.ones(len(keys))
        self.precursor_factor = np.ones((len(keys), len(SUPPLY_DRUGS)))
        #: Which drugs need precursor chemicals (the others ignore ``precursor_supply``).
        self.needs_precursors = np.isin(SUPPLY_DRUGS, PRECURSOR_DRUGS)
        #: Whether each operator's leadership is in place (leader removal switches it off).
        self.operator_active = np.array([structure.active(k) for k in keys])
        self.levers = Levers(self, self.lever_specs)

    def init_pre(self, sim: Sim) -> None:
        """Allocate stocks and declare results."""
        n_ops = self.inputs.n_ops
        self.stock = np.zeros((n_ops, len(SUPPLY_DRUGS)))
        self.produced = np.zeros((n_ops, len(SUPPLY_DRUGS)))
        self.produced_total = np.zeros(len(SUPPLY_DRUGS))
        #: Of ``produced``, the kg redirected from exports abroad (made for export, with
        #: precursors outside the chain's orders, like the exports).
        self.redirected = np.zeros((n_ops, len(SUPPLY_DRUGS)))
        self.coverage = 0.0
        #: The fitted flow (drugs, fiscal years) as kg per step, converted once.
        self.flow_kg_per_step = Rate(self.inputs.fitted.flow_kg_per_year,
                                     per="year").per_step(sim.dt_days)
        dims = {"drug": SUPPLY_DRUGS}
        self.results.define("produced_kg", dims, units="kg per step",
                            doc="Product made ready to send north.")
        self.results.define("mexico_stock_kg", dims, units="kg",
                            doc="Product waiting in Mexico at the end of the step.")

    def shares(self) -> np.ndarray:
        """Each operator's share of each drug's flow now, shape (operators, drugs)."""
        structure = self.inputs.structure
        share = self.base_share.copy()
        squeezed = share * self.is_independent[:, None] * self.pars.independent_squeeze
        squeezed *= self.coverage
        share -= squeezed
        cartel_ops = ~self.is_independent
        share[cartel_ops] += squeezed.sum(axis=0) * (
            share[cartel_ops] / share[cartel_ops].sum(axis=0))
        for i, key in enumerate(structure.operator_keys):
            if self.operator_active[i]:
                continue
            lost = share[i].copy()
            share[i] = 0.0
            cartel = structure.cartel_of(key)
            mates = [j for j, k in enumerate(structure.operator_keys)
                     if self.cartel_of[j] == cartel.key and self.operator_active[j]]
            if cartel.structure == "umbrella" and mates:
                weights = share[mates] / share[mates].sum(axis=0)
                share[mates] += self.pars.cover_for_removed * lost * weights
        return share

    def step(self) -> None:
        """Produce this week's product into the Mexican stocks."""
        sim = self.sim
        fitted = self.inputs.fitted
        fy = fitted.fy_index(int(sim.timeline.fiscal_years[sim.ti]))
        weekly = self.flow_kg_per_step[:, fy]
        precursors = np.where(self.needs_precursors, self.pars.precursor_supply, 1.0)
        self.produced = (self.shares() * weekly[None, :] * precursors[None, :]
                         * self.capacity_factor[:, None] * self.precursor_factor)
        self.produced = self._with_redirected(self.produced)
        self.stock += self.produced
        self.produced_total += self.produced.sum(axis=0)

    def _with_redirected(self, produced: np.ndarray) -> np.ndarray:
        """This week's production plus the product redirected from exports abroad.

        The export markets (:meth:`narcosim.model.portfolio.Portfolio.redirected_kg`) give
        the kg per drug that demand reduction abroad cut and the cartels send north instead;
        each operator gets its share of this week's production of the drug. Without a run
        with export markets, or without a demand cut, ``produced`` is returned untouched.
        """
        portfolio = self.sim.modules.get("portfolio")
        if portfolio is None:
            return produced
        total = produced.sum(axis=0)
        extra = portfolio.redirected_kg(total)
        if not extra.any():
            self.redirected = np.zeros_like(produced)
            return produced
        share = np.divide(produced, total[None, :], out=np.zeros_like(produced),
                          where=total[None, :] > 0)
        self.redirected = share * extra[None, :]
        return produced + self.redirected

    def update_results(self) -> None:
        """Record production and stock."""
        ti = self.sim.ti
        self.results["produced_kg"][ti] = self.produced.sum(axis=0)
        self.results["mexico_stock_kg"][ti] = self.stock.sum(axis=0)
        self.levers.reset()
