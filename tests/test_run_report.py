"""The run report: its numbers against the results parquet and CDC's CSV, its CLI, its page.

A short default run (2015–2017, seed 1) is written to a run folder once per module, and its
``report.html`` is checked against figures computed here independently: simulated deaths
summed from ``results.parquet`` with pandas, CDC deaths read from the real CSV with the csv
module (New York = New York + New York City, blanks = withheld).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narcosim.atlas.store import Atlas
from narcosim.calibrate.deaths import DeathTargets, fit_table
from narcosim.model.builder import build_default_sim, summarize
from narcosim.report.run_data import fit_table_from_frame
from narcosim.report.run_report import DATA_ID, REPORT, write_run_report
from narcosim.run import data_provenance, execute_run

DRUGS = ("fentanyl", "methamphetamine", "cocaine", "all_drugs")
INDICATORS = {
    "Synthetic opioids, excl. methadone (T40.4)": "fentanyl",
    "Psychostimulants with abuse potential (T43.6)": "methamphetamine",
    "Cocaine (T40.5)": "cocaine",
    "Number of Drug Overdose Deaths": "all_drugs",
}
CDC_CSV = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"


def cdc_from_csv(data_dir: Path) -> dict[tuple[int, str, str], float | None]:
    """CDC deaths by (year, state_abbr or 'US', drug) from the real CSV; None where withheld."""
    with (data_dir / "state_reference.csv").open(newline="", encoding="utf-8") as handle:
        abbr = {r["state_name"]: r["state_abbr"] for r in csv.DictReader(handle)}
    abbr["United States"] = "US"
    raw: dict[tuple[int, str, str], float | None] = {}
    nyc: dict[tuple[int, str], float | None] = {}
    with (data_dir / CDC_CSV).open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            drug = INDICATORS.get(row["Indicator"])
            if drug is None:
                continue
            value = float(row["Total Deaths"]) if row["Total Deaths"].strip() else None
            year = int(row["Year"])
            if row["State Name"] == "New York City":
                nyc[(year, drug)] = value
            elif row["State Name"] in abbr:
                raw[(year, abbr[row["State Name"]], drug)] = value
    for (year, drug), value in nyc.items():
        state = raw.get((year, "NY", drug))
        raw[(year, "NY", drug)] = None if state is None or value is None else state + value
    return raw


def by_day(rows: pd.DataFrame, step: int = 7) -> pd.DataFrame:
    """Each step's row as one row a day holding an even share of its value (a daily rate)."""
    days = (np.repeat(rows["date"].to_numpy(), step)
            + np.tile(np.arange(step), len(rows)) * np.timedelta64(1, "D"))
    return rows.loc[rows.index.repeat(step)].assign(
        date=days, value=np.repeat(rows["value"].to_numpy(), step) / step)


def annual_from_parquet(path: Path, metric: str = "expected_deaths") -> pd.DataFrame:
    """Sum a people death metric by calendar year, drug and state straight from the parquet.

    Day by day: a week that straddles New Year counts in each year by its days there.
    """
    frame = pd.read_parquet(path)
    rows = by_day(frame[(frame["module"] == "people") & (frame["metric"] == metric)])
    return rows.groupby([rows["date"].dt.year.rename("year"), "drug", "state"])["value"].sum()


def page_numbers(page: str) -> dict:
    """The JSON the page embeds."""
    match = re.search(rf'<script type="application/json" id="{DATA_ID}">(.*?)</script>', page,
                      re.S)
    assert match, "report has no embedded numbers"
    return json.loads(match.group(1).replace("<\\/", "</"))


def row_values(page: str, table: str, attr: str, key: str) -> list[float | None]:
    """The ``data-value`` numbers of one row of a table of the page."""
    body = re.search(rf'<table id="{table}">(.*?)</table>', page, re.S).group(1)
    row = re.search(rf'<tr {attr}="{re.escape(key)}">(.*?)</tr>', body, re.S).group(1)
    return [float(v) if v else None for v in re.findall(r'data-value="([^"]*)"', row)]


@pytest.fixture(scope="module")
def short_run(atlas_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default run 2015–2017 (seed 1, 1:100) in a run folder, with its report written."""
    out = tmp_path_factory.mktemp("report") / "run"
    sim = build_default_sim(Atlas.open(atlas_store), seed=1, end="2017-12-31")
    execute_run(sim, out, scenario="default", scale=100, command=["narcosim", "run"],
                summarize=summarize, data=data_provenance(atlas_store))
    write_run_report(out, Atlas.open(atlas_store))
    return out


def test_national_numbers_equal_parquet_and_cdc_csv(short_run: Path, data_dir: Path) -> None:
    page = (short_run / REPORT).read_text(encoding="utf-8")
    numbers = page_numbers(page)
    cdc = cdc_from_csv(data_dir)
    expected = annual_from_parquet(short_run / "results.parquet")
    assert numbers["years"] == [2015, 2016, 2017]
    assert numbers["fit_years"] == [2015, 2016, 2017]
    national = {(r["drug"], r["year"]): r for r in numbers["national"]}
    assert len(national) == 12
    for year in (2015, 2016, 2017):
        cells = row_values(page, "national-table", "data-year", str(year))
        assert len(cells) == 12
        for d, drug in enumerate(DRUGS):
            sim = float(expected.loc[year, drug].sum())
            want_cdc = cdc[(year, "US", drug)]
            r = national[(drug, year)]
            assert r["cdc"] == want_cdc
            assert r["simulated"] == pytest.approx(sim, rel=1e-12)
            assert r["error"] == pytest.approx(sim / want_cdc - 1, rel=1e-12)
            # the table shows the same numbers as the embedded data
            assert cells[3 * d:3 * d + 3] == pytest.approx([want_cdc, sim, sim / want_cdc - 1])


def test_chart_draws_parquet_sums_and_cdc_points(short_run: Path, data_dir: Path) -> None:
    page = (short_run / REPORT).read_text(encoding="utf-8")
    cdc = cdc_from_csv(data_dir)
    realised = annual_from_parquet(short_run / "results.parquet", "deaths")
    # the chart's data are plain lists in the page: find the realised fentanyl series
    fig = re.search(r'Plotly\.newPlot\(\s*"deaths-chart",\s*(\[.*?\]),\s*\{"', page, re.S)
    traces = json.loads(fig.group(1))
    by_kind = {(t["meta"]["drug"], t["meta"]["kind"]): t for t in traces}
    assert {k for _, k in by_kind} == {"expected", "realised", "cdc"}  # no bands: one run
    for drug in DRUGS:
        assert by_kind[(drug, "realised")]["x"] == [2015, 2016, 2017]
        assert by_kind[(drug, "realised")]["y"] == pytest.approx(
            [float(realised.loc[y, drug].sum()) for y in (2015, 2016, 2017)], rel=1e-12)
        assert by_kind[(drug, "cdc")]["x"] == list(range(2015, 2024))
        assert by_kind[(drug, "cdc")]["y"] == [cdc[(y, "US", drug)] for y in range(2015, 2024)]


def test_maps_rates_follow_deaths_and_withheld_stay_blank(short_run: Path,
                                                          data_dir: Path) -> None:
    numbers = page_numbers((short_run / REPORT).read_text(encoding="utf-8"))
    cdc = cdc_from_csv(data_dir)
    expected = annual_from_parquet(short_run / "results.parquet")
    year = numbers["map_year"]
    assert year == 2017  # 2023 is not in a 2015–2017 run: the latest year CDC and run share
    for drug in ("all_drugs", "fentanyl"):
        sim = numbers["maps"][f"map-{drug}-simulated"]
        rep = numbers["maps"][f"map-{drug}-cdc"]
        assert len(sim) == len(rep) == 51
        for state in sim:
            want = cdc.get((year, state, drug))  # no row: withheld too
            if want is None:
                assert rep[state] is None  # withheld, never 0
                continue
            # same population under both maps: the rate ratio is the deaths ratio
            ratio = float(expected.loc[year, drug, state]) / want
            assert sim[state] / rep[state] == pytest.approx(ratio, rel=1e-9)
    assert any(v is None for v in numbers["maps"]["map-fentanyl-cdc"].values())


def test_fit_table_agrees_with_calibration_on_independent_arrays(short_run: Path,
                                                                  data_dir: Path,
                                                                  atlas_store: Path) -> None:
    page = (short_run / REPORT).read_text(encoding="utf-8")
    numbers = page_numbers(page)
    cdc = cdc_from_csv(data_dir)
    expected = annual_from_parquet(short_run / "results.parquet")
    years = (2015, 2016, 2017)
    states = sorted(expected.index.get_level_values("state").unique())
    assert len(states) == 51
    sim = np.array([[[expected.loc[y, d, s] for s in states] for y in years] for d in DRUGS])
    nat = np.array([[cdc[(y, "US", d)] for y in years] for d in DRUGS], dtype=float)
    by_state = np.array([[[np.nan if cdc.get((y, s, d)) is None else cdc[(y, s, d)]
                           for s in states] for y in years] for d in DRUGS])
    want = fit_table(sim, DeathTargets(years, DRUGS, nat, by_state))
    got = pd.DataFrame(numbers["fit"])
    assert list(got["drug"]) == list(DRUGS)
    for col in ("mape", "worst_year_error", "r2_state_year"):
        assert got[col].to_numpy() == pytest.approx(want[col].to_numpy(), rel=1e-9), col
    assert list(got["state_years"]) == list(want["state_years"])
    # the worst year is the year of the largest national error
    ape = np.abs(sim.sum(axis=2) / nat - 1)
    assert list(got["worst_year"]) == [years[i] for i in ape.argmax(axis=1)]
    # the public helper on the results frame gives the same table
    frame = pd.read_parquet(short_run / "results.parquet")
    helper = fit_table_from_frame(frame, Atlas.open(atlas_store))
    assert helper["mape"].to_numpy() == pytest.approx(want["mape"].to_numpy(), rel=1e-9)
    # and the page's table rows show those numbers, one row per drug
    for r in want.itertuples():
        cells = row_values(page, "fit-table", "data-drug", r.drug)
        assert cells == pytest.approx([r.mape, r.worst_year_error, r.r2_state_year,
                                       r.state_years])


def test_page_is_self_contained(short_run: Path) -> None:
    page = (short_run / REPORT).read_text(encoding="utf-8")
    assert page.count("Plotly.newPlot(") == 5  # the chart and four maps
    assert len(re.findall(r"define\(\"plotly\"|var Plotly=|\*\s*plotly\.js v", page)) >= 1
    assert len(page) < 8 * 2**20  # one copy of plotly.js (about 4.6 MB), not one per figure
    assert re.search(r"<script[^>]+src=", page) is None
    assert re.search(r"<link[^>]+href=\"https?:", page) is None
    assert "window.PlotlyGeoAssets" in page
    assert page.index("window.PlotlyGeoAssets") < page.index("Plotly.newPlot(")


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    import narcosim.cli.report_cmd  # noqa: F401  (registers the command)
    from narcosim.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out = capsys.readouterr()
    return exit_info.value.code or 0, out.out, out.err


def test_cli_rewrites_the_report(short_run: Path, atlas_store: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    copy = tmp_path / "run"
    shutil.copytree(short_run, copy)
    before = page_numbers((copy / REPORT).read_text(encoding="utf-8"))
    (copy / REPORT).unlink()
    code, out, _ = _cli(["report", str(copy), "--store", str(atlas_store), "--year", "2016"],
                        capsys)
    assert code == 0
    assert "wrote" in out
    after = page_numbers((copy / REPORT).read_text(encoding="utf-8"))
    assert after["map_year"] == 2016
    assert after["fit"] == before["fit"]
    assert after["national"] == before["national"]


@pytest.mark.parametrize("case", ["missing", "file", "no_results", "not_a_run", "bad_year"])
def test_cli_bad_input_is_one_line_exit_2(case: str, short_run: Path, atlas_store: Path,
                                          tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "target"
    extra: list[str] = []
    if case == "file":
        target.write_text("not a folder\n")
    elif case == "no_results":
        shutil.copytree(short_run, target)
        (target / "results.parquet").unlink()
    elif case == "not_a_run":
        target.mkdir()
        (target / "notes.txt").write_text("hello\n")
    elif case == "bad_year":
        target = short_run
        extra = ["--year", "2023"]
    code, _, err = _cli(["report", str(target), "--store", str(atlas_store), *extra], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    if case != "bad_year":
        assert str(target) in lines[0]
    if case == "no_results":
        assert "results.parquet" in lines[0]
    if case == "bad_year":
        assert "--year 2023" in lines[0]


def test_cli_exit_code_through_a_process(tmp_path: Path, atlas_store: Path) -> None:
    code = ("import sys, narcosim.cli.report_cmd; from narcosim.cli import main; "
            "main(sys.argv[1:])")
    proc = subprocess.run([sys.executable, "-c", code, "report", str(tmp_path / "nothing"),
                           "--store", str(atlas_store)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: no run folder at {tmp_path / 'nothing'}"


@pytest.mark.browser
def test_report_opens_offline_with_charts_map_and_tables(short_run: Path) -> None:
    from browser import open_local

    with open_local(short_run / REPORT) as view:
        page = view.page
        page.wait_for_selector("#map-fentanyl-cdc path.choroplethlocation")
        maps = page.evaluate("""() => Object.fromEntries(
            [...document.querySelectorAll('.plotly-graph-div')].filter(d => d.id.startsWith('map-'))
            .map(d => [d.id, d.querySelectorAll('path.choroplethlocation').length]))""")
        assert maps == {f"map-{d}-{k}": 51 for d in ("all_drugs", "fentanyl")
                        for k in ("simulated", "cdc")}
        drawn = page.evaluate("""() => {
            const div = document.getElementById('deaths-chart');
            const traces = [...div.querySelectorAll('.scatterlayer .trace')];
            return div.data.map((t, i) => ({drug: t.meta.drug, kind: t.meta.kind,
                lines: traces[i].querySelectorAll('path.js-line').length,
                points: traces[i].querySelectorAll('path.point').length}));
        }""")
        for drug in DRUGS:
            got = {t["kind"]: t for t in drawn if t["drug"] == drug}
            assert got["expected"]["lines"] == 1 and got["realised"]["lines"] == 1
            assert got["cdc"]["points"] == 9  # CDC 2015–2023
        rows = page.locator("#fit-table tbody tr")
        assert rows.count() == 4
        assert rows.nth(0).locator("td").nth(0).inner_text().startswith("Fentanyl")
        assert view.blocked == []
        assert view.console_errors == []


@pytest.mark.slow
def test_full_run_maps_2023_against_census(atlas_store: Path, data_dir: Path,
                                           tmp_path: Path) -> None:
    out = tmp_path / "full"
    sim = build_default_sim(Atlas.open(atlas_store), seed=2)
    execute_run(sim, out, scenario="default", scale=100, command=["narcosim", "run"],
                summarize=summarize, data=data_provenance(atlas_store))
    numbers = page_numbers(write_run_report(out, Atlas.open(atlas_store)).read_text("utf-8"))
    assert numbers["years"] == list(range(2015, 2027))
    assert numbers["fit_years"] == list(range(2015, 2024))
    assert numbers["map_year"] == 2023
    with (data_dir / "state_reference.csv").open(newline="", encoding="utf-8") as handle:
        pop = {r["state_abbr"]: float(r["pop_2023"]) for r in csv.DictReader(handle)}
    cdc = cdc_from_csv(data_dir)
    expected = annual_from_parquet(out / "results.parquet")
    sim_map = numbers["maps"]["map-all_drugs-simulated"]
    cdc_map = numbers["maps"]["map-fentanyl-cdc"]
    for state in ("WV", "CA", "TX", "NY"):
        assert sim_map[state] == pytest.approx(
            float(expected.loc[2023, "all_drugs", state]) / pop[state] * 1e5, rel=1e-9)
        want = cdc.get((2023, state, "fentanyl"))
        assert cdc_map[state] == (None if want is None else pytest.approx(
            want / pop[state] * 1e5, rel=1e-9))
    # seizures: complete fiscal years FY2016–FY2026 per drug, CBP beside FY2019–FY2023
    seiz = pd.DataFrame(numbers["seizures"])
    assert sorted(seiz["fiscal_year"].unique()) == list(range(2016, 2027))
    assert seiz["cbp_kg"].notna().sum() == 15


@pytest.mark.slow
def test_ensemble_bands_are_quantiles_of_member_totals(short_run: Path, atlas_store: Path,
                                                       tmp_path: Path) -> None:
    from narcosim.run.ensemble import EnsembleSpec, run_ensemble

    folder = tmp_path / "ens"
    result = run_ensemble(EnsembleSpec(store=str(atlas_store), end="2016-12-31"), 3, 7,
                          out_dir=folder, workers=2)
    page = write_run_report(folder, Atlas.open(atlas_store)).read_text(encoding="utf-8")
    numbers = page_numbers(page)
    assert numbers["kind"] == "ensemble" and numbers["years"] == [2015, 2016]
    members = [annual_from_parquet(p) for p in result.member_files()]
    fig = re.search(r'Plotly\.newPlot\(\s*"deaths-chart",\s*(\[.*?\]),\s*\{"', page, re.S)
    traces = {(t["meta"]["drug"], t["meta"]["kind"]): t for t in json.loads(fig.group(1))}
    for drug in DRUGS:
        totals = np.array([[m.loc[y, drug].sum() for y in (2015, 2016)] for m in members])
        assert traces[(drug, "band_low")]["y"] == pytest.approx(
            np.quantile(totals, 0.05, axis=0), rel=1e-12)
        assert traces[(drug, "band_high")]["y"] == pytest.approx(
            np.quantile(totals, 0.95, axis=0), rel=1e-12)
        assert traces[(drug, "expected")]["y"] == pytest.approx(totals.mean(axis=0), rel=1e-12)
    # the fit table is the fit of the members' mean
    national = {(r["drug"], r["year"]): r["simulated"] for r in numbers["national"]}
    assert national[("fentanyl", 2016)] == pytest.approx(
        np.mean([m.loc[2016, "fentanyl"].sum() for m in members]), rel=1e-12)
    # a single run with --bands from this ensemble: bands over the years both cover
    single = tmp_path / "single"
    shutil.copytree(short_run, single)
    numbers = page_numbers(write_run_report(single, Atlas.open(atlas_store), bands=folder)
                           .read_text(encoding="utf-8"))
    assert numbers["years"] == [2015, 2016] and numbers["kind"] == "run"
