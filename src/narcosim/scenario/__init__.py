"""Scenario files (TOML) → a validated, fully resolved :class:`~narcosim.core.sim.Sim`.

* :mod:`narcosim.scenario.document`: the pydantic model of a scenario file;
* :mod:`narcosim.scenario.lines`: the line of every key (``tomllib`` gives none);
* :mod:`narcosim.scenario.validate`: every problem of a file, as ``FILE:LINE: KEY: message``;
* :mod:`narcosim.scenario.loader`: built-in scenarios by name, files by path;
* :mod:`narcosim.scenario.build`: :func:`build_scenario_sim`;
* :mod:`narcosim.scenario.schema`: the JSON Schema (``docs/scenario.schema.json``).
"""

from narcosim.scenario.build import build_scenario_sim
from narcosim.scenario.document import Scenario, ScenarioInfo
from narcosim.scenario.loader import (
    ALIASES,
    ScenarioSource,
    builtin_names,
    is_scenario_name,
    load_scenario,
    resolve_source,
    scenario_record,
)
from narcosim.scenario.refs import WorldRefs, us_cities
from narcosim.scenario.validate import Problem, check_text

__all__ = [
    "ALIASES",
    "Problem",
    "Scenario",
    "ScenarioInfo",
    "ScenarioSource",
    "WorldRefs",
    "build_scenario_sim",
    "builtin_names",
    "check_text",
    "is_scenario_name",
    "load_scenario",
    "resolve_source",
    "scenario_record",
    "us_cities",
]
