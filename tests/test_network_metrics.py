"""igraph metrics agree with NetworkX to 1e-9 on the cartel networks; communities, brokerage,
fragmentation and efficiency against hand-checkable cases."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from narcosim.atlas.store import Atlas
from narcosim.network.build import alliance_graph, alliances_only, org_graph
from narcosim.network.metrics import (
    IGraph,
    betweenness,
    communities,
    efficiency,
    fragmentation,
    gould_fernandez,
    network_summary,
    node_metrics,
)


@pytest.fixture(scope="module")
def full(atlas_store: Path) -> nx.Graph:
    atlas = Atlas.open(atlas_store)
    return alliance_graph(*(atlas.table(t) for t in ("cartel_groups", "cartel_alliances",
                                                     "cartel_rivalries")))


def reference(g: nx.Graph) -> dict[str, dict]:
    """The same measures from NetworkX."""
    parts = nx.weakly_connected_components(g) if g.is_directed() else nx.connected_components(g)
    und = g.to_undirected() if g.is_directed() else g
    eig = nx.eigenvector_centrality_numpy(und.subgraph(max(parts, key=len)))
    return {
        "degree": nx.degree_centrality(g),
        "betweenness": nx.betweenness_centrality(g),
        "closeness": nx.closeness_centrality(g),
        "eigenvector": {n: eig.get(n, 0.0) for n in g},
        "core": nx.core_number(und),
        "constraint": {n: (v if np.isfinite(v) else 0.0) for n, v in nx.constraint(und).items()},
    }


@pytest.mark.parametrize("which", ["alliances", "alliances-rivalries", "karate"])
def test_node_metrics_match_networkx(full, which: str) -> None:
    g = {"alliances": alliances_only(full), "alliances-rivalries": nx.Graph(full),
         "karate": nx.karate_club_graph()}[which]
    ours = node_metrics(g)
    for name, ref in reference(g).items():
        expected = np.array([ref[n] for n in ours.index], dtype=float)
        np.testing.assert_allclose(ours[name].to_numpy(), expected, rtol=0, atol=1e-9,
                                   err_msg=name)


def test_directed_graph_metrics_match_networkx() -> None:
    g = nx.gnp_random_graph(60, 0.06, seed=3, directed=True)
    ours = node_metrics(g)
    for name, ref in reference(g).items():
        np.testing.assert_allclose(ours[name], [ref[n] for n in ours.index], atol=1e-9,
                                   err_msg=name)


def test_alliance_network_headline_figures(full) -> None:
    g = alliances_only(full)
    m = node_metrics(g)
    assert m["betweenness"].idxmax() == "N10025"  # CJNG brokers the most alliances
    summary = network_summary(g)
    assert (summary["nodes"], summary["edges"], summary["largest_component"]) == (150, 91, 50)
    assert summary["efficiency"] == pytest.approx(nx.global_efficiency(g), abs=1e-12)


def test_sampled_betweenness_is_exact_with_all_pivots_and_close_with_half() -> None:
    g = nx.barabasi_albert_graph(400, 3, seed=1)
    ih = IGraph.of(g)
    exact = betweenness(ih)
    np.testing.assert_allclose(betweenness(ih, pivots=400), exact, atol=1e-12)
    half = betweenness(ih, pivots=200, seed=5)
    assert not np.allclose(half, exact)  # it is an estimate ...
    assert np.corrcoef(half, exact)[0, 1] > 0.97  # ... and a good one
    np.testing.assert_allclose(betweenness(ih, pivots=200, seed=5), half)  # same seed, same


def test_communities_seeded_and_modularity_checked_by_networkx(full) -> None:
    g = alliances_only(full)
    for method in ("leiden", "louvain"):
        labels, q = communities(g, method=method, seed=2)
        assert communities(g, method=method, seed=2) == (labels, q)
        parts: dict[int, set] = {}
        for node, c in labels.items():
            parts.setdefault(c, set()).add(node)
        assert q == pytest.approx(nx.community.modularity(g, parts.values(), weight=None),
                                  abs=1e-9)
        assert q > 0.6
    karate = nx.karate_club_graph()
    labels, q = communities(karate, seed=0)
    assert 0.40 < q < 0.43 and len(set(labels.values())) == 4


def test_fragmentation_and_efficiency_by_hand() -> None:
    g = nx.Graph([(0, 1), (2, 3), (3, 4)])  # pieces of 2 and 3 nodes
    assert fragmentation(g) == pytest.approx(1 - (2 * 1 + 3 * 2) / (5 * 4))
    # ordered pairs: 0-1 both ways (1 each), 2-3, 3-4 (1), 2-4 (1/2), each both ways
    assert efficiency(g) == pytest.approx((2 + 2 * (1 + 1 + 0.5)) / 20)
    assert fragmentation(nx.complete_graph(4)) == 0.0


def test_gould_fernandez_roles_on_small_cases() -> None:
    path = nx.path_graph(3)
    assert gould_fernandez(path, {0: "a", 1: "a", 2: "a"}).loc[1, "coordinator"] == 1
    assert gould_fernandez(path, {0: "a", 1: "b", 2: "a"}).loc[1, "itinerant"] == 1
    assert gould_fernandez(path, {0: "a", 1: "b", 2: "c"}).loc[1, "liaison"] == 1
    assert gould_fernandez(path, {0: "a", 1: "a", 2: "c"}).loc[
        1, "representative_gatekeeper"] == 1
    d = nx.DiGraph([(0, 1), (1, 2)])
    roles = gould_fernandez(d, {0: "a", 1: "a", 2: "c"})
    assert roles.loc[1, "representative"] == 1 and roles["total"].sum() == 1
    roles = gould_fernandez(d, {0: "a", 1: "c", 2: "c"})
    assert roles.loc[1, "gatekeeper"] == 1
    closed = nx.complete_graph(3)  # a closed triad brokers nothing
    assert gould_fernandez(closed, {0: "a", 1: "b", 2: "c"})["total"].sum() == 0


def test_organisation_graph_metrics_run() -> None:
    m = node_metrics(org_graph())
    assert m["degree"].idxmax() == "op:cjng.command"
