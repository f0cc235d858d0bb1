"""The simulation engine, domain-free: time, parameters, random streams, agents, modules, results.

Imports nothing from other narcosim packages except :mod:`narcosim.errors`.
See ``docs/engine.md`` for the lifecycle and a runnable example.
"""

from narcosim.core.agents import Agents
from narcosim.core.module import PHASES, Module
from narcosim.core.params import ParamSet, ParamSpec, to_json_schema
from narcosim.core.random import INIT_STEP, Stream, StreamReuseError, Streams, stable_hash
from narcosim.core.results import Results, ResultSpec, SimResults
from narcosim.core.sim import LoopPlan, PlanCall, Sim
from narcosim.core.time import Duration, Rate, Timeline, fiscal_year, time_unit_days
from narcosim.core.units import Unit, convert, parse_quantity, parse_units

__all__ = [
    "INIT_STEP",
    "PHASES",
    "Agents",
    "Duration",
    "LoopPlan",
    "Module",
    "ParamSet",
    "ParamSpec",
    "PlanCall",
    "Rate",
    "ResultSpec",
    "Results",
    "Sim",
    "SimResults",
    "Stream",
    "StreamReuseError",
    "Streams",
    "Timeline",
    "Unit",
    "convert",
    "fiscal_year",
    "parse_quantity",
    "parse_units",
    "stable_hash",
    "time_unit_days",
    "to_json_schema",
]
