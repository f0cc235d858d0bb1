"""``narcosim network metrics`` and ``disrupt`` on the store's and a user's graphs; bad input is
one line and exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from narcosim.cli import main


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(args)
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


@pytest.fixture()
def karate_file(tmp_path: Path) -> Path:
    g = nx.karate_club_graph()
    g = nx.relabel_nodes(g, {n: f"m{n}" for n in g})
    for node, data in g.nodes(data=True):
        data["name"] = node
    path = tmp_path / "karate.graphml"
    nx.write_graphml(g, path)
    return path


def test_metrics_on_a_users_file(karate_file: Path, capsys) -> None:
    code, out, err = run_cli(["network", "metrics", "--file", str(karate_file), "--json",
                              "--k", "2"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["nodes"] == 34 and data["summary"]["edges"] == 78
    assert set(data["key_players"]["pos"]["nodes"]) == {"m0", "m33"}
    assert data["top"][0]["node"] == "m0"  # the instructor has the highest betweenness
    assert data["top"][0]["betweenness"] == pytest.approx(
        nx.betweenness_centrality(nx.karate_club_graph())[0], abs=1e-9)


def test_metrics_writes_csv(atlas_store: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "m.csv"
    code, text, err = run_cli(["network", "metrics", "--k", "0", "--csv", str(out),
                               "--store", str(atlas_store)], capsys)
    assert code == 0, err
    assert "Cártel Jalisco" in out.read_text(encoding="utf-8")
    assert "largest_component 50" in text


def test_disrupt_named_leaders_with_recovery(atlas_store: Path, capsys) -> None:
    code, out, err = run_cli(["network", "disrupt", "--strategy", "name", "--names",
                              "CJNG,Sinaloa", "--recovery", "--json", "--store",
                              str(atlas_store)], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert [r["node"] for r in data["removed"]] == ["N10025", "N10013"]
    assert len(data["workforce_recovery"]) == 11
    rewiring = data["rewiring"]
    assert (rewiring["share"], rewiring["delay_years"]) == (0.5, 1.0)
    assert rewiring["after_rewiring"]["largest_component"] > data["after"]["largest_component"]
    last = data["workforce_recovery"][-1]
    assert last["ratio_ties_lost"] < last["ratio_rewired"]
    code, _, err = run_cli(["network", "disrupt", "--strategy", "name", "--names", "CJNG",
                            "--recovery", "--rewire-share", "2", "--store", str(atlas_store)],
                           capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "rewiring share" in err


def test_disrupt_random_on_a_users_file(karate_file: Path, capsys) -> None:
    code, out, err = run_cli(["network", "disrupt", "--strategy", "random", "--fraction", "0.1",
                              "--file", str(karate_file), "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["orders"] == 100 and len(data["removed"]) == 3
    low, high = data["interval_95"]["largest_component_share"]
    assert low <= data["after"]["largest_component_share"] <= high


BAD_FILES = {
    "empty.graphml": "",
    "broken.graphml": "<graphml><graph><node id='a'>",
    "notxml.gexf": "this is not xml",
    "empty_graph.graphml": ('<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.'
                            'org/xmlns"><graph edgedefault="undirected"></graph></graphml>'),
    "bad.json": "{\"nodes\": [",
    "nocols.csv": "a,b\n1,2\n",
    "blank.csv": "source,target\nx,\n",
    "graph.txt": "a b\n",
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_graph_files_are_one_line_exit_2(tmp_path: Path, name: str, capsys) -> None:
    path = tmp_path / name
    path.write_text(BAD_FILES[name], encoding="utf-8")
    code, out, err = run_cli(["network", "metrics", "--file", str(path)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0], err
    assert out == ""


@pytest.mark.parametrize(("args", "needle"), [
    (["--strategy", "decapitate", "--fraction", "0.1"], "unknown strategy 'decapitate'"),
    (["--strategy", "name", "--names", "CJNG,El Nadie"], "unknown node 'El Nadie'"),
    (["--strategy", "degree", "--fraction", "1.5"], "--fraction 1.5"),
    (["--strategy", "degree", "--count", "150"], "between 1 and 149"),
    (["--strategy", "name"], "needs --names"),
    (["--strategy", "degree", "--graph", "nonsense"], "unknown graph 'nonsense'"),
    (["--strategy", "random", "--fraction", "0.1", "--orders", "0"], "--orders 0"),
    (["--strategy", "random", "--fraction", "0.1", "--orders", "10000000"], "--orders 10000000"),
    (["--strategy", "degree", "--count", "99999999999"], "--count 99999999999"),
])
def test_bad_disruption_input_is_one_line_exit_2(atlas_store: Path, args: list[str],
                                                 needle: str, capsys) -> None:
    code, out, err = run_cli(["network", "disrupt", *args, "--store", str(atlas_store)], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], err
    assert out == ""


def test_unknown_node_in_a_users_file(karate_file: Path, capsys) -> None:
    code, _, err = run_cli(["network", "disrupt", "--strategy", "name", "--names", "m1,m99",
                            "--file", str(karate_file)], capsys)
    assert code == 2 and "unknown node 'm99'" in err and len(err.strip().splitlines()) == 1


def test_page_is_offline_and_holds_every_node(atlas_store: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "net.html"
    code, _, err = run_cli(["network", "page", "--out", str(out), "--store", str(atlas_store)],
                           capsys)
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert "<script src" not in page  # plotly.js is inlined: nothing to fetch
    assert "(N10013)" in page and "Los Talibanes" in page  # names in hover text
    assert "bloc: cjng (29)" in page and "rivalry" in page


@pytest.mark.parametrize(("args", "needle"), [
    (["--format", "pdf"], "--format 'pdf'"),
    (["--graphs", "friends"], "--graphs 'friends'"),
    ([], "give --out DIR"),
])
def test_bad_export_options_are_one_line_exit_2(atlas_store: Path, tmp_path: Path,
                                                args: list[str], needle: str, capsys) -> None:
    out = ["--out", str(tmp_path / "x")] if args else []
    code, _, err = run_cli(["network", "export", *out, *args, "--store", str(atlas_store)],
                           capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and needle in err, err
    assert not (tmp_path / "x").exists()


def test_small_and_old_style_json_graphs(tmp_path: Path, capsys) -> None:
    data = {"directed": False, "multigraph": False, "graph": {},
            "nodes": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
            "links": [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}]}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = run_cli(["network", "metrics", "--file", str(path), "--json"], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["summary"]["edges"] == 2
    neg = result["key_players"]["neg"]["nodes"]  # k = 5 capped at n - 1 = 2
    assert len(neg) == 2 and neg[0] == "b"  # the middle of the path first


@pytest.mark.parametrize(("args", "needle"), [
    (["--k", "1000"], "--k 1000"),
    (["--restarts", "5000000"], "--restarts 5000000"),
    (["--top", "99999999999"], "--top 99999999999"),
])
def test_metrics_counts_are_bounded(atlas_store: Path, args: list[str], needle: str,
                                    capsys) -> None:
    code, out, err = run_cli(["network", "metrics", *args, "--store", str(atlas_store)], capsys)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "whole number from" in lines[0], err
