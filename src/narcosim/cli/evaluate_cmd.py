"""``narcosim evaluate``: out-of-sample skill, rolling origins and held-out states."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from narcosim.atlas.store import Atlas
from narcosim.calibrate.evaluate import EvaluationSettings
from narcosim.calibrate.evaluation_run import run_evaluation
from narcosim.cli.app import app
from narcosim.cli.options import StoreOption, int_list
from narcosim.cli.output import JsonOption, print_json
from narcosim.report.evaluation_report import write_evaluation_report
from narcosim.scenario.limits import MAX_WORKERS, check_count

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


@app.command("evaluate")
def evaluate_command(
    origins: Annotated[str, typer.Option(
        "--origins", help="Forecast origins (last data year each fit sees).")] = "2018-2021",
    horizons: Annotated[str, typer.Option("--horizons", help="Years ahead.")] = "1,2",
    trials: Annotated[int, typer.Option("--trials", help="Optuna trials per fit.")] = 80,
    scale: Annotated[int, typer.Option("--scale", help="People per agent in the fits.")] = 1000,
    forecast_scale: Annotated[int, typer.Option(
        "--forecast-scale", help="People per agent in the forecast runs.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Run seed.")] = 1,
    folds: Annotated[int, typer.Option(
        "--folds", help="Leave-states-out folds: every state held out of one fit (0 skips "
                        "it).")] = 5,
    workers: Annotated[int, typer.Option("--workers", help="Origins run at once.")] = 2,
    backend: Annotated[str, typer.Option("--backend", help="'local' pool or 'dask'.")] = "local",
    out: Annotated[Path, typer.Option("--out", help="Output folder (resumes).")] = Path(
        "evaluation"),
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fit on data up to each origin, forecast 1-2 years ahead, score against baselines."""
    settings = EvaluationSettings(origins=int_list(origins, "--origins"),
                                  horizons=int_list(horizons, "--horizons"), trials=trials,
                                  scale=scale, forecast_scale=forecast_scale, seed=seed,
                                  folds=folds)
    check_count("--workers", workers, 1, MAX_WORKERS)
    atlas = Atlas.open(store)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/"
               "{task.total}"), TimeElapsedColumn())
    with Progress(*columns, console=_err, transient=True) as bar:
        task = bar.add_task("evaluating", total=None)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(task, description=f"evaluating: {label}", completed=done, total=total)

        summary = run_evaluation(atlas, settings, out, backend=backend, workers=workers,
                                 progress=progress)
    page = write_evaluation_report(out / "evaluation.html", summary)
    if as_json:
        print_json({"out_dir": str(out), "page": str(page), "scores": summary["scores"],
                    "leave_out": summary["leave_out"]})
        return
    table = Table(title="Out-of-sample skill (relative WIS < 1 beats persistence)")
    for col in ("drug", "where", "model", "rel. WIS", "50% cov.", "90% cov.", "n"):
        table.add_column(col, justify="left" if col in ("drug", "where", "model") else "right",
                         no_wrap=True)
    for row in summary["scores"]:
        table.add_row(row["drug"], row["location_kind"], row["model"],
                      f"{row['relative_wis']:.3f}", f"{row['coverage_50']:.0%}",
                      f"{row['coverage_90']:.0%}", str(row["n"]))
    _out.print(table)
    if summary["leave_out"]:
        n_folds = len(summary["leave_out"]["folds"])
        lso = Table(title="Held-out states: R² of per-capita rates 2016 on, pooled over "
                          f"{len(summary['leave_out']['states'])} states in {n_folds} folds")
        for col in ("drug", "narcosim", "population share", "2015 share", "persistence"):
            lso.add_column(col, justify="left" if col == "drug" else "right")
        for row in summary["leave_out"]["r2"]:
            lso.add_row(row["drug"], *(f"{row[k]:.3f}" for k in (
                "model", "population share", "2015 share", "persistence")))
        _out.print(lso)
    _out.print(f"wrote {out} ({page.name})", soft_wrap=True)
