"""A flow map of the supply network: a run's kilograms at ports, hubs and states, offline.

The run records flows at nodes: kilograms sent through each port by drug (seized or not),
each hub's throughput (all drugs) and kilograms sold in each state by drug. The model routes
each port's loads to its nearest hub first and serves each state from its nearest hub
(:mod:`narcosim.model.inputs`), so those links are drawn: port → serving hub as thin lines, hub →
state with a width that grows with the state's kilograms sold. Kilograms on the port → hub links
themselves are not recorded (seizures are by field office), so they carry no width. Alaska and
Hawaii sit in insets, so their hub lines are left out (their markers stay).
The page inlines plotly.js and the US TopoJSON from the store (:mod:`narcosim.report.offline`).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import plotly.graph_objects as go

from narcosim.errors import ParameterError
from narcosim.report.offline import TOPOJSON_NAME, write_html

#: States drawn as insets by the Albers USA projection: their hub lines would cross the map.
_INSETS = ("AK", "HI")


def _nearest(g: nx.DiGraph, source_kind: str) -> dict[str, str]:
    """For each node of ``source_kind``, its nearest hub by great-circle km on the graph."""
    hubs = [n for n, k in g.nodes(data="kind") if k == "hub"]
    out = {}
    for node, kind in g.nodes(data="kind"):
        if kind != source_kind:
            continue
        if source_kind == "port":
            km = {h: g.edges[node, h]["km"] for h in hubs if g.has_edge(node, h)}
        else:
            km = {h: g.edges[h, node]["km"] for h in hubs if g.has_edge(h, node)}
        if km:
            out[node] = min(km, key=km.get)
    return out


def flow_figure(g: nx.DiGraph, drug: str) -> go.Figure:
    """The map of one drug's flows on a graph from :func:`narcosim.network.build.flow_graph`.

    Raises:
        ParameterError: The graph has no flows of ``drug``.
    """
    key_port, key_state = f"crossing_kg_{drug}", f"sold_kg_{drug}"
    if not any(key_port in d for _, d in g.nodes(data=True)):
        drugs = sorted({k[len("crossing_kg_"):] for _, d in g.nodes(data=True) for k in d
                        if k.startswith("crossing_kg_")})
        raise ParameterError(f"--drug {drug!r}: the run has flows of {', '.join(drugs)}")
    year = g.graph.get("flow_year", "")
    fig = go.Figure()
    sold = {n: float(d.get(key_state, 0.0)) for n, d in g.nodes(data=True)
            if d["kind"] == "state"}
    top = max(max(sold.values(), default=0.0), 1e-9)
    for port, hub in _nearest(g, "port").items():
        a, b = g.nodes[port], g.nodes[hub]
        fig.add_trace(go.Scattergeo(lon=[a["lon"], b["lon"]], lat=[a["lat"], b["lat"]],
                                    mode="lines", line={"width": 0.6, "color": "#bbbbbb"},
                                    hoverinfo="skip", showlegend=False))
    for state, hub in _nearest(g, "state").items():
        a, b = g.nodes[hub], g.nodes[state]
        if b.get("state") in _INSETS:
            continue
        fig.add_trace(go.Scattergeo(
            lon=[a["lon"], b["lon"]], lat=[a["lat"], b["lat"]], mode="lines",
            line={"width": 0.5 + 6.0 * sold[state] / top, "color": "#d62728"}, opacity=0.6,
            hoverinfo="skip", showlegend=False))
    for kind, key, color, label in (
            ("port", key_port, "#1f77b4", f"port: {drug} kg sent through (seized or not)"),
            ("hub", "throughput_kg", "#ff7f0e", "hub: throughput, all drugs, kg"),
            ("state", key_state, "#d62728", f"state: {drug} kg sold")):
        nodes = [(n, d) for n, d in g.nodes(data=True) if d["kind"] == kind]
        values = np.array([float(d.get(key, 0.0)) for _, d in nodes])
        size = 4.0 + 26.0 * np.sqrt(values / max(values.max(initial=0.0), 1e-9))
        fig.add_trace(go.Scattergeo(
            lon=[d["lon"] for _, d in nodes], lat=[d["lat"] for _, d in nodes], mode="markers",
            name=label, marker={"size": size, "color": color, "opacity": 0.8},
            text=[f"<b>{d['name']}</b><br>{v:,.0f} kg" for (_, d), v in zip(nodes, values,
                                                                           strict=True)],
            hoverinfo="text"))
    fig.update_layout(
        title=f"Supply network, {drug}, {year}: kilograms by port, hub and state "
              "(lines: each port's and state's nearest hub)",
        geo={"scope": "usa", "projection": {"type": "albers usa"}, "showlakes": False},
        height=700, legend={"orientation": "h"})
    return fig


def write_flow_map(g: nx.DiGraph, drug: str, path: Path, topojson: str) -> Path:
    """Write the flow map as an offline page (plotly.js and the US TopoJSON inlined)."""
    fig = flow_figure(g, drug)
    return write_html(fig, path, topojson={TOPOJSON_NAME: topojson},
                      title=str(fig.layout.title.text))
