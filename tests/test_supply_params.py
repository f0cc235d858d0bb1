"""Bad supply parameters give one-line ParameterErrors naming the key (issue 3 acceptance).

(The CLI's exit code 2 for these is tested with ``narcosim run``.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from narcosim.errors import NarcosimError, ParameterError
from narcosim.model.builder import build_sim
from narcosim.model.inputs import SupplyInputs
from supply_fixtures import inputs_for

SHORT = {"start": "2021-01-01", "end": "2021-01-31"}


@pytest.fixture(scope="module")
def inputs(atlas_store: Path) -> SupplyInputs:
    return inputs_for(atlas_store)


@pytest.mark.parametrize(("pars", "names"), [
    # unknown parameter (a near miss of 'ofo_interdiction')
    ({"trafficking": {"ofo_interdictoin": 0.2}}, ("ofo_interdictoin", "trafficking")),
    # unknown module
    ({"smuggling": {"ofo_interdiction": 0.2}}, ("smuggling",)),
    # out of bounds, above and below
    ({"trafficking": {"ofo_interdiction": 1.5}}, ("ofo_interdiction", "trafficking", "1.5")),
    ({"production": {"precursor_supply": -0.1}}, ("precursor_supply", "production", "-0.1")),
    # out of bounds only after conversion: 2 per week = 104.4 per year > 52 per year
    ({"dealers": {"quit_rate": "2 per week"}}, ("quit_rate", "dealers")),
    # wrong units
    ({"distribution": {"branch_open_rate": "5 kg"}}, ("branch_open_rate", "distribution", "kg")),
    ({"trafficking": {"ofo_interdiction": "0.1 per year"}}, ("ofo_interdiction",)),
    # not a number, and an array of the wrong length
    ({"distribution": {"hub_dispatch": "lots"}}, ("hub_dispatch",)),
    ({"dealers": {"kg_per_dealer_week": [0.25, 2.0]}}, ("kg_per_dealer_week",)),
])
def test_bad_parameter_is_one_line_error_naming_the_key(inputs, pars, names) -> None:
    with pytest.raises(ParameterError) as info:
        build_sim(inputs, pars=pars, **SHORT)
    message = str(info.value)
    assert isinstance(info.value, NarcosimError)
    assert "\n" not in message and message.strip() == message and message
    for name in names:
        assert name in message, f"{name!r} not in {message!r}"


def test_unknown_parameter_suggests_the_near_miss(inputs) -> None:
    with pytest.raises(ParameterError, match="did you mean 'ofo_interdiction'"):
        build_sim(inputs, pars={"trafficking": {"ofo_interdictoin": 0.2}}, **SHORT)


def test_good_values_with_units_are_converted_not_refused(inputs) -> None:
    """The control: the same keys with valid values and compatible units are accepted."""
    sim = build_sim(inputs, pars={
        "dealers": {"quit_rate": "0.5 per week", "recruit_rate": "52 per year"},
        "distribution": {"branch_open_rate": "1 per month"},
        "trafficking": {"ofo_interdiction": 0.2},
    }, **SHORT)
    pars = sim.pars()
    assert pars["dealers"]["quit_rate"] == pytest.approx(0.5 * 365.25 / 7)
    assert pars["dealers"]["recruit_rate"] == pytest.approx(52 * 7 / 365.25)
    assert pars["distribution"]["branch_open_rate"] == pytest.approx(12.0)
    assert pars["trafficking"]["ofo_interdiction"] == 0.2
