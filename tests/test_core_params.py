"""Parameter specs: unknown keys, bounds, units, JSON Schema."""

import json
import re
from fractions import Fraction

import numpy as np
import pytest

from narcosim.core import Duration, Module, ParamSet, ParamSpec, Rate, parse_units
from narcosim.core.units import convert
from narcosim.errors import ParameterError

SPECS = [
    ParamSpec("shipments", 26.0, "per year", low=0, high=1000, source="guess: test"),
    ParamSpec("load", 10.0, "kg", low=0, source="guess: test"),
    ParamSpec("delay", 2.0, "weeks", low=0, high=52, source="guess: test"),
    ParamSpec("share", 0.4, "fraction", low=0, high=1, source="DEA lab testing 2021 (test)"),
    ParamSpec("cells", 3, "cells", low=1, kind="int", source="guess: test"),
    ParamSpec("on", True, kind="bool", source="guess: test"),
    ParamSpec("mode", "cost", kind="choice", choices=("cost", "risk"), source="guess: test"),
    ParamSpec("weights", np.array([0.5, 0.5]), "", low=0, high=1, kind="array", source="guess"),
]


def one_line_error(overrides):
    with pytest.raises(ParameterError) as info:
        ParamSet(SPECS, overrides, module="supply")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_unknown_key_names_module_and_known_keys():
    message = one_line_error({"foo": 1})
    assert message.startswith("unknown parameter 'foo' for module 'supply' (known: shipments, load")
    assert one_line_error({"shipment": 1}).endswith("did you mean 'shipments'?")


def test_out_of_bounds_below_and_above():
    assert one_line_error({"load": -1}) == (
        "parameter 'load' of module 'supply' = -1 is below its lower bound 0"
    )
    assert "is above its upper bound 1" in one_line_error({"share": 1.5})
    assert "is above its upper bound 52" in one_line_error({"delay": "2 years"})
    assert "is below its lower bound 0" in one_line_error({"weights": [0.5, -0.1]})


@pytest.mark.parametrize(
    ("key", "value"),
    [("shipments", "5 kg"), ("load", "3 per week"), ("delay", "4 usd"), ("share", "2 weeks"),
     ("cells", "3 people"), ("shipments", "3 weeks")],
)
def test_wrong_units_rejected(key, value):
    message = one_line_error({key: value})
    assert message.startswith(f"parameter '{key}' of module 'supply' = '{value}' has units")
    assert "not compatible with" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [("load", "ten kg"), ("shipments", "5 per per week"), ("on", 1), ("mode", "fast"),
     ("cells", 2.5), ("load", float("nan")), ("load", True), ("load", [1, 2])],
)
def test_malformed_values_rejected_in_one_line(key, value):
    assert f"'{key}'" in one_line_error({key: value})


def test_unit_conversion_is_exact():
    pars = ParamSet(
        SPECS,
        {"shipments": "0.5 per week", "load": "1000 g", "delay": "14 days", "share": "40 percent",
         "cells": "4"},
        module="supply",
    )
    # 0.5 per week = 0.5 * 365.25 / 7 per year, one rounding only.
    assert pars.shipments == float(Fraction(1, 2) * Fraction(1461, 4) / 7)
    assert pars.load == 1.0
    assert pars.delay == 2.0
    assert pars.share == 0.4
    assert pars.cells == 4 and isinstance(pars.cells, int)
    assert ParamSet(SPECS, {"load": "10 lb"}, "s").load == 4.5359237
    assert ParamSet(SPECS, {"shipments": Rate(1, "day")}, "s").shipments == 365.25
    assert ParamSet(SPECS, {"delay": Duration(6, "months")}, "s").delay == float(
        Fraction(6 * 1461, 48 * 7)
    )
    assert convert(26, parse_units("per year"), parse_units("per week")) == 26 * 7 / 365.25


def test_defaults_and_to_dict():
    pars = ParamSet(SPECS, {"mode": "risk"}, module="supply")
    values = pars.to_dict()
    assert values["mode"] == "risk" and values["shipments"] == 26.0
    assert values["weights"] == [0.5, 0.5]
    json.dumps(values)
    assert "supply" in repr(pars) and "mode=risk" in repr(pars)


def test_spec_requires_source_and_valid_default():
    with pytest.raises(ParameterError, match="source citation is required"):
        ParamSpec("x", 1.0, "kg", source=" ")
    with pytest.raises(ParameterError, match="below its lower bound"):
        ParamSpec("x", -1.0, "kg", low=0, source="guess")
    with pytest.raises(ParameterError, match="declares parameter 'load' twice"):
        ParamSet([*SPECS, SPECS[1]], {}, module="supply")
    assert ParamSpec("x", 1.0, source="guess: none").is_guess


def _check(schema, value):
    """A minimal JSON Schema validator for the keywords to_json_schema emits."""
    if "anyOf" in schema:
        return any(_check(s, value) for s in schema["anyOf"])
    if "enum" in schema:
        return value in schema["enum"]
    kind = schema.get("type")
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str) and re.match(schema["pattern"], value) is not None
    if kind == "array":
        return isinstance(value, list) and all(_check(schema["items"], v) for v in value)
    if kind in ("number", "integer"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and (kind == "number" or float(value).is_integer())
        ok = ok and value >= schema.get("minimum", -np.inf)
        return ok and value <= schema.get("maximum", np.inf)
    return False


def test_json_schema_validates_defaults_and_rejects_bad_values():
    class Supply(Module):
        name = "supply"
        param_specs = SPECS

    schema = Supply.json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    json.dumps(schema)
    props = schema["properties"]
    assert set(props) == {s.name for s in SPECS}
    for spec in SPECS:
        prop = props[spec.name]
        assert _check(prop, prop["default"]), spec.name
        assert spec.source in prop["description"]
        assert prop["x-units"] == spec.units
    assert not _check(props["load"], -1)
    assert not _check(props["share"], 2)
    assert not _check(props["cells"], 2.5)
    assert _check(props["shipments"], "0.5 per week")
    assert not _check(props["mode"], "fast")


def test_module_resolves_overrides_at_construction():
    class Supply(Module):
        name = "supply"
        param_specs = SPECS

    module = Supply({"load": "2 kg"}, cells=5)
    assert module.pars.load == 2.0 and module.pars.cells == 5
    assert repr(module) == "Supply(name='supply', load=2.0, cells=5)"
    with pytest.raises(ParameterError, match="unknown parameter 'x' for module 'supply'"):
        Supply(x=1)
