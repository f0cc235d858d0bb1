"""Resident population by state and year, 2015-2024.

Sources, per year:
* 2015: the ``Population`` column of NCHS *Drug Poisoning Mortality by State*
  (data.cdc.gov jx6g-fdh6; NCHS bridged-race estimates), ``source='nchs'``.
* 2020-2024: Census Vintage 2024 ``NST-EST2024-ALLDATA`` July-1 estimates
  ``POPESTIMATE2020``-``POPESTIMATE2024`` (state rows ``SUMLEV=040`` and the US row
  ``SUMLEV=010``; Puerto Rico dropped), ``source='census'``.
* 2016-2019: linear interpolation between the 2015 and 2020 values, rounded to
  whole persons, ``source='interpolated'``, ``interpolated=True``. (A modelling
  choice, not an official estimate: Vintage 2024 does not cover the 2010s.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from narcosim.atlas.deaths import load_nchs_deaths
from narcosim.atlas.reader import duplicates, known, numbers, read_csv
from narcosim.atlas.states import load_states
from narcosim.errors import DataValidationError

CENSUS_FILE = "census_nst_est2024_alldata.csv"
CENSUS_YEARS = (2020, 2021, 2022, 2023, 2024)
NCHS_YEAR = 2015
INTERPOLATED_YEARS = (2016, 2017, 2018, 2019)
_SUMLEV_STATE, _SUMLEV_NATION = "040", "010"
_PUERTO_RICO_FIPS = "72"


def load_census_population(source: Path) -> pd.DataFrame:
    """Load Census NST-EST2024 July-1 estimates 2020-2024 for the states, DC and US.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``state_abbr, year, population`` (int).

    Raises:
        DataValidationError: Missing column, unknown state FIPS, bad count, or a
            state missing from the file.
    """
    pop_cols = [f"POPESTIMATE{y}" for y in CENSUS_YEARS]
    frame = read_csv(Path(source) / CENSUS_FILE, ["SUMLEV", "STATE", "NAME", *pop_cols])
    states = load_states(source)
    duplicates(frame, frame[["SUMLEV", "STATE", "NAME"]].apply(lambda c: c.str.strip()),
               "NAME", "SUMLEV, STATE and NAME")
    sumlev = frame["SUMLEV"].astype(str).str.strip()
    fips = frame["STATE"].astype(str).str.strip().str.zfill(2)
    keep = (sumlev == _SUMLEV_NATION) | ((sumlev == _SUMLEV_STATE) & (fips != _PUERTO_RICO_FIPS))
    rows = frame[keep]
    fips = fips[keep]
    is_state = sumlev[keep] == _SUMLEV_STATE
    state_rows = rows[is_state].assign(STATE=fips[is_state])
    known(state_rows, "STATE", states["state_fips"], "state FIPS code")
    codes = fips.map(dict(zip(states["state_fips"], states["state_abbr"], strict=True)))
    codes[~is_state] = "US"
    missing = sorted(set(states["state_abbr"]) - set(codes))
    if missing or (codes == "US").sum() != 1:
        what = f"state {missing[0]}" if missing else "exactly one United States row (SUMLEV=010)"
        raise DataValidationError(f"{CENSUS_FILE}: missing {what}")
    parts = []
    for year, col in zip(CENSUS_YEARS, pop_cols, strict=True):
        values = numbers(rows, col, integer=True, minimum=1, what="population")
        parts.append(pd.DataFrame({"state_abbr": codes.to_numpy(), "year": year,
                                   "population": values.to_numpy().astype("int64")}))
    return pd.concat(parts, ignore_index=True)


def load_population(source: Path) -> pd.DataFrame:
    """Load population by state and year 2015-2024 (see module docstring for sources).

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``state_abbr`` (50 states, 'DC', 'US'), ``year`` (2015-2024),
        ``population`` (int), ``source`` ('nchs' | 'interpolated' | 'census'),
        ``interpolated`` (bool); 520 rows.
    """
    census = load_census_population(source).assign(source="census")
    nchs = load_nchs_deaths(source)
    base = nchs[nchs["year"] == NCHS_YEAR][["state_abbr", "year", "population"]]
    missing = sorted(set(census["state_abbr"]) - set(base["state_abbr"]))
    if missing:
        raise DataValidationError(
            f"nchs_drug_poisoning_mortality_by_state_1999_2015.csv: no {NCHS_YEAR} row "
            f"for state {missing[0]}")
    base = base.assign(source="nchs")
    start = base.set_index("state_abbr")["population"].astype("float64")
    end = census[census["year"] == CENSUS_YEARS[0]].set_index("state_abbr")["population"]
    end = end.reindex(start.index).astype("float64")
    span = CENSUS_YEARS[0] - NCHS_YEAR
    parts = [base, census]
    for year in INTERPOLATED_YEARS:
        frac = (year - NCHS_YEAR) / span
        values = np.rint(start + (end - start) * frac).astype("int64")
        parts.append(pd.DataFrame({"state_abbr": start.index, "year": year,
                                   "population": values.to_numpy(), "source": "interpolated"}))
    out = pd.concat(parts, ignore_index=True)
    out["population"] = out["population"].astype("int64")
    out["interpolated"] = out["source"] == "interpolated"
    return out.sort_values(["state_abbr", "year"]).reset_index(drop=True)
