"""Find a scenario by built-in name or file path, read it, and check it.

Built-in scenarios are TOML files shipped in ``narcosim/scenario/builtin/`` (package data);
``default`` is an alias of ``status_quo``. Anything else is read as a path to a ``.toml``
file. A :class:`ScenarioSource` keeps the exact text and its sha256, so run manifests can
record what was run.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from narcosim.errors import ParameterError
from narcosim.scenario.document import Scenario
from narcosim.scenario.refs import WorldRefs
from narcosim.scenario.validate import Problem, check_text, first_problem_error

#: Names that stand for a built-in scenario.
ALIASES: dict[str, str] = {"default": "status_quo"}
_BUILTIN_DIR = "builtin"


def builtin_names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    folder = resources.files("narcosim.scenario").joinpath(_BUILTIN_DIR)
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir()
                  if p.name.endswith(".toml"))


def is_scenario_name(name: str) -> bool:
    """Whether ``name`` is a built-in scenario, an alias, or an existing ``.toml`` file."""
    if name in ALIASES or name in builtin_names():
        return True
    path = Path(name)
    return path.suffix == ".toml" and path.is_file()


@dataclass(frozen=True)
class ScenarioSource:
    """A scenario file's identity and exact text.

    Attributes:
        name: The name asked for (a built-in's name, an alias, or the path as given).
        origin: ``builtin:<file>.toml`` or the file's absolute path.
        display: How messages name the file (``last_mile.toml`` or the path as given).
        text: The file's text.
        sha256: sha256 of the file's bytes.
    """

    name: str
    origin: str
    display: str
    text: str
    sha256: str

    def record(self) -> dict[str, Any]:
        """JSON-ready record for manifests: name, origin, sha256 and the TOML text."""
        return {"name": self.name, "origin": self.origin, "sha256": self.sha256,
                "toml": self.text}

    def __repr__(self) -> str:
        return f"ScenarioSource({self.name!r}, {self.origin!r}, sha256={self.sha256[:12]}…)"


def _decode(raw: bytes, display: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise ParameterError(f"{display}:{line}: file: not UTF-8 text (byte {error.start})"
                             ) from None


def resolve_source(name_or_path: str) -> ScenarioSource:
    """Read a built-in scenario by name (or alias), or a scenario file by path.

    Raises:
        ParameterError: Neither a built-in nor a readable file (one line).
    """
    name = str(name_or_path)
    builtin = ALIASES.get(name, name)
    if builtin in builtin_names():
        file = f"{builtin}.toml"
        folder = resources.files("narcosim.scenario").joinpath(_BUILTIN_DIR)
        raw = folder.joinpath(file).read_bytes()
        return ScenarioSource(name, f"builtin:{file}", file, _decode(raw, file),
                              hashlib.sha256(raw).hexdigest())
    path = Path(name)
    if path.is_file():
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise ParameterError(f"scenario file {name}: cannot read ({error.strerror})"
                                 ) from None
        return ScenarioSource(name, str(path.resolve()), name, _decode(raw, name),
                              hashlib.sha256(raw).hexdigest())
    if path.suffix == ".toml" or path.parent != Path("."):
        raise ParameterError(f"scenario file {name} not found")
    known = ", ".join(repr(n) for n in ["default", *builtin_names()])
    raise ParameterError(f"unknown scenario {name!r}: not a built-in ({known}) nor a .toml "
                         "file")


def all_problems_error(problems: list[Problem], hint: str = "") -> ParameterError:
    """One line listing every problem, as ``narcosim validate`` would, then their count.

    ``FILE:LINE: KEY: message; FILE:LINE: KEY: message (2 problems; see ...)``: a run
    refused for its scenario says everything that is wrong at once, on one line.
    """
    if len(problems) < 2:
        return first_problem_error(problems, hint)
    return ParameterError("; ".join(str(p) for p in problems)
                          + f" ({len(problems)} problems{hint})")


def load_scenario(name_or_path: str,
                  refs: WorldRefs | None = None) -> tuple[ScenarioSource, Scenario]:
    """Resolve, read and check a scenario; raise on its first problem.

    Args:
        name_or_path: Built-in name, alias, or path to a TOML file.
        refs: World to check targets against (None: checked later, when the sim is built).

    Raises:
        ParameterError: Unknown scenario, unreadable file, or a problem in it (the first,
            as ``FILE:LINE: KEY: message``, with the count of the others).
    """
    source = resolve_source(name_or_path)
    scenario, problems = check_text(source.text, source.display, refs)
    if problems or scenario is None:
        raise all_problems_error(problems, f"; see narcosim validate {source.display}")
    return source, scenario


def scenario_record(source: ScenarioSource, scenario: Scenario, **overrides: Any
                    ) -> dict[str, Any]:
    """What a manifest records: the source (text and sha256) and the resolved scenario.

    Args:
        source: Where the scenario came from.
        scenario: The parsed scenario.
        **overrides: Values of ``[scenario]`` replaced for this run (seed, scale, start,
            end); None values are ignored.
    """
    info = scenario.scenario.model_dump(mode="json")
    info.update({k: (str(v) if k in ("start", "end") else v)
                 for k, v in overrides.items() if v is not None})
    resolved = scenario.model_dump(mode="json")
    resolved["scenario"] = info
    return {**source.record(), "resolved": resolved}
