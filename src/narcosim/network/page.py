"""An offline, interactive page of a network: nodes coloured by group, sized by betweenness.

A plotly figure (pan, zoom, hover) written by :func:`narcosim.report.offline.write_html`, with
plotly.js inlined, so the page opens with no outside request. Positions come from NetworkX's
spring layout seeded from the named stream ``network.layout``; alliance ties are drawn grey,
rivalries red and dotted (for the alliance graphs), other graphs' edges grey.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import plotly.graph_objects as go

from narcosim.core.random import INIT_STEP, Stream
from narcosim.network.metrics import node_metrics
from narcosim.report.offline import write_html

_KNOWN = {"none": "#aaaaaa", "(none)": "#aaaaaa", "cjng": "#d62728", "sinaloa": "#2ca02c",
          "both": "#9467bd"}
_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
            "#17becf", "#bcbd22", "#7f7f7f")


def _edge_trace(g: nx.Graph, pos: dict, edges: list, name: str, color: str,
                dash: str = "solid") -> go.Scatter:
    xs: list[float | None] = []
    ys: list[float | None] = []
    for u, v in edges:
        xs += [pos[u][0], pos[v][0], None]
        ys += [pos[u][1], pos[v][1], None]
    return go.Scatter(x=xs, y=ys, mode="lines", name=name, hoverinfo="skip",
                      line={"width": 0.8, "color": color, "dash": dash})


def network_figure(g: nx.Graph, color_by: str = "bloc", seed: int = 0) -> go.Figure:
    """The figure: one node trace per value of ``color_by`` (a node attribute), edges below.

    Args:
        g: The graph.
        color_by: Node attribute that colours nodes (``bloc``, ``kind``, ``region``...);
            nodes without it are grouped as ``(none)``.
        seed: Run seed for the layout's stream.

    Returns:
        The plotly figure.
    """
    state = int(Stream("network.layout", seed).generator(INIT_STEP).integers(2**31 - 1))
    und = g.to_undirected() if g.is_directed() else g
    pos = nx.spring_layout(und, seed=state, k=1.5 / np.sqrt(max(g.number_of_nodes(), 1)))
    bet = node_metrics(g)["betweenness"]
    fig = go.Figure()
    kinds = {d.get("kind") for *_, d in g.edges(data=True)}
    if kinds & {"alliance", "rivalry", "both"}:
        allied = [(u, v) for u, v, d in g.edges(data=True) if d.get("alliance", 0) > 0]
        rival = [(u, v) for u, v, d in g.edges(data=True) if d.get("rivalry", 0) > 0]
        fig.add_trace(_edge_trace(g, pos, allied, "alliance", "#999999"))
        fig.add_trace(_edge_trace(g, pos, rival, "rivalry", "#e06666", "dot"))
    else:
        fig.add_trace(_edge_trace(g, pos, list(g.edges()), "tie", "#999999"))
    groups: dict[str, list] = {}
    for node, data in g.nodes(data=True):
        groups.setdefault(str(data.get(color_by, "(none)")), []).append(node)
    scale = 40.0 / max(float(bet.max()), 1e-12)
    for i, (value, nodes) in enumerate(sorted(groups.items(), key=lambda kv: -len(kv[1]))):
        hover = []
        for n in nodes:
            data = g.nodes[n]
            extra = "".join(f"<br>{k}: {v:,.0f}" if isinstance(v, float) else f"<br>{k}: {v}"
                            for k, v in data.items() if k not in ("name", "label"))
            hover.append(f"<b>{data.get('name', n)}</b> ({n})<br>betweenness "
                         f"{bet[n]:.4f}{extra}")
        fig.add_trace(go.Scatter(
            x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes], mode="markers",
            name=f"{color_by}: {value} ({len(nodes)})", text=hover, hoverinfo="text",
            marker={"size": [6.0 + scale * bet[n] for n in nodes],
                    "color": _KNOWN.get(value, _PALETTE[i % len(_PALETTE)]), "line": {"width": 0.5,
                                                                   "color": "#333333"}}))
    fig.update_layout(
        title=f"{g.graph.get('name', 'network')}: {g.number_of_nodes()} nodes, "
              f"{g.number_of_edges()} edges; size = betweenness",
        xaxis={"visible": False}, yaxis={"visible": False}, plot_bgcolor="white",
        height=800, hovermode="closest")
    return fig


def write_network_page(g: nx.Graph, path: Path, color_by: str = "bloc", seed: int = 0) -> Path:
    """Write the offline page (plotly.js inlined).

    Returns:
        The path written.
    """
    fig = network_figure(g, color_by=color_by, seed=seed)
    return write_html(fig, path, title=str(fig.layout.title.text))
