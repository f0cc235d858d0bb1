"""The compiled people step gives bit-identical results to the numpy step it replaced.

``NumpyPeople`` below is a copy of the numpy implementation of ``People.step``, its helpers
and ``update_results`` as they stood before the numba kernels (commit 52eab96), kept here as
the reference and not in ``src``; since then updated to the rule that naloxone reverses only
opioid-involved overdoses (the person uses opioids, or fentanyl was involved). Both run over
the same recorded market with the same seed; every result array, the agents' final fields and
the exits must be equal bit for bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narcosim.calibrate.deaths import people_sim, record_market
from narcosim.core.sim import Sim
from narcosim.core.time import Timeline
from narcosim.model.builder import DEFAULT_START, load_inputs
from narcosim.model.fitted_people import FittedPeople
from narcosim.model.inputs import SupplyInputs
from narcosim.model.people import (
    BASIS_KEYS,
    COCAINE,
    COMPONENTS,
    DAYS_PER_YEAR,
    DEATH_KEYS,
    FENTANYL_COMPONENTS,
    INCARCERATED,
    METH,
    N_MASKS,
    OPIOID,
    REMISSION,
    STATUSES,
    TREATMENT,
    USING,
    People,
)
from narcosim.model.replay import MarketReplay

END = "2017-06-30"


class NumpyPeople(People):
    """The numpy people step before the kernels (reference copy; same draws, same order)."""

    def drug_masks(self, year, which=None):
        a, p = self.agents, self.pars
        n = a.n_slots
        group = a["group"][:n]
        base = np.array([OPIOID, METH, COCAINE], dtype=np.int8)[group]
        opioid = group == 0
        base |= np.where(opioid & (a["meth_u"][:n] < self.meth_among_oud(year)), METH,
                         0).astype(np.int8)
        base |= np.where(opioid & (a["coc_u"][:n] < p.cocaine_among_oud), COCAINE,
                         0).astype(np.int8)
        return base

    def cells(self, year=None, which=None):
        a = self.agents
        n = a.n_slots
        return ((a["status"][:n].astype(np.int32) * N_MASKS + self.drugs)
                * len(self.states) + a["state"][:n])

    def step(self) -> None:
        sim, p, a = self.sim, self.pars, self.agents
        ti = sim.ti
        year = sim.timeline.years[ti] + (sim.timeline.months[ti] - 0.5) / 12
        avail = self.availability()
        self.year = year
        comp = self.component_table(avail, year)
        by_comp = comp * self.coefficients()[:, None]
        h_cell = by_comp.sum(axis=0)
        hf_cell = by_comp[FENTANYL_COMPONENTS].sum(axis=0)
        n = a.n_slots
        slots = np.arange(n)
        alive = a.alive
        self.drugs = self.drug_masks(year)
        cell = self.cells()
        h = h_cell[cell]
        lost_tol = alive & (a["tol_until"][:n] > ti)
        h[lost_tol] *= p.tolerance_loss_multiplier
        u = self.s_overdose.random(ti, slots)
        p_od = np.where(alive, -np.expm1(-h), 0.0)
        od = u < p_od
        self._expected(p_od, h_cell, hf_cell, cell)
        if self.record_basis:
            self._basis(comp, cell, lost_tol)
        who = np.flatnonzero(od)
        detail = self.s_detail.random(ti, who, key=0)
        u_rev = self.s_detail.random(ti, who, key=1)
        fent_share = np.divide(hf_cell[cell[who]], h_cell[cell[who]],
                               out=np.zeros(who.size), where=h_cell[cell[who]] > 0)
        involved = detail < fent_share
        reversible = ((self.drugs[who] & OPIOID) > 0) | involved
        reversed_ = self.has_naloxone(who, year) & (u_rev < p.naloxone_reversal) & reversible
        dead = who[~reversed_]
        n_s = len(self.states)
        state_dead = a["state"][dead]
        drugs_dead = self.drugs[dead]
        deaths = np.zeros((len(DEATH_KEYS), n_s))
        deaths[0] = np.bincount(state_dead[involved[~reversed_]], minlength=n_s)
        deaths[1] = np.bincount(state_dead[(drugs_dead & METH) > 0], minlength=n_s)
        deaths[2] = np.bincount(state_dead[(drugs_dead & COCAINE) > 0], minlength=n_s)
        deaths[3] = np.bincount(state_dead, minlength=n_s)
        deaths *= self.scale
        year_i = int(np.clip(sim.timeline.years[ti] - self.first_year, 0,
                             len(self.population) - 1))
        other = p.other_deaths * self.population[year_i] / 1e5 * sim.dt_days / DAYS_PER_YEAR
        deaths[3] += self.s_other.poisson(ti, other / self.scale) * self.scale
        self.expected[3] += other
        self._record_exits(dead)
        a.remove(dead)
        self.last = {"deaths": deaths, "expected_deaths": self.expected,
                     "overdoses": np.bincount(a["state"][who], minlength=n_s) * self.scale,
                     "reversals": np.bincount(a["state"][who[reversed_]],
                                              minlength=n_s) * self.scale}
        self._care(ti)
        self._initiate(ti, avail)

    def _expected(self, p_od, h_cell, hf_cell, cell) -> None:
        a, n_s = self.agents, len(self.states)
        n = a.n_slots
        has_r = self.has_naloxone(slice(0, n), self.year) * self.pars.naloxone_reversal
        state = a["state"][:n]
        drugs = self.drugs
        fent = np.divide(hf_cell, h_cell, out=np.zeros_like(h_cell), where=h_cell > 0)[cell]
        # reversible share: all of an opioid user's overdoses, the fentanyl share of others'
        q = np.maximum(fent, ((drugs & OPIOID) > 0).astype(float))
        e = p_od * (1.0 - has_r * q) * self.scale
        self.expected = np.stack([
            np.bincount(state, p_od * (1.0 - has_r) * self.scale * fent, minlength=n_s),
            np.bincount(state, e * ((drugs & METH) > 0), minlength=n_s),
            np.bincount(state, e * ((drugs & COCAINE) > 0), minlength=n_s),
            np.bincount(state, e, minlength=n_s),
        ])

    def _basis(self, comp, cell, lost_tol) -> None:
        a, n_s = self.agents, len(self.states)
        n = a.n_slots
        nal = 1.0 - self.has_naloxone(slice(0, n), self.year) * self.pars.naloxone_reversal
        w = a.alive[:n] * np.where(lost_tol, self.pars.tolerance_loss_multiplier, 1.0) * self.scale
        state, drugs = a["state"][:n], self.drugs
        opioid = (drugs & OPIOID) > 0
        out = np.zeros((len(COMPONENTS), len(BASIS_KEYS), n_s))
        for c in range(len(COMPONENTS)):
            # naloxone acts on an opioid user's every component, and on fentanyl's
            factor = nal if c in FENTANYL_COMPONENTS else np.where(opioid, nal, 1.0)
            x = w * factor * comp[c][cell]
            out[c, 0] = np.bincount(state, x, minlength=n_s) if c in FENTANYL_COMPONENTS else 0
            out[c, 1] = np.bincount(state, x * ((drugs & METH) > 0), minlength=n_s)
            out[c, 2] = np.bincount(state, x * ((drugs & COCAINE) > 0), minlength=n_s)
            out[c, 3] = np.bincount(state, x, minlength=n_s)
            # the opioid-involved part: every component of an opioid user's, fentanyl's
            involved = x * (opioid | (c in FENTANYL_COMPONENTS))
            out[c, 4] = np.bincount(state, involved * ((drugs & METH) > 0), minlength=n_s)
            out[c, 5] = np.bincount(state, involved * ((drugs & COCAINE) > 0), minlength=n_s)
        self.basis = out

    def _care(self, ti: int) -> None:
        p, a = self.pars, self.agents
        dt_w = self.sim.dt_days / 7.0
        n = a.n_slots
        alive = a.alive
        status = a["status"][:n]
        opioid = a["group"][:n] == 0
        leave_t = 1.0 / p.treatment_weeks
        enter_t = p.treatment_share / (1.0 - p.treatment_share) * leave_t \
            if p.treatment_share < 1 else 1.0
        relapse = p.relapse_rate / 52.0
        jail = p.incarceration_rate / 52.0
        release = 1.0 / p.incarceration_weeks
        quit_ = p.stimulant_quit_rate / 52.0
        u = self.s_care.random(ti, np.arange(n))
        using = alive & (status == USING)
        r_treat = np.where(opioid, enter_t, 0.0)
        r_quit = np.where(opioid, 0.0, quit_)
        r_all = r_treat + jail + r_quit
        p_any = -np.expm1(-r_all * dt_w)
        cut_treat = p_any * r_treat / r_all
        cut_jail = cut_treat + p_any * jail / r_all
        to_treat = using & (u < cut_treat)
        to_jail = using & (u >= cut_treat) & (u < cut_jail)
        to_quit = using & (u >= cut_jail) & (u < p_any)
        p_leave = -np.expm1(-leave_t * dt_w)
        in_treat = alive & (status == TREATMENT) & (u < p_leave)
        remit = in_treat & (u < p_leave * p.treatment_to_remission)
        back_from_treat = in_treat & ~remit
        back_from_remission = alive & (status == REMISSION) & (u < -np.expm1(-relapse * dt_w))
        released = alive & (status == INCARCERATED) & (u < -np.expm1(-release * dt_w))
        tol_weeks = round(p.tolerance_loss_weeks / dt_w)
        status[to_treat] = TREATMENT
        status[to_jail] = INCARCERATED
        status[remit] = REMISSION
        returning = back_from_treat | back_from_remission | released
        status[returning] = USING
        a["tol_until"][:n][returning] = ti + tol_weeks
        quitters = np.flatnonzero(to_quit)
        self._record_exits(quitters)
        a.remove(quitters)

    def update_results(self) -> None:
        ti, r, a = self.sim.ti, self.results, self.agents
        for key in ("deaths", "expected_deaths", "overdoses", "reversals"):
            r[key][ti] = self.last[key]
        if self.record_basis:
            r["basis"][ti] = self.basis
        status = a["status"][: a.n_slots][a.alive]
        r["people"][ti] = np.bincount(status, minlength=len(STATUSES)) * self.scale


@pytest.fixture(scope="module")
def market(atlas_store: Path) -> tuple[SupplyInputs, np.ndarray]:
    """Supply inputs and the seed-1 market sold to mid-2017."""
    from narcosim.atlas.store import Atlas

    inputs = load_inputs(Atlas.open(atlas_store))
    return inputs, record_market(inputs, 1, END)


def run_pair(market: tuple[SupplyInputs, np.ndarray], pars: dict[str, float], scale: int,
             seed: int, basis: bool) -> tuple[Sim, Sim]:
    """The same people-only run with the compiled and the reference step."""
    inputs, sold = market
    fast = people_sim(inputs, sold, seed=seed, scale=scale, end=END, pars=pars,
                      basis=basis).run()
    world = inputs.world
    ref = NumpyPeople(np.asarray(world.population), world.years[0], world.states, scale,
                      market="market_replay", prevalence=inputs.prevalence,
                      record_basis=basis, pars=pars)
    slow = Sim([MarketReplay(sold), ref], Timeline(DEFAULT_START, END), seed=seed,
               name="people").run()
    return fast, slow


CASES = {
    "fitted": ({}, 300, 1, False),
    # basis on, heavy care turnover, lost tolerance and naloxone shares that are not float32
    # numbers (0.7 rounds down in float32), so threshold dtype mistakes would show
    "stress": ({"treatment_weeks": 3.0, "incarceration_rate": 2.0, "incarceration_weeks": 2.0,
                "relapse_rate": 6.0, "stimulant_quit_rate": 3.0, "tolerance_loss_weeks": 6.0,
                "naloxone_access": 0.7, "cocaine_among_oud": 0.7, "od_fentanyl": 0.004},
               1000, 7, True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_compiled_step_bit_identical_to_numpy(market: tuple[SupplyInputs, np.ndarray],
                                              case: str) -> None:
    extra, scale, seed, basis = CASES[case]
    pars = {**FittedPeople.load().pars, **extra}
    fast, slow = run_pair(market, pars, scale, seed, basis)
    rf, rs = fast.results["people"], slow.results["people"]
    keys = ["deaths", "expected_deaths", "overdoses", "reversals", "people"]
    keys += ["basis"] if basis else []
    for key in keys:
        a, b = np.asarray(rf[key]), np.asarray(rs[key])
        assert a.shape == b.shape
        assert np.array_equal(a, b), f"{case}: {key} differs at {np.argwhere(a != b)[:3]}"
    assert np.asarray(rf["deaths"]).sum() > 0
    pf, ps = fast.modules["people"], slow.modules["people"]
    assert pf.agents.n_slots == ps.agents.n_slots
    for field in pf.agents.fields:
        assert np.array_equal(pf.agents[field], ps.agents[field]), field
    assert np.array_equal(pf.exits, ps.exits)
    # the stress case moves people through every status
    if case == "stress":
        assert (np.asarray(rf["people"])[-1] > 0).all()


def test_buffered_draws_equal_stream_random() -> None:
    """The people's buffered draws are the named streams' own numbers, bit for bit."""
    from types import SimpleNamespace

    from narcosim.core.random import Stream

    people = People(np.ones((1, 2)), 2015, ("AA", "BB"))
    people._buffers = {name: np.empty(0) for name in ("overdose", "care", "detail")}
    for n in (1, 5, 1000, 70_001):
        people.agents = SimpleNamespace(n_slots=n)
        for ti in (0, 3):
            raw = people._raw_uniforms(Stream("people.overdose", 11), ti, "overdose") + 2.0**-54
            assert np.array_equal(raw, Stream("people.overdose", 11).random(ti, np.arange(n)))
            slots = np.unique(np.random.default_rng(n + ti).integers(0, n, size=max(n // 7, 1)))
            got = people._uniforms_at(Stream("people.overdose_detail", 11), ti, slots, 1)
            want = Stream("people.overdose_detail", 11).random(ti, slots, key=1)
            assert np.array_equal(got, want)
    empty = people._uniforms_at(Stream("people.overdose_detail", 11), 0, np.zeros(0, int), 0)
    assert empty.shape == (0,)
    # the buffer is reused, and a reused (step, key) is still refused by the stream
    stream = Stream("people.care_transition", 11)
    people._raw_uniforms(stream, 4, "care")
    with pytest.raises(RuntimeError, match="already drawn"):
        people._raw_uniforms(stream, 4, "care")
