"""Sim lifecycle and loop plan, reproducibility, common random numbers (test_worlds), results."""

import numpy as np
import pandas as pd
import pytest

from narcosim.core import INIT_STEP, PHASES, Agents, Module, ParamSpec, Rate, Sim, Timeline
from narcosim.errors import ParameterError

TL = Timeline("2020-01-01", "2021-12-31")


class Mortality(Module):
    """Toy agents who die at a constant rate per year; one extra agent optional."""

    name = "mortality"
    param_specs = (
        ParamSpec("n_agents", 500, "people", low=0, kind="int", source="guess: toy"),
        ParamSpec("death_rate", 0.5, "per year", low=0, source="guess: toy"),
        ParamSpec("extra_agents", 0, "people", low=0, kind="int", source="guess: toy"),
        ParamSpec("protected_slot", -1, "", low=-1, kind="int", source="guess: toy"),
    )

    def init_pre(self, sim):
        self.people = Agents({"died": (np.int64, -1), "age": (float, 0.0)}, capacity=8)
        self.die = self.stream("die")
        self.ages = self.stream("age")
        self.results.define("alive", units="people")
        self.results.define("deaths", dims={"sex": ["f", "m"], "band": ["young", "old"]})

    def init_post(self):
        n = self.pars.n_agents + self.pars.extra_agents
        slots = self.people.add(n)
        self.people["age"][slots] = self.ages.normal(INIT_STEP, 40.0, 10.0, slots)

    def step(self):
        ti = self.sim.ti
        p = np.full(self.people.n_slots, Rate(self.pars.death_rate, "year").prob_per_step(7))
        if self.pars.protected_slot >= 0:
            p[self.pars.protected_slot] = 0.0
        slots = self.people.alive_slots
        dead = self.people.remove(slots[self.die.bernoulli(ti, slots, p[slots])])
        self.people["died"][dead] = ti
        self.dead_now = dead

    def update_results(self):
        ti = self.sim.ti
        self.results["alive"][ti] = self.people.n_alive
        sex = self.dead_now % 2
        old = self.people["age"][self.dead_now] >= 40
        grid = np.histogram2d(sex, old, bins=[2, 2], range=[[0, 2], [0, 2]])[0]
        self.results["deaths"][ti] = grid


class Recorder(Module):
    """Records every lifecycle call into a shared log."""

    def __init__(self, name, log):
        super().__init__(name=name)
        self.log = log

    def init_pre(self, sim):
        self.log.append((None, self.name, "init_pre"))

    def init_post(self):
        self.log.append((None, self.name, "init_post"))

    def step(self):
        self.log.append((self.sim.ti, self.name, "step"))

    def update_results(self):
        self.log.append((self.sim.ti, self.name, "update_results"))

    def finalize(self):
        self.log.append((None, self.name, "finalize"))


def run_toy(seed=1, **pars):
    return Sim([Mortality(**pars)], TL, seed=seed).run()


def test_plan_equals_calls_made_and_prints():
    log = []
    sim = Sim([Recorder("a", log), Recorder("b", log)], Timeline("2020-01-01", "2020-01-31"), 0)
    plan = [(c.step, c.module, c.phase) for c in sim.plan()]
    sim.run()
    assert log == plan
    assert plan[:4] == [(None, "a", "init_pre"), (None, "b", "init_pre"),
                        (None, "a", "init_post"), (None, "b", "init_post")]
    assert plan[4:8] == [(0, "a", "step"), (0, "b", "step"),
                         (0, "a", "update_results"), (0, "b", "update_results")]
    assert {p for _, _, p in plan} == set(PHASES)
    assert len(plan) == 4 + 4 * sim.timeline.n_steps + 2


def test_print_plan(capsys):
    Sim([Recorder("a", []), Recorder("b", [])], TL, 0).print_plan()
    out = capsys.readouterr().out
    order = ["a.init_pre", "b.init_pre", "a.init_post", "b.init_post", "1. a.step", "2. b.step",
             "3. a.update_results", "4. b.update_results", "a.finalize", "b.finalize"]
    positions = [out.index(o) for o in order]
    assert positions == sorted(positions)
    assert f"t = 0..{TL.n_steps - 1}" in out


def test_same_seed_same_results_different_seed_differs():
    a = run_toy(seed=11).results.to_frame()
    b = run_toy(seed=11).results.to_frame()
    pd.testing.assert_frame_equal(a, b)
    c = run_toy(seed=12).results.to_frame()
    assert not a["value"].equals(c["value"])


def test_worlds_one_extra_agent_changes_only_its_own_outcome():
    """Starsim's test_worlds: adding ONE agent changes that agent's outcome and nothing else."""
    base = run_toy(n_agents=500).modules["mortality"].people
    more = run_toy(n_agents=500, extra_agents=1).modules["mortality"].people
    assert more.n_slots == base.n_slots + 1
    assert np.array_equal(more["died"][:500], base["died"])
    assert np.array_equal(more["age"][:500], base["age"])
    assert 0 < np.count_nonzero(base["died"] >= 0) < 500  # outcomes vary: a real check


def test_worlds_one_protected_agent_changes_only_itself():
    base = run_toy().modules["mortality"].people
    victim = int(np.flatnonzero(base["died"] >= 0)[0])
    arm = run_toy(protected_slot=victim).modules["mortality"].people
    differs = np.flatnonzero(arm["died"] != base["died"])
    assert differs.tolist() == [victim]
    assert arm["died"][victim] == -1


def test_duplicate_module_names_and_rerun():
    with pytest.raises(ParameterError, match="two modules are named 'mortality'"):
        Sim([Mortality(), Mortality()], TL)
    sim = run_toy()
    with pytest.raises(RuntimeError, match="already run"):
        sim.run()
    assert "complete" in repr(sim) and "mortality" in repr(sim)


def test_modules_look_each_other_up_and_progress_is_reported():
    seen = []

    class Reader(Module):
        name = "reader"

        def init_post(self):
            self.other = self.sim.modules["mortality"]

        def step(self):
            seen.append(self.other.people.n_alive)

    calls = []
    sim = Sim([Mortality(), Reader()], TL, seed=3)
    sim.run(progress=lambda done, total: calls.append((done, total)))
    assert calls == [(i + 1, TL.n_steps) for i in range(TL.n_steps)]
    assert seen == sim.modules["mortality"].results["alive"].astype(int).tolist()


def test_results_tidy_frame_and_parquet_round_trip(tmp_path):
    sim = run_toy()
    frame = sim.results.to_frame()
    assert list(frame.columns) == ["date", "module", "metric", "sex", "band", "value"]
    n = TL.n_steps
    assert len(frame) == n + n * 4
    deaths = frame[frame["metric"] == "deaths"]
    alive = frame[frame["metric"] == "alive"]["value"].to_numpy()
    # deaths add up: every step's four cells equal the drop in the alive count
    per_step = deaths.groupby("date")["value"].sum().to_numpy()
    assert np.array_equal(per_step, np.concatenate([[500 - alive[0]], -np.diff(alive)]))
    assert alive.tolist() == sim.results["mortality"]["alive"].tolist()
    assert set(deaths["sex"]) == {"f", "m"} and alive.size == n
    assert frame["date"].iloc[0] == pd.Timestamp("2020-01-01")
    assert frame["date"].drop_duplicates().diff().dropna().eq(pd.Timedelta(days=7)).all()
    path = sim.results.to_parquet(tmp_path / "run" / "results.parquet")
    back = pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)
    assert sim.pars() == {"mortality": {"n_agents": 500, "death_rate": 0.5, "extra_agents": 0,
                                        "protected_slot": -1}}


def test_agents_slots_stable_and_growth():
    agents = Agents({"x": (np.float32, 1.5), "k": (np.int8, 0)}, capacity=2)
    first = agents.add(3, x=[1.0, 2.0, 3.0])
    assert first.tolist() == [0, 1, 2] and agents["k"].tolist() == [0, 0, 0]
    removed = agents.remove(agents["x"] > 1.5)
    assert removed.tolist() == [1, 2] and agents.n_alive == 1
    assert agents.remove([1, 0]).tolist() == [0]  # already removed slots are skipped
    more = agents.add(1000, k=7)
    assert more[0] == 3 and agents.n_slots == 1003  # slots never reused
    assert agents["x"][3:].tolist() == [1.5] * 1000 and agents["x"][:3].tolist() == [1, 2, 3]
    assert agents.alive_slots.tolist() == list(range(3, 1003))
    with pytest.raises(ParameterError, match="unknown field 'y'"):
        agents.add(1, y=1)
    with pytest.raises(ParameterError, match="got 2 values for 3 agents"):
        agents.add(3, x=[1, 2])
    with pytest.raises(ValueError, match="mask has shape"):
        agents.remove(np.ones(5, bool))
    assert "1000 alive of 1003 slots" in repr(agents)
