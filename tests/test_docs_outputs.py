"""docs/outputs.md documents every output file, column and key that the commands write.

The fixture runs every command of the doc at a tiny size (a few weeks, 1:5000, two members)
into one folder per command, then each test compares the real files with the page:

* every parquet, CSV and JSON file written matches a documented file heading;
* every documented file was written;
* for each table (parquet, CSV) the documented columns and the real ones are the same set
  (``<name>`` rows stand for a family of columns; ``<dimension>`` for the result dimensions
  table), and parquet dtypes match the documented dtype;
* for each JSON object the documented keys and the real top-level keys are the same set.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

#: Runs seven commands (about 5 minutes on the shared 2 cores, most of it evaluate).
pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[1] / "docs" / "outputs.md"
ROW = re.compile(r"^\| `([^`]+)` \| ([^|]*) \|")
HEADING = re.compile(r"`([^`]+)`")
#: Command section of the page -> the fixture's sub-folder holding what it wrote.
FOLDERS = {"narcosim run": "run", "narcosim ensemble": "ens", "narcosim compare": "cmp",
           "narcosim evaluate": "eval", "narcosim forecast": "fc",
           "narcosim sensitivity": "sens", "narcosim network export": "net",
           "narcosim network metrics": "netm"}
#: Documented files whose columns are another file's (the page says so).
SAME_AS = {"runs/run-<member>.parquet": ("narcosim run", "results.parquet")}
#: A comparison's member files are documented with the ensemble's.
ALSO = {"narcosim compare": "narcosim ensemble"}
#: Sub-folders holding files documented elsewhere in the same section.
NESTED = (re.compile(r"^fixed/"), re.compile(r"^arms/[^/]+/(?=runs/)"))
#: The result-frame columns that are not dimensions.
RESULT_KEYS = {"date", "module", "metric", "value", "n", "mean", "year", "steps", "days"}
DTYPES = {"string": ("string", "object", "str"), "str": ("string", "object", "str"),
          "int64": ("int64",), "float64": ("float64",), "datetime64": ("datetime64",),
          "bool": ("bool", "object")}


def parse_doc() -> tuple[dict[tuple[str, str], dict[str, str]], set[str]]:
    """(section, file pattern) -> {column or key: dtype}, and the result dimensions."""
    tables: dict[tuple[str, str], dict[str, str]] = {}
    dims: set[str] = set()
    section, files = "", []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip().strip("`")
            files = []
            if section == "Result dimensions":
                files = ["<dimensions>"]
        elif line.startswith("### "):
            files = HEADING.findall(line)
            for f in files:
                tables.setdefault((section, f), {})
        elif (m := ROW.match(line)) and files:
            if files == ["<dimensions>"]:
                dims.add(m.group(1))
                continue
            for f in files:
                tables[(section, f)][m.group(1)] = m.group(2).strip()
    return tables, dims


def pattern(name: str) -> re.Pattern[str]:
    """A documented name as a regex: ``<anything>`` stands for one path part or word run."""
    parts = re.split(r"(<[^>]+>)", name)
    return re.compile("".join("[^/]+?" if p.startswith("<") else re.escape(p) for p in parts)
                      + "$")


def run(*args: str, env: dict[str, str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "narcosim", *args], capture_output=True,
                          text=True, env=env, timeout=1800)
    assert proc.returncode == 0, f"narcosim {' '.join(args)}: {proc.stderr[-2000:]}"


@pytest.fixture(scope="module")
def outputs(atlas_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("outputs")
    env = {**os.environ, "NARCOSIM_HOME": str(atlas_store.parent)}
    store = ["--store", str(atlas_store)]
    short = ["--start", "2023-10-01", "--end", "2024-02-29"]
    run("run", "naloxone_expansion", "--scale", "5000", "--end", "2024-02-29", "--out",
        str(out / "run"), *store, env=env)
    run("ensemble", "status_quo", "--runs", "2", "--workers", "1", "--scale", "5000",
        "--start", "2015-12-01", "--end", "2016-01-31", "--controls", "1", "--out",
        str(out / "ens"), *store, env=env)
    run("compare", "status_quo", "naloxone_expansion", "--runs", "2", "--workers", "1",
        "--scale", "5000", *short, "--out", str(out / "cmp"), *store, env=env)
    run("forecast", "--horizons", "1", "--scale", "5000", "--out",
        str(out / "fc" / "forecast.csv"), *store, env=env)
    run("sensitivity", "--method", "morris", "--n", "2", "--param", "people.od_fentanyl",
        "--param", "people.naloxone_reversal", "--intervention", "naloxone_expansion",
        "--drug", "fentanyl", *short, "--scale", "5000", "--workers", "1", "--out",
        str(out / "sens"), *store, env=env)
    run("network", "export", "--out", str(out / "net"), "--run", str(out / "run"), "--year",
        "2024", *store, env=env)
    run("network", "metrics", "--csv", str(out / "netm" / "alliances.csv"), *store, env=env)
    run("evaluate", "--origins", "2019", "--trials", "2", "--scale", "10000",
        "--forecast-scale", "5000", "--folds", "2", "--workers", "1", "--out",
        str(out / "eval"), *store, env=env)
    return out


def written(outputs: Path) -> list[tuple[str, str, Path]]:
    """(section, path as documented, file) for every data file the commands wrote."""
    found = []
    for section, folder in FOLDERS.items():
        for path in sorted((outputs / folder).rglob("*")):
            if path.is_file() and path.suffix in (".parquet", ".csv", ".json"):
                rel = path.relative_to(outputs / folder).as_posix()
                for nested in NESTED:
                    rel = nested.sub("", rel)
                found.append((section, rel, path))
    return found


def documented_file(tables: dict, section: str, rel: str) -> str | None:
    """The documented file name ``rel`` falls under, in its section (or the one it cites)."""
    sections = (section, *(() if section not in ALSO else (ALSO[section],)))
    return next((f for s in sections for (s2, f) in tables
                 if s2 == s and pattern(f).match(rel)), None)


def test_every_file_written_is_documented_and_every_documented_file_is_written(
        outputs: Path) -> None:
    tables, _ = parse_doc()
    files = written(outputs)
    undocumented = [f"{s}: {rel}" for s, rel, _ in files
                    if documented_file(tables, s, rel) is None]
    assert not undocumented, f"files not in docs/outputs.md: {undocumented}"
    data_files = {(s, f) for (s, f) in tables
                  if s in FOLDERS and f.endswith((".parquet", ".csv", ".json"))}
    seen = {(s2, f) for s, rel, _ in files for (s2, f) in tables
            if f == documented_file(tables, s, rel) and s2 in (s, ALSO.get(s))}
    assert not data_files - seen, f"documented but not written: {sorted(data_files - seen)}"


def columns_match(documented: dict[str, str], actual: list[str], dims: set[str],
                  where: str) -> None:
    names = dict(documented)
    if "<dimension>" in names:
        del names["<dimension>"]
        names.update(dict.fromkeys(dims, "string"))
    patterns = {n: pattern(n) for n in names}
    extra = [c for c in actual if not any(p.match(c) for p in patterns.values())]
    missing = [n for n, p in patterns.items() if not any(p.match(c) for c in actual)]
    assert not extra, f"{where}: columns or keys not documented: {extra}"
    assert not missing, f"{where}: documented but not written: {missing}"


def test_every_column_and_key_is_documented_and_exists(outputs: Path) -> None:
    tables, dims = parse_doc()
    assert {"drug", "state", "port", "cartel"} <= dims
    checked = 0
    for section, rel, path in written(outputs):
        name = documented_file(tables, section, rel)
        assert name is not None, f"{section}: {rel} is not documented"
        key = SAME_AS.get(name) or next((s, f) for (s, f) in tables
                                        if f == name and s in (section, ALSO.get(section)))
        doc = tables[key]
        assert doc, f"{section}: {name} has no table of columns or keys"
        where = f"{path.relative_to(outputs)}"
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            assert isinstance(data, dict), f"{where}: not a JSON object"
            columns_match(doc, list(data), dims, where)
        else:
            frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
            columns_match(doc, [str(c) for c in frame.columns], dims, where)
            if path.suffix == ".parquet":
                _dtypes_match(doc, frame, dims, where)
        checked += 1
    assert checked >= 30


def _dtypes_match(doc: dict[str, str], frame: pd.DataFrame, dims: set[str], where: str) -> None:
    for column in frame.columns:
        if column in dims:
            want = "string"
        elif column in doc:
            want = doc[column]
        else:
            want = next(t for n, t in doc.items()
                        if n != "<dimension>" and pattern(n).match(str(column)))
        got = str(frame[column].dtype)
        assert got.startswith(DTYPES[want]), f"{where}: {column} is {got}, documented {want}"


def test_dimensions_are_the_ones_modules_declare(outputs: Path) -> None:
    _, dims = parse_doc()
    results = pd.read_parquet(outputs / "run" / "results.parquet")
    assert set(results.columns) - RESULT_KEYS == dims


def test_loaders_return_the_documented_frames(outputs: Path) -> None:
    """ns.load_run / load_ensemble / load_comparison read the folders as the page says."""
    import narcosim as ns

    tables, dims = parse_doc()
    run = ns.load_run(outputs / "run")
    columns_match(tables[("narcosim run", "results.parquet")], list(run.columns), dims, "run")
    assert run.attrs["manifest"]["status"] == "complete" and "summary" in run.attrs
    bands = ns.load_ensemble(outputs / "ens")
    columns_match(tables[("narcosim ensemble", "bands.parquet")], list(bands.columns), dims,
                  "bands")
    annual = ns.load_ensemble(outputs / "ens", "annual")
    columns_match(tables[("narcosim ensemble", "bands_annual.parquet")],
                  list(annual.columns), dims, "annual")
    national = ns.load_ensemble(outputs / "ens", "national")
    assert list(national.columns) == [c for c in annual.columns if c not in ("state", "steps")]
    # means add up over states (the quantiles do not: they come from the members' totals)
    deaths = annual[(annual["metric"] == "deaths") & annual["state"].notna()]
    summed = deaths.groupby(["year", "drug"])["mean"].sum()
    nat = national[national["metric"] == "deaths"].set_index(["year", "drug"])["mean"]
    assert len(nat) == len(summed) and (nat - summed).abs().max() < 1e-6 * (1 + summed.max())
    members = ns.load_ensemble(outputs / "ens", "members")
    assert list(members.columns[:2]) == ["member", "seed"]
    assert sorted(members["member"].unique()) == [0, 1]
    assert members.attrs["ensemble"]["n_runs"] == 2
    assert set(members["seed"].unique()) == set(members.attrs["ensemble"]["member_seeds"])
    # the members' mean is the band's mean (same rows, same order per member)
    one = members[members["member"] == 0].reset_index(drop=True)
    two = members[members["member"] == 1].reset_index(drop=True)
    mean = (one["value"] + two["value"]) / 2
    assert bands["mean"].reset_index(drop=True).sub(mean).abs().max() < 1e-6 * (
        1 + mean.abs().max())
    summary = ns.load_comparison(outputs / "cmp")
    columns_match(tables[("narcosim compare", "comparison.parquet")], list(summary.columns),
                  dims, "comparison")
    paired = ns.load_comparison(outputs / "cmp", members=True)
    columns_match(tables[("narcosim compare", "comparison_members.parquet")],
                  list(paired.columns), dims, "members")
    assert summary.attrs["comparison"]["baseline"] == "status_quo"
    with pytest.raises(ns.ParameterError, match="table 'yearly'"):
        ns.load_ensemble(outputs / "ens", "yearly")  # type: ignore[arg-type]
    with pytest.raises(ns.StoreError, match="not an ensemble folder"):
        ns.load_ensemble(outputs / "run")
