"""One run, start to finish: check the arguments, step the sim, write the run folder.

:func:`execute_run` takes any built :class:`~narcosim.core.sim.Sim`, so the run-folder
machinery is the same for the built-in default scenario, for scenario files and for tests
with a toy sim. The sim is stepped only after the target folder has been checked and the
running manifest written; the folder is renamed into place only when everything is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narcosim.core.sim import Progress, Sim
from narcosim.errors import ParameterError
from narcosim.interventions.base import Intervention
from narcosim.model.builder import summarize
from narcosim.run.folder import RunFolderWriter
from narcosim.run.manifest import build_manifest
from narcosim.scenario.limits import MAX_SCALE, MAX_SEED
from narcosim.scenario.loader import is_scenario_name, resolve_source

#: Scenarios run by the default builder. Built-in scenario files (``narcosim validate
#: --list``, of which ``default`` is an alias of ``status_quo``) and ``.toml`` paths are run
#: through :mod:`narcosim.scenario`.
SCENARIOS: tuple[str, ...] = ("default",)

Summarize = Callable[[Sim], dict[str, Any]]


def check_run_args(scenario: str | None, seed: int, scale: int) -> str:
    """Check a run's scenario name, seed and scale before anything is built.

    Args:
        scenario: Scenario name (built-in or alias) or a ``.toml`` path; None for ``default``.
        seed: Run seed; must be a non-negative integer.
        scale: Population scale (1 = everyone, 100 = one agent per 100 people); at least 1.

    Returns:
        The scenario name.

    Raises:
        ParameterError: An empty, unknown or missing scenario, a seed outside 0 to
            2**63 - 1 or a scale outside 1 to :data:`~narcosim.scenario.limits.MAX_SCALE`.
    """
    if scenario is not None and not scenario.strip():
        raise ParameterError("scenario: empty name; give a built-in name (narcosim validate "
                             "--list) or a .toml file, or leave it out for the default")
    name = scenario or "default"
    if name not in SCENARIOS and not is_scenario_name(name):
        resolve_source(name)  # raises the one-line error: unknown name or missing file
    if isinstance(seed, bool) or int(seed) != seed or not 0 <= seed <= MAX_SEED:
        raise ParameterError(f"--seed {seed}: must be a non-negative integer <= {MAX_SEED}")
    if isinstance(scale, bool) or int(scale) != scale or not 1 <= scale <= MAX_SCALE:
        raise ParameterError(f"--scale {scale}: must be a whole number >= 1 and <= "
                             f"{MAX_SCALE:,} (1 = full population, 100 = 1:100)")
    return name


def run_summary(sim: Sim) -> dict[str, Any]:
    """A finished run's ``summary.json``: the model's summary, plus each lever's cost.

    Args:
        sim: The finished sim.

    Returns:
        :func:`~narcosim.model.builder.summarize` and, when the sim has interventions,
        ``interventions``: per lever label its total ``cost_usd`` and ``weeks_active``.
    """
    out = summarize(sim)
    levers = {m.config.label: {"cost_usd": float(sim.results[n]["cost_usd"].sum()),
                               "weeks_active": int(sim.results[n]["active"].sum())}
              for n, m in sim.modules.items() if isinstance(m, Intervention)}
    if levers:
        out["interventions"] = levers
    return out


@dataclass(frozen=True)
class RunOutcome:
    """What a finished run produced.

    Attributes:
        path: The complete run folder.
        manifest: The manifest as written.
        summary: The summary as computed (before JSON conversion).
        sim: The sim, after its run.
        wall_seconds: Time from the first step to the folder being in place.
    """

    path: Path
    manifest: dict[str, Any]
    summary: dict[str, Any]
    sim: Sim
    wall_seconds: float


def execute_run(
    sim: Sim,
    out: Path,
    *,
    scenario: str,
    scale: int,
    command: Sequence[str],
    summarize: Summarize,
    data: Mapping[str, Any] | None = None,
    force: bool = False,
    progress: Progress | None = None,
    scenario_file: Mapping[str, Any] | None = None,
) -> RunOutcome:
    """Run a built sim and write its run folder atomically.

    Args:
        sim: The sim to run (not yet run).
        out: The run folder to create.
        scenario: Scenario name recorded in the manifest.
        scale: Population scale recorded in the manifest.
        command: The command line (argv, program name first).
        summarize: Computes the headline figures from the finished sim.
        data: Data provenance (:func:`~narcosim.run.manifest.data_provenance`), or None.
        force: Replace an existing complete run folder at ``out``.
        progress: Called as ``progress(steps_done, n_steps)`` after each step.
        scenario_file: The scenario's source and resolved content
            (:func:`~narcosim.scenario.loader.scenario_record`), recorded in the manifest.

    Returns:
        The outcome, with the folder in place.

    Raises:
        ParameterError: ``out`` cannot be used (see
            :func:`~narcosim.run.folder.check_out_dir`).
        StoreError: The folder cannot be written.
        Exception: Whatever the sim or ``summarize`` raises; the ``.partial`` folder's
            manifest then says ``failed`` (``interrupted`` for KeyboardInterrupt).
    """
    writer = RunFolderWriter(out, force=force)
    manifest = build_manifest(sim, scenario=scenario, scale=scale, command=command, data=data,
                              scenario_file=scenario_file)
    writer.begin(manifest)
    started = time.perf_counter()
    try:
        sim.run(progress=progress)
        summary = summarize(sim)
        frame = sim.results.to_frame()
        final = writer.commit(manifest, frame, summary,
                              wall_seconds=time.perf_counter() - started)
    except KeyboardInterrupt:
        writer.abort(manifest, "interrupted", f"interrupted at step {sim.ti}")
        raise
    except BaseException as error:
        first = str(error).splitlines()[0] if str(error) else ""
        writer.abort(manifest, "failed",
                     f"{type(error).__name__} at step {sim.ti}: {first}".rstrip(": "))
        raise
    return RunOutcome(writer.out, final, summary, sim, time.perf_counter() - started)
