"""Demand-side indicators that are not deaths: NSDUH OUD, dispensing rates, TEDS-A.

* ``nsduh_oud``: SAMHSA NSDUH small-area estimates of past-year opioid use
  disorder, age 12 or older, as proportions (0-1) with a 95% interval, for a pooled
  pair of years (e.g. '2022-23').
* ``naloxone_dispensing`` and ``buprenorphine_dispensing``: CDC state dispensing
  rate maps (IQVIA retail prescriptions), prescriptions dispensed per 100 persons.
  Buprenorphine here is dispensed prescriptions, not treatment capacity.
* ``teds_admissions``: SAMHSA TEDS-A admissions by primary substance, aggregated
  by a third party from the public-use file; Puerto Rico dropped. It has no
  methamphetamine column, lacks Oregon, and Washington has no 2019 row.

Files live in ``indicators/`` of the data folder (see PROVENANCE.md).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from narcosim.atlas.reader import (
    current_year,
    duplicates,
    fail_at,
    known,
    numbers,
    read_csv,
    years,
)
from narcosim.atlas.states import load_states, name_to_abbr

NSDUH_FILE = "indicators/nsduh_sae_opioid_use_disorder_past_year_by_state_2022_2023.csv"
NALOXONE_FILE = "indicators/cdc_naloxone_dispensing_rate_by_state_2019_2023.csv"
BUPRENORPHINE_FILE = "indicators/cdc_buprenorphine_dispensing_rate_by_state_2019_2023.csv"
TEDS_FILE = ("indicators/teds_a_admissions_by_state_year_primary_substance_2015_2019_"
             "thirdparty.csv")

NSDUH_OUTCOME = "Opioid Use Disorder in Past Year"
NSDUH_AGE_GROUP = "12 or Older"
#: First year of the NSDUH state estimates (1999-2000 pooled).
NSDUH_FIRST_YEAR = 1999
#: First year of CDC's dispensing-rate maps (opioids from 2006).
DISPENSING_FIRST_YEAR = 2006
#: First year of TEDS-A.
TEDS_FIRST_YEAR = 1992
#: TEDS column -> readable name (primary substance SUB1 code in brackets).
TEDS_COLUMNS: dict[str, str] = {
    "AdmAlc": "alcohol",            # 2
    "AdmCoc": "cocaine",            # 3, cocaine/crack
    "AdmMar": "marijuana",          # 4
    "AdmHer": "heroin",             # 5
    "AdmOpi": "other_opiates",      # 7, other opiates and synthetics
    "AdmBen": "benzodiazepines",    # 13
    "AdmNMJ": "non_marijuana",      # SUB1 != 4, incl. missing SUB1
}
_PUERTO_RICO_FIPS = "72"
_YEAR_PAIR = re.compile(r"^(\d{4})-(\d{2})$")


def load_nsduh_oud(source: Path) -> pd.DataFrame:
    """Load NSDUH past-year opioid use disorder by state (proportions, not percent).

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``state_abbr`` (50 states and DC), ``year_pair`` ('2022-23'),
        ``first_year, last_year`` (int), ``estimate, ci_lower, ci_upper`` (0-1).

    Raises:
        DataValidationError: Missing column, unknown state, outcome or age group,
            malformed or future year pair, proportion outside 0-1 or outside its
            interval, duplicate row.
    """
    cols = ["outcome", "age_group", "year_pair", "state", "estimate", "ci_lower", "ci_upper"]
    frame = read_csv(Path(source) / NSDUH_FILE, cols)
    known(frame, "outcome", [NSDUH_OUTCOME], "outcome")
    known(frame, "age_group", [NSDUH_AGE_GROUP], "age group")
    abbr = name_to_abbr(load_states(source))
    state = known(frame, "state", abbr, "state").map(abbr)
    pair = frame["year_pair"].astype(str).str.strip()
    first, last = [], []
    for i, label in pair.items():
        match = _YEAR_PAIR.match(label)
        start = int(match.group(1)) if match else 0
        if not match or int(match.group(2)) != (start + 1) % 100:
            raise fail_at(frame, i, "year_pair", f"bad year pair {label!r} (expected two "
                          "consecutive years such as '2022-23')")
        if not NSDUH_FIRST_YEAR <= start < current_year():
            raise fail_at(frame, i, "year_pair", f"out-of-range year pair {label!r} "
                          f"({NSDUH_FIRST_YEAR} to {current_year()})")
        first.append(start)
        last.append(start + 1)
    values = {c: numbers(frame, c, minimum=0.0, maximum=1.0, what="proportion")
              for c in ("estimate", "ci_lower", "ci_upper")}
    outside = (values["estimate"] < values["ci_lower"]) | (values["estimate"] > values["ci_upper"])
    if outside.any():
        i = outside.idxmax()
        raise fail_at(frame, i, "estimate", f"estimate {frame['estimate'][i]} outside its "
                      f"interval {frame['ci_lower'][i]}-{frame['ci_upper'][i]}")
    duplicates(frame, pd.DataFrame({"pair": pair, "state": state}), "state", "year-pair, state")
    out = pd.DataFrame({"state_abbr": state, "year_pair": pair,
                        "first_year": pd.Series(first, index=frame.index, dtype="int64"),
                        "last_year": pd.Series(last, index=frame.index, dtype="int64"),
                        **values})
    return out.sort_values(["year_pair", "state_abbr"]).reset_index(drop=True)


def _load_dispensing(source: Path, filename: str, rate_column: str) -> pd.DataFrame:
    cols = ["YEAR", "STATE_NAME", "STATE_ABBREV", "STATE_FIPS", rate_column]
    frame = read_csv(Path(source) / filename, cols)
    states = load_states(source)
    state = known(frame, "STATE_ABBREV", states["state_abbr"], "state")
    fips = dict(zip(states["state_abbr"], states["state_fips"], strict=True))
    names = dict(zip(states["state_abbr"], states["state_name"], strict=True))
    given_fips = frame["STATE_FIPS"].astype(str).str.strip().str.zfill(2)
    given_name = frame["STATE_NAME"].astype(str).str.strip()
    for column, given, expected in (("STATE_FIPS", given_fips, fips),
                                    ("STATE_NAME", given_name, names)):
        wrong = given != state.map(expected)
        if wrong.any():
            i = wrong.idxmax()
            raise fail_at(frame, i, column, f"{frame[column][i]!r} does not match state "
                          f"{state[i]!r}")
    year = years(frame, "YEAR", DISPENSING_FIRST_YEAR)
    rate = numbers(frame, rate_column, what="rate")
    duplicates(frame, pd.DataFrame({"year": year, "state": state}), "STATE_ABBREV",
               "state-year")
    out = pd.DataFrame({"year": year, "state_abbr": state, "rate": rate})
    return out.sort_values(["state_abbr", "year"]).reset_index(drop=True)


def load_naloxone_dispensing(source: Path) -> pd.DataFrame:
    """Load CDC naloxone prescriptions dispensed per 100 persons, by state and year.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``year`` (int), ``state_abbr`` (50 states and DC), ``rate`` (float).

    Raises:
        DataValidationError: Missing column, unknown state, FIPS or name not matching
            the state, year before 2006 or in the future, negative or non-numeric
            rate, duplicate state-year.
    """
    return _load_dispensing(source, NALOXONE_FILE, "naloxone_dispensing_rate")


def load_buprenorphine_dispensing(source: Path) -> pd.DataFrame:
    """Load CDC buprenorphine prescriptions dispensed per 100 persons, by state and year.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``year`` (int), ``state_abbr`` (50 states and DC), ``rate`` (float).

    Raises:
        DataValidationError: As :func:`load_naloxone_dispensing`.
    """
    return _load_dispensing(source, BUPRENORPHINE_FILE, "buprenorphine_dispensing_rate")


def load_teds_admissions(source: Path) -> pd.DataFrame:
    """Load TEDS-A treatment admissions by state, year and primary substance.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``year`` (int), ``state_abbr`` (states and DC present in the file;
        Puerto Rico dropped) and one int column per :data:`TEDS_COLUMNS` value.

    Raises:
        DataValidationError: Missing column, unknown state FIPS, year before 1992 or
            in the future, negative, non-numeric or non-whole count, duplicate
            state-year.
    """
    frame = read_csv(Path(source) / TEDS_FILE, ["STFIPS", "ADMYR", *TEDS_COLUMNS])
    states = load_states(source)
    frame["STFIPS"] = frame["STFIPS"].astype(str).str.strip().str.zfill(2)
    fips = known(frame, "STFIPS", [*states["state_fips"], _PUERTO_RICO_FIPS], "state FIPS code")
    year = years(frame, "ADMYR", TEDS_FIRST_YEAR)
    duplicates(frame, pd.DataFrame({"state": fips, "year": year}), "ADMYR", "state-year")
    out = pd.DataFrame({
        "year": year,
        "state_abbr": fips.map(dict(zip(states["state_fips"], states["state_abbr"],
                                        strict=True))),
        **{name: numbers(frame, column, integer=True).astype("int64")
           for column, name in TEDS_COLUMNS.items()},
    })
    out = out[fips != _PUERTO_RICO_FIPS]
    return out.sort_values(["state_abbr", "year"]).reset_index(drop=True)


__all__ = ["TEDS_COLUMNS", "load_buprenorphine_dispensing", "load_naloxone_dispensing",
           "load_nsduh_oud", "load_teds_admissions"]
