"""``narcosim calibrate …``: fit the model to the real data and print the fit."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from narcosim.atlas.store import Atlas
from narcosim.calibrate.seizures import (
    compare,
    fit_seizures,
    run_fit_sim,
    simulated_seizures,
)
from narcosim.calibrate.targets import southwest_seizures
from narcosim.errors import ParameterError
from narcosim.model.builder import load_inputs
from narcosim.model.fitted import DEFAULT_FIT_FILE, FittedSupply

calibrate_app = typer.Typer(help="Fit the model to the real data and report the fit.",
                            no_args_is_help=True)
_out = Console(highlight=False)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Atlas store (default: $NARCOSIM_HOME or the user data dir)."),
]


def _totals_table(totals: pd.DataFrame) -> Table:
    table = Table(title="Southwest-border seizures, CBP vs simulated (kg)")
    for col in ("drug", "fiscal year", "CBP kg", "simulated kg", "error"):
        table.add_column(col, justify="left" if col == "drug" else "right")
    for row in totals.itertuples():
        table.add_row(row.drug, f"FY{row.fiscal_year}", f"{row.cbp_kg:,.0f}",
                      f"{row.sim_kg:,.0f}", f"{row.rel_error:+.1%}")
    return table


def _shares_table(shares: pd.DataFrame, drug: str) -> Table:
    rows = shares[shares["drug"] == drug]
    offices = list(dict.fromkeys(rows["field_office"]))
    table = Table(title=f"{drug.capitalize()}: field-office share of port (OFO) seizures, "
                        "CBP / simulated")
    table.add_column("fiscal year")
    for office in offices:
        table.add_column(office.replace(" FIELD OFFICE", "").title(), justify="right")
    for fy, grp in rows.groupby("fiscal_year"):
        g = grp.set_index("field_office")
        table.add_row(f"FY{fy}", *[f"{g.loc[o, 'cbp_share']:.1%} / {g.loc[o, 'sim_share']:.1%}"
                                   for o in offices])
    return table


def print_fit(totals: pd.DataFrame, shares: pd.DataFrame) -> None:
    """Print the fit tables and the worst errors."""
    _out.print(_totals_table(totals))
    for drug in ("fentanyl", "methamphetamine", "cocaine"):
        _out.print(_shares_table(shares, drug))
    _out.print(f"worst total error {totals['rel_error'].abs().max():.1%}; worst field-office "
               f"share gap {shares['diff_pp'].abs().max():.1f} percentage points")


@calibrate_app.command("seizures")
def seizures(
    store: StoreOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the calibration runs.")] = 1,
    iterations: Annotated[int, typer.Option("--iterations", help="Fit rounds.")] = 6,
    check: Annotated[bool, typer.Option("--check", help="Only compare the current fit.")] = False,
    fit: Annotated[Path | None, typer.Option(
        "--fit", help="Fit file to check (default: the packaged fit).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the new fit here.")] = None,
    save_default: Annotated[bool, typer.Option(
        "--save-default", help="Overwrite the packaged fit the default scenario uses.")] = False,
) -> None:
    """Fit flows and interdiction to CBP's FY2019–FY2023 seizures, or --check the fit."""
    if seed < 0:
        raise ParameterError(f"--seed must be >= 0, got {seed}")
    if iterations < 0 or iterations > 50:
        raise ParameterError(f"--iterations must be between 0 and 50, got {iterations}")
    atlas = Atlas.open(store)
    cbp = southwest_seizures(atlas.table("seizures"))
    if check:
        fitted = FittedSupply.load(fit)
        sim = run_fit_sim(load_inputs(atlas, fitted=fitted), fitted, seed)
        print_fit(*compare(simulated_seizures(sim), cbp))
        return
    with _out.status("fitting to CBP seizures") as status:
        fitted, totals, shares = fit_seizures(
            atlas, seed=seed, iterations=iterations,
            progress=lambda i, n, e: status.update(f"round {i}/{n}: worst error {e:.1%}"))
    print_fit(totals, shares)
    targets = [p for p in (out,) if p is not None]
    if save_default:
        targets.append(Path(str(resources.files("narcosim.model").joinpath(DEFAULT_FIT_FILE))))
    for path in targets:
        fitted.save(path)
        _out.print(f"wrote {path}")
