"""The saved people fit against CDC's file, through `narcosim calibrate --report`.

Acceptance (issue 8, fitted with no death input after 2015): national annual deaths
2015–2023 with MAPE <= 10% for fentanyl, methamphetamine, cocaine and all drugs; pooled
state-year R² of per-capita rates above the population-share baseline (every state at the
nation's rate) for fentanyl and all drugs. The CDC numbers are read here with the csv module,
independently of the atlas.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from narcosim.atlas.store import Atlas
from narcosim.calibrate.deaths import (
    annual_deaths,
    death_targets,
    fit_table,
    people_sim,
    record_market,
)
from narcosim.model.builder import load_inputs
from narcosim.model.fitted_people import FittedPeople

YEARS = tuple(range(2015, 2024))
INDICATORS = {
    "fentanyl": "Synthetic opioids, excl. methadone (T40.4)",
    "methamphetamine": "Psychostimulants with abuse potential (T43.6)",
    "cocaine": "Cocaine (T40.5)",
    "all_drugs": "Number of Drug Overdose Deaths",
}


def cdc_from_csv(data_dir: Path, states: tuple[str, ...]) -> tuple[dict, dict]:
    """National (drug, year) and state (drug, year, abbr) counts; NY = NY + NYC; blanks left out."""
    names = {}
    with open(data_dir / "state_reference.csv", newline="") as f:
        for row in csv.DictReader(f):
            names[row["state_name"]] = row["state_abbr"]
    names["New York City"] = "NY"
    by_indicator = {v: k for k, v in INDICATORS.items()}
    national, by_state, parts = {}, {}, {}
    path = data_dir / "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            drug = by_indicator.get(row["Indicator"])
            year = int(row["Year"])
            if drug is None or year not in YEARS or row["Total Deaths"] == "":
                continue
            value = float(row["Total Deaths"])
            if row["State Name"] == "United States":
                national[(drug, year)] = value
            elif row["State Name"] in names:
                key = (drug, year, names[row["State Name"]])
                by_state[key] = by_state.get(key, 0.0) + value
                parts[key] = parts.get(key, 0) + 1
    # New York is New York State plus New York City: with either part withheld it is unknown
    by_state = {k: v for k, v in by_state.items() if k[2] != "NY" or parts[k] == 2}
    return national, {k: v for k, v in by_state.items() if k[2] in states}


@pytest.fixture(scope="module")
def fitted_run(atlas_store: Path):
    """The packaged fit run at the report's default: scale 1:100, seed 1, expected deaths."""
    atlas = Atlas.open(atlas_store)
    inputs = load_inputs(atlas)
    sold = record_market(inputs, 1, "2023-12-31")
    sim = people_sim(inputs, sold, seed=1, scale=100, end="2023-12-31",
                     pars=FittedPeople.load().pars).run()
    targets = death_targets(atlas, inputs.world.states)
    return inputs, sim, targets


def _r2(pred: np.ndarray, obs: np.ndarray) -> float:
    return float(1 - ((pred - obs) ** 2).sum() / ((obs - obs.mean()) ** 2).sum())


def test_national_mape_and_state_rates_beat_population_share(fitted_run, data_dir: Path) -> None:
    inputs, sim, targets = fitted_run
    sim_annual = annual_deaths(sim, YEARS)  # (drugs, years, states)
    national, by_state = cdc_from_csv(data_dir, inputs.world.states)
    pop = np.asarray(inputs.world.population, dtype=float)
    report = {}
    for d, drug in enumerate(targets.drugs):
        sim_nat = sim_annual[d].sum(axis=1)
        mape = np.mean([abs(sim_nat[y] / national[(drug, year)] - 1)
                        for y, year in enumerate(YEARS)])
        rows = [(sim_annual[d, y, s] / pop[y, s], by_state[(drug, year, abbr)] / pop[y, s],
                 national[(drug, year)] / pop[y].sum())
                for y, year in enumerate(YEARS) for s, abbr in enumerate(inputs.world.states)
                if (drug, year, abbr) in by_state]
        model, obs, flat = (np.array(c) * 1e5 for c in zip(*rows, strict=True))
        report[drug] = (mape, _r2(model, obs), _r2(flat, obs))
    text = "; ".join(f"{k}: MAPE {m:.1%}, rate R2 {r:.3f} (population share {b:.3f})"
                     for k, (m, r, b) in report.items())
    # the acceptance bound: 10% per drug (methamphetamine reaches it with the cited growth of
    # the people who use it, Han et al. 2021; 8.8% in the packaged fit, seed 1)
    for drug, (mape, _, _) in report.items():
        assert mape <= 0.10, f"{drug} national MAPE above bound: {text}"
    for drug in ("fentanyl", "all_drugs"):
        assert report[drug][1] > report[drug][2] + 0.1, text
    # the library's fit table says the same (same definitions)
    table = fit_table(sim_annual, targets).set_index("drug")
    for drug, (mape, _, _) in report.items():
        assert table.loc[drug, "mape"] == pytest.approx(mape, rel=1e-9)


def test_report_command_prints_the_fit_table(atlas_store: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "narcosim", "calibrate", "--report", "--store", str(atlas_store)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    for drug in INDICATORS:
        assert drug in proc.stdout
    assert "national MAPE" in proc.stdout and "state-year R²" in proc.stdout


@pytest.mark.parametrize(("args", "needle"), [
    (["--years", "2010-2023"], "no CDC deaths for year 2010"),
    (["--drugs", "heroin"], "unknown drug key 'heroin'"),
    (["--years", "twenty"], "--years 'twenty'"),
])
def test_bad_calibration_targets_are_one_line_exit_2(atlas_store: Path, args, needle) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "narcosim", "calibrate", "--report", "--store", str(atlas_store),
         *args], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_backtest_prints_2022_and_2023_for_every_drug(atlas_store: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "narcosim", "calibrate", "--backtest", "--trials", "2",
         "--store", str(atlas_store)], capture_output=True, text=True, timeout=900,
        env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if "│ 2022 │" in line or "│ 2023 │" in line]
    assert len(rows) == 2 * len(INDICATORS), proc.stdout
