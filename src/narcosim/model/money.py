"""Money: the cartels' revenue from US sales, laundering channels, costs and kept profits.

Each operator (a Sinaloa faction, CJNG, the independents) earns the US wholesale price on
every kilogram of its product sold in the US that week, as cash in the US. Each week a share
of the cash waiting in the US goes south through each laundering channel:

* **bulk cash** smuggled across the border (ICE/Mexico Binational Criminal Proceeds Study
  2010, as reported: $19-29 bn a year; US and Mexican authorities seize "no more than one
  percent", Washington Post 2010);
* **trade-based** laundering (goods bought in the US with the cash and sold in Mexico;
  FinCEN advisory FIN-2025-A003: 512 reports, nearly $10 bn, 2020-2024);
* **Chinese money-laundering organisations** (mirror transactions: the cartels sell their
  dollars to networks that serve Chinese buyers evading capital controls; FinCEN 2025: one
  of the most significant money-laundering threats, 137,153 reports, $312 bn, 2020-2024).

On each channel authorities seize a share and the launderers keep a fee; the rest reaches
the operator's treasury in Mexico, which pays for production (cocaine bought from South
America, precursors and labs). The Sinaloa factions share the channels (NDTA 2024) — an
anti-money-laundering action against one faction's channel hits the umbrella's — but each
keeps its own profits. Money does not feed back into supply here: the separate
``anti_money_laundering`` lever keeps its guessed capacity cut.

Revenue besides US sales (:mod:`narcosim.model.portfolio`, when the run has it): exports
abroad pay ``abroad_fee`` to launderers abroad and the rest reaches the treasury; migrant
smuggling and sex trafficking are earned in Mexico and go straight to the treasury.

Money ledger, per operator and step (US dollars, cumulative flows; revenue includes the
other lines)::

    revenue = cash waiting in the US + seized + fees + production costs + treasury

The treasury (kept profit) may be negative early on: production paid on credit.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from narcosim.core.axes import Axes
from narcosim.core.levers import Lever, Levers
from narcosim.core.module import Module
from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.core.time import full_years
from narcosim.errors import ParameterError
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.inputs import SupplyInputs

#: Laundering channels, in a fixed order.
CHANNELS: tuple[str, ...] = ("bulk_cash", "trade_based", "chinese_mlo")
#: The money ledger's accounts, in the order recorded.
ACCOUNTS: tuple[str, ...] = ("revenue", "us_cash", "seized", "fees", "costs", "treasury")


def _price(name: str, default: float, low: float, high: float, source: str,
           prior_source: str, doc: str) -> ParamSpec:
    return ParamSpec(name, default, "usd per kg", 0.0, 1e7, source=source, doc=doc,
                     prior=(low, high), prior_source=prior_source)


#: The axes of the distribution's weekly ``sold`` array (kg).
SOLD_AXES = Axes("operator", "drug", "state")


class Money(Module):
    """Revenue, laundering, costs and kept profit per operator.

    Args:
        inputs: The run's supply inputs (the organisations).
        pars: Parameter overrides.
    """

    name = "money"
    lever_specs: ClassVar[tuple[Lever, ...]] = (
        Lever("capacity_factor", "scale", 0.0, 1.0, 1.0,
              doc="Multiplier on each operator's weekly capacity per channel (AML)."),
        Lever("extra_seizure", "add", 0.0, 1.0, 0.0,
              doc="Added seizure share per operator and channel (AML)."),
    )
    param_specs: ClassVar[list[ParamSpec]] = [
        _price("fentanyl_price", 30_000.0, 10_000.0, 80_000.0,
               source="guess: US wholesale dollars per kg of fentanyl product; the DEA put it "
                      "at $80,000 per kg of cut product in 2016 (New York Times, as reported "
                      "by The Crime Report, 2016-06-10) and prices have fallen since; range "
                      "10,000-80,000",
               prior_source="guess: from a tenth of 2016's price to 2016's $80,000",
               doc="US wholesale price of fentanyl product, dollars per kg."),
        _price("methamphetamine_price", 5_000.0, 2_000.0, 10_000.0,
               source="guess: US wholesale dollars per kg of methamphetamine near the border "
                      "(pound prices of a few thousand dollars); range 2,000-10,000",
               prior_source="guess: 2,000 to 10,000 dollars per kg",
               doc="US wholesale price of methamphetamine, dollars per kg."),
        _price("cocaine_price", 25_000.0, 14_500.0, 35_000.0,
               source="range only: US kilogram prices $12,000-35,000 in 2000 (DEA/ONDCP "
                      "Illegal Drug Price and Purity Report) and $14,500 import/wholesale in "
                      "Los Angeles c. 2007 (Kilmer & Reuter, Foreign Policy 2009); the range "
                      "is the prior, the default its middle",
               prior_source="the published range (DEA 2000; Kilmer & Reuter 2009)",
               doc="US wholesale price of cocaine, dollars per kg."),
        _price("fentanyl_cost", 1_000.0, 300.0, 5_000.0,
               source="guess: cost per kg of product in Mexico; a pure kg's precursors cost "
                      "under $5,000 (DEA 2016, as reported) and product is about a tenth "
                      "fentanyl; range 300-5,000",
               prior_source="guess: 300 to 5,000 dollars per kg",
               doc="Cost of making fentanyl product in Mexico, dollars per kg."),
        _price("methamphetamine_cost", 500.0, 200.0, 2_000.0,
               source="guess: P2P methamphetamine costs little to make; range 200-2,000",
               prior_source="guess: 200 to 2,000 dollars per kg",
               doc="Cost of making methamphetamine in Mexico, dollars per kg."),
        _price("cocaine_cost", 8_000.0, 2_200.0, 15_000.0,
               source="guess: what the Mexican cartels pay South American suppliers per kg, "
                      "between Colombia's export price ($2,200, Kilmer & Reuter 2009) and "
                      "Central American transit prices; range 2,200-15,000",
               prior_source="guess: 2,200 to 15,000 dollars per kg",
               doc="Cost of cocaine to the Mexican cartels, dollars per kg."),
        ParamSpec("capacity", [0.25, 0.15, 0.35], "fraction", 0.0, 1.0, kind="array",
                  source="guess: share of the cash waiting in the US each channel moves south "
                         "per week (bulk cash, trade-based, Chinese MLOs); FinCEN 2025 calls "
                         "the Chinese networks fast and dominant; the shares must sum to 1 or "
                         "less",
                  doc="Weekly share of the US cash each channel moves (sum <= 1).",
                  prior=(0.5, 1.3),
                  prior_source="guess: half to 1.3 times the default shares"),
        ParamSpec("seizure", [0.01, 0.005, 0.002], "fraction", 0.0, 1.0, kind="array",
                  source="bulk cash: 'no more than one percent' of the proceeds smuggled "
                         "south is seized (Washington Post 2010, as reported); guess: "
                         "trade-based 0.5%, Chinese MLOs 0.2% (harder to see)",
                  doc="Share of what each channel moves that authorities seize.",
                  prior=(0.5, 2.0),
                  prior_source="guess: half to twice the default rates"),
        ParamSpec("fee", [0.10, 0.10, 0.02], "fraction", 0.0, 1.0, kind="array",
                  source="guess: couriers' and brokers' cut per channel; Chinese MLOs are "
                         "cheap and absorb losses (FinCEN advisory FIN-2025-A003); ranges "
                         "5-15%, 5-20%, 1-5%",
                  doc="Share of what each channel delivers that the launderers keep.",
                  prior=(0.5, 1.5),
                  prior_source="guess: half to 1.5 times the default fees"),
        ParamSpec("abroad_fee", 0.10, "fraction", 0.0, 1.0,
                  source="guess: launderers' cut on export proceeds earned abroad (as on "
                         "the US channels); range 0.05-0.2",
                  doc="Share of the export revenue that launderers abroad keep.",
                  prior=(0.05, 0.2), prior_source="guess: 5 to 20 percent"),
    ]

    def __init__(self, inputs: SupplyInputs, pars: dict[str, Any] | None = None) -> None:
        super().__init__(pars)
        self.inputs = inputs
        n_ops, n_c = inputs.n_ops, len(CHANNELS)
        #: Levers (set by anti-money-laundering interventions each step, reset after): each
        #: operator's capacity factor and added seizure share per channel.
        self.capacity_factor = np.ones((n_ops, n_c))
        self.extra_seizure = np.zeros((n_ops, n_c))
        self.levers = Levers(self, self.lever_specs)
        self._check_channels()

    def _check_channels(self) -> None:
        """One value per channel, and weekly capacity shares summing to 1 or less.

        Raises:
            ParameterError: In one line, naming the parameter.
        """
        where = "of module 'money'"
        for name in ("capacity", "seizure", "fee"):
            values = np.asarray(getattr(self.pars, name), dtype=float)
            if values.shape != (len(CHANNELS),):
                raise ParameterError(f"parameter {name!r} {where} needs one value per channel "
                                     f"({', '.join(CHANNELS)}), got {values.tolist()}")
        capacity = np.asarray(self.pars.capacity, dtype=float)
        if capacity.sum() > 1.0 + 1e-12:
            raise ParameterError(f"parameter 'capacity' {where}: the channels' weekly shares "
                                 f"sum to {capacity.sum():.4g}, above 1 (they share one pool "
                                 "of cash)")

    def init_pre(self, sim: Sim) -> None:
        """Allocate the accounts and declare the results."""
        self.capacity = np.asarray(self.pars.capacity, dtype=float)
        self.seizure = np.asarray(self.pars.seizure, dtype=float)
        self.fee = np.asarray(self.pars.fee, dtype=float)
        self.price = np.array([getattr(self.pars, f"{d}_price") for d in SUPPLY_DRUGS])
        self.cost = np.array([getattr(self.pars, f"{d}_cost") for d in SUPPLY_DRUGS])
        n_ops, n_c = self.inputs.n_ops, len(CHANNELS)
        self.us_cash = np.zeros(n_ops)
        self.treasury = np.zeros(n_ops)
        self.totals = {k: np.zeros(n_ops) for k in ("revenue", "seized", "fees", "costs")}
        self.revenue_by_drug = np.zeros((n_ops, len(SUPPLY_DRUGS)))
        self.moved = np.zeros((n_ops, n_c))
        self.seized = np.zeros((n_ops, n_c))
        self.fees = np.zeros((n_ops, n_c))
        self.costs = np.zeros(n_ops)
        self.other = np.zeros(n_ops)
        self.other_fees = np.zeros(n_ops)
        ops = tuple(self.inputs.structure.operator_keys)
        r = self.results
        r.define("revenue_usd", {"operator": ops, "drug": SUPPLY_DRUGS},
                 units="US dollars per step",
                 doc="Wholesale revenue from US sales (kg sold x US wholesale price).")
        r.define("laundered_usd", {"operator": ops, "channel": CHANNELS},
                 units="US dollars per step", doc="Cash each channel moved south.")
        r.define("money_seized_usd", {"operator": ops, "channel": CHANNELS},
                 units="US dollars per step", doc="Proceeds seized on each channel.")
        r.define("fees_usd", {"operator": ops, "channel": CHANNELS},
                 units="US dollars per step", doc="Launderers' fees on each channel.")
        r.define("costs_usd", {"operator": ops}, units="US dollars per step",
                 doc="Production costs paid in Mexico.")
        r.define("treasury_usd", {"operator": ops}, units="US dollars",
                 doc="Profit kept by each operator (its own, never shared).")
        r.define("other_fees_usd", {"operator": ops}, units="US dollars per step",
                 doc="Launderers' fees abroad on export proceeds.")
        r.define("account_usd", {"operator": ops, "account": ACCOUNTS},
                 units="US dollars (cumulative for flows, held for stocks)",
                 doc="The money ledger.")
        r.define("imbalance", {"operator": ops},
                 doc="|revenue - cash - seized - fees - costs - treasury| / (revenue + "
                     "costs).")

    def step(self) -> None:
        """Book this week's revenue and costs, move cash south, seize and charge fees."""
        m = self.sim.modules
        sold = SOLD_AXES.sum(m["distribution"].sold, "state")  # kg this week
        self.revenue_by_drug = sold * self.price[None, :]
        revenue = self.revenue_by_drug.sum(axis=1)
        self.us_cash += revenue
        share = self.capacity[None, :] * self.capacity_factor
        self.moved = share * self.us_cash[:, None]
        seize = np.minimum(self.seizure[None, :] + self.extra_seizure, 1.0)
        self.seized = self.moved * seize
        self.fees = (self.moved - self.seized) * self.fee[None, :]
        delivered = self.moved - self.seized - self.fees
        self.us_cash -= self.moved.sum(axis=1)
        self.costs = m["production"].produced @ self.cost
        self._book_other()
        self.treasury += (delivered.sum(axis=1) - self.costs
                          + (self.other - self.other_fees))
        t = self.totals
        t["revenue"] += revenue + self.other
        t["seized"] += self.seized.sum(axis=1)
        t["fees"] += self.fees.sum(axis=1) + self.other_fees
        t["costs"] += self.costs

    def _book_other(self) -> None:
        """This week's revenue besides US sales (exports, other crimes) and fees abroad."""
        portfolio = self.sim.modules.get("portfolio")
        if portfolio is None:
            return
        self.other = portfolio.revenue.sum(axis=1)
        self.other_fees = portfolio.revenue[:, 0] * self.pars.abroad_fee

    def update_results(self) -> None:
        """Record the flows and the ledger; reset the levers."""
        ti, r, t = self.sim.ti, self.results, self.totals
        r["revenue_usd"][ti] = self.revenue_by_drug
        r["laundered_usd"][ti] = self.moved
        r["money_seized_usd"][ti] = self.seized
        r["fees_usd"][ti] = self.fees
        r["costs_usd"][ti] = self.costs
        r["other_fees_usd"][ti] = self.other_fees
        r["treasury_usd"][ti] = self.treasury
        acc = np.stack([t["revenue"], self.us_cash, t["seized"], t["fees"], t["costs"],
                        self.treasury], axis=1)
        r["account_usd"][ti] = acc
        gap = np.abs(acc[:, 0] - acc[:, 1:].sum(axis=1))
        scale = t["revenue"] + t["costs"]
        r["imbalance"][ti] = np.divide(gap, scale, out=np.zeros_like(gap), where=scale > 0)
        self.levers.reset()


#: Published estimates of what the Mexican cartels earn from US drug sales, to set the model's
#: revenue beside: (label, year, low, high, scope), US dollars per year.
PUBLISHED: tuple[tuple[str, int, float, float, str], ...] = (
    ("RAND, Kilmer et al. 2010 (OP-325): drug-export revenue implied by marijuana's $1.5 bn "
     "being 15-26% of it", 2008, 1.5e9 / 0.26, 1.5e9 / 0.15,
     "wholesale export revenue incl. marijuana (not modelled)"),
    ("ICE/Mexico Binational Criminal Proceeds Study 2010 (US State Dept. INCSR 2014): "
     "proceeds sent from the US to Mexico", 2009, 19e9, 29e9,
     "all drug proceeds going south, incl. marijuana and Colombian suppliers' share"),
)


def revenue_by_year(sim: Sim) -> dict[int, float]:
    """The cartels' simulated wholesale revenue from US sales per calendar year (dollars).

    Day-weighted like the deaths (:meth:`narcosim.core.time.Timeline.annual`): a week across
    New Year counts in each year by its days. The years are those of the steps' first days;
    the last step's days past the run's last year are left out.
    """
    years = [int(y) for y in np.unique(sim.timeline.years)]
    rev = sim.results["money"]["revenue_usd"].sum(axis=(1, 2))
    by_year = sim.timeline.annual(rev, years)
    return {y: float(by_year[i]) for i, y in enumerate(years)}


def revenue_vs_published(sim: Sim, year: int | None = None) -> list[dict[str, Any]]:
    """The simulated revenue beside each published estimate, with the gap.

    Args:
        sim: A finished run with the money module.
        year: The simulated year to compare (default: the last year up to 2023 whose every
            day the run covers, else the run's first year).

    Returns:
        One dict per estimate: source, its year, scope, low, high, the model's year and
        revenue, and the gap (model minus the nearest end of the range; 0 inside it) in
        dollars and as a share of the range's middle.
    """
    by_year = revenue_by_year(sim)
    full = full_years(sim.timeline.dates, sim.timeline.dt_days)
    if year is None:
        inside = [y for y in full if y <= 2023]
        year = max(inside) if inside else min(by_year)
    model = by_year[year]
    out = []
    for label, pub_year, low, high, scope in PUBLISHED:
        gap = model - low if model < low else (model - high if model > high else 0.0)
        out.append({"source": label, "published_year": pub_year, "scope": scope,
                    "low_usd": low, "high_usd": high, "model_year": year,
                    "model_usd": model, "gap_usd": gap, "gap_share": gap / ((low + high) / 2)})
    return out
