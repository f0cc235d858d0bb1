"""Run folders from a toy sim: contents true to the sim and the data, atomic, never overwritten.

The toy sim is built from ``narcosim.core`` only, so these tests check the run machinery
whatever the supply model does; ``test_run_cli.py`` runs the real default scenario.
"""

import hashlib
import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

import narcosim
from narcosim.atlas.provenance import TABLE_PROVENANCE
from narcosim.core import Agents, Module, ParamSpec, Rate, Sim, Timeline
from narcosim.errors import ParameterError, StoreError
from narcosim.run import (
    MANIFEST,
    RESULTS,
    SUMMARY,
    check_run_args,
    data_provenance,
    default_out_dir,
    execute_run,
    partial_path,
    read_run_folder,
)
from narcosim.run.manifest import jsonable


class Toy(Module):
    """People who die at a rate, with deaths by parity and a per-state array parameter."""

    name = "toy"
    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("n_agents", 500, "people", low=0, kind="int", source="guess: toy size"),
        ParamSpec("death_rate", 0.2, "per year", low=0, source="guess: toy rate"),
        ParamSpec("weights", [1.0, 2.0], "", low=0, kind="array", source="guess: toy weights"),
    ]

    def init_pre(self, sim):
        self.people = Agents({"died": (np.int64, -1)}, name="people")
        self.die = self.stream("die")
        self.results.define("alive", units="people")
        self.results.define("deaths", dims={"parity": ["even", "odd"]}, units="people")

    def init_post(self):
        self.people.add(self.pars.n_agents)

    def step(self):
        ti = self.sim.ti
        p = Rate(self.pars.death_rate, per="year").prob_per_step(self.sim.dt_days)
        slots = self.people.alive_slots
        self.dead_now = self.people.remove(slots[self.die.bernoulli(ti, slots, p)])

    def update_results(self):
        ti = self.sim.ti
        self.results["alive"][ti] = self.people.n_alive
        odd = np.count_nonzero(self.dead_now % 2)
        self.results["deaths"][ti] = [len(self.dead_now) - odd, odd]


class Boom(Module):
    """Raises at a given step, to fail a run midway."""

    name = "boom"
    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("at_step", 5, "", low=0, kind="int", source="guess: test")]
    error: type[BaseException] = RuntimeError

    def step(self):
        if self.sim.ti == self.pars.at_step:
            raise self.error(f"boom at step {self.sim.ti}")


def toy_sim(seed=3, fail_at=None, error=RuntimeError):
    modules = [Toy(death_rate="0.01 per week", n_agents=400)]
    if fail_at is not None:
        boom = Boom(at_step=fail_at)
        boom.error = error
        modules.append(boom)
    return Sim(modules, Timeline("2020-01-06", "2020-12-28"), seed=seed, name="toy")


def toy_summary(sim):
    deaths = sim.results["toy"]["deaths"]
    years = sim.timeline.fiscal_years
    return {"deaths_by_fiscal_year": {int(fy): float(deaths[years == fy].sum())
                                      for fy in np.unique(years)},
            "alive_end": float(sim.results["toy"]["alive"][-1]),
            "odd_share": float(deaths[:, 1].sum() / max(deaths.sum(), 1))}


def run_toy(out, *, seed=3, fail_at=None, error=RuntimeError, data=None, force=False,
            summarize=toy_summary):
    sim = toy_sim(seed, fail_at, error)
    return execute_run(sim, out, scenario="default", scale=100,
                       command=["narcosim", "run", "--seed", str(seed)],
                       summarize=summarize, data=data, force=force)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_same_results(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal frames; parquet has no seconds unit, so dates come back in ms (same instants)."""
    assert (got["date"] == expected["date"]).all()
    pd.testing.assert_frame_equal(got, expected.astype({"date": got["date"].dtype}))


def tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): sha(p) for p in sorted(path.rglob("*")) if p.is_file()}


def test_manifest_is_true_to_the_sim_and_the_data(tmp_path, atlas_store, data_dir):
    out = tmp_path / "run"
    outcome = run_toy(out, seed=11, data=data_provenance(atlas_store))
    folder = read_run_folder(out)
    m = folder.manifest
    sim = outcome.sim
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, RESULTS, SUMMARY]
    assert not partial_path(out).exists()
    assert m["status"] == "complete"
    assert m["narcosim_version"] == narcosim.__version__
    assert (m["scenario"], m["seed"], m["scale"]) == ("default", 11, 100)
    assert m["command"] == ["narcosim", "run", "--seed", "11"]
    assert m["modules"] == ["toy"]
    assert m["timeline"]["start"] == "2020-01-06" and m["timeline"]["dt_days"] == 7
    assert m["timeline"]["n_steps"] == sim.timeline.n_steps == 52
    # the parameters are the resolved ones: 0.01 per week became per year
    assert m["parameters"] == json.loads(json.dumps(jsonable(sim.pars())))
    assert m["parameters"]["toy"]["death_rate"] == pytest.approx(0.01 * 365.25 / 7)
    assert m["parameters"]["toy"]["weights"] == [1.0, 2.0]
    env = m["environment"]
    assert env["python"] == platform.python_version()
    assert (env["numpy"], env["pandas"]) == (np.__version__, pd.__version__)
    for stamp in (m["created"], m["finished"]):
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert abs((datetime.now(UTC) - when).total_seconds()) < 300


def test_manifest_hashes_are_those_of_the_data_files(tmp_path, atlas_store, data_dir):
    run_toy(tmp_path / "run", data=data_provenance(atlas_store))
    data = read_run_folder(tmp_path / "run").manifest["data"]
    assert data["store"] == str(atlas_store.resolve())
    files = {f["file"]: f for f in data["files"]}
    # every file some atlas table is read from, hashed independently here
    expected = {f for p in TABLE_PROVENANCE.values() for f in p.files}
    assert set(files) == expected
    assert "cbp_nationwide_drug_seizures_fy2019_fy2023.csv" in files
    for name, info in files.items():
        raw = (data_dir / name).read_bytes()
        assert info["sha256"] == hashlib.sha256(raw).hexdigest(), name
        assert info["bytes"] == len(raw)
    tables = {t["table"]: t for t in data["tables"]}
    assert set(tables) == set(TABLE_PROVENANCE)
    vsrr = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
    assert sha(data_dir / vsrr) in tables["overdose_deaths"]["sha256"]
    assert tables["seizures"]["publisher"] == "U.S. Customs and Border Protection"


def test_results_and_summary_read_back_equal(tmp_path):
    outcome = run_toy(tmp_path / "run")
    folder = read_run_folder(tmp_path / "run")
    expected = outcome.sim.results.to_frame()
    assert_same_results(folder.results(), expected)
    assert len(expected) == 52 * 3  # alive + deaths even/odd, every week
    assert folder.summary == json.loads(json.dumps(jsonable(toy_summary(outcome.sim))))
    deaths = expected[expected["metric"] == "deaths"]["value"].sum()
    assert sum(folder.summary["deaths_by_fiscal_year"].values()) == deaths > 0
    outputs = folder.manifest["outputs"]
    assert outputs[RESULTS]["sha256"] == sha(tmp_path / "run" / RESULTS)
    assert outputs[RESULTS]["rows"] == len(expected)
    assert outputs[SUMMARY]["sha256"] == sha(tmp_path / "run" / SUMMARY)
    assert folder.verify() == []
    (tmp_path / "run" / SUMMARY).write_text("{}")
    assert folder.verify() == [SUMMARY]  # negative control: a changed file is caught


def test_same_seed_same_folder_contents_other_seed_differs(tmp_path):
    a, b, c = (read_run_folder(run_toy(tmp_path / n, seed=s).path)
               for n, s in (("a", 5), ("b", 5), ("c", 6)))
    pd.testing.assert_frame_equal(a.results(), b.results())
    assert a.summary == b.summary
    assert a.manifest["parameters"] == c.manifest["parameters"]
    assert not a.results()["value"].equals(c.results()["value"])


@pytest.mark.parametrize("error, status", [(RuntimeError, "failed"),
                                           (KeyboardInterrupt, "interrupted")])
def test_sim_raising_midway_leaves_no_complete_folder(tmp_path, error, status):
    out = tmp_path / "run"
    with pytest.raises(error):
        run_toy(out, fail_at=7, error=error)
    assert not out.exists()
    partial = partial_path(out)
    assert sorted(p.name for p in partial.iterdir()) == [MANIFEST]
    manifest = json.loads((partial / MANIFEST).read_text())
    assert manifest["status"] == status
    assert "step 7" in manifest["error"]
    with pytest.raises(StoreError, match="not 'complete'"):
        read_run_folder(partial)


def test_summary_failure_leaves_no_complete_folder(tmp_path):
    def bad_summary(sim):
        raise ValueError("no such metric")

    out = tmp_path / "run"
    with pytest.raises(ValueError):
        run_toy(out, summarize=bad_summary)
    assert not out.exists()
    assert json.loads((partial_path(out) / MANIFEST).read_text())["status"] == "failed"


def test_write_failure_at_the_end_leaves_no_complete_folder(tmp_path, monkeypatch):
    def no_space(self, *args, **kwargs):
        raise OSError(28, "No space left on device", str(args[0]))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", no_space)
    out = tmp_path / "run"
    with pytest.raises(StoreError, match="No space left on device"):
        run_toy(out)
    assert not out.exists()
    assert json.loads((partial_path(out) / MANIFEST).read_text())["status"] == "failed"


def test_leftover_partial_is_replaced_by_the_next_run(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RuntimeError):
        run_toy(out, fail_at=3)
    (partial_path(out) / "stale.txt").write_text("left over")
    run_toy(out)
    assert not partial_path(out).exists()
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, RESULTS, SUMMARY]
    assert read_run_folder(out).manifest["status"] == "complete"


def test_complete_folder_is_not_overwritten_unless_forced(tmp_path):
    out = tmp_path / "run"
    run_toy(out, seed=1)
    before = tree(out)
    with pytest.raises(ParameterError, match="already holds a run; use --force"):
        run_toy(out, seed=2)
    assert tree(out) == before
    assert not partial_path(out).exists()
    run_toy(out, seed=2, force=True)
    assert read_run_folder(out).manifest["seed"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # nothing left aside


def test_out_must_be_a_folder_that_is_free_or_a_run(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    with pytest.raises(ParameterError, match="is a file"):
        run_toy(a_file)
    with pytest.raises(ParameterError, match="is a file"):
        run_toy(a_file / "run")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(ParameterError, match="not a run folder"):
        run_toy(mine, force=True)  # even --force never deletes a folder that is not a run
    assert (mine / "thesis.tex").read_text() == "precious"
    empty = tmp_path / "empty"
    empty.mkdir()
    run_toy(empty)
    assert read_run_folder(empty).manifest["status"] == "complete"
    assert a_file.read_text() == "mine"


def test_default_out_dir_and_run_arguments():
    when = datetime(2026, 11, 28, 9, 47, 12, tzinfo=UTC)
    assert default_out_dir(7, when) == Path("runs") / "20261128T094712Z-seed7"
    assert check_run_args(None, 0, 1) == "default"
    for scenario, seed, scale, match in [("other", 1, 100, "unknown scenario 'other'"),
                                         (None, -1, 100, "--seed -1"),
                                         (None, 1, 0, "--scale 0")]:
        with pytest.raises(ParameterError, match=match):
            check_run_args(scenario, seed, scale)
