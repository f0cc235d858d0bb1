"""``narcosim network export|show|scenario|page|flowmap``: the networks as files and pages.

Registered on :data:`narcosim.cli.network_cmd.network_app` (the metrics and disruption
commands live there). Each takes ``--json``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Annotated

import networkx as nx
import typer
from rich.console import Console
from rich.table import Table

from narcosim.atlas.store import Atlas
from narcosim.cli.network_cmd import (
    FileOption,
    GraphOption,
    SeedOption,
    StoreOption,
    YearOption,
    _label,
    _world,
    network_app,
)
from narcosim.cli.output import JsonOption, print_json
from narcosim.errors import ParameterError
from narcosim.network.build import GRAPH_NAMES
from narcosim.network.disrupt import disrupt
from narcosim.network.graphio import parse_formats, write_graphml_file, write_graphs
from narcosim.network.page import write_network_page
from narcosim.network.scenario import GROUP_TARGETS, removal_scenario, write_scenario
from narcosim.network.sources import analysed_graph, export_graphs
from narcosim.world import World

_out = Console(highlight=False)


def _size(graph: nx.Graph) -> dict[str, int]:
    return {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges()}


@network_app.command("export")
def export(
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for the graphs (one file per graph and format).")] = None,
    graphml: Annotated[Path | None, typer.Option(
        "--graphml", help="Write only the bare supply graph to this GraphML file.")] = None,
    graphs: Annotated[str, typer.Option(
        "--graphs", help="alliances, organisation, supply, presence (comma list) or all.")] = "all",
    formats: Annotated[str, typer.Option(
        "--format", help="graphml, gexf, csv, json (comma list) or all.")] = "all",
    run: Annotated[Path | None, typer.Option(
        "--run", help="Run folder whose flows and presence to export (supply, presence).")] = None,
    store: StoreOption = None,
    year: YearOption = 2022,
    as_json: JsonOption = False,
) -> None:
    """Export the networks: alliances, organisation, supply (with a run's flows) and presence.

    Formats: GraphML and GEXF (Gephi, yEd, NetworkX), node and edge CSV, node-link JSON. All
    files are written, or none. Without --run, the supply graph has no flows and presence is
    skipped when --graphs is all.
    """
    if graphml is not None:
        if out is not None:
            raise ParameterError("give --out DIR or --graphml FILE, not both")
        world = _world(store)
        graph = world.graph(year=year)
        path = write_graphml_file(graph, graphml)
        if as_json:
            print_json({"files": [str(path)], "graphs": {"supply": _size(graph)}})
            return
        _out.print(f"wrote {path}: {graph.number_of_nodes()} nodes, "
                   f"{graph.number_of_edges()} edges", markup=False, soft_wrap=True)
        return
    if out is None:
        raise ParameterError("network export: give --out DIR (or --graphml FILE for the bare "
                             "supply graph)")
    names = _graph_names(graphs, run is not None)
    fmts = parse_formats(formats)
    built = export_graphs(names, store, run, year)
    written = write_graphs(built, out, fmts)
    if as_json:
        print_json({"files": [str(p) for p in written],
                    "graphs": {name: _size(graph) for name, graph in built.items()},
                    "supply_has_flows": run is not None})
        return
    for name, graph in built.items():
        _out.print(f"{name}: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges",
                   markup=False)
    _out.print(f"wrote {len(written)} files to {out}", markup=False, soft_wrap=True)
    if run is None and "presence" not in names:
        _out.print("supply has no flows and presence was skipped: give --run DIR for a run's "
                   "flows, dealers and branches", markup=False, soft_wrap=True)


def _graph_names(text: str, have_run: bool) -> tuple[str, ...]:
    """Parse --graphs; ``all`` means every graph the inputs allow."""
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    if names == ["all"]:
        return tuple(n for n in GRAPH_NAMES if have_run or n != "presence")
    bad = [n for n in names if n not in GRAPH_NAMES]
    if bad or not names:
        raise ParameterError(f"--graphs {text!r}: choose from {', '.join(GRAPH_NAMES)} or all")
    return tuple(dict.fromkeys(names))




@network_app.command("show")
def show(store: StoreOption = None, year: YearOption = 2022, as_json: JsonOption = False
         ) -> None:
    """Print the supply network: node and edge counts, ports by field office, staging cities."""
    world = _world(store)
    graph = world.graph(year=year)
    if as_json:
        names = {p.code: p.name for p in world.ports}
        print_json({
            "year": year,
            "nodes": dict(sorted(Counter(k for _, k in graph.nodes(data="kind")).items())),
            "edges": dict(sorted(Counter(k for *_, k in graph.edges(data="kind")).items())),
            "field_offices": {office: [p.name for p in world.ports_in(office)]
                              for office in world.field_offices},
            "regions": [{"role": r.role, "name": r.name, "city": r.city,
                         "latitude": r.latitude, "longitude": r.longitude,
                         "ports": [names[c] for c in r.ports]} for r in world.mexican_regions]})
        return
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


@network_app.command("scenario")
def scenario_cmd(
    out: Annotated[Path, typer.Option("--out", help="Scenario TOML file to write.")],
    strategy: Annotated[str, typer.Option(
        "--strategy", help="name, keyplayer, betweenness or degree.")] = "name",
    names: Annotated[str | None, typer.Option(
        "--names", help="Groups to remove (strategy name), comma separated.")] = None,
    count: Annotated[int, typer.Option("--count", help="Groups to remove by rank.")] = 5,
    start: Annotated[str, typer.Option("--start", help="Removal date (YYYY-MM-DD).")] = (
        "2024-01-15"),
    release: Annotated[float, typer.Option(
        "--release-probability", help="Probability Mexico releases each captive.")] = 0.0,
    succession: Annotated[int, typer.Option(
        "--succession-weeks", help="Weeks until a successor takes over.")] = 26,
    seed: SeedOption = 0,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a scenario that removes alliance-network groups from the supply model.

    Groups that are supply-model operators (Sinaloa, CJNG, Los Chapitos, Caborca) become
    leader removals; run the file through `narcosim compare status_quo FILE` for deaths averted.
    """
    if strategy not in ("name", "keyplayer", "betweenness", "degree"):
        raise ParameterError(f"unknown strategy {strategy!r} for a scenario; known: name, "
                             "keyplayer, betweenness, degree")
    try:
        day = date.fromisoformat(start)
    except ValueError:
        raise ParameterError(f"--start {start!r}: write a date as YYYY-MM-DD") from None
    g = analysed_graph("alliances", None, store)
    name_list = [x for x in (names or "").split(",") if x.strip()]
    if strategy == "name" and not name_list:
        raise ParameterError("--strategy name needs --names")
    result = disrupt(g, strategy, count=None if strategy == "name" else count,
                     names=name_list, seed=seed)
    removed = [str(n) for n in result.removed]
    text = removal_scenario(removed, {n: _label(g, n) for n in removed}, day,
                            release_probability=release, succession_weeks=succession)
    write_scenario(text, out)
    mapped = [_label(g, n) for n in removed if n in GROUP_TARGETS]
    if as_json:
        print_json({"file": str(out), "removed": [_label(g, n) for n in removed],
                    "leader_removals": mapped, "next": f"narcosim compare status_quo {out}"})
        return
    _out.print(f"wrote {out}: leader removals of {'; '.join(mapped)} "
               f"({len(removed) - len(mapped)} other groups are not supply-model operators); "
               f"run: narcosim compare status_quo {out}", markup=False, soft_wrap=True)




@network_app.command("page")
def page_cmd(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write (opens offline).")],
    graph: GraphOption = None,
    file: FileOption = None,
    color: Annotated[str, typer.Option(
        "--color", help="Node attribute that colours nodes (bloc, region, kind...).")] = "bloc",
    seed: SeedOption = 0,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """An interactive page of a network: nodes coloured by group, sized by betweenness."""
    g = analysed_graph(graph or ("alliances-rivalries" if file is None else None), file, store)
    path = write_network_page(g, out, color_by=color, seed=seed)
    if as_json:
        print_json({"file": str(path), **_size(g)})
        return
    _out.print(f"wrote {path}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges",
               markup=False, soft_wrap=True)




@network_app.command("flowmap")
def flowmap_cmd(
    run: Annotated[Path, typer.Option("--run", help="Run folder whose flows to map.")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write (opens offline).")],
    drug: Annotated[str, typer.Option("--drug", help="fentanyl, methamphetamine or cocaine.")] = (
        "fentanyl"),
    store: StoreOption = None,
    year: YearOption = 2022,
    as_json: JsonOption = False,
) -> None:
    """A map of a run's flows: kilograms through ports, hubs and states, with their hubs."""
    from narcosim.network.build import flow_graph, read_results
    from narcosim.network.flowmap import write_flow_map
    from narcosim.report.run_report import usa_topojson

    atlas = Atlas.open(store)
    g = flow_graph(World.from_atlas(atlas).graph(year=year), read_results(run), year)
    path = write_flow_map(g, drug, out, usa_topojson(atlas))
    if as_json:
        print_json({"file": str(path), "drug": drug, "year": year, **_size(g)})
        return
    _out.print(f"wrote {path}", markup=False, soft_wrap=True)
