"""Where the commands' graphs come from: the store, a run folder, or a user's file."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from narcosim.errors import ParameterError
from narcosim.network.build import (
    alliance_graph,
    alliances_only,
    flow_graph,
    org_graph,
    presence_graph,
    read_results,
)
from narcosim.network.graphio import read_graph

#: Graphs the metrics and disruption commands analyse, by ``--graph`` name.
ANALYSED: dict[str, str] = {
    "alliances": "the 150 groups' alliance ties (cooperation), every group a node",
    "alliances-rivalries": "the 150 groups with alliance and rivalry ties together",
    "organisation": "cartels, operators, pooled resources, crossings, franchise cells",
    "supply": "Mexico → ports → hubs → states (direction ignored for metrics)",
}
CARTEL_TABLES = ("cartel_groups", "cartel_alliances", "cartel_rivalries")


def cartel_tables(store: Path | None) -> tuple:
    """The three cartel tables from the atlas store."""
    from narcosim.atlas.store import Atlas

    atlas = Atlas.open(store)
    return tuple(atlas.table(name) for name in CARTEL_TABLES)


def supply_base(store: Path | None, year: int) -> nx.DiGraph:
    """The supply graph of the store's world, populations of ``year``."""
    from narcosim.atlas.store import Atlas
    from narcosim.world import World

    return World.from_atlas(Atlas.open(store)).graph(year=year)


def export_graphs(names: tuple[str, ...], store: Path | None, run: Path | None,
                  year: int) -> dict[str, nx.Graph]:
    """Build the graphs to export (see :data:`narcosim.network.build.GRAPH_NAMES`).

    ``supply`` carries the run's flows of ``year`` when ``run`` is given and is the bare graph
    otherwise; ``presence`` needs a run.

    Raises:
        ParameterError: ``presence`` without ``--run``.
    """
    results = read_results(run) if run is not None else None
    out: dict[str, nx.Graph] = {}
    for name in names:
        if name == "alliances":
            out[name] = alliance_graph(*cartel_tables(store))
        elif name == "organisation":
            out[name] = org_graph()
        elif name == "supply":
            base = supply_base(store, year)
            out[name] = base if results is None else flow_graph(base, results, year)
        else:
            if results is None:
                raise ParameterError("--graphs presence needs --run DIR (a run folder): dealers "
                                     "and branches by state are simulated")
            out[name] = presence_graph(results, year)
    return out


def analysed_graph(graph: str | None, file: Path | None, store: Path | None,
                   year: int = 2022) -> nx.Graph:
    """The graph a metrics or disruption command works on.

    Args:
        graph: A name from :data:`ANALYSED` (default ``alliances``).
        file: A user's graph file instead (GraphML, GEXF, JSON, CSV).
        store: The atlas store.
        year: Year of the supply graph's populations.

    Raises:
        ParameterError: Both or an unknown name.
        DataValidationError: A malformed or empty file.
    """
    if file is not None:
        if graph is not None:
            raise ParameterError("give --graph or --file, not both")
        return read_graph(file)
    name = graph or "alliances"
    if name not in ANALYSED:
        raise ParameterError(f"unknown graph {name!r}; known: {', '.join(ANALYSED)}")
    if name in ("alliances", "alliances-rivalries"):
        full = alliance_graph(*cartel_tables(store))
        return alliances_only(full) if name == "alliances" else full
    if name == "organisation":
        return org_graph()
    return supply_base(store, year)
