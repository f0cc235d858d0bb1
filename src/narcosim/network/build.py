"""The networks narcosim analyses, as NetworkX graphs whose attributes write to every format.

* :func:`alliance_graph`: the 150 Mexican groups of 2020 (Prieto-Curiel, Campedelli & Hope,
  Science 2023), an undirected graph whose edges are alliances, rivalries or both
  (``alliance``/``rivalry`` weights, symmetrised by the larger weight as the paper does), nodes
  with the group's name, region (the Mexican state the data give) and workforce in 2022 from
  :func:`narcosim.orgs.workforce.run_workforce`.
* :func:`org_graph`: the cartels' organisation (:mod:`narcosim.orgs.structure`): cartels,
  their operators (Sinaloa's four factions, CJNG's command, the independents), the resources an
  umbrella pools, the crossings each operator runs and CJNG's first franchise cells.
* :func:`flow_graph`: the supply graph of :mod:`narcosim.world.network` with a run's simulated
  flows of one year by drug on its ports, hubs and states.
* :func:`presence_graph`: dealers and branches by state from a run: cartel → state edges weighted
  by the operators present, states with dealers, arrests and sales.

Every attribute is a str, int, float or bool, so that GraphML, GEXF, CSV and JSON carry it.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd

from narcosim.core.time import annual_frame_sums, step_days
from narcosim.errors import DataValidationError, ParameterError
from narcosim.model.distribution import INITIAL_STATES
from narcosim.orgs.structure import OrgStructure
from narcosim.orgs.workforce import CJNG, SINALOA, run_workforce

#: The graphs ``narcosim network export`` writes, by name.
GRAPH_NAMES: tuple[str, ...] = ("alliances", "organisation", "supply", "presence")


def alliance_graph(groups: pd.DataFrame, alliances: pd.DataFrame,
                   rivalries: pd.DataFrame) -> nx.Graph:
    """The alliance and rivalry network of the 150 groups.

    Args:
        groups: ``cartel_groups`` (``node``, ``group``, ``state``, ``short_name``).
        alliances: ``cartel_alliances``, symmetrised (``node``, ``rnode``, ``weight``).
        rivalries: ``cartel_rivalries``, symmetrised.

    Returns:
        An undirected graph: nodes carry ``name``, ``short_name``, ``region``, ``rank`` (by total
        tie strength), ``workforce_2012``, ``workforce_2022`` and ``bloc`` (``sinaloa``, ``cjng``,
        ``both`` or ``none``: which of the two large cartels the group is allied to, itself
        included); edges carry ``alliance`` and ``rivalry`` weights (0 when absent) and ``kind``
        (``alliance``, ``rivalry`` or ``both``).
    """
    work = run_workforce(groups, alliances, rivalries).groups.set_index("node")
    allied = {(a, b) for a, b in alliances[["node", "rnode"]].itertuples(index=False)}
    g = nx.Graph(name="cartel alliances and rivalries 2020",
                 source="Prieto-Curiel, Campedelli & Hope, Science 381 (2023) 1312")
    for row in groups.sort_values("node").itertuples(index=False):
        node = str(row.node)
        blocs = [name for name, hub in (("sinaloa", SINALOA), ("cjng", CJNG))
                 if node == hub or (node, hub) in allied]
        g.add_node(node, name=str(row.group), short_name=str(row.short_name),
                   region=str(row.state), rank=int(work.at[node, "rank"]),
                   workforce_2012=float(work.at[node, "members_start"]),
                   workforce_2022=float(work.at[node, "members_end"]),
                   bloc="both" if len(blocs) == 2 else (blocs[0] if blocs else "none"))
    for kind, table in (("alliance", alliances), ("rivalry", rivalries)):
        for a, b, w in table[["node", "rnode", "weight"]].itertuples(index=False):
            if a == b or a not in g or b not in g:
                continue
            data = g.get_edge_data(a, b) or {"alliance": 0, "rivalry": 0}
            data[kind] = max(int(data[kind]), int(w))
            g.add_edge(a, b, **data)
    for _, _, data in g.edges(data=True):
        both = data["alliance"] > 0 and data["rivalry"] > 0
        data["kind"] = "both" if both else ("alliance" if data["alliance"] > 0 else "rivalry")
    return g


def alliances_only(graph: nx.Graph) -> nx.Graph:
    """The alliance network: every group, the edges with an alliance weight, ``weight`` set.

    Args:
        graph: A graph from :func:`alliance_graph`.

    Returns:
        A new undirected graph with all nodes and the alliance edges.
    """
    g = nx.Graph(name="cartel alliances 2020")
    g.add_nodes_from(graph.nodes(data=True))
    g.add_edges_from((a, b, {"weight": int(d["alliance"])})
                     for a, b, d in graph.edges(data=True) if d.get("alliance", 0) > 0)
    return g


def org_graph(structure: OrgStructure | None = None) -> nx.DiGraph:
    """The cartels' organisation as a directed graph.

    Args:
        structure: The structure; :meth:`OrgStructure.default` when None.

    Returns:
        Nodes ``cartel:<key>``, ``op:<key>``, ``resource:<cartel>:<resource>``, ``port:<code>``
        and ``franchise:<state>`` with ``kind``, ``name`` and (cartels) ``structure``; edges
        ``has_operator`` (cartel → operator), ``shares`` (operator → pooled resource),
        ``runs`` (operator → crossing) and ``franchise`` (CJNG's command → its cells in the
        states where both cartels operated in 2015, :data:`INITIAL_STATES`).
    """
    s = structure or OrgStructure.default()
    g = nx.DiGraph(name="cartel organisation", source="DEA NDTA 2024 via narcosim.orgs.structure")
    for key, cartel in s.cartels.items():
        g.add_node(f"cartel:{key}", kind="cartel", name=cartel.name, structure=cartel.structure,
                   central_command=bool(cartel.central_command),
                   bacrim_node=cartel.bacrim_node or "")
        for resource in sorted(cartel.shared):
            g.add_node(f"resource:{key}:{resource}", kind="resource", name=resource,
                       cartel=key)
    for key, op in s.operators.items():
        cartel = s.cartels[op.cartel]
        role = "command" if cartel.central_command else (
            "faction" if cartel.structure == "umbrella" else "independent")
        g.add_node(f"op:{key}", kind="operator", name=op.name, cartel=op.cartel, role=role,
                   staging_city=op.staging_city, active=s.active(key),
                   **{f"share_{d}": float(v) for d, v in op.supply_share.items()})
        g.add_edge(f"cartel:{op.cartel}", f"op:{key}", kind="has_operator")
        for resource in sorted(cartel.shared):
            g.add_edge(f"op:{key}", f"resource:{op.cartel}:{resource}", kind="shares")
        for code in op.own_ports:
            g.add_node(f"port:{code}", kind="port", name=code)
            g.add_edge(f"op:{key}", f"port:{code}", kind="runs")
        if cartel.central_command:
            for state in INITIAL_STATES:
                g.add_node(f"franchise:{state}", kind="franchise", name=f"CJNG cell {state}",
                           state=state)
                g.add_edge(f"op:{key}", f"franchise:{state}", kind="franchise")
    return g


def _year_rows(results: pd.DataFrame, metric: str, year: int) -> pd.DataFrame:
    """Rows of ``metric`` whose week starts in ``year``; refuses a year the run lacks."""
    rows = results[results["metric"] == metric]
    years = pd.to_datetime(rows["date"]).dt.year
    if not (years == year).any():
        have = sorted(set(years.unique().tolist()))
        span = f"{have[0]}-{have[-1]}" if have else "none"
        raise ParameterError(f"--year {year}: the run has no {metric} that year (years {span})")
    return rows[years == year]


def _year_sums(results: pd.DataFrame, metric: str, year: int, by: list[str]) -> pd.Series:
    """A flow metric's day-weighted total over ``year`` per ``by`` (refuses a missing year).

    A week that straddles New Year counts in each year by its days there
    (:func:`narcosim.core.time.annual_frame_sums`), so a year with 53 week starts is not
    inflated.
    """
    _year_rows(results, metric, year)
    return _sums_in(results[results["metric"] == metric], by, year)


def _sums_in(rows: pd.DataFrame, by: list[str], year: int) -> pd.Series:
    """Day-weighted totals of tidy flow rows over ``year`` per ``by`` (empty if none)."""
    if rows.empty:
        return pd.Series(dtype=float)
    sums = annual_frame_sums(rows, by, step_days(rows["date"]))
    if int(year) not in sums.index.get_level_values("year"):
        return sums.iloc[:0]
    return sums.xs(int(year), level="year")


def flow_graph(supply: nx.DiGraph, results: pd.DataFrame, year: int) -> nx.DiGraph:
    """The supply graph with a run's flows of one year by drug.

    The results record flows at nodes, not on every edge: kilograms crossing each port by drug
    (``crossing_kg``), each hub's throughput (``hub_throughput_kg``) and kilograms sold in each
    state by drug (``sold_kg``), summed over ``year``'s days (day-weighted); each operator's
    kilograms through each port (``operator_port_kg``) become ``kg`` on new operator → port
    edges. Port → hub and hub → state splits are not recorded, so those edges keep ``cost`` only.

    Args:
        supply: The supply graph (:func:`narcosim.world.network.supply_graph`).
        results: A run's tidy results (``date, module, metric, <dims>, value``).
        year: The calendar year.

    Returns:
        A copy of ``supply`` with ``<metric>_<drug>`` node attributes (0 where the run has none).

    Raises:
        ParameterError: The run has no flows in ``year``.
    """
    g = supply.copy()
    g.graph["flow_year"] = int(year)
    crossing = _year_rows(results, "crossing_kg", year)
    drugs = sorted(crossing["drug"].dropna().unique().tolist())
    for _node, data in g.nodes(data=True):
        if data["kind"] == "port":
            data.update({f"crossing_kg_{d}": 0.0 for d in drugs})
        elif data["kind"] == "state":
            data.update({f"sold_kg_{d}": 0.0 for d in drugs})
        elif data["kind"] == "hub":
            data["throughput_kg"] = 0.0
    for (port, drug), kg in _year_sums(results, "crossing_kg", year,
                                       ["port", "drug"]).items():
        if f"port:{port}" in g:
            g.nodes[f"port:{port}"][f"crossing_kg_{drug}"] = float(kg)
    for (state, drug), kg in _year_sums(results, "sold_kg", year, ["state", "drug"]).items():
        if f"state:{state}" in g:
            g.nodes[f"state:{state}"][f"sold_kg_{drug}"] = float(kg)
    for hub, kg in _year_sums(results, "hub_throughput_kg", year, ["hub"]).items():
        if f"hub:{hub}" in g:
            g.nodes[f"hub:{hub}"]["throughput_kg"] = float(kg)
    ops = _sums_in(results[results["metric"] == "operator_port_kg"], ["operator", "port"], year)
    for (op, port), kg in ops.items():
        if f"port:{port}" not in g:
            continue
        g.add_node(f"op:{op}", kind="operator", name=str(op))
        g.add_edge(f"op:{op}", f"port:{port}", kind="operator_port", kg=float(kg))
    return g


def presence_graph(results: pd.DataFrame, year: int) -> nx.DiGraph:
    """Dealers and branches aggregated by state, from a run.

    Args:
        results: A run's tidy results.
        year: The calendar year.

    Returns:
        Cartel → state edges with ``operators`` (operators of the cartel present in the state at
        the year's last week: Sinaloa's branches, CJNG's franchises); state nodes with
        ``dealers`` (mean over the year), ``dealer_arrests`` and ``sold_kg`` (summed over it).

    Raises:
        ParameterError: The run has no presence in ``year``.
    """
    presence = _year_rows(results, "presence", year)
    last = presence[presence["date"] == presence["date"].max()]
    g = nx.DiGraph(name="cartel presence by state", year=int(year))
    dealers = _year_rows(results, "dealers", year).groupby("state")["value"].mean()
    arrests = _sums_in(results[results["metric"] == "arrests"], ["state"], year)
    sold = _year_sums(results, "sold_kg", year, ["state"])
    for state in sorted(set(last["state"].dropna())):
        g.add_node(f"state:{state}", kind="state", name=str(state),
                   dealers=float(dealers.get(state, 0.0)),
                   dealer_arrests=float(arrests.get(state, 0.0)),
                   sold_kg=float(sold.get(state, 0.0)))
    for cartel in sorted(set(last["cartel"].dropna())):
        g.add_node(f"cartel:{cartel}", kind="cartel", name=str(cartel))
    for cartel, state, n in last[["cartel", "state", "value"]].itertuples(index=False):
        if n > 0:
            g.add_edge(f"cartel:{cartel}", f"state:{state}", kind="presence", operators=int(n))
    return g


def read_results(run_dir: Path) -> pd.DataFrame:
    """A run folder's results, the metrics the flow and presence graphs need.

    Args:
        run_dir: A run folder written by ``narcosim run``.

    Returns:
        The tidy results.

    Raises:
        DataValidationError: Not a complete run folder.
    """
    from narcosim.run.folder import read_run_folder

    folder = read_run_folder(Path(run_dir))
    frame = folder.results()
    missing = {"crossing_kg", "sold_kg", "presence"} - set(frame["metric"].unique())
    if missing:
        raise DataValidationError(f"{run_dir}: results lack {', '.join(sorted(missing))}")
    return frame

