"""``narcosim run``: the main job. Run a scenario, print its summary, write a run folder.

The scenario is ``default`` (the built-in model, an alias of ``status_quo``), another
built-in scenario by name, or a scenario TOML file (see ``docs/scenarios.md``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import TimeRemainingColumn
from rich.table import Table

import narcosim
from narcosim.atlas.store import Atlas, default_store_path
from narcosim.cli.app import app
from narcosim.cli.options import MaxMemoryOption, StoreOption, end_date, job_progress
from narcosim.cli.output import JsonOption, print_json
from narcosim.cli.report_cmd import write_report_safely
from narcosim.model.builder import build_default_sim, load_inputs
from narcosim.run.folder import check_out_dir, default_out_dir
from narcosim.run.job import SCENARIOS, check_run_args, execute_run, run_summary
from narcosim.run.manifest import data_provenance
from narcosim.run.memory import check_memory, estimate_run_bytes, parse_memory, run_steps
from narcosim.scenario.build import build_scenario_sim
from narcosim.scenario.loader import load_scenario, scenario_record
from narcosim.scenario.refs import WorldRefs, us_cities

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


@app.command("run")
def run_command(
    scenario: Annotated[str | None, typer.Argument(
        help="Built-in scenario (narcosim validate --list; 'default' is 'status_quo') or a "
        "scenario .toml file.")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Run seed (>= 0; default: the scenario's, 1 for the built-ins).")] = None,
    scale: Annotated[int | None, typer.Option(
        "--scale", help="Real people per agent: 100 runs a 1:100 sample, 1 everyone "
        "(default: the scenario's, 100 for the built-ins).")] = None,
    end: Annotated[str | None, typer.Option(
        "--end", help="Last day a step may start (YYYY-MM-DD; default: the scenario's).")
    ] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Run folder to create (default: runs/<UTC time>-seed<seed>).")] = None,
    store: StoreOption = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing run folder at --out.")] = False,
    max_memory: MaxMemoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a scenario (default: the status quo, 2015-2026) and write its run folder.

    The folder (manifest with the scenario's TOML and sha256, results, summary) is written
    as OUT.partial and renamed to OUT only when complete, so a failed or interrupted run
    never leaves a folder that looks finished.
    """
    name = check_run_args(scenario, 0 if seed is None else seed, 1 if scale is None else scale)
    source, parsed = load_scenario(name)  # syntax, types, dates, parameters (with lines)
    info = parsed.scenario
    seed = info.seed if seed is None else seed
    scale = info.scale if scale is None else scale
    check_run_args(name, seed, scale)
    steps = run_steps(info.start, end_date(end, info.start) or info.end)
    check_memory(estimate_run_bytes(scale, steps), parse_memory(max_memory),
                 f"a run at 1:{scale:,} over {steps:,} weeks")
    target = out if out is not None else default_out_dir(seed)
    check_out_dir(target, force)
    store_path = (store if store is not None else default_store_path()).resolve()
    data = data_provenance(store_path)
    command = ["narcosim", "run", name, "--seed", str(seed), "--scale", str(scale),
               *(["--end", end] if end is not None else []),
               "--out", str(target), "--store", str(store_path), *(["--force"] if force else [])]

    with _err.status(f"building scenario {name!r} (seed {seed}, scale 1:{scale})"):
        atlas = Atlas.open(store_path)
        if name in SCENARIOS:  # the built-in default model ('default' = 'status_quo')
            sim = build_default_sim(atlas, seed=seed, scale=scale,
                                    **({"end": end} if end is not None else {}))
        else:
            inputs = load_inputs(atlas)
            refs = WorldRefs(inputs.world, inputs.structure, us_cities(atlas, inputs.world))
            source, parsed = load_scenario(name, refs)  # targets, against the world
            sim = build_scenario_sim(parsed, inputs=inputs, cities=refs.cities, seed=seed,
                                     scale=scale, end=end)
    record = scenario_record(source, parsed, seed=seed, scale=scale, end=end)
    timeline = sim.timeline
    started = time.perf_counter()
    with job_progress(_err, "weeks", TimeRemainingColumn()) as bar:
        task = bar.add_task(f"week of {timeline.dates[0]}", total=timeline.n_steps)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done,
                       description=f"week of {timeline.dates[min(done, total - 1)]}")

        outcome = execute_run(sim, target, scenario=name, scale=scale, command=command,
                              summarize=run_summary, data=data, force=force, progress=step,
                              scenario_file=record)
    seconds = time.perf_counter() - started
    if as_json:
        report = write_report_safely(outcome.path, store_path)
        print_json({"scenario": name, "title": info.name, "seed": seed, "scale": scale,
                    "start": str(timeline.dates[0]), "last_step": str(timeline.dates[-1]),
                    "weeks": timeline.n_steps, "wall_seconds": seconds,
                    "version": narcosim.__version__, "run_dir": str(outcome.path),
                    "report": None if report is None else str(report),
                    "summary": outcome.summary})
        return
    print_summary(outcome.summary, _out)
    _out.print(f"narcosim {narcosim.__version__}: scenario {info.name} ({name}), seed {seed}, "
               f"scale 1:{scale}, {timeline.n_steps} weeks ({timeline.dates[0]} to "
               f"{timeline.dates[-1]}) in {seconds:.1f} s "
               f"({timeline.n_steps / max(seconds, 1e-9):,.0f} weeks/s)", soft_wrap=True)
    _out.print(f"wrote run folder {outcome.path}", soft_wrap=True)
    report = write_report_safely(outcome.path, store_path)
    if report is not None:
        _out.print(f"wrote {report}", soft_wrap=True)


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value != 0 and abs(value) < 0.01:
            return f"{value:.3g}"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(_fmt(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_fmt(v)}" for k, v in value.items())
    return str(value)


def _is_grid(value: Any) -> bool:
    """Whether a value is a mapping of mappings of scalars (a table: rows x columns)."""
    return (isinstance(value, Mapping) and bool(value)
            and all(isinstance(v, Mapping) and not any(isinstance(x, Mapping | list)
                                                       for x in v.values())
                    for v in value.values()))


def print_summary(summary: Mapping[str, Any], console: Console) -> None:
    """Print a run summary: one table per nested figure, then the headline figures.

    A figure keyed by drug then year (``{"fentanyl": {2019: ...}}``) becomes a table with a
    row per year and a column per drug; everything else goes into one key/value table.

    Args:
        summary: The run's summary (as from ``narcosim.model.builder.summarize``).
        console: Where to print.
    """
    headline = Table(title="Run summary", show_header=False)
    headline.add_column("figure")
    headline.add_column("value", overflow="fold")
    for key, value in summary.items():
        if not _is_grid(value):
            headline.add_row(str(key).replace("_", " "), _fmt(value))
            continue
        columns = list(value)
        rows = sorted({r for v in value.values() for r in v}, key=str)
        grid = Table(title=str(key).replace("_", " "))
        grid.add_column("")
        for col in columns:
            grid.add_column(str(col), justify="right")
        for row in rows:
            grid.add_row(str(row), *(_fmt(value[c][row]) if row in value[c] else "-"
                                     for c in columns))
        console.print(grid)
    console.print(headline)
