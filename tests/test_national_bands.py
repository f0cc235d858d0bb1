"""National annual bands: states summed member by member, day-weighted, then quantiles."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narcosim.errors import StoreError
from narcosim.run.bands import write_member_parquet
from narcosim.run.national import national_annual_bands

FLOWS = [["people", "deaths"]]


def _member(path: Path, deaths: dict[str, float], level: float = 5.0) -> Path:
    """A member file: weekly deaths per state (a flow) and a level, from 2025-12-22."""
    dates = pd.date_range("2025-12-22", periods=3, freq="7D")  # the 3rd straddles New Year
    rows = [{"date": d, "module": "people", "metric": "deaths", "drug": "fentanyl",
             "state": s, "value": v} for d in dates for s, v in deaths.items()]
    rows += [{"date": d, "module": "people", "metric": "users", "drug": "fentanyl",
              "state": s, "value": level} for d in dates for s in deaths]
    frame = pd.DataFrame(rows)
    for col in ("module", "metric", "drug", "state"):
        frame[col] = frame[col].astype("string")
    write_member_parquet(frame, path)
    return path


def test_states_are_summed_per_member_and_split_by_days(tmp_path: Path) -> None:
    files = [_member(tmp_path / "a.parquet", {"AZ": 7.0, "CA": 0.0}),
             _member(tmp_path / "b.parquet", {"AZ": 0.0, "CA": 14.0})]
    out = national_annual_bands(files, FLOWS, (0.05, 0.5, 0.95))
    assert set(out["metric"]) == {"deaths"}          # a level is not summed over a year
    assert "state" not in out.columns
    by_year = out.set_index("year")
    # 22 Dec, 29 Dec (3 days in 2025, 4 in 2026), 5 Jan: member a has 7 a week
    assert by_year.loc[2025, "days"] == 10 and by_year.loc[2026, "days"] == 11
    np.testing.assert_allclose(by_year.loc[2025, ["q0.05", "q0.95"]], [7 + 3 + 0.05 * 10,
                                                                       7 + 3 + 0.95 * 10])
    np.testing.assert_allclose(by_year["mean"].sum(), (21 + 42) / 2)
    # per state the 5% quantiles are near 0 in both states; the national one is not
    assert by_year.loc[2025, "q0.05"] > 10 - 1e-9


def test_members_with_different_rows_are_refused(tmp_path: Path) -> None:
    whole = _member(tmp_path / "a.parquet", {"AZ": 1.0})
    with pytest.raises(StoreError, match="share a scenario"):
        national_annual_bands([whole, _drop_year(tmp_path)], FLOWS, (0.5,))


def _drop_year(tmp_path: Path) -> Path:
    """A member whose weeks stop before New Year: fewer rows than the others."""
    path = tmp_path / "short.parquet"
    frame = pd.DataFrame({"date": [pd.Timestamp("2025-12-22")], "module": ["people"],
                          "metric": ["deaths"], "drug": ["fentanyl"], "state": ["AZ"],
                          "value": [1.0]})
    write_member_parquet(frame.astype({c: "string" for c in frame.columns[1:5]}), path)
    return path
