"""`narcosim money-sankey` and `narcosim world-map` RUN_DIR: money and flows, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from narcosim.cli.app import app
from narcosim.report.money_sankey import write_money_sankey
from narcosim.report.world_map import write_world_map

_out = Console(highlight=False)


@app.command("money-sankey")
def money_sankey_command(
    run_dir: Annotated[Path, typer.Argument(
        help="A run folder (from narcosim run).", show_default=False)],
    year: Annotated[int | None, typer.Option(
        "--year", help="Calendar year (default: the run's last full year).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Where to write (default: RUN_DIR/money_sankey.html).")] = None,
) -> None:
    """Write a Sankey of one year's money, self-contained (opens offline).

    Sales by drug -> operators -> laundering channels -> seized, fees, reached Mexico.
    """
    path = write_money_sankey(run_dir, out, year)
    _out.print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)", soft_wrap=True)


@app.command("world-map")
def world_map_command(
    run_dir: Annotated[Path, typer.Argument(
        help="A run folder (from narcosim run).", show_default=False)],
    year: Annotated[int | None, typer.Option(
        "--year", help="Calendar year (default: the run's last full year).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="Where to write (default: RUN_DIR/world_map.html).")] = None,
) -> None:
    """Write a map of one year's drug flows from Mexico: to the US and exports by region.

    Self-contained (opens offline); kilograms and export revenue per destination.
    """
    path = write_world_map(run_dir, out, year)
    _out.print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)", soft_wrap=True)
