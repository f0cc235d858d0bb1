"""Simulated southwest-border seizures against CBP's, FY2019-FY2023 (issue 3 acceptance).

The targets are read here straight from the real CBP file with the csv module (not through
the atlas or the calibration code): per drug and fiscal year, the sum of 'Sum Qty (lbs)' x
0.45359237 over the 'Southwest Border' rows of both components (ports and Border Patrol);
and each field office's share of the ports' (Office of Field Operations) fentanyl seizures.
The fit was made with seed 1, so the test also holds a second seed to it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narcosim.core.sim import Sim
from narcosim.model.drugs import SUPPLY_DRUGS
from supply_fixtures import FISCAL_YEARS, default_run, inputs_for, read_cbp_southwest, supply_sim

TOTAL_TOL = 0.15  # the acceptance line: within +-15 % per drug and fiscal year
SHARE_TOL_PP = 10.0  # the acceptance line: within 10 percentage points
SEEDS = (1, 2024)


@pytest.fixture(scope="module")
def cbp(data_dir: Path):
    return read_cbp_southwest(data_dir)


@pytest.fixture(scope="module")
def runs(atlas_store: Path) -> dict[int, Sim]:
    """Seed 1: the default run; seed 2024: the same scenario up to the end of FY2023."""
    other = supply_sim(inputs_for(atlas_store), seed=2024, end="2023-09-30").run()
    return {1: default_run(atlas_store, 1), 2024: other}


def _fiscal_years(sim: Sim) -> np.ndarray:
    """Federal fiscal year of each step's first day (FY N runs October N-1 to September N)."""
    dates = pd.DatetimeIndex(sim.timeline.dates)
    return np.asarray(dates.year + (dates.month >= 10).astype(int))


def _offices(sim: Sim) -> tuple[str, ...]:
    return dict(sim.results["trafficking"].specs["seized_kg"].dims)["field_office"]


def test_cbp_file_read_independently(cbp) -> None:
    totals, ofo = cbp
    assert set(totals) == {(d, fy) for d in SUPPLY_DRUGS for fy in FISCAL_YEARS}
    # Methamphetamine dominates the southwest border by weight; fentanyl rose every year
    # FY2019-FY2023 (CBP Drug Seizure Statistics).
    for fy in FISCAL_YEARS:
        assert totals[("methamphetamine", fy)] > totals[("fentanyl", fy)]
    fent = [totals[("fentanyl", fy)] for fy in FISCAL_YEARS]
    assert fent == sorted(fent)
    assert set(ofo[("fentanyl", 2023)]) == {"SAN DIEGO FIELD OFFICE", "TUCSON FIELD OFFICE",
                                            "EL PASO FIELD OFFICE", "LAREDO FIELD OFFICE"}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("drug", SUPPLY_DRUGS)
def test_southwest_seizures_within_15_percent(runs, cbp, seed: int, drug: str) -> None:
    sim = runs[seed]
    totals, _ = cbp
    seized = sim.results["trafficking"]["seized_kg"].sum(axis=(2, 3))  # (steps, drugs)
    fys = _fiscal_years(sim)
    d = SUPPLY_DRUGS.index(drug)
    errors = {fy: float(seized[fys == fy, d].sum() / totals[(drug, fy)] - 1)
              for fy in FISCAL_YEARS}
    worst = max(errors.values(), key=abs)
    shown = ", ".join(f"FY{fy} {e:+.1%}" for fy, e in errors.items())
    assert abs(worst) <= TOTAL_TOL, f"seed {seed} {drug}: {shown}"


@pytest.mark.parametrize("seed", SEEDS)
def test_field_office_shares_of_port_fentanyl_within_10_points(runs, cbp, seed: int) -> None:
    sim = runs[seed]
    _, ofo = cbp
    offices = _offices(sim)
    ofo_kg = sim.results["trafficking"].sel("seized_kg", drug="fentanyl", component="OFO")
    fys = _fiscal_years(sim)
    gaps = {}
    for fy in FISCAL_YEARS:
        sim_fo = ofo_kg[fys == fy].sum(axis=0)
        assert sim_fo.sum() > 0
        cbp_fo = ofo[("fentanyl", fy)]
        cbp_total = sum(cbp_fo.values())
        for i, office in enumerate(offices):
            gaps[(fy, office)] = 100 * (sim_fo[i] / sim_fo.sum() - cbp_fo.get(office, 0.0)
                                        / cbp_total)
    assert set(offices) == set(ofo[("fentanyl", 2019)])
    worst = max(gaps, key=lambda k: abs(gaps[k]))
    assert abs(gaps[worst]) <= SHARE_TOL_PP, f"seed {seed}: worst {worst} {gaps[worst]:+.1f} pp"
