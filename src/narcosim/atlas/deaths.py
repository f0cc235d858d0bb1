"""Overdose deaths: CDC VSRR annual by drug class, VSRR monthly fentanyl, NCHS 1999-2015.

CDC VSRR counts are provisional 12-month-ending counts; the December rows used
for ``overdose_deaths`` are calendar-year counts. In VSRR, "New York" excludes New
York City, which is reported separately ("New York City", code YC): the two are
added to give the state. Blank cells are values CDC withheld (fewer than 10 deaths
or low-quality drug data) and stay NaN, never 0; a New York total is NaN when
either part is withheld. Puerto Rico is dropped. Publisher: CDC/NCHS (public domain).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from narcosim.atlas.reader import fail_at, known, nonblank, numbers, read_csv, years
from narcosim.atlas.states import load_states, name_to_abbr

VSRR_ANNUAL_FILE = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
VSRR_MONTHLY_FILE = "cdc_vsrr_synthetic_opioids_T40.4_12mo_ending_monthly_2015_2023.csv"
NCHS_FILE = "nchs_drug_poisoning_mortality_by_state_1999_2015.csv"

#: CDC VSRR indicator label -> short drug key (ICD-10 multiple-cause codes).
DRUG_KEYS: dict[str, str] = {
    "Number of Drug Overdose Deaths": "all_drugs",
    "Number of Deaths": "all_causes",
    "Synthetic opioids, excl. methadone (T40.4)": "fentanyl",
    "Psychostimulants with abuse potential (T43.6)": "methamphetamine",
    "Cocaine (T40.5)": "cocaine",
    "Heroin (T40.1)": "heroin",
    "Methadone (T40.3)": "methadone",
    "Natural & semi-synthetic opioids (T40.2)": "natural_semisynthetic_opioids",
    "Natural & semi-synthetic opioids, incl. methadone (T40.2, T40.3)":
        "natural_semisynthetic_opioids_incl_methadone",
    "Natural, semi-synthetic, & synthetic opioids, incl. methadone (T40.2-T40.4)":
        "natural_semisynthetic_synthetic_opioids_incl_methadone",
    "Opioids (T40.0-T40.4,T40.6)": "opioids",
}
#: A VSRR indicator that is a percentage, not a count: validated (0-100) but not
#: kept in ``overdose_deaths`` (New York's two parts cannot be added).
PERCENT_INDICATOR = "Percent with drugs specified"

#: First year of the VSRR counts. No last year is fixed: a newer CDC release brings
#: more years, and any year up to the current calendar year is accepted.
VSRR_FIRST_YEAR = 2015
NCHS_YEARS = (1999, 2015)
_MONTHS = {m: i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August",
     "September", "October", "November", "December"], start=1)}
_NYC_NAME, _NYC_CODE, _PR_NAME, _PR_CODE, _US_NAME = (
    "New York City", "YC", "Puerto Rico", "PR", "United States")


def _merge_new_york(frame: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame:
    """Add New York City rows into New York (NaN if either part is NaN)."""
    nyc = frame[frame["state_abbr"] == _NYC_CODE].set_index(keys)
    rest = frame[frame["state_abbr"] != _NYC_CODE]
    ny_mask = rest["state_abbr"] == "NY"
    ny = rest[ny_mask].set_index(keys)
    if not nyc.empty:
        nyc = nyc.reindex(ny.index)
        for col in values:
            ny[col] = ny[col].to_numpy() + nyc[col].to_numpy()
    merged = pd.concat([rest[~ny_mask], ny.reset_index()], ignore_index=True)
    return merged


def load_overdose_deaths(source: Path) -> pd.DataFrame:
    """Load CDC VSRR calendar-year overdose deaths by state, year and drug class.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``year`` (int, every year of the release from 2015 on),
        ``state_abbr`` (50 states, 'DC', 'US'),
        ``indicator`` (CDC label), ``drug`` (short key, see :data:`DRUG_KEYS`),
        ``deaths`` (float; NaN where CDC withheld).

    Raises:
        DataValidationError: Missing column, unknown state or indicator, year
            before 2015 or after the current year, negative or non-numeric count, duplicate row.
    """
    cols = ["Year", "State Name", "Indicator", "Total Deaths"]
    frame = read_csv(Path(source) / VSRR_ANNUAL_FILE, cols)
    abbr = name_to_abbr(load_states(source))
    names = known(frame, "State Name", [*abbr, _NYC_NAME, _PR_NAME, _US_NAME], "state")
    indicator = known(frame, "Indicator", [*DRUG_KEYS, PERCENT_INDICATOR], "indicator")
    year = years(frame, "Year", VSRR_FIRST_YEAR)
    deaths = numbers(frame, "Total Deaths", blank_ok=True)
    pct = indicator == PERCENT_INDICATOR
    over = pct & (deaths > 100)
    if over.any():
        raise fail_at(frame, over.idxmax(), "Total Deaths",
                      f"percent {deaths[over.idxmax()]} above 100")
    dup = pd.DataFrame({"y": year, "s": names, "i": indicator}).duplicated()
    if dup.any():
        i = dup.idxmax()
        raise fail_at(frame, i, "Indicator", f"duplicate row for {names[i]} {int(year[i])} "
                      f"{indicator[i]!r}")
    codes = names.map({**abbr, _NYC_NAME: _NYC_CODE, _PR_NAME: _PR_CODE, _US_NAME: "US"})
    out = pd.DataFrame({"year": year.astype("int64"), "state_abbr": codes,
                        "indicator": indicator, "deaths": deaths})
    out = out[~pct & (out["state_abbr"] != _PR_CODE)]
    out = _merge_new_york(out, ["year", "indicator"], ["deaths"])
    out["drug"] = out["indicator"].map(DRUG_KEYS)
    out = out[["year", "state_abbr", "indicator", "drug", "deaths"]]
    return out.sort_values(["drug", "state_abbr", "year"]).reset_index(drop=True)


def load_fentanyl_monthly(source: Path) -> pd.DataFrame:
    """Load CDC VSRR 12-month-ending synthetic-opioid (T40.4) deaths for every month.

    This copy lacks Louisiana and Pennsylvania (see PROVENANCE.md).

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``state_abbr, year, month`` (1-12), ``deaths`` (reported
        ``data_value``; NaN withheld), ``predicted`` (``predicted_value``),
        ``footnote_symbol``; New York City added into NY, Puerto Rico dropped.
    """
    cols = ["state", "state_name", "year", "month", "indicator", "data_value",
            "predicted_value", "footnote_symbol"]
    frame = read_csv(Path(source) / VSRR_MONTHLY_FILE, cols)
    states = load_states(source)
    codes = known(frame, "state", [*states["state_abbr"], _NYC_CODE, _PR_CODE, "US"], "state")
    known(frame, "indicator", ["Synthetic opioids, excl. methadone (T40.4)"], "indicator")
    month = known(frame, "month", _MONTHS, "month").map(_MONTHS)
    out = pd.DataFrame({
        "state_abbr": codes,
        "year": years(frame, "year", VSRR_FIRST_YEAR),
        "month": month.astype("int64"),
        "deaths": numbers(frame, "data_value", blank_ok=True),
        "predicted": numbers(frame, "predicted_value", blank_ok=True),
        "footnote_symbol": frame["footnote_symbol"].astype(str).str.strip(),
    })
    dup = out[["state_abbr", "year", "month"]].duplicated()
    if dup.any():
        raise fail_at(frame, dup.idxmax(), "month", "duplicate state-month row")
    out = out[out["state_abbr"] != _PR_CODE]
    out = _merge_new_york(out, ["year", "month"], ["deaths", "predicted"])
    return out.sort_values(["state_abbr", "year", "month"]).reset_index(drop=True)


def load_nchs_deaths(source: Path) -> pd.DataFrame:
    """Load NCHS final all-drug poisoning deaths by state, 1999-2015.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``year, state_abbr`` (states, 'DC', 'US'), ``deaths, population``
        (int), ``crude_rate, age_adjusted_rate`` (per 100,000).
    """
    cols = ["Year", "State", "Deaths", "Population", "Crude Death Rate", "Age-adjusted Rate"]
    frame = read_csv(Path(source) / NCHS_FILE, cols)
    abbr = name_to_abbr(load_states(source))
    names = known(frame, "State", [*abbr, _US_NAME], "state")
    out = pd.DataFrame({
        "year": numbers(frame, "Year", integer=True, minimum=NCHS_YEARS[0],
                        maximum=NCHS_YEARS[1], what="year").astype("int64"),
        "state_abbr": names.map({**abbr, _US_NAME: "US"}),
        "deaths": numbers(frame, "Deaths", integer=True).astype("int64"),
        "population": numbers(frame, "Population", integer=True, minimum=1,
                              what="population").astype("int64"),
        "crude_rate": numbers(frame, "Crude Death Rate", what="rate"),
        "age_adjusted_rate": numbers(frame, "Age-adjusted Rate", what="rate"),
    })
    dup = out[["year", "state_abbr"]].duplicated()
    if dup.any():
        raise fail_at(frame, dup.idxmax(), "State", "duplicate state-year row")
    nonblank(frame, "State")
    return out.sort_values(["state_abbr", "year"]).reset_index(drop=True)


__all__ = ["DRUG_KEYS", "VSRR_FIRST_YEAR", "load_fentanyl_monthly", "load_nchs_deaths",
           "load_overdose_deaths"]
