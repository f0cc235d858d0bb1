"""People who use drugs: who they are, how they move through care, and how they die.

Agents (structure of arrays; one agent stands for ``scale`` people) carry a state, the drugs
they use (opioids, methamphetamine, cocaine, as a bit mask), a status (using, in treatment,
in remission, incarcerated; the dead are removed), naloxone access, and the step until which
they have lost tolerance (after treatment, remission or prison).

Each week an active user overdoses fatally with a hazard that depends on the drugs used and
on local supply (kg sold per 100,000 people, from the supply model): opioid users meet
fentanyl with probability ``1 - exp(-k * availability)`` and fentanyl is deadlier than heroin,
more so as the DEA's share of lethal-dose pills rises; stimulant users carry their drug's own
risk, rising with its availability, and opioid-naive stimulant users meet fentanyl in
adulterated stimulants. Treatment lowers the risk, lost tolerance raises it, naloxone reverses
a share of opioid-involved overdoses (everyone's who uses opioids, and those where fentanyl
was involved; a stimulant overdose without opioids is not reversible). A death counts toward
every drug involved (CDC's multiple-cause convention): fentanyl when fentanyl was involved,
methamphetamine and cocaine when the person used them, and all drugs always.

The hazards are computed per (status, drug mask, state) cell, not per agent; the per-agent
work of a step is one compiled pass (:mod:`narcosim.model.people_kernel`) over uniforms drawn
from the named streams (common random numbers by slot), so it costs a few nanoseconds per
agent whatever their number (``benchmarks/bench_people.py``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from narcosim.core.agents import Agents
from narcosim.core.levers import Lever, Levers
from narcosim.core.module import Module
from narcosim.core.params import ParamSpec
from narcosim.core.random import _HALF_ULP, INIT_STEP, Stream
from narcosim.core.sim import Sim
from narcosim.core.time import Duration, Rate
from narcosim.core.units import ROUND_WEEKS_PER_YEAR
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.people_params import PEOPLE_PARAMS
from narcosim.model.people_programmes import (
    PEOPLE_LEVERS,
    programme_naloxone_chance,
    programme_reversals,
    programme_treatment,
)
from narcosim.model.potency import lethal_share

OPIOID, METH, COCAINE = 1, 2, 4
N_MASKS = 8
USING, TREATMENT, REMISSION, INCARCERATED = 0, 1, 2, 3
STATUSES: tuple[str, ...] = ("using", "treatment", "remission", "incarcerated")
DEATH_KEYS: tuple[str, ...] = ("fentanyl", "methamphetamine", "cocaine", "all_drugs")
#: Keys of the calibration basis: the death keys, then the opioid-involved part of the
#: methamphetamine and cocaine deaths (fitted to published co-involvement shares).
BASIS_KEYS: tuple[str, ...] = (*DEATH_KEYS, "methamphetamine_opioid", "cocaine_opioid")
GROUPS: tuple[str, ...] = ("opioid", "methamphetamine_only", "cocaine_only")
METH_ONLY = GROUPS.index("methamphetamine_only")
#: Components of the overdose hazard; each is linear in one coefficient (see coefficients()).
COMPONENTS: tuple[str, ...] = ("opioid", "fentanyl_opioid", "methamphetamine", "cocaine",
                               "fentanyl_adulterant")
#: The components carrying fentanyl's hazard (test strips cut them).
FENTANYL_COMPONENTS = [COMPONENTS.index("fentanyl_opioid"), COMPONENTS.index("fentanyl_adulterant")]
#: Availability at which the stimulant hazards equal od_meth and od_cocaine (kg per 100,000
#: people per week): normalising constants, not behaviour.
STIMULANT_REFERENCE = {"methamphetamine": 1.0, "cocaine": 0.3}
#: Fentanyl availability (kg per 100,000 people per week) at which the fentanyl hazard equals
#: od_fentanyl: a normalising constant, not behaviour.
FENTANYL_REFERENCE = 1.0
#: The supply drug whose availability draws each group's newcomers.
_DRUG_OF_GROUP = np.array([SUPPLY_DRUGS.index(d) for d in
                           ("fentanyl", "methamphetamine", "cocaine")])
#: For each drug bit, which of the masks 1..7 include it (a column, to broadcast over states).
_HAS = {bit: (np.arange(1, N_MASKS) & bit > 0)[:, None] for bit in (OPIOID, METH, COCAINE)}


def _unit(x: float) -> float:
    """``x`` clipped to [0, 1] (``float(np.clip(x, 0, 1))`` without the array call)."""
    return float(min(max(x, 0.0), 1.0))


class People(Module):
    """People who use drugs, their care and their overdose deaths.

    Args:
        population: State populations, shape (years, states).
        prevalence: Relative prevalence per state (the mortality multiplier), one row per
            group of :data:`GROUPS` (or one row for all); raised to the power
            ``prevalence_weight`` and applied to the starting population.
        record_basis: Also record each risk component's unit contribution to expected deaths
            (calibration uses it to solve the linear risk coefficients).
        first_year: Calendar year of ``population[0]``.
        states: State postal codes (result labels).
        scale: People per agent.
        market: Name of the module whose ``sold_by_state`` (drugs, states; kg this step)
            gives local availability.
        pars: Parameter overrides.
    """

    name = "people"
    param_specs: ClassVar[list[ParamSpec]] = PEOPLE_PARAMS
    lever_specs: ClassVar[tuple[Lever, ...]] = PEOPLE_LEVERS

    def __init__(self, population: np.ndarray, first_year: int, states: tuple[str, ...],
                 scale: int = 100, market: str = "distribution",
                 prevalence: np.ndarray | None = None, record_basis: bool = False,
                 pars: dict[str, Any] | None = None) -> None:
        super().__init__(pars)
        self.prevalence = (np.ones(len(states)) if prevalence is None
                           else np.asarray(prevalence, dtype=float))
        self.record_basis = record_basis
        self.population = np.asarray(population, dtype=float)
        self.first_year = first_year
        self.states = states
        self.scale = int(scale)
        self.market = market

    # ------------------------------------------------------------------ setup
    def init_pre(self, sim: Sim) -> None:
        """Create the agents, streams and results."""
        # the compiled kernels (numba) load when a run starts, not with every import (the CLI)
        from narcosim.model import people_kernel

        self.kernel = people_kernel
        n_s = len(self.states)
        #: The step's length in weeks: a weekly hazard times this is the step's hazard.
        self._weeks_per_step = float(sim.timeline.dt.to("weeks").value)
        self.agents = Agents({"state": (np.int16, 0), "group": (np.int8, 0),
                              "meth_u": (np.float32, 1.0), "coc_u": (np.float32, 1.0),
                              "status": (np.int8, USING), "nal_u": (np.float32, 1.0),
                              "tol_until": (np.int32, -1)},
                             capacity=1024, name="people")
        self.s_init = self.stream("initial_state")
        self.s_overdose = self.stream("overdose")
        self.s_detail = self.stream("overdose_detail")
        self.s_care = self.stream("care_transition")
        self.s_entry = self.stream("initiation")
        self.s_other = self.stream("other_deaths")
        r = self.results
        r.define("deaths", {"drug": DEATH_KEYS, "state": self.states}, units="deaths per step",
                 doc="Overdose deaths involving each drug (multiple-cause, CDC convention).")
        r.define("expected_deaths", {"drug": DEATH_KEYS, "state": self.states},
                 units="deaths per step",
                 doc="Expected overdose deaths given this step's risks (the draws' mean).")
        r.define("expected_opioid_involved", {"drug": DEATH_KEYS, "state": self.states},
                 units="deaths per step",
                 doc="The part of expected_deaths from overdoses that involve an opioid (the "
                     "person uses opioids, or fentanyl was in the stimulant): what naloxone "
                     "can reverse.")
        if self.record_basis:
            r.define("basis", {"component": COMPONENTS, "drug": BASIS_KEYS,
                               "state": self.states}, units="deaths per unit coefficient",
                     doc="Expected deaths of each risk component per unit coefficient.")
        r.define("overdoses", {"state": self.states}, units="overdoses per step",
                 doc="Fatal-risk overdoses, reversed or not.")
        r.define("reversals", {"state": self.states}, units="per step",
                 doc="Overdoses reversed by naloxone.")
        r.define("people", {"status": STATUSES}, units="people",
                 doc="People who use drugs by status (agents x scale).")
        self.exits = np.zeros((len(GROUPS), n_s))
        #: Public-health levers (``lever_specs``), set by interventions each step and reset
        #: after (per state):
        #: added naloxone access, added share in treatment, multiplier on the fentanyl hazard
        #: (test strips), multiplier on initiation (prevention).
        self.naloxone_extra = np.zeros(n_s)
        self.treatment_extra = np.zeros(n_s)
        self.fentanyl_factor = np.ones(n_s)
        self.initiation_factor = np.ones(n_s)
        self.levers = Levers(self, self.lever_specs)
        self.s_programme_reversal = self.stream("programme_reversal")
        self.s_programme_treatment = self.stream("programme_treatment")
        self._buffers = {name: np.empty(0) for name in ("overdose", "care", "detail")}
        self._care_cache: tuple[tuple[Any, ...], tuple[tuple[float, ...], int]] | None = None
        self._lethal_cache: dict[float, float] = {}
        self.died = np.zeros(0, dtype=np.int64)
        self.died_fentanyl = np.zeros(0, dtype=bool)
        self.last: dict[str, np.ndarray] = {}

    def init_post(self) -> None:
        """Create the starting population by state in proportion to population."""
        p = self.pars
        prev = np.broadcast_to(self.prevalence, (len(GROUPS), len(self.states)))
        pop = self.population[0][None, :] * prev ** p.prevalence_weight
        share = pop / pop.sum(axis=1, keepdims=True)
        n_oud = p.n_opioid_use_disorder
        sizes = {
            "opioid": n_oud,
            "methamphetamine_only": max(p.n_methamphetamine - n_oud * p.meth_among_oud, 0.0),
            "cocaine_only": max(p.n_cocaine - n_oud * p.cocaine_among_oud, 0.0),
        }
        counts = np.rint(np.array([sizes[g] for g in GROUPS])[:, None] * share
                         / self.scale).astype(int)
        self._add(INIT_STEP, counts)

    def _add(self, step: int, counts: np.ndarray) -> None:
        """Add agents: ``counts[group, state]`` new people who use drugs."""
        g_idx, s_idx = np.nonzero(counts)
        n = counts[g_idx, s_idx]
        total = int(n.sum())
        if total == 0:
            return
        groups = np.repeat(g_idx, n)
        slots = self.agents.add(total, state=np.repeat(s_idx, n))  # consecutive slots
        # keys 0, 1, 2 at relative slots 0..total-1: co-use of meth, of cocaine, naloxone
        u = self.s_init.random_segments(step, (0, 1, 2), (total, total, total))
        new = slice(int(slots[0]), int(slots[0]) + total)
        self.agents["group"][new] = groups
        self.agents["meth_u"][new] = u[:total]
        self.agents["coc_u"][new] = u[total:2 * total]
        self.agents["nal_u"][new] = u[2 * total:]

    def meth_among_oud(self, year: float) -> float:
        """Share of people with OUD who also use methamphetamine in a (fractional) year."""
        p = self.pars
        return _unit(p.meth_among_oud + p.meth_among_oud_growth
                     * (self.trend_year(year) - 2015.0))

    def trend_year(self, year: float) -> float:
        """The year the linear trends (naloxone access, co-use) are read at.

        They are held after ``trends_until`` (the status quo after the last fitted year).
        """
        until = self.pars.trends_until
        return min(year, until) if until > 0 else year

    def drug_masks(self, year: float, which: np.ndarray | slice | None = None) -> np.ndarray:
        """Drugs (bit mask) of the slots ``which`` (default all): group's drug plus co-use."""
        a, p = self.agents, self.pars
        which = slice(0, a.n_slots) if which is None else which
        group = a["group"][which]
        base = np.array([OPIOID, METH, COCAINE], dtype=np.int8)[group]
        opioid = group == 0
        base |= np.where(opioid & (a["meth_u"][which] < self.meth_among_oud(year)), METH,
                         0).astype(np.int8)
        base |= np.where(opioid & (a["coc_u"][which] < p.cocaine_among_oud), COCAINE,
                         0).astype(np.int8)
        return base

    def cells(self, year: float, which: np.ndarray | slice | None = None) -> np.ndarray:
        """The (status, drug mask, state) cell of the slots ``which`` for the hazard tables."""
        a = self.agents
        which = slice(0, a.n_slots) if which is None else which
        return ((a["status"][which].astype(np.int32) * N_MASKS + self.drug_masks(year, which))
                * len(self.states) + a["state"][which])

    # ------------------------------------------------------------------ hazards
    def _lethal_share(self, year: float) -> float:
        """:func:`~narcosim.model.potency.lethal_share` of one year, remembered per year."""
        share = self._lethal_cache.get(year)
        if share is None:
            share = self._lethal_cache[year] = float(lethal_share(np.array([year]))[0])
        return share

    def _year_index(self, ti: int) -> int:
        """Row of :attr:`population` for step ``ti`` (the first or last year outside them)."""
        year = int(self.sim.timeline.years[ti]) - self.first_year
        return min(max(year, 0), len(self.population) - 1)

    def availability(self) -> np.ndarray:
        """Kg sold per 100,000 people this step, shape (drugs, states)."""
        sold = self.sim.modules[self.market].sold_by_state
        year_i = self._year_index(self.sim.ti)
        return sold / self.population[year_i][None, :] * 1e5

    def naloxone_access(self, year: float) -> float:
        """Share of people with naloxone at hand in a (fractional) year."""
        p = self.pars
        return _unit(p.naloxone_access + p.naloxone_growth * (self.trend_year(year) - 2015.0))

    def has_naloxone(self, which: np.ndarray | slice, year: float) -> np.ndarray:
        """Whether each agent has naloxone at hand (a fixed uniform per agent vs the access)."""
        return self.agents["nal_u"][which] < self.naloxone_access(year)

    def coefficients(self) -> np.ndarray:
        """The linear risk coefficients, one per component of :data:`COMPONENTS`."""
        p = self.pars
        return np.array([p.od_opioid, p.od_fentanyl, p.od_meth,
                         p.od_cocaine, p.adulteration])

    def component_table(self, avail: np.ndarray, year: float) -> np.ndarray:
        """Unit weekly hazard of each component per (status, mask, state) cell, flattened.

        Returns:
            Shape (components, cells); multiply by :meth:`coefficients` for hazards.
        """
        p = self.pars
        fent, meth, coc = (avail[SUPPLY_DRUGS.index(d)] for d in SUPPLY_DRUGS)
        # constant elasticity of the fentanyl hazard to local fentanyl supply (fitted, with
        # its interval); heroin's share of the opioid hazard falls as fentanyl displaces it
        exposure = (np.maximum(fent, 0.0) / FENTANYL_REFERENCE) ** p.fentanyl_elasticity
        potency = 1.0 + p.potency_gamma * self._lethal_share(year)
        unit_meth = (meth / STIMULANT_REFERENCE["methamphetamine"]) ** p.meth_elasticity
        unit_coc = (coc / STIMULANT_REFERENCE["cocaine"]) ** p.cocaine_elasticity
        n_s = len(self.states)
        comp = np.zeros((len(COMPONENTS), len(STATUSES), N_MASKS, n_s))
        # each component's value for the drug masks it applies to (mask 0: no drug, no risk)
        fent = potency * exposure
        using = comp[:, USING, 1:]
        using[0] = np.where(_HAS[OPIOID], np.maximum(1.0 - exposure, 0.0), 0.0)
        using[1] = np.where(_HAS[OPIOID], fent, 0.0)
        using[4] = np.where(_HAS[OPIOID], 0.0, fent)
        using[2] = np.where(_HAS[METH], unit_meth, 0.0)
        using[3] = np.where(_HAS[COCAINE], unit_coc, 0.0)
        comp[:, TREATMENT] = comp[:, USING] * p.moud_risk_multiplier
        if (self.fentanyl_factor != 1.0).any():  # test strips; x * 1.0 is x otherwise
            comp[FENTANYL_COMPONENTS] *= self.fentanyl_factor
        return comp.reshape(len(COMPONENTS), -1) * self._weeks_per_step

    # ------------------------------------------------------------------ step
    def _raw_uniforms(self, stream: Stream, ti: int, buffer: str, key: int = 0,
                      n: int | None = None) -> np.ndarray:
        """The first ``n`` (default: all slots) uniforms of ``stream`` at ``(ti, key)``, unshifted.

        The same numbers as ``stream.random`` (``stream.fill``, which also guards against
        reuse), drawn into a buffer kept between steps: ``stream.random(ti, np.arange(n),
        key)`` is this plus :data:`~narcosim.core.random._HALF_ULP` (tests check it bit for
        bit). A fresh array per draw, and its gather and shift, cost as much as the kernels.
        """
        n = self.agents.n_slots if n is None else n
        if len(self._buffers[buffer]) < n:
            self._buffers[buffer] = np.empty(max(n, 2 * len(self._buffers[buffer])))
        return stream.fill(ti, self._buffers[buffer][:n], key, shift=0.0)

    def _uniforms_at(self, stream: Stream, ti: int, slots: np.ndarray, key: int) -> np.ndarray:
        """``stream.random(ti, slots, key)`` for ascending ``slots``, through the buffer."""
        if slots.size == 0:
            return stream.random(ti, slots, key)
        raw = self._raw_uniforms(stream, ti, "detail", key, int(slots[-1]) + 1)
        return raw[slots] + _HALF_ULP

    def _care_rates(self) -> tuple[tuple[float, ...], int]:
        """Care thresholds for the kernels, and the tolerance-loss weeks.

        Computed as numpy computed them per agent (on a two-element array: non-opioid,
        opioid), so that the comparisons are bit for bit the same.
        """
        p = self.pars
        key = (self.sim.dt_days, p.treatment_weeks, p.treatment_share, p.relapse_rate,
               p.incarceration_rate, p.incarceration_weeks, p.stimulant_quit_rate,
               p.treatment_to_remission, p.tolerance_loss_weeks)
        if self._care_cache is not None and self._care_cache[0] == key:
            return self._care_cache[1]
        dt = self.sim.dt_days
        # rates per week; the yearly ones are divided by the round 52 weeks a year the
        # packaged fit was made with (ROUND_WEEKS_PER_YEAR), not by 365.25 / 7 days
        leave_t = 1.0 / p.treatment_weeks
        enter_t = p.treatment_share / (1.0 - p.treatment_share) * leave_t \
            if p.treatment_share < 1 else 1.0
        relapse = p.relapse_rate / ROUND_WEEKS_PER_YEAR
        jail = p.incarceration_rate / ROUND_WEEKS_PER_YEAR
        release = 1.0 / p.incarceration_weeks
        quit_ = p.stimulant_quit_rate / ROUND_WEEKS_PER_YEAR
        opioid = np.array([False, True])
        r_treat = np.where(opioid, enter_t, 0.0)
        r_quit = np.where(opioid, 0.0, quit_)
        r_all = r_treat + jail + r_quit
        with np.errstate(invalid="ignore", divide="ignore"):
            p_any = Rate(r_all, per="week").prob_per_step(dt)
            cut_treat = p_any * r_treat / r_all
            cut_jail = cut_treat + p_any * jail / r_all
        p_leave = Rate(leave_t, per="week").prob_per_step(dt)
        rates = np.array([cut_treat[0], cut_jail[0], p_any[0], cut_treat[1], cut_jail[1],
                          p_any[1], p_leave, p_leave * p.treatment_to_remission,
                          Rate(relapse, per="week").prob_per_step(dt),
                          Rate(release, per="week").prob_per_step(dt)])
        top = rates[np.isfinite(rates)]
        rates = np.append(rates, top.max() if top.size else 0.0)
        result = (tuple(float(r) for r in rates),
                  round(Duration(p.tolerance_loss_weeks, "weeks").steps(dt)))
        self._care_cache = (key, result)  # the same every step unless a parameter changes
        return result

    def step(self) -> None:
        """Overdoses and deaths, then care transitions, then initiation.

        Per-cell hazards are computed here with numpy; the per-agent work is one compiled pass
        (:func:`~narcosim.model.people_kernel.step_pass`) that draws overdoses, sums expected
        deaths and moves everyone who did not overdose through care; those who overdosed and
        survived move through care once the overdose details are drawn.
        """
        sim, p, a = self.sim, self.pars, self.agents
        ti = sim.ti
        year = sim.timeline.years[ti] + (sim.timeline.months[ti] - 0.5) / 12
        avail = self.availability()
        self.year = year
        comp = self.component_table(avail, year)
        by_comp = comp * self.coefficients()[:, None]
        h_cell = by_comp.sum(axis=0)
        hf_cell = by_comp[FENTANYL_COMPONENTS].sum(axis=0)
        agents, draws, tables = self._kernel_inputs(ti, year, comp, h_cell, hf_cell)
        who, self.expected, opioid_part, basis, cell_who = self.kernel.step_pass(
            agents, draws, tables, self.exits)
        if self.record_basis:
            self.basis = basis
        detail = self._uniforms_at(self.s_detail, ti, who, 0)
        u_rev = self._uniforms_at(self.s_detail, ti, who, 1)
        fent_share = np.divide(hf_cell[cell_who], h_cell[cell_who], out=np.zeros(who.size),
                               where=h_cell[cell_who] > 0)
        involved = detail < fent_share
        n_s = len(self.states)
        drugs_who = (cell_who // n_s) % N_MASKS
        # naloxone reverses opioid-involved overdoses only (opioid users', or fentanyl's)
        reversible = ((drugs_who & OPIOID) > 0) | involved
        reversed_ = (self.has_naloxone(who, year) & (u_rev < p.naloxone_reversal)
                     & reversible)
        reversed_ |= programme_reversals(self, ti, who, reversed_, reversible)
        dead = who[~reversed_]
        state_who = a["state"][who]
        state_dead = state_who[~reversed_]
        drugs_dead = drugs_who[~reversed_]
        deaths = np.zeros((len(DEATH_KEYS), n_s))
        deaths[0] = np.bincount(state_dead[involved[~reversed_]], minlength=n_s)
        deaths[1] = np.bincount(state_dead[(drugs_dead & METH) > 0], minlength=n_s)
        deaths[2] = np.bincount(state_dead[(drugs_dead & COCAINE) > 0], minlength=n_s)
        deaths[3] = np.bincount(state_dead, minlength=n_s)
        deaths *= self.scale
        year_i = self._year_index(ti)
        # other_deaths is per 100,000 people per year
        other = (Rate(p.other_deaths, per="year").per_step(sim.dt_days)
                 * self.population[year_i] / 1e5)
        deaths[3] += self.s_other.poisson(ti, other / self.scale) * self.scale
        # a programme reverses a further share of the opioid-involved deaths only
        if self.naloxone_extra.any():  # without a programme the cut is exactly zero
            cut = opioid_part * programme_naloxone_chance(self)
            self.expected -= cut
            opioid_part = opioid_part - cut
        self.expected[3] += other
        self._record_exits(dead)
        a.remove(dead)
        #: Agent-level record of this step's deaths: slots and whether fentanyl was involved.
        self.died, self.died_fentanyl = dead, involved[~reversed_]
        self.last = {"deaths": deaths, "expected_deaths": self.expected,
                     "expected_opioid_involved": opioid_part,
                     "overdoses": np.bincount(state_who, minlength=n_s) * self.scale,
                     "reversals": np.bincount(state_who[reversed_], minlength=n_s) * self.scale}
        self.kernel.care_of(who[reversed_], agents, draws, tables, self.exits)
        programme_treatment(self, ti)
        self._initiate(ti, avail)

    def _kernel_inputs(self, ti: int, year: float, comp: np.ndarray, h_cell: np.ndarray,
                       hf_cell: np.ndarray) -> tuple[Any, Any, Any]:
        """The kernels' arguments: the agents' arrays, this step's draws and its tables.

        Args:
            ti: Step index.
            year: Fractional year of the step.
            comp: Unit hazard per component and cell (:meth:`component_table`).
            h_cell: Weekly hazard per cell.
            hf_cell: The fentanyl components' part of ``h_cell``.

        Returns:
            :class:`~narcosim.model.people_kernel.AgentArrays`,
            :class:`~narcosim.model.people_kernel.StepDraws` and
            :class:`~narcosim.model.people_kernel.StepTables`.
        """
        p, a, k = self.pars, self.agents, self.kernel
        # each cell's overdose probability with and without tolerance, as numpy computed it
        # per agent (-expm1(-h), h multiplied first where tolerance is lost)
        p_cell = np.empty((2, h_cell.size))
        np.negative(np.expm1(-h_cell), out=p_cell[0])
        np.negative(np.expm1(-(h_cell * p.tolerance_loss_multiplier)), out=p_cell[1])
        fent_cell = np.divide(hf_cell, h_cell, out=np.zeros_like(h_cell), where=h_cell > 0)
        rates, tol_weeks = self._care_rates()
        agents = k.AgentArrays(a.alive, a["state"], a["group"], a["meth_u"], a["coc_u"],
                               a["status"], a["nal_u"], a["tol_until"])
        draws = k.StepDraws(self._raw_uniforms(self.s_overdose, ti, "overdose"),
                            self._raw_uniforms(self.s_care, ti, "care"), _HALF_ULP)
        # numpy compares a float32 array with a Python float in float32 (NEP 50)
        tables = k.StepTables(
            int(ti), np.float32(self.meth_among_oud(year)), np.float32(p.cocaine_among_oud),
            np.float32(self.naloxone_access(year)), p_cell, fent_cell, comp,
            float(p.naloxone_reversal), float(p.tolerance_loss_multiplier), float(self.scale),
            len(self.states), rates, int(ti + tol_weeks), bool(self.record_basis))
        return agents, draws, tables

    def _record_exits(self, slots: np.ndarray) -> None:
        group = self.agents["group"][slots]
        np.add.at(self.exits, (group, self.agents["state"][slots]), 1.0)

    def _initiate(self, ti: int, avail: np.ndarray) -> None:
        """Replace those who left, more where supply is plentiful."""
        ref = avail.mean(axis=1, keepdims=True)
        ratio = np.divide(avail, ref, out=np.ones_like(avail), where=ref > 0)
        factor = np.maximum(ratio[_DRUG_OF_GROUP], 1e-6) ** self.pars.initiation_elasticity
        lam = self.exits * factor * self.initiation_factor[None, :]
        lam[METH_ONLY] += self._meth_growth_entrants()
        self.exits = np.zeros_like(self.exits)
        new = self.s_entry.poisson(ti, lam)
        self._add(ti, new)

    def _meth_growth_entrants(self) -> np.ndarray:
        """Expected new methamphetamine-only users by state from the population's growth.

        The people who use methamphetamine only grow at ``meth_users_growth`` a year (Han et
        al. 2021) over the years the growth was measured (up to ``meth_users_growth_until``,
        never past ``trends_until``), then hold; growth is on top of replacing leavers.
        """
        p, a = self.pars, self.agents
        if p.meth_users_growth <= 0 or self.year >= p.meth_users_growth_until \
                or self.trend_year(self.year) < self.year:
            return np.zeros(len(self.states))
        mine = a.alive & (a["group"] == METH_ONLY)
        count = np.bincount(a["state"][mine], minlength=len(self.states)).astype(float)
        return count * np.expm1(Rate(p.meth_users_growth, per="year").per_step(self.sim.dt_days))

    def update_results(self) -> None:
        """Record deaths, overdoses, reversals and people by status."""
        ti, r, a = self.sim.ti, self.results, self.agents
        for key in ("deaths", "expected_deaths", "expected_opioid_involved", "overdoses",
                    "reversals"):
            r[key][ti] = self.last[key]
        if self.record_basis:
            r["basis"][ti] = self.basis
        r["people"][ti] = self.kernel.count_status(a.alive, a["status"]) * self.scale
        self.levers.reset()
