"""The cartels' business beyond US drug sales: export markets abroad and other crimes.

**Export markets.** The Mexican cartels sell cocaine and methamphetamine in Europe, Africa,
Asia and Oceania (DEA NDTA 2024; EUDA/Europol EU Drug Markets 2022). For each region and
drug the module takes the market's size (kg a year, cited where a figure exists), the
Mexican cartels' share of it (a guess everywhere: no agency publishes one) and the regional
wholesale price (dollars per kg). Each week the cartels ship

    market kg x share x days / 365.25 x demand factor (lever) x lab capacity (precursors)

to each region, split among the operators by their share of that week's production of the
drug. Exports compete with the US for the labs' output: a precursor shortage
(:mod:`narcosim.model.precursors`, ``lab_capacity`` below 1) cuts exports by the same share
as the US-bound product; the run reports the share of the labs' output that goes abroad.
The US-bound flow is the fitted one (calibrated to US deaths), so in the status quo exports
are made on top of it and never change it: the status quo's deaths are the same with and
without this module. Fentanyl is not exported in the model (its markets abroad are
negligible, UNODC World Drug Report 2023).

**Redirection to the US.** When demand abroad falls (the ``demand_factor`` lever, set by
:class:`~narcosim.interventions.demand_abroad.DemandAbroad`), the product the region no
longer takes is not all lost: a share ``redirect_to_us`` of it goes north instead. Each week

    redirected kg = redirect_to_us x market kg x share x days / 365.25
                    x (1 - demand factor) x lab capacity

summed over the regions, per drug. Production (:mod:`narcosim.model.production`) adds it to
the US-bound product, split among the operators by their share of the week's production (so
each gets back part of its own cut exports); it then enters the Mexican stock, is trafficked,
seized and sold like the rest, and the mass ledger counts it as produced. A precursor
shortage cuts it by the lab capacity, as it cuts the exports. Without a demand cut it is
exactly zero and production is untouched.

**Other crimes** (rough: the data are thin): migrant smuggling and sex trafficking earn each
operator a yearly sum, split by its average share of production. These are orders of
magnitude for the portfolio, not estimates to act on.

The money module (:mod:`narcosim.model.money`) books this revenue in its ledger: export
proceeds pay a laundering fee abroad, other crimes' proceeds are earned in Mexico.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from narcosim.core.levers import Lever, Levers
from narcosim.core.module import Module
from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.core.time import Rate
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.inputs import SupplyInputs

#: Export regions, in a fixed order.
REGIONS: tuple[str, ...] = ("europe", "africa", "asia", "oceania")
#: Drugs exported (fentanyl is not).
EXPORT_DRUGS: tuple[str, ...] = ("methamphetamine", "cocaine")
#: Revenue lines besides US drug sales.
LINES: tuple[str, ...] = ("exports", "migrant_smuggling", "sex_trafficking")
#: Where each region's flows are drawn on the world map: (latitude, longitude).
REGION_POINTS: dict[str, tuple[float, float]] = {
    "europe": (50.0, 10.0), "africa": (5.0, 20.0), "asia": (30.0, 115.0),
    "oceania": (-27.0, 135.0)}

_GUESS_SHARE = ("guess: no agency publishes the Mexican cartels' share of this market; "
                "{why}; range {lo:g}-{hi:g}")

#: (region, drug) -> (market kg/yr, kg prior, kg source, share, share prior, share reason,
#: price $/kg, price prior, price source).
_MARKETS: dict[tuple[str, str], tuple[Any, ...]] = {
    ("europe", "cocaine"): (
        150_000.0, (100_000.0, 250_000.0),
        "EUDA/Europol, EU Drug Markets: Cocaine (2022): EU retail market at least EUR 10.5 "
        "bn in 2020; at about EUR 70 per retail gram that is ~150 t (our division); range "
        "100-250 t",
        0.05, (0.01, 0.15),
        "Balkan, Italian and Dutch-Moroccan networks lead Europe's cocaine trade; Mexican "
        "cartels supply some (EU Drug Markets 2022)",
        40_000.0, (30_000.0, 65_000.0),
        "EMCDDA Annual report 2011: a 1 kg consignment cost EUR 31,000-58,000 in 2008, "
        "mostly ~EUR 35,000; in dollars at 1.1-1.4 per euro; the range is the prior"),
    ("europe", "methamphetamine"): (
        20_000.0, (5_000.0, 50_000.0),
        "guess: Europe's methamphetamine market is small beside amphetamine's (EU Drug "
        "Markets: Methamphetamine, 2022); range 5-50 t",
        0.1, (0.02, 0.3),
        "Mexican cooks work with Dutch producers (EU Drug Markets: Methamphetamine 2022)",
        15_000.0, (5_000.0, 30_000.0), "guess: wholesale dollars per kg; range 5,000-30,000"),
    ("africa", "cocaine"): (
        30_000.0, (10_000.0, 80_000.0),
        "guess: Africa is mostly a transit region for cocaine, with growing use (UNODC World "
        "Drug Report 2023); range 10-80 t",
        0.02, (0.005, 0.1), "Mexican cartels are minor players in African cocaine",
        30_000.0, (10_000.0, 50_000.0), "guess: wholesale dollars per kg; range 10,000-50,000"),
    ("africa", "methamphetamine"): (
        20_000.0, (5_000.0, 60_000.0),
        "guess: methamphetamine markets in southern and western Africa (UNODC World Drug "
        "Report 2023); range 5-60 t",
        0.05, (0.01, 0.2), "Mexican cooks have been reported in West African labs",
        15_000.0, (5_000.0, 40_000.0), "guess: wholesale dollars per kg; range 5,000-40,000"),
    ("asia", "cocaine"): (
        20_000.0, (5_000.0, 50_000.0),
        "guess: small East Asian cocaine markets (UNODC World Drug Report 2023); range "
        "5-50 t",
        0.1, (0.02, 0.3), "cocaine to East Asia often moves via Mexico",
        60_000.0, (20_000.0, 150_000.0),
        "guess: wholesale dollars per kg; range 20,000-150,000"),
    ("asia", "methamphetamine"): (
        500_000.0, (250_000.0, 1_000_000.0),
        "guess from UNODC, Synthetic Drugs in East and Southeast Asia (2024): a record ~190 t "
        "seized in East and Southeast Asia in 2023, taken as a fifth to three quarters of the "
        "market; range 250-1,000 t",
        0.005, (0.001, 0.02),
        "Shan State (Myanmar) supplies most of it; Mexican methamphetamine reaches Japan "
        "and the Philippines",
        30_000.0, (10_000.0, 100_000.0),
        "guess: wholesale dollars per kg, far higher in Japan than in Southeast Asia; range "
        "10,000-100,000"),
    ("oceania", "cocaine"): (
        4_600.0, (3_000.0, 6_000.0),
        "ACIC National Wastewater Drug Monitoring Program: 4.6 t of cocaine consumed in "
        "Australia, Aug 2018-Aug 2019 (3 t in 2016-17); range 3-6 t",
        0.2, (0.05, 0.5), "the AFP names Mexican cartels among Australia's cocaine suppliers",
        150_000.0, (80_000.0, 250_000.0),
        "guess: Australian wholesale dollars per kg, among the world's highest; range "
        "80,000-250,000"),
    ("oceania", "methamphetamine"): (
        11_500.0, (8_300.0, 16_000.0),
        "ACIC National Wastewater Drug Monitoring Program: 11.5 t of methylamphetamine "
        "consumed in Australia, Aug 2018-Aug 2019 (8.3 t in 2016-17); range 8.3-16 t",
        0.3, (0.1, 0.6), "Mexican methamphetamine is a large share of Australian seizures",
        100_000.0, (50_000.0, 200_000.0),
        "guess: Australian wholesale dollars per kg; range 50,000-200,000"),
}


def _market_specs() -> list[ParamSpec]:
    specs = []
    for (region, drug), row in _MARKETS.items():
        kg, kg_prior, kg_source, share, share_prior, why, price, price_prior, price_src = row
        key = f"{region}_{drug}"
        specs += [
            ParamSpec(f"{key}_kg", kg, "kg/year", 0.0, 1e8, source=kg_source,
                      doc=f"Size of {region}'s {drug} market, kg a year.", prior=kg_prior,
                      prior_source=kg_source if kg_source.startswith("guess") else
                      f"the range of the source: {kg_source}"),
            ParamSpec(f"{key}_share", share, "fraction", 0.0, 1.0,
                      source=_GUESS_SHARE.format(why=why, lo=share_prior[0],
                                                 hi=share_prior[1]),
                      doc=f"Mexican cartels' share of {region}'s {drug} market.",
                      prior=share_prior, prior_source="guess: as the source"),
            ParamSpec(f"{key}_price", price, "USD/kg", 0.0, 1e7, source=price_src,
                      doc=f"Wholesale price of {drug} in {region}, dollars per kg.",
                      prior=price_prior, prior_source=price_src),
        ]
    return specs


class Portfolio(Module):
    """Exports by region and drug, and the other crimes' revenue, per operator.

    Args:
        inputs: The run's supply inputs (the organisations).
        pars: Parameter overrides.
    """

    name = "portfolio"
    lever_specs: ClassVar[tuple[Lever, ...]] = (
        Lever("demand_factor", "scale", 0.0, 1.0, 1.0,
              doc="Multiplier on each region's demand for the cartels' exports (demand "
                  "reduction abroad)."),
    )
    param_specs: ClassVar[list[ParamSpec]] = [
        *_market_specs(),
        ParamSpec("migrant_smuggling_usd", 2.5e9, "USD/year", 0.0, 1e12,
                  source="rough: Homeland Security Investigations put criminal "
                         "organisations' earnings from smuggling migrants across the "
                         "southwest border at $500 M in 2018 and up to $13 bn in 2022 (New "
                         "York Times, 2022-07-25, as reported); the cartels' own cut (fees "
                         "charged to smugglers on their plazas) is a guess; range 0.5-13 bn",
                  doc="The cartels' yearly revenue from migrant smuggling, dollars.",
                  prior=(0.5e9, 13e9),
                  prior_source="rough: HSI's 2018 and 2022 figures (NYT 2022) as the ends"),
        ParamSpec("sex_trafficking_usd", 0.5e9, "USD/year", 0.0, 1e12,
                  source="rough: no published estimate for the cartels; ILO, Profits and "
                         "Poverty (2014): forced sexual exploitation earns $99 bn a year "
                         "worldwide and all forced labour $12 bn in Latin America and the "
                         "Caribbean; guess 0.5 bn, range 0.1-2 bn",
                  doc="The cartels' yearly revenue from sex trafficking, dollars.",
                  prior=(0.1e9, 2e9), prior_source="guess: an order of magnitude either way"),
        ParamSpec("redirect_to_us", 0.5, "fraction", 0.0, 1.0,
                  source="guess: UNODC's World Drug Report 2008 names displacement (the "
                         "'balloon effect') among drug control's unintended consequences "
                         "but gives no share for product redirected between markets; none "
                         "is published for the Mexican cartels' exports; range 0-1",
                  doc="Share of the product no longer shipped abroad (demand reduction "
                      "abroad) that the cartels send to the US instead.",
                  prior=(0.0, 1.0),
                  prior_source="guess: from none (the product is not made) to all of it"),
    ]

    def __init__(self, inputs: SupplyInputs, pars: dict[str, Any] | None = None) -> None:
        super().__init__(pars)
        self.inputs = inputs
        #: Lever (demand reduction abroad, reset after each step): per region.
        self.demand_factor = np.ones(len(REGIONS))
        self.levers = Levers(self, self.lever_specs)

    def init_pre(self, sim: Sim) -> None:
        """Read the markets into arrays and declare the results."""
        n_ops, n_d, n_r = self.inputs.n_ops, len(SUPPLY_DRUGS), len(REGIONS)
        self.market = np.zeros((n_d, n_r))  # kg a year the cartels supply at full demand
        self.price = np.zeros((n_d, n_r))
        for (region, drug) in _MARKETS:
            d, r = SUPPLY_DRUGS.index(drug), REGIONS.index(region)
            p = self.pars
            self.market[d, r] = (getattr(p, f"{region}_{drug}_kg")
                                 * getattr(p, f"{region}_{drug}_share"))
            self.price[d, r] = getattr(p, f"{region}_{drug}_price")
        self.other = np.array([self.pars.migrant_smuggling_usd, self.pars.sex_trafficking_usd])
        self.export_kg = np.zeros((n_ops, n_d, n_r))
        self.export_usd = np.zeros((n_ops, n_r))
        self.revenue = np.zeros((n_ops, len(LINES)))
        self.redirected = np.zeros(n_d)
        ops = tuple(self.inputs.structure.operator_keys)
        r = self.results
        r.define("export_kg", {"operator": ops, "drug": SUPPLY_DRUGS, "region": REGIONS},
                 units="kg per step", doc="Product shipped to markets abroad.")
        r.define("export_revenue_usd", {"operator": ops, "region": REGIONS},
                 units="US dollars per step",
                 doc="Wholesale revenue abroad (kg shipped x regional wholesale price).")
        r.define("other_revenue_usd", {"operator": ops, "line": LINES},
                 units="US dollars per step",
                 doc="Revenue besides US drug sales: exports, migrant smuggling (rough), "
                     "sex trafficking (rough).")
        r.define("export_share", {"drug": SUPPLY_DRUGS},
                 doc="Share of the labs' output this step shipped abroad.")
        r.define("redirected_kg", {"drug": SUPPLY_DRUGS}, units="kg per step",
                 doc="Product cut from exports by demand reduction abroad and sent to the "
                     "US instead (included in production's produced_kg).")

    def step(self) -> None:
        """Ship to each region its demand, capped by the labs' capacity; book other crimes."""
        m = self.sim.modules
        produced = m["production"].produced  # (ops, drugs) kg this week, US-bound
        total = produced.sum(axis=0)
        op_share = np.divide(produced, total[None, :], out=np.zeros_like(produced),
                             where=total[None, :] > 0)
        capacity = self._capacity()
        shipped = self._per_step(self.market) * self.demand_factor[None, :] * capacity[:, None]
        self.export_kg = op_share[:, :, None] * shipped[None, :, :]
        self.export_usd = (self.export_kg * self.price[None, :, :]).sum(axis=1)
        # other crimes: split by each operator's average share of production
        mean_share = op_share.mean(axis=1)
        self.revenue = np.column_stack([self.export_usd.sum(axis=1),
                                        mean_share[:, None]
                                        * self._per_step(self.other)[None, :]])
        abroad = self.export_kg.sum(axis=(0, 2))
        out = total + abroad
        self.export_share = np.divide(abroad, out, out=np.zeros_like(out), where=out > 0)

    def _per_step(self, per_year: np.ndarray) -> np.ndarray:
        """A yearly amount (kg or dollars a year) for one step of the run."""
        return np.asarray(Rate(per_year, per="year").per_step(self.sim.dt_days))

    def _capacity(self) -> np.ndarray:
        """This week's lab capacity per drug (the precursor chain's; 1 without it)."""
        precursors = self.sim.modules.get("precursors")
        if precursors is None:
            return np.ones(len(SUPPLY_DRUGS))
        return np.asarray(precursors.capacity, dtype=float)

    def redirected_kg(self, made: np.ndarray) -> np.ndarray:
        """The kg per drug cut from this week's exports abroad and sent to the US instead.

        ``redirect_to_us`` x what the demand cuts abroad remove from this week's exports (at
        the labs' capacity). Read by production, which steps before this module: the levers
        are set (interventions step first) and the precursor chain has set the capacity.
        Exactly zero without a demand cut.

        Args:
            made: This week's US-bound production per drug before the redirection (kg); a
                drug nobody makes is not exported (:meth:`step`), so none is redirected.
        """
        cut = (self._per_step(self.market) * (1.0 - self.demand_factor)[None, :]).sum(axis=1)
        cut = np.where(np.asarray(made) > 0, cut * self._capacity(), 0.0)
        self.redirected = self.pars.redirect_to_us * cut
        return self.redirected

    def update_results(self) -> None:
        """Record the exports and the other lines; reset the lever."""
        ti, r = self.sim.ti, self.results
        r["export_kg"][ti] = self.export_kg
        r["export_revenue_usd"][ti] = self.export_usd
        r["other_revenue_usd"][ti] = self.revenue
        r["export_share"][ti] = self.export_share
        r["redirected_kg"][ti] = self.redirected
        self.levers.reset()
