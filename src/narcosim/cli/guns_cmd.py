"""``narcosim orgs guns``: guns going south and their weight in cartel conflict."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from narcosim.cli.app import orgs_app
from narcosim.cli.options import StoreOption
from narcosim.cli.orgs_cmd import _cartel_tables
from narcosim.orgs.guns import GunsParams, conflict_run, flows, theta_factor, us_share_vs_published
from narcosim.orgs.workforce import run_workforce

_out = Console(highlight=False)


@orgs_app.command("guns")
def guns_command(
    interdiction: Annotated[float, typer.Option(
        "--interdiction", help="Added share of the US guns seized going south (0-1).")] = 0.3,
    data: Annotated[Path | None, typer.Option(
        "--data", help="Data folder laid out like shared/data (reads cartels_mexico/).")] = None,
    store: StoreOption = None,
) -> None:
    """Guns bought in the US for Mexico, the US-sourced share beside ATF/GAO, and conflict.

    Runs the workforce model ten years from 2022 with and without the added southbound
    interdiction (the guns arriving scale its conflict lethality; docs/beyond_border.md).
    """
    params = GunsParams()
    sq, arm = flows(params), flows(params, interdiction)
    groups, alliances, rivalries = _cartel_tables(data, store)
    result = run_workforce(groups, alliances, rivalries)
    start = result.history.members[-1]
    runs = [conflict_run(start, result.conflict, result.params, params, k)
            for k in (0.0, interdiction)]
    table = Table(title=f"Guns going south: status quo and {interdiction:.0%} more seized")
    for column in ("", "status quo", "interdiction"):
        table.add_column(column, justify="right")
    for label, key in (("bought in the US a year", "bought"), ("seized going south", "seized"),
                       ("arrived in Mexico", "arrived")):
        table.add_row(label, f"{sq[key]:,.0f}", f"{arm[key]:,.0f}")
    table.add_row("US-sourced share of arrivals", f"{sq['us_share']:.1%}",
                  f"{arm['us_share']:.1%}")
    table.add_row("conflict lethality factor", "1", f"{theta_factor(params, interdiction):.3f}")
    table.add_row("conflict deaths 2022-2032", *(f"{r.killed.sum():,.0f}" for r in runs))
    table.add_row("members 2032", *(f"{r.members[-1].sum():,.0f}" for r in runs))
    _out.print(table)
    for row in us_share_vs_published(params):
        _out.print(f"{row['source']} ({row['period']}): {row['published']:.1%} US-sourced; "
                   f"model {row['model']:.1%}, gap {row['gap']:+.1%}")
