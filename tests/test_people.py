"""People who use drugs: reproducibility, common random numbers, CDC's multiple-cause count,
expected deaths as the mean of the draws, and the direction of treatment, tolerance and
naloxone. Runs are the people module alone over a market recorded once from the real data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from narcosim.calibrate.deaths import people_sim, record_market
from narcosim.core.sim import Sim
from narcosim.core.time import Timeline
from narcosim.model.builder import DEFAULT_START, load_inputs
from narcosim.model.fitted_people import FittedPeople
from narcosim.model.inputs import SupplyInputs
from narcosim.model.people import (
    COCAINE,
    DEATH_KEYS,
    GROUPS,
    METH,
    METH_ONLY,
    OPIOID,
    People,
)
from narcosim.model.replay import MarketReplay

END = "2017-12-31"
ALL = DEATH_KEYS.index("all_drugs")
Market = tuple[SupplyInputs, np.ndarray]


@pytest.fixture(scope="module")
def market(atlas_store: Path) -> Market:
    """Supply inputs and the seed-1 market sold 2015–2017, recorded from the real data."""
    from narcosim.atlas.store import Atlas

    inputs = load_inputs(Atlas.open(atlas_store))
    return inputs, record_market(inputs, 1, END)


def fitted(**extra: float) -> dict[str, float]:
    """The saved fit with overrides."""
    return {**FittedPeople.load().pars, **extra}


def run(market: Market, seed: int = 1, scale: int = 1000, **extra: float) -> Sim:
    """The people module alone over the recorded market."""
    inputs, sold = market
    return people_sim(inputs, sold, seed=seed, scale=scale, end=END,
                      pars=fitted(**extra)).run()


def metric(sim: Sim, key: str) -> np.ndarray:
    """One people result as an array (steps, ...)."""
    return np.asarray(sim.results["people"][key])


# ---------------------------------------------------------------- reproducibility
def test_same_seed_same_results_and_a_different_seed_differs(market: Market) -> None:
    a, b, c = run(market, seed=3), run(market, seed=3), run(market, seed=4)
    for key in ("deaths", "expected_deaths", "overdoses", "reversals", "people"):
        assert np.array_equal(metric(a, key), metric(b, key)), key
    assert not np.array_equal(metric(a, "deaths"), metric(c, "deaths"))
    assert not np.array_equal(metric(a, "people"), metric(c, "people"))
    assert metric(a, "deaths")[:, ALL].sum() > 0


# ---------------------------------------------------------------- one extra agent
class OneMore(People):
    """People that gain one extra cocaine-only user in the last state at step ``at``.

    The extra agent is put at the end of that step's batch of newcomers (the last cell in the
    batch's group-then-state order), so every other agent keeps its slot and its draws.
    """

    def __init__(self, *args: Any, at: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.at = at

    def _initiate(self, ti: int, avail: np.ndarray) -> None:
        if ti != self.at:
            super()._initiate(ti, avail)
            return
        # as People._initiate, plus one
        ref = avail.mean(axis=1, keepdims=True)
        ratio = np.divide(avail, ref, out=np.ones_like(avail), where=ref > 0)
        factor = np.clip(ratio[[0, 1, 2]], 1e-6, None) ** self.pars.initiation_elasticity
        lam = self.exits * factor
        lam[METH_ONLY] += self._meth_growth_entrants()
        new = self.s_entry.poisson(ti, lam)
        self.exits = np.zeros_like(self.exits)
        new[len(GROUPS) - 1, len(self.states) - 1] += 1
        self._add(ti, new)


def snapshots(market: Market, at: int | None, steps: tuple[int, ...]) -> dict[int, dict]:
    """Agent fields after each of ``steps`` in a run with (or without) the extra agent."""
    inputs, sold = market
    world = inputs.world
    people = OneMore(np.asarray(world.population), world.years[0], world.states, 100,
                     market="market_replay", prevalence=inputs.prevalence,
                     pars=fitted(), at=at)
    sim = Sim([MarketReplay(sold), people], Timeline(DEFAULT_START, "2015-12-31"), seed=5)
    out: dict[int, dict] = {}

    def keep(done: int, _total: int) -> None:
        if done - 1 in steps:
            a = people.agents
            out[done - 1] = {"n": a.n_slots, "alive": a.alive.copy(),
                             "status": a["status"].copy(), "tol": a["tol_until"].copy(),
                             "died": people.died.copy()}

    sim.run(progress=keep)
    return out


def test_one_extra_agent_changes_only_its_own_outcomes(market: Market) -> None:
    """Starsim's test_worlds: one more person changes no one else's overdose or care."""
    at = 40
    base = snapshots(market, None, (at, at + 1))
    more = snapshots(market, at, (at, at + 1))
    extra = more[at]["n"] - 1  # the extra agent's slot, the last handed out at step `at`
    assert more[at]["n"] == base[at]["n"] + 1
    assert more[at]["alive"][extra]
    old = slice(0, extra)  # everyone else alive at the end of step `at`
    for key in ("alive", "status", "tol"):
        assert np.array_equal(more[at][key][old], base[at][key][old]), key
        # the next step's overdoses and care transitions of everyone else are unchanged
        assert np.array_equal(more[at + 1][key][old], base[at + 1][key][old]), key
    assert np.array_equal(more[at + 1]["died"][more[at + 1]["died"] != extra],
                          base[at + 1]["died"])
    # non-trivial: at the next step others died or moved through care
    moved = (base[at + 1]["status"][old] != base[at]["status"][old]) | (
        base[at + 1]["alive"][old] != base[at]["alive"][old])
    assert moved.sum() > 10
    assert base[at + 1]["died"].size > 0


# ---------------------------------------------------------------- CDC's multiple-cause count
def test_a_death_counts_toward_every_drug_involved(market: Market) -> None:
    """Deaths by drug equal the agent-level deaths: fentanyl when involved, methamphetamine
    and cocaine when used, all drugs always (no other-drug deaths in this run)."""
    inputs, sold = market
    world = inputs.world
    people = People(np.asarray(world.population), world.years[0], world.states, 100,
                    market="market_replay", prevalence=inputs.prevalence,
                    pars=fitted(other_deaths=0.0))
    sim = Sim([MarketReplay(sold), people], Timeline(DEFAULT_START, "2016-06-30"), seed=2)
    n_s = len(world.states)
    combos = {"fentanyl+meth": 0, "fentanyl+cocaine": 0, "non-opioid fentanyl": 0}

    def check(done: int, _total: int) -> None:
        dead = people.died
        mask = people.drug_masks(people.year, dead)
        fent = people.died_fentanyl
        state = people.agents["state"][dead]
        assert not people.agents.alive[dead].any()
        want = np.stack([np.bincount(state[fent], minlength=n_s),
                         np.bincount(state[(mask & METH) > 0], minlength=n_s),
                         np.bincount(state[(mask & COCAINE) > 0], minlength=n_s),
                         np.bincount(state, minlength=n_s)]) * people.scale
        assert np.array_equal(people.results["deaths"][done - 1], want)
        combos["fentanyl+meth"] += int((fent & ((mask & METH) > 0)).sum())
        combos["fentanyl+cocaine"] += int((fent & ((mask & COCAINE) > 0)).sum())
        combos["non-opioid fentanyl"] += int((fent & ((mask & OPIOID) == 0)).sum())

    sim.run(progress=check)
    # the run holds the cases the rule is about
    assert min(combos.values()) > 0, combos


# ---------------------------------------------------------------- expected deaths
def test_expected_deaths_are_the_mean_of_realised_deaths(market: Market) -> None:
    """Over 24 seeds, realised minus expected deaths (2015–2017, per drug) averages to zero
    within four standard errors, and the standard error is small enough to catch a 12% bias
    (leaving naloxone out of the expectation, for one, would bias it by more)."""
    diffs, totals = [], []
    for seed in range(24):
        sim = run(market, seed=100 + seed, scale=300)
        real = metric(sim, "deaths").sum(axis=(0, 2))
        expected = metric(sim, "expected_deaths").sum(axis=(0, 2))
        diffs.append(real - expected)
        totals.append(expected)
    d, e = np.array(diffs), np.array(totals).mean(axis=0)
    se = d.std(axis=0, ddof=1) / np.sqrt(len(d))
    assert (np.abs(d.mean(axis=0)) < 4 * se).all(), (d.mean(axis=0), se)
    assert (4 * se < 0.12 * e).all(), (se, e)


# ---------------------------------------------------------------- treatment, tolerance, naloxone
def test_treatment_lowers_and_lost_tolerance_raises_deaths(market: Market) -> None:
    base = run(market, seed=6)
    no_moud_risk = run(market, seed=6, moud_risk_multiplier=0.0)
    fragile = run(market, seed=6, tolerance_loss_multiplier=20.0)
    key = ("deaths", ALL)
    total = {name: metric(sim, key[0])[:, key[1]].sum() for name, sim in
             (("base", base), ("moud0", no_moud_risk), ("tol20", fragile))}
    assert total["moud0"] < total["base"] < total["tol20"], total
    for sim_low, sim_high in ((no_moud_risk, base), (base, fragile)):
        low = metric(sim_low, "expected_deaths")[:, :3].sum()
        high = metric(sim_high, "expected_deaths")[:, :3].sum()
        assert low < high


def test_naloxone_for_all_that_always_works_leaves_only_non_opioid_stimulant_deaths(
        market: Market) -> None:
    """Naloxone reverses opioids only: with it at everyone's hand and always working, no
    death involves opioids or fentanyl, and what remains is stimulant-only users' overdoses
    without fentanyl (and the other-drug term)."""
    inputs, sold = market
    sim = people_sim(inputs, sold, seed=8, scale=1000, end=END,
                     pars=fitted(naloxone_access=1.0, naloxone_reversal=1.0))
    people = sim.modules["people"]
    dead_masks: list[np.ndarray] = []

    def check(_done: int, _total: int) -> None:
        dead = people.died
        # no one who uses opioids dies, and no death involves fentanyl
        assert not people.died_fentanyl.any()
        dead_masks.append(people.drug_masks(people.year, dead))

    sim.run(progress=check)
    masks = np.concatenate(dead_masks)
    assert masks.size > 0 and not (masks & OPIOID).any()
    assert (masks & METH).any() and (masks & COCAINE).any()
    deaths, expected = metric(sim, "deaths"), metric(sim, "expected_deaths")
    assert (deaths[:, 0] == 0).all() and (expected[:, 0] == 0).all()
    assert deaths[:, 1:3].sum() > 0 and (expected[:, 1:3].sum(axis=(0, 2)) > 0).all()
    # stimulant-only users use one stimulant: all overdose deaths = meth + cocaine deaths
    overdose_expected = expected[:, 1] + expected[:, 2]
    # overdoses that were not opioid-involved were not reversed
    overdoses, reversals = metric(sim, "overdoses"), metric(sim, "reversals")
    assert 0 < reversals.sum() < overdoses.sum()
    assert overdoses.sum() - reversals.sum() == deaths[:, 1:3].sum()
    # what remains beyond them is the other-drug term: its expectation is the configured rate
    other = fitted()["other_deaths"]
    rows = np.clip(sim.timeline.years - people.first_year, 0, len(people.population) - 1)
    want = sum(other * people.population[r].sum() / 1e5 * 7 / 365.25 for r in rows)
    assert (expected[:, ALL] - overdose_expected).sum() == pytest.approx(want, rel=1e-9)
    off = run(market, seed=8, naloxone_access=1.0, naloxone_reversal=1.0, other_deaths=0.0)
    d_off = metric(off, "deaths")
    assert np.array_equal(d_off[:, :ALL], deaths[:, :ALL])
    assert np.array_equal(d_off[:, ALL], d_off[:, 1] + d_off[:, 2])
