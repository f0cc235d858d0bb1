"""`narcosim atlas import` on indicator files gone bad, and on CDC releases with new years.

Bad input: exit 2, one stderr line naming file, row and column, no traceback, the
previous store unchanged (as tests/test_atlas_bad_input.py). New years: a copy of
the CDC annual file with 2024 rows (the 2023 rows relabelled) imports, and the
store's overdose_deaths then holds 2024; a year before 2015 or in the future fails.
"""

import csv
import datetime
import io
import subprocess
from pathlib import Path

import pytest

from narcosim.atlas.indicators import NALOXONE_FILE, NSDUH_FILE, TEDS_FILE
from narcosim.atlas.nflis import NFLIS_FILE
from narcosim.atlas.query import death_years
from narcosim.atlas.store import Atlas, import_data
from test_atlas_bad_input import ENV, assert_import_fails_cleanly, command, copy_data

VSRR = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
NEXT_YEAR = datetime.date.today().year + 1


@pytest.fixture(scope="module")
def good_store(data_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "atlas.duckdb"
    import_data(data_dir, path)
    return path


def read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def write(path: Path, table: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    path.write_text(out.getvalue(), encoding="utf-8")


def set_cell(path: Path, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` is the 1-based data row (0 edits the header cell)."""
    table = read(path)
    table[row][table[0].index(column)] = value
    write(path, table)


def duplicate_row(path: Path, row: int) -> None:
    """Insert a copy of data row ``row`` right after it (the copy is row ``row + 1``)."""
    table = read(path)
    table.insert(row + 1, list(table[row]))
    write(path, table)


# corruption, expected file, expected fragments of the one-line message
CASES = {
    "nflis missing column": (lambda d: set_cell(d / NFLIS_FILE, 0, "ReportCount", "Reports"),
                             NFLIS_FILE, ["line 1", "missing column 'ReportCount'"]),
    "nflis unknown state": (lambda d: set_cell(d / NFLIS_FILE, 3, "State", "ZZ"),
                            NFLIS_FILE, ["row 3", "column 'State'", "unknown state 'ZZ'"]),
    "nflis negative count": (lambda d: set_cell(d / NFLIS_FILE, 7, "ReportCount", "-5"),
                             NFLIS_FILE, ["row 7", "column 'ReportCount'",
                                          "negative count -5"]),
    "nflis non-numeric count": (lambda d: set_cell(d / NFLIS_FILE, 9, "ReportCount", "many"),
                                NFLIS_FILE, ["row 9", "column 'ReportCount'",
                                             "non-numeric count 'many'"]),
    "nflis duplicate row": (lambda d: duplicate_row(d / NFLIS_FILE, 4),
                            NFLIS_FILE, ["row 5", "column 'BaseCode'", "duplicate"]),
    "nflis future year": (lambda d: set_cell(d / NFLIS_FILE, 2, "Year", str(NEXT_YEAR)),
                          NFLIS_FILE, ["row 2", "column 'Year'",
                                       f"out-of-range year {NEXT_YEAR}"]),
    "nflis unknown category": (lambda d: set_cell(d / NFLIS_FILE, 1, "DrugCategory", "Tea"),
                               NFLIS_FILE, ["row 1", "column 'DrugCategory'",
                                            "unknown drug category 'Tea'"]),
    "nsduh proportion above 1": (lambda d: set_cell(d / NSDUH_FILE, 5, "ci_upper", "1.5"),
                                 NSDUH_FILE, ["row 5", "column 'ci_upper'",
                                              "out-of-range proportion 1.5"]),
    "nsduh unknown state": (lambda d: set_cell(d / NSDUH_FILE, 2, "state", "Atlantis"),
                            NSDUH_FILE, ["row 2", "column 'state'",
                                         "unknown state 'Atlantis'"]),
    "naloxone negative rate": (lambda d: set_cell(d / NALOXONE_FILE, 10,
                                                  "naloxone_dispensing_rate", "-0.4"),
                               NALOXONE_FILE, ["row 10", "column 'naloxone_dispensing_rate'",
                                               "negative rate -0.4"]),
    "naloxone duplicate": (lambda d: duplicate_row(d / NALOXONE_FILE, 20),
                           NALOXONE_FILE, ["row 21", "column 'STATE_ABBREV'", "duplicate"]),
    "teds unknown fips": (lambda d: set_cell(d / TEDS_FILE, 6, "STFIPS", "99"),
                          TEDS_FILE, ["row 6", "column 'STFIPS'",
                                      "unknown state FIPS code '99'"]),
    "teds missing column": (lambda d: set_cell(d / TEDS_FILE, 0, "AdmHer", "AdmH"),
                            TEDS_FILE, ["line 1", "missing column 'AdmHer'"]),
    "vsrr year before 2015": (lambda d: set_cell(d / VSRR, 4, "Year", "2014"),
                              VSRR, ["row 4", "column 'Year'", "out-of-range year 2014",
                                     "minimum 2015"]),
    "vsrr future year": (lambda d: set_cell(d / VSRR, 4, "Year", str(NEXT_YEAR)),
                         VSRR, ["row 4", "column 'Year'", f"out-of-range year {NEXT_YEAR}",
                                f"maximum {NEXT_YEAR - 1}"]),
}
#: Run with the slow tests only (each case costs a CLI start-up).
EXTRA = {"nflis non-numeric count", "nflis unknown category", "nsduh unknown state",
         "teds missing column"}


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.slow) if c in EXTRA else c for c in CASES])
def test_bad_indicator_or_year_fails_cleanly(case, data_dir, good_store, tmp_path):
    corrupt, filename, fragments = CASES[case]
    bad = copy_data(data_dir, tmp_path / "data")
    corrupt(bad)
    assert_import_fails_cleanly(bad, good_store, f"error: {Path(filename).name} ", fragments)


def test_a_release_with_2024_rows_imports(data_dir, tmp_path):
    data = copy_data(data_dir, tmp_path / "data")
    table = read(data / VSRR)
    year = table[0].index("Year")
    extra = [[*r[:year], "2024", *r[year + 1:]] for r in table[1:] if r[year] == "2023"]
    assert len(extra) == 630  # 70 jurisdiction-indicator pairs x 9 years = 5,670 rows
    write(data / VSRR, table + extra)
    store = tmp_path / "atlas.duckdb"
    result = subprocess.run(command(data, store), capture_output=True, text=True, env=ENV,
                            timeout=180, check=False)
    assert result.returncode == 0, result.stderr
    atlas = Atlas.open(store)
    assert death_years(atlas) == tuple(range(2015, 2025))
    deaths = atlas.table("overdose_deaths")
    us = deaths[(deaths["state_abbr"] == "US") & (deaths["drug"] == "fentanyl")]
    by_year = us.set_index("year")["deaths"]
    assert by_year[2024] == by_year[2023]
