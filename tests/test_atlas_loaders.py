"""Atlas loaders against the source files, read independently with the csv module."""

import csv
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narcosim.atlas.cartels import (
    CJNG_NODE,
    SINALOA_NODE,
    load_cartel_alliances,
    load_cartel_groups,
    load_cartel_rivalries,
)
from narcosim.atlas.deaths import load_fentanyl_monthly, load_nchs_deaths, load_overdose_deaths
from narcosim.atlas.geometry import GEOMETRY_FILES, load_geometry
from narcosim.atlas.places import load_cities, load_crossings, load_hubs, load_ports
from narcosim.atlas.population import load_population
from narcosim.atlas.seizures import load_seizures
from narcosim.atlas.states import load_states

VSRR = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
FENTANYL = "Synthetic opioids, excl. methadone (T40.4)"
ALL_DRUGS = "Number of Drug Overdose Deaths"


def rows(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(newline="", encoding=encoding) as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def deaths(data_dir):
    return load_overdose_deaths(data_dir)


@pytest.fixture(scope="module")
def vsrr(data_dir):
    """(year, state name, indicator) -> float or None, straight from the CSV."""
    out = {}
    for r in rows(data_dir / VSRR):
        v = r["Total Deaths"].strip()
        out[(int(r["Year"]), r["State Name"], r["Indicator"])] = float(v) if v else None
    return out


@pytest.fixture(scope="module")
def abbr(data_dir):
    return {r["state_name"]: r["state_abbr"] for r in rows(data_dir / "state_reference.csv")}


def value(frame, **keys):
    sel = frame
    for k, v in keys.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, keys
    return sel.iloc[0]


def test_states_are_50_plus_dc(data_dir):
    states = load_states(data_dir)
    assert len(states) == 51
    assert states["state_abbr"].is_unique and "DC" in set(states["state_abbr"])
    assert value(states, state_abbr="CA")["state_fips"] == "06"


def test_us_fentanyl_2022_equals_cdc(deaths, vsrr):
    expected = vsrr[(2022, "United States", FENTANYL)]
    got = value(deaths, year=2022, state_abbr="US", drug="fentanyl")["deaths"]
    assert got == expected
    assert 70_000 < got < 80_000  # ~73-75k fentanyl deaths in 2022 (CDC)


def test_every_state_value_matches_csv_with_new_york_merged(deaths, vsrr, abbr):
    code = {**abbr, "United States": "US"}
    loaded = {(y, s, i): d for y, s, i, d in
              deaths[["year", "state_abbr", "indicator", "deaths"]].itertuples(index=False)}
    checked = 0
    for (year, name, indicator), expected in vsrr.items():
        if name in ("Puerto Rico", "New York City") or indicator == "Percent with drugs specified":
            continue
        got = loaded[(year, code[name], indicator)]
        if name == "New York":
            nyc = vsrr[(year, "New York City", indicator)]
            expected = None if expected is None or nyc is None else expected + nyc
        if expected is None:
            assert math.isnan(got), (year, name, indicator)  # withheld stays missing, never 0
        else:
            assert got == expected, (year, name, indicator)
        checked += 1
    assert checked == len(deaths) == len(loaded)


def test_withheld_values_are_nan_not_zero(deaths, vsrr):
    blanks = sum(v is None for (y, n, i), v in vsrr.items()
                 if n not in ("Puerto Rico", "New York City", "New York")
                 and i != "Percent with drugs specified")
    nans = deaths[deaths["state_abbr"] != "NY"]["deaths"].isna().sum()
    assert blanks > 0 and nans == blanks
    zeros = sum(v == 0 for v in vsrr.values()) - sum(
        v == 0 for (y, n, i), v in vsrr.items() if n in ("Puerto Rico", "New York City")
        or i == "Percent with drugs specified")
    assert (deaths["deaths"] == 0).sum() <= zeros  # zeros only where CDC wrote 0


def test_states_sum_to_us_row_within_one_percent(deaths):
    alld = deaths[deaths["drug"] == "all_drugs"]
    states = alld[alld["state_abbr"] != "US"]
    assert states["state_abbr"].nunique() == 51
    for year in range(2015, 2024):
        total = states[states["year"] == year]["deaths"]
        assert total.notna().all()
        us = value(alld, year=year, state_abbr="US")["deaths"]
        assert abs(total.sum() / us - 1) < 0.01, year


def test_drug_keys(deaths):
    keys = dict(zip(deaths["indicator"], deaths["drug"], strict=False))
    assert keys[FENTANYL] == "fentanyl"
    assert keys["Psychostimulants with abuse potential (T43.6)"] == "methamphetamine"
    assert keys["Cocaine (T40.5)"] == "cocaine"
    assert keys["Heroin (T40.1)"] == "heroin"
    assert keys[ALL_DRUGS] == "all_drugs"
    assert deaths["drug"].notna().all()
    assert set(deaths["year"]) == set(range(2015, 2024))


def test_fentanyl_monthly_matches_csv(data_dir):
    monthly = load_fentanyl_monthly(data_dir)
    raw = rows(data_dir / "cdc_vsrr_synthetic_opioids_T40.4_12mo_ending_monthly_2015_2023.csv")
    tx = [r for r in raw if r["state"] == "TX" and r["year"] == "2021"]
    months = ["January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"]
    for r in tx:
        got = value(monthly, state_abbr="TX", year=2021, month=months.index(r["month"]) + 1)
        assert got["deaths"] == float(r["data_value"])
        assert got["predicted"] == float(r["predicted_value"])
    ny = {(r["state"], r["month"]): r for r in raw if r["year"] == "2023"}
    got = value(monthly, state_abbr="NY", year=2023, month=12)["deaths"]
    assert got == float(ny[("NY", "December")]["data_value"]) + float(
        ny[("YC", "December")]["data_value"])
    assert not {"PR", "YC", "LA", "PA"} & set(monthly["state_abbr"])
    assert monthly["month"].between(1, 12).all()


def test_nchs_deaths_match_csv(data_dir, abbr):
    nchs = load_nchs_deaths(data_dir)
    raw = rows(data_dir / "nchs_drug_poisoning_mortality_by_state_1999_2015.csv")
    assert len(nchs) == len(raw) == 884
    for r in raw[::37]:
        code = "US" if r["State"] == "United States" else abbr[r["State"]]
        got = value(nchs, year=int(r["Year"]), state_abbr=code)
        assert got["deaths"] == int(r["Deaths"])
        assert got["population"] == int(r["Population"])


def test_population_matches_census_2020_2024(data_dir, abbr):
    pop = load_population(data_dir)
    census = [r for r in rows(data_dir / "census_nst_est2024_alldata.csv")
              if r["SUMLEV"] in ("040", "010") and r["NAME"] != "Puerto Rico"]
    assert len(census) == 52
    for r in census:
        code = "US" if r["SUMLEV"] == "010" else abbr[r["NAME"]]
        for year in range(2020, 2025):
            got = value(pop, state_abbr=code, year=year)
            assert got["population"] == int(r[f"POPESTIMATE{year}"]), (code, year)
            assert got["source"] == "census" and not got["interpolated"]


def test_population_2015_from_nchs_and_interpolated_years_flagged(data_dir):
    pop = load_population(data_dir)
    nchs = load_nchs_deaths(data_dir)
    assert len(pop) == 52 * 10
    for code, group in pop.groupby("state_abbr"):
        g = group.set_index("year")
        assert g.loc[2015, "population"] == value(nchs, state_abbr=code, year=2015)["population"]
        assert list(g.index[g["interpolated"]]) == [2016, 2017, 2018, 2019]
        assert (g.loc[g["interpolated"], "source"] == "interpolated").all()
        lo, hi = sorted((g.loc[2015, "population"], g.loc[2020, "population"]))
        assert g.loc[2016:2019, "population"].between(lo, hi).all()
        steps = np.diff(g.loc[2015:2020, "population"].to_numpy())
        assert np.ptp(steps) <= 2  # straight line, up to rounding


def test_ports_all_mapped_to_field_offices_in_seizures(data_dir):
    ports = load_ports(data_dir)
    seizures = load_seizures(data_dir)
    raw = rows(data_dir / "us_mexico_land_ports_bts.csv")
    assert len(ports) == len(raw) == 28
    swb_ofo = set(seizures[(seizures["region"] == "Southwest Border")
                           & (seizures["component"] == "OFO")]["area"])
    assert set(ports["field_office"]) == swb_ofo  # every SW border field office, no other
    fo = dict(zip(ports["port_name"], ports["field_office"], strict=True))
    assert fo["San Ysidro"] == fo["Otay Mesa"] == fo["Calexico East"] == "SAN DIEGO FIELD OFFICE"
    assert fo["Nogales"] == fo["San Luis"] == "TUCSON FIELD OFFICE"
    assert fo["Columbus"] == fo["Santa Teresa"] == fo["Ysleta"] == "EL PASO FIELD OFFICE"
    assert fo["Laredo"] == fo["Brownsville"] == fo["Del Rio"] == "LAREDO FIELD OFFICE"
    for r in raw:
        got = value(ports, port_code=r["port_code"])
        assert got["latitude"] == float(r["latitude"])
        assert got["longitude"] == float(r["longitude"])
    arizona = ports[ports["state_abbr"] == "AZ"]
    assert (arizona["field_office"] == "TUCSON FIELD OFFICE").all() and len(arizona) == 6


def test_seizures_match_csv(data_dir):
    seizures = load_seizures(data_dir)
    raw = rows(data_dir / "cbp_nationwide_drug_seizures_fy2019_fy2023.csv")
    assert len(seizures) == len(raw)
    pounds = defaultdict(float)
    for r in raw:
        if r["Region"] == "Southwest Border" and r["Drug Type"] == "Fentanyl":
            pounds[int(r["FY"])] += float(r["Sum Qty (lbs)"])
    sel = seizures[(seizures["region"] == "Southwest Border") & (seizures["drug"] == "Fentanyl")]
    for fy, total in pounds.items():
        assert sel[sel["fiscal_year"] == fy]["pounds"].sum() == pytest.approx(total, rel=1e-12)
    october = seizures[(seizures["fiscal_year"] == 2023) & (seizures["month"] == 10)]
    assert (october["date"] == pd.Timestamp("2022-10-01")).all() and len(october) > 0
    assert set(seizures["component"]) == {"OFO", "USBP"}


def test_crossings_cities_hubs(data_dir):
    crossings = load_crossings(data_dir)
    raw = rows(data_dir / "bts_border_crossing_entry_us_mexico_2020_2021.csv")
    assert len(crossings) == len(raw) and crossings["value"].sum() == sum(
        int(r["Value"]) for r in raw)
    cities = load_cities(data_dir)
    assert len(cities) == 366 and set(cities["country"]) == {"US", "MX"}
    hubs = load_hubs(data_dir)
    assert list(hubs["hub"]) == ["Los Angeles", "Phoenix", "Houston", "Chicago", "Atlanta",
                                 "Miami", "New York"]
    nyc = next(r for r in rows(data_dir / "cities_us_ge200k_mx_ge50k_geonames.csv")
           if r["name"] == "New York City")
    got = value(hubs, hub="New York")
    assert (got["latitude"], got["population"]) == (float(nyc["latitude"]),
                                                     int(nyc["population"]))


def test_alliances_and_rivalries_symmetrised_with_max_weight(data_dir):
    for loader, name in ((load_cartel_alliances, "BACRIM2020_Alliances.csv"),
                         (load_cartel_rivalries, "BACRIM2020_Rivals.csv")):
        edges = loader(data_dir)
        raw = rows(data_dir / "cartels_mexico" / name, encoding="utf-8-sig")
        best = defaultdict(int)
        for r in raw:
            pair = frozenset((r["Node"], r["RNode"]))
            best[pair] = max(best[pair], int(r["weight"]))
        weights = {(a, b): w for a, b, w in edges.itertuples(index=False)}
        assert len(weights) == 2 * len(best)
        for (a, b), w in weights.items():
            assert weights[(b, a)] == w == best[frozenset((a, b))]


def test_cartel_groups_ranked_by_strength(data_dir):
    groups = load_cartel_groups(data_dir)
    raw = rows(data_dir / "cartels_mexico" / "BACRIM2020_Nodes.csv", encoding="utf-8-sig")
    assert len(groups) == len(raw) == 150
    assert list(groups["rank"]) == list(range(1, 151))
    assert groups["strength"].is_monotonic_decreasing
    top = set(groups.head(2)["node"])
    assert top == {CJNG_NODE, SINALOA_NODE}
    alliances = load_cartel_alliances(data_dir)
    cjng = value(groups, node=CJNG_NODE)
    assert cjng["alliance_strength"] == alliances[alliances["node"] == CJNG_NODE]["weight"].sum()
    assert "Cártel de Sinaloa" in set(groups["group"])  # BOM and accents decoded


def test_geometry_text_is_the_file(data_dir):
    geometry = load_geometry(data_dir)
    for name, filename in GEOMETRY_FILES.items():
        text = value(geometry, name=name)["text"]
        assert text == (data_dir / filename).read_text(encoding="utf-8")
        assert json.loads(text)["type"] == "Topology"
