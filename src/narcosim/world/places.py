"""Places of the supply network: hubs, land ports, CBP field offices, Mexican regions.

Each builder takes an atlas table (a :class:`pandas.DataFrame` laid out as the
atlas contract says) and returns immutable records in a fixed order, validating
what the world relies on and naming the table, row and column when it fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from narcosim.errors import DataValidationError
from narcosim.world.geo import distance_matrix_km

# The seven US distribution hubs named in the project seed and DESIGN.md section 3, in that
# order. Coordinates and populations come from the atlas `hubs` table (GeoNames).
HUB_NAMES: tuple[str, ...] = (
    "Los Angeles", "Phoenix", "Houston", "Chicago", "Atlanta", "Miami", "New York",
)

# The four CBP Office of Field Operations field offices on the southwest border, which hold
# all 28 US–Mexico land ports (CBP "Drug Seizure Statistics", Area of Responsibility names).
SOUTHWEST_FIELD_OFFICES: tuple[str, ...] = (
    "SAN DIEGO FIELD OFFICE", "TUCSON FIELD OFFICE", "EL PASO FIELD OFFICE", "LAREDO FIELD OFFICE",
)

# Mexican production regions: (key, region, city, GeoNames admin1 code). Source: DEA National
# Drug Threat Assessment 2024 — the Sinaloa Cartel (home state Sinaloa, capital Culiacán) and
# CJNG (Jalisco, capital Guadalajara) run the fentanyl and methamphetamine production that
# supplies the US. Each region is placed at its capital city (a simplification, not a survey
# of lab sites). Admin1 codes are GeoNames' own (PROVENANCE.md: Sinaloa=25, Jalisco=14).
PRODUCTION_REGIONS: tuple[tuple[str, str, str, str], ...] = (
    ("sinaloa", "Sinaloa", "Culiacán", "25"),
    ("jalisco", "Jalisco", "Guadalajara", "14"),
)

# GUESS: a Mexican city (GeoNames, population ≥ 50,000) is the staging city "opposite" a US
# port when it lies within 25 km of the port. The farthest true twin in the data is Santa
# Teresa–Ciudad Juárez at 21.8 km; the nearest non-twin is Andrade–San Luis Río Colorado at
# 29.5 km (Andrade faces Los Algodones, which is below the 50k cut).
STAGING_RADIUS_KM = 25.0


@dataclass(frozen=True)
class Hub:
    """A US distribution hub city.

    Attributes:
        name: Hub name as in the seed ("New York", not "New York City").
        state_abbr: Postal code of the hub's state.
        latitude: Degrees north (GeoNames).
        longitude: Degrees east (GeoNames).
        population: GeoNames city population (not a Census figure).
    """

    name: str
    state_abbr: str
    latitude: float
    longitude: float
    population: int


@dataclass(frozen=True)
class Port:
    """A US–Mexico land port of entry.

    Attributes:
        code: CBP port code (e.g. "2504" San Ysidro).
        name: Port name as BTS writes it.
        state_abbr: Postal code of the port's state.
        latitude: Degrees north (BTS point).
        longitude: Degrees east (BTS point).
        field_office: CBP field office, as written in the seizure data's area column.
    """

    code: str
    name: str
    state_abbr: str
    latitude: float
    longitude: float
    field_office: str


@dataclass(frozen=True)
class MexicanRegion:
    """A Mexican production region or border staging city.

    Attributes:
        key: Stable lower-case identifier ("sinaloa", "tijuana").
        name: Region name ("Sinaloa") or, for staging cities, the city name.
        city: The GeoNames city that places it.
        admin1: GeoNames admin1 code of the Mexican state.
        role: "production" for production regions, "staging" for border cities.
        latitude: Degrees north.
        longitude: Degrees east.
        population: GeoNames city population.
        ports: For staging cities, the codes of the ports they face; empty for production.
    """

    key: str
    name: str
    city: str
    admin1: str
    role: str
    latitude: float
    longitude: float
    population: int
    ports: tuple[str, ...] = ()


def _require(table: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataValidationError(f"atlas table {name!r}: missing column(s) {missing}")


def _finite(value: object, table: str, row: int, column: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number):
        raise DataValidationError(f"atlas table {table!r} row {row} column {column!r}: "
                                  f"not a number: {value!r}")
    return number


def _key(name: str) -> str:
    ascii_name = name.lower().translate(str.maketrans("áéíóúñü", "aeiounu"))
    return "_".join("".join(ch if ch.isalnum() else " " for ch in ascii_name).split())


def build_hubs(hubs: pd.DataFrame) -> tuple[Hub, ...]:
    """Build the seven hubs from the atlas ``hubs`` table, in :data:`HUB_NAMES` order.

    Args:
        hubs: Columns hub, state_abbr, latitude, longitude, population.

    Returns:
        The hubs in seed order.

    Raises:
        DataValidationError: A hub is missing or a coordinate is not a number.
    """
    _require(hubs, "hubs", ("hub", "state_abbr", "latitude", "longitude", "population"))
    by_name = {str(h): i for i, h in enumerate(hubs["hub"])}
    out = []
    for name in HUB_NAMES:
        if name not in by_name:
            raise DataValidationError(f"atlas table 'hubs' column 'hub': no row for {name!r}")
        i = by_name[name]
        row = hubs.iloc[i]
        out.append(Hub(
            name=name,
            state_abbr=str(row["state_abbr"]),
            latitude=_finite(row["latitude"], "hubs", i, "latitude"),
            longitude=_finite(row["longitude"], "hubs", i, "longitude"),
            population=int(_finite(row["population"], "hubs", i, "population")),
        ))
    return tuple(out)


def build_ports(ports: pd.DataFrame) -> tuple[Port, ...]:
    """Build the land ports from the atlas ``ports`` table, ordered by field office then code.

    Args:
        ports: Columns port_code, port_name, state_abbr, latitude, longitude, field_office.

    Returns:
        The ports, grouped by field office in :data:`SOUTHWEST_FIELD_OFFICES` order.

    Raises:
        DataValidationError: A column is missing, a port has no field office, or a code repeats.
    """
    cols = ("port_code", "port_name", "state_abbr", "latitude", "longitude", "field_office")
    _require(ports, "ports", cols)
    out = []
    seen: set[str] = set()
    for i, row in enumerate(ports.itertuples(index=False)):
        code = str(row.port_code)
        office = row.field_office
        if not isinstance(office, str) or not office.strip():
            raise DataValidationError(
                f"atlas table 'ports' row {i} column 'field_office': port {code} has none")
        if code in seen:
            raise DataValidationError(f"atlas table 'ports' row {i} column 'port_code': "
                                      f"duplicate {code}")
        seen.add(code)
        out.append(Port(
            code=code,
            name=str(row.port_name),
            state_abbr=str(row.state_abbr),
            latitude=_finite(row.latitude, "ports", i, "latitude"),
            longitude=_finite(row.longitude, "ports", i, "longitude"),
            field_office=office.strip(),
        ))
    order = {office: k for k, office in enumerate(SOUTHWEST_FIELD_OFFICES)}
    out.sort(key=lambda p: (order.get(p.field_office, len(order)), p.field_office, p.code))
    return tuple(out)


def build_mexican_regions(
    cities: pd.DataFrame, ports: tuple[Port, ...], radius_km: float = STAGING_RADIUS_KM
) -> tuple[MexicanRegion, ...]:
    """Build production regions and the border staging cities opposite the ports.

    Args:
        cities: The atlas ``cities`` table (geonameid, name, country, admin1, latitude,
            longitude, population).
        ports: The ports, to find the Mexican city facing each.
        radius_km: A Mexican city within this great-circle distance of a port faces it.

    Returns:
        Production regions (in :data:`PRODUCTION_REGIONS` order), then staging cities from
        west to east.

    Raises:
        DataValidationError: A production city is missing from the cities table.
    """
    _require(cities, "cities", ("name", "country", "admin1", "latitude", "longitude",
                                "population"))
    mx = cities[cities["country"].astype(str) == "MX"]
    if "geonameid" in mx.columns:
        mx = mx.drop_duplicates("geonameid")
    mx = mx.reset_index(drop=True)
    out: list[MexicanRegion] = []
    for key, region, city, admin1 in PRODUCTION_REGIONS:
        hit = mx[(mx["name"] == city) & (mx["admin1"].astype(str).str.zfill(2) == admin1)]
        if hit.empty:
            raise DataValidationError(
                f"atlas table 'cities': no Mexican city {city!r} (admin1 {admin1}) for {region}")
        row = hit.iloc[0]
        out.append(MexicanRegion(key, region, city, admin1, "production",
                                 float(row["latitude"]), float(row["longitude"]),
                                 int(row["population"])))
    if ports and not mx.empty:
        dist = distance_matrix_km([p.latitude for p in ports], [p.longitude for p in ports],
                                  mx["latitude"].to_numpy(float), mx["longitude"].to_numpy(float))
        nearest = dist.argmin(axis=1)
        facing: dict[int, list[str]] = {}
        for p_idx, c_idx in enumerate(nearest):
            if dist[p_idx, c_idx] <= radius_km:
                facing.setdefault(int(c_idx), []).append(ports[p_idx].code)
        for c_idx in sorted(facing, key=lambda j: float(mx["longitude"].iloc[j])):
            row = mx.iloc[c_idx]
            name = str(row["name"])
            out.append(MexicanRegion(_key(name), name, name, str(row["admin1"]).zfill(2),
                                     "staging", float(row["latitude"]), float(row["longitude"]),
                                     int(row["population"]), tuple(sorted(facing[c_idx]))))
    return tuple(out)
