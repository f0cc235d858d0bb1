"""The atlas store: import, idempotence, atomicity, reading, export and sources."""

import hashlib
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from narcosim.atlas import store as store_mod
from narcosim.atlas.catalog import LOADERS
from narcosim.atlas.store import Atlas, default_store_path, import_data
from narcosim.cli import main
from narcosim.errors import StoreError


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


def test_store_holds_every_table_as_loaded(atlas_store, data_dir):
    atlas = Atlas.open(atlas_store)
    assert atlas.tables() == list(LOADERS)
    for name in ("overdose_deaths", "population", "ports", "cartel_alliances"):
        stored = atlas.table(name)
        loaded = LOADERS[name](data_dir)
        pd.testing.assert_frame_equal(stored, loaded, check_dtype=False)


def test_withheld_deaths_stay_null_in_store(atlas_store):
    deaths = Atlas.open(atlas_store).table("overdose_deaths")
    assert deaths["deaths"].isna().sum() > 0


def test_provenance_has_sha256_of_each_file(atlas_store, data_dir):
    atlas = Atlas.open(atlas_store)
    files = atlas.files()
    for f, digest in zip(files["file"], files["sha256"], strict=True):
        assert digest == sha(data_dir / f)
    prov = atlas.provenance().set_index("table")
    assert set(prov.index) == set(LOADERS)
    assert prov.loc["overdose_deaths", "publisher"].startswith("CDC")
    vsrr = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
    assert sha(data_dir / vsrr) in prov.loc["overdose_deaths", "sha256"]
    assert prov["licence"].str.len().gt(0).all() and prov["trimming"].str.len().gt(0).all()


def test_import_twice_gives_identical_tables(data_dir, tmp_path):
    path = tmp_path / "atlas.duckdb"
    first = import_data(data_dir, path)
    before = {n: Atlas.open(path).table(n) for n in LOADERS}
    second = import_data(data_dir, path)
    assert first == second
    atlas = Atlas.open(path)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(atlas.table(name), frame)
    assert [p.name for p in tmp_path.iterdir()] == ["atlas.duckdb"]  # no temp files left


def test_failed_write_leaves_store_byte_identical(data_dir, tmp_path, monkeypatch):
    path = tmp_path / "atlas.duckdb"
    import_data(data_dir, path)
    digest = sha(path)
    calls = {"n": 0}
    real_write = store_mod._write

    def failing_write(con, name, frame):
        calls["n"] += 1
        if calls["n"] == 5:
            raise duckdb.IOException("disk full (simulated)")
        real_write(con, name, frame)

    monkeypatch.setattr(store_mod, "_write", failing_write)
    with pytest.raises(StoreError, match="cannot write store"):
        import_data(data_dir, path)
    assert sha(path) == digest
    assert [p.name for p in tmp_path.iterdir()] == ["atlas.duckdb"]


def test_missing_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match=r"no atlas store at .*narcosim atlas import DIR"):
        Atlas.open(tmp_path / "nope.duckdb")
    with pytest.raises(StoreError, match="unknown atlas table"):
        Atlas(tmp_path / "nope.duckdb").table("nope")


def test_default_store_path_honours_narcosim_home(tmp_path, monkeypatch):
    monkeypatch.setenv("NARCOSIM_HOME", str(tmp_path))
    assert default_store_path() == tmp_path / "atlas.duckdb"
    monkeypatch.delenv("NARCOSIM_HOME")
    assert default_store_path().name == "atlas.duckdb"
    assert default_store_path().parent != tmp_path


def test_cli_import_then_sources_json(data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("NARCOSIM_HOME", str(tmp_path / "home"))
    code, out, _ = run_cli(["atlas", "import", str(data_dir)], capsys)
    assert code in (0, None)
    assert f"{len(LOADERS)} tables" in out
    assert (tmp_path / "home" / "atlas.duckdb").is_file()
    code, out, _ = run_cli(["atlas", "sources", "--json"], capsys)
    records = json.loads(out)
    assert {r["table"] for r in records} == set(LOADERS)
    seizures = next(r for r in records if r["table"] == "seizures")
    assert seizures["sha256"] == sha(data_dir / "cbp_nationwide_drug_seizures_fy2019_fy2023.csv")
    nflis = next(r for r in records if r["table"] == "nflis_reports")
    assert nflis["publisher"].startswith("DEA Diversion Control Division")
    assert "mattkiefer/us-overdoses" in nflis["source"] and "MIT" in nflis["licence"]
    code, out, _ = run_cli(["atlas", "sources"], capsys)
    assert all(name in out for name in ("cartel_rivalries", "seizures", "geometry",
                                        "nflis_reports", "teds_admissions"))
    assert "narcosim atlas sources" in out


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_cli_export(atlas_store, tmp_path, capsys, fmt):
    out_dir = tmp_path / "out"
    code, _, _ = run_cli(["atlas", "export", "--format", fmt, "--out", str(out_dir),
                          "--store", str(atlas_store)], capsys)
    assert code in (0, None)
    atlas = Atlas.open(atlas_store)
    for name in atlas.tables():
        path = out_dir / f"{name}.{fmt}"
        back = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
        assert len(back) == len(atlas.table(name)), name
    ports = pd.read_parquet(out_dir / "ports.parquet") if fmt == "parquet" else pd.read_csv(
        out_dir / "ports.csv", dtype={"port_code": str})
    assert set(ports["port_code"]) == set(atlas.table("ports")["port_code"])


def test_cli_export_bad_format_and_missing_store(tmp_path, capsys):
    code, _, err = run_cli(["atlas", "export", "--format", "xml", "--out", str(tmp_path)],
                           capsys)
    assert code == 2 and err.startswith("error: --format 'xml'")
    code, _, err = run_cli(["atlas", "export", "--out", str(tmp_path / "o"), "--store",
                            str(tmp_path / "missing.duckdb")], capsys)
    assert code == 2 and "no atlas store at" in err and len(err.strip().splitlines()) == 1
