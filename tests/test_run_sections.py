"""The run page's publishable parts: the answer first, the projection marked, supply by cartel,
faction, drug and port, the scenario's levers and the assumptions.

Expected values are recomputed here from ``results.parquet`` with their own day weights, not
with the report's helpers.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from narcosim.atlas.store import Atlas
from narcosim.model.builder import build_default_sim, summarize
from narcosim.report.rounding import fmt_number
from narcosim.report.run_report import write_run_report
from narcosim.report.run_sections import scenario_section
from narcosim.run.job import execute_run
from narcosim.run.manifest import data_provenance

END_YEAR = 2024  # one year past CDC's last (2023): a projection to shade


@pytest.fixture(scope="module")
def projected_run(atlas_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sections") / "run"
    sim = build_default_sim(Atlas.open(atlas_store), seed=2, scale=5000,
                            end=f"{END_YEAR}-12-31")
    execute_run(sim, out, scenario="default", scale=5000, command=["narcosim", "run"],
                summarize=summarize, data=data_provenance(atlas_store))
    write_run_report(out, Atlas.open(atlas_store))
    return out


def day_weighted(rows: pd.DataFrame, year: int, step_days: int = 7) -> pd.DataFrame:
    """Each row's value times the share of its step's days inside ``year``."""
    first = pd.to_datetime(rows["date"]).dt.date
    jan1, next_jan1 = date(year, 1, 1), date(year + 1, 1, 1)

    def share(d: date) -> float:
        end = d + timedelta(days=step_days)
        inside = (min(end, next_jan1) - max(d, jan1)).days
        return max(inside, 0) / step_days

    return rows.assign(value=rows["value"] * first.map(share))


def _results(folder: Path, metric: str) -> pd.DataFrame:
    frame = pd.read_parquet(folder / "results.parquet")
    return frame[frame["metric"] == metric]


def _figure(page: str, div_id: str) -> tuple[list, dict]:
    """The data and layout a ``Plotly.newPlot`` call on the page draws into ``div_id``."""
    decoder = json.JSONDecoder()
    start = re.search(rf'Plotly\.newPlot\(\s*"{div_id}",\s*', page).end()
    data, end = decoder.raw_decode(page, start)
    start = re.compile(r",\s*").match(page, end).end()
    layout, _ = decoder.raw_decode(page, start)
    return data, layout


def test_opening_sentence_answers_with_rounded_figures(projected_run: Path) -> None:
    page = (projected_run / "report.html").read_text("utf-8")
    deaths = _results(projected_run, "expected_deaths")
    weighted = day_weighted(deaths, END_YEAR)
    total = weighted.loc[weighted["drug"] == "all_drugs", "value"].sum()
    fentanyl = weighted.loc[weighted["drug"] == "fentanyl", "value"].sum()
    lead = re.search(r'<p class="lead" id="answer">(.*?)</p>', page, re.S).group(1)
    assert f"projects {fmt_number(total)} overdose deaths in {END_YEAR}" in lead
    assert f"{fmt_number(fentanyl)} of them involving fentanyl" in lead
    assert "CDC data end in 2023" in lead and "(no interventions)" in lead
    assert page.index('id="answer"') < page.index("<table")  # the answer comes first


def test_projection_is_shaded_and_every_axis_titled(projected_run: Path) -> None:
    page = (projected_run / "report.html").read_text("utf-8")
    _, layout = _figure(page, "deaths-chart")
    rects = [s for s in layout["shapes"] if s["type"] == "rect"]
    lines = [s for s in layout["shapes"] if s["type"] == "line"]
    assert len(rects) == 4 and len(lines) == 4  # one per panel
    assert all(r["x0"] == 2023.5 and r["x1"] == END_YEAR + 0.5 for r in rects)
    assert all(line["x0"] == line["x1"] == 2023.5 for line in lines)
    axes = [k for k in layout if re.fullmatch(r"[xy]axis\d*", k)]
    assert len(axes) == 8
    for key in axes:
        title = layout[key]["title"]["text"]
        assert title in ("calendar year", "deaths per year (count)"), key


def test_supply_by_faction_and_port_matches_the_results(projected_run: Path,
                                                        atlas_store: Path) -> None:
    page = (projected_run / "report.html").read_text("utf-8")
    ops = day_weighted(_results(projected_run, "operator_port_kg"), END_YEAR)
    by_op = ops.groupby("operator")["value"].sum()
    rows = re.findall(r'<tr data-cartel="([^"]+)"><td>[^<]*</td><td>([^<]*)</td>'
                      r'<td class="n">([^<]*)</td>', page)
    shown = {(c, f): t for c, f, t in rows}
    assert {f for c, f in shown if c == "sinaloa"} == {"chapitos", "mayo", "guano",
                                                       "caro_quintero"}
    for operator, kg in by_op.items():
        cartel, _, faction = str(operator).partition(".")
        assert shown[(cartel, faction or "(one organisation)")] == fmt_number(kg / 1000)
    crossing = day_weighted(_results(projected_run, "crossing_kg"), END_YEAR)
    fent = crossing[crossing["drug"] == "fentanyl"].groupby("port")["value"].sum()
    top_code = str(fent.idxmax())
    ports = Atlas.open(atlas_store).table("ports")
    name = ports.loc[ports["port_code"].astype(str) == top_code, "port_name"].iloc[0]
    first = re.search(r'<tr data-drug="fentanyl"><td>[^<]*</td><td>([^<]*)</td>'
                      r'<td class="n">([^<]*)</td>', page)
    assert first.group(1).startswith(f"{name} (") and top_code in first.group(1)
    assert first.group(2) == fmt_number(fent.max())
    presence = _results(projected_run, "presence")
    presence = presence[pd.to_datetime(presence["date"]).dt.year == END_YEAR]
    last = presence[presence["date"] == presence["date"].max()]
    counts = (last["value"] > 0).groupby(last["cartel"]).sum()
    assert (f"sinaloa in {counts['sinaloa']}, cjng in {counts['cjng']}, independents in "
            f"{counts['independents']}.") in page


def test_assumptions_and_sources_are_listed(projected_run: Path) -> None:
    page = (projected_run / "report.html").read_text("utf-8")
    table = re.search(r'<table id="assumptions-model">.*?</table>', page, re.S).group(0)
    assert table.count("<tr data-module=") > 10
    assert table.count("<strong>guess</strong>") == table.count("<tr data-module=")
    assert 'id="sources"' in page and "CDC/NCHS VSRR" in page


def test_scenario_section_lists_each_intervention() -> None:
    meta = {"scenario": "surge.toml", "scenario_file": {"resolved": {
        "scenario": {"name": "San Diego surge", "description": "More inspections."},
        "interventions": [{"kind": "border_surge", "label": "border surge",
                           "start": "2024-01-01", "end": "2026-12-31", "intensity": 2.0,
                           "target": {"field_offices": ["San Diego", "Tucson"]}}]}}}
    section = scenario_section(meta)
    assert "Scenario: San Diego surge" in section and "More inspections." in section
    row = re.search(r'<table id="interventions">.*?<tbody>(.*?)</tbody>', section, re.S)
    assert row.group(1).count("<tr>") == 1
    assert "2024-01-01 to 2026-12-31" in row.group(1)
    assert "field offices: San Diego, Tucson" in row.group(1)
    empty = scenario_section({"scenario": "default"})
    assert "No interventions" in empty
