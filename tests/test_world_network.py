"""The supply-network graph: structure, connectivity, GraphML round trip, and the CLI."""

from collections import Counter

import networkx as nx
import pytest
from typer.testing import CliRunner

from narcosim.atlas.store import Atlas
from narcosim.cli.network_cmd import network_app
from narcosim.errors import StoreError
from narcosim.world import ROAD_DETOUR_FACTOR, World, haversine_km, node_id


@pytest.fixture(scope="module")
def world(atlas_store):
    return World.from_atlas(Atlas.open(atlas_store))


@pytest.fixture(scope="module")
def graph(world):
    return world.graph(year=2022)


def test_node_kinds_and_counts(world, graph):
    kinds = Counter(k for _, k in graph.nodes(data="kind"))
    assert kinds == {"production": len(world.mexican_regions), "port": 28, "field_office": 4,
                     "hub": 7, "state": 51}
    assert sum(r.role == "production" for r in world.mexican_regions) == 2


def test_edge_counts_follow_the_design(world, graph):
    staging = [r for r in world.mexican_regions if r.role == "staging"]
    kinds = Counter(k for *_, k in graph.edges(data="kind"))
    assert kinds == {
        "production_port": 2 * 28,
        "production_staging": 2 * len(staging),
        "staging_port": sum(len(r.ports) for r in staging),
        "member_of": 28,
        "port_hub": 28 * 7,
        "hub_hub": 7 * 6,
        "hub_state": 7 * 51,
    }


def test_every_production_node_reaches_every_state(graph):
    states = {n for n, k in graph.nodes(data="kind") if k == "state"}
    sources = [n for n, k in graph.nodes(data="kind") if k == "production"]
    for source in sources:
        assert states <= nx.descendants(graph, source), source


def test_field_offices_are_sinks_holding_their_ports(world, graph):
    for office in world.field_offices:
        fo = node_id("fo", office)
        assert graph.out_degree(fo) == 0
        members = {graph.nodes[u]["port_code"] for u in graph.predecessors(fo)}
        assert members == {p.code for p in world.ports_in(office)}


def test_edge_km_and_cost(world, graph):
    la, ny = node_id("hub", "Los Angeles"), node_id("hub", "New York")
    edge = graph.edges[la, ny]
    assert edge["km"] == pytest.approx(3940, rel=0.02)
    assert edge["cost"] == pytest.approx(edge["km"] * ROAD_DETOUR_FACTOR)
    u, v = node_id("mx", "sinaloa"), node_id("port", "2304")
    sin = graph.nodes[u]
    lar = graph.nodes[v]
    assert graph.edges[u, v]["km"] == pytest.approx(
        float(haversine_km(sin["lat"], sin["lon"], lar["lat"], lar["lon"])))


def test_state_nodes_carry_the_year_population(world, graph, data_dir):
    import csv

    with open(data_dir / "state_reference.csv", newline="") as handle:
        ref = {r["state_abbr"]: int(r["pop_2022"]) for r in csv.DictReader(handle)}
    assert {graph.nodes[node_id("state", s)]["population"] for s in ("TX",)} == {ref["TX"]}
    assert sum(graph.nodes[node_id("state", s)]["population"] for s in ref) == sum(ref.values())


def test_graphml_round_trip(world, graph, tmp_path):
    path = world.to_graphml(tmp_path / "net" / "supply.graphml")
    back = nx.read_graphml(path)
    assert back.is_directed()
    assert back.number_of_nodes() == graph.number_of_nodes()
    assert back.number_of_edges() == graph.number_of_edges()
    for n, attrs in graph.nodes(data=True):
        assert back.nodes[n] == attrs, n
    for u, v, attrs in graph.edges(data=True):
        assert back.edges[u, v] == attrs, (u, v)


def test_all_attributes_are_graphml_safe(graph):
    values = [v for _, a in graph.nodes(data=True) for v in a.values()]
    values += [v for *_, a in graph.edges(data=True) for v in a.values()]
    assert {type(v) for v in values} <= {str, float, int}


runner = CliRunner()


def test_cli_export_writes_graphml(atlas_store, tmp_path, graph):
    out = tmp_path / "cli.graphml"
    result = runner.invoke(network_app, ["export", "--graphml", str(out),
                                         "--store", str(atlas_store)])
    assert result.exit_code == 0, result.output
    assert f"{graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges" in result.output
    back = nx.read_graphml(out)
    assert back.number_of_edges() == graph.number_of_edges()


def test_cli_show_lists_field_offices_and_staging_cities(atlas_store):
    result = runner.invoke(network_app, ["show", "--store", str(atlas_store)])
    assert result.exit_code == 0, result.output
    for text in ("SAN DIEGO FIELD OFFICE", "LAREDO FIELD OFFICE", "Tijuana", "Culiacán",
                 "hub_state"):
        assert text in result.output


def test_cli_missing_store_is_a_store_error(tmp_path):
    result = runner.invoke(network_app, ["show", "--store", str(tmp_path / "none.duckdb")])
    assert isinstance(result.exception, StoreError)
    assert "narcosim atlas import" in str(result.exception)
