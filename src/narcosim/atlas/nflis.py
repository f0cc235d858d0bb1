"""DEA NFLIS-Drug forensic-laboratory drug reports by state, year and substance.

The file is an NFLIS data-request extract (raw reported counts, not the weighted
national estimates of the NFLIS annual reports), stacked from one sheet per year
into ``Year, State, BaseCode, BaseDescription, DrugCategory, ReportCount`` and
filtered to a few drug categories plus Xylazine (see PROVENANCE.md). The loader
sums the substance rows into one value per (year, state, drug key):

* ``fentanyl``: every row of DrugCategory 'Fentanyl and Fentanyl-related' (fentanyl
  and its analogues); ``fentanyl_only``: BaseCode 1504 (fentanyl itself) alone. The
  two overlap: ``fentanyl_only`` is part of ``fentanyl``.
* ``heroin``: DrugCategory 'Heroin'. ``cocaine``: DrugCategory 'Cocaine Alkaloids'
  (cocaine and a few related alkaloids; a handful of reports more than BaseDescription
  'Cocaine' alone).
* ``methamphetamine``: BaseDescription 'Methamphetamine'; ``other_phenethylamines``:
  the rest of 'Phenethylamines (Amphetamines) (S)' (amphetamine, phentermine ...).
* ``xylazine``: BaseDescription 'Xylazine'. The extract keeps only Xylazine from
  'Depressants and Tranquilizers', so any other row of that category is dropped (a
  category total would be meaningless).
* ``narcotic_analgesics``, ``other_narcotics`` (DrugCategory 'Narcotics') and
  ``cannabinoids``: the whole category.

Only the 50 states and DC are kept; rows for PR, GU, VI, AS, MP and ``XX``
(unknown state) are validated and then left out, not added anywhere, so national
sums over the table are a little below sums over the whole file.

A state-year with rows for some substances but none for a drug key holds 0 reports
for that key (the laboratories reported that year and found none of it). A state
with no row at all in a year gets no rows that year (nothing is known). Keys that
appear nowhere in the file are not filled. Publisher: DEA Diversion Control
Division (US federal data).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from narcosim.atlas.reader import duplicates, known, nonblank, numbers, read_csv, years
from narcosim.atlas.states import load_states

NFLIS_FILE = "indicators/nflis_drug_reports_by_state_year_substance_2015_2024_selected.csv"
#: NFLIS began in 1997; no last year is fixed (any year up to the current one).
NFLIS_FIRST_YEAR = 1997
#: Jurisdictions in the file that are not one of the 50 states or DC: validated, left out.
EXCLUDED_STATES = ("PR", "GU", "VI", "AS", "MP", "XX")
#: DrugCategory -> drug key for rows not keyed by :data:`BASE_KEYS`.
CATEGORY_KEYS: dict[str, str | None] = {
    "Fentanyl and Fentanyl-related": "fentanyl",
    "Heroin": "heroin",
    "Cocaine Alkaloids": "cocaine",
    "Phenethylamines (Amphetamines) (S)": "other_phenethylamines",
    "Narcotic Analgesics": "narcotic_analgesics",
    "Narcotics": "other_narcotics",
    "Cannabinoids": "cannabinoids",
    "Depressants and Tranquilizers": None,  # only Xylazine was extracted: dropped
}
#: BaseDescription -> drug key; these win over the category.
BASE_KEYS: dict[str, str] = {"Methamphetamine": "methamphetamine", "Xylazine": "xylazine"}
#: BaseCode of fentanyl itself, counted again under ``fentanyl_only``.
FENTANYL_BASECODE = 1504
FENTANYL_ONLY = "fentanyl_only"
_COLUMNS = ["Year", "State", "BaseCode", "BaseDescription", "DrugCategory", "ReportCount"]


def load_nflis_reports(source: Path) -> pd.DataFrame:
    """Load NFLIS-Drug reports summed by year, state and drug key.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``year`` (int), ``state_abbr`` (50 states and DC), ``drug`` (key, see
        the module docstring), ``reports`` (float, 0 where the state reported other
        substances that year but none of this drug), sorted by drug, state, year.

    Raises:
        DataValidationError: Missing column, unknown state or drug category, year
            before 1997 or in the future, negative, non-numeric or non-whole count,
            duplicate (year, state, BaseCode) row.
    """
    frame = read_csv(Path(source) / NFLIS_FILE, _COLUMNS)
    states = load_states(source)["state_abbr"]
    year = years(frame, "Year", NFLIS_FIRST_YEAR)
    state = known(frame, "State", [*states, *EXCLUDED_STATES], "state")
    code = numbers(frame, "BaseCode", integer=True, what="BaseCode").astype("int64")
    base = nonblank(frame, "BaseDescription", "BaseDescription")
    category = known(frame, "DrugCategory", CATEGORY_KEYS, "drug category")
    reports = numbers(frame, "ReportCount", integer=True)
    duplicates(frame, pd.DataFrame({"year": year, "state": state, "code": code}),
               "BaseCode", "year, state and BaseCode")

    keep = ~state.isin(EXCLUDED_STATES)
    drug = base.map(BASE_KEYS).fillna(category.map(CATEGORY_KEYS))
    rows = pd.DataFrame({"year": year, "state_abbr": state, "drug": drug,
                         "reports": reports})[keep]
    reported = rows[["year", "state_abbr"]].drop_duplicates()
    only = rows[(code[keep] == FENTANYL_BASECODE) & (rows["drug"] == "fentanyl")]
    rows = pd.concat([rows.dropna(subset=["drug"]), only.assign(drug=FENTANYL_ONLY)])
    sums = rows.groupby(["year", "state_abbr", "drug"])["reports"].sum()

    drugs = sorted(set(sums.index.get_level_values("drug")))
    if "fentanyl" in drugs and FENTANYL_ONLY not in drugs:
        drugs.append(FENTANYL_ONLY)
    grid = reported.merge(pd.DataFrame({"drug": drugs}), how="cross")
    out = grid.merge(sums.reset_index(), on=["year", "state_abbr", "drug"], how="left")
    out["reports"] = out["reports"].fillna(0.0).astype("float64")
    out["year"] = out["year"].astype("int64")
    out = out[["year", "state_abbr", "drug", "reports"]]
    return out.sort_values(["drug", "state_abbr", "year"]).reset_index(drop=True)


__all__ = ["BASE_KEYS", "CATEGORY_KEYS", "EXCLUDED_STATES", "load_nflis_reports"]
