"""Disruption experiments: remove actors from a network and measure the damage.

Static damage is measured on the graph left after removal: the largest (weakly) connected
component (as a share of the nodes there were before removal), Borgatti's fragmentation and
global efficiency (:mod:`narcosim.network.metrics`). Strategies:

* ``degree`` / ``betweenness``: the highest-ranked nodes first; ranks from the intact graph, or
  recalculated after every removal with ``recalculate`` (Holme et al., Phys. Rev. E 65 (2002)
  056109, found recalculated betweenness the most damaging attack);
* ``keyplayer``: Borgatti's KPP-Neg set of that size (:mod:`narcosim.network.keyplayer`), greedy
  start and swaps, no random restarts (they cost minutes for sets of 15 and more);
* ``random``: uniformly random orders, each from the named stream ``network.disrupt.random`` of the
  run seed (key = the order's number); the damage is the mean over the orders with a 95%
  percentile interval;
* ``name``: the nodes named (ids, names or short names).

The dynamic side, :func:`workforce_recovery`, removes groups from the workforce model of
Prieto-Curiel, Campedelli & Hope (Science 2023) and follows the survivors' recruitment for ten
years.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from narcosim.core.random import INIT_STEP, Stream
from narcosim.errors import ParameterError
from narcosim.network.keyplayer import key_players
from narcosim.network.metrics import IGraph, betweenness, efficiency, fragmentation

STRATEGIES: tuple[str, ...] = ("random", "degree", "betweenness", "keyplayer", "name")
DAMAGE: tuple[str, ...] = ("largest_component_share", "fragmentation", "efficiency")


def removal_count(n: int, fraction: float) -> int:
    """Nodes removed for a fraction of ``n`` (rounded half up, at least 1, below ``n``).

    Raises:
        ParameterError: The fraction is outside (0, 1).
    """
    if not 0.0 < fraction < 1.0 or math.isnan(fraction):
        raise ParameterError(f"--fraction {fraction}: give a share between 0 and 1, e.g. 0.1")
    return min(max(math.floor(n * fraction + 0.5), 1), n - 1)


def resolve_names(g: nx.Graph, names: Sequence[str]) -> list:
    """Node ids for names given as ids, ``name`` or ``short_name`` (case-insensitive).

    Raises:
        ParameterError: A name matches no node (or several), in one line.
    """
    lookup: dict[str, set] = {}
    for node, data in g.nodes(data=True):
        for label in {str(node), str(data.get("name", "")), str(data.get("short_name", ""))}:
            if label:
                lookup.setdefault(label.casefold(), set()).add(node)
    out = []
    for name in names:
        hits = lookup.get(name.strip().casefold(), set())
        if not hits:
            raise ParameterError(f"unknown node {name!r} in --names: no node has that id, "
                                 f"name or short name in the graph '{g.graph.get('name', '')}'")
        if len(hits) > 1:
            raise ParameterError(f"--names {name!r} matches {len(hits)} nodes "
                                 f"({', '.join(sorted(map(str, hits))[:5])}); give the node id")
        out.append(next(iter(hits)))
    if len(set(out)) != len(out):
        raise ParameterError("--names lists a node twice")
    return out


def damage(g: nx.Graph, removed: Sequence, n0: int | None = None) -> dict[str, float]:
    """Static damage after removing ``removed`` from ``g``.

    Args:
        g: The intact graph.
        removed: Nodes to remove.
        n0: Nodes before removal (``g``'s count when None): the largest component is a share
            of it, so removing nodes always counts against the network.

    Returns:
        ``largest_component``, ``largest_component_share``, ``fragmentation`` and ``efficiency``
        of the graph left.
    """
    left = g.copy()
    left.remove_nodes_from(removed)
    n0 = n0 or g.number_of_nodes()
    parts = (nx.weakly_connected_components(left) if left.is_directed()
             else nx.connected_components(left))
    big = max((len(c) for c in parts), default=0)
    return {"largest_component": big, "largest_component_share": big / n0,
            "fragmentation": fragmentation(left), "efficiency": efficiency(left)}


def _ranked(g: nx.Graph, strategy: str, count: int, recalculate: bool) -> list:
    """The ``count`` top nodes by degree or betweenness (ties: node order)."""
    def scores(h: nx.Graph) -> pd.Series:
        if strategy == "degree":
            return pd.Series(dict(h.degree()), dtype=float).reindex(list(h.nodes))
        return betweenness(IGraph.of(h))

    if not recalculate:
        s = scores(g)
        return list(s.sort_values(ascending=False, kind="stable").index[:count])
    h, out = g.copy(), []
    for _ in range(count):
        s = scores(h)
        top = s.sort_values(ascending=False, kind="stable").index[0]
        out.append(top)
        h.remove_node(top)
    return out


@dataclass(frozen=True)
class Disruption:
    """The result of one disruption experiment.

    Attributes:
        strategy: The strategy.
        removed: Nodes removed (for ``random``: those of the first order).
        before: Damage measures of the intact graph.
        after: Damage after removal (``random``: the mean over orders).
        interval: For ``random``: the 2.5% and 97.5% percentiles of each measure over orders.
        orders: Random orders drawn (0 for the other strategies).
    """

    strategy: str
    removed: tuple
    before: dict[str, float]
    after: dict[str, float]
    interval: dict[str, tuple[float, float]]
    orders: int

    def as_dict(self, g: nx.Graph) -> dict:
        """JSON-ready, with the removed nodes' names."""
        return {
            "strategy": self.strategy, "orders": self.orders,
            "removed": [{"node": str(n), "name": str(g.nodes[n].get("name", n))}
                        for n in self.removed],
            "before": self.before, "after": self.after,
            "interval_95": {k: list(v) for k, v in self.interval.items()},
        }


def random_orders(n: int, count: int, orders: int, seed: int) -> np.ndarray:
    """``orders`` random removal sets of ``count`` vertex indices, one stream key per order."""
    stream = Stream("network.disrupt.random", seed)
    return np.array([stream.generator(INIT_STEP, key=i).permutation(n)[:count]
                     for i in range(orders)], dtype=np.int64).reshape(orders, count)


def disrupt(g: nx.Graph, strategy: str, *, count: int | None = None,
            names: Sequence[str] = (), orders: int = 100, seed: int = 0,
            recalculate: bool = False) -> Disruption:
    """Remove nodes by a strategy and measure the static damage.

    Args:
        g: The graph.
        strategy: One of :data:`STRATEGIES`.
        count: Nodes to remove (all strategies but ``name``).
        names: Nodes to remove for ``name``.
        orders: Random orders for ``random`` (at least 1; 100 or more for the interval).
        seed: Run seed for the random orders and the key-player restarts.
        recalculate: Re-rank degree or betweenness after each removal.

    Returns:
        The experiment's result.

    Raises:
        ParameterError: An unknown strategy, a bad count or an unknown name, in one line.
    """
    if strategy not in STRATEGIES:
        raise ParameterError(f"unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")
    n = g.number_of_nodes()
    before = damage(g, [])
    if strategy == "name":
        if not names:
            raise ParameterError("strategy name needs --names")
        removed = resolve_names(g, names)
        return Disruption(strategy, tuple(removed), before, damage(g, removed), {}, 0)
    if count is None or not 1 <= count < n:
        raise ParameterError(f"remove {count} nodes: need between 1 and {n - 1}")
    if strategy == "random":
        if orders < 1:
            raise ParameterError(f"--orders {orders}: need at least 1")
        nodes = list(g.nodes)
        sets = random_orders(n, count, orders, seed)
        rows = pd.DataFrame([damage(g, [nodes[i] for i in s]) for s in sets])
        interval = {k: (float(rows[k].quantile(0.025)), float(rows[k].quantile(0.975)))
                    for k in rows.columns}
        after = {k: float(rows[k].mean()) for k in rows.columns}
        return Disruption(strategy, tuple(nodes[i] for i in sets[0]), before, after, interval,
                          orders)
    if strategy == "keyplayer":
        removed = list(key_players(g, count, "neg", restarts=0, seed=seed).nodes)
    else:
        removed = _ranked(g, strategy, count, recalculate)
    return Disruption(strategy, tuple(removed), before, damage(g, removed), {}, 0)


def damage_curve(g: nx.Graph, strategy: str, max_count: int, *, orders: int = 100,
                 seed: int = 0, recalculate: bool = False) -> pd.DataFrame:
    """Largest-component share after removing 0, 1, ... ``max_count`` nodes.

    Strategies ``degree`` and ``betweenness`` (one order), or ``random`` (mean and 95%
    interval over ``orders`` orders).

    Returns:
        Columns ``removed, fraction, largest_component_share, low, high``.
    """
    n = g.number_of_nodes()
    rows = []
    if strategy == "random":
        nodes = list(g.nodes)
        sets = random_orders(n, max_count, orders, seed)
        for c in range(max_count + 1):
            vals = np.array([damage(g, [nodes[i] for i in s[:c]])["largest_component_share"]
                             for s in sets])
            rows.append((c, c / n, vals.mean(), np.quantile(vals, 0.025),
                         np.quantile(vals, 0.975)))
    else:
        order = _ranked(g, strategy, max_count, recalculate)
        for c in range(max_count + 1):
            v = damage(g, order[:c])["largest_component_share"]
            rows.append((c, c / n, v, v, v))
    return pd.DataFrame(rows, columns=["removed", "fraction", "largest_component_share", "low",
                                       "high"])
