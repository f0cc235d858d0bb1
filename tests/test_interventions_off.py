"""An intervention that is switched off changes nothing, bit for bit (issue 5 acceptance).

For every kind of lever: intensity 0 over a window inside the run, and intensity 1 with dates
after the run, each give results identical to the baseline's (every module's results frame,
the intervention's own rows left out). Common random numbers make this possible: each
decision draws from its own stream, so a module that is present but idle shifts no draw.
As a negative control, each kind switched on over the same window does change the results.
Same seed twice gives the same results; another seed does not.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from narcosim.core.sim import Sim
from narcosim.interventions import CONFIG_BY_KIND, KINDS, PUBLIC_HEALTH, build_interventions
from narcosim.interventions.config import InterventionConfig, Target
from narcosim.model.builder import build_sim
from supply_fixtures import inputs_for

START, END = "2021-01-01", "2021-12-31"
#: People at 1:1000 are enough to see public-health levers; supply-only for the rest.
PEOPLE_SCALE = 1000
#: One config per kind, on targets that exist in the real data.
EXTRA: dict[str, dict[str, Any]] = {
    "border_surge": {"target": Target(field_offices=["TUCSON FIELD OFFICE"])},
    "hub_takedown": {"target": Target(hubs=["Phoenix"])},
    "dealer_operation": {"investigations": 1436, "target": Target(states=["CA", "AZ", "TX"])},
    "precursor_control": {"target": Target(faction="sinaloa.guano")},
    "precursor_source_control": {"source": "china"},
    "aml_channel": {"channel": "chinese_mlo", "target": Target(faction="sinaloa.mayo")},
    "demand_reduction_abroad": {"region": "oceania"},
    "firearms_interdiction": {"source_states": ["TX", "AZ"]},
    "anti_money_laundering": {"target": Target(cartel="cjng")},
    "leader_removal": {"release_probability": 0.0, "target": Target(faction="sinaloa.mayo")},
    "naloxone": {"target": Target(states=["OH", "WV"])},
    "treatment": {},
    "test_strips": {},
    "prevention": {},
}


def _config(kind: str, intensity: float, start: str, end: str) -> InterventionConfig:
    return CONFIG_BY_KIND[kind](start=start, end=end, intensity=intensity, annual_cost=1e6,
                                **EXTRA[kind])


def _run(store: Path, kind: str, configs: list[InterventionConfig], seed: int = 1) -> Sim:
    inputs = inputs_for(store)
    people = kind in PUBLIC_HEALTH
    ivs = build_interventions(configs, inputs, {})
    return build_sim(inputs, seed=seed, start=START, end=END, people=people,
                     scale=PEOPLE_SCALE if people else 100, interventions=ivs).run()


def _frame(sim: Sim) -> pd.DataFrame:
    """Every result except the interventions' own (cost, activity, tallies)."""
    frame = sim.results.to_frame()
    return frame[~frame["module"].str.startswith("intervention")].reset_index(drop=True)


@lru_cache(maxsize=2)
def _baseline(store: Path, people: bool) -> pd.DataFrame:
    return _frame(_run(store, "naloxone" if people else "border_surge", []))


def test_every_kind_is_covered() -> None:
    assert set(EXTRA) == set(KINDS) == set(CONFIG_BY_KIND)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_switched_off_is_bit_identical_to_the_baseline(atlas_store: Path, kind: str) -> None:
    base = _baseline(atlas_store, kind in PUBLIC_HEALTH)
    zero = _run(atlas_store, kind, [_config(kind, 0.0, "2021-03-01", "2021-10-31")])
    later = _run(atlas_store, kind, [_config(kind, 1.0, "2030-01-01", "2031-12-31")])
    for label, sim in (("intensity 0", zero), ("dates after the run", later)):
        pd.testing.assert_frame_equal(_frame(sim), base, check_exact=True, obj=f"{kind} {label}")
        (iv,) = [m for m in sim.modules.values() if m.name.startswith("intervention")]
        assert sim.results[iv.name]["cost_usd"].sum() == 0.0, label
        assert sim.results[iv.name]["active"].sum() == 0, label


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_switched_on_changes_the_results(atlas_store: Path, kind: str) -> None:
    """Negative control: the same config at intensity 1 does move the results, and costs."""
    base = _baseline(atlas_store, kind in PUBLIC_HEALTH)
    sim = _run(atlas_store, kind, [_config(kind, 1.0, "2021-03-01", "2021-10-31")])
    frame = _frame(sim)
    assert frame[["date", "module", "metric"]].equals(base[["date", "module", "metric"]])
    changed = frame["value"].ne(base["value"]) & ~(frame["value"].isna() & base["value"].isna())
    assert changed.any(), f"{kind} at intensity 1 changed nothing"
    (iv,) = [m for m in sim.modules.values() if m.name.startswith("intervention")]
    cost = sim.results[iv.name]["cost_usd"]
    weeks = int(sim.results[iv.name]["active"].sum())
    assert 30 <= weeks <= 36  # 1 March - 31 October, weekly steps
    assert cost.sum() == pytest.approx(1e6 * weeks * 7 / 365.25, rel=1e-12)


def test_same_seed_same_results_other_seed_differs(atlas_store: Path) -> None:
    configs = [_config("dealer_operation", 1.0, "2021-03-01", "2021-10-31"),
               _config("border_surge", 1.0, "2021-03-01", "2021-10-31")]
    a = _run(atlas_store, "dealer_operation", configs).results.to_frame()
    b = _run(atlas_store, "dealer_operation", configs).results.to_frame()
    c = _run(atlas_store, "dealer_operation", configs, seed=2).results.to_frame()
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert not a["value"].fillna(-1).equals(c["value"].fillna(-1))
