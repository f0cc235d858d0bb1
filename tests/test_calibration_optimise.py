"""The deaths fit runs its trials here, or on the ensembles' process pool or Dask, alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from narcosim.atlas.store import Atlas
from narcosim.calibrate.deaths import death_targets
from narcosim.calibrate.optimise import calibrate_deaths, evaluate_trial
from narcosim.errors import ParameterError
from narcosim.model.builder import load_inputs
from narcosim.run.backends import run_jobs

YEARS = (2015, 2016, 2017)


@pytest.fixture(scope="module")
def setup(atlas_store: Path):
    atlas = Atlas.open(atlas_store)
    inputs = load_inputs(atlas)
    return inputs, death_targets(atlas, inputs.world.states, YEARS)


def _fit(setup, **kwargs):
    inputs, targets = setup
    return calibrate_deaths(inputs, targets, seed=3, trials=2, scale=2000, profile=False,
                            **kwargs)


def test_same_seed_same_fit_and_a_different_seed_differs(setup) -> None:
    first, table = _fit(setup)
    again, _ = _fit(setup)
    assert first.pars == again.pars
    assert first.meta["objective"] == again.meta["objective"]
    inputs, targets = setup
    other, _ = calibrate_deaths(inputs, targets, seed=4, trials=2, scale=2000, profile=False)
    assert other.pars != first.pars
    assert list(table["drug"]) == list(targets.drugs)


def test_pool_and_dask_batches_give_the_same_fit(setup) -> None:
    local, _ = _fit(setup, backend="local", workers=2)
    dask, _ = _fit(setup, backend="dask", workers=2)
    assert local.pars == dask.pars
    assert local.meta["objective"] == dask.meta["objective"]
    assert "--backend local --workers 2" in local.meta["command"]


def test_a_trial_in_a_worker_equals_the_trial_here(setup) -> None:
    from narcosim.calibrate.deaths import LINEAR, SEARCH_SPACE, record_market
    from narcosim.calibrate.optimise import TrialContext
    from narcosim.model.people import People

    inputs, targets = setup
    world = inputs.world
    ctx = TrialContext(world.population, world.years[0], world.states,
                       inputs.prevalence, record_market(inputs, 3, "2017-12-31"),
                       targets, 3, 2000, "2017-12-31")
    shape = {k: (lo if not log else lo * 10) for k, (lo, hi, log) in SEARCH_SPACE.items()}
    start = {s.name: s.default for s in People.param_specs if s.name in LINEAR}
    here = evaluate_trial(ctx, 7, shape, start)
    (there,) = list(run_jobs(evaluate_trial, [(ctx, 7, shape, start)], backend="local",
                             workers=1))
    assert here == there


def test_a_fit_with_fewer_than_three_years_is_refused(setup, atlas_store: Path) -> None:
    inputs, _ = setup
    short = death_targets(Atlas.open(atlas_store), inputs.world.states, (2015, 2016))
    with pytest.raises(ParameterError, match="at least 3 years"):
        calibrate_deaths(inputs, short, trials=1)


def test_bad_workers_and_trials_are_refused(setup) -> None:
    with pytest.raises(ParameterError, match="workers"):
        _fit(setup, backend="local", workers=0)
    inputs, targets = setup
    with pytest.raises(ParameterError, match="trials"):
        calibrate_deaths(inputs, targets, trials=0)
