"""A target is never an input: CDC deaths from 2016 on do not reach any part of a run.

The test doubles CDC's 2016-onward death counts (annual file and monthly fentanyl file) for
several states and for the United States in a copy of the real data, imports the copy into
its own store, and runs the default model with the same seed and the same packaged
parameters: every result of every module must be bit-identical to the run on the real data.
A negative control doubles the same states' 2015 counts (an initial condition the model may
use) and must change the results, so the comparison can fail.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest

from narcosim.atlas.store import Atlas, import_data
from narcosim.model.builder import build_sim, load_inputs

ANNUAL = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
MONTHLY = "cdc_vsrr_synthetic_opioids_T40.4_12mo_ending_monthly_2015_2023.csv"
STATES = ("United States", "Ohio", "West Virginia", "California", "Arizona", "New York",
          "New York City", "Florida")
ABBRS = ("US", "OH", "WV", "CA", "AZ", "NY", "FL")


def _double(path: Path, year_col: str, state_col: str, value_cols: tuple[str, ...],
            states: tuple[str, ...], years: range) -> int:
    """Double the numbers in ``value_cols`` of the rows for ``states`` and ``years``."""
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames
        rows = list(reader)
    changed = 0
    for row in rows:
        if row.get("Indicator", "").startswith("Percent"):
            continue  # a percentage, not a count
        if row[state_col] in states and int(row[year_col]) in years:
            for col in value_cols:
                if row[col] not in ("", None):
                    row[col] = repr(float(row[col]) * 2)
                    changed += 1
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return changed


def _store(data_dir: Path, tmp: Path, years: range) -> Path:
    copy = tmp / "data"
    shutil.copytree(data_dir, copy)
    n = _double(copy / ANNUAL, "Year", "State Name", ("Total Deaths",), STATES, years)
    n += _double(copy / MONTHLY, "year", "state", ("data_value", "predicted_value"), ABBRS,
                 years)
    assert n > 100, "the perturbation must touch many cells"
    store = tmp / "atlas.duckdb"
    import_data(copy, store)
    return store


def _results(store: Path) -> dict[str, np.ndarray]:
    sim = build_sim(load_inputs(Atlas.open(store)), seed=1, scale=1000).run()
    return {f"{m}.{k}": np.asarray(sim.results[m][k]) for m in sim.results
            for k in sim.results[m].specs}


@pytest.fixture(scope="module")
def real_results(atlas_store: Path) -> dict[str, np.ndarray]:
    return _results(atlas_store)


def test_doubling_deaths_from_2016_on_leaves_every_result_bit_identical(
        real_results, data_dir: Path, tmp_path: Path) -> None:
    store = _store(data_dir, tmp_path, range(2016, 2100))
    deaths = Atlas.open(store).table("overdose_deaths")
    us = deaths[(deaths["state_abbr"] == "US") & (deaths["drug"] == "fentanyl")]
    assert us.set_index("year").loc[2022, "deaths"] == 2 * 74829  # the copy is perturbed
    perturbed = _results(store)
    assert perturbed.keys() == real_results.keys()
    differ = [k for k in real_results if not np.array_equal(real_results[k], perturbed[k],
                                                            equal_nan=True)]
    assert differ == [], f"results that moved with 2016+ deaths: {differ}"
    assert real_results["people.expected_deaths"].sum() > 1e6  # deaths were simulated


def test_doubling_2015_deaths_an_initial_condition_changes_the_run(
        real_results, data_dir: Path, tmp_path: Path) -> None:
    perturbed = _results(_store(data_dir, tmp_path, range(2015, 2016)))
    assert not np.array_equal(real_results["people.expected_deaths"],
                              perturbed["people.expected_deaths"])
