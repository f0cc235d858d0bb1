"""Rates and durations reach the model's step through ``Rate`` / ``Duration``, for any step.

The model's parameters are per week or per year; each module converts them once, at init,
to the run's step. A 14-day step must then give twice the weekly hazards (and the
probability of the doubled hazard), half the steps for a duration, and the same numbers as
the hand conversion they replaced at the weekly step, bit for bit where the packaged fit
depends on it.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from narcosim.core.sim import Sim
from narcosim.core.time import Timeline
from narcosim.core.units import DAYS_PER_WEEK, DAYS_PER_YEAR, ROUND_WEEKS_PER_YEAR
from narcosim.model.builder import build_sim
from narcosim.run.memory import run_steps
from supply_fixtures import inputs_for

START, END = "2015-01-01", "2015-12-31"


@pytest.fixture(scope="module")
def sims(atlas_store: Path) -> dict[int, Sim]:
    """The default model initialised on a weekly and on a 14-day step."""
    inputs = inputs_for(atlas_store)
    out = {}
    for dt in (7, 14):
        built = build_sim(inputs, seed=1, scale=1000, start=START, end=END)
        out[dt] = Sim(list(built.modules.values()), Timeline(START, END, dt_days=dt),
                      seed=1).init()
    return out


@pytest.mark.parametrize("dt", [7, 14])
def test_supply_rates_per_step(sims: dict[int, Sim], dt: int) -> None:
    """Dealers, distribution, production and precursors hold their rates per step of dt days."""
    m = sims[dt].modules
    dealers, dist, prod, chain = m["dealers"], m["distribution"], m["production"], m["precursors"]
    yearly = dt / DAYS_PER_YEAR
    weekly = dt / DAYS_PER_WEEK
    assert dealers.p_quit == pytest.approx(-np.expm1(-dealers.pars.quit_rate * yearly),
                                           rel=1e-15)
    assert dealers.recruit_per_step == pytest.approx(dealers.pars.recruit_rate * weekly,
                                                     rel=1e-15)
    assert np.allclose(dealers.kg_per_dealer_step, dealers.pars.kg_per_dealer_week * weekly,
                       rtol=1e-15, atol=0)
    assert dist.branch_open_per_step == pytest.approx(dist.pars.branch_open_rate * yearly,
                                                      rel=1e-15)
    assert dist.franchise_open_per_step == pytest.approx(
        dist.pars.franchise_open_rate * yearly, rel=1e-15)
    # the price premium's yearly risk is 52 weekly steps (the fit's round year)
    assert dist.steps_per_risk_year == ROUND_WEEKS_PER_YEAR * DAYS_PER_WEEK / dt
    flow = prod.inputs.fitted.flow_kg_per_year
    assert np.allclose(prod.flow_kg_per_step, flow * yearly, rtol=1e-15, atol=0)
    assert chain._stock_steps == chain.pars.stock_weeks * DAYS_PER_WEEK / dt


@pytest.mark.parametrize("dt", [7, 14])
def test_people_rates_per_step(sims: dict[int, Sim], dt: int) -> None:
    """People's weekly hazards and care rates scale with the step; durations shrink."""
    people = sims[dt].modules["people"]
    p = people.pars
    weeks = dt / DAYS_PER_WEEK
    assert people._weeks_per_step == weeks
    rates, tolerance_steps = people._care_rates()
    assert tolerance_steps == round(p.tolerance_loss_weeks / weeks)
    # leaving treatment (index 6) and relapse from remission (index 8; the round 52-week year)
    assert rates[6] == pytest.approx(-np.expm1(-weeks / p.treatment_weeks), rel=1e-15)
    assert rates[8] == pytest.approx(
        -np.expm1(-p.relapse_rate / ROUND_WEEKS_PER_YEAR * weeks), rel=1e-15)


def test_weekly_step_is_the_hand_conversion_bit_for_bit(sims: dict[int, Sim]) -> None:
    """At the weekly step the conversions give the floats the packaged fit was run with."""
    m = sims[7].modules
    flow = m["production"].inputs.fitted.flow_kg_per_year
    assert np.array_equal(m["production"].flow_kg_per_step, flow * 7 / DAYS_PER_YEAR)
    p = m["people"].pars
    rates, tolerance_steps = m["people"]._care_rates()
    assert rates[6] == float(-np.expm1(-(1.0 / p.treatment_weeks) * (7 / DAYS_PER_WEEK)))
    assert rates[9] == float(-np.expm1(-(1.0 / p.incarceration_weeks) * (7 / DAYS_PER_WEEK)))
    assert tolerance_steps == round(p.tolerance_loss_weeks)
    assert m["distribution"].steps_per_risk_year == ROUND_WEEKS_PER_YEAR


def test_run_steps_counts_the_weekly_timeline() -> None:
    """The memory estimate's step count is the weekly timeline's, for any end date."""
    start = date(2015, 1, 1)
    for days in range(0, 800, 3):
        end = start + timedelta(days=days)
        assert run_steps(start, end) == Timeline(start, end).n_steps
    assert run_steps(start, start - timedelta(days=5)) == 1
