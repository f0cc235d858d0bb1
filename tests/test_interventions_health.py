"""Public-health levers lower expected overdose deaths (issue 5, item 2).

Each lever runs nationally over two years (2021-2022) with people at 1:1000, against the same
seed without it; common random numbers make the difference the lever's doing. Expected deaths
(the mean given each week's risks) are compared, so the draws' noise does not hide the effect.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from narcosim.core.sim import Sim
from narcosim.interventions import CONFIG_BY_KIND, PUBLIC_HEALTH, build_interventions
from narcosim.interventions.config import InterventionConfig, Target
from narcosim.model.builder import build_sim
from supply_fixtures import inputs_for

START, END = "2021-01-01", "2022-12-31"
WINDOW = ("2021-01-01", "2022-12-31")
SCALE = 1000
ALL, FENTANYL = 3, 0  # indices in the people module's DEATH_KEYS


def _run(store: Path, configs: tuple[InterventionConfig, ...] = ()) -> Sim:
    inputs = inputs_for(store)
    ivs = build_interventions(list(configs), inputs, {})
    return build_sim(inputs, seed=1, start=START, end=END, scale=SCALE, interventions=ivs).run()


@lru_cache(maxsize=1)
def _baseline(store: Path) -> Sim:
    return _run(store)


def _expected(sim: Sim) -> np.ndarray:
    """Expected deaths over the whole run, by (drug, state)."""
    return sim.results["people"]["expected_deaths"].sum(axis=0)


@pytest.mark.parametrize("kind", PUBLIC_HEALTH)
def test_public_health_lever_lowers_expected_deaths(atlas_store: Path, kind: str) -> None:
    config = CONFIG_BY_KIND[kind](start=WINDOW[0], end=WINDOW[1], annual_cost=50e6)
    base, arm = _baseline(atlas_store), _run(atlas_store, (config,))
    e_b, e_a = _expected(base), _expected(arm)
    averted = e_b[ALL].sum() - e_a[ALL].sum()
    note = (f"{kind}: expected deaths {e_b[ALL].sum():,.0f} -> {e_a[ALL].sum():,.0f} "
            f"({averted:,.0f} averted, {averted / e_b[ALL].sum():.1%})")
    assert averted > 0, note
    # Deaths averted somewhere, more lives saved than lost in most states.
    assert (e_a[ALL] < e_b[ALL]).sum() > (e_a[ALL] > e_b[ALL]).sum(), note
    cost = arm.results[f"intervention0_{kind}"]["cost_usd"].sum()
    assert cost == pytest.approx(50e6 * 2, rel=0.02)
    if kind in ("naloxone", "treatment", "test_strips"):
        # These act on this week's risk: the effect shows at once and is not tiny.
        assert averted > 0.01 * e_b[ALL].sum(), note
    if kind == "test_strips":
        assert e_a[FENTANYL].sum() < e_b[FENTANYL].sum(), note


def test_naloxone_in_two_states_saves_lives_there(atlas_store: Path) -> None:
    world = inputs_for(atlas_store).world
    targeted = np.isin(np.array(world.states), ["OH", "WV"])
    config: InterventionConfig = CONFIG_BY_KIND["naloxone"](
        start=WINDOW[0], end=WINDOW[1], intensity=2.0, target=Target(states=["OH", "WV"]))
    base, arm = _baseline(atlas_store), _run(atlas_store, (config,))
    e_b, e_a = _expected(base)[ALL], _expected(arm)[ALL]
    assert np.all(e_a[targeted] < e_b[targeted]), (e_b[targeted], e_a[targeted])
    reversals_b = base.results["people"]["reversals"].sum(axis=0)
    reversals_a = arm.results["people"]["reversals"].sum(axis=0)
    assert reversals_a[targeted].sum() > reversals_b[targeted].sum()
