"""``narcosim network …`` commands: show and export the supply-network graph.

The lead registers :data:`network_app` on the main app as ``network``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from narcosim.atlas.store import Atlas
from narcosim.world import World

network_app = typer.Typer(help="The supply network: Mexico → ports → hubs → states.",
                          no_args_is_help=True)

_out = Console(highlight=False)

StoreOption = Annotated[
    Path | None,
    typer.Option("--store", help="Atlas store (default: $NARCOSIM_HOME or the user data dir)."),
]
YearOption = Annotated[int, typer.Option("--year", help="Year of the state populations.")]


def _world(store: Path | None) -> World:
    return World.from_atlas(Atlas.open(store))


@network_app.command("export")
def export(
    graphml: Annotated[Path, typer.Option("--graphml", help="GraphML file to write.")],
    store: StoreOption = None,
    year: YearOption = 2022,
) -> None:
    """Write the supply-network graph as GraphML (opens in Gephi, yEd, NetworkX)."""
    world = _world(store)
    graph = world.graph(year=year)
    path = world.to_graphml(graphml, year=year)
    _out.print(f"wrote {path}: {graph.number_of_nodes()} nodes, "
               f"{graph.number_of_edges()} edges", markup=False, soft_wrap=True)


@network_app.command("show")
def show(store: StoreOption = None, year: YearOption = 2022) -> None:
    """Print the supply network: node and edge counts, ports by field office, staging cities."""
    world = _world(store)
    graph = world.graph(year=year)
    _out.print(repr(world), markup=False)

    counts = Table(title=f"Supply network ({year} populations)")
    counts.add_column("part")
    counts.add_column("kind")
    counts.add_column("count", justify="right")
    for kind, n in sorted(Counter(k for _, k in graph.nodes(data="kind")).items()):
        counts.add_row("node", kind, str(n))
    for kind, n in sorted(Counter(k for *_, k in graph.edges(data="kind")).items()):
        counts.add_row("edge", kind, str(n))
    _out.print(counts)

    offices = Table(title="Land ports by CBP field office")
    offices.add_column("field office")
    offices.add_column("ports", justify="right")
    offices.add_column("port names")
    for office in world.field_offices:
        ports = world.ports_in(office)
        offices.add_row(office, str(len(ports)), ", ".join(p.name for p in ports))
    _out.print(offices)

    regions = Table(title="Mexican production regions and border staging cities")
    regions.add_column("role")
    regions.add_column("name")
    regions.add_column("city")
    regions.add_column("lat", justify="right")
    regions.add_column("lon", justify="right")
    regions.add_column("faces ports")
    names = {p.code: p.name for p in world.ports}
    for r in world.mexican_regions:
        regions.add_row(r.role, r.name, r.city, f"{r.latitude:.2f}", f"{r.longitude:.2f}",
                        ", ".join(names[c] for c in r.ports))
    _out.print(regions)
