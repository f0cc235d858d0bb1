"""Guns going south in the weekly run: bought in the US, seized, arrived, and the cartels' arsenal.

Each week the US guns bought for trafficking south (``us_guns_per_year``, with the
US-sourced share and the split by source state of :mod:`narcosim.orgs.guns`: GAO-21-322,
ATF 2012, Mayors Against Illegal Guns 2010, McDougal et al. 2013) go, per source state:

1. **seized in operations**: dealer operations (:mod:`narcosim.interventions.dealer_ops`)
   count ``firearms_per_arrest`` guns per arrest; the share ``ops_southbound_share`` of
   those were bound south and leave the flow (in the arrest's state; a state outside
   :data:`~narcosim.orgs.guns.SOURCE_STATES` counts as ``other``), at most what that state
   bought this week;
2. **seized at the border**, going south: the usual share ``border_seizure`` plus the
   ``added_seizure`` lever (southbound firearms interdiction), of what is left;
3. **arrived** in Mexico: the rest.

Ledger (guns a step, per source state): bought = seized in operations + seized at the border
+ arrived, to 1e-9 (``imbalance``). Guns from other countries (the 30% of traced guns that are
not US-sourced, GAO-21-322) arrive at the status quo's rate and do not respond to US levers.

The arrivals stock the cartels' **arsenal**, which loses ``arsenal_attrition`` a year (guns
seized in Mexico, lost, worn out); it starts at the status quo's equilibrium (arrivals a year /
attrition). The arsenal sets the conflict term of the workforce model
(:mod:`narcosim.orgs.workforce`): its conflict lethality ``theta`` is multiplied by
``conflict_factor = (arsenal / status-quo arsenal) ** conflict_elasticity``, the scaling and
elasticity of :func:`narcosim.orgs.guns.theta_factor` applied to the stock rather than the
yearly flow. Held at a constant level, an interdiction brings the arsenal ratio to the
arrivals ratio within a few ``1 / arsenal_attrition`` years, so the factor tends to
``theta_factor``'s, the steady state the ``narcosim guns`` command reports; the stock adds
the delay. The status-quo arsenal is stepped beside the real one with the same arithmetic,
so with no lever pulled and no operation the factor is exactly 1.

Nothing here feeds back into drugs, money or deaths: the module only reads the dealers'
arrests, so the US results are bit-identical with and without it, and with and without the
lever.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from narcosim.core.levers import Lever, Levers
from narcosim.core.module import Module
from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.core.time import Rate
from narcosim.model.inputs import SupplyInputs
from narcosim.orgs.guns import PUBLISHED_US_SHARE, SOURCE_STATES, GunsParams, flows

#: Source states of the US guns, in a fixed order (the result axis ``source_state``).
SOURCES: tuple[str, ...] = tuple(SOURCE_STATES)
_G = GunsParams()


class Firearms(Module):
    """The southbound gun flow by source state, its seizures, and the cartels' arsenal.

    Args:
        inputs: The run's supply inputs (the world's states).
        pars: Parameter overrides.
    """

    name = "firearms"
    lever_specs: ClassVar[tuple[Lever, ...]] = (
        Lever("added_seizure", "add", 0.0, 1.0, 0.0,
              doc="Added share of each source state's southbound guns seized at the border "
                  "(southbound firearms interdiction)."),
        Lever("ops_per_arrest", "raise", 0.0, 100.0, 0.0,
              doc="Firearms seized per dealer arrested this step, per US state (set by "
                  "dealer operations)."),
    )
    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("us_guns_per_year", _G.us_guns_per_year, "guns per year", 0.0, 1e7,
                  source="Mexico's estimate of guns smuggled south a year, as reported "
                         "(DESIGN.md section 3; narcosim.orgs.guns); McDougal et al. 2013: "
                         "253,000 bought for trafficking south in 2010-2012",
                  doc="US guns bought for trafficking to Mexico a year.",
                  prior=(100_000.0, 253_000.0),
                  prior_source="Mexico's estimate and McDougal et al. (2013) bracket it; the "
                               "low end is a guess"),
        ParamSpec("us_share", _G.us_share, "fraction", 0.01, 1.0,
                  source="GAO-21-322 (2021): 70% of the guns recovered in Mexico and traced "
                         "in 2014-2018 were US-sourced",
                  doc="US-sourced share of the guns arriving in Mexico in the status quo "
                      "(sets the other sources' flow).",
                  prior=(68_000 / 99_000, 0.87),
                  prior_source="ATF Mexico trace report (2012): 68,000 of 99,000 in "
                               "2007-2011; GAO-09-709: 87% in 2004-2008"),
        ParamSpec("border_seizure", _G.border_seizure, "fraction", 0.0, 1.0,
                  source="guess: share of the southbound guns seized at the border in the "
                         "status quo; range 0.005-0.05",
                  doc="Usual share of the southbound US guns seized at the border.",
                  prior=(0.005, 0.05), prior_source="guess: half a percent to five percent"),
        ParamSpec("conflict_elasticity", _G.conflict_elasticity, "dimensionless", 0.0, 3.0,
                  source="guess (narcosim.orgs.guns): elasticity of the workforce model's "
                         "conflict lethality to the guns the cartels hold; range 0-1",
                  doc="Elasticity of the conflict lethality to the arsenal.",
                  prior=(0.0, 1.0), prior_source="guess: from no effect to proportional"),
        ParamSpec("arsenal_attrition", 0.1, "per year", 0.01, 5.0,
                  source="guess: share of the cartels' guns lost a year (seized in Mexico, "
                         "lost in clashes, worn out); range 0.05-0.3",
                  doc="Yearly loss rate of the cartels' arsenal.",
                  prior=(0.05, 0.3), prior_source="guess: a guns' working life of 3 to 20 "
                                                  "years"),
        ParamSpec("ops_southbound_share", 0.5, "fraction", 0.0, 1.0,
                  source="guess: share of the firearms seized from cartel-linked dealers "
                         "that were bound for Mexico; range 0.1-1",
                  doc="Share of the guns seized in dealer operations taken out of the "
                      "southbound flow.",
                  prior=(0.1, 1.0), prior_source="guess: a tenth to all of them"),
    ]

    def __init__(self, inputs: SupplyInputs, pars: dict[str, Any] | None = None) -> None:
        super().__init__(pars)
        states = tuple(inputs.world.states)
        #: Source state (index into :data:`SOURCES`) of each of the world's US states.
        self.source_of = np.array([SOURCES.index(s) if s in SOURCES else
                                   SOURCES.index("other") for s in states], dtype=np.int64)
        self.states = states
        #: Levers (reset after each step): per source state, and per US state.
        self.added_seizure = np.zeros(len(SOURCES))
        self.ops_per_arrest = np.zeros(len(states))
        self.levers = Levers(self, self.lever_specs)

    def guns_params(self) -> GunsParams:
        """The flow's parameters as :mod:`narcosim.orgs.guns` takes them."""
        p = self.pars
        return GunsParams(us_guns_per_year=float(p.us_guns_per_year),
                          us_share=float(p.us_share), border_seizure=float(p.border_seizure),
                          conflict_elasticity=float(p.conflict_elasticity))

    def init_pre(self, sim: Sim) -> None:
        """Set the weekly flows and the equilibrium arsenal; declare the results."""
        year = flows(self.guns_params())
        dt = sim.dt_days
        self.weights = np.array([SOURCE_STATES[s] for s in SOURCES])
        self.bought = Rate(year["bought"], per="year").per_step(dt) * self.weights
        self.other = Rate(year["arrived_other"], per="year").per_step(dt)
        # the status quo's arrivals, by the very arithmetic of step() with no lever and no
        # operation, so that the two arsenals are equal to the bit when nothing is pulled
        _, _, sq = self._split(np.zeros(len(SOURCES)), np.zeros(len(SOURCES)))
        self.sq_arrived = sq.sum() + self.other
        self.keep = 1.0 - min(Rate(float(self.pars.arsenal_attrition), per="year")
                              .per_step(dt), 1.0)
        self.arsenal = year["arrived"] / float(self.pars.arsenal_attrition)  # equilibrium
        self.sq_arsenal = self.arsenal
        self._zero_week()
        r, src = self.results, {"source_state": SOURCES}
        r.define("bought", src, units="guns per step",
                 doc="US guns bought for trafficking south, by the state they were sold in.")
        r.define("seized_ops", src, units="guns per step",
                 doc="Southbound guns seized in dealer operations (firearms per arrest x the "
                     "southbound share).")
        r.define("seized_border", src, units="guns per step",
                 doc="Southbound guns seized at the border (usual share + interdiction).")
        r.define("arrived", src, units="guns per step", doc="US guns arrived in Mexico.")
        r.define("arrived_other", units="guns per step",
                 doc="Guns from other countries arrived in Mexico (status-quo rate).")
        r.define("us_share", units="fraction", doc="US-sourced share of the guns arrived.")
        r.define("arsenal", units="guns", doc="Guns the cartels hold (end of step).")
        r.define("conflict_factor", units="fraction",
                 doc="Multiplier on the workforce model's conflict lethality: (arsenal / "
                     "status-quo arsenal) ** conflict_elasticity (1 in the status quo).")
        r.define("imbalance", units="guns per step",
                 doc="|bought - seized in operations - seized at the border - arrived|.")

    def _zero_week(self) -> None:
        n = len(SOURCES)
        self.seized_ops = np.zeros(n)
        self.seized_border = np.zeros(n)
        self.arrived = np.zeros(n)
        self.factor = 1.0

    def _split(self, ops: np.ndarray, added: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The week's guns per source state: seized in operations, at the border, arrived."""
        seized_ops = np.minimum(ops, self.bought)
        left = self.bought - seized_ops
        seized_border = left * np.minimum(self.pars.border_seizure + added, 1.0)
        return seized_ops, seized_border, left - seized_border

    def step(self) -> None:
        """Take this week's seizures out of the flow; stock the arsenal; set the factor."""
        dealers = self.sim.modules.get("dealers")
        per_state = np.zeros(len(self.states))
        if dealers is not None and np.any(self.ops_per_arrest > 0):
            per_state = (dealers.arrests * dealers.scale * self.ops_per_arrest
                         * float(self.pars.ops_southbound_share))
        ops = np.bincount(self.source_of, weights=per_state, minlength=len(SOURCES))
        self.seized_ops, self.seized_border, self.arrived = self._split(ops, self.added_seizure)
        self.arsenal = self.arsenal * self.keep + (self.arrived.sum() + self.other)
        self.sq_arsenal = self.sq_arsenal * self.keep + self.sq_arrived
        self.factor = (1.0 if self.arsenal == self.sq_arsenal else
                       float((self.arsenal / self.sq_arsenal) ** self.pars.conflict_elasticity))

    def update_results(self) -> None:
        """Record the week's guns; reset the levers."""
        ti, r = self.sim.ti, self.results
        r["bought"][ti] = self.bought
        r["seized_ops"][ti] = self.seized_ops
        r["seized_border"][ti] = self.seized_border
        r["arrived"][ti] = self.arrived
        r["arrived_other"][ti] = self.other
        total = self.arrived.sum() + self.other
        r["us_share"][ti] = self.arrived.sum() / total if total > 0 else 0.0
        r["arsenal"][ti] = self.arsenal
        r["conflict_factor"][ti] = self.factor
        r["imbalance"][ti] = float(np.abs(self.bought - self.seized_ops - self.seized_border
                                          - self.arrived).max())
        self.levers.reset()


def guns_summary(sim: Sim) -> dict[str, Any]:
    """Guns a year (bought, seized, arrived), the conflict factor, and the US share vs ATF/GAO.

    Guns are day-weighted calendar-year totals (as the deaths and revenue are); the conflict
    factor is the mean over the steps that start in the year.
    """
    if "firearms" not in sim.modules:
        return {}
    r, tl = sim.results["firearms"], sim.timeline
    keep = [int(y) for y in np.unique(tl.years)]

    def yearly(arr: np.ndarray) -> dict[int, float]:
        flat = np.asarray(arr, dtype=float).reshape(len(arr), -1).sum(axis=1)
        totals = tl.annual(flat[:, None], keep)
        return {y: float(totals[i, 0]) for i, y in enumerate(keep)}

    factor = np.asarray(r["conflict_factor"], dtype=float)
    arrived = r["arrived"].sum(axis=1) + r["arrived_other"]
    share = float(r["arrived"].sum() / arrived.sum()) if arrived.sum() > 0 else 0.0
    return {
        "guns_by_year": {
            "bought": yearly(r["bought"]), "seized_ops": yearly(r["seized_ops"]),
            "seized_border": yearly(r["seized_border"]), "arrived_us": yearly(r["arrived"]),
            "arrived_all": yearly(arrived)},
        "conflict_factor_by_year": {y: float(factor[tl.years == y].mean()) for y in keep},
        "guns_balance_max_imbalance": float(np.nanmax(r["imbalance"])),
        "guns_us_share_vs_published": [
            {"source": label, "period": period, "published": pub, "model": share,
             "gap": share - pub} for label, period, pub in PUBLISHED_US_SHARE],
    }
