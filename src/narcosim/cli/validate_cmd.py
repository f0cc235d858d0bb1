"""``narcosim validate``: check a scenario file and report every problem with its line and key.

``narcosim validate FILE`` prints ``ok`` (exit 0) or one line per problem,
``FILE:LINE: KEY: message`` (exit 2). Targets are checked against the world read from the
atlas store; without a store that is said in one line (and the exit code is 2, since the
file could not be fully checked). ``--list`` lists the built-in scenarios and ``--schema``
prints the JSON Schema (published as ``docs/scenario.schema.json``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from narcosim.atlas.store import Atlas, default_store_path
from narcosim.cli.app import app
from narcosim.cli.options import StoreOption
from narcosim.cli.output import JsonOption, print_json
from narcosim.errors import NarcosimError, StoreError
from narcosim.scenario.document import Scenario
from narcosim.scenario.loader import builtin_names, resolve_source
from narcosim.scenario.refs import WorldRefs
from narcosim.scenario.schema import schema_text
from narcosim.scenario.validate import Problem, check_text

_out = Console(highlight=False, soft_wrap=True)


def builtin_rows() -> list[dict[str, str]]:
    """Each built-in scenario: name, title, interventions, description."""
    rows = []
    for name in builtin_names():
        source = resolve_source(name)
        scenario, _ = check_text(source.text, source.display)
        if scenario is None:
            rows.append({"name": name, "title": name, "interventions": "?",
                         "description": "(does not validate)"})
            continue
        rows.append({"name": name, "title": scenario.scenario.name,
                     "interventions": ", ".join(i.kind for i in scenario.interventions) or "-",
                     "description": " ".join(scenario.scenario.description.split())})
    return rows


def _list_builtins(as_json: bool) -> None:
    rows = builtin_rows()
    if as_json:
        print_json({"scenarios": rows, "aliases": {"default": "status_quo"}})
        return
    table = Table(title="Built-in scenarios (narcosim run NAME)")
    table.add_column("name", no_wrap=True)  # what users type: never folded
    for column in ("title", "interventions"):
        table.add_column(column, overflow="fold")
    table.add_column("description", overflow="fold")
    for row in rows:
        table.add_row(row["name"], row["title"], row["interventions"], row["description"])
    _out.print(table)
    _out.print("'default' is an alias of 'status_quo'.")


def validate_scenario(name_or_path: str, store: Path) -> tuple[Scenario | None, list[Problem]]:
    """Check one scenario (built-in name or file) against the world in ``store``.

    Returns:
        The scenario (None if any problem) and every problem; a missing or unusable store
        is one more problem, keyed ``store``.

    Raises:
        ParameterError: Neither a built-in nor a readable file.
    """
    source = resolve_source(name_or_path)
    refs, extra = None, []
    try:
        refs = WorldRefs.from_atlas(Atlas.open(store))
    except StoreError as error:
        extra.append(Problem(0, "store", f"{error}; targets (states, ports, field offices, "
                             "hubs, cities, factions) not checked", source.display))
    scenario, problems = check_text(source.text, source.display, refs)
    return (scenario if not extra else None), [*problems, *extra]


@app.command("validate")
def validate_command(
    file: Annotated[str | None, typer.Argument(
        help="Scenario file (.toml) or built-in scenario name.")] = None,
    store: StoreOption = None,
    list_: Annotated[bool, typer.Option("--list", help="List the built-in scenarios.")
                     ] = False,
    schema: Annotated[bool, typer.Option(
        "--schema", help="Print the scenario files' JSON Schema.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Check a scenario file: every problem as FILE:LINE: KEY: message, exit 2; else ok."""
    if schema:  # JSON already, with or without --json
        sys.stdout.write(schema_text())
        return
    if list_:
        _list_builtins(as_json)
        return
    if file is None:
        raise NarcosimError("validate: give a scenario FILE (or a built-in name), --list or "
                            "--schema")
    store_path = (store if store is not None else default_store_path()).resolve()
    _, problems = validate_scenario(file, store_path)
    if as_json:
        print_json({"file": file, "ok": not problems,
                    "problems": [{"file": p.file, "line": p.line, "key": p.key,
                                  "message": p.message} for p in problems]})
        if problems:
            raise typer.Exit(2)
        return
    if problems:
        for problem in problems:
            print(problem)
        raise typer.Exit(2)
    print("ok")
