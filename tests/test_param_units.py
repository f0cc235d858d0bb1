"""Every parameter spec under src/ declares its units, and the units say what the value is."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from narcosim.core.params import ParamSpec
from narcosim.core.units import convert, parse_units

SRC = Path(__file__).resolve().parents[1] / "src"


def all_specs() -> list[tuple[str, ParamSpec]]:
    """``(owner, spec)`` for every ``param_specs`` list on a class defined under src/."""
    found: list[tuple[str, ParamSpec]] = []
    for path in sorted((SRC / "narcosim").rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts)
        if name.endswith("__main__"):
            continue
        module = importlib.import_module(name.removesuffix(".__init__"))
        for cls_name, cls in inspect.getmembers(module, inspect.isclass):
            specs = cls.__dict__.get("param_specs")
            if cls.__module__ == module.__name__ and isinstance(specs, list):
                found += [(f"{name}.{cls_name}", spec) for spec in specs]
    return found


SPECS = all_specs()


def test_the_walk_finds_every_module_with_parameters():
    owners = {owner for owner, _ in SPECS}
    assert len(SPECS) >= 70
    for expected in ("narcosim.model.people.People", "narcosim.model.dealers.Dealers",
                     "narcosim.interventions.dealer_ops.DealerOperation"):
        assert any(owner == expected for owner in owners), expected


@pytest.mark.parametrize(("owner", "spec"), SPECS, ids=[f"{o}.{s.name}" for o, s in SPECS])
def test_spec_declares_units(owner, spec):
    assert spec.units.strip(), f"{owner}: parameter {spec.name!r} has no units"
    parse_units(spec.units)
    if "calendar_year" in spec.units:
        assert spec.kind in ("int", "float") and spec.unit.dims == (("calendar_year", 1),)


def test_hidden_units_are_declared():
    by_name = {spec.name: spec for _, spec in SPECS}
    assert by_name["cash_per_arrest"].unit.dims == (("arrest", -1), ("money", 1))
    assert by_name["social_media_from"].kind == "int"
    assert by_name["social_media_from"].resolve(2019.0, "dealers") == 2019
    other = by_name["other_deaths"]
    # 7.9 deaths per 100,000 people per year is 7.9e-5 deaths per person-year ...
    assert convert(7.9, other.unit, parse_units("deaths per people per year")) == pytest.approx(
        7.9e-5, rel=1e-15)
    # ... and a value written per person per year converts back, exactly.
    assert other.resolve("7.9e-5 deaths per people per year", "people") == pytest.approx(7.9)
    # A calendar year is not a length of time: "3 months" is refused.
    with pytest.raises(Exception, match="not compatible"):
        by_name["social_media_from"].resolve("3 months", "dealers")


def test_two_per_read_as_in_english_and_factors_are_exact():
    unit = parse_units("deaths per 100,000 people per year")
    assert unit.dims == (("deaths", 1), ("people", -1), ("time", -1))
    assert parse_units("utility per 1000 km").factor == parse_units("utility per km").factor / 1000
    for bad in ("per per week", "kg per", "0 kg"):
        with pytest.raises(Exception, match="units"):
            parse_units(bad)
