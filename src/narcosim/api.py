"""The Python entry points: build and run a scenario, compare scenarios, save a run.

``import narcosim as ns`` gives these names (see ``docs/index.md``)::

    sim = ns.Sim.from_scenario("status_quo", seed=1, scale=100)
    sim.run()
    df = sim.results.to_frame()
    comparison = ns.compare(["status_quo", "naloxone_expansion"], runs=10)

:class:`Sim` is the engine's :class:`narcosim.core.sim.Sim` with a constructor from a
scenario (built-in name or TOML file), a :meth:`Sim.summary` and a :meth:`Sim.save` that
writes the same run folder as ``narcosim run``. :func:`compare` is
:func:`narcosim.analysis.compare.compare` with keyword defaults. Nothing here re-implements
the model: the sim is built by :func:`narcosim.scenario.build.build_scenario_sim`, the folder
written by :class:`narcosim.run.folder.RunFolderWriter`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from narcosim.analysis.arms import ArmProgress
from narcosim.analysis.compare import Comparison
from narcosim.analysis.compare import compare as _compare
from narcosim.atlas.store import Atlas, default_store_path
from narcosim.core.module import Module
from narcosim.core.sim import Sim as EngineSim
from narcosim.interventions.base import Intervention
from narcosim.interventions.config import InterventionConfig
from narcosim.interventions.targeting import resolve_target
from narcosim.model.builder import DEFAULT_END, DEFAULT_SCALE, DEFAULT_START, load_inputs
from narcosim.run.folder import RunFolderWriter, default_out_dir
from narcosim.run.job import check_run_args, run_summary
from narcosim.run.manifest import build_manifest, data_provenance
from narcosim.scenario.build import build_scenario_sim
from narcosim.scenario.document import Scenario
from narcosim.scenario.loader import ScenarioSource, load_scenario, scenario_record
from narcosim.scenario.refs import WorldRefs, us_cities

__all__ = ["Comparison", "Sim", "compare"]


class Sim(EngineSim):
    """A model run built from a scenario; the engine's :class:`~narcosim.core.sim.Sim`.

    Build one with :meth:`from_scenario`, then ``run()`` it and read ``results``
    (:meth:`narcosim.core.results.SimResults.to_frame` gives the tidy frame). Everything
    the engine's sim offers (``plan()``, ``modules``, ``timeline``, ``pars()``) works.

    Attributes:
        source: The scenario file's identity and text (None when built from modules).
        scenario: The parsed scenario (None when built from modules).
        store: The atlas store the inputs came from (None when built from modules).
        overrides: The ``[scenario]`` values replaced for this run (seed, scale, start,
            end), for the manifest.
    """

    source: ScenarioSource | None = None
    scenario: Scenario | None = None
    store: Path | None = None
    overrides: dict[str, Any]

    @classmethod
    def from_scenario(
        cls,
        scenario: str | Path = "status_quo",
        *,
        seed: int | None = None,
        scale: int | None = None,
        start: str | None = None,
        end: str | None = None,
        store: str | Path | None = None,
        interventions: Sequence[tuple[type[Intervention], InterventionConfig]] = (),
        modules: Sequence[Module] = (),
    ) -> Sim:
        """Build the sim of a built-in scenario or a scenario TOML file, ready to run.

        Args:
            scenario: A built-in name (``narcosim validate --list``; ``default`` is
                ``status_quo``) or a path to a ``.toml`` file (``docs/scenarios.md``).
            seed: Run seed instead of the file's (1 for the built-ins).
            scale: Real people per agent instead of the file's (100 runs a 1:100 sample).
            start: First day (``YYYY-MM-DD``) instead of the file's.
            end: Last day a step may start (``YYYY-MM-DD``) instead of the file's.
            store: Atlas store (default: ``$NARCOSIM_HOME/atlas.duckdb``, else the per-user
                data folder); import one with ``narcosim atlas import``.
            interventions: Extra levers, each an :class:`~narcosim.interventions.base.
                Intervention` subclass and its configuration; their targets are resolved
                against the world and they step after the scenario's own interventions,
                before the model's parts (``docs/extending.md``).
            modules: Extra modules, stepped after the model's parts (observers, new
                outputs; ``docs/extending.md``).

        Returns:
            The sim, not yet run, named after the scenario.

        Raises:
            ParameterError: Unknown scenario, a problem in the file (``FILE:LINE: KEY:
                message``), or a bad seed, scale or date.
            StoreError: No atlas store at ``store``.
        """
        name = check_run_args(str(scenario), 0 if seed is None else seed,
                              1 if scale is None else scale)
        store_path = Path(store if store is not None else default_store_path()).resolve()
        atlas = Atlas.open(store_path)
        inputs = load_inputs(atlas)
        refs = WorldRefs(inputs.world, inputs.structure, us_cities(atlas, inputs.world))
        source, parsed = load_scenario(name, refs)
        built = build_scenario_sim(parsed, inputs=inputs, cities=refs.cities, seed=seed,
                                   scale=scale, start=start, end=end)
        levers = [m for m in built.modules.values() if isinstance(m, Intervention)]
        for kind, config in interventions:
            where = f"interventions[{len(levers)}] ({config.label})"
            target = resolve_target(config.target, inputs.world, inputs.structure,
                                    dict(refs.cities), where)
            levers.append(kind(config, target, len(levers)))
        parts = [m for m in built.modules.values() if not isinstance(m, Intervention)]
        sim = cls([*levers, *parts, *modules], built.timeline, seed=built.seed,
                  name=built.name)
        sim.source, sim.scenario, sim.store = source, parsed, store_path
        sim.overrides = {"seed": seed, "scale": scale, "start": start, "end": end}
        return sim

    @property
    def scale(self) -> int:
        """Real people (and dealers) per agent: the scenario's scale or its override."""
        override = getattr(self, "overrides", {}).get("scale")
        if override is not None:
            return int(override)
        return int(self.scenario.scenario.scale) if self.scenario is not None else 1

    def summary(self) -> dict[str, Any]:
        """Headline figures of the finished run, as ``summary.json`` holds them.

        Raises:
            RuntimeError: The sim has not run yet.
        """
        if not self.complete:
            raise RuntimeError(f"sim {self.name!r} has not run yet; call run() first")
        return run_summary(self)

    def save(self, out: str | Path | None = None, *, force: bool = False) -> Path:
        """Write the finished run's folder, as ``narcosim run`` does (see ``docs/outputs.md``).

        The folder holds ``manifest.json`` (scenario text and sha256, seed, parameters, data
        provenance), ``results.parquet`` and ``summary.json``; it is written as
        ``OUT.partial`` and renamed into place only when complete.

        Args:
            out: The run folder to create (default: ``runs/<UTC time>-seed<seed>``).
            force: Replace an existing run folder at ``out``.

        Returns:
            The run folder.

        Raises:
            RuntimeError: The sim has not run yet.
            ParameterError: ``out`` holds a run (without ``force``) or is not a run folder.
            StoreError: The folder cannot be written.
        """
        summary = self.summary()
        writer = RunFolderWriter(Path(out) if out is not None else default_out_dir(self.seed),
                                 force=force)
        record = None
        if self.source is not None and self.scenario is not None:
            record = scenario_record(self.source, self.scenario, **self.overrides)
        name = self.source.name if self.source is not None else self.name
        manifest = build_manifest(
            self, scenario=name, scale=self.scale, command=_command(),
            data=data_provenance(self.store) if self.store is not None else None,
            scenario_file=record)
        writer.begin(manifest)
        writer.commit(manifest, self.results.to_frame(), summary)
        return writer.out


def _command() -> list[str]:
    """What the manifest records as the command: the Python program and the API call."""
    return [Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python",
            "narcosim.Sim.save"]


def compare(
    scenarios: Sequence[str | Path],
    runs: int = 10,
    *,
    seed: int = 1,
    scale: int = DEFAULT_SCALE,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    out: str | Path | None = None,
    workers: int | None = None,
    store: str | Path | None = None,
    force: bool = False,
    fixed_params: bool = False,
    progress: ArmProgress | None = None,
) -> Comparison:
    """Run scenarios side by side with common random numbers and compare them to the first.

    This is ``narcosim compare`` without the page: every scenario runs ``runs`` members on
    the same member seeds, and each arm is set against the first (the baseline) member by
    member. Load the files back with :func:`narcosim.load_comparison`.

    Args:
        scenarios: Built-in names or TOML paths; the first is the baseline.
        runs: Members per scenario (>= 1).
        seed: Root seed; member ``i`` of every scenario gets the same seed.
        scale: Real people per agent (100 runs a 1:100 sample).
        start: First day of the runs (``YYYY-MM-DD``).
        end: Last day a step may start (``YYYY-MM-DD``).
        out: The comparison folder (default: ``runs/<UTC time>-compare``); rerunning into
            it resumes.
        workers: Worker processes (default: one per CPU core).
        store: Atlas store (default: the user's store).
        force: Replace arms run earlier with other settings in ``out``.
        fixed_params: Run every member at the point fit instead of drawing parameter sets
            from the packaged posterior.
        progress: Called as ``progress(done, total, record_or_None)`` after each member.

    Returns:
        The comparison: ``summary`` (``comparison.parquet``), ``members``
        (``comparison_members.parquet``) and ``data`` (``comparison.json``).

    Raises:
        ParameterError: Fewer than two scenarios, bad counts, dates or scenarios.
        StoreError: No atlas store, or files that cannot be read or written.
    """
    folder = Path(out) if out is not None else _default_compare_dir()
    names = [str(s) for s in scenarios]
    command = ["narcosim.compare", *names, "--runs", str(runs), "--seed", str(seed),
               "--scale", str(scale), "--start", start, "--end", end, "--out", str(folder)]
    return _compare(names, runs, seed, out_dir=folder, scale=scale, workers=workers,
                    store=Path(store) if store is not None else None, start=start, end=end,
                    force=force, progress=progress, command=command,
                    fixed_params=fixed_params)


def _default_compare_dir(now: datetime | None = None) -> Path:
    """``runs/<UTC time>-compare``, beside the run folders ``narcosim run`` makes."""
    stamped = default_out_dir(0, now or datetime.now(UTC))
    return stamped.with_name(stamped.name.removesuffix("-seed0") + "-compare")
