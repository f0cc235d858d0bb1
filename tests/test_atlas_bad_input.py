"""Bad input: each corrupt file makes `narcosim atlas import` fail with one line naming
file, row and column, exit code 2, no traceback, and the previous store unchanged."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fuzz_support import copy_data
from narcosim.atlas.store import Atlas, import_data

REPO = Path(__file__).resolve().parents[1]
VSRR = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
MONTHLY = "cdc_vsrr_synthetic_opioids_T40.4_12mo_ending_monthly_2015_2023.csv"
NCHS = "nchs_drug_poisoning_mortality_by_state_1999_2015.csv"
CENSUS = "census_nst_est2024_alldata.csv"
CBP = "cbp_nationwide_drug_seizures_fy2019_fy2023.csv"
PORTS = "us_mexico_land_ports_bts.csv"
NODES = "cartels_mexico/BACRIM2020_Nodes.csv"
GEOMETRY = "us_atlas_states-10m.json"


@pytest.fixture(scope="module")
def good_store(data_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "atlas.duckdb"
    import_data(data_dir, path)
    return path


def edit_line(path: Path, number: int, old: str, new: str) -> None:
    """Replace text in one line (1-based line number)."""
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    assert old in lines[number - 1], lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def missing_column(d: Path) -> None:
    edit_line(d / VSRR, 1, "Total Deaths", "Deaths Total")


def unknown_state(d: Path) -> None:
    edit_line(d / VSRR, 18, (d / VSRR).read_text().split("\n")[17].split(",")[1], "Atlantis")


def negative_count(d: Path) -> None:
    lines = (d / VSRR).read_text().split("\n")
    fields = lines[17].split(",")
    fields[-1] = "-3"
    lines[17] = ",".join(fields)
    (d / VSRR).write_text("\n".join(lines))


def non_numeric_count(d: Path) -> None:
    lines = (d / CBP).read_text().split("\n")
    fields = lines[5].split(",")
    fields[7] = "twelve"
    lines[5] = ",".join(fields)
    (d / CBP).write_text("\n".join(lines))


def truncated_mid_row(d: Path) -> None:
    data = (d / NCHS).read_bytes()
    cut = data.index(b"\n", len(data) // 2) + 12  # stop 12 bytes into a row
    (d / NCHS).write_bytes(data[:cut])


def truncated_in_quote(d: Path) -> None:
    data = (d / MONTHLY).read_bytes()
    cut = data.index(b'"Synthetic', len(data) // 2) + 8  # stop inside a quoted field
    (d / MONTHLY).write_bytes(data[:cut])


def truncated_json(d: Path) -> None:
    data = (d / GEOMETRY).read_bytes()
    (d / GEOMETRY).write_bytes(data[: len(data) // 2])


def empty_file(d: Path) -> None:
    (d / CENSUS).write_bytes(b"")


def latin1(d: Path) -> None:
    text = (d / NODES).read_text(encoding="utf-8-sig")
    (d / NODES).write_bytes(text.encode("latin-1", errors="replace"))


def utf16(d: Path) -> None:
    text = (d / PORTS).read_text(encoding="utf-8")
    (d / PORTS).write_bytes(text.encode("utf-16"))


def missing_file(d: Path) -> None:
    (d / PORTS).unlink()


# corruption, expected file name, expected fragments of the one-line message
CASES = {
    "missing column": (missing_column, VSRR, ["line 1", "missing column 'Total Deaths'"]),
    "unknown state": (unknown_state, VSRR, ["row 17", "column 'State Name'",
                                            "unknown state 'Atlantis'"]),
    "negative count": (negative_count, VSRR, ["row 17", "column 'Total Deaths'",
                                              "negative count -3"]),
    "non-numeric count": (non_numeric_count, CBP, ["row 5", "column 'Count of Event'",
                                                   "non-numeric count 'twelve'"]),
    "truncated mid-row": (truncated_mid_row, NCHS, ["row ", "column '", "too few fields"]),
    "truncated in quote": (truncated_in_quote, MONTHLY, ["row ", "(line ", "unterminated quote"]),
    "truncated json": (truncated_json, GEOMETRY, ["line 1 column", "invalid JSON"]),
    "empty file": (empty_file, CENSUS, ["empty file"]),
    "latin-1 encoding": (latin1, "BACRIM2020_Nodes.csv", ["line 2", "not valid UTF-8"]),
    "utf-16 encoding": (utf16, PORTS, ["line 1", "UTF-16"]),
    "missing file": (missing_file, PORTS, ["file not found"]),
}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def command(data: Path, store: Path) -> list[str]:
    return [sys.executable, "-m", "narcosim", "atlas", "import", str(data), "--store", str(store)]


ENV = {**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "200"}


def row_counts(store: Path) -> dict[str, int]:
    atlas = Atlas.open(store)
    return {name: len(atlas.table(name)) for name in atlas.tables()}


def assert_import_fails_cleanly(bad: Path, store: Path, prefix: str,
                                fragments: list[str]) -> None:
    """Importing ``bad`` into ``store``: exit 2, one line starting ``prefix`` that holds every
    fragment, no traceback, and the store unchanged (bytes and row counts)."""
    before = (sha(store), row_counts(store))
    result = subprocess.run(command(bad, store), capture_output=True, text=True, env=ENV,
                            timeout=180, check=False)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(prefix), err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert (sha(store), row_counts(store)) == before


#: Cases beyond the issue's list: run with the slow tests (each costs a CLI start-up).
EXTRA = {"truncated in quote", "truncated json", "missing file"}


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=pytest.mark.slow) if c in EXTRA else c for c in CASES])
def test_bad_input_fails_cleanly_and_leaves_store(case, data_dir, good_store, tmp_path):
    corrupt, filename, fragments = CASES[case]
    bad = copy_data(data_dir, tmp_path / "data")
    corrupt(bad)
    assert_import_fails_cleanly(bad, good_store, f"error: {filename}", fragments)
    assert [p.name for p in good_store.parent.iterdir()] == ["atlas.duckdb"]


def test_good_copy_imports(data_dir, tmp_path):
    """Negative control: the uncorrupted copy imports through the same command."""
    good = copy_data(data_dir, tmp_path / "data")
    result = subprocess.run(command(good, tmp_path / "s.duckdb"), capture_output=True,
                            text=True, env=ENV, timeout=180, check=False)
    assert result.returncode == 0, result.stderr
    assert len(Atlas.open(tmp_path / "s.duckdb").table("ports")) == 28
