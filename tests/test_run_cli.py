"""``narcosim run``: one-line errors with exit 2, the run folder from the CLI, and the real default.

The machinery tests swap the default scenario for the toy sim of ``test_run_folder`` so they
take a second; ``test_default_run_end_to_end`` runs the real default scenario (2015-2026,
1:100) on the real data and checks the run folder against the data files and itself.
"""

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import narcosim.cli.run_cmd as run_cmd  # registers `run` until the entry point imports it
from narcosim.cli import main
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.run import MANIFEST, RESULTS, SUMMARY, partial_path, read_run_folder
from narcosim.run.manifest import jsonable
from test_run_folder import assert_same_results, toy_sim, toy_summary


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", *[str(a) for a in args]])
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


@pytest.fixture
def toy(monkeypatch):
    """Make `narcosim run` build the toy sim; record the sims it built."""
    built = []

    def build(atlas, *, seed, scale):
        built.append(toy_sim(seed))
        return built[-1]

    monkeypatch.setattr(run_cmd, "build_default_sim", build)
    monkeypatch.setattr(run_cmd, "run_summary", toy_summary)
    return built


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("args, fragments", [
    (["--seed", "-1"], ["--seed -1", "non-negative"]),
    (["--scale", "0"], ["--scale 0", ">= 1"]),
    (["--scale", "-100"], ["--scale -100"]),
    (["baseline"], ["unknown scenario 'baseline'", "'default'"]),
])
def test_bad_arguments_give_one_line_and_exit_2(args, fragments, tmp_path, atlas_store, toy,
                                                capsys):
    out = tmp_path / "run"
    code, _, err = run_cli([*args, "--out", out, "--store", atlas_store], capsys)
    assert_one_line_error(code, err, *fragments)
    assert not out.exists() and not partial_path(out).exists()
    assert toy == []  # nothing was built


def test_out_pointing_at_a_file_or_missing_store_exit_2(tmp_path, atlas_store, toy, capsys):
    a_file = tmp_path / "results.csv"
    a_file.write_text("keep me")
    code, _, err = run_cli(["--out", a_file, "--store", atlas_store], capsys)
    assert_one_line_error(code, err, str(a_file), "is a file")
    assert a_file.read_text() == "keep me"
    code, _, err = run_cli(["--out", tmp_path / "run", "--store", tmp_path / "none.duckdb"],
                           capsys)
    assert_one_line_error(code, err, "no atlas store at", "none.duckdb")
    assert not (tmp_path / "run").exists()


def test_cli_writes_folder_refuses_overwrite_and_forces(tmp_path, atlas_store, toy, capsys):
    out = tmp_path / "run"
    code, stdout, err = run_cli(["--seed", 4, "--out", out, "--store", atlas_store], capsys)
    assert code == 0, err
    assert f"wrote run folder {out}" in stdout
    assert "Run summary" in stdout and "deaths by fiscal year" in stdout
    folder = read_run_folder(out)
    sim = toy[-1]
    assert folder.manifest["seed"] == 4 and folder.manifest["scale"] == 100
    assert folder.manifest["command"][:4] == ["narcosim", "run", "default", "--seed"]
    assert folder.manifest["data"]["store"] == str(atlas_store.resolve())
    assert folder.manifest["parameters"] == jsonable(sim.pars())
    assert_same_results(folder.results(), sim.results.to_frame())
    before = (out / MANIFEST).read_bytes()

    code, _, err = run_cli(["--seed", 5, "--out", out, "--store", atlas_store], capsys)
    assert_one_line_error(code, err, "already holds a run", "--force")
    assert (out / MANIFEST).read_bytes() == before and len(toy) == 1

    code, _, err = run_cli(["--seed", 5, "--out", out, "--store", atlas_store, "--force"],
                           capsys)
    assert code == 0, err
    assert read_run_folder(out).manifest["seed"] == 5


def test_default_out_is_runs_timestamp_seed(tmp_path, atlas_store, toy, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(["--seed", 9, "--store", atlas_store], capsys)
    assert code == 0, err
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.endswith("Z-seed9") and len(folder.name) == len("20261128T094712Z-seed9")
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST, RESULTS, SUMMARY]


def fiscal_year(dates: pd.Series) -> pd.Series:
    """US fiscal year of each date (FY2020 = 1 Oct 2019 - 30 Sep 2020)."""
    return dates.dt.year + (dates.dt.month >= 10).astype(int)


def test_default_run_end_to_end(tmp_path, atlas_store, data_dir, capsys, monkeypatch):
    """The real default scenario: summary, results and manifest agree with each other and data."""
    built = []
    real_build = run_cmd.build_default_sim

    def build(atlas, *, seed, scale):
        built.append(real_build(atlas, seed=seed, scale=scale))
        return built[-1]

    monkeypatch.setattr(run_cmd, "build_default_sim", build)
    out = tmp_path / "run"
    code, stdout, err = run_cli(["--seed", 1, "--out", out, "--store", atlas_store], capsys)
    assert code == 0, err
    assert "seized kg by fiscal year" in stdout
    folder = read_run_folder(out)
    assert folder.verify() == []
    sim = built[0]
    m = folder.manifest
    assert (m["scenario"], m["seed"], m["scale"]) == ("default", 1, 100)
    assert m["timeline"]["n_steps"] == sim.timeline.n_steps > 600  # 2015-2026, weekly
    assert m["timeline"]["first_step"].startswith("2015-01")
    assert m["timeline"]["last_step"].startswith("2026-12")
    assert m["parameters"] == json.loads(json.dumps(jsonable(sim.pars())))
    for info in m["data"]["files"]:
        digest = hashlib.sha256((data_dir / info["file"]).read_bytes()).hexdigest()
        assert info["sha256"] == digest, info["file"]

    results = folder.results()
    assert_same_results(results, sim.results.to_frame())
    seized = results[(results["module"] == "trafficking") & (results["metric"] == "seized_kg")]
    # day by day (a week across 1 October counts in each fiscal year by its days there)
    days = (np.repeat(seized["date"].to_numpy(), 7)
            + np.tile(np.arange(7), len(seized)) * np.timedelta64(1, "D"))
    daily = seized.loc[seized.index.repeat(7)].assign(
        date=days, value=np.repeat(seized["value"].to_numpy(), 7) / 7)
    by_fy = daily.groupby([daily["drug"], fiscal_year(daily["date"])])["value"].sum()
    summary_seized = folder.summary["seized_kg_by_fiscal_year"]
    assert sorted(summary_seized) == sorted(SUPPLY_DRUGS)
    for drug, years in summary_seized.items():
        assert {"2019", "2020", "2021", "2022", "2023"} <= set(years)
        for fy, kg in years.items():
            assert kg > 0
            assert kg == pytest.approx(by_fy[(drug, int(fy))], rel=1e-9), (drug, fy)
    # negative control: a fiscal year's total is not the next one's
    fent = summary_seized["fentanyl"]
    assert not np.isclose(fent["2022"], by_fy[("fentanyl", 2023)], rtol=1e-6)
    assert Path(out / SUMMARY).stat().st_size > 0 and not partial_path(out).exists()
