"""``narcosim ensemble``: many runs of a scenario, resumable, with quantile bands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from narcosim.atlas.store import Atlas, default_store_path
from narcosim.cli.app import app
from narcosim.cli.options import JobBar, MaxMemoryOption, StoreOption
from narcosim.cli.output import JsonOption, print_json
from narcosim.cli.report_cmd import write_report_safely
from narcosim.run.backends import BACKENDS, default_workers
from narcosim.run.ensemble import (
    EnsembleResult,
    EnsembleSpec,
    check_ensemble_args,
    run_ensemble,
)
from narcosim.run.job import SCENARIOS, check_run_args
from narcosim.run.member import FIXED, parameter_mode
from narcosim.run.memory import check_memory, estimate_pool_bytes, parse_memory, run_steps
from narcosim.scenario.limits import MAX_RUNS, check_count, check_dates
from narcosim.scenario.loader import load_scenario, scenario_record
from narcosim.scenario.refs import WorldRefs

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def default_ensemble_dir(scenario: str, seed: int) -> Path:
    """Default ensemble folder, ``ensembles/<scenario>-seed<seed>``.

    It carries no timestamp, so rerunning the same command resumes the same ensemble.
    """
    return Path("ensembles") / f"{scenario}-seed{int(seed)}"


@app.command("ensemble")
def ensemble_command(
    scenario: Annotated[str | None, typer.Argument(
        help="Built-in scenario (narcosim validate --list; 'default' is 'status_quo') or a "
        "scenario .toml file.")] = None,
    runs: Annotated[int, typer.Option("--runs", help="Number of members (>= 1).")] = 10,
    seed: Annotated[int | None, typer.Option(
        "--seed", help="Root seed (>= 0; default: the scenario's); member seeds come from "
        "SeedSequence(seed).spawn.")] = None,
    scale: Annotated[int | None, typer.Option(
        "--scale", help="Real people per agent: 100 runs a 1:100 sample, 1 everyone "
        "(default: the scenario's).")] = None,
    backend: Annotated[str, typer.Option(
        "--backend", help=f"Where members run: {' or '.join(BACKENDS)} "
        "(local process pool, or Dask distributed).")] = "local",
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Worker processes (default: one per CPU core).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Address of a running Dask scheduler (tcp://HOST:PORT), "
        "instead of a local cluster; needs --backend dask.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Ensemble folder (default: ensembles/<scenario>-seed<seed>); "
        "rerunning into it resumes.")] = None,
    start: Annotated[str | None, typer.Option(
        "--start", help="First day (YYYY-MM-DD; default: the scenario's).")] = None,
    end: Annotated[str | None, typer.Option(
        "--end", help="Last day a step may start (YYYY-MM-DD; default: the scenario's).")
    ] = None,
    store: StoreOption = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an ensemble of a different spec or seed at --out.")] = False,
    fixed_params: Annotated[bool, typer.Option(
        "--fixed-params", help="Run every member at the point fit (default: each member "
        "draws one parameter set from the packaged posterior).")] = False,
    controls: Annotated[int, typer.Option(
        "--controls", help="With drawn parameters, also run this many members at the point "
        "fit on the first members' seeds (OUT/fixed), to tell parameter from random "
        "uncertainty; 0 skips.")] = 5,
    max_memory: MaxMemoryOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run many members of a scenario and write their results and quantile bands.

    Each member's results are saved as soon as it finishes (OUT/runs/run-NNNN.parquet), so
    an interrupted ensemble rerun with the same arguments only runs the missing members.
    OUT/bands.parquet holds the 5%, 50% and 95% quantiles and the mean of every result.
    Members draw their parameters from the packaged posterior unless --fixed-params is given;
    the output then says whether parameter or random uncertainty dominates.
    """
    name = check_run_args(scenario, 0 if seed is None else seed,
                          1 if scale is None else scale)
    source, parsed = load_scenario(name)  # syntax, types, dates, parameters (with lines)
    info = parsed.scenario
    seed = info.seed if seed is None else seed
    store_path = (store if store is not None else default_store_path()).resolve()
    check_count("--controls", controls, 0, MAX_RUNS)
    spec = EnsembleSpec(name, str(store_path), info.scale if scale is None else scale,
                        str(info.start) if start is None else start,
                        str(info.end) if end is None else end,
                        toml="" if name in SCENARIOS else source.text,
                        parameters=parameter_mode(fixed_params))
    _check(spec, runs, seed, backend, workers, scheduler, max_memory)
    label = Path(name).stem if name.endswith(".toml") else name
    target = out if out is not None else default_ensemble_dir(label, seed)
    command = _command_line(spec, runs, seed, backend, workers, scheduler, target, force,
                            fixed_params, controls)
    # The bar starts at the first progress call, after every check has passed, so that an
    # error is the only line printed.
    total = runs + (0 if spec.parameters == FIXED else controls)
    with JobBar(_err, "runs", backend, total, _describe,
                "all runs done; computing the quantile bands") as step:
        result = run_ensemble(spec, runs, seed, out_dir=target, backend=backend,
                              workers=workers, scheduler=scheduler, force=force,
                              progress=step, command=command,
                              scenario_file=scenario_record(source, parsed, seed=seed,
                                                            scale=spec.scale, start=spec.start,
                                                            end=spec.end),
                              controls=controls)
    report = write_report_safely(result.out_dir, store)  # with its own spinner
    if as_json:
        print_json(_summary_json(result, runs, backend, report))
    else:
        _print_summary(info.name, result, runs, backend, report)


def _check(spec: EnsembleSpec, runs: int, seed: int, backend: str, workers: int | None,
           scheduler: str | None, max_memory: str | None) -> None:
    """Every check before the ensemble starts: arguments, memory, the scenario's targets."""
    check_ensemble_args(spec, runs, seed, backend, workers, scheduler)
    steps = run_steps(*check_dates(spec.start, spec.end))
    pool = default_workers() if workers is None else workers
    if scheduler is None:  # a remote cluster's workers use that cluster's memory
        check_memory(estimate_pool_bytes(spec.scale, steps, pool, runs),
                     parse_memory(max_memory),
                     f"an ensemble of {runs:,} runs at 1:{spec.scale:,} over {steps:,} weeks "
                     f"on {min(pool, runs)} workers")
    if spec.toml:  # targets against the world, with the file's lines
        load_scenario(spec.scenario, WorldRefs.from_atlas(Atlas.open(Path(spec.store))))


def _command_line(spec: EnsembleSpec, runs: int, seed: int, backend: str, workers: int | None,
                  scheduler: str | None, target: Path, force: bool, fixed_params: bool,
                  controls: int) -> list[str]:
    """The command line recorded in ``ensemble.json``, with every default made explicit."""
    return ["narcosim", "ensemble", spec.scenario, "--runs", str(runs), "--seed", str(seed),
            "--scale", str(spec.scale), "--backend", backend,
            *(["--workers", str(workers)] if workers is not None else []),
            *(["--scheduler", scheduler] if scheduler is not None else []),
            "--out", str(target), "--start", spec.start, "--end", spec.end,
            "--store", spec.store, *(["--force"] if force else []),
            *(["--fixed-params"] if fixed_params else ["--controls", str(controls)])]


def _describe(record: dict[str, Any]) -> str:
    """The progress bar's line for a finished member."""
    kind = "control" if record.get("control") else "run"
    return f"{kind} {record['index']} in {record['wall_seconds']:.1f} s"


def _mean_seconds(result: EnsembleResult) -> float:
    """Mean wall time of the members run this time (0 when none ran)."""
    ran = [m["wall_seconds"] for m in result.members if m["index"] in result.ran]
    return sum(ran) / len(ran) if ran else 0.0


def _summary_json(result: EnsembleResult, runs: int, backend: str, report: Path | None
                  ) -> dict[str, Any]:
    """What ``--json`` prints."""
    spec = result.spec
    return {
        "scenario": spec.scenario, "runs": runs, "seed": result.seed, "scale": spec.scale,
        "start": spec.start, "end": spec.end, "backend": backend, "ran": len(result.ran),
        "already_done": len(result.skipped), "mean_run_seconds": _mean_seconds(result),
        "wall_seconds": result.wall_seconds,
        "parameters": "fixed" if spec.parameters == FIXED else "posterior",
        "uncertainty": result.uncertainty, "out_dir": str(result.out_dir),
        "files": {"ensemble": str(result.out_dir / "ensemble.json"),
                  "bands": str(result.bands.bands),
                  "bands_annual": None if result.bands.annual is None
                  else str(result.bands.annual),
                  "report": None if report is None else str(report)}}


def _print_summary(title: str, result: EnsembleResult, runs: int, backend: str,
                   report: Path | None) -> None:
    """What the ensemble did and wrote, in a few lines."""
    spec, ran, mean_s = result.spec, len(result.ran), _mean_seconds(result)
    _out.print(f"ensemble of {title} ({spec.scenario}): {runs} runs (seed {result.seed}, scale "
               f"1:{spec.scale}, {spec.start} to {spec.end}) on {backend}: ran {ran}"
               f"{f' ({mean_s:.1f} s each)' if ran else ''}, {len(result.skipped)} already "
               f"done, in {result.wall_seconds:.1f} s", soft_wrap=True)
    if spec.parameters == FIXED:
        _out.print("parameters fixed at the point fit: the bands show random uncertainty only",
                   soft_wrap=True)
    else:
        particles = sorted({m["particle"] for m in result.members})
        said = ((result.uncertainty or {}).get("statement")
                or "no controls: parameter and random uncertainty not separated")
        _out.print(f"parameters drawn from the packaged posterior ({len(particles)} distinct "
                   f"particles); {said}", soft_wrap=True)
    _out.print(f"wrote {result.out_dir / 'ensemble.json'}, {result.bands.bands}"
               f"{f', {result.bands.annual}' if result.bands.annual else ''}", soft_wrap=True)
    if report is not None:
        _out.print(f"wrote {report}", soft_wrap=True)
