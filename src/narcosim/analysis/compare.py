"""Side-by-side comparison of scenarios with common random numbers.

:func:`compare` runs every scenario as an ensemble on the same member seeds (see
:mod:`narcosim.analysis.arms`), measures each member over a window of dates (see
:mod:`narcosim.analysis.measures`) and sets every arm against the first, the baseline, member
by member (see :mod:`narcosim.analysis.effects`). It writes, in the comparison folder:

* ``comparison.json`` (its parts: :mod:`narcosim.analysis.compare_json`): settings, member
  seeds, window, and per arm the headline effects
  (deaths averted by drug and by state, supply displaced and where to, seizures and arrests,
  cost and cost per death averted), each as mean, members behind it, 90% interval (null
  with ``"interval": "n too small"`` from fewer than 5 members) and the mean's bootstrap
  interval; ``decisions`` (pairwise probabilities of averting a death more cheaply, the
  acceptability curve, see :mod:`narcosim.analysis.decisions`) and ``assumptions`` (every
  lever's costs and parameters with their sources, and the model's guesses, see
  :mod:`narcosim.analysis.assumptions`);
* ``comparison.parquet``: every summary row (tidy: ``arm, measure, level, key, drug, n,
  baseline_mean, scenario_mean, mean, p5, p95, mean_p5, mean_p95``);
* ``comparison_members.parquet``: every member's paired effect (``arm, member, seed,
  measure, level, key, drug, baseline, scenario, effect``);

Costs are drawn per member within each lever's range (:mod:`narcosim.analysis.costs`):
``cost_usd`` is the drawn cost, ``cost_booked_usd`` the cost at the point values.

``compare.html`` (tables and charts) is written by :mod:`narcosim.report.compare_report`,
which ``narcosim compare`` calls afterwards.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from narcosim.analysis.arms import ArmProgress, ArmRuns, ArmSpec, run_arms
from narcosim.analysis.assumptions import comparison_assumptions
from narcosim.analysis.compare_json import (
    METHOD_JSON,
    arm_json,
    decisions_json,
    settings_json,
)
from narcosim.analysis.costs import member_costs
from narcosim.analysis.effects import MEMBER_COLUMNS, paired_effects, summarize_effects
from narcosim.analysis.measures import Window, member_dates, member_measures
from narcosim.analysis.resolve import resolve_arms
from narcosim.atlas.provenance import sha256_file
from narcosim.atlas.store import Atlas, default_store_path
from narcosim.errors import ParameterError
from narcosim.model.builder import DEFAULT_END, DEFAULT_SCALE, DEFAULT_START
from narcosim.run.backends import check_backend_args, check_scheduler_reachable
from narcosim.run.job import check_run_args
from narcosim.run.manifest import data_provenance, jsonable
from narcosim.run.member import parameter_mode, write_json_atomic
from narcosim.scenario.limits import MAX_RUNS, check_count, check_dates
from narcosim.world import World

COMPARISON_JSON = "comparison.json"
COMPARISON_PARQUET = "comparison.parquet"
MEMBERS_PARQUET = "comparison_members.parquet"


@dataclass(frozen=True)
class Comparison:
    """A finished comparison.

    Attributes:
        out_dir: The comparison folder.
        arms: The arms, baseline first.
        runs: Where the members are.
        window: The dates effects are summed over.
        summary: Mean and 90% interval per arm and measure (``comparison.parquet``).
        members: Every member's paired effects (``comparison_members.parquet``).
        data: What ``comparison.json`` holds.
        wall_seconds: Time this call took.
    """

    out_dir: Path
    arms: tuple[ArmSpec, ...]
    runs: ArmRuns
    window: Window
    summary: pd.DataFrame
    members: pd.DataFrame
    data: dict[str, Any]
    wall_seconds: float

    def __repr__(self) -> str:
        names = ", ".join(a.name for a in self.arms)
        return (f"Comparison({str(self.out_dir)!r}, arms [{names}], "
                f"{len(self.runs.seeds)} members, window {self.window.start}..{self.window.end})")


def check_compare_args(scenarios: Sequence[str], n_runs: int, seed: int, scale: int,
                       backend: str, workers: int | None, scheduler: str | None) -> None:
    """Check a comparison's plain arguments before anything is resolved or run.

    Raises:
        ParameterError: Fewer than two scenarios, runs below 1, a bad seed, scale, backend,
            worker count or scheduler.
    """
    if len(scenarios) < 2:
        raise ParameterError(f"compare needs at least 2 scenarios (a baseline and one to "
                             f"compare), got {len(scenarios)}")
    check_count("--runs", n_runs, 1, MAX_RUNS)
    check_run_args("default", seed, scale)
    check_backend_args(backend, workers, scheduler)


def _parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise ParameterError(f"{option} {text!r}: expected a date YYYY-MM-DD") from None


def choose_window(arms: Sequence[ArmSpec], run_start: date, run_end: date,
                  window_from: str | None = None, window_to: str | None = None) -> Window:
    """The dates effects are summed over.

    By default from the earliest intervention start in any arm (the run's start if none, or
    if earlier) to the run's last step.

    Raises:
        ParameterError: A bad date, or a window that is empty or outside the run.
    """
    starts = [d for arm in arms for d in arm.intervention_starts()]
    default_from = max(min(starts), run_start) if starts else run_start
    lo = _parse_day(window_from, "--from") or default_from
    hi = _parse_day(window_to, "--to") or run_end
    if hi < lo:
        raise ParameterError(f"--to {hi} is before --from {lo}")
    if lo > run_end or hi < run_start:
        raise ParameterError(f"window {lo} to {hi} lies outside the run ({run_start} to "
                             f"{run_end})")
    return Window(lo, hi)


def with_drawn_cost(measures: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    """A member's measures with ``cost_usd`` at its drawn costs and ``cost_booked_usd`` added.

    Args:
        measures: :func:`~narcosim.analysis.measures.member_measures`.
        costs: :func:`~narcosim.analysis.costs.member_costs` of the same member.

    Returns:
        A copy of ``measures``; the drawn total is the booked one plus each intervention's
        drawn-minus-booked difference, so a comparison without ranges is bit-identical.
    """
    out = measures.copy()
    row = out["measure"] == "cost_usd"
    booked = out.loc[row].copy()
    booked["measure"] = "cost_booked_usd"
    shift = float((costs["drawn_usd"] - costs["booked_usd"]).sum()) if len(costs) else 0.0
    out.loc[row, "value"] = out.loc[row, "value"] + shift
    return pd.concat([out, booked], ignore_index=True)


def compare(
    scenarios: Sequence[str],
    n_runs: int,
    seed: int,
    *,
    out_dir: Path,
    scale: int = DEFAULT_SCALE,
    backend: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    store: Path | None = None,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    window_from: str | None = None,
    window_to: str | None = None,
    force: bool = False,
    progress: ArmProgress | None = None,
    command: list[str] | None = None,
    fixed_params: bool = False,
) -> Comparison:
    """Run scenarios side by side with common random numbers and compare them to the first.

    Args:
        scenarios: Built-in names or TOML paths; the first is the baseline.
        n_runs: Members per scenario (>= 1).
        seed: Root seed; member ``i`` of every arm gets the same seed.
        out_dir: The comparison folder (rerunning into it resumes).
        scale: Real people per agent.
        backend: ``local`` or ``dask``.
        workers: Worker processes.
        scheduler: A running Dask scheduler's address (``dask`` only).
        store: Atlas store (default: the user's store).
        start: First day of the runs.
        end: Last day a step may start.
        window_from: First date counted (default: the earliest intervention start).
        window_to: Last date counted (default: the end of the run).
        force: Replace arms run earlier with other settings in ``out_dir``.
        progress: Member progress callback.
        command: The command line to record.
        fixed_params: Run every member at the point fit instead of member ``i`` of every
            arm drawing the same parameter set from the packaged posterior.

    Returns:
        The comparison; its files are in ``out_dir``.

    Raises:
        ParameterError: Bad arguments or scenarios.
        StoreError: No atlas store, or files that cannot be read or written.
    """
    t0 = time.perf_counter()
    store_path, atlas, arms = _checked_arms(
        scenarios, n_runs, seed, scale=scale, backend=backend, workers=workers,
        scheduler=scheduler, store=store, start=start, end=end, window_from=window_from,
        window_to=window_to, fixed_params=fixed_params)
    out_dir = Path(out_dir)
    provenance = data_provenance(store_path).get("files", [])
    data_ids = sorted([f["file"], f["sha256"]] for f in provenance)
    runs = run_arms(arms, n_runs, seed, out_dir=out_dir, backend=backend, workers=workers,
                    scheduler=scheduler, force=force, data=data_ids, progress=progress)
    first, last = member_dates(runs.files[0][0])
    window = choose_window(arms, first, last, window_from, window_to)
    world = World.from_atlas(atlas)
    members = _paired_members(arms, runs, window, {p.code: p.field_office for p in world.ports})
    summary = summarize_effects(members, seed)
    data: dict[str, Any] = {
        **settings_json(arms, runs.seeds, window, seed=seed, scale=scale, start=start,
                        end=end, command=command),
        **METHOD_JSON,
        "decisions": decisions_json(members, arms[0].name),
        "assumptions": comparison_assumptions([(a.name, a.interventions) for a in arms]),
        "port_names": {p.code: p.name for p in world.ports},
        "data": provenance,
        "results": {arm.name: arm_json(summary[summary["arm"] == arm.name])
                    for arm in arms[1:]},
    }
    data = _write_outputs(out_dir, members, summary, data)
    return Comparison(out_dir, tuple(arms), runs, window, summary, members, data,
                      time.perf_counter() - t0)


def _checked_arms(scenarios: Sequence[str], n_runs: int, seed: int, *, scale: int,
                  backend: str, workers: int | None, scheduler: str | None,
                  store: Path | None, start: str, end: str, window_from: str | None,
                  window_to: str | None, fixed_params: bool
                  ) -> tuple[Path, Atlas, list[ArmSpec]]:
    """Check the arguments and resolve the arms, before anything runs.

    Returns:
        The atlas store (resolved), the atlas and the arms, baseline first.
    """
    check_compare_args(scenarios, n_runs, seed, scale, backend, workers, scheduler)
    check_dates(start, end)
    if scheduler is not None:
        check_scheduler_reachable(scheduler)
    store_path = Path(store if store is not None else default_store_path()).resolve()
    atlas = Atlas.open(store_path)
    arms = resolve_arms(scenarios, store=store_path, scale=scale, start=start, end=end,
                        parameters=parameter_mode(fixed_params))
    # Check --from/--to against the asked dates now; the window is set from the runs' steps.
    choose_window(arms, date.fromisoformat(start), date.fromisoformat(end), window_from,
                  window_to)
    return store_path, atlas, list(arms)


def _paired_members(arms: Sequence[ArmSpec], runs: ArmRuns, window: Window,
                    port_fo: dict[str, str]) -> pd.DataFrame:
    """Every arm's effects against the baseline, member by member (``MEMBER_COLUMNS``)."""
    def measures(a: int, i: int) -> pd.DataFrame:
        path = runs.files[a][i]
        return with_drawn_cost(member_measures(path, window, port_fo),
                               member_costs(path, window, arms[a].interventions, runs.seeds[i]))

    baseline = [measures(0, i) for i in range(len(runs.seeds))]
    rows = []
    for a, arm in enumerate(arms[1:], start=1):
        for i in range(len(runs.seeds)):
            effects = paired_effects(baseline[i], measures(a, i))
            effects.insert(0, "seed", runs.seeds[i])
            effects.insert(0, "member", i)
            effects.insert(0, "arm", arm.name)
            rows.append(effects)
    return pd.concat(rows, ignore_index=True)[MEMBER_COLUMNS]


def _write_outputs(out_dir: Path, members: pd.DataFrame, summary: pd.DataFrame,
                   data: dict[str, Any]) -> dict[str, Any]:
    """Write the tables, then ``comparison.json`` with their sha256.

    The old ``comparison.json`` goes first, then the tables (each under a per-process
    temporary name, renamed when whole), then ``comparison.json`` last: a comparison killed
    part way has no ``comparison.json``, so it never looks complete.

    Returns:
        ``data`` with ``outputs`` added, as written (JSON-ready).
    """
    (out_dir / COMPARISON_JSON).unlink(missing_ok=True)
    outputs = {}
    for name, frame in ((MEMBERS_PARQUET, members), (COMPARISON_PARQUET, summary)):
        tmp = out_dir / f".{name}.tmp-{os.getpid()}"
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, out_dir / name)
        outputs[name] = {"sha256": sha256_file(out_dir / name)}
    data = jsonable({**data, "outputs": outputs})
    write_json_atomic(out_dir / COMPARISON_JSON, data)
    return data
