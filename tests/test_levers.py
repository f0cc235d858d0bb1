"""The lever protocol: interventions change model parts only through declared levers."""

from __future__ import annotations

import types

import numpy as np
import pytest

from narcosim.atlas.store import Atlas
from narcosim.core.levers import CHECK_ENV, Lever, LeverError, Levers
from narcosim.model.builder import load_inputs
from narcosim.scenario import build_scenario_sim, builtin_names, load_scenario, us_cities

#: A short window in which every built-in scenario's interventions act.
START, END = "2022-01-01", "2024-03-31"


@pytest.fixture(scope="module")
def world(atlas_store):
    atlas = Atlas.open(atlas_store)
    inputs = load_inputs(atlas)
    return inputs, us_cities(atlas, inputs.world)


def scenario_sim(world, name: str):
    inputs, cities = world
    _, scenario = load_scenario(name)
    return build_scenario_sim(scenario, inputs=inputs, cities=cities, scale=10000,
                              start=START, end=END)


def interventions(sim):
    return [m for m in sim.modules.values() if m.name.startswith("intervention")]


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_scenario_runs_inside_the_protocol(world, name, monkeypatch):
    monkeypatch.setenv(CHECK_ENV, "1")
    sim = scenario_sim(world, name)
    sim.run()
    parts = [m for m in sim.modules.values() if hasattr(m, "levers")]
    assert {m.name for m in parts} >= {"production", "trafficking", "distribution", "dealers",
                                       "people"}
    assert all(m.levers.check for m in parts)
    for lever in interventions(sim):  # each acted, so its writes were checked
        assert lever.results["active"].sum() > 0, lever.name
    for part in parts:  # and every per-step lever is back to neutral
        for spec in part.levers:
            if spec.reset == "step":
                assert np.all(getattr(part, spec.name) == spec.neutral), spec.name


def test_checking_mode_does_not_change_results(world, monkeypatch):
    plain = scenario_sim(world, "comprehensive")
    plain.run()
    monkeypatch.setenv(CHECK_ENV, "1")
    checked = scenario_sim(world, "comprehensive")
    checked.run()
    for key in ("deaths", "overdoses"):
        assert np.array_equal(plain.results["people"][key], checked.results["people"][key])
    assert np.array_equal(plain.results["distribution"]["price_index"],
                          checked.results["distribution"]["price_index"])


def test_a_direct_write_raises_in_checking_mode(world, monkeypatch):
    def rogue(self):
        self.module("people").naloxone_extra[:] += 0.1  # outside the protocol

    sim = scenario_sim(world, "naloxone_expansion")
    lever = interventions(sim)[0]
    lever.apply = types.MethodType(rogue, lever)
    sim.run()  # without checking mode the write goes through unseen
    monkeypatch.setenv(CHECK_ENV, "1")
    sim = scenario_sim(world, "naloxone_expansion")
    lever = interventions(sim)[0]
    lever.apply = types.MethodType(rogue, lever)
    with pytest.raises(ValueError, match="read-only"):
        sim.run()


class Part:
    """A stand-in model part with two levers."""

    name = "part"

    def __init__(self) -> None:
        self.pressure = np.ones(3)
        self.leader = np.array([True, True])


SPECS = (Lever("pressure", "scale", 0.0, 4.0, 1.0),
         Lever("leader", "set", 0.0, 1.0, True, reset="held"))


def test_undeclared_levers_wrong_ways_and_bounds_are_refused():
    part = Part()
    levers = Levers(part, SPECS, check=True)
    levers.scale("pressure", 2.0, where=[0, 2])
    assert part.pressure.tolist() == [2.0, 1.0, 2.0]
    with pytest.raises(LeverError, match="no lever 'stock'"):
        levers.add("stock", 1.0)
    with pytest.raises(LeverError, match="changed by 'scale', not 'add'"):
        levers.add("pressure", 1.0)
    with pytest.raises(LeverError, match=r"outside its bounds \[0, 4\]"):
        levers.scale("pressure", 3.0, where=0)
    levers.set("leader", False, where=1)
    levers.reset()  # per-step levers back to neutral, held ones kept
    assert part.pressure.tolist() == [1.0, 1.0, 1.0] and part.leader.tolist() == [True, False]
    with pytest.raises(ValueError, match="read-only"):
        part.pressure[0] = 2.0
    with pytest.raises(LeverError, match="not an array"):
        Levers(part, (Lever("missing", "add", 0.0, 1.0, 0.0),))
