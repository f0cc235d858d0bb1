"""The scenario file's JSON Schema (draft 2020-12), published as ``docs/scenario.schema.json``.

It is the pydantic model's schema with the parameter tables filled in from the code's
parameter specs: ``[parameters.<module>]`` lists each model module's parameters, and each
intervention kind's ``parameters`` table lists its lever's, with units, bounds, defaults and
sources. Editors that read JSON Schema for TOML (Taplo, Tombi) can use it; TOML dates appear
as strings of format ``date``. Regenerate the published copy with
``narcosim validate --schema > docs/scenario.schema.json``.
"""

from __future__ import annotations

import json
from typing import Any

from narcosim.core.params import SCHEMA_DIALECT, to_json_schema
from narcosim.interventions.config import CONFIG_BY_KIND
from narcosim.interventions.registry import KINDS
from narcosim.scenario.document import Scenario
from narcosim.scenario.validate import MODULE_CLASSES

#: Where the published copy lives, relative to the repository root.
PUBLISHED_PATH = "docs/scenario.schema.json"


def _params_schema(specs: Any, label: str, description: str) -> dict[str, Any]:
    schema = to_json_schema(list(specs), label)
    schema.pop("$schema", None)
    schema["description"] = description
    return schema


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, as a JSON-ready dictionary."""
    schema = Scenario.model_json_schema(mode="validation")
    schema = {"$schema": SCHEMA_DIALECT, **schema}
    schema["description"] = (
        "A narcosim scenario file (TOML): [scenario] name, seed, scale and horizon; "
        "[parameters.<module>] overrides of model parameters; [[interventions]] levers, each "
        "with kind, start, end, intensity, annual_cost, target and parameters. Numbers are in "
        "each parameter's units; strings with units (\"26 per year\") are converted.")
    modules = {
        name: _params_schema(cls.param_specs, name, f"Parameters of the {name} module.")
        for name, cls in MODULE_CLASSES.items()
    }
    schema["properties"]["parameters"] = {
        "description": "Model parameter overrides: [parameters.<module>] <name> = <value>.",
        "type": "object", "additionalProperties": False, "properties": modules,
    }
    defs = schema["$defs"]
    for kind, config in CONFIG_BY_KIND.items():
        entry = defs[config.__name__]
        entry["properties"]["parameters"] = _params_schema(
            KINDS[kind].param_specs, kind,
            f"Overrides of the {kind} lever's parameters.")
        entry["required"] = ["kind", *[r for r in entry.get("required", []) if r != "kind"]]
    return schema


def schema_text() -> str:
    """The schema as the published file holds it (indented JSON and a final newline)."""
    return json.dumps(scenario_json_schema(), indent=2, ensure_ascii=False) + "\n"
