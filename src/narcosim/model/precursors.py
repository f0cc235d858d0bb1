"""The precursor chain: chemical suppliers abroad -> routes -> Mexican labs -> production.

Fentanyl and methamphetamine are made in Mexico from imported chemicals (INCB Precursors
report 2023; DEA National Drug Threat Assessment 2024): fentanyl from NPP, ANPP or 4-AP
(and their designer variants), methamphetamine by the P2P method or from ephedrine. The
suppliers are mostly in China, secondarily in India (NDTA 2024; Chemistry World 2025 on
China's controls of 4-AP, 1-boc-4-AP and norfentanyl).

Each week the labs order, per precursor class, what the week's intended production needs
plus enough to refill a stock of ``stock_weeks`` weeks, grossed up for the share they expect
to lose on the way. Orders go to the supplier countries by their shares; shipments travel
by sea to the Pacific ports or by air cargo, and Mexican authorities seize a share on each
route. What arrives joins the labs' stock. The labs can make a drug as far as each synthesis
route's precursor is in stock: production reads that capacity (one factor per drug, exactly
1 while stock covers the week's need, which the ordering rule keeps so in the status quo, so
the default run is unchanged). After production, the precursor actually used leaves stock.

Source-country controls (:class:`~narcosim.interventions.precursor_sources.SourceControl`)
cap one country's shipments of a drug's precursors at a share of their status-quo volume;
the labs re-order part of what is blocked from the other country. The stock buffers a cut
for a few weeks, then output falls.

Mass ledger, per precursor class and step (kg, cumulative flows)::

    opening stock + shipped = seized on the routes + in lab stock + used in production
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from narcosim.core.levers import Lever, Levers
from narcosim.core.module import Module
from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.core.time import Duration
from narcosim.errors import ParameterError
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.inputs import SupplyInputs

#: Supplier countries (NDTA 2024: China first, India second).
SOURCES: tuple[str, ...] = ("china", "india")
#: Routes from the suppliers to the labs: containers to Manzanillo / Lázaro Cárdenas, and air
#: cargo or parcels (NDTA 2024 names both).
ROUTES: tuple[str, ...] = ("sea", "air")
#: Precursor classes: (name, drug made from it, kg of precursor per kg of pure drug at full
#: yield). The ratios are molar masses (PubChem): fentanyl C22H28N2O 336.5 g/mol, ANPP
#: C19H24N2 280.4, NPP C13H17NO 203.3, 4-AP C11H16N2 176.3; methamphetamine C10H15N 149.2,
#: P2P (phenylacetone) C9H10O 134.2, ephedrine C10H15NO 165.2; one mole of precursor per mole
#: of product on each route.
PRECURSORS: tuple[tuple[str, str, float], ...] = (
    ("anpp", "fentanyl", 280.4 / 336.5),
    ("npp", "fentanyl", 203.3 / 336.5),
    ("4-ap", "fentanyl", 176.3 / 336.5),
    ("p2p", "methamphetamine", 134.2 / 149.2),
    ("ephedrine", "methamphetamine", 165.2 / 149.2),
)
PRECURSOR_NAMES: tuple[str, ...] = tuple(p[0] for p in PRECURSORS)
#: The chain's ledger accounts, in the order recorded.
ACCOUNTS: tuple[str, ...] = ("opening", "shipped", "seized", "lab_stock", "used")


class Precursors(Module):
    """Precursor shipments, route seizures, lab stocks and the capacity they give production.

    Args:
        inputs: The run's supply inputs (the fitted flows set the labs' needs).
        pars: Parameter overrides.
    """

    name = "precursors"
    lever_specs: ClassVar[tuple[Lever, ...]] = (
        Lever("source_open", "scale", 0.0, 1.0, 1.0,
              doc="Share of each supplier country's usual shipments of each drug's "
                  "precursors let through (precursor source control)."),
    )
    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("fentanyl_routes", [0.2, 0.3, 0.5], "fraction", 0.0, 1.0, kind="array",
                  source="guess: shares of fentanyl made via ANPP, NPP and 4-AP; NPP and ANPP "
                         "entered Table I of the 1988 Convention in 2017 and 4-AP, 1-boc-4-AP "
                         "and norfentanyl in 2022 (INCB Precursors report 2023), and the DEA "
                         "reports labs moving to the later chemicals (DEA 2019 proposed rule "
                         "on 4-AP); the split is not published",
                  doc="Share of fentanyl made via ANPP, NPP and 4-AP (sums to 1).",
                  prior=(1.0, 1.0),
                  prior_source="guess: the split is held; its sum must stay 1"),
        ParamSpec("p2p_share", 0.9, "fraction", 0.0, 1.0,
                  source="guess: NDTA 2024 — Mexican methamphetamine is made mainly by the P2P "
                         "method; the rest from ephedrine/pseudoephedrine; range 0.8-1.0",
                  doc="Share of methamphetamine made from P2P (the rest from ephedrine).",
                  prior=(0.8, 1.0),
                  prior_source="guess: P2P is the dominant method (NDTA 2024); 0.8 to 1.0"),
        ParamSpec("fentanyl_purity", 0.1, "fraction", 0.001, 1.0,
                  source="guess: kg of pure fentanyl per kg of product moved (powder cut with "
                         "fillers, pills of about 2.4 mg in ~100 mg, DEA lab testing); range "
                         "0.02-0.3",
                  doc="Pure fentanyl per kg of fentanyl product.",
                  prior=(0.02, 0.3),
                  prior_source="guess: pills at ~2.4% to powder at up to ~30%"),
        ParamSpec("methamphetamine_purity", 0.9, "fraction", 0.001, 1.0,
                  source="guess: DEA Methamphetamine Profiling Program reports high purity "
                         "(above 90%) for Mexican methamphetamine; range 0.8-1.0",
                  doc="Pure methamphetamine per kg of product.",
                  prior=(0.8, 1.0),
                  prior_source="guess: 0.8 to 1.0 (high-purity P2P methamphetamine)"),
        ParamSpec("synthesis_yield", 0.5, "fraction", 0.05, 1.0,
                  source="guess: share of the molar yield clandestine labs achieve; range "
                         "0.3-0.8",
                  doc="Product made per unit of stoichiometric yield.",
                  prior=(0.3, 0.8),
                  prior_source="guess: crude clandestine synthesis, 0.3 to 0.8"),
        ParamSpec("china_share_fentanyl", 0.9, "fraction", 0.0, 1.0,
                  source="guess: NDTA 2024 — China-based suppliers are the main source of "
                         "fentanyl precursors, India-based ones secondary; range 0.7-0.98",
                  doc="Share of fentanyl precursors ordered from China (the rest from India).",
                  prior=(0.7, 0.98),
                  prior_source="guess: China dominant, India a minority (NDTA 2024)"),
        ParamSpec("china_share_methamphetamine", 0.75, "fraction", 0.0, 1.0,
                  source="guess: NDTA 2024 — methamphetamine precursors come from China and "
                         "India; range 0.5-0.9",
                  doc="Share of methamphetamine precursors ordered from China.",
                  prior=(0.5, 0.9),
                  prior_source="guess: China larger, India substantial (NDTA 2024)"),
        ParamSpec("sea_share", 0.8, "fraction", 0.0, 1.0,
                  source="guess: bulk chemicals travel by container to Manzanillo and Lázaro "
                         "Cárdenas (NDTA 2024); air cargo and parcels carry the rest; range "
                         "0.6-0.95",
                  doc="Share of precursor shipments by sea (the rest by air).",
                  prior=(0.6, 0.95),
                  prior_source="guess: most bulk by sea"),
        ParamSpec("sea_seizure", 0.05, "fraction", 0.0, 0.99,
                  source="guess: share of sea shipments Mexican customs and navy seize; "
                         "range 0.01-0.15",
                  doc="Share of sea shipments seized.",
                  prior=(0.01, 0.15),
                  prior_source="guess: a small share of containers is inspected"),
        ParamSpec("air_seizure", 0.1, "fraction", 0.0, 0.99,
                  source="guess: share of air shipments seized; range 0.02-0.25",
                  doc="Share of air shipments seized.",
                  prior=(0.02, 0.25),
                  prior_source="guess: parcels are screened more than containers"),
        ParamSpec("stock_weeks", 8.0, "weeks", 0.0, 104.0,
                  source="guess: weeks of use the labs keep in stock; range 2-26",
                  doc="Lab stock the labs order to keep, in weeks of the current need.",
                  prior=(2.0, 26.0),
                  prior_source="guess: from a fortnight to half a year"),
        ParamSpec("substitution", 0.5, "fraction", 0.0, 1.0,
                  source="guess: share of a blocked country's shipments the labs re-order "
                         "from the other country the same week (the shift from China to India "
                         "after China's 2019 controls, Frontiers in Public Health 2022); "
                         "range 0-1",
                  doc="Share of blocked shipments re-ordered from the other supplier.",
                  prior=(0.0, 1.0),
                  prior_source="guess: from none to full substitution"),
    ]

    def __init__(self, inputs: SupplyInputs, pars: dict[str, Any] | None = None) -> None:
        super().__init__(pars)
        self.inputs = inputs
        self.drug_of = np.array([SUPPLY_DRUGS.index(p[1]) for p in PRECURSORS])
        self.ratio = np.array([p[2] for p in PRECURSORS])
        #: Lever (set by source-control interventions each step, reset after): share of each
        #: country's shipments of each drug's precursors that gets through, (sources, drugs).
        self.source_open = np.ones((len(SOURCES), len(SUPPLY_DRUGS)))
        self.levers = Levers(self, self.lever_specs)
        routes = np.asarray(self.pars.fentanyl_routes, dtype=float)
        if routes.shape != (3,) or abs(routes.sum() - 1.0) > 1e-9:
            raise ParameterError("parameter 'fentanyl_routes' of module 'precursors' must be "
                                 f"three shares (ANPP, NPP, 4-AP) summing to 1, got "
                                 f"{routes.tolist()}")

    def init_pre(self, sim: Sim) -> None:
        """Allocate the stocks and declare the results."""
        routes = np.asarray(self.pars.fentanyl_routes, dtype=float)
        p2p = float(self.pars.p2p_share)
        #: Share of each drug's output made via each precursor class.
        self.route_share = np.array([*routes, p2p, 1.0 - p2p])
        purity = np.zeros(len(SUPPLY_DRUGS))
        purity[SUPPLY_DRUGS.index("fentanyl")] = self.pars.fentanyl_purity
        purity[SUPPLY_DRUGS.index("methamphetamine")] = self.pars.methamphetamine_purity
        #: kg of each precursor per kg of product of its drug.
        self.per_kg = (self.ratio * purity[self.drug_of] * self.route_share
                       / self.pars.synthesis_yield)
        china = np.zeros(len(SUPPLY_DRUGS))
        china[SUPPLY_DRUGS.index("fentanyl")] = self.pars.china_share_fentanyl
        china[SUPPLY_DRUGS.index("methamphetamine")] = self.pars.china_share_methamphetamine
        #: Ordered share per (source, precursor).
        self.source_share = np.stack([china[self.drug_of], 1.0 - china[self.drug_of]])
        self.route_mix = np.array([self.pars.sea_share, 1.0 - self.pars.sea_share])
        self.route_seizure = np.array([self.pars.sea_seizure, self.pars.air_seizure])
        #: The stock the labs keep, in steps of this run's need (``stock_weeks`` at dt = 7).
        self._stock_steps = Duration(self.pars.stock_weeks, "weeks").steps(sim.dt_days)
        n_p = len(PRECURSORS)
        self.stock = np.zeros(n_p)
        self.need = np.zeros(n_p)
        self.capacity = np.ones(len(SUPPLY_DRUGS))
        self.shipped = np.zeros((len(SOURCES), len(ROUTES), n_p))
        self.seized = np.zeros((len(SOURCES), len(ROUTES), n_p))
        self.used = np.zeros(n_p)
        self.opening_total = np.zeros(n_p)
        self.shipped_total = np.zeros(n_p)
        self.seized_total = np.zeros(n_p)
        self.used_total = np.zeros(n_p)
        self._route_ok = np.ones(n_p)
        dims = {"source": SOURCES, "precursor": PRECURSOR_NAMES}
        r = self.results
        r.define("shipped_kg", dims, units="kg per step", doc="Precursor shipped, by source.")
        r.define("seized_kg", {"route": ROUTES, "precursor": PRECURSOR_NAMES},
                 units="kg per step", doc="Precursor seized on the way to Mexico, by route.")
        r.define("lab_stock_kg", {"precursor": PRECURSOR_NAMES}, units="kg",
                 doc="Precursor held by the labs at the end of the step.")
        r.define("used_kg", {"precursor": PRECURSOR_NAMES}, units="kg per step",
                 doc="Precursor used in this step's production.")
        r.define("lab_capacity", {"drug": SUPPLY_DRUGS},
                 doc="Share of the intended output the labs' precursor stock allows (1 = "
                     "not limiting).")
        r.define("account_kg", {"precursor": PRECURSOR_NAMES, "account": ACCOUNTS},
                 units="kg (cumulative for flows, held for stocks)",
                 doc="The precursor mass ledger.")
        r.define("imbalance", {"precursor": PRECURSOR_NAMES},
                 doc="|opening + shipped - seized - stock - used| / (opening + shipped).")

    def _intended(self) -> np.ndarray:
        """This week's intended output per drug (the fitted flow, before any cut), kg."""
        sim = self.sim
        prod = sim.modules["production"]
        fy = self.inputs.fitted.fy_index(int(sim.timeline.fiscal_years[sim.ti]))
        weekly = prod.flow_kg_per_step[:, fy]  # the flow production converted to per step
        return np.where(prod.needs_precursors, weekly * prod.pars.precursor_supply, 0.0)

    def step(self) -> None:
        """Order, ship, seize and stock precursors; set production's lab capacity."""
        self.need = self._intended()[self.drug_of] * self.per_kg
        target = self.need * (1.0 + self._stock_steps)
        if self.sim.ti == 0:
            opening = self.need * self._stock_steps
            self.stock += opening
            self.opening_total += opening
        expected_loss = float(self.route_mix @ self.route_seizure)
        order = np.maximum(target - self.stock, 0.0) / (1.0 - expected_loss)
        # orders per source; a control caps a source's shipments at a share of its status-quo
        # volume, and the labs re-order part of what it blocks from the other source
        wanted = self.source_share * order[None, :]
        usual = self.source_share * (self.need / (1.0 - expected_loss))[None, :]
        open_share = self.source_open[:, self.drug_of]
        # under a control each source ships at most its usual volume (the other source's
        # raised by the substituted share of what the control blocks); no quota otherwise
        blocked_usual = (1.0 - open_share) * usual
        controlled = (open_share < 1.0).any(axis=0)[None, :]
        quota = np.where(controlled, open_share * usual
                         + blocked_usual[::-1] * self.pars.substitution, np.inf)
        placed = np.minimum(wanted, quota)
        self.shipped = placed[:, None, :] * self.route_mix[None, :, None]
        self.seized = self.shipped * self.route_seizure[None, :, None]
        self.stock += (self.shipped - self.seized).sum(axis=(0, 1))
        self.shipped_total += self.shipped.sum(axis=(0, 1))
        self.seized_total += self.seized.sum(axis=(0, 1))
        # each synthesis route runs as far as its precursor is in stock (1 when none binds)
        short = np.where(self.need > 0, 1.0 - self.stock / np.where(self.need > 0, self.need,
                                                                  1.0), 0.0)
        # rounding (a stock refilled to exactly the need) is not a shortage
        short = np.where(short > 1e-12, np.minimum(short, 1.0), 0.0)
        self._route_ok = 1.0 - short
        lost = np.zeros(len(SUPPLY_DRUGS))
        np.add.at(lost, self.drug_of, self.route_share * short)
        self.capacity = np.clip(1.0 - lost, 0.0, 1.0)
        prod = self.sim.modules["production"]
        prod.levers.scale("precursor_factor", self.capacity[None, :])

    def update_results(self) -> None:
        """Take the precursor production used out of stock; record the chain and its ledger."""
        prod = self.sim.modules["production"]
        # product redirected from exports was made for export: its precursors, like the
        # exports', are outside this chain's orders (zero without a demand cut abroad)
        produced = (prod.produced - prod.redirected).sum(axis=0)
        cap = self.capacity[self.drug_of]
        route_part = np.divide(self._route_ok, cap, out=np.zeros_like(cap), where=cap > 0)
        used = produced[self.drug_of] * self.per_kg * route_part
        self.used = np.minimum(used, self.stock)
        self.stock -= self.used
        self.used_total += self.used
        ti, r = self.sim.ti, self.results
        r["shipped_kg"][ti] = self.shipped.sum(axis=1)
        r["seized_kg"][ti] = self.seized.sum(axis=0)
        r["lab_stock_kg"][ti] = self.stock
        r["used_kg"][ti] = self.used
        r["lab_capacity"][ti] = self.capacity
        acc = np.stack([self.opening_total, self.shipped_total, self.seized_total,
                        self.stock, self.used_total], axis=1)
        r["account_kg"][ti] = acc
        inflow = acc[:, 0] + acc[:, 1]
        gap = np.abs(inflow - acc[:, 2:].sum(axis=1))
        r["imbalance"][ti] = np.divide(gap, inflow, out=np.zeros_like(gap), where=inflow > 0)
        self.levers.reset()
