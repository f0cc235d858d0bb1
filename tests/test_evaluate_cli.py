"""``narcosim evaluate``: rolling-origin forecasts end to end, resume, and bad input.

A tiny evaluation (one origin, two trials, 1:10,000) runs through the command line; the
forecasts are checked against CDC's file read with the csv module, the baselines against
their definitions, and a rerun must resume without recomputing. Origins the data cannot
score, and a store with fewer years than a fit needs, are one line and exit 2.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narcosim.analysis.scoring import QUANTILES, quantile_column
from narcosim.atlas.store import import_data
from narcosim.calibrate.evaluate import state_folds

ANNUAL = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
TINY = ["--origins", "2019", "--trials", "2", "--scale", "10000", "--forecast-scale", "5000",
        "--folds", "2", "--workers", "1"]
MODELS = {"narcosim", "narcosim free-running", "persistence", "trend", "population share"}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "narcosim", *args], capture_output=True,
                          text=True, timeout=900, env={**os.environ, "COLUMNS": "200"})


def _us(data_dir: Path, indicator: str) -> dict[int, float]:
    with (data_dir / ANNUAL).open(newline="") as f:
        return {int(r["Year"]): float(r["Total Deaths"]) for r in csv.DictReader(f)
                if r["State Name"] == "United States" and r["Indicator"] == indicator}


@pytest.fixture(scope="module")
def tiny(atlas_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("evaluation") / "ev"
    proc = _cli("evaluate", *TINY, "--out", str(out), "--store", str(atlas_store))
    assert proc.returncode == 0, proc.stderr
    assert "relative WIS" in proc.stdout or "rel. WIS" in proc.stdout
    return out


def test_tiny_evaluation_writes_forecasts_scores_and_page(tiny: Path, data_dir: Path) -> None:
    for name in ("settings.json", "origin-2019.parquet", "origin-2019.json", "leave-out.json",
                 "forecasts.parquet", "scores.csv", "evaluation.json", "evaluation.html"):
        assert (tiny / name).exists(), name
    f = pd.read_parquet(tiny / "forecasts.parquet")
    assert set(f["model"]) == MODELS
    assert set(f["horizon"]) == {1, 2} and set(f["origin"]) == {2019}
    q = f[[quantile_column(x) for x in QUANTILES]].to_numpy()
    ok = np.isfinite(q).all(axis=1)
    assert ok.mean() > 0.8 and (np.diff(q[ok], axis=1) >= 0).all()
    # observed values are CDC's, read independently
    fent = _us(data_dir, "Synthetic opioids, excl. methadone (T40.4)")
    nat = f[(f["location"] == "US") & (f["drug"] == "fentanyl") & (f["model"] == "narcosim")]
    assert dict(zip(nat["horizon"], nat["observed"], strict=True)) == {1: fent[2020],
                                                                       2: fent[2021]}
    # persistence's median is the origin's value; the national model anchors there too
    per = f[(f["location"] == "US") & (f["drug"] == "fentanyl") & (f["model"] == "persistence")]
    assert (per["q0.5"] == fent[2019]).all()
    scores = pd.read_csv(tiny / "scores.csv")
    assert (scores[scores["model"] == "persistence"]["relative_wis"] == 1.0).all()
    assert {"mean_wis", "coverage_50", "coverage_90"} <= set(scores.columns)
    leave = json.loads((tiny / "leave-out.json").read_text())
    # two folds: every state held out once, each fold's R² beside the pooled one
    assert len(leave["folds"]) == 2 and len(leave["states"]) == 51
    assert sorted(s for f in leave["folds"] for s in f["states"]) == sorted(leave["states"])
    assert {r["drug"] for r in leave["r2"]} >= {"fentanyl"}
    pooled = {r["drug"]: r for r in leave["r2"]}
    assert pooled["fentanyl"]["state_years"] > 300
    page = (tiny / "evaluation.html").read_text()
    assert "Out-of-sample evaluation" in page and "relative WIS" in page


def test_rerun_resumes_and_other_settings_are_refused(tiny: Path, atlas_store: Path) -> None:
    before = (tiny / "origin-2019.parquet").stat().st_mtime_ns
    proc = _cli("evaluate", *TINY, "--out", str(tiny), "--store", str(atlas_store))
    assert proc.returncode == 0, proc.stderr
    assert (tiny / "origin-2019.parquet").stat().st_mtime_ns == before
    other = [*TINY]
    other[other.index("--trials") + 1] = "3"
    proc = _cli("evaluate", *other, "--out", str(tiny), "--store", str(atlas_store))
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "other settings" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("origins", "needle"), [
    ("2022", "past the last CDC year in the store (2023)"),
    ("2016", "fewer than 3 fit years"),
    ("20x8", "--origins '20x8'"),
])
def test_origins_outside_the_data_are_one_line_exit_2(atlas_store: Path, tmp_path: Path,
                                                      origins: str, needle: str) -> None:
    proc = _cli("evaluate", "--origins", origins, "--out", str(tmp_path / "ev"),
                "--store", str(atlas_store))
    assert proc.returncode == 2, proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert not (tmp_path / "ev").exists()


def test_bad_fold_counts_are_one_line_exit_2(atlas_store: Path, tmp_path: Path) -> None:
    for folds in ("1", "11", "-2"):
        proc = _cli("evaluate", "--origins", "2019", "--folds", folds, "--out",
                    str(tmp_path / "ev"), "--store", str(atlas_store))
        assert proc.returncode == 2, proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "folds must be 0 (skip) or 2–10" in lines[0], proc.stderr
        assert not (tmp_path / "ev").exists()


def test_folds_hold_every_state_out_once_and_follow_the_seed() -> None:
    states = [f"S{i:02d}" for i in range(51)]
    folds = state_folds(states, 5, seed=1)
    assert sorted(s for f in folds for s in f) == states
    assert sorted(len(f) for f in folds) == [10, 10, 10, 10, 11]
    assert state_folds(states, 5, seed=1) == folds and state_folds(states, 5, seed=2) != folds


def test_a_store_with_too_few_years_is_one_line_exit_2(data_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    with (copy / ANNUAL).open(newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = reader.fieldnames, [r for r in reader if int(r["Year"]) <= 2016]
    with (copy / ANNUAL).open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    store = tmp_path / "atlas.duckdb"
    import_data(copy, store)
    for args, needle in ((["calibrate", "--trials", "1"], "needs at least 3 years"),
                         (["evaluate", "--origins", "2016", "--out", str(tmp_path / "ev")],
                          "fewer than 3 fit years")):
        proc = _cli(*args, "--store", str(store))
        assert proc.returncode == 2, proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], proc.stderr
