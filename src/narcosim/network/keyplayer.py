"""Borgatti's key-player sets: whom to remove to break a network, whom to reach it through.

Borgatti, "Identifying sets of key players in a social network", *Computational and
Mathematical Organization Theory* 12 (2006) 21-34:

* **KPP-Neg** (fragment): the ``k`` nodes whose removal leaves the rest most fragmented, by
  distance-weighted fragmentation ``DF = 1 - sum_{i != j} (1/d_ij) / (m (m - 1))`` over the
  ``m = n - k`` nodes left (unreachable pairs count 0), or by plain fragmentation ``F`` (the share
  of pairs in different components);
* **KPP-Pos** (reach): the ``k`` nodes that reach the rest best, by distance-weighted reach
  ``DR = sum_{j not in S} (1 / d_Sj) / n``, where ``d_Sj`` is the distance from the nearest member
  of the set, or by ``m``-reach (the share of nodes within ``m`` steps).

Optimisation is Borgatti's: a start set, then swap a member for a non-member while a swap
improves the fit. We start from the greedy set (each node added the one that helps most) and
from a few random sets (a named stream of the run seed), and keep the best local optimum: the
greedy start alone can stick on a local optimum. ``F`` and ``m``-reach are flat over many
swaps, so ties are broken by ``DF`` and ``DR``, which move with every swap (without it the
karate club's best ``F`` for k = 3 was missed: 0.482 against 0.570).
``tests/test_network_keyplayer.py`` checks the result against the exhaustive optimum on
Zachary's karate club and against the published brute-force sets of Pyntacle (Mazza et al.,
repository mazzalab/pyntacle) on its 32-node ``figure_8`` test network, for all four criteria.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from narcosim.core.random import INIT_STEP, Stream
from narcosim.errors import ParameterError
from narcosim.network.metrics import IGraph

NEG_CRITERIA: tuple[str, ...] = ("df", "f")
POS_CRITERIA: tuple[str, ...] = ("dr", "mreach")


@dataclass(frozen=True)
class KeyPlayers:
    """A key-player set and its fit.

    Attributes:
        kind: ``"neg"`` (fragment) or ``"pos"`` (reach).
        criterion: ``df``/``f`` or ``dr``/``mreach``.
        nodes: The set, in the order greedy added them (swaps replace in place).
        fit: The criterion's value for the set.
        evaluations: How many sets were scored.
    """

    kind: str
    criterion: str
    nodes: tuple
    fit: float
    evaluations: int


def _inverse_distances(d: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(np.isfinite(d) & (d > 0), 1.0 / d, 0.0)


Score = tuple[float, ...]


def _neg_fit(ih: IGraph, criterion: str) -> Callable[[Sequence[int]], Score]:
    """Fragmentation of the graph without the given vertex indices, then ``DF`` as tie-break.

    Removing nodes changes only their own components, so each component's sum of inverse
    distances is computed once and only the components a set touches are recomputed.
    """
    h, n = ih.graph, ih.graph.vcount()
    parts = h.connected_components(mode="weak")
    member = np.asarray(parts.membership)
    vertices = [list(p) for p in parts]

    def inverse_sum(vs: list[int]) -> float:
        if len(vs) < 2:
            return 0.0
        d = np.asarray(h.induced_subgraph(vs).distances(mode="out"), dtype=float)
        return float(_inverse_distances(d).sum())

    base = np.array([inverse_sum(vs) for vs in vertices])
    sizes = np.array([len(vs) for vs in vertices], dtype=float)
    base_total, base_pairs = base.sum(), (sizes * (sizes - 1)).sum()

    def fit(removed: Sequence[int]) -> Score:
        m = n - len(removed)
        if m < 2:
            return (1.0, 1.0)
        gone = set(removed)
        total, pairs = base_total, base_pairs
        for c in {int(member[v]) for v in removed}:
            left = [v for v in vertices[c] if v not in gone]
            total += inverse_sum(left) - base[c]
            pairs -= sizes[c] * (sizes[c] - 1)
            if left:
                sub = h.induced_subgraph(left).connected_components(mode="weak").sizes()
                pairs += sum(s * (s - 1) for s in sub)
        df = 1.0 - total / (m * (m - 1))
        return (round(1.0 - pairs / (m * (m - 1)), 12), round(df, 12)) if criterion == "f" \
            else (round(df, 12),)

    return fit


def _pos_fit(ih: IGraph, criterion: str, m_steps: int) -> Callable[[Sequence[int]], Score]:
    """Reach of the set of vertex indices into the rest, then ``DR`` as tie-break."""
    h, n = ih.graph, ih.graph.vcount()
    d = np.asarray(h.distances(mode="out"), dtype=float)

    def fit(chosen: Sequence[int]) -> Score:
        nearest = d[list(chosen)].min(axis=0)
        outside = np.ones(n, dtype=bool)
        outside[list(chosen)] = False
        dr = round(float(_inverse_distances(nearest[outside]).sum() / n), 12)
        if criterion == "mreach":
            return (round(float((nearest[outside] <= m_steps).sum() / n), 12), dr)
        return (dr,)

    return fit


def _greedy(n: int, k: int, fit: Callable[[Sequence[int]], Score]) -> tuple[list[int], Score,
                                                                             int]:
    """Add, ``k`` times, the node that raises the fit most (ties: lowest index)."""
    chosen: list[int] = []
    evaluations = 0
    best: Score = ()
    for _ in range(k):
        scores = [(fit([*chosen, v]), -v) for v in range(n) if v not in chosen]
        evaluations += len(scores)
        best, neg_v = max(scores)
        chosen.append(-neg_v)
    return chosen, best, evaluations


def _swap(n: int, chosen: list[int], best: Score,
          fit: Callable[[Sequence[int]], Score]) -> tuple[list[int], Score, int]:
    """Make the best improving swap until none improves (Borgatti 2006's optimiser)."""
    chosen = list(chosen)
    k = len(chosen)
    evaluations = 0
    while True:
        top = (best, None, None)
        for i in range(k):
            for v in range(n):
                if v in chosen:
                    continue
                trial = [*chosen[:i], v, *chosen[i + 1:]]
                score = fit(trial)
                evaluations += 1
                if score > top[0]:
                    top = (score, i, v)
        if top[1] is None:
            return chosen, best, evaluations
        best = top[0]
        chosen[top[1]] = top[2]


def _optimise(n: int, k: int, fit: Callable[[Sequence[int]], Score], restarts: int,
              seed: int) -> tuple[list[int], Score, int]:
    """Swaps from the greedy set and from ``restarts`` random sets; the best local optimum.

    Random start sets come from the named stream ``network.keyplayer`` of ``seed`` (one key per
    restart). Ties between optima keep the earlier one (the greedy start first).
    """
    start, value, evaluations = _greedy(n, k, fit)
    best_set, best, used = _swap(n, start, value, fit)
    evaluations += used
    stream = Stream("network.keyplayer", seed)
    for r in range(restarts):
        start = stream.generator(INIT_STEP, key=r).choice(n, size=k, replace=False).tolist()
        value = fit(start)
        found, value, used = _swap(n, start, value, fit)
        evaluations += used + 1
        if value > best:
            best_set, best = found, value
    return best_set, best, evaluations


def key_players(g: nx.Graph, k: int, kind: str = "neg", criterion: str | None = None,
                m_steps: int = 1, restarts: int = 3, seed: int = 0) -> KeyPlayers:
    """Find a key-player set.

    Args:
        g: The graph (edges taken as unweighted; direction kept for distances).
        k: Set size, ``1 <= k < n``.
        kind: ``neg`` (fragment the network) or ``pos`` (reach it).
        criterion: ``df`` (default) or ``f`` for ``neg``; ``dr`` (default) or ``mreach`` for
            ``pos``.
        m_steps: Steps for ``mreach``.
        restarts: Random start sets tried besides the greedy one.
        seed: Run seed for the random starts.

    Returns:
        The set and its fit.

    Raises:
        ParameterError: A bad kind, criterion or size, in one line.
    """
    n = g.number_of_nodes()
    if kind not in ("neg", "pos"):
        raise ParameterError(f"key-player kind {kind!r}: use neg or pos")
    allowed = NEG_CRITERIA if kind == "neg" else POS_CRITERIA
    criterion = criterion or allowed[0]
    if criterion not in allowed:
        raise ParameterError(f"key-player criterion {criterion!r} for {kind}: use "
                             f"{' or '.join(allowed)}")
    if not 1 <= k < n:
        raise ParameterError(f"key-player set size {k}: need 1 <= k < {n} (the graph's nodes)")
    if m_steps < 1:
        raise ParameterError(f"m-reach steps {m_steps}: need >= 1")
    ih = IGraph.of(g)
    fit = _neg_fit(ih, criterion) if kind == "neg" else _pos_fit(ih, criterion, m_steps)
    chosen, value, evaluations = _optimise(n, k, fit, max(int(restarts), 0), seed)
    return KeyPlayers(kind, criterion, tuple(ih.nodes[v] for v in chosen), float(value[0]),
                      evaluations)


def set_fit(g: nx.Graph, nodes: Sequence, kind: str = "neg", criterion: str | None = None,
            m_steps: int = 1) -> float:
    """The key-player fit of a given set (for checks and for comparing strategies)."""
    ih = IGraph.of(g)
    index = {node: i for i, node in enumerate(ih.nodes)}
    chosen = [index[node] for node in nodes]
    if kind == "neg":
        return float(_neg_fit(ih, criterion or "df")(chosen)[0])
    return float(_pos_fit(ih, criterion or "dr", m_steps)(chosen)[0])
