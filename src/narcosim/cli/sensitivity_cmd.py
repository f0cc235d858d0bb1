"""``narcosim sensitivity``: Morris screening or Sobol indices over the parameters' priors."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from narcosim.analysis.sensitivity import METHODS
from narcosim.analysis.sensitivity_run import SensitivityResult, run_sensitivity
from narcosim.atlas.store import default_store_path
from narcosim.cli.app import app
from narcosim.cli.options import JobBar, StoreOption, int_list
from narcosim.cli.output import JsonOption, check_top, print_json
from narcosim.model.builder import DEFAULT_END, DEFAULT_START
from narcosim.run.backends import BACKENDS

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)
#: How many parameters the summary prints per output.
TOP = 5


def summary_table(result: SensitivityResult, top: int = TOP) -> Table:
    """The most influential parameters of each output (the first ``top``; 0: all)."""
    sobol = result.meta["method"] == "sobol"
    key = "ST" if sobol else "mu_star"
    table = Table(title=f"Most influential parameters ({'total-order ST' if sobol else 'mu*'}"
                        ", 95% interval)")
    for column in ("output", "rank", "parameter"):
        table.add_column(column)
    table.add_column(key, justify="right")
    table.add_column("± 95%", justify="right")
    for output, rows in result.indices.groupby("output", sort=False):
        if rows["note"].iloc[0]:
            table.add_row(str(output), "", f"n/a: {rows['note'].iloc[0]}", "", "")
            continue
        ranked = rows.sort_values("rank")
        for _, r in (ranked if top == 0 else ranked.head(top)).iterrows():
            table.add_row(str(output), str(int(r["rank"])), str(r["param"]),
                          f"{r[key]:.3g}", f"{r[key + '_conf']:.2g}")
    return table


@app.command("sensitivity")
def sensitivity_command(
    method: Annotated[str, typer.Option(
        "--method", help=f"{' or '.join(METHODS)}: screening, or first- and total-order "
        "indices.")] = "morris",
    n: Annotated[int, typer.Option(
        "--n", help="Morris trajectories, or Sobol base samples (a power of two); runs "
        "n(k+1) or n(k+2) samples for k parameters.")] = 8,
    param: Annotated[list[str] | None, typer.Option(
        "--param", help="A parameter to vary, MODULE.NAME (repeatable; default: every "
        "parameter with a prior).")] = None,
    params_file: Annotated[Path | None, typer.Option(
        "--params-file", help="TOML whose parameters table maps \"module.name\" to true (its "
        "prior) or to a two-number range (low, high).")] = None,
    drug: Annotated[list[str] | None, typer.Option(
        "--drug", help="Drug whose deaths are measured (repeatable; default all).")] = None,
    years: Annotated[str | None, typer.Option(
        "--years", help="Years whose deaths are measured, e.g. 2023,2026 (default: the last "
        "CDC year and the run's last year).")] = None,
    intervention: Annotated[list[str] | None, typer.Option(
        "--intervention", help="Intervention scenario measured against the status quo "
        "(repeatable; default every built-in one; 'none' for none).")] = None,
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed of the sample and of every model run.")] = 1,
    scale: Annotated[int, typer.Option(
        "--scale", help="Real people per agent (1:scale).")] = 1000,
    start: Annotated[str, typer.Option("--start", help="First day (YYYY-MM-DD).")
                     ] = DEFAULT_START,
    end: Annotated[str, typer.Option("--end", help="Last day a step may start (YYYY-MM-DD).")
                   ] = DEFAULT_END,
    backend: Annotated[str, typer.Option(
        "--backend", help=f"Where samples run: {' or '.join(BACKENDS)}.")] = "local",
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Worker processes (default: one per core; 1 runs here).")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="A running Dask scheduler (tcp://HOST:PORT); needs --backend "
        "dask.")] = None,
    out: Annotated[Path, typer.Option(
        "--out", help="Analysis folder; rerunning into it resumes.")] = Path("sensitivity"),
    store: StoreOption = None,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an analysis with other settings in --out.")] = False,
    top: Annotated[int, typer.Option(
        "--top", help="Parameters listed per output, most influential first (0: all).")
    ] = TOP,
    as_json: JsonOption = False,
) -> None:
    """Which parameters matter: deaths by drug, and each lever's deaths averted and cost.

    Every sample runs the status quo and each intervention scenario with the same seed
    (common random numbers). Writes samples.parquet, indices.parquet, indices.csv,
    sensitivity.json and sensitivity.html in --out; each sample is saved as it finishes, so
    a rerun resumes.
    """
    check_top(top)
    store_path = (store if store is not None else default_store_path()).resolve()
    year_list = int_list(years, "--years") if years else ()
    command = ["narcosim", "sensitivity", "--method", method, "--n", str(n), "--seed",
               str(seed), "--scale", str(scale), "--start", start, "--end", end,
               *(a for p in param or [] for a in ("--param", p)),
               *(["--params-file", str(params_file)] if params_file else []),
               *(a for d in drug or [] for a in ("--drug", d)),
               *(["--years", years] if years else []),
               *(a for i in intervention or [] for a in ("--intervention", i)),
               "--out", str(out)]
    def describe(record: dict[str, Any]) -> str:
        return f"sample {record['index']} in {record['wall_seconds']:.1f} s"

    with JobBar(_err, "samples", backend, 1, describe) as step:
        result = run_sensitivity(
            method=method, n=n, seed=seed, scale=scale, start=start, end=end,
            store=store_path, out_dir=out, params=param or (), params_file=params_file,
            drugs=drug or (), years=year_list, interventions=intervention or (),
            backend=backend, workers=workers, scheduler=scheduler, force=force,
            progress=step, command=command)
    meta = result.meta
    if as_json:
        print_json({"out_dir": str(out), "page": str(result.page), "meta": meta,
                    "files": {"indices": str(out / "indices.parquet"),
                              "indices_csv": str(out / "indices.csv"),
                              "samples": str(out / "samples.parquet")},
                    "indices": pd.read_csv(out / "indices.csv").to_dict(orient="records")})
        return
    _out.print(summary_table(result, top))
    _out.print(f"{meta['method']} over {len(result.evaluation.x[0])} parameters, "
               f"{meta['rows']} samples (seed {seed}, scale 1:{scale}): ran {meta['ran']}, "
               f"{meta['skipped']} already done, in {meta['wall_seconds']} s", soft_wrap=True)
    _out.print(f"wrote {out / 'indices.parquet'}, {out / 'indices.csv'}, "
               f"{out / 'samples.parquet'}, {result.page}", soft_wrap=True)
