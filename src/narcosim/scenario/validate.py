"""Check a scenario file and report every problem, each with its line and key.

:func:`check_text` parses the TOML (a syntax error is reported with the parser's line and
stops there), validates it against :class:`~narcosim.scenario.document.Scenario` and then checks
what the model alone cannot: an end before its start, an intervention outside the scenario's
horizon, unknown modules and parameters (against the modules' and levers' ``param_specs``),
and target names (ports, field offices, hubs, states, cities, factions) against the world.
Each problem is a :class:`Problem` that prints as ``FILE:LINE: KEY: message``.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from narcosim.core.module import Module
from narcosim.core.params import ParamSpec
from narcosim.errors import ParameterError
from narcosim.interventions.config import CONFIG_BY_KIND, Target
from narcosim.interventions.registry import KINDS
from narcosim.interventions.targeting import resolve_target
from narcosim.model.dealers import Dealers
from narcosim.model.distribution import Distribution
from narcosim.model.firearms import Firearms
from narcosim.model.money import Money
from narcosim.model.people import People
from narcosim.model.portfolio import Portfolio
from narcosim.model.precursors import Precursors
from narcosim.model.production import Production
from narcosim.model.trafficking import Trafficking
from narcosim.scenario.document import Scenario
from narcosim.scenario.limits import (
    MAX_SCALE,
    MAX_TOML_BYTES,
    MAX_TOML_DEPTH,
    horizon_problem,
    max_depth,
    number_problems,
)
from narcosim.scenario.lines import dotted, key_lines, line_of
from narcosim.scenario.refs import WorldRefs

#: Modules whose parameters ``[parameters.<module>]`` may override (as in the builder).
MODULE_CLASSES: dict[str, type[Module]] = {
    "precursors": Precursors, "production": Production, "trafficking": Trafficking,
    "distribution": Distribution, "dealers": Dealers, "money": Money, "people": People,
    "portfolio": Portfolio, "firearms": Firearms,
}
TARGET_LISTS = ("ports", "field_offices", "hubs", "states", "cities")
_TYPE_WORDS = {
    "float_type": "a number", "int_type": "a whole number", "int_from_float": "a whole number",
    "string_type": "a string", "bool_type": "true or false", "list_type": "a list",
    "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table",
    "date_type": "a TOML date such as 2022-05-01 (no quotes)",
    "date_from_datetime_inexact": "a TOML date without a time",
    "literal_error": None,
}


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a scenario file.

    Attributes:
        line: 1-based line, or 0 when the problem is not in the file (e.g. no store).
        key: The key path, e.g. ``interventions[0].end``.
        message: What is wrong.
        file: The file name as shown to the user.
    """

    line: int
    key: str
    message: str
    file: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}"


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, datetime):
        return "a date-time"
    if isinstance(value, date):
        return "a date"
    return {int: "a whole number", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _walk(data: Any, loc: Sequence[Any], keep_last: bool) -> tuple[tuple[Any, ...], Any]:
    """Keep the parts of a pydantic error location that index into the data.

    Other parts are union labels (an intervention's kind, ``float``, ``list[float]``); the
    last part is kept when it names a missing or extra key.
    """
    path: list[Any] = []
    node = data
    for i, part in enumerate(loc):
        in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            path.append(part)
            node = node[part]
        elif i == len(loc) - 1 and keep_last and isinstance(part, str):
            path.append(part)
            node = None
    return tuple(path), node


def _model_at(path: Sequence[Any], data: Any) -> type[BaseModel] | None:
    """The pydantic model that the table at ``path`` is validated against."""
    annotation: Any = Scenario
    node = data
    for part in path:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(str(part))
            annotation = field.annotation if field else None
        else:
            args = typing.get_args(annotation)
            origin = typing.get_origin(annotation)
            if origin is list and args:
                annotation = args[0]
            elif origin is dict and len(args) == 2:
                annotation = args[1]
            else:
                return None
        node = node[part] if isinstance(node, dict | list) else None
        if typing.get_origin(annotation) is typing.Annotated:  # the interventions union
            kind = node.get("kind") if isinstance(node, dict) else None
            annotation = CONFIG_BY_KIND.get(kind) if isinstance(kind, str) else None
        elif isinstance(annotation, types.UnionType):
            models = [a for a in typing.get_args(annotation) if isinstance(a, type)
                      and issubclass(a, BaseModel)]
            annotation = models[0] if models else annotation
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) \
        else None


def _pydantic_problems(error: ValidationError, data: dict[str, Any]) -> dict[tuple, str]:
    """One message per key path from pydantic's errors (union alternatives merged)."""
    grouped: dict[tuple, list[dict[str, Any]]] = {}
    for err in error.errors():
        if err["type"] == "value_error" and "is before start" in str(err.get("msg")):
            continue  # reported by _check_dates with the 'end' key
        keep_last = err["type"] in ("missing", "extra_forbidden")
        path, _ = _walk(data, err["loc"], keep_last)
        grouped.setdefault(path, []).append(err)
    out: dict[tuple, str] = {}
    for path, errs in grouped.items():
        err = errs[0]
        kind, value = err["type"], err.get("input")
        if kind == "extra_forbidden":
            model = _model_at(path[:-1], data)
            known = list(model.model_fields) if model else []
            close = difflib.get_close_matches(str(path[-1]), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            allowed = f" (allowed: {', '.join(known)})" if known else ""
            out[path] = f"unknown key {path[-1]!r}{hint}{allowed}"
        elif kind == "missing":
            out[path] = "missing (required)"
        elif kind == "union_tag_invalid":
            out[(*path, "kind")] = (f"unknown intervention kind {err['ctx']['tag']!r} "
                                    f"(known: {', '.join(CONFIG_BY_KIND)})")
        elif kind == "union_tag_not_found":
            out[(*path, "kind")] = f"missing (one of: {', '.join(CONFIG_BY_KIND)})"
        elif len(errs) > 1 and all(e["type"].endswith("_type") for e in errs):
            out[path] = (f"wrong type: expected a number, a string with units, true/false or "
                         f"a list of numbers, got {_kind_of(value)}")
        elif _TYPE_WORDS.get(kind):
            out[path] = (f"wrong type: expected {_TYPE_WORDS[kind]}, got {_kind_of(value)} "
                         f"{_shown(value)}")
        elif kind == "literal_error":
            out[path] = f"{_shown(value)} is not one of {err['ctx']['expected']}"
        elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
            sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=",
                    "less_than": "<"}[kind]
            bound = next(iter(err["ctx"].values()))
            negative = sign.startswith(">") and bound == 0 and isinstance(value, int | float)
            out[path] = (f"{_shown(value)} is {'negative' if negative else 'out of range'}: must "
                         f"be {sign} {bound:g}")
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
            out[path] = f"{msg[:1].lower()}{msg[1:]}"
    return out


def _check_dates(data: dict[str, Any]) -> dict[tuple, str]:
    """End before start, and interventions that fall outside the scenario's horizon."""
    out: dict[tuple, str] = {}

    def pair(table: Any) -> tuple[date | None, date | None]:
        if not isinstance(table, dict):
            return None, None
        start, end = table.get("start"), table.get("end")
        ok = [v if isinstance(v, date) and not isinstance(v, datetime) else None
              for v in (start, end)]
        return ok[0], ok[1]

    info = data.get("scenario")
    s_start, s_end = pair(info)
    if s_start and s_end and s_end < s_start:
        out[("scenario", "end")] = f"end {s_end} is before start {s_start}"
    outside = horizon_problem(s_start, s_end)
    if outside is not None:
        out[("scenario", outside[0])] = outside[1]
    scale = info.get("scale") if isinstance(info, dict) else None
    if isinstance(scale, int) and not isinstance(scale, bool) and scale > MAX_SCALE:
        out[("scenario", "scale")] = (f"{scale} is above {MAX_SCALE:,}: small states would "
                                      "have no agents")
    horizon_start = s_start or Scenario.model_fields["scenario"].annotation.model_fields[
        "start"].default
    horizon_end = s_end or Scenario.model_fields["scenario"].annotation.model_fields[
        "end"].default
    items = data.get("interventions")
    for i, item in enumerate(items if isinstance(items, list) else []):
        start, end = pair(item)
        if start and end and end < start:
            out[("interventions", i, "end")] = f"end {end} is before start {start}"
        elif start and start > horizon_end:
            out[("interventions", i, "start")] = (f"start {start} is after the scenario's end "
                                                 f"{horizon_end}: it would never act")
        elif end and end < horizon_start:
            out[("interventions", i, "end")] = (f"end {end} is before the scenario's start "
                                               f"{horizon_start}: it would never act")
    return out


def _check_value(specs: Sequence[ParamSpec], key: str, value: Any, label: str) -> str | None:
    """Why one override is wrong for these specs, or None."""
    by_name = {s.name: s for s in specs}
    if key not in by_name:
        close = difflib.get_close_matches(key, list(by_name), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        known = ", ".join(list(by_name)[:12]) + (", …" if len(by_name) > 12 else "")
        return f"unknown parameter {key!r} of {label}{hint} (known: {known or 'none'})"
    if not isinstance(value, bool | int | float | str | list):
        return None  # a wrong type; the model reports it
    try:
        by_name[key].resolve(value, module=label)
    except ParameterError as error:
        return str(error)
    return None


def _check_parameters(data: dict[str, Any]) -> dict[tuple, str]:
    """Unknown modules, unknown parameters and bad values, model-wide and per lever."""
    out: dict[tuple, str] = {}
    pars = data.get("parameters")
    for module, table in (pars.items() if isinstance(pars, dict) else ()):
        if module not in MODULE_CLASSES:
            close = difflib.get_close_matches(module, list(MODULE_CLASSES), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            out[("parameters", module)] = (f"unknown module {module!r}{hint} (known: "
                                           f"{', '.join(MODULE_CLASSES)})")
            continue
        for key, value in (table.items() if isinstance(table, dict) else ()):
            why = _check_value(MODULE_CLASSES[module].param_specs, key, value, module)
            if why:
                out[("parameters", module, key)] = why
    items = data.get("interventions")
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict) or item.get("kind") not in KINDS:
            continue
        lever = item["kind"]
        table = item.get("parameters")
        for key, value in (table.items() if isinstance(table, dict) else ()):
            why = _check_value(KINDS[lever].param_specs, key, value, f"lever {lever!r}")
            if why:
                out[("interventions", i, "parameters", key)] = why
    return out


def _check_targets(data: dict[str, Any], refs: WorldRefs) -> dict[tuple, str]:
    """Each target name resolved against the world on its own, so every bad one is found."""
    out: dict[tuple, str] = {}
    items = data.get("interventions")
    for i, item in enumerate(items if isinstance(items, list) else []):
        target = item.get("target") if isinstance(item, dict) else None
        if isinstance(item, dict) and item.get("kind") == "leader_removal" and not (
                isinstance(target, dict) and (target.get("faction") or target.get("cartel"))):
            out[("interventions", i, "kind")] = ("a leader removal needs target.faction or "
                                                 "target.cartel")
        if not isinstance(target, dict):
            continue
        checks: list[tuple[tuple, dict[str, Any]]] = []
        for key in TARGET_LISTS:
            names = target.get(key)
            for j, name in enumerate(names if isinstance(names, list) else []):
                if isinstance(name, str):
                    checks.append(((key, j), {key: [name]}))
        if isinstance(target.get("faction"), str):
            checks.append((("faction",), {"faction": target["faction"]}))
        for sub, one in checks:
            try:
                resolve_target(Target(**one), refs.world, refs.structure, refs.cities,
                               where="\x00")
            except ParameterError as error:
                text = re.sub(r"^\x00: target\.\w+: ", "", str(error))
                out[("interventions", i, "target", *sub)] = text
    return out


def parse_error_line(error: tomllib.TOMLDecodeError) -> tuple[int, str]:
    """The line and message of a TOML syntax error (``tomllib`` puts the line in the text)."""
    text = str(error)
    found = re.search(r"\(at line (\d+), column (\d+)\)", text)
    if found:
        return int(found.group(1)), text[:found.start()].strip() + f" (column {found.group(2)})"
    found = re.search(r"\(at end of document\)", text)
    return (text.count("\n") + 1 if not found else 0), text


def check_text(text: str, filename: str = "<scenario>",
               refs: WorldRefs | None = None) -> tuple[Scenario | None, list[Problem]]:
    """Check a scenario's TOML text and return the scenario (if valid) and every problem.

    Args:
        text: The file's text.
        filename: Shown at the start of each problem line.
        refs: The world to check targets against; None skips the target checks.

    Returns:
        ``(scenario, problems)``; ``scenario`` is None unless ``problems`` is empty.
    """
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_TOML_BYTES:
        return None, [Problem(0, "file", f"{size:,} bytes; a scenario file may hold at most "
                                         f"{MAX_TOML_BYTES:,}", filename)]
    if max_depth(text) > MAX_TOML_DEPTH:
        return None, [Problem(0, "toml", f"arrays or tables nested more than {MAX_TOML_DEPTH} "
                                         "levels deep", filename)]
    try:
        data = tomllib.loads(text)
    except RecursionError:
        return None, [Problem(0, "toml", "nested too deeply to read", filename)]
    except tomllib.TOMLDecodeError as error:
        line, message = parse_error_line(error)
        if line == 0:
            line = text.count("\n") + 1
        return None, [Problem(line, "toml", f"syntax error: {message}", filename)]
    found: dict[tuple, str] = {}
    scenario = None
    try:
        scenario = Scenario.from_data(data)
    except ValidationError as error:
        found.update(_pydantic_problems(error, data))
    found.update(_check_dates(data))
    found.update(_check_parameters(data))
    found.update(number_problems(data))  # nan, inf and 1e308 in any key, over other messages
    if refs is not None:
        found.update(_check_targets(data, refs))
    lines = key_lines(text)
    problems = sorted(Problem(line_of(lines, path), dotted(path) or "(file)", message, filename)
                      for path, message in found.items())
    return (scenario if not problems else None), problems


def format_problems(problems: Sequence[Problem]) -> str:
    """The problems, one per line."""
    return "\n".join(str(p) for p in problems)


def first_problem_error(problems: Sequence[Problem], hint: str = "") -> ParameterError:
    """One-line error for commands that run a scenario: the first problem and a count."""
    more = len(problems) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''}{hint})" if more else ""
    return ParameterError(f"{problems[0]}{tail}")


def resolved_overrides(scenario: Scenario) -> Mapping[str, Mapping[str, Any]]:
    """The scenario's ``[parameters]`` as the builder takes them."""
    return {module: dict(values) for module, values in scenario.parameters.items()}
