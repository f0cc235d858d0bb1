"""Priors in the parameter specs, and the packaged fit as the people specs' defaults.

Every guess of the whole-run model's modules carries a range; the ranges are checked like the
defaults (low <= high, inside the bounds, around the default); the fitted people parameters'
defaults are the packaged fit, so a People module built from Python with no parameters runs
exactly as the default scenario does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from narcosim.calibrate.deaths import LINEAR, SEARCH_SPACE
from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.core.time import Timeline
from narcosim.errors import ParameterError
from narcosim.model.dealers import Dealers
from narcosim.model.distribution import Distribution
from narcosim.model.fitted_people import FittedPeople
from narcosim.model.ledger import Ledger
from narcosim.model.people import People
from narcosim.model.people_params import FIT_RANGES, FIT_START, LINEAR_FACTOR, solved
from narcosim.model.production import Production
from narcosim.model.trafficking import Trafficking

MODULES = {"production": Production, "trafficking": Trafficking,
           "distribution": Distribution, "dealers": Dealers, "people": People}
#: Scenario settings and fixed-by-calibration switches: not uncertain, so no prior.
SETTINGS = {("distribution", "centre_removed_from"), ("distribution", "centre_removed_until"),
            ("people", "trends_until")}


def _specs() -> list[tuple[str, ParamSpec]]:
    return [(m, s) for m, cls in MODULES.items() for s in cls.param_specs]


def test_every_guess_and_every_fitted_parameter_has_a_range() -> None:
    missing = [f"{m}.{s.name}" for m, s in _specs()
               if (s.is_guess or s.source.startswith("fitted")) and s.prior is None
               and (m, s.name) not in SETTINGS]
    assert missing == []
    # and every range says where it comes from; a guessed range gives a reason
    for m, s in _specs():
        if s.prior is not None:
            assert s.prior_source.strip(), f"{m}.{s.name}"
            if s.prior_is_guess:
                assert len(s.prior_source.split(":", 1)[1].strip()) > 10, f"{m}.{s.name}"
    # everything but the settings is uncertain and has a range
    assert {(m, s.name) for m, s in _specs() if s.prior is None} == SETTINGS


def test_cited_range_where_the_source_gives_one() -> None:
    spec = next(s for s in People.param_specs if s.name == "tolerance_loss_multiplier")
    assert spec.prior == (3.0, 8.0) and not spec.prior_is_guess
    assert "Merrall" in spec.prior_source


def test_fitted_ranges_are_the_calibration_search_space() -> None:
    assert {k: (lo, hi) for k, (lo, hi, _) in SEARCH_SPACE.items()} == FIT_RANGES
    fit = FittedPeople.load().pars
    specs = {s.name: s for s in People.param_specs}
    for name, (lo, hi) in FIT_RANGES.items():
        assert specs[name].prior == (min(lo, fit[name]), max(hi, fit[name]))
    for name in LINEAR:  # the linearly solved coefficients: a documented factor around the fit
        low, high = specs[name].prior  # type: ignore[misc]
        if fit[name] > 0:
            assert low == pytest.approx(fit[name] / LINEAR_FACTOR)
            assert high == pytest.approx(min(fit[name] * LINEAR_FACTOR, specs[name].high))
        else:  # a coefficient fitted at zero: from zero to the calibration's starting value
            assert (low, high) == (0.0, FIT_START[name])
    assert solved("od_meth", 0.05)[0] < solved("od_meth", 0.05)[1]


def test_a_coefficient_fitted_at_zero_still_has_a_range(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    from narcosim.model import people_params

    monkeypatch.setitem(people_params._FIT.pars, "od_opioid", 0.0)
    assert solved("od_opioid", 0.05) == (0.0, FIT_START["od_opioid"])


def test_packaged_fit_is_the_spec_default_and_says_so() -> None:
    fit = FittedPeople.load().pars
    specs = {s.name: s for s in People.param_specs}
    assert fit, "the package ships a people fit"
    for name, value in fit.items():
        assert specs[name].default == value, name
        assert specs[name].source.startswith("fitted:"), name
    # a cited parameter that calibration also fits says both (the example)
    growth = specs["meth_among_oud_growth"].source
    assert "fitted" in growth and "cited prior: Ellis" in growth
    # and the module built with no parameters runs the fit (the issue: od_meth 2e-4 vs fit)
    people = People(np.ones(2), 2015, ("AA", "BB"))
    assert people.pars["od_meth"] == fit["od_meth"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"prior": (0.6, 0.2)}, "prior range low 0.6 > high 0.2"),
    ({"prior": (-0.1, 0.5)}, "prior low -0.1 is below the lower bound 0"),
    ({"prior": (0.1, 1.5)}, "prior high 1.5 is above the upper bound 1"),
    ({"prior": (0.5, 0.9)}, "default 0.4 is outside its prior range 0.5-0.9"),
    ({"prior": (0.1, 0.5), "prior_source": ""}, "needs prior_source"),
    ({"prior": ("a", 1)}, "prior must be two numbers"),
])
def test_bad_priors_are_refused_in_one_line(kwargs: dict, message: str) -> None:
    base = {"prior_source": "guess: test range"}
    with pytest.raises(ParameterError, match=message.replace("(", r"\(").replace(".", r"\.")):
        ParamSpec("share", 0.4, "", 0.0, 1.0, source="guess: test", **{**base, **kwargs})


def test_prior_override_is_checked_like_the_spec() -> None:
    spec = ParamSpec("share", 0.4, "", 0.0, 1.0, source="guess: test", prior=(0.2, 0.6),
                     prior_source="guess: test range")
    assert spec.with_prior(0.3, 0.5, "guess: narrower").prior == (0.3, 0.5)
    with pytest.raises(ParameterError, match=r"low 0\.5 > high 0\.3"):
        spec.with_prior(0.5, 0.3, "guess: reversed")
    with pytest.raises(ParameterError, match="takes no prior"):
        ParamSpec("on", True, kind="bool", source="guess: t", prior=(0, 1), prior_source="x")
    arr = ParamSpec("w", [1.0, 2.0], "", 0.0, kind="array", source="guess: t", prior=(0.5, 2),
                    prior_source="guess: a factor")
    assert arr.prior == (0.5, 2)
    with pytest.raises(ParameterError, match="must hold 1"):
        arr.with_prior(1.5, 2.0, "guess: a factor above one")


def test_people_from_python_with_spec_defaults_runs_as_the_default_scenario(
        atlas_store: Path) -> None:
    """No merge anywhere: the module built by hand (no pars) = ``narcosim run``'s scenario."""
    from narcosim.atlas.store import Atlas
    from narcosim.model.builder import load_inputs
    from narcosim.scenario.build import build_scenario_sim
    from narcosim.scenario.loader import load_scenario
    from narcosim.scenario.refs import us_cities

    atlas = Atlas.open(atlas_store)
    inputs = load_inputs(atlas)
    world = inputs.world
    start, end, scale = "2015-01-01", "2015-12-31", 1000
    by_hand = Sim([Production(inputs), Trafficking(inputs), Distribution(inputs),
                   Dealers(len(world.states), world.states, inputs.n_ops, scale),
                   People(np.asarray(world.population), world.years[0], world.states, scale,
                          prevalence=inputs.prevalence),
                   Ledger()], Timeline(start, end), seed=3).run()
    scenario = load_scenario("default")[1]
    default = build_scenario_sim(scenario, inputs=inputs, cities=us_cities(atlas, world),
                                 seed=3, scale=scale, start=start, end=end).run()
    for metric in ("deaths", "expected_deaths"):
        a = np.asarray(by_hand.results["people"][metric])
        b = np.asarray(default.results["people"][metric])
        assert a.sum() > 0
        np.testing.assert_array_equal(a, b)
    # and the people module of the scenario run holds the packaged fit
    fit = FittedPeople.load().pars
    assert default.modules["people"].pars["od_fentanyl"] == fit["od_fentanyl"]
