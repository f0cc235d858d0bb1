"""Disruption: targeted removal against random orders, named removal, workforce recovery."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from narcosim.atlas.store import Atlas
from narcosim.errors import ParameterError
from narcosim.network.build import alliance_graph, alliances_only
from narcosim.network.disrupt import damage, damage_curve, disrupt, removal_count, resolve_names
from narcosim.network.recovery import workforce_recovery


@pytest.fixture(scope="module")
def tables(atlas_store: Path) -> tuple:
    atlas = Atlas.open(atlas_store)
    return tuple(atlas.table(t) for t in ("cartel_groups", "cartel_alliances",
                                          "cartel_rivalries"))


@pytest.fixture(scope="module")
def alliances(tables) -> nx.Graph:
    return alliances_only(alliance_graph(*tables))


def test_betweenness_fragments_faster_than_random(alliances) -> None:
    count = removal_count(alliances.number_of_nodes(), 0.10)
    assert count == 15
    targeted = disrupt(alliances, "betweenness", count=count)
    rand = disrupt(alliances, "random", count=count, orders=200, seed=1)
    low, high = rand.interval["largest_component_share"]
    assert rand.orders == 200 and low <= rand.after["largest_component_share"] <= high
    # the targeted attack leaves a largest piece below the random orders' whole 95% interval
    assert targeted.after["largest_component_share"] < low
    assert targeted.after["efficiency"] < rand.interval["efficiency"][0]
    assert targeted.before == rand.before


def test_random_orders_are_seeded_and_differ_across_seeds(alliances) -> None:
    a = disrupt(alliances, "random", count=10, orders=100, seed=3)
    assert disrupt(alliances, "random", count=10, orders=100, seed=3) == a
    assert disrupt(alliances, "random", count=10, orders=100, seed=4).after != a.after


def test_damage_by_hand() -> None:
    g = nx.path_graph(5)
    out = damage(g, [2])
    assert out["largest_component"] == 2 and out["largest_component_share"] == 2 / 5
    assert out["fragmentation"] == pytest.approx(1 - 4 / 12)


def test_recalculated_betweenness_and_keyplayer_do_at_least_as_well(alliances) -> None:
    static = disrupt(alliances, "betweenness", count=5)
    again = disrupt(alliances, "betweenness", count=5, recalculate=True)
    kp = disrupt(alliances, "keyplayer", count=5)
    assert static.removed[0] == again.removed[0] == "N10025"
    # KPP-Neg maximises distance-weighted fragmentation, i.e. minimises efficiency per pair left
    assert kp.after["efficiency"] <= static.after["efficiency"] + 1e-12


def test_named_removal_by_short_name_and_id(alliances) -> None:
    assert resolve_names(alliances, ["cjng", "N10013"]) == ["N10025", "N10013"]
    out = disrupt(alliances, "name", names=["CJNG", "Sinaloa"])
    assert out.removed == ("N10025", "N10013")
    assert out.after["largest_component"] < out.before["largest_component"]
    with pytest.raises(ParameterError, match="unknown node 'El Nadie'"):
        disrupt(alliances, "name", names=["El Nadie"])


def test_damage_curve_starts_intact_and_falls(alliances) -> None:
    curve = damage_curve(alliances, "betweenness", 10)
    assert curve["largest_component_share"].iloc[0] == pytest.approx(50 / 150)
    assert np.all(np.diff(curve["largest_component_share"]) <= 0)
    rand = damage_curve(alliances, "random", 5, orders=100)
    assert (rand["low"] <= rand["largest_component_share"]).all()


def test_workforce_recovery(tables) -> None:
    curve = workforce_recovery(*tables, ["N10025", "N10013"], years=10)
    assert list(curve["year"]) == list(range(2022, 2033))
    first = curve.iloc[0]
    assert first["disrupted"] == pytest.approx(first["baseline"] - first["removed_members"])
    assert (curve["disrupted"].diff().iloc[1:] > 0).all()  # the survivors keep recruiting
    assert (curve["disrupted"] < curve["baseline"]).all()
    with pytest.raises(ParameterError, match="unknown group"):
        workforce_recovery(*tables, ["N0"])
