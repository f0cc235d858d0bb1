"""The World built from the atlas, checked against the real files read independently."""

import csv
import dataclasses

import numpy as np
import pandas as pd
import pytest

from narcosim.atlas.store import Atlas
from narcosim.errors import DataValidationError, ParameterError
from narcosim.world import (
    HUB_NAMES,
    SOUTHWEST_FIELD_OFFICES,
    STAGING_RADIUS_KM,
    World,
    haversine_km,
)

TABLES = ("states", "population", "ports", "cities", "hubs")


@pytest.fixture(scope="module")
def atlas(atlas_store):
    return Atlas.open(atlas_store)


@pytest.fixture(scope="module")
def world(atlas):
    return World.from_atlas(atlas)


@pytest.fixture(scope="module")
def tables(atlas):
    out = {name: atlas.table(name) for name in TABLES}
    geometry = atlas.table("geometry")
    out["topojson"] = str(geometry.loc[geometry["name"] == "states_10m", "text"].iloc[0])
    return out


def _rows(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_51_jurisdictions_in_fips_order(world, data_dir):
    ref = sorted(_rows(data_dir / "state_reference.csv"), key=lambda r: r["state_fips"])
    assert world.states == tuple(r["state_abbr"] for r in ref)
    assert len(world.states) == 51 and "DC" in world.states
    assert world.state_index["AL"] == 0 and world.state_index["WY"] == 50
    assert world.state_names[world.state_index["DC"]] == "District of Columbia"


@pytest.mark.parametrize("year", [2020, 2022, 2024])
def test_census_populations_equal_the_census_file(world, data_dir, year):
    ref = {r["state_abbr"]: int(r[f"pop_{year}"])
           for r in _rows(data_dir / "state_reference.csv")}
    got = world.population_in(year)
    assert {s: int(got[world.state_index[s]]) for s in world.states} == ref


def test_2015_population_is_the_nchs_figure(world, data_dir):
    nchs = {}
    for r in _rows(data_dir / "nchs_drug_poisoning_mortality_by_state_1999_2015.csv"):
        if r["Year"] == "2015":
            nchs[r["State"]] = int(float(r["Population"]))
    got = world.population_in(2015)
    for j, name in enumerate(world.state_names):
        assert int(got[j]) == nchs[name], name


def test_years_after_2024_are_held_and_flagged(world):
    assert world.years == tuple(range(2015, 2027))
    held = dict(zip(world.years, world.population_held, strict=True))
    assert [y for y, h in held.items() if h] == [2025, 2026]
    np.testing.assert_array_equal(world.population_in(2026), world.population_in(2024))
    frame = world.population_frame()
    assert len(frame) == 12 * 51
    assert set(frame.loc[frame["held"], "source"]) == {"held:2024"}
    assert set(frame.loc[frame["year"] == 2017, "source"]) == {"interpolated"}


def test_population_is_read_only_and_world_is_frozen(world):
    with pytest.raises(ValueError, match="read-only"):
        world.population[0, 0] = 1
    with pytest.raises(ValueError, match="read-only"):
        world.hub_to_state_km[0, 0] = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        world.states = ()
    with pytest.raises(TypeError):
        world.state_index["XX"] = 1


def test_unknown_year_is_a_parameter_error(world):
    with pytest.raises(ParameterError, match="year 2030 outside 2015–2026"):
        world.population_in(2030)


def test_centroids_plausible(world):
    tx = world.state_index["TX"]
    assert abs(world.centroid_lat[tx] - 31.5) <= 1.5
    assert abs(world.centroid_lon[tx] + 99.3) <= 1.5
    ak, hi = world.state_index["AK"], world.state_index["HI"]
    assert 60 <= world.centroid_lat[ak] <= 67 and -160 <= world.centroid_lon[ak] <= -145
    assert 18.9 <= world.centroid_lat[hi] <= 22.2
    # Contiguous states and DC lie inside the lower-48 box.
    others = [j for j, s in enumerate(world.states) if s not in {"AK", "HI"}]
    assert np.all((world.centroid_lat[others] > 24.5) & (world.centroid_lat[others] < 49.5))
    assert np.all((world.centroid_lon[others] > -125) & (world.centroid_lon[others] < -66.9))


def test_ports_match_the_bts_file_and_field_offices(world, data_dir):
    raw = {r["port_code"]: r for r in _rows(data_dir / "us_mexico_land_ports_bts.csv")}
    assert {p.code for p in world.ports} == set(raw) and len(world.ports) == 28
    for p in world.ports:
        assert p.name == raw[p.code]["port_name"]
        assert p.latitude == pytest.approx(float(raw[p.code]["latitude"]))
    assert set(world.field_offices) == set(SOUTHWEST_FIELD_OFFICES)
    assert sum(len(world.ports_in(fo)) for fo in SOUTHWEST_FIELD_OFFICES) == 28
    states_of = {fo: {p.state_abbr for p in world.ports_in(fo)} for fo in world.field_offices}
    assert states_of == {"SAN DIEGO FIELD OFFICE": {"CA"}, "TUCSON FIELD OFFICE": {"AZ"},
                         "EL PASO FIELD OFFICE": {"NM", "TX"}, "LAREDO FIELD OFFICE": {"TX"}}


def test_field_offices_are_named_as_in_the_cbp_seizure_file(world, data_dir):
    areas = {r["Area of Responsibility"]
             for r in _rows(data_dir / "cbp_nationwide_drug_seizures_fy2019_fy2023.csv")}
    assert set(world.field_offices) <= areas


def test_unknown_field_office_is_a_parameter_error(world):
    with pytest.raises(ParameterError, match="unknown field office 'NOGALES'"):
        world.ports_in("NOGALES")


def test_hubs_have_geonames_coordinates(world, data_dir):
    cities = {(r["name"], r["countrycode"]): r
              for r in _rows(data_dir / "cities_us_ge200k_mx_ge50k_geonames.csv")}
    assert tuple(h.name for h in world.hubs) == HUB_NAMES
    expected_states = ["CA", "AZ", "TX", "IL", "GA", "FL", "NY"]
    assert [h.state_abbr for h in world.hubs] == expected_states
    for h in world.hubs:
        raw = cities[("New York City" if h.name == "New York" else h.name, "US")]
        assert h.latitude == pytest.approx(float(raw["latitude"]))
        assert h.longitude == pytest.approx(float(raw["longitude"]))


def test_mexican_regions(world, data_dir):
    regions = {r.key: r for r in world.mexican_regions}
    assert regions["sinaloa"].city == "Culiacán" and regions["sinaloa"].role == "production"
    assert regions["jalisco"].city == "Guadalajara"
    assert abs(regions["sinaloa"].latitude - 24.8) < 0.1
    staging = [r for r in world.mexican_regions if r.role == "staging"]
    names = {r.name for r in staging}
    for city in ("Tijuana", "Mexicali", "Nogales", "Ciudad Juárez", "Nuevo Laredo", "Reynosa",
                 "Heroica Matamoros"):
        assert city in names
    by_code = {p.code: p for p in world.ports}
    for r in staging:
        assert r.ports
        for code in r.ports:
            km = float(haversine_km(r.latitude, r.longitude, by_code[code].latitude,
                                    by_code[code].longitude))
            assert km <= STAGING_RADIUS_KM
    assert "2504" in regions["tijuana"].ports  # San Ysidro
    assert "2402" in regions["ciudad_juarez"].ports  # El Paso
    assert "2304" in regions["nuevo_laredo"].ports  # Laredo


def test_distance_matrices_align_with_places(world):
    assert world.port_to_hub_km.shape == (28, 7)
    assert world.hub_to_state_km.shape == (7, 51)
    assert world.production_to_port_km.shape == (len(world.mexican_regions), 28)
    # The nearest hub to the big crossings: San Ysidro -> LA, Nogales -> Phoenix,
    # El Paso -> Phoenix (about 560 km vs 1,080 km to Houston), Laredo -> Houston.
    expected = {"2504": "Los Angeles", "2604": "Phoenix", "2402": "Phoenix", "2304": "Houston"}
    nearest = {code: world.hubs[int(world.port_to_hub_km[world.port_index[code]].argmin())].name
               for code in expected}
    assert nearest == expected
    sy, la = world.port_index["2504"], world.hub_index["Los Angeles"]
    assert world.port_to_hub_km[sy, la] == pytest.approx(203, abs=10)
    la, ny = world.hub_index["Los Angeles"], world.hub_index["New York"]
    assert world.hub_to_hub_km[la, ny] == pytest.approx(3940, rel=0.02)
    for i, h in enumerate(world.hubs):
        assert world.hub_to_state_km[i, world.state_index[h.state_abbr]] < 700


def test_from_tables_reports_a_missing_population(tables):
    pop = tables["population"]
    broken = dict(tables, population=pop[~((pop["state_abbr"] == "WY") & (pop["year"] == 2022))])
    with pytest.raises(DataValidationError, match="no 2022 figure for state 'WY'"):
        World.from_tables(**broken)


def test_from_tables_reports_a_port_without_field_office(tables):
    ports = tables["ports"].copy()
    ports.loc[3, "field_office"] = None
    with pytest.raises(DataValidationError, match="'ports' row 3 column 'field_office'"):
        World.from_tables(**dict(tables, ports=ports))


def test_first_year_before_the_data_is_a_parameter_error(tables):
    with pytest.raises(ParameterError, match="first_year 2010 is before"):
        World.from_tables(**tables, first_year=2010)


def test_repr_is_readable(world):
    assert repr(world).startswith("World(51 jurisdictions, years 2015–2026, 7 hubs, 28 ports")
    assert isinstance(world.places_frame(), pd.DataFrame)
