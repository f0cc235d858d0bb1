"""Public-health programmes book cost on what the model delivers (issue "An honest model",
part 3, item 3).

A treatment expansion pays per patient-year for the people it moved into treatment, for the
weeks they stayed; a naloxone programme per person reached a year. The cost booked must equal
unit cost x the delivered quantity recorded in the results, and a treatment programme that
fills fewer places than it asked for must cost less than the nominal request.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narcosim.core.sim import Sim
from narcosim.core.units import DAYS_PER_YEAR
from narcosim.interventions import CONFIG_BY_KIND, build_interventions
from narcosim.interventions.config import InterventionConfig
from narcosim.model.builder import build_sim
from supply_fixtures import inputs_for

START, END = "2024-01-01", "2024-12-31"
PATIENT_YEAR, KIT = 6552.0, 44.99


def _run(store: Path, config: InterventionConfig, end: str = END) -> Sim:
    inputs = inputs_for(store)
    return build_sim(inputs, seed=1, start="2023-01-01", end=end, scale=1000,
                     interventions=build_interventions([config], inputs, {})).run()


def test_treatment_cost_is_unit_cost_times_patient_weeks_delivered(atlas_store: Path) -> None:
    # the programme ends mid-2024; its patients are booked for as long as they stay
    config = CONFIG_BY_KIND["treatment"](start=START, end="2024-06-30", unit_cost=PATIENT_YEAR,
                                         annual_cost=1e6)
    sim = _run(atlas_store, config)
    r = sim.results["intervention0_treatment"]
    weeks, cost = np.asarray(r["patient_weeks"]), np.asarray(r["cost_usd"])
    acting = np.array([config.start <= sim.timeline.date_of(t) <= config.end
                       for t in range(sim.timeline.n_steps)])
    flat = np.where(acting, 1e6 * 7 / DAYS_PER_YEAR, 0.0)
    assert cost == pytest.approx(PATIENT_YEAR * weeks * 7 / DAYS_PER_YEAR + flat, rel=1e-12)
    assert (weeks[~acting & (sim.timeline.dates < np.datetime64(START))] == 0).all()
    # enrolled patients stay after the end and are still booked, fewer each week
    after = weeks[~acting & (sim.timeline.dates > np.datetime64("2024-06-30"))]
    assert after[0] > 0 and after[-1] < after[0]
    # what the lever asked for: 15 points more of the people with OUD in treatment
    people = sim.modules["people"]
    asked = config_share(sim) * people.pars.n_opioid_use_disorder
    delivered = weeks[acting].mean()  # patients held per week while acting
    assert 0 < delivered < asked
    nominal = PATIENT_YEAR * asked * acting.sum() * 7 / DAYS_PER_YEAR
    assert (cost - flat)[acting].sum() < nominal


def config_share(sim: Sim) -> float:
    """The treatment lever's added share at intensity 1."""
    return float(sim.modules["intervention0_treatment"].pars.share_per_unit)


def test_naloxone_cost_is_kit_cost_times_people_reached(atlas_store: Path) -> None:
    config = CONFIG_BY_KIND["naloxone"](start=START, end=END, unit_cost=KIT,
                                        target={"states": ["OH", "WV"]})
    sim = _run(atlas_store, config)
    r = sim.results["intervention0_naloxone"]
    reached, cost = np.asarray(r["people_reached"]), np.asarray(r["cost_usd"])
    assert cost == pytest.approx(KIT * reached * 7 / DAYS_PER_YEAR, rel=1e-12)
    # 20% of the people who use drugs in Ohio and West Virginia, as the model holds them
    people = sim.modules["people"]
    states = np.isin(np.array(people.states), ["OH", "WV"])
    alive = people.agents.alive_slots
    now = np.bincount(people.agents["state"][alive], minlength=len(states))[states].sum()
    assert reached[-1] == pytest.approx(0.2 * now * people.scale, rel=1e-12)
    assert (reached[sim.timeline.dates < np.datetime64(START)] == 0).all()


def test_a_programme_without_unit_cost_books_its_flat_annual_cost(atlas_store: Path) -> None:
    config = CONFIG_BY_KIND["treatment"](start=START, end=END, annual_cost=50e6)
    cost = np.asarray(_run(atlas_store, config).results["intervention0_treatment"]["cost_usd"])
    assert cost.sum() == pytest.approx(50e6, rel=0.02)
