"""Distribution: hubs to states, the cartels' presence by state, retail sales.

Product that reached a hub is sent on, each week, to the states where its operator has a
presence — Sinaloa factions through their own branches, CJNG through franchise cells,
independents wherever they still sell — in proportion to each state's market. A load bound
for a state travels through the hub nearest that state, so every hub's throughput counts
toward the state it stands in. In each state, a share of the stock is sold (and used) each
week and a small share is lost (seized by local police, spoiled).

Presence grows: a faction opens a branch in a state, and CJNG a franchise, with a weekly
probability that rises with the state's share of the market. CJNG's expansion runs through
its central command; with the centre removed, new franchises open more slowly, while the
existing ones go on selling.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from narcosim.core.levers import Lever, Levers
from narcosim.core.module import Module
from narcosim.core.params import ParamSpec
from narcosim.core.random import INIT_STEP
from narcosim.core.sim import Sim
from narcosim.core.time import Duration, Rate
from narcosim.core.units import ROUND_WEEKS_PER_YEAR
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.inputs import SupplyInputs

#: States where both cartels already operated in 2015: the seed's hub cities' states and the
#: southwest border states (NDTA 2024 names these hubs; the opening year is a guess).
INITIAL_STATES: tuple[str, ...] = ("CA", "AZ", "NM", "TX", "IL", "GA", "FL", "NY")


class Distribution(Module):
    """Hub stocks, presence by state, state stocks, sales and losses.

    Args:
        inputs: The run's supply inputs.
        pars: Parameter overrides.
    """

    name = "distribution"
    #: What hub, dealer and leadership interventions may change (see __init__).
    lever_specs: ClassVar[tuple[Lever, ...]] = (
        Lever("hub_seizure", "add", 0.0, 1.0, 0.0,
              doc="Weekly share of each hub's stock seized (hub take-downs)."),
        Lever("street_seizure", "raise", 0.0, 1.0, 0.0,
              doc="Weekly share of each state's street stock seized, by drug (dealer "
                  "operations)."),
        Lever("arrest_risk", "raise", 0.0, 1.0, 0.0,
              doc="Weekly arrest risk of a dealer, per state (raises prices)."),
        Lever("centre_out", "set", 0.0, 1.0, False, reset="held",
              doc="Whether CJNG's central command is out (leader removal sets it each step)."),
    )
    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("hub_dispatch", 0.6, "fraction per week", 0.0, 1.0,
                  source="guess: hubs turn over most of their stock within a couple of weeks",
                  doc="Share of a hub's stock sent on to the states each week.",
                  prior=(0.3, 0.9),
                  prior_source="guess: hub stock lasting one to three weeks"),
        ParamSpec("retail_turnover", 0.5, "fraction per week", 0.0, 1.0,
                  source="guess: street stock lasts about two weeks",
                  doc="Share of a state's stock sold to users each week.",
                  prior=(0.25, 0.75),
                  prior_source="guess: street stock lasting one to four weeks"),
        ParamSpec("retail_loss", 0.02, "fraction per week", 0.0, 1.0,
                  source="guess: local seizures and losses, a small share of street stock",
                  doc="Share of a state's unsold stock lost (local seizures, spoilage) each week.",
                  prior=(0.005, 0.05),
                  prior_source="guess: a quarter to two and a half times the default"),
        ParamSpec("small_market_floor", 0.5, "dimensionless", 0.0, 10.0,
                  source="guess: cartels open in small markets too — the NDTA 2024 finds them in "
                         "all 50 states",
                  doc="Added to a state's relative market size in the opening probability.",
                  prior=(0.1, 1.0),
                  prior_source="guess: a fifth to twice the default"),
        ParamSpec("branch_open_rate", "0.4 per year", "per year", 0.0, 52.0,
                  source="guess: Sinaloa present in all 50 states by 2024 (NDTA 2024)",
                  doc="Rate at which a faction opens a branch in an average state.",
                  prior=(0.2, 0.8),
                  prior_source="guess: half to twice the default"),
        ParamSpec("franchise_open_rate", "0.8 per year", "per year", 0.0, 52.0,
                  source="guess: the franchise model 'allows for rapid expansion' (NDTA 2024)",
                  doc="Rate at which CJNG opens a franchise in an average state.",
                  prior=(0.4, 1.6),
                  prior_source="guess: half to twice the default"),
        ParamSpec("headless_coordination", 0.2, "ratio", 0.0, 1.0,
                  source="guess: share of the franchise expansion rate left without a centre",
                  doc="Multiplier on CJNG's franchise opening with its central command removed.",
                  prior=(0.0, 0.5),
                  prior_source="guess: from no expansion to half of it"),
        ParamSpec("risk_premium", 2.0, "years", 0.0, 100.0,
                  source="guess: Reuter & Kleiman (1986) 'Risks and prices' — the retail price "
                         "carries a premium for the dealer's risk; price rise per unit yearly "
                         "arrest risk",
                  doc="Price rise per unit of a dealer's yearly arrest risk.",
                  prior=(0.5, 5.0),
                  prior_source="guess: a quarter to two and a half times the default"),
        ParamSpec("price_elasticity", 0.3, "dimensionless", 0.0, 3.0,
                  source="Gallet, Addiction 109(9) 2014, meta-analysis of illicit drug demand: "
                         "price elasticities around -0.3 (approximate)",
                  doc="Elasticity of street sales to price (positive number).",
                  prior=(0.1, 0.7),
                  prior_source="guess: Gallet 2014's estimates spread widely around -0.3; "
                               "0.1 to 0.7"),
        ParamSpec("centre_removed_from", 0.0, "calendar_year", 0.0, 2100.0,
                  source="scenario setting: 0 = never",
                  doc="Year (decimal) from which CJNG's central command is removed; 0 = never."),
        ParamSpec("centre_removed_until", 0.0, "calendar_year", 0.0, 2100.0,
                  source="scenario setting: 0 = for the rest of the run",
                  doc="Year (decimal) the centre is restored; 0 = not restored."),
    ]

    def __init__(self, inputs: SupplyInputs, pars: dict[str, Any] | None = None) -> None:
        super().__init__(pars)
        self.inputs = inputs
        structure = inputs.structure
        keys = structure.operator_keys
        self.kind = np.array([structure.cartel_of(k).structure for k in keys])
        #: Operators by kind of organisation (the string comparisons, made once).
        self._umbrella, self._franchise = self.kind == "umbrella", self.kind == "franchise"
        self._cartel_op = self.kind != "independent"
        self.active = np.array([structure.active(k) for k in keys])
        n_hubs, n_s = len(inputs.world.hubs), len(inputs.world.states)
        #: Levers (``lever_specs``): weekly share of each hub's stock seized (take-downs),
        #: of each state's street stock seized by drug (dealer operations), the weekly arrest
        #: risk of a dealer per state (prices), reset after each step; and whether CJNG's
        #: central command is out (leader removal), held until set again.
        self.hub_seizure = np.zeros(n_hubs)
        self.street_seizure = np.zeros((len(SUPPLY_DRUGS), n_s))
        self.arrest_risk = np.zeros(n_s)
        self.centre_out = np.zeros((), dtype=bool)
        self.levers = Levers(self, self.lever_specs)
        self.cartels = tuple(structure.cartels)
        self.cartel_idx = np.array([self.cartels.index(structure.operators[k].cartel)
                                    for k in keys])
        #: One row per cartel, 1 for its operators (sums presence by cartel).
        self.cartel_of_op = (self.cartel_idx[None, :] == np.arange(len(self.cartels))[:, None]
                             ).astype(np.int64)
        world = inputs.world
        #: State of each port and of each hub (indices into the world's states).
        self.port_state = np.array([world.state_index[p.state_abbr] for p in world.ports])
        self.hub_state = np.array([world.state_index[h.state_abbr] for h in world.hubs])

    def init_pre(self, sim: Sim) -> None:
        """Allocate stocks and presence, create streams, declare results."""
        world = self.inputs.world
        n_ops, n_d, n_s = self.inputs.n_ops, len(SUPPLY_DRUGS), len(world.states)
        self.hub_stock = np.zeros((n_ops, n_d, len(world.hubs)))
        self.state_stock = np.zeros((n_ops, n_d, n_s))
        self.sold = np.zeros((n_ops, n_d, n_s))
        self.sold_by_state = np.zeros((n_d, n_s))
        self.sold_total = np.zeros(n_d)
        self.lost_total = np.zeros(n_d)
        self.seized_total = np.zeros(n_d)
        self.seized_now = np.zeros((n_d, n_s))
        self.street_seized_now = np.zeros((n_d, n_s))
        self.price_index = np.ones(n_s)
        self.hub_throughput = np.zeros(len(world.hubs))
        self.s_open = self.stream("presence_opening")
        #: Branch and franchise opening rates per step (before the market factor).
        self.branch_open_per_step = Rate(self.pars.branch_open_rate,
                                         per="year").per_step(sim.dt_days)
        self.franchise_open_per_step = Rate(self.pars.franchise_open_rate,
                                            per="year").per_step(sim.dt_days)
        #: Steps in the round 52-week year (52 weekly steps) that turns a dealer's arrest risk
        #: per step into the yearly risk the price premium is on: the fit was made with
        #: ROUND_WEEKS_PER_YEAR, not 365.25 days.
        self.steps_per_risk_year = Duration(ROUND_WEEKS_PER_YEAR, "weeks").steps(sim.dt_days)
        self._market_mean: dict[int, np.ndarray] = {}
        initial = np.isin(np.array(world.states), INITIAL_STATES)
        self.presence = np.where((self.kind == "independent")[:, None], True, initial[None, :])
        self.opened_step = np.where(self.presence, INIT_STEP, -2).astype(np.int64)
        states, hubs = world.states, tuple(h.name for h in world.hubs)
        r = self.results
        r.define("sold_kg", {"drug": SUPPLY_DRUGS, "state": states}, units="kg per step",
                 doc="Product sold to users in each state.")
        r.define("activity_kg", {"state": states}, units="kg per step",
                 doc="Cartel product handled in the state: crossing its ports, passing its "
                     "hubs, sold on its streets.")
        r.define("hub_throughput_kg", {"hub": hubs}, units="kg per step",
                 doc="Product passing through each hub.")
        r.define("presence", {"cartel": self.cartels, "state": states}, dtype=np.int64,
                 doc="Operators of the cartel with a presence in the state.")
        r.define("domestic_seized_kg", {"drug": SUPPLY_DRUGS, "state": states},
                 units="kg per step", doc="Product seized inside the US (hubs and streets).")
        r.define("price_index", {"state": states},
                 doc="Retail price relative to no enforcement (risks and prices).")
        r.define("stock_kg", {"drug": SUPPLY_DRUGS, "stage": ("hubs", "states")}, units="kg",
                 doc="Product held at the hubs and on the streets at the end of the step.")

    def init_post(self) -> None:
        """Record where each operator starts."""
        self.coverage_update()

    def centre_removed(self) -> bool:
        """Whether CJNG's central command is out at the current step."""
        sim = self.sim
        t = sim.timeline.years[max(sim.ti, 0)] + (sim.timeline.months[max(sim.ti, 0)] - 1) / 12
        start, end = self.pars.centre_removed_from, self.pars.centre_removed_until
        return bool(self.centre_out) or bool(start > 0 and t >= start and (end <= 0 or t < end))

    def _open(self, ti: int, market: np.ndarray) -> None:
        """Open branches and franchises with a probability rising with the market."""
        rate = np.zeros(self.inputs.n_ops)  # per step
        rate[self._umbrella] = self.branch_open_per_step
        franchise = self.franchise_open_per_step
        if self.centre_removed():
            franchise *= self.pars.headless_coordination
        rate[self._franchise] = franchise
        rate[~(self.active & self.sim.modules["production"].operator_active)] = 0.0
        relative = market * len(market) + self.pars.small_market_floor
        hazard = rate[:, None] * relative[None, :]
        u = self.s_open.fill(ti, np.empty(hazard.size)).reshape(hazard.shape)  # slot = cell
        opens = (~self.presence) & (u < -np.expm1(-hazard))
        self.presence |= opens
        self.opened_step[opens] = ti

    def _market(self, year_i: int) -> np.ndarray:
        """Each state's share of the market in year ``year_i``, drugs averaged (kept)."""
        if year_i not in self._market_mean:
            self._market_mean[year_i] = self.inputs.demand_share[year_i].mean(axis=0)
        return self._market_mean[year_i]

    def coverage_update(self) -> None:
        """Tell production how much of the market the cartels cover (squeezes independents)."""
        year_i = self.inputs.year_index(int(self.sim.timeline.years[max(self.sim.ti, 0)]))
        market = self._market(year_i)
        covered = self.presence[self._cartel_op].any(axis=0)
        self.sim.modules["production"].coverage = float(market[covered].sum())

    def step(self) -> None:
        """Move product hub -> state, sell, lose, and open new branches and franchises."""
        sim, inputs = self.sim, self.inputs
        ti = sim.ti
        year_i = inputs.year_index(int(sim.timeline.years[ti]))
        share = inputs.demand_share[year_i]
        self._open(ti, self._market(year_i))
        self.coverage_update()
        arrivals = sim.modules["trafficking"].arrivals
        self.hub_stock += arrivals
        taken = self.hub_stock * self.hub_seizure[None, None, :]
        self.hub_stock -= taken
        out = self.hub_stock * self.pars.hub_dispatch
        weights = share[None, :, :] * self.presence[:, None, :]
        total_w = weights.sum(axis=2, keepdims=True)
        has_market = total_w[..., 0] > 0
        out[~has_market] = 0.0
        self.hub_stock -= out
        leaving = out.sum(axis=2)
        deliveries = leaving[..., None] * np.divide(weights, total_w, out=np.zeros_like(weights),
                                                    where=total_w > 0)
        self.state_stock += deliveries
        by_state = deliveries.sum(axis=(0, 1))
        n_hubs = len(inputs.world.hubs)
        self.hub_throughput = out.sum(axis=(0, 1)) + np.bincount(
            inputs.state_hub, by_state, minlength=n_hubs)
        street = self.state_stock * self.street_seizure[None, :, :]
        self.state_stock -= street
        hub_state = self.hub_state
        self.street_seized_now = street.sum(axis=0)
        self.seized_now = self.street_seized_now.copy()
        np.add.at(self.seized_now.T, hub_state, taken.sum(axis=0).T)
        self.seized_total += self.seized_now.sum(axis=1)
        # Risks and prices (Reuter & Kleiman 1986): dealers charge a premium for their arrest
        # risk; at a higher price less is bought (price elasticity of demand).
        self.price_index = 1.0 + self.pars.risk_premium * self.arrest_risk \
            * self.steps_per_risk_year
        turnover = self.pars.retail_turnover * self.price_index ** (-self.pars.price_elasticity)
        self.sold = self.state_stock * turnover[None, None, :]
        self.sold_by_state = self.sold.sum(axis=0)
        lost = (self.state_stock - self.sold) * self.pars.retail_loss
        self.state_stock -= self.sold + lost
        self.sold_total += self.sold.sum(axis=(0, 2))
        self.lost_total += lost.sum(axis=(0, 2))

    def update_results(self) -> None:
        """Record sales, activity, presence and stocks."""
        ti, inputs, r = self.sim.ti, self.inputs, self.results
        world = inputs.world
        sold = self.sold.sum(axis=0)
        r["sold_kg"][ti] = sold
        crossing = self.sim.modules["trafficking"].last["crossing_kg"].sum(axis=0)
        n_s = len(world.states)
        r["activity_kg"][ti] = (sold.sum(axis=0)
                                + np.bincount(self.port_state, crossing, minlength=n_s)
                                + np.bincount(self.hub_state, self.hub_throughput, minlength=n_s))
        r["hub_throughput_kg"][ti] = self.hub_throughput
        r["domestic_seized_kg"][ti] = self.seized_now
        r["price_index"][ti] = self.price_index
        # operators with a presence, summed by cartel (whole numbers: exact in any order)
        r["presence"][ti] = self.cartel_of_op @ (self.presence & self.active[:, None])
        r["stock_kg"][ti] = np.stack([self.hub_stock.sum(axis=(0, 2)),
                                      self.state_stock.sum(axis=(0, 2))], axis=1)
        self.levers.reset()
