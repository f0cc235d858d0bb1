"""Umbrella vs franchise under disruption (issue 3 acceptance).

* Sinaloa (umbrella): with El Guano's faction removed, the other factions still cross at
  Nogales (port 2604), a crossing only El Guano owns among them, because the umbrella
  shares routes; with sharing switched off (the negative control) none of them crosses there.
* CJNG (franchise): with its central command removed from 2016, new franchises open more
  slowly, while the franchises it already had go on selling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narcosim.atlas.store import Atlas
from narcosim.core.sim import Sim
from narcosim.model.builder import load_inputs
from narcosim.model.distribution import INITIAL_STATES
from narcosim.model.inputs import SupplyInputs
from narcosim.orgs.structure import OrgStructure
from supply_fixtures import Recorder, inputs_for, supply_sim, with_modules

NOGALES = "2604"
SINALOA_OTHERS = ("sinaloa.chapitos", "sinaloa.mayo", "sinaloa.caro_quintero")


def test_nogales_is_el_guanos_alone_among_sinaloa_factions() -> None:
    structure = OrgStructure.default()
    owners = [k for k, op in structure.operators.items() if NOGALES in op.own_ports]
    assert owners == ["sinaloa.guano"]


def _nogales_kg(inputs: SupplyInputs) -> dict[str, float]:
    sim = supply_sim(inputs, seed=1, start="2019-01-01", end="2019-12-31").run()
    ports = [p.code for p in inputs.world.ports]
    kg = sim.results["trafficking"]["operator_port_kg"][:, :, ports.index(NOGALES)].sum(axis=0)
    return dict(zip(inputs.structure.operator_keys, kg.tolist(), strict=True))


@pytest.fixture(scope="module")
def atlas(atlas_store: Path) -> Atlas:
    return Atlas.open(atlas_store)


def test_removed_faction_routes_stay_usable_by_the_umbrella(atlas: Atlas) -> None:
    structure = OrgStructure.default().without("sinaloa.guano")
    kg = _nogales_kg(load_inputs(atlas, structure=structure))
    assert kg["sinaloa.guano"] == 0.0  # the removed faction ships nothing
    for faction in SINALOA_OTHERS:
        assert kg[faction] > 100.0, f"{faction} sent {kg[faction]:.1f} kg through Nogales"


def test_without_sharing_no_faction_crosses_at_the_removed_factions_port(atlas: Atlas) -> None:
    structure = OrgStructure.default().without("sinaloa.guano").with_sharing(
        "sinaloa", frozenset())
    kg = _nogales_kg(load_inputs(atlas, structure=structure))
    for faction in (*SINALOA_OTHERS, "sinaloa.guano"):
        assert kg[faction] == 0.0


# --- CJNG: removing the centre -----------------------------------------------------------

CJNG_SEEDS = (1, 2, 3)
CENTRE_OUT = {"distribution": {"centre_removed_from": 2016.0}}
END = "2020-12-31"


def _cjng_run(inputs: SupplyInputs, seed: int, pars) -> tuple[Sim, np.ndarray]:
    """A 2015-2020 run recording the CJNG operator's weekly sales by state."""
    cjng = inputs.structure.operator_keys.index("cjng.command")
    rec = Recorder({"sold": lambda sim: sim.modules["distribution"].sold[cjng].sum(axis=0)})
    sim = with_modules(supply_sim(inputs, seed=seed, end=END, pars=pars), after=[rec]).run()
    return sim, np.array(rec.log["sold"])  # (steps, states)


@pytest.fixture(scope="module")
def cjng_runs(atlas_store: Path):
    inputs = inputs_for(atlas_store)
    return inputs, {(seed, out): _cjng_run(inputs, seed, CENTRE_OUT if out else None)
                    for seed in CJNG_SEEDS for out in (False, True)}


def _presence(sim: Sim, cartel: str) -> np.ndarray:
    r = sim.results["distribution"]
    return r["presence"][:, dict(r.specs["presence"].dims)["cartel"].index(cartel)] > 0


def test_removing_cjngs_centre_slows_new_franchises(cjng_runs) -> None:
    _, runs = cjng_runs
    counts = {}
    for seed in CJNG_SEEDS:
        base, out = _presence(runs[(seed, False)][0], "cjng"), _presence(runs[(seed, True)][0],
                                                                          "cjng")
        # Same random numbers, lower opening hazard: never a franchise the baseline lacks.
        assert np.all(out <= base)
        counts[seed] = (int(base[-1].sum()), int(out[-1].sum()))
        # Sinaloa's branches do not depend on CJNG's centre.
        np.testing.assert_array_equal(_presence(runs[(seed, False)][0], "sinaloa"),
                                      _presence(runs[(seed, True)][0], "sinaloa"))
    mean_base = np.mean([b for b, _ in counts.values()])
    mean_out = np.mean([o for _, o in counts.values()])
    assert mean_out < mean_base - 3, f"CJNG states by 2020 (baseline, centre out): {counts}"


def test_existing_franchises_go_on_without_the_centre(cjng_runs) -> None:
    inputs, runs = cjng_runs
    initial = np.isin(np.array(inputs.world.states), INITIAL_STATES)
    assert initial.sum() == len(INITIAL_STATES)
    for seed in CJNG_SEEDS:
        sim, sold_out = runs[(seed, True)]
        _, sold_base = runs[(seed, False)]
        year_2020 = sim.timeline.years == 2020
        # Every initial franchise sells every week of 2020 ...
        assert np.all(sold_out[year_2020][:, initial] > 0)
        # ... about as much as with the centre (what it cannot sell in new states stays in
        # the old ones, so not less; not more than half again).
        ratio = sold_out[year_2020][:, initial].sum(axis=0) / \
            sold_base[year_2020][:, initial].sum(axis=0)
        assert np.all(ratio >= 0.9) and np.all(ratio <= 1.5), f"seed {seed}: {ratio.round(3)}"
        # CJNG's total sales hardly change: the same product reaches the market.
        total = sold_out.sum() / sold_base.sum()
        assert total == pytest.approx(1.0, abs=0.02)
