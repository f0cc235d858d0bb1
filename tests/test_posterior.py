"""The posterior sampler (ABC-PMC) and its predictive check (issue 9, items 2 and 4).

The sampler is run for real on a short fit window (CDC 2015–2017, 1:1000, 10 particles, one
generation after the prior draw); the predictive check of the packaged posterior is recomputed
from the file alone by re-simulating every particle (slow).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from narcosim.atlas.query import death_years
from narcosim.atlas.store import Atlas
from narcosim.calibrate import deaths as cal
from narcosim.calibrate.optimise import trial_context
from narcosim.calibrate.posterior import (
    Population,
    _initial,
    _propose,
    effective_size,
    prior_box,
    sample_posterior,
)
from narcosim.calibrate.posterior_check import predictive_check, weighted_quantiles
from narcosim.calibrate.posterior_run import particle_deaths, start_coefficients
from narcosim.cli import main
from narcosim.core.random import Stream
from narcosim.model.builder import load_inputs
from narcosim.model.fitted_people import FittedPeople
from narcosim.model.fitted_posterior import FittedPosterior


def test_weighted_quantiles_are_the_inverse_weighted_cdf():
    rng = Stream("test.quantiles", 3).generator(0)
    values = rng.normal(size=(501, 4))
    got = weighted_quantiles(values, np.ones(501), (0.05, 0.5, 0.95))
    want = np.quantile(values, (0.05, 0.5, 0.95), axis=0, method="inverted_cdf")
    np.testing.assert_allclose(got, want)
    # integer weights equal repeated samples
    w = rng.integers(1, 4, size=501)
    got = weighted_quantiles(values, w, (0.1, 0.9))
    want = np.quantile(np.repeat(values, w, axis=0), (0.1, 0.9), axis=0,
                       method="inverted_cdf")
    np.testing.assert_allclose(got, want)


def test_kernel_importance_weights_recover_the_uniform_prior():
    """Draws from the truncated kernel mixture, weighted prior / mixture, are uniform again.

    A population leaning to one corner of the box: unweighted, the proposals lean there too;
    weighted, their mean and spread are those of the uniform prior (mean 0.5, variance 1/12).
    Dropping the truncation's normalisation would bias the weighted moments at the edges.
    """
    rng = Stream("test.kernel", 1).generator(0)
    theta = np.clip(rng.normal(0.3, 0.2, size=(40, 2)), 0, 1)
    pop = Population(("a", "b"), theta, np.full(40, 1 / 40), np.zeros(40), np.zeros((40, 1)),
                     np.zeros((40, 1, 1)), np.zeros((40, 1, 1, 1)), 0.0, 1.0, 40)
    lo, hi = np.zeros(2), np.ones(2)
    draws, w = _propose(pop, 60_000, lo, hi, Stream("test.kernel", 2).generator(0))
    assert ((draws >= 0) & (draws <= 1)).all()
    assert draws.mean() < 0.42
    w = w / w.sum()
    mean = w @ draws
    var = w @ (draws - mean) ** 2
    np.testing.assert_allclose(mean, 0.5, atol=0.03)
    np.testing.assert_allclose(var, 1 / 12, rtol=0.12)


def test_defensive_first_generation_is_weighted_back_to_the_prior():
    """Half prior, half a normal near a corner: weighted, the draws are uniform again."""
    lo, hi = np.zeros(3), np.array([1.0, 2.0, 0.5])
    draws, w = _initial(40_000, lo, hi, np.array([0.1, 1.9, 0.25]),
                        Stream("test.initial", 1).generator(0))
    assert ((draws >= lo) & (draws <= hi)).all()
    assert w.max() <= 2.0 + 1e-9
    w = w / w.sum()
    np.testing.assert_allclose(w @ draws, (lo + hi) / 2, rtol=0.03)
    np.testing.assert_allclose(w @ (draws - (lo + hi) / 2) ** 2, (hi - lo) ** 2 / 12, rtol=0.06)


@pytest.fixture(scope="module")
def short_context(atlas_store):
    atlas = Atlas.open(atlas_store)
    inputs = load_inputs(atlas)
    targets = cal.death_targets(atlas, inputs.world.states, (2015, 2016, 2017))
    return trial_context(inputs, targets, 1, 1000), targets


@pytest.fixture(scope="module")
def sampled(short_context, tmp_path_factory):
    ctx, _ = short_context
    work = tmp_path_factory.mktemp("posterior")
    start = start_coefficients(FittedPeople.load())
    pop, history = sample_posterior(ctx, start, particles=10, generations=1, seed=3,
                                    work=work, workers=2)
    return pop, history, work, start


def test_sampler_keeps_the_best_inside_the_priors(sampled, short_context):
    pop, history, _, _ = sampled
    box = prior_box()
    lo = np.array([v[0] for v in box.values()])
    hi = np.array([v[1] for v in box.values()])
    assert pop.theta.shape == (10, len(box))
    assert ((pop.theta >= lo) & (pop.theta <= hi)).all()
    np.testing.assert_allclose(pop.weights.sum(), 1.0)
    assert (pop.weights > 0).all() and 1 <= effective_size(pop.weights) <= 10
    # generation 0 evaluates 20 prior draws, generation 1 ten kernel draws
    assert [h["evaluations"] for h in history] == [20, 30]
    # the tolerance is the worst kept distance and never rises
    assert pop.distance.max() == pytest.approx(pop.tolerance)
    assert history[1]["tolerance"] <= history[0]["tolerance"]
    # national deaths are the states' sum
    np.testing.assert_allclose(pop.national, pop.states.sum(axis=3))


def test_particle_distance_is_the_point_fits_objective(sampled, short_context):
    """Re-scoring a kept particle with the point fit's own scorer gives its distance."""
    pop, _, _, _ = sampled
    ctx, _ = short_context
    i = int(np.argmin(pop.distance))
    pars = dict(zip(pop.names, map(float, pop.theta[i]), strict=True))
    pars.update(zip(cal.LINEAR, map(float, pop.coefs[i]), strict=True))
    value, _ = ctx.score(pars)
    assert value == pytest.approx(pop.distance[i], rel=1e-9)


def test_sampler_resumes_from_saved_generations(sampled, short_context):
    pop, history, work, start = sampled
    ctx, _ = short_context
    again, history2 = sample_posterior(ctx, start, particles=10, generations=1, seed=3,
                                       work=work, workers=2, backend=None)
    assert history2 == history
    np.testing.assert_array_equal(again.theta, pop.theta)
    np.testing.assert_array_equal(again.distance, pop.distance)
    assert json.loads((work / "sampler.json").read_text())["seed"] == 3


def test_predictive_check_counts_cdc_values_inside_the_band(sampled, short_context):
    pop, _, _, _ = sampled
    _, targets = short_context
    check = predictive_check(pop.states, pop.weights, targets, seed=1)
    inside, total = check["national_count"]
    assert total == np.isfinite(targets.national).sum() == 12
    assert check["national"] == inside / total
    # by hand for the parameter-only band
    lo, hi = weighted_quantiles(pop.national, pop.weights, (0.05, 0.95))
    by_hand = ((targets.national >= lo) & (targets.national <= hi)).sum()
    assert check["national_parameters_only_count"] == [int(by_hand), 12]
    # the state-year discrepancy (root-mean-square log error, 0.3 or more) widens the band
    assert check["states"] >= check["states_parameters_only"]


@pytest.mark.parametrize(("args", "says"), [
    (["--particles", "5"], "--particles 5: must be a whole number from 10 to 10,000"),
    (["--generations", "-1"], "--generations -1: must be a whole number from 0 to 100"),
    (["--workers", "0"], "--workers 0: must be a whole number from 1 to 256"),
])
def test_bad_input_is_one_line_exit_2(args, says, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["calibrate", "posterior", *args, "--work", str(tmp_path / "w")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert len(err.strip().splitlines()) == 1 and says in err
    assert not (tmp_path / "w").exists()


@pytest.mark.slow
def test_packaged_posterior_check_recomputed_from_the_file(atlas_store):
    """≥ 90% of CDC's national drug-year values 2015–2023 inside the posterior 90% band."""
    post = FittedPosterior.load()
    assert post is not None, "no packaged posterior"
    meta = post.meta
    atlas = Atlas.open(atlas_store)
    inputs = load_inputs(atlas)
    years = tuple(range(meta["fit_years"][0], meta["fit_years"][1] + 1))
    assert tuple(death_years(atlas))[: len(years)] == years
    targets = cal.death_targets(atlas, inputs.world.states, years)
    ctx = trial_context(inputs, targets, meta["seed"], meta["scale"])
    states = particle_deaths(post, ctx)
    check = predictive_check(states, post.weights, targets, seed=meta["seed"])
    stored = meta["predictive_check"]
    assert check["national_count"][1] == 36
    assert check["national"] >= 0.9
    assert check["national"] == pytest.approx(stored["national"], abs=0.06)
    assert check["states"] == pytest.approx(stored["states"], abs=0.03)
