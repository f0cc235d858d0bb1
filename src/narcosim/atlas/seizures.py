"""CBP nationwide drug seizures by fiscal year, month, component, area and drug.

Official CBP *Nationwide Drug Seizures* files ("Drug Seizure Statistics" on
cbp.gov; public domain), FY2019-FY2023. Figures are by OFO field office or USBP
sector, not by port. CBP's fiscal year Y runs October Y-1 to September Y, so
October-December rows fall in calendar year Y-1.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from narcosim.atlas.reader import fail_at, known, nonblank, numbers, read_csv

SEIZURES_FILE = "cbp_nationwide_drug_seizures_fy2019_fy2023.csv"

#: CBP component names -> short codes.
COMPONENTS = {"Office of Field Operations": "OFO", "U.S. Border Patrol": "USBP"}
_MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
    start=1)}
_FIRST_FY_MONTH = 10  # October opens CBP's fiscal year
#: Plausible fiscal years (CBP publishes from FY2012 on; upper bound a guard).
FY_RANGE = (2012, 2100)

_COLUMNS = ["FY", "Month (abbv)", "Component", "Region", "Land Filter",
            "Area of Responsibility", "Drug Type", "Count of Event", "Sum Qty (lbs)"]


def load_seizures(source: Path) -> pd.DataFrame:
    """Load CBP drug seizures.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``fiscal_year, month`` (calendar month 1-12), ``date`` (first day
        of that calendar month), ``component`` ('OFO' | 'USBP'), ``region``,
        ``land_filter``, ``area`` (as CBP writes it, e.g. 'SAN DIEGO FIELD
        OFFICE'), ``drug`` (CBP 'Drug Type'), ``events`` (int), ``pounds`` (float).

    Raises:
        DataValidationError: Missing column, unknown month or component, bad
            fiscal year, negative or non-numeric count.
    """
    frame = read_csv(Path(source) / SEIZURES_FILE, _COLUMNS)
    fiscal_year = numbers(frame, "FY", integer=True, minimum=FY_RANGE[0],
                          maximum=FY_RANGE[1], what="fiscal year").astype("int64")
    month = known(frame, "Month (abbv)", _MONTHS, "month").map(_MONTHS).astype("int64")
    component = known(frame, "Component", COMPONENTS, "component").map(COMPONENTS)
    year = fiscal_year - (month >= _FIRST_FY_MONTH).astype("int64")
    out = pd.DataFrame({
        "fiscal_year": fiscal_year,
        "month": month,
        "date": pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1})),
        "component": component,
        "region": nonblank(frame, "Region", "region"),
        "land_filter": nonblank(frame, "Land Filter", "land filter"),
        "area": nonblank(frame, "Area of Responsibility", "area"),
        "drug": nonblank(frame, "Drug Type", "drug type"),
        "events": numbers(frame, "Count of Event", integer=True).astype("int64"),
        "pounds": numbers(frame, "Sum Qty (lbs)"),
    })
    key = ["fiscal_year", "month", "component", "region", "land_filter", "area", "drug"]
    dup = out[key].duplicated()
    if dup.any():
        raise fail_at(frame, dup.idxmax(), "Drug Type", "duplicate row for the same "
                      "fiscal year, month, component, region, area and drug")
    return out.sort_values(key).reset_index(drop=True)
