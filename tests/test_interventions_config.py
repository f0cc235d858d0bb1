"""Bad intervention configs are refused with a message that names the key (issue 5).

Field-level problems (unknown key, wrong type, end before start, negative cost) are pydantic
``ValidationError``s; names that do not exist in the world (ports, field offices, hubs, states,
cities, factions) and unknown lever parameters are one-line ``ParameterError``s.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from narcosim.atlas.store import Atlas
from narcosim.errors import NarcosimError, ParameterError
from narcosim.interventions import CONFIG_BY_KIND, build_interventions
from narcosim.interventions.config import (
    BorderSurgeConfig,
    DealerOperationConfig,
    LeaderRemovalConfig,
    Target,
)
from supply_fixtures import inputs_for

OK = {"start": "2022-05-01", "end": "2023-05-31"}


def _us_cities(store: Path) -> dict[str, str]:
    cities = Atlas.open(store).table("cities")
    us = cities[cities["country"] == "US"]
    return dict(zip(us["name"].astype(str), us["admin1"].astype(str), strict=True))


def _locs(err: ValidationError) -> list[str]:
    return [".".join(str(p) for p in e["loc"]) for e in err.errors()]


@pytest.mark.parametrize("kind", sorted(CONFIG_BY_KIND))
def test_unknown_key_is_refused_by_name(kind: str) -> None:
    with pytest.raises(ValidationError) as err:
        CONFIG_BY_KIND[kind](**OK, investigations=10, intensty=2.0)
    assert "intensty" in _locs(err.value)
    assert "extra" in str(err.value).lower()


def test_unknown_key_inside_the_target_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        BorderSurgeConfig(**OK, target={"port": ["2504"]})
    assert "target.port" in _locs(err.value)


def test_end_before_start_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        BorderSurgeConfig(start="2023-05-31", end="2022-05-01")
    message = str(err.value)
    assert "end 2022-05-01 is before start 2023-05-31" in message


@pytest.mark.parametrize("field, value", [("annual_cost", -1.0), ("intensity", -0.5)])
def test_negative_cost_or_intensity_is_refused(field: str, value: float) -> None:
    with pytest.raises(ValidationError) as err:
        BorderSurgeConfig(**OK, **{field: value})
    assert _locs(err.value) == [field]


@pytest.mark.parametrize("field, value", [("intensity", "high"), ("start", "May 2022"),
                                          ("annual_cost", [1, 2])])
def test_wrong_type_is_refused(field: str, value: object) -> None:
    data = {**OK, field: value}
    with pytest.raises(ValidationError) as err:
        BorderSurgeConfig(**data)
    assert _locs(err.value) == [field]


def test_bad_leader_and_operation_fields_are_refused() -> None:
    with pytest.raises(ValidationError) as err:
        LeaderRemovalConfig(**OK, release_probability=1.5)
    assert _locs(err.value) == ["release_probability"]
    with pytest.raises(ValidationError) as err:
        DealerOperationConfig(**OK)  # how many investigations?
    assert _locs(err.value) == ["investigations"]
    with pytest.raises(ValidationError) as err:
        DealerOperationConfig(**OK, investigations=-3)
    assert _locs(err.value) == ["investigations"]
    with pytest.raises(ValidationError) as err:
        BorderSurgeConfig(**OK, target={"cartel": "zetas"})
    assert _locs(err.value) == ["target.cartel"]


@pytest.mark.parametrize("target, key, value", [
    (Target(ports=["9999"]), "target.ports", "9999"),
    (Target(field_offices=["MIAMI FIELD OFFICE"]), "target.field_offices", "MIAMI FIELD OFFICE"),
    (Target(hubs=["Denver"]), "target.hubs", "Denver"),
    (Target(states=["XX"]), "target.states", "XX"),
    (Target(cities=["Springfield Gardens"]), "target.cities", "Springfield Gardens"),
    (Target(faction="sinaloa.zambada_jr"), "target.faction", "sinaloa.zambada_jr"),
])
def test_unknown_target_names_the_key_and_value(atlas_store: Path, target: Target, key: str,
                                                value: str) -> None:
    config = BorderSurgeConfig(**OK, name="surge", target=target)
    ok = BorderSurgeConfig(**OK)
    with pytest.raises(ParameterError) as err:
        build_interventions([ok, config], inputs_for(atlas_store), _us_cities(atlas_store))
    message = str(err.value)
    assert isinstance(err.value, NarcosimError)
    assert "\n" not in message
    assert message.startswith("interventions[1] (surge): " + key), message
    assert repr(value) in message, message


def test_known_targets_resolve(atlas_store: Path) -> None:
    """The names the errors suggest do resolve (real ports, offices, hubs, states, cities)."""
    config = DealerOperationConfig(**OK, investigations=10, target=Target(
        ports=["2504", "Nogales"], field_offices=["Laredo"], hubs=["Phoenix"],
        states=["OH"], cities=["Los Angeles", "Chicago"], faction="sinaloa.chapitos"))
    (iv,) = build_interventions([config], inputs_for(atlas_store), _us_cities(atlas_store))
    world = inputs_for(atlas_store).world
    chosen = {world.states[i] for i in iv.target.states.nonzero()[0]}
    assert chosen == {"OH", "CA", "IL"}
    assert {world.ports[i].name for i in iv.target.ports.nonzero()[0]} == {"San Ysidro",
                                                                            "Nogales"}
    assert [world.field_offices[i] for i in iv.target.field_offices.nonzero()[0]] == [
        "LAREDO FIELD OFFICE"]


def test_unknown_lever_parameter_is_refused(atlas_store: Path) -> None:
    config = DealerOperationConfig(**OK, investigations=10,
                                   parameters={"arrests_per_investigtion": 3.0})
    with pytest.raises(ParameterError) as err:
        build_interventions([config], inputs_for(atlas_store), {})
    assert "arrests_per_investigtion" in str(err.value)
    assert "\n" not in str(err.value)


def test_leader_removal_without_a_faction_or_cartel_is_refused(atlas_store: Path) -> None:
    """A capture of nobody would book its cost and change nothing; say so instead."""
    config = LeaderRemovalConfig(**OK, name="capture", annual_cost=1e6)
    with pytest.raises(ParameterError) as err:
        build_interventions([config], inputs_for(atlas_store), {})
    message = str(err.value)
    assert "interventions[0] (capture)" in message and "target" in message, message
    assert "\n" not in message


def test_public_health_lever_without_people_says_so(atlas_store: Path) -> None:
    """A naloxone lever in a supply-only run is a one-line error, not a KeyError traceback."""
    from narcosim.interventions.config import NaloxoneConfig
    from narcosim.model.builder import build_sim

    inputs = inputs_for(atlas_store)
    ivs = build_interventions([NaloxoneConfig(**OK, name="naloxone drive")], inputs, {})
    with pytest.raises(NarcosimError) as err:
        build_sim(inputs, start="2022-05-01", end="2022-06-30", people=False,
                  interventions=ivs).run()
    message = str(err.value)
    assert "naloxone" in message and "people" in message, message
    assert "\n" not in message
