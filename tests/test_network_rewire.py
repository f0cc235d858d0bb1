"""Alliances re-forming after a removal: the rule by hand, and what it does to the cartels'
alliance network and workforce after the top five key players are removed."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from narcosim.atlas.store import Atlas
from narcosim.errors import ParameterError
from narcosim.network.build import alliance_graph, alliances_only
from narcosim.network.disrupt import damage
from narcosim.network.recovery import workforce_recovery
from narcosim.network.rewire import Rewiring, reformed_alliances, rewired_graph

#: KPP-Neg top 5 of the alliance network (docs/networks.md): CJNG, Sinaloa, Noreste, Los
#: Chapitos, La Unión Tepito.
TOP5 = ["N10025", "N10013", "N10019", "N10091", "N10081"]


@pytest.fixture(scope="module")
def tables(atlas_store: Path) -> tuple:
    atlas = Atlas.open(atlas_store)
    return tuple(atlas.table(t) for t in ("cartel_groups", "cartel_alliances",
                                          "cartel_rivalries"))


def test_rule_by_hand() -> None:
    # hub r allied to a (strength 3 with its tie to c), b and c; d is r's rival (weight 0)
    g = nx.Graph()
    g.add_edge("r", "a", alliance=2.0)
    g.add_edge("r", "b", alliance=4.0)
    g.add_edge("r", "c", alliance=1.0)
    g.add_edge("a", "c", alliance=3.0)
    g.add_edge("r", "d", alliance=0.0)
    # strengths: a 5, b 4, c 4 -> a succeeds; b and c attach to a with half their tie to r
    added = reformed_alliances(g, ["r"], Rewiring(share=0.5))
    assert added == {("a", "b"): 2.0, ("a", "c"): 0.5}
    left = rewired_graph(g, ["r"], Rewiring(share=0.5))
    assert "r" not in left and left["a"]["c"]["alliance"] == 3.5
    assert left["a"]["b"] == {"alliance": 2.0, "kind": "reformed"}
    assert not left.has_edge("a", "d")  # a rival is not an ally
    assert reformed_alliances(g, ["r"], Rewiring(share=0.0)) == {}
    # a removed group with one surviving ally leaves nothing to rewire
    assert reformed_alliances(g, ["r", "a", "b"], Rewiring()) == {}


@pytest.mark.parametrize("bad", [{"share": -0.1}, {"share": 1.5}, {"delay_years": -1}])
def test_rule_refuses_values_out_of_range(bad: dict) -> None:
    with pytest.raises(ParameterError, match="rewiring"):
        Rewiring(**bad)


def test_rewiring_reconnects_the_alliance_network(tables) -> None:
    g = alliances_only(alliance_graph(*tables))
    before, cut = damage(g, []), damage(g, TOP5)
    after = damage(rewired_graph(g, TOP5, Rewiring()), [], g.number_of_nodes())
    assert cut["largest_component"] == 7 and before["largest_component"] == 50
    # the survivors re-form around successors: most of the largest piece comes back, and the
    # network is more efficient than before the removal (as Duijn et al. 2014 found)
    assert after["largest_component"] == 47
    assert after["efficiency"] > before["efficiency"] > cut["efficiency"]


def test_workforce_with_ties_lost_and_re_formed(tables) -> None:
    curve = workforce_recovery(*tables, TOP5, years=10)
    first, last = curve.iloc[0], curve.iloc[-1]
    assert first["rewired"] == first["ties_lost"] == first["disrupted"]
    assert (curve["reformed_ties"].iloc[1:] > 0).all() and curve["reformed_ties"].iloc[0] == 0
    # losing their allies exposes the survivors to more conflict: they recover least; the
    # re-formed alliances win part of it back; the paper's fixed matrix (every tie kept) most
    assert last["ratio_ties_lost"] < last["ratio_rewired"] < last["ratio"]
    assert curve["ratio_ties_lost"].is_monotonic_decreasing
    # with every tie re-formed in full within three months, the curve is close to the fixed one
    full = workforce_recovery(*tables, TOP5, years=10, rewiring=Rewiring(1.0, 0.25))
    assert full["ratio_rewired"].iloc[-1] == pytest.approx(last["ratio"], abs=0.01)
    later = workforce_recovery(*tables, TOP5, years=10, rewiring=Rewiring(0.5, 3.0))
    assert later["rewired"].iloc[-1] < last["rewired"]
    assert later["rewired"].iloc[3] == pytest.approx(later["ties_lost"].iloc[3])
