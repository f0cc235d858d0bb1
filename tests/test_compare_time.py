"""The comparison page over time, by lever, by cartel and faction, and by port.

One small comparison (status quo, a border surge, naloxone, and both together; three members,
2015–2016 at 1:5000) is run once; expected values are recomputed from the members' parquet
files with the test's own day weights.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narcosim.cli import main
from narcosim.report.compare_time import averted_chart, lever_arms
from narcosim.report.rounding import fmt_interval, fmt_number

SURGE = """
[[interventions]]
kind = "border_surge"
start = 2015-03-01
end = 2016-10-31
intensity = 3.0
annual_cost = 120_000_000.0
annual_cost_range = [60_000_000.0, 240_000_000.0]
cost_source = "guess: a few hundred officers"
target = { field_offices = ["San Diego"] }
"""
NALOXONE = """
[[interventions]]
kind = "naloxone"
start = 2015-03-01
end = 2016-10-31
intensity = 2.0
unit_cost = 44.99
unit_cost_range = [22.0, 75.0]
cost_source = "Narcan over-the-counter price, 2023"
"""
RUNS = 3
ARMS = ("status_quo", "both", "surge", "naloxone")


@pytest.fixture(scope="module")
def comparison(atlas_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compare-time")
    files = {"surge": ('name = "San Diego surge"', SURGE),
             "naloxone": ('name = "Naloxone for all"', NALOXONE),
             "both": ('name = "Surge and naloxone"', SURGE + NALOXONE)}
    for stem, (head, body) in files.items():
        (root / f"{stem}.toml").write_text(f"[scenario]\n{head}\n{body}", encoding="utf-8")
    out = root / "cmp"
    with pytest.raises(SystemExit) as info:
        main(["compare", "status_quo", *(str(root / f"{s}.toml") for s in ARMS[1:]),
              "--runs", str(RUNS), "--seed", "3", "--scale", "5000", "--end", "2016-12-31",
              "--workers", "2", "--out", str(out), "--store", str(atlas_store)])
    assert info.value.code in (0, None)
    return out


def _member(out: Path, arm_index: int, member: int, metric: str) -> pd.DataFrame:
    folder = sorted((out / "arms").glob(f"{arm_index}-*"))[0]
    frame = pd.read_parquet(folder / "runs" / f"run-{member:04d}.parquet")
    return frame[frame["metric"] == metric]


def _year_total(rows: pd.DataFrame, year: int) -> float:
    first = pd.to_datetime(rows["date"]).dt.date

    def share(d: date) -> float:
        inside = (min(d + timedelta(days=7), date(year + 1, 1, 1)) - max(d, date(year, 1, 1)))
        return max(inside.days, 0) / 7

    return float((rows["value"] * first.map(share)).sum())


def _plot(page: str, div_id: str) -> list[dict]:
    start = re.search(rf'Plotly\.newPlot\(\s*"{div_id}",\s*', page).end()
    data, _ = json.JSONDecoder().raw_decode(page, start)
    return data


def test_deaths_averted_per_year_are_paired_member_differences(comparison: Path) -> None:
    page = (comparison / "compare.html").read_text("utf-8")
    traces = {(t["meta"]["arm"], t["meta"]["kind"]): t for t in _plot(page, "averted-by-year")}
    for index, arm in enumerate(ARMS[1:], start=1):
        shown = traces[(arm, "mean")]
        assert shown["x"] == [2015, 2016]
        for k, year in enumerate(shown["x"]):
            diffs = []
            for m in range(RUNS):
                base = _member(comparison, 0, m, "expected_deaths")
                other = _member(comparison, index, m, "expected_deaths")
                diffs.append(_year_total(base[base["drug"] == "all_drugs"], year)
                             - _year_total(other[other["drug"] == "all_drugs"], year))
            assert shown["y"][k] == pytest.approx(np.mean(diffs), rel=1e-9, abs=1e-6)
    assert traces[("naloxone", "mean")]["y"][1] > 0  # naloxone averts deaths


def test_an_arm_with_two_levers_splits_into_levers_alone_and_interaction(comparison) -> None:
    page = (comparison / "compare.html").read_text("utf-8")
    parts = {t["meta"]["lever"]: t for t in _plot(page, "levers-both")}
    assert set(parts) == {"border_surge", "naloxone", "interaction", "total"}
    averted = {t["meta"]["arm"]: t["y"] for t in _plot(page, "averted-by-year")
               if t["meta"]["kind"] == "mean"}
    assert parts["naloxone"]["y"] == pytest.approx(averted["naloxone"])
    assert parts["border_surge"]["y"] == pytest.approx(averted["surge"])
    summed = (np.array(parts["naloxone"]["y"]) + np.array(parts["border_surge"]["y"])
              + np.array(parts["interaction"]["y"]))
    assert summed == pytest.approx(np.array(parts["total"]["y"]))
    assert parts["total"]["y"] == pytest.approx(averted["both"])


def _window_sum(rows: pd.DataFrame, window: dict) -> pd.DataFrame:
    dates = pd.to_datetime(rows["date"])
    return rows[(dates >= pd.Timestamp(window["from"])) & (dates <= pd.Timestamp(window["to"]))]


def test_port_and_faction_tables_name_places_and_match_the_members(comparison: Path) -> None:
    page = (comparison / "compare.html").read_text("utf-8")
    data = json.loads((comparison / "comparison.json").read_text("utf-8"))
    window = data["window"]
    changes = []
    for m in range(RUNS):
        base = _window_sum(_member(comparison, 0, m, "crossing_kg"), window)
        surge = _window_sum(_member(comparison, 2, m, "crossing_kg"), window)
        b = base[base["drug"] == "fentanyl"].groupby("port")["value"].sum()
        s = surge[surge["drug"] == "fentanyl"].groupby("port")["value"].sum()
        changes.append(s - b)
    change = pd.concat(changes, axis=1)
    top = change.mean(axis=1).abs().idxmax()
    values = change.loc[top].to_numpy()
    name = data["port_names"][str(top)]
    row = (f'<tr data-arm="surge" data-drug="fentanyl" data-port="{top}"><td>San Diego surge'
           f"</td><td>")
    at = page.index(row)
    cells = page[at:page.index("</tr>", at)]
    assert f"<td>{name} ({top})</td>" in cells
    assert fmt_interval(values.mean(), np.quantile(values, 0.05),
                        np.quantile(values, 0.95)) in cells
    ops = [_window_sum(_member(comparison, 0, m, "operator_port_kg"), window)
           .groupby("operator")["value"].sum() for m in range(RUNS)]
    mayo = float(np.mean([o["sinaloa.mayo"] for o in ops]))
    at = page.index('<tr data-arm="surge" data-operator="sinaloa.mayo">')
    cells = page[at:page.index("</tr>", at)]
    assert "<td>sinaloa</td><td>mayo</td>" in cells
    assert f'<td class="n">{fmt_number(mayo)}</td>' in cells


def test_projection_after_cdc_data_end_is_shaded() -> None:
    frame = pd.DataFrame({"year": [2022, 2023, 2024, 2025], "mean": [1.0, 2.0, 3.0, 4.0],
                          "low": [0.5, 1.0, 2.0, 3.0], "high": [2.0, 3.0, 4.0, 5.0]})
    fig = averted_chart({"a": frame}, {"a": "A"})
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert [(r.x0, r.x1) for r in rects] == [(2023.5, 2025.5)]
    assert [(v.x0, v.x1) for v in lines] == [(2023.5, 2023.5)]
    assert fig.layout.xaxis.title.text and "(count)" in fig.layout.yaxis.title.text
    within = averted_chart({"a": frame[frame["year"] <= 2023]}, {"a": "A"})
    assert not within.layout.shapes  # nothing projected, nothing shaded


def test_levers_without_their_single_lever_arms_are_not_split() -> None:
    surge = {"kind": "border_surge", "start": "2024-01-01", "end": "2026-12-31",
             "intensity": 1.0, "target": {}}
    naloxone = {"kind": "naloxone", "start": "2024-01-01", "end": "2026-12-31",
                "intensity": 1.0, "target": {}}
    data = {"scenarios": [{"name": "both", "interventions": [surge, naloxone]},
                          {"name": "surge", "interventions": [surge]},
                          {"name": "late", "interventions": [{**naloxone, "start": "2025-01-01"}]}]}
    assert lever_arms(data) == {"both": [("border_surge", "surge"), ("naloxone", "")]}
