"""``narcosim network …`` commands: show and export the networks, their metrics, disruption.

The lead registers :data:`network_app` on the main app as ``network``. The work is done in
:mod:`narcosim.network`; these functions parse options and print.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import networkx as nx
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from narcosim.atlas.store import Atlas
from narcosim.cli.options import StoreOption
from narcosim.errors import ParameterError
from narcosim.network.disrupt import DAMAGE, STRATEGIES, damage, disrupt, removal_count
from narcosim.network.graphio import (
    write_csv_atomic,
)
from narcosim.network.keyplayer import key_players
from narcosim.network.metrics import communities, gould_fernandez, network_summary, node_metrics
from narcosim.network.recovery import workforce_recovery
from narcosim.network.rewire import Rewiring, rewired_graph
from narcosim.network.sources import analysed_graph, cartel_tables
from narcosim.scenario.limits import check_count
from narcosim.world import World

#: Bounds of the network commands' counts (scenario/limits.py style): nodes listed or removed,
#: key-player set size (the search is combinatorial), search restarts, random removal orders.
MAX_NODES_LISTED = 10_000_000
MAX_KEY_PLAYERS = 100
MAX_RESTARTS = 1_000
MAX_ORDERS = 100_000

network_app = typer.Typer(help="The networks: cartel alliances, organisation, supply; metrics "
                          "and disruption.", no_args_is_help=True)

_out = Console(highlight=False)

YearOption = Annotated[int, typer.Option("--year", help="Year of the state populations.")]


def _world(store: Path | None) -> World:
    return World.from_atlas(Atlas.open(store))




GraphOption = Annotated[str | None, typer.Option(
    "--graph", help="alliances (default), alliances-rivalries, organisation or supply.")]
FileOption = Annotated[Path | None, typer.Option(
    "--file", help="Analyse your own graph: .graphml, .gexf, .json (node-link) or .csv edges.")]
SeedOption = Annotated[int, typer.Option("--seed", help="Run seed for the named streams.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the results as JSON.")]


def _label(g: nx.Graph, node: object) -> str:
    return str(g.nodes[node].get("name", node))


def _short(g: nx.Graph, node: object) -> str:
    data = g.nodes[node]
    return str(data.get("short_name") or data.get("name") or node)[:18]


@network_app.command("metrics")
def metrics(
    graph: GraphOption = None,
    file: FileOption = None,
    top: Annotated[int, typer.Option("--top", help="Nodes listed, by betweenness.")] = 10,
    k: Annotated[int, typer.Option("--k", help="Key-player set size (0: none).")] = 5,
    method: Annotated[str, typer.Option("--communities", help="leiden or louvain.")] = "leiden",
    restarts: Annotated[int, typer.Option(
        "--restarts", help="Random starts for the key-player search, besides the greedy one.")] = 3,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write every node's metrics.")] = None,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Centralities, k-core, communities, brokerage, key players, fragmentation, efficiency."""
    g = analysed_graph(graph, file, store)
    if top < 0 or k < 0:
        raise ParameterError(f"--top {top} and --k {k} must be >= 0")
    check_count("--top", top, 0, MAX_NODES_LISTED)
    check_count("--k", k, 0, MAX_KEY_PLAYERS)
    check_count("--restarts", restarts, 0, MAX_RESTARTS)
    table = node_metrics(g)
    labels, modularity = communities(g, method=method, seed=seed)
    table["community"] = pd.Series(labels)
    und = g.to_undirected() if g.is_directed() else g
    table["brokerage"] = gould_fernandez(und, labels)["total"]
    table.insert(0, "name", [_label(g, n) for n in table.index])
    summary = {**network_summary(g), "communities": len(set(labels.values())),
               "modularity": modularity, "community_method": method}
    players = {}
    k = min(k, g.number_of_nodes() - 1)
    if k > 0:
        for kind in ("neg", "pos"):
            kp = key_players(g, k, kind, restarts=restarts, seed=seed)
            players[kind] = {"criterion": kp.criterion, "fit": kp.fit,
                             "nodes": [str(n) for n in kp.nodes],
                             "names": [_label(g, n) for n in kp.nodes]}
    if csv is not None:
        write_csv_atomic(table, csv)
    ranked = table.sort_values("betweenness", ascending=False, kind="stable").head(top)
    if as_json:
        typer.echo(json.dumps({"graph": g.graph.get("name", str(file or graph)),
                               "summary": summary, "key_players": players,
                               "top": ranked.reset_index().to_dict(orient="records")},
                              indent=2, ensure_ascii=False, default=str))
        return
    view = Table(title=f"{g.graph.get('name', file)}: top {top} by betweenness")
    for column in ("name", "degree", "betw.", "close", "eigen", "core", "constr.", "comm.",
                   "brok."):
        view.add_column(column, justify="left" if column == "name" else "right")
    for node, row in ranked.iterrows():
        view.add_row(_short(g, node), *(f"{row[c]:.3f}" for c in (
            "degree", "betweenness", "closeness", "eigenvector")), f"{row['core']:.0f}",
            f"{row['constraint']:.3f}", str(row["community"]), str(row["brokerage"]))
    _out.print(view)
    _out.print(", ".join(f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"
                         for key, value in summary.items()), markup=False, soft_wrap=True)
    for kind, what in (("neg", "KPP-Neg (removal fragments most)"),
                       ("pos", "KPP-Pos (reaches most)")):
        if kind in players:
            p = players[kind]
            _out.print(f"{what}, {p['criterion']} {p['fit']:.4f}: {'; '.join(p['names'])}",
                       markup=False, soft_wrap=True)


@network_app.command("disrupt")
def disrupt_cmd(
    strategy: Annotated[str, typer.Option(
        "--strategy", help="random, degree, betweenness, keyplayer or name.")],
    fraction: Annotated[float | None, typer.Option(
        "--fraction", help="Share of the nodes to remove (default 0.1).")] = None,
    count: Annotated[int | None, typer.Option("--count", help="Nodes to remove.")] = None,
    names: Annotated[str | None, typer.Option(
        "--names", help="Nodes to remove (strategy name): ids, names or short names, comma "
        "separated.")] = None,
    orders: Annotated[int, typer.Option("--orders", help="Random orders (random).")] = 100,
    recalculate: Annotated[bool, typer.Option(
        "--recalculate", help="Re-rank degree or betweenness after each removal.")] = False,
    recovery: Annotated[bool, typer.Option(
        "--recovery", help="Also follow the workforce for ten years after removing the groups "
        "(alliance graphs), with and without alliances re-forming.")] = False,
    rewire_share: Annotated[float, typer.Option(
        "--rewire-share", help="Re-formed alliance's weight as a share of the lost tie "
        "(guess 0.5, range 0-1).")] = Rewiring.share,
    rewire_years: Annotated[float, typer.Option(
        "--rewire-years", help="Years until alliances re-form (guess 1, range 0.25-3).")
    ] = Rewiring.delay_years,
    graph: GraphOption = None,
    file: FileOption = None,
    seed: SeedOption = 0,
    as_json: JsonOption = False,
    store: StoreOption = None,
) -> None:
    """Remove actors by a strategy and measure the damage; random is compared over many orders."""
    if strategy not in STRATEGIES:
        raise ParameterError(f"unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    if strategy == "name" and (fraction is not None or count is not None):
        raise ParameterError("strategy name takes --names, not --fraction or --count")
    if strategy != "name" and names:
        raise ParameterError(f"--names goes with --strategy name, not {strategy}")
    if fraction is not None and count is not None:
        raise ParameterError("give --fraction or --count, not both")
    check_count("--orders", orders, 1, MAX_ORDERS)
    if count is not None:
        check_count("--count", count, 0, MAX_NODES_LISTED)
    if recovery and (file is not None or (graph or "alliances") not in (
            "alliances", "alliances-rivalries")):
        raise ParameterError("--recovery needs the alliance graph (the workforce model's groups)")
    g = analysed_graph(graph, file, store)
    name_list = [x for x in (names or "").split(",") if x.strip()]
    if strategy == "name" and not name_list:
        raise ParameterError("--strategy name needs --names")
    n_remove = None if strategy == "name" else (
        count if count is not None else removal_count(g.number_of_nodes(), fraction or 0.1))
    result = disrupt(g, strategy, count=n_remove, names=name_list, orders=orders, seed=seed,
                     recalculate=recalculate)
    report = result.as_dict(g)
    if recovery:
        rule = Rewiring(rewire_share, rewire_years)
        rewired = rewired_graph(g, result.removed, rule)
        report["rewiring"] = {"share": rule.share, "delay_years": rule.delay_years,
                              "after_rewiring": damage(rewired, [], g.number_of_nodes())}
        curve = workforce_recovery(*cartel_tables(store), [str(n) for n in result.removed],
                                   rewiring=rule)
        report["workforce_recovery"] = curve.to_dict(orient="records")
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    view = Table(title=f"{strategy}: {len(result.removed)} of {g.number_of_nodes()} nodes removed"
                 + (f", mean of {orders} random orders" if strategy == "random" else ""))
    for column in ("measure", "before", "after", "95% interval"):
        view.add_column(column, justify="left" if column == "measure" else "right")
    for key in ("largest_component", *DAMAGE):
        low_high = result.interval.get(key)
        view.add_row(key, f"{result.before[key]:.4g}", f"{result.after[key]:.4g}",
                     f"{low_high[0]:.4g}-{low_high[1]:.4g}" if low_high else "")
    _out.print(view)
    if strategy != "random":
        _out.print("removed: " + "; ".join(_label(g, n) for n in result.removed), markup=False,
                   soft_wrap=True)
    if recovery:
        rows = report["workforce_recovery"]
        _out.print("workforce, removed groups' members set to 0 in "
                   f"{rows[0]['year']}: " + ", ".join(
                       f"{r['year']} {r['ratio']:.1%}" for r in rows) + " of the baseline",
                   markup=False, soft_wrap=True)
        after = report["rewiring"]["after_rewiring"]
        _out.print(f"alliances re-formed after {rewire_years:g} years (share {rewire_share:g}): "
                   f"largest component {after['largest_component']}, efficiency "
                   f"{after['efficiency']:.4g}; workforce " + ", ".join(
                       f"{r['year']} {r['ratio_rewired']:.1%}" for r in rows)
                   + " of the baseline (ties lost, none re-formed: "
                   f"{rows[-1]['ratio_ties_lost']:.1%} in {rows[-1]['year']})",
                   markup=False, soft_wrap=True)
