"""Node and network metrics, computed with igraph and checked against NetworkX.

igraph (C core) computes; the same definitions as NetworkX are used so the two agree to 1e-9
(``tests/test_network_metrics.py``):

* degree centrality: degree / (n - 1);
* betweenness: Brandes' shortest-path betweenness, normalised as NetworkX does
  (by ``(n-1)(n-2)`` directed, half that undirected); unweighted;
* closeness: Wasserman & Faust's variant for graphs in pieces (NetworkX ``wf_improved``):
  ``(r-1)/sum(d) * (r-1)/(n-1)`` with ``r`` the nodes that reach the node, itself included;
* eigenvector: the leading eigenvector of the largest (weakly) connected component, unit
  Euclidean norm, zero elsewhere (it is not defined on a graph in pieces: NetworkX refuses);
  directed graphs are taken as undirected for it;
* k-core: each node's core number;
* Burt's constraint (brokerage: low constraint = a broker across structural holes);
  k-core and constraint take a directed graph as undirected;
* communities: Leiden (modularity objective) or Louvain, seeded from a named stream.

Network-level: density, components, largest component share, Borgatti's fragmentation
``F = 1 - sum s_k (s_k - 1) / (n (n - 1))`` and global efficiency (mean ``1/d`` over ordered
pairs, Latora & Marchiori 2001), whose complement is Borgatti's distance-weighted fragmentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

import igraph as ig
import networkx as nx
import numpy as np
import pandas as pd

from narcosim.core.random import INIT_STEP, Stream
from narcosim.errors import ParameterError

COMMUNITY_METHODS: tuple[str, ...] = ("leiden", "louvain")


@dataclass(frozen=True)
class IGraph:
    """An igraph copy of a NetworkX graph with the node order that maps between them.

    Attributes:
        graph: The igraph graph (vertex ``i`` is ``nodes[i]``).
        nodes: NetworkX node ids in vertex order.
    """

    graph: ig.Graph
    nodes: list

    @classmethod
    def of(cls, g: nx.Graph, weight: str | None = None) -> IGraph:
        """Convert ``g`` (simple graph; self-loops dropped), keeping ``weight`` if given."""
        nodes = list(g.nodes)
        index = {n: i for i, n in enumerate(nodes)}
        pairs = [(index[a], index[b], d) for a, b, d in g.edges(data=True) if a != b]
        h = ig.Graph(n=len(nodes), edges=[(a, b) for a, b, _ in pairs], directed=g.is_directed())
        if weight is not None:
            h.es["weight"] = [float(d.get(weight, 1.0)) for *_, d in pairs]
        return cls(h, nodes)

    def series(self, values: object, name: str) -> pd.Series:
        """Values in vertex order as a Series indexed by node id."""
        return pd.Series(np.asarray(values, dtype=float), index=self.nodes, name=name)


def _reach_counts(h: ig.Graph) -> np.ndarray:
    """Nodes that reach each node, itself included (component size when undirected)."""
    if not h.is_directed():
        members = np.asarray(h.connected_components().membership)
        return np.bincount(members)[members].astype(float)
    return np.array([len(h.subcomponent(v, mode="in")) for v in range(h.vcount())], dtype=float)


def betweenness(ig_graph: IGraph, pivots: int | None = None,
                seed: int = 0) -> pd.Series:
    """Normalised shortest-path betweenness, exact or estimated from ``pivots`` sources.

    With ``pivots``, the dependencies of ``pivots`` sources drawn without replacement (a named
    stream of ``seed``) are summed and scaled by ``n / pivots`` (Brandes & Pich 2007), an
    unbiased estimate of the exact value.

    Args:
        ig_graph: The graph.
        pivots: Number of sources; exact when None or >= n.
        seed: Run seed for the sources' stream ``network.pivots``.

    Returns:
        Betweenness by node, normalised as NetworkX normalises.
    """
    h, n = ig_graph.graph, ig_graph.graph.vcount()
    if pivots is None or pivots >= n:
        raw = np.asarray(h.betweenness(directed=h.is_directed()), dtype=float)
    else:
        gen = Stream("network.pivots", seed).generator(INIT_STEP)
        sources = gen.choice(n, size=int(pivots), replace=False).tolist()
        raw = np.asarray(h.betweenness(directed=h.is_directed(), sources=sources), dtype=float)
        raw *= n / pivots
    if n > 2:
        raw = raw / ((n - 1) * (n - 2)) * (1.0 if h.is_directed() else 2.0)
    return ig_graph.series(raw, "betweenness")


def eigenvector(ig_graph: IGraph) -> pd.Series:
    """Eigenvector centrality on the largest (weakly) connected component, unit norm.

    A directed graph is taken as undirected: on the supply and organisation graphs, which have
    no cycles, the directed centrality is zero everywhere but the sinks.
    """
    h = ig_graph.graph
    values = np.zeros(h.vcount())
    parts = h.connected_components(mode="weak")
    giant = max(parts, key=len)
    if len(giant) > 1:
        sub = h.induced_subgraph(giant)
        if sub.is_directed():
            sub.to_undirected(mode="collapse")
        vec = np.asarray(sub.eigenvector_centrality(scale=False))
        values[giant] = np.abs(vec) / np.linalg.norm(vec)
    return ig_graph.series(values, "eigenvector")


def node_metrics(g: nx.Graph) -> pd.DataFrame:
    """Degree, betweenness, closeness, eigenvector, core number and constraint of every node.

    Args:
        g: The graph (treated as unweighted).

    Returns:
        One row per node, indexed by node id.
    """
    ih = IGraph.of(g)
    h, n = ih.graph, ih.graph.vcount()
    mode = "in" if h.is_directed() else "all"
    degree = np.asarray(h.degree(mode="all"), dtype=float)
    close = np.nan_to_num(np.asarray(h.closeness(mode=mode, normalized=True), dtype=float))
    close *= (_reach_counts(h) - 1) / max(n - 1, 1)
    und = h.as_undirected(mode="collapse") if h.is_directed() else h
    return pd.DataFrame({
        "degree": degree / max(n - 1, 1),
        "betweenness": betweenness(ih).to_numpy(),
        "closeness": close,
        "eigenvector": eigenvector(ih).to_numpy(),
        "core": np.asarray(und.coreness(), dtype=float),
        "constraint": np.nan_to_num(np.asarray(und.constraint(), dtype=float), nan=0.0),
    }, index=pd.Index(ih.nodes, name="node"))


def communities(g: nx.Graph, method: str = "leiden", seed: int = 0,
                weight: str | None = None) -> tuple[dict, float]:
    """Communities by modularity, Leiden or Louvain, seeded from a named stream.

    Args:
        g: The graph (directed graphs are taken as undirected).
        method: ``leiden`` or ``louvain``.
        seed: Run seed for the stream ``network.communities``.
        weight: Edge attribute to weight by; unweighted when None.

    Returns:
        Community index by node (0 = largest community) and the partition's modularity.

    Raises:
        ParameterError: An unknown method.
    """
    if method not in COMMUNITY_METHODS:
        raise ParameterError(f"unknown community method {method!r}; "
                             f"known: {', '.join(COMMUNITY_METHODS)}")
    und = g.to_undirected() if g.is_directed() else g
    ih = IGraph.of(und, weight=weight)
    gen = Stream("network.communities", seed).generator(INIT_STEP)
    # igraph draws from a Python Random: one seeded from the named stream, never the global one
    ig.set_random_number_generator(Random(int(gen.integers(2**62))))
    try:
        w = "weight" if weight else None
        if method == "leiden":
            part = ih.graph.community_leiden(objective_function="modularity", weights=w,
                                             n_iterations=-1)
        else:
            part = ih.graph.community_multilevel(weights=w)
    finally:
        ig.set_random_number_generator(Random())  # leave no seeded state behind
    order = {c: k for k, c in enumerate(sorted(set(part.membership),
                                               key=lambda c: (-part.membership.count(c), c)))}
    labels = {node: order[c] for node, c in zip(ih.nodes, part.membership, strict=True)}
    return labels, float(part.modularity)


def fragmentation(g: nx.Graph) -> float:
    """Borgatti's fragmentation: the share of ordered pairs that cannot reach each other.

    Components are weak components for a directed graph. A graph of fewer than two nodes has
    fragmentation 1 (no pair is connected).
    """
    n = g.number_of_nodes()
    if n < 2:
        return 1.0
    parts = nx.weakly_connected_components(g) if g.is_directed() else nx.connected_components(g)
    sizes = np.array([len(c) for c in parts], dtype=float)
    return float(1.0 - (sizes * (sizes - 1)).sum() / (n * (n - 1)))


def efficiency(g: nx.Graph) -> float:
    """Global efficiency, mean of ``1/d(i, j)`` over ordered pairs (0 for unreachable pairs).

    Computed from igraph's breadth-first distances; equals :func:`networkx.global_efficiency`
    on undirected graphs. Distance-weighted fragmentation is ``1 - efficiency``.
    """
    n = g.number_of_nodes()
    if n < 2:
        return 0.0
    h = IGraph.of(g).graph
    d = np.asarray(h.distances(mode="out"), dtype=float)
    with np.errstate(divide="ignore"):
        inv = np.where(np.isfinite(d) & (d > 0), 1.0 / d, 0.0)
    return float(inv.sum() / (n * (n - 1)))


def largest_component(g: nx.Graph) -> int:
    """Nodes in the largest (weakly) connected component (0 for an empty graph)."""
    if g.number_of_nodes() == 0:
        return 0
    parts = nx.weakly_connected_components(g) if g.is_directed() else nx.connected_components(g)
    return max(len(c) for c in parts)


def network_summary(g: nx.Graph) -> dict[str, float | int]:
    """Size, density, components, largest component, fragmentation and efficiency."""
    n = g.number_of_nodes()
    comps = (nx.number_weakly_connected_components(g) if g.is_directed()
             else nx.number_connected_components(g))
    big = largest_component(g)
    return {
        "nodes": n,
        "edges": g.number_of_edges(),
        "density": float(nx.density(g)) if n > 1 else 0.0,
        "components": int(comps),
        "largest_component": big,
        "largest_component_share": big / n if n else 0.0,
        "fragmentation": fragmentation(g),
        "efficiency": efficiency(g),
    }


def gould_fernandez(g: nx.Graph, groups: dict) -> pd.DataFrame:
    """Gould & Fernandez (1989) brokerage roles, counted on open two-paths ``a → b → c``.

    On a directed graph the five roles: coordinator (a, b, c in one group), itinerant (a and c
    in one group, b in another), representative (b with a, c elsewhere), gatekeeper (b with c,
    a elsewhere) and liaison (all three apart). On an undirected graph each open path ``a - b -
    c`` is counted once, and representative and gatekeeper (which differ only in direction) are
    merged into ``representative_gatekeeper``. A path is open when ``a`` has no tie to ``c``.

    Args:
        g: The graph.
        groups: Group of each node (e.g. its community or cartel bloc).

    Returns:
        Counts of each role by broker node, with a ``total`` column.
    """
    directed = g.is_directed()
    roles = (["coordinator", "itinerant", "representative", "gatekeeper", "liaison"] if directed
             else ["coordinator", "itinerant", "representative_gatekeeper", "liaison"])
    counts = {node: dict.fromkeys(roles, 0) for node in g}
    for b in g:
        ins = list(g.predecessors(b)) if directed else list(g.neighbors(b))
        outs = list(g.successors(b)) if directed else ins
        for i, a in enumerate(ins):
            for c in (outs if directed else ins[i + 1:]):
                if b in (a, c) or a == c or g.has_edge(a, c) or (
                        not directed and g.has_edge(c, a)):
                    continue
                ga, gb, gc = groups.get(a), groups.get(b), groups.get(c)
                if ga == gb == gc:
                    role = "coordinator"
                elif ga == gc:
                    role = "itinerant"
                elif gb not in (ga, gc):
                    role = "liaison"
                elif not directed:
                    role = "representative_gatekeeper"
                else:
                    role = "representative" if gb == ga else "gatekeeper"
                counts[b][role] += 1
    frame = pd.DataFrame.from_dict(counts, orient="index")[roles]
    frame["total"] = frame.sum(axis=1)
    frame.index.name = "node"
    return frame
