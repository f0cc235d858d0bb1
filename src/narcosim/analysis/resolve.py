"""Turn the scenarios named on a ``compare`` command line into arms.

A scenario is a built-in name (``status_quo``, ``last_mile``, …) or a TOML file, read and
checked by :func:`narcosim.scenario.load_scenario` (every problem names its line and key). The
comparison's own scale and dates replace the files' (all arms must run the same horizon on
the same seeds for their differences to mean anything).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from narcosim.analysis.arms import ArmSpec
from narcosim.errors import ParameterError
from narcosim.run.manifest import jsonable
from narcosim.run.member import FIXED, EnsembleSpec
from narcosim.scenario import ALIASES, builtin_names, load_scenario


def arm_name(ref: str) -> str:
    """The label of a scenario reference: a built-in's name, or a file's stem."""
    if ref in ALIASES or ref in builtin_names():
        return ref
    return Path(ref).stem


def resolve_arm(ref: str, *, store: Path, scale: int, start: str, end: str,
                parameters: str = FIXED) -> ArmSpec:
    """One scenario reference (built-in name or TOML path) as an arm.

    ``parameters`` is the members' parameter mode (:func:`narcosim.run.member.parameter_mode`).

    Raises:
        ParameterError: An unknown scenario name, or a file that is missing or invalid.
    """
    source, scenario = load_scenario(ref)
    configs = tuple(jsonable(c.model_dump(mode="json")) for c in scenario.interventions)
    spec = EnsembleSpec(ref, str(store), int(scale), str(start), str(end), toml=source.text,
                         parameters=parameters)
    return ArmSpec(arm_name(ref), source.origin, scenario.scenario.name, configs, spec)


def resolve_arms(refs: Sequence[str], *, store: Path, scale: int, start: str, end: str,
                 parameters: str = FIXED) -> list[ArmSpec]:
    """Every scenario of a comparison, baseline first, with unique names.

    A scenario named twice (a useful negative control: its effects must be exactly zero)
    gets ``#2``, ``#3`` … after its name.

    Raises:
        ParameterError: Fewer than two scenarios, or one that cannot be resolved.
    """
    if len(refs) < 2:
        raise ParameterError(f"compare needs at least 2 scenarios (a baseline and one to "
                             f"compare), got {len(refs)}")
    arms, seen = [], {}
    for ref in refs:
        arm = resolve_arm(ref, store=store, scale=scale, start=start, end=end,
                          parameters=parameters)
        seen[arm.name] = seen.get(arm.name, 0) + 1
        if seen[arm.name] > 1:
            arm = ArmSpec(f"{arm.name}#{seen[arm.name]}", arm.source, arm.title,
                          arm.interventions, arm.spec)
        arms.append(arm)
    return arms
