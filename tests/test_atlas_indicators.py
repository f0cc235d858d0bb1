"""Indicator loaders (NFLIS, NSDUH, dispensing, TEDS-A) against the files read with csv."""

import csv
from collections import defaultdict
from pathlib import Path

import pytest

from narcosim.atlas.indicators import (
    BUPRENORPHINE_FILE,
    NALOXONE_FILE,
    NSDUH_FILE,
    TEDS_FILE,
    load_buprenorphine_dispensing,
    load_naloxone_dispensing,
    load_nsduh_oud,
    load_teds_admissions,
)
from narcosim.atlas.nflis import NFLIS_FILE, load_nflis_reports
from narcosim.atlas.query import death_years, nflis_reports, nflis_years
from narcosim.atlas.store import Atlas
from narcosim.errors import StoreError

FENTANYL_CATEGORY = "Fentanyl and Fentanyl-related"
OUTSIDE = {"PR", "GU", "VI", "AS", "MP", "XX"}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def raw(data_dir):
    return rows(data_dir / NFLIS_FILE)


@pytest.fixture(scope="module")
def nflis(data_dir):
    return load_nflis_reports(data_dir)


def reports(frame, year: int, state: str, drug: str) -> float:
    sel = frame[(frame["year"] == year) & (frame["state_abbr"] == state)
                & (frame["drug"] == drug)]
    assert len(sel) == 1, (year, state, drug)
    return float(sel["reports"].iloc[0])


def national(frame, year: int, drug: str) -> float:
    return float(frame[(frame["year"] == year) & (frame["drug"] == drug)]["reports"].sum())


def raw_sum(raw, year: int, keep=lambda r: True, states=None) -> int:
    return sum(int(r["ReportCount"]) for r in raw if int(r["Year"]) == year and keep(r)
               and (states is None or r["State"] in states))


def test_nflis_national_checks_from_provenance(nflis, raw):
    def fen(r):
        return r["DrugCategory"] == FENTANYL_CATEGORY

    # PROVENANCE.md sums over every row of the file, territories and unknown state included
    assert raw_sum(raw, 2015, fen) == 17_627
    assert raw_sum(raw, 2015, lambda r: r["BaseCode"] == "1504") == 15_293
    assert raw_sum(raw, 2015, lambda r: r["BaseDescription"] == "Methamphetamine") == 279_528
    outside_fen = raw_sum(raw, 2015, fen, OUTSIDE)
    outside_1504 = raw_sum(raw, 2015, lambda r: r["BaseCode"] == "1504", OUTSIDE)
    outside_meth = raw_sum(raw, 2015, lambda r: r["BaseDescription"] == "Methamphetamine",
                           OUTSIDE)
    # the table keeps the 50 states and DC; the rest is left out, not folded in
    assert national(nflis, 2015, "fentanyl") == 17_627 - outside_fen
    assert national(nflis, 2015, "fentanyl_only") == 15_293 - outside_1504
    assert national(nflis, 2015, "methamphetamine") == 279_528 - outside_meth
    assert set(nflis["state_abbr"]) & OUTSIDE == set()
    assert nflis["state_abbr"].nunique() == 51


def test_nflis_every_value_equals_the_csv_sums(nflis, raw, data_dir):
    states = {r["state_abbr"] for r in rows(data_dir / "state_reference.csv")}
    expected: dict[tuple[int, str, str], int] = defaultdict(int)
    reported = set()
    for r in raw:
        if r["State"] not in states:
            continue
        year, state = int(r["Year"]), r["State"]
        reported.add((year, state))
        if r["BaseDescription"] == "Methamphetamine":
            drug = "methamphetamine"
        elif r["BaseDescription"] == "Xylazine":
            drug = "xylazine"
        else:
            drug = {FENTANYL_CATEGORY: "fentanyl", "Heroin": "heroin",
                    "Cocaine Alkaloids": "cocaine",
                    "Phenethylamines (Amphetamines) (S)": "other_phenethylamines",
                    "Narcotic Analgesics": "narcotic_analgesics",
                    "Narcotics": "other_narcotics",
                    "Cannabinoids": "cannabinoids"}[r["DrugCategory"]]
        expected[(year, state, drug)] += int(r["ReportCount"])
        if r["BaseCode"] == "1504":
            expected[(year, state, "fentanyl_only")] += int(r["ReportCount"])
    got = {(int(y), s, d): v for y, s, d, v in
           nflis[["year", "state_abbr", "drug", "reports"]].itertuples(index=False)}
    drugs = {d for _, _, d in expected}
    assert set(got) == {(y, s, d) for y, s in reported for d in drugs}
    for key, value in got.items():
        assert value == expected.get(key, 0), key  # absent rows of a reporting state: 0
    assert nflis["reports"].dtype == "float64" and nflis["year"].dtype == "int64"


def test_nflis_a_few_state_values(nflis):
    # spot values read straight from the file's rows (grep the CSV to check)
    assert reports(nflis, 2015, "AK", "heroin") == 453
    assert reports(nflis, 2015, "AK", "methamphetamine") == 633
    assert reports(nflis, 2015, "AK", "cannabinoids") == 214
    assert reports(nflis, 2015, "AK", "cocaine") >= 133  # 'Cocaine' plus other alkaloids
    assert nflis[nflis["drug"] == "xylazine"]["reports"].eq(0).any()


def test_nflis_years_follow_the_file(nflis, raw):
    assert sorted(nflis["year"].unique()) == sorted({int(r["Year"]) for r in raw})
    assert nflis["year"].max() == 2024


def test_nsduh_oud_matches_csv(data_dir):
    table = load_nsduh_oud(data_dir).set_index("state_abbr")
    abbr = {r["state_name"]: r["state_abbr"] for r in rows(data_dir / "state_reference.csv")}
    source = rows(data_dir / NSDUH_FILE)
    assert len(table) == len(source) == 51
    for r in source:
        got = table.loc[abbr[r["state"]]]
        assert got["year_pair"] == "2022-23"
        assert (got["first_year"], got["last_year"]) == (2022, 2023)
        for col in ("estimate", "ci_lower", "ci_upper"):
            assert got[col] == float(r[col])
    assert table["estimate"].between(0, 0.1).all()  # proportions, not percentages


@pytest.mark.parametrize(("loader", "filename", "column"), [
    (load_naloxone_dispensing, NALOXONE_FILE, "naloxone_dispensing_rate"),
    (load_buprenorphine_dispensing, BUPRENORPHINE_FILE, "buprenorphine_dispensing_rate"),
])
def test_dispensing_rates_match_csv(loader, filename, column, data_dir):
    table = loader(data_dir)
    source = rows(data_dir / filename)
    assert list(table.columns) == ["year", "state_abbr", "rate"]
    assert len(table) == len(source) == 255
    got = {(int(y), s): v for y, s, v in table.itertuples(index=False)}
    for r in source:
        assert got[(int(r["YEAR"]), r["STATE_ABBREV"])] == float(r[column])


def test_teds_admissions_match_csv(data_dir):
    table = load_teds_admissions(data_dir)
    fips = {r["state_fips"]: r["state_abbr"] for r in rows(data_dir / "state_reference.csv")}
    source = [r for r in rows(data_dir / TEDS_FILE) if r["STFIPS"] != "72"]
    assert len(table) == len(source) == 249  # 254 rows less Puerto Rico's 5
    got = table.set_index(["state_abbr", "year"])
    for r in source:
        row = got.loc[(fips[r["STFIPS"].zfill(2)], int(r["ADMYR"]))]
        assert row["heroin"] == int(r["AdmHer"])
        assert row["other_opiates"] == int(r["AdmOpi"])
        assert row["non_marijuana"] == int(r["AdmNMJ"])
    assert "OR" not in set(table["state_abbr"])
    assert ("WA", 2019) not in got.index


def test_store_queries(atlas_store):
    atlas = Atlas.open(atlas_store)
    assert death_years(atlas) == tuple(range(2015, 2024))
    assert nflis_years(atlas) == tuple(range(2015, 2025))
    grid = nflis_reports(atlas, "fentanyl")
    assert grid.index.tolist() == list(range(2015, 2025)) and grid.shape[1] == 51
    assert grid.loc[2015].sum() == national(atlas.table("nflis_reports"), 2015, "fentanyl")
    with pytest.raises(StoreError, match=r"no NFLIS drug 'fentanil'.*fentanyl"):
        nflis_reports(atlas, "fentanil")
