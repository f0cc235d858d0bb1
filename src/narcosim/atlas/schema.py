"""Declared shape of every atlas table: column types and bounds, key, expected grid.

The loaders parse files cell by cell (:mod:`narcosim.atlas.reader`) and name the
row and column of a bad cell. This module states what each *table* must look like
once loaded, and :func:`check_table` holds every table to it before anything is
written to the store:

* each column's kind (int, float, str, bool, date), its finite bounds and whether
  blanks (NaN) are allowed; an integer column can never hold a value that does not
  fit in int64, a float column never ``inf``;
* the key: no two rows share it (a duplicated row is refused);
* the grid: every combination of the grid's dimensions is present (every state
  for every year, every month between the first and the last), so a file cut at a
  row boundary is refused even though each remaining row is valid;
* allowed values and row counts where the data fixes them.

Bounds that are not physical limits are guesses, marked ``guess:``, set an order
of magnitude or more beyond the largest real figure so that only corrupt values
(``1e308``, a sign flip) are refused.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from narcosim.errors import DataValidationError

#: The 50 states and DC: FIPS 5-2 code -> USPS code (Census FIPS state codes).
STATE_FIPS: dict[str, str] = {
    "01": "AL", "02": "AK", "04": "AZ", "05": "AR", "06": "CA", "08": "CO", "09": "CT",
    "10": "DE", "11": "DC", "12": "FL", "13": "GA", "15": "HI", "16": "ID", "17": "IL",
    "18": "IN", "19": "IA", "20": "KS", "21": "KY", "22": "LA", "23": "ME", "24": "MD",
    "25": "MA", "26": "MI", "27": "MN", "28": "MS", "29": "MO", "30": "MT", "31": "NE",
    "32": "NV", "33": "NH", "34": "NJ", "35": "NM", "36": "NY", "37": "NC", "38": "ND",
    "39": "OH", "40": "OK", "41": "OR", "42": "PA", "44": "RI", "45": "SC", "46": "SD",
    "47": "TN", "48": "TX", "49": "UT", "50": "VT", "51": "VA", "53": "WA", "54": "WV",
    "55": "WI", "56": "WY",
}
STATES = tuple(STATE_FIPS.values())
STATES_US = (*STATES, "US")
#: Largest whole number a float64 holds exactly; integer columns stay below it.
MAX_EXACT_INT = 2**53

#: CBP areas of responsibility as the seizure files write them: the 20 OFO field
#: offices plus Preclearance, and the 20 USBP sectors (cbp.gov, "Field Offices" and
#: "Border Patrol Sectors").
CBP_FIELD_OFFICES = frozenset(f"{name} FIELD OFFICE" for name in (
    "ATLANTA", "BALTIMORE", "BOSTON", "BUFFALO", "CHICAGO", "DETROIT", "EL PASO", "HOUSTON",
    "LAREDO", "LOS ANGELES", "MIAMI", "NEW ORLEANS", "NEW YORK", "PORTLAND", "PRECLEARANCE",
    "SAN DIEGO", "SAN FRANCISCO", "SAN JUAN", "SEATTLE", "TAMPA", "TUCSON"))
USBP_SECTORS = frozenset(f"{name} SECTOR" for name in (
    "BIG BEND", "DEL RIO", "EL CENTRO", "EL PASO", "LAREDO", "RIO GRANDE VALLEY", "SAN DIEGO",
    "TUCSON", "YUMA", "BLAINE", "BUFFALO", "DETROIT", "GRAND FORKS", "HAVRE", "HOULTON",
    "SPOKANE", "SWANTON", "MIAMI", "NEW ORLEANS", "RAMEY"))


@dataclass(frozen=True)
class Col:
    """One column's declared type and bounds.

    Attributes:
        kind: ``int``, ``float``, ``str``, ``bool`` or ``date``.
        low: Smallest allowed value (numbers), inclusive.
        high: Largest allowed value (numbers), inclusive.
        nullable: NaN allowed (values a publisher withheld).
        allowed: The only values allowed (strings).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    nullable: bool = False
    allowed: frozenset[str] | None = None


@dataclass(frozen=True)
class Grid:
    """Combinations that must all be present.

    Attributes:
        dims: Columns whose cross product is expected. A ``year`` dimension spans
            every year from the table's first to its last; ``year`` with ``month``
            spans every month from the first to the last; other dimensions span
            ``domains[dim]`` when given, else the values seen.
        domains: Declared values of a dimension.
        exempt: Values of the first dimension allowed to be absent for every
            other combination except those listed in ``exempt_unless``.
        exempt_unless: Values of the last dimension that even exempt rows must have.
        holes: Single combinations allowed to be absent.
    """

    dims: tuple[str, ...]
    domains: Mapping[str, tuple[object, ...]] = field(default_factory=dict)
    exempt: frozenset[str] = frozenset()
    exempt_unless: frozenset[str] = frozenset()
    holes: frozenset[tuple[object, ...]] = frozenset()


@dataclass(frozen=True)
class Table:
    """One atlas table's declaration.

    Attributes:
        file: The data file named in messages.
        columns: Column name -> declaration (every column of the table).
        key: Columns that identify a row.
        grid: Expected grid, if any.
        rows: Exact number of rows, if fixed.
    """

    file: str
    columns: Mapping[str, Col]
    key: tuple[str, ...]
    grid: Grid | None = None
    rows: int | None = None


def _int(low: float, high: float) -> Col:
    return Col("int", low, high)


_STATE = Col("str", allowed=frozenset(STATES))
_STATE_US = Col("str", allowed=frozenset(STATES_US))
_YEAR = _int(1990, 2100)
_LAT, _LON = Col("float", -90, 90), Col("float", -180, 180)
# guess: 1e9 people per jurisdiction (US 2024: 3.4e8), range 3.4e8-1e10.
_POP = _int(1, 1e9)
# guess: ten times the US all-cause deaths of a year (3.5e6), range 3.5e6-1e8.
_DEATHS = 1e7
# guess: one hundred times the largest real count in each source, range x10-x1000.
_COUNT = _int(0, 1e8)
_DRUGS = ("all_causes", "all_drugs", "cocaine", "fentanyl", "heroin", "methadone",
          "methamphetamine", "natural_semisynthetic_opioids",
          "natural_semisynthetic_opioids_incl_methadone",
          "natural_semisynthetic_synthetic_opioids_incl_methadone", "opioids")
_EDGES = {"node": Col("str"), "rnode": Col("str"), "weight": _int(1, 1000)}

#: Every table's declaration, keyed like :data:`narcosim.atlas.catalog.LOADERS`.
TABLES: dict[str, Table] = {
    "states": Table("state_reference.csv", {
        "state_fips": Col("str", allowed=frozenset(STATE_FIPS)), "state_abbr": _STATE,
        "state_name": Col("str")}, ("state_abbr",), rows=51),
    "overdose_deaths": Table(
        "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv",
        {"year": _YEAR, "state_abbr": _STATE_US, "indicator": Col("str"),
         "drug": Col("str", allowed=frozenset(_DRUGS)),
         "deaths": Col("float", 0, _DEATHS, nullable=True)},
        ("state_abbr", "year", "drug"),
        # CDC gives Louisiana and Pennsylvania no drug-specific counts (PROVENANCE.md).
        Grid(("state_abbr", "year", "drug"), {"state_abbr": STATES_US, "drug": _DRUGS},
             exempt=frozenset({"LA", "PA"}),
             exempt_unless=frozenset({"all_causes", "all_drugs"}))),
    "fentanyl_monthly": Table(
        "cdc_vsrr_synthetic_opioids_T40.4_12mo_ending_monthly_2015_2023.csv",
        {"state_abbr": _STATE_US, "year": _YEAR, "month": _int(1, 12),
         "deaths": Col("float", 0, _DEATHS, nullable=True),
         "predicted": Col("float", 0, _DEATHS, nullable=True), "footnote_symbol": Col("str")},
        ("state_abbr", "year", "month"),
        # This copy lacks Louisiana and Pennsylvania (PROVENANCE.md).
        Grid(("state_abbr", "year", "month"), {"state_abbr": STATES_US},
             exempt=frozenset({"LA", "PA"}))),
    "nchs_deaths": Table(
        "nchs_drug_poisoning_mortality_by_state_1999_2015.csv",
        {"year": _int(1999, 2015), "state_abbr": _STATE_US, "deaths": _int(0, _DEATHS),
         "population": _POP, "crude_rate": Col("float", 0, 1e5),
         "age_adjusted_rate": Col("float", 0, 1e5)},
        ("state_abbr", "year"), Grid(("state_abbr", "year"), {"state_abbr": STATES_US})),
    "population": Table(
        "census_nst_est2024_alldata.csv",
        {"state_abbr": _STATE_US, "year": _YEAR, "population": _POP,
         "source": Col("str", allowed=frozenset({"nchs", "interpolated", "census"})),
         "interpolated": Col("bool")},
        ("state_abbr", "year"), Grid(("state_abbr", "year"), {"state_abbr": STATES_US})),
    "seizures": Table(
        "cbp_nationwide_drug_seizures_fy2019_fy2023.csv",
        {"fiscal_year": _int(2012, 2100), "month": _int(1, 12), "date": Col("date"),
         "component": Col("str", allowed=frozenset({"OFO", "USBP"})), "region": Col("str"),
         "land_filter": Col("str"),
         "area": Col("str", allowed=CBP_FIELD_OFFICES | USBP_SECTORS),
         "drug": Col("str"), "events": _COUNT,
         # guess: 1e7 lb in one month and area (largest real 7e4), range 1e6-1e9.
         "pounds": Col("float", 0, 1e7)},
        ("fiscal_year", "month", "component", "region", "land_filter", "area", "drug")),
    "ports": Table(
        "us_mexico_land_ports_bts.csv",
        {"port_code": Col("str"), "port_name": Col("str"),
         "state_abbr": Col("str", allowed=frozenset({"CA", "AZ", "NM", "TX"})),
         # The US-Mexico land border lies within 25.8-32.8 N and 117.2-97.1 W.
         "latitude": Col("float", 25.0, 33.5), "longitude": Col("float", -118.0, -96.5),
         "field_office": Col("str", allowed=CBP_FIELD_OFFICES)},
        ("port_code",), rows=28),
    "crossings": Table(
        "bts_border_crossing_entry_us_mexico_2020_2021.csv",
        {"port_code": Col("str"), "date": Col("date"), "measure": Col("str"),
         "value": _COUNT},
        # BTS itself lists Sasabe 2021-02 bus passengers twice (2175 and 0): the key
        # is the whole row, so a repeated row is refused and that conflict is kept.
        ("port_code", "date", "measure", "value")),
    "cities": Table(
        "cities_us_ge200k_mx_ge50k_geonames.csv",
        {"geonameid": _int(1, 1e9), "name": Col("str"),
         "country": Col("str", allowed=frozenset({"US", "MX"})), "admin1": Col("str"),
         # US and Mexican cities lie north of the equator and west of Greenwich.
         "latitude": Col("float", 14.0, 72.0), "longitude": Col("float", -180.0, -60.0),
         "population": _POP},
        ("geonameid",)),
    "hubs": Table(
        "cities_us_ge200k_mx_ge50k_geonames.csv",
        {"hub": Col("str"), "state_abbr": _STATE, "latitude": Col("float", 18.0, 72.0),
         "longitude": Col("float", -180.0, -60.0), "population": _POP},
        ("hub",), rows=7),
    "cartel_groups": Table(
        "BACRIM2020_Nodes.csv",
        {"node": Col("str"), "group": Col("str"), "state": Col("str"),
         "short_name": Col("str"), "alliance_degree": _int(0, 149),
         "alliance_strength": _int(0, 1e6), "rivalry_degree": _int(0, 149),
         "rivalry_strength": _int(0, 1e6), "strength": _int(0, 2e6), "rank": _int(1, 150)},
        ("node",), rows=150),
    "cartel_alliances": Table("BACRIM2020_Alliances.csv", _EDGES, ("node", "rnode")),
    "cartel_rivalries": Table("BACRIM2020_Rivals.csv", _EDGES, ("node", "rnode")),
    "cartel_trends": Table(
        "Trends2012_2021.csv",
        # guess: 1e6 a year (largest real: 122,556 arrests), range 1e5-1e7.
        {"year": _YEAR, "homicides": _int(0, 1e6), "missing_persons": _int(0, 1e6),
         "arrests": _int(0, 1e6)},
        ("year",), Grid(("year",))),
    "geometry": Table("TopoJSON files", {"name": Col("str"), "text": Col("str")},
                      ("name",), rows=3),
    "nflis_reports": Table(
        "nflis_drug_reports_by_state_year_substance_2015_2024_selected.csv",
        {"year": _YEAR, "state_abbr": _STATE, "drug": Col("str"), "reports": Col("float", 0, 1e8)},
        ("drug", "state_abbr", "year"),
        Grid(("state_abbr", "year", "drug"), {"state_abbr": STATES})),
    "nsduh_oud": Table(
        "nsduh_sae_opioid_use_disorder_past_year_by_state_2022_2023.csv",
        {"state_abbr": _STATE, "year_pair": Col("str"), "first_year": _YEAR,
         "last_year": _YEAR, "estimate": Col("float", 0, 1), "ci_lower": Col("float", 0, 1),
         "ci_upper": Col("float", 0, 1)},
        ("year_pair", "state_abbr"), Grid(("state_abbr", "year_pair"), {"state_abbr": STATES})),
    "naloxone_dispensing": Table(
        "cdc_naloxone_dispensing_rate_by_state_2019_2023.csv",
        # A rate per 100 persons: guess bound 1000 (largest real 2.5), range 100-1e4.
        {"year": _YEAR, "state_abbr": _STATE, "rate": Col("float", 0, 1000)},
        ("state_abbr", "year"), Grid(("state_abbr", "year"), {"state_abbr": STATES})),
    "buprenorphine_dispensing": Table(
        "cdc_buprenorphine_dispensing_rate_by_state_2019_2023.csv",
        {"year": _YEAR, "state_abbr": _STATE, "rate": Col("float", 0, 1000)},
        ("state_abbr", "year"), Grid(("state_abbr", "year"), {"state_abbr": STATES})),
    "teds_admissions": Table(
        "teds_a_admissions_by_state_year_primary_substance_2015_2019_thirdparty.csv",
        {"year": _YEAR, "state_abbr": _STATE,
         **{name: _COUNT for name in ("alcohol", "cocaine", "marijuana", "heroin",
                                      "other_opiates", "benzodiazepines", "non_marijuana")}},
        ("state_abbr", "year")),
}


def _fail(table: str, spec: Table, message: str) -> DataValidationError:
    return DataValidationError(" ".join(f"{spec.file} (table {table}): {message}".split()))


def _plain(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def _where(frame: pd.DataFrame, spec: Table, i: object) -> str:
    return ", ".join(f"{k}={_plain(frame.at[i, k])}" for k in spec.key if k in frame.columns)


def _check_column(table: str, spec: Table, frame: pd.DataFrame, name: str, col: Col) -> None:
    values = frame[name]
    if col.kind in ("int", "float"):
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            raise _fail(table, spec, f"column '{name}' is {values.dtype}, not numeric")
        x = values.to_numpy(dtype="float64")
        nan = np.isnan(x)
        if nan.any() and not col.nullable:
            i = values.index[int(nan.argmax())]
            raise _fail(table, spec, f"column '{name}' is blank at {_where(frame, spec, i)}")
        high = col.high if col.high is not None else math.inf
        if col.kind == "int":
            high = min(high, MAX_EXACT_INT)
        low = col.low if col.low is not None else -high
        bad = ~nan & ~((x >= low) & (x <= high))
        if bad.any():
            j = int(bad.argmax())
            raise _fail(table, spec, f"column '{name}' value {x[j]:g} outside {low:g} to "
                        f"{high:g} at {_where(frame, spec, values.index[j])}")
    elif col.kind == "str":
        text = values.astype(str)
        if col.allowed is not None:
            unknown = ~text.isin(col.allowed)
            if unknown.any():
                i = unknown.idxmax()
                raise _fail(table, spec, f"column '{name}' has unknown value {text[i]!r}")
    elif col.kind == "bool" and not pd.api.types.is_bool_dtype(values):
        raise _fail(table, spec, f"column '{name}' is {values.dtype}, not true/false")
    elif col.kind == "date" and not pd.api.types.is_datetime64_any_dtype(values):
        raise _fail(table, spec, f"column '{name}' is {values.dtype}, not a date")


def _domain(frame: pd.DataFrame, grid: Grid, dim: str) -> list[object]:
    if dim in grid.domains:
        return list(grid.domains[dim])
    seen = sorted(frame[dim].unique().tolist())
    if dim == "year" and seen:
        return list(range(int(seen[0]), int(seen[-1]) + 1))
    return seen


def _check_grid(table: str, spec: Table, frame: pd.DataFrame, grid: Grid) -> None:
    dims = list(grid.dims)
    view = frame[dims].copy()
    if "year" in dims and "month" in dims:  # every month from the first to the last
        view["period"] = view["year"].astype("int64") * 12 + view["month"].astype("int64") - 1
        dims = [d for d in dims if d not in ("year", "month")] + ["period"]
        view = view[dims]
    present = set(map(tuple, view.itertuples(index=False, name=None)))
    domains = [_domain(view, grid, d) if d != "period" else
               list(range(int(view["period"].min()), int(view["period"].max()) + 1))
               for d in dims]
    for combo in pd.MultiIndex.from_product(domains) if len(dims) > 1 else \
            [(v,) for v in domains[0]]:
        combo = tuple(combo)
        if combo in present or combo in grid.holes:
            continue
        if combo[0] in grid.exempt and combo[-1] not in grid.exempt_unless:
            continue
        shown = ", ".join(f"{d}={_show(d, v)}" for d, v in zip(dims, combo, strict=True))
        raise _fail(table, spec, f"incomplete: no row for {shown} (truncated file?); "
                    f"{len(frame)} rows")


def _show(dim: str, value: object) -> str:
    if dim == "period":
        year, month = divmod(int(value), 12)  # type: ignore[call-overload]
        return f"{year}-{month + 1:02d}"
    return _plain(value)


def check_table(table: str, frame: pd.DataFrame) -> None:
    """Hold one loaded table to its declaration.

    Args:
        table: A name from :data:`TABLES`.
        frame: The table as its loader returns it.

    Raises:
        DataValidationError: One line naming the file, the table and what is wrong:
            a missing or extra column, a value out of bounds, a blank, an unknown
            value, a duplicated key, a missing grid cell or a wrong row count.
    """
    spec = TABLES[table]
    if list(frame.columns) != list(spec.columns):
        extra = [c for c in frame.columns if c not in spec.columns]
        missing = [c for c in spec.columns if c not in frame.columns]
        raise _fail(table, spec, f"columns {list(frame.columns)} do not match the declared "
                    f"{list(spec.columns)} (missing {missing}, extra {extra})")
    if frame.empty:
        raise _fail(table, spec, "no rows")
    for name, col in spec.columns.items():
        _check_column(table, spec, frame, name, col)
    dup = frame.duplicated(list(spec.key))
    if dup.any():
        raise _fail(table, spec, f"duplicate row for {_where(frame, spec, dup.idxmax())}")
    if spec.rows is not None and len(frame) != spec.rows:
        raise _fail(table, spec, f"expected {spec.rows} rows, found {len(frame)}")
    if spec.grid is not None:
        _check_grid(table, spec, frame, spec.grid)
