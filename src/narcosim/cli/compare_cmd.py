"""``narcosim compare``: scenarios side by side with common random numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from narcosim.analysis.compare import (
    COMPARISON_JSON,
    COMPARISON_PARQUET,
    Comparison,
    check_compare_args,
    compare,
)
from narcosim.atlas.store import Atlas, default_store_path
from narcosim.cli.app import app
from narcosim.cli.options import JobBar, MaxMemoryOption, StoreOption
from narcosim.cli.output import JsonOption, print_json
from narcosim.model.builder import DEFAULT_END, DEFAULT_SCALE, DEFAULT_START
from narcosim.report.compare_report import write_compare_report
from narcosim.report.rounding import fmt_money, fmt_number, fmt_percent
from narcosim.run.backends import BACKENDS, default_workers
from narcosim.run.memory import check_memory, estimate_pool_bytes, parse_memory, run_steps
from narcosim.scenario.limits import check_dates

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)
DRUGS = ("all_drugs", "fentanyl", "methamphetamine", "cocaine")


def _fmt(stat: dict[str, Any] | None, money: bool = False) -> str:
    """``mean [p5, p95]`` to 3 significant figures; "n too small" below 5 members."""
    if not stat or stat.get("mean") is None:
        return "n/a"
    fmt = fmt_money if money else fmt_number
    text = fmt(stat["mean"])
    if stat.get("p5") is not None and stat.get("p95") is not None:
        text += f" [{fmt(stat['p5'])}, {fmt(stat['p95'])}]"
    elif stat.get("interval"):
        text += f" [{stat['interval']}]"
    return text


def comparison_table(result: Comparison) -> Table:
    """The headline table: a row per measure, a column per scenario (by title) compared."""
    data = result.data
    arms = data["arms"][1:]
    titles = {s["name"]: s.get("title") or s["name"] for s in data["scenarios"]}
    table = Table(title=f"Against {titles[data['baseline']]!r}, {data['window']['from']} to "
                        f"{data['window']['to']}, {data['n_runs']} members: mean [90% "
                        "interval]")
    table.add_column("measure")
    for arm in arms:
        table.add_column(titles[arm], justify="right")
    res = [data["results"][arm] for arm in arms]
    for drug in DRUGS:
        table.add_row(f"expected deaths averted, {drug}",
                      *(_fmt(r["deaths_averted"]["expected_national"].get(drug)) for r in res))
    table.add_row("counted deaths averted, all_drugs",
                  *(_fmt(r["deaths_averted"]["national"].get("all_drugs")) for r in res))
    table.add_row("extra cost, US$ (drawn in ranges)",
                  *(_fmt(r["cost"]["incremental_usd"], money=True) for r in res))
    table.add_row("cost per expected death averted, US$",
                  *(_fmt(r["cost"]["per_expected_death_averted"], money=True) for r in res))
    table.add_row("kg displaced to other field offices (all drugs)",
                  *(_fmt(r["supply"]["crossing_kg_by_field_office"]["displaced_kg"])
                    for r in res))
    table.add_row("border seizures, kg (all drugs)",
                  *(_fmt(r["enforcement"]["border_seized_kg"].get("all_drugs")) for r in res))
    table.add_row("dealer arrests", *(_fmt(r["enforcement"]["dealer_arrests"]) for r in res))
    return table


def pairwise_lines(result: Comparison) -> list[str]:
    """One line per pair of scenarios: the share of members in which each is cheaper."""
    titles = {s["name"]: s.get("title") or s["name"] for s in result.data["scenarios"]}
    lines = []
    for p in result.data["decisions"]["pairwise"]:
        a, b = titles[p["arm_a"]], titles[p["arm_b"]]
        lines.append(f"P({a} averts a death more cheaply than {b}) = {fmt_percent(p['p_a'])}; "
                     f"the reverse {fmt_percent(p['p_b'])}, ties {fmt_percent(p['p_tie'])} "
                     f"({p['n']} members)")
    return lines


@app.command("compare")
def compare_command(
    scenarios: Annotated[list[str], typer.Argument(
        help="Scenarios (built-in names or TOML files); the first is the baseline.")],
    runs: Annotated[int, typer.Option("--runs", help="Members per scenario (>= 1).")] = 10,
    seed: Annotated[int, typer.Option(
        "--seed", help="Root seed; member i of every scenario runs on the same seed.")] = 1,
    scale: Annotated[int, typer.Option(
        "--scale", help="Real people per agent: 100 runs a 1:100 sample, 1 everyone.")
    ] = DEFAULT_SCALE,
    backend: Annotated[str, typer.Option(
        "--backend", help=f"Where members run: {' or '.join(BACKENDS)}.")] = "local",
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Worker processes (default: one per CPU core).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="A running Dask scheduler (tcp://HOST:PORT); needs --backend "
        "dask.")] = None,
    out: Annotated[Path, typer.Option(
        "--out", help="Comparison folder; rerunning into it resumes.")] = Path("comparison"),
    start: Annotated[str, typer.Option("--start", help="First day (YYYY-MM-DD).")
                     ] = DEFAULT_START,
    end: Annotated[str, typer.Option("--end", help="Last day a step may start (YYYY-MM-DD).")
                   ] = DEFAULT_END,
    window_from: Annotated[str | None, typer.Option(
        "--from", help="First date counted (default: the earliest intervention start).")
    ] = None,
    window_to: Annotated[str | None, typer.Option(
        "--to", help="Last date counted (default: the end of the run).")] = None,
    store: StoreOption = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace scenarios run with other settings in --out.")] = False,
    fixed_params: Annotated[bool, typer.Option(
        "--fixed-params", help="Run every member at the point fit (default: member i of "
        "every scenario draws the same parameter set from the packaged posterior).")] = False,
    as_json: JsonOption = False,
    max_memory: MaxMemoryOption = None,
) -> None:
    """Compare scenarios with the first: deaths averted, supply displaced, cost per death.

    Every scenario runs as an ensemble on the same member seeds (common random numbers), so
    the differences are the interventions' doing. Writes comparison.json, comparison.parquet,
    comparison_members.parquet and compare.html in --out.
    """
    check_compare_args(scenarios, runs, seed, scale, backend, workers, scheduler)
    steps = run_steps(*check_dates(start, end))
    pool, members = default_workers() if workers is None else workers, runs * len(scenarios)
    if scheduler is None:  # a remote cluster's workers use that cluster's memory
        check_memory(estimate_pool_bytes(scale, steps, pool, members),
                     parse_memory(max_memory), f"{len(scenarios)} scenarios x {runs:,} runs at "
                     f"1:{scale:,} over {steps:,} weeks on {min(pool, members)} workers")
    store_path = (store if store is not None else default_store_path()).resolve()
    command = ["narcosim", "compare", *scenarios, "--runs", str(runs), "--seed", str(seed),
               "--scale", str(scale), "--backend", backend,
               *(["--workers", str(workers)] if workers is not None else []),
               "--out", str(out), "--start", start, "--end", end,
               *(["--from", window_from] if window_from else []),
               *(["--to", window_to] if window_to else []),
               *(["--fixed-params"] if fixed_params else [])]
    with JobBar(_err, "runs", backend, runs * len(scenarios), _describe,
                "all runs done; measuring the effects") as step:
        result = compare(scenarios, runs, seed, out_dir=out, scale=scale, backend=backend,
                         workers=workers, scheduler=scheduler, store=store_path, start=start,
                         end=end, window_from=window_from, window_to=window_to, force=force,
                         progress=step, command=command, fixed_params=fixed_params)
    with _err.status("writing compare.html"):
        page = write_compare_report(result.out_dir, result.data, result.summary,
                                    Atlas.open(store_path), result.members)
    if as_json:
        print_json({
            "out_dir": str(result.out_dir), "ran": len(result.runs.ran),
            "already_done": len(result.runs.skipped), "wall_seconds": result.wall_seconds,
            "files": {"comparison": str(result.out_dir / COMPARISON_JSON),
                      "parquet": str(result.out_dir / COMPARISON_PARQUET),
                      "page": str(page)},
            "pairwise": pairwise_lines(result), "comparison": result.data})
    else:
        _print_summary(result, page)


def _describe(record: dict[str, Any]) -> str:
    """The progress bar's line for a finished member."""
    return f"{record['arm']} run {record['index']} in {record['wall_seconds']:.1f} s"


def _print_summary(result: Comparison, page: Path) -> None:
    """The headline table, the pairwise lines, what ran and what was written."""
    _out.print(comparison_table(result))
    for line in pairwise_lines(result):
        _out.print(line, soft_wrap=True)
    data, ran, skipped = result.data, len(result.runs.ran), len(result.runs.skipped)
    _out.print(f"{len(data['arms'])} scenarios x {data['n_runs']} runs (seed {data['seed']}, "
               f"scale 1:{data['scale']}): ran {ran}, {skipped} already done, in "
               f"{result.wall_seconds:.1f} s", soft_wrap=True)
    _out.print(f"wrote {result.out_dir / COMPARISON_JSON}, "
               f"{result.out_dir / COMPARISON_PARQUET}, {page}", soft_wrap=True)
