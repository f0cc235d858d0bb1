"""``narcosim orgs …`` commands: the cartel workforce model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from narcosim.cli.app import orgs_app
from narcosim.cli.options import StoreOption
from narcosim.errors import DataValidationError, ParameterError, StoreError
from narcosim.orgs.workforce import PAPER_2022, run_workforce

_CARTEL_TABLES = ("cartel_groups", "cartel_alliances", "cartel_rivalries")


def _cartel_tables(data: Path | None, store: Path | None) -> tuple[pd.DataFrame, ...]:
    """Read the three cartel tables from a data folder or from the atlas store."""
    if data is not None and store is not None:
        raise ParameterError("give --data or --store, not both")
    if data is not None:
        if not data.is_dir():
            raise DataValidationError(f"--data {data}: no such folder")
        from narcosim.atlas.cartels import (
            load_cartel_alliances,
            load_cartel_groups,
            load_cartel_rivalries,
        )

        return load_cartel_groups(data), load_cartel_alliances(data), load_cartel_rivalries(data)
    try:
        from narcosim.atlas.store import Atlas
    except ImportError:  # the store lands with the atlas issue; until then only --data works
        raise StoreError("no atlas store support in this build; use --data DIR") from None
    atlas = Atlas.open(store)
    return tuple(atlas.table(name) for name in _CARTEL_TABLES)


def _fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _print_tables(summary: dict, console: Console) -> None:
    """Print the workforce summary as rich tables."""
    start, end = sorted(summary["years"], key=int)
    first, last = summary["years"][start], summary["years"][end]
    paper = summary["paper_2022"]
    table = Table(title=f"Cartel workforce, {summary['groups']} groups (Prieto-Curiel et al. 2023)")
    table.add_column("")
    table.add_column(start, justify="right")
    table.add_column(end, justify="right")
    table.add_column("paper, 2022", justify="right")
    members_ref = (f"{_fmt(paper['members_low'])}-{_fmt(paper['members_high'])}"
                   f" (~{_fmt(paper['members_central'])})")
    recruits_ref = f"{paper['weekly_recruits_low']}-{paper['weekly_recruits_high']}"
    rows = [
        ("members", "members", members_ref),
        ("recruits / week", "weekly_recruits", recruits_ref),
        ("incapacitated / week", "weekly_incapacitated", ""),
        ("killed in conflict / week", "weekly_killed", ""),
        ("lost to saturation / week", "weekly_saturated", ""),
    ]
    for label, key, ref in rows:
        table.add_row(label, _fmt(first[key]), _fmt(last[key]), ref)
    table.add_row("mean recruits / week, 10 y", "", _fmt(summary["mean_weekly_recruits"]),
                  recruits_ref)
    console.print(table)

    groups = Table(title=f"Largest cartels in {end}")
    groups.add_column("group")
    groups.add_column("members", justify="right")
    groups.add_column("share", justify="right")
    for label, key in (("Cártel de Sinaloa (N10013)", "sinaloa_members"),
                       ("CJNG (N10025)", "cjng_members")):
        groups.add_row(label, _fmt(last[key]), f"{last[key] / last['members']:.1%}")
    both = last["sinaloa_members"] + last["cjng_members"]
    groups.add_row(f"both (paper: ~{_fmt(paper['sinaloa_plus_cjng'])})", _fmt(both),
                   f"{both / last['members']:.1%}")
    console.print(groups)

    year = summary["scenario_year"]
    base = summary["scenarios"]["baseline"]
    scen = Table(title=f"Scenarios from {end}, ten years on: {year}",
                 caption=f"Σ: cumulative {end}-{year}; /wk: per week in {year}")
    for column in ("scenario", "members", "vs base", "recruits/wk", "killed/wk", "Σ killed",
                   "Σ incap."):
        scen.add_column(column, justify="left" if column == "scenario" else "right")
    labels = {"baseline": "baseline", "rho_x0.5": "ρ × 0.5", "rho_0": "ρ = 0", "eta_x2": "η × 2"}
    for name, row in summary["scenarios"].items():
        scen.add_row(labels.get(name, name), _fmt(row["members"]),
                     f"{row['members'] / base['members'] - 1:+.1%}", _fmt(row["weekly_recruits"]),
                     _fmt(row["weekly_killed"]), _fmt(row["cumulative_killed"]),
                     _fmt(row["cumulative_incapacitated"]))
    console.print(scen)


@orgs_app.command("workforce")
def workforce(
    data: Annotated[Path | None, typer.Option(
        "--data", help="Data folder laid out like shared/data (reads cartels_mexico/).")] = None,
    store: StoreOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Cartel members, recruits, deaths and incapacitations 2012-2022, and three scenarios to 2032.

    The model of Prieto-Curiel, Campedelli & Hope (Science 2023) over the 150 groups of the
    2020 alliance and rivalry networks; scenarios halve recruitment, stop it, or double
    incapacitation from 2022.
    """
    groups, alliances, rivalries = _cartel_tables(data, store)
    summary = run_workforce(groups, alliances, rivalries).summary()
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console = Console()
    _print_tables(summary, console)
    paper = PAPER_2022
    console.print(f"Paper: {paper['members_low']:,}-{paper['members_high']:,} members and "
                  f"{paper['weekly_recruits_low']}-{paper['weekly_recruits_high']} recruits a "
                  "week in 2022 (Science 381:1312).", highlight=False)
