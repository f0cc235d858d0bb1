"""Comparisons with common random numbers (issue 5, item 5).

One comparison is run per module (baseline, a border surge at the San Diego field office, and
an arm whose interventions never act), 3 members each, on the real data, 2015 only, at 1:1000;
the checks recompute its figures by hand from the member files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narcosim.analysis.compare import (
    COMPARISON_JSON,
    COMPARISON_PARQUET,
    MEMBERS_PARQUET,
    compare,
)
from narcosim.atlas.store import Atlas
from narcosim.errors import ParameterError
from narcosim.report.compare_report import COMPARE_HTML, write_compare_report
from narcosim.run.member import member_seeds

SEED, RUNS, SCALE, END = 7, 3, 1000, "2015-09-30"
SURGE_START = "2015-03-01"
SD = "SAN DIEGO FIELD OFFICE"
SURGE = f"""
[scenario]
name = "San Diego surge"

[[interventions]]
kind = "border_surge"
start = {SURGE_START}
end = 2015-08-31
intensity = 3.0
annual_cost = 120_000_000.0
target = {{ field_offices = ["San Diego"] }}
"""
# Two levers that never act: intensity 0, and dates after the run ends.
IDLE = """
[scenario]
name = "Idle levers"

[[interventions]]
kind = "naloxone"
start = 2015-03-01
end = 2015-09-30
intensity = 0.0
annual_cost = 50_000_000.0

[[interventions]]
kind = "border_surge"
start = 2020-01-01
end = 2020-12-31
intensity = 5.0
annual_cost = 80_000_000.0
target = { field_offices = ["San Diego"] }
"""


def scenario_files(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "surge.toml").write_text(SURGE, encoding="utf-8")
    (folder / "idle.toml").write_text(IDLE, encoding="utf-8")
    return ["status_quo", str(folder / "surge.toml"), str(folder / "idle.toml")]


def run_compare(store: Path, scenarios: list[str], out: Path):
    return compare(scenarios, RUNS, SEED, out_dir=out, scale=SCALE, end=END, store=store,
                   workers=2)


@pytest.fixture(scope="module")
def comparison(atlas_store, tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    scenarios = scenario_files(root / "scenarios")
    result = run_compare(atlas_store, scenarios, root / "out")
    write_compare_report(result.out_dir, result.data, result.summary, Atlas.open(atlas_store))
    return result, scenarios


def read_metric(path: Path, metric: str) -> pd.DataFrame:
    frame = pd.read_parquet(path, filters=[("metric", "=", metric)])
    return frame[frame["date"] >= pd.Timestamp(SURGE_START)]


def test_members_share_seeds_across_arms(comparison):
    result, _ = comparison
    seeds = member_seeds(SEED, RUNS)
    assert list(result.runs.seeds) == seeds
    for folder in result.runs.folders:
        recorded = [json.loads((folder / "runs" / f"run-{i:04d}.json").read_text())["seed"]
                    for i in range(RUNS)]
        assert recorded == seeds
    assert result.data["window"] == {"from": SURGE_START, "to": "2015-09-24"}


def test_idle_interventions_avert_exactly_zero(comparison):
    result, _ = comparison
    members = result.members
    idle = members[members["arm"] == "idle"]
    assert len(idle) > 0 and set(idle["member"]) == set(range(RUNS))
    ratios = idle["measure"].str.startswith("cost_per_")
    assert (idle[~ratios]["effect"] == 0.0).all()
    assert idle[ratios]["effect"].isna().all()
    averted = idle[(idle["measure"] == "deaths_averted") & (idle["level"] == "national")]
    # not vacuous: people die in every member's baseline (counted deaths at this small scale
    # can be zero for one drug, so all drugs together)
    assert (averted[averted["drug"] == "all_drugs"]["baseline"] > 0).all()
    assert len(averted[averted["drug"] == "all_drugs"]) == RUNS
    # Every member's raw results are bit-identical to the baseline's, metric by metric.
    for i in range(RUNS):
        base = pd.read_parquet(result.runs.files[0][i])
        arm = pd.read_parquet(result.runs.files[2][i])
        arm = arm[~arm["module"].str.startswith("intervention")].reset_index(drop=True)
        pd.testing.assert_frame_equal(base, arm, check_exact=True)
    assert result.data["results"]["idle"]["cost"]["per_death_averted_display"] == "n/a"
    supply = result.data["results"]["idle"]["supply"]
    assert all(not part["gained"] and not part["lost"] for part in supply.values())


def test_surge_displaces_flow_to_other_field_offices(comparison):
    result, _ = comparison
    s = result.summary
    fo = s[(s["arm"] == "surge") & (s["measure"] == "crossing_kg")
           & (s["level"] == "field_office") & (s["drug"] == "all_drugs")].set_index("key")
    assert fo.loc[SD, "mean"] < 0
    gainers = set(fo.index[fo["mean"] > 0])
    assert gainers and SD not in gainers
    listed = result.data["results"]["surge"]["supply"]["crossing_kg_by_field_office"]
    assert {g["key"] for g in listed["gained"]} == gainers
    # displaced kg per member = the positive changes summed by hand from the member files
    ports = pd.read_parquet(result.runs.files[0][0], columns=["port"]).dropna()
    assert len(ports)
    members = result.members
    for i in range(RUNS):
        by_fo = []
        for a in (0, 1):
            frame = read_metric(result.runs.files[a][i], "crossing_kg")
            by_fo.append(frame.groupby("port")["value"].sum())
        change = by_fo[1] - by_fo[0]
        port_rows = members[(members["arm"] == "surge") & (members["member"] == i)
                            & (members["measure"] == "crossing_kg")
                            & (members["level"] == "port") & (members["drug"] == "all_drugs")]
        got = port_rows.set_index("key")["effect"].sort_index()
        np.testing.assert_allclose(got.to_numpy(), change.sort_index().to_numpy(),
                                   rtol=1e-12, atol=1e-9)
    html = (result.out_dir / COMPARE_HTML).read_text("utf-8")
    listed_html = set(re.findall(r'data-arm="surge" data-level="field office" '
                                 r'data-key="([^"]+)"', html))
    assert listed_html == gainers


def test_cost_per_death_averted_by_hand(comparison):
    result, _ = comparison
    costs, averted, expected = [], [], []
    for i in range(RUNS):
        cost = read_metric(result.runs.files[1][i], "cost_usd")
        costs.append(float(cost[cost["module"].str.startswith("intervention")]["value"].sum()))
        for metric, out in (("deaths", averted), ("expected_deaths", expected)):
            deaths = []
            for a in (0, 1):
                d = read_metric(result.runs.files[a][i], metric)
                deaths.append(float(d[d["drug"] == "all_drugs"]["value"].sum()))
            out.append(deaths[0] - deaths[1])
    # 120 M$/year, weekly steps from 2015-03-05 to 2015-08-27 (26 weeks), 7/365.25 each
    assert costs[0] == pytest.approx(120e6 * 26 * 7 / 365.25, rel=1e-12)
    assert min(expected) > 0  # the surge averts deaths in every member
    m = result.members
    summary = result.data["results"]["surge"]["cost"]
    assert summary["incremental_usd"]["mean"] == pytest.approx(np.mean(costs), rel=1e-12)
    for key, by_hand in (("death_averted", averted), ("expected_death_averted", expected)):
        rows = m[(m["arm"] == "surge") & (m["measure"] == f"cost_per_{key}")]
        for i in range(RUNS):
            got = float(rows[rows["member"] == i]["effect"].iloc[0])
            if by_hand[i] > 0:
                assert got == pytest.approx(costs[i] / by_hand[i], rel=1e-12)
            else:
                assert np.isnan(got)
        mean_averted = float(np.mean(by_hand))
        if mean_averted > 0:
            assert summary[f"per_{key}"]["mean"] == pytest.approx(
                np.mean(costs) / mean_averted, rel=1e-12)
        else:
            assert summary[f"per_{key}_display"] == "n/a"


def test_interval_is_numpy_percentiles_of_paired_differences(comparison):
    result, _ = comparison
    m, s = result.members, result.summary
    keys = ["arm", "measure", "level", "key", "drug"]
    checked = 0
    for key, rows in m.groupby(keys, sort=False):
        values = rows.sort_values("member")["effect"].to_numpy()
        if np.isnan(values).any():
            continue
        row = s[(s[keys] == pd.Series(key, index=keys)).all(axis=1)].iloc[0]
        p5, p95 = np.percentile(values, [5, 95])
        assert (row["p5"], row["p95"]) == (p5, p95)
        if not key[1].startswith("cost_per_"):  # those: ratio of means (see the cost test)
            assert row["mean"] == values.mean()
        checked += 1
    assert checked > 1000
    # the stored summary is what the files hold
    on_disk = pd.read_parquet(result.out_dir / COMPARISON_PARQUET)
    pd.testing.assert_frame_equal(on_disk, result.summary, check_exact=True)


def test_same_seed_same_comparison(comparison, atlas_store, tmp_path):
    result, scenarios = comparison
    again = run_compare(atlas_store, scenarios, tmp_path / "again")
    assert len(again.runs.ran) == RUNS * 3
    first = (result.out_dir / COMPARISON_JSON).read_text("utf-8")
    assert (tmp_path / "again" / COMPARISON_JSON).read_text("utf-8") == first
    for name in (COMPARISON_PARQUET, MEMBERS_PARQUET):
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "again" / name),
                                      pd.read_parquet(result.out_dir / name), check_exact=True)
    # a rerun into the same folder resumes: nothing is run, the figures are the same
    resumed = run_compare(atlas_store, scenarios, result.out_dir)
    assert resumed.runs.ran == () and len(resumed.runs.skipped) == RUNS * 3
    assert (result.out_dir / COMPARISON_JSON).read_text("utf-8") == first


def test_window_and_argument_errors(comparison, atlas_store, tmp_path):
    _, scenarios = comparison
    out = tmp_path / "x"
    cases = [
        (scenarios[:1], 2, {}, "at least 2 scenarios"),
        (scenarios, 0, {}, "--runs 0"),
        (["status_quo", "no_such_scenario"], 2, {}, "unknown scenario 'no_such_scenario'"),
        (scenarios, 2, {"window_from": "2015-06-01", "window_to": "2015-05-01"},
         "before --from"),
        (scenarios, 2, {"window_from": "2015-13-01"}, "--from '2015-13-01'"),
    ]
    for refs, runs, kwargs, message in cases:
        with pytest.raises(ParameterError, match=re.escape(message)):
            compare(refs, runs, SEED, out_dir=out, scale=SCALE, end=END, store=atlas_store,
                    **kwargs)
    assert not out.exists()
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    (stranger / "notes.txt").write_text("not a comparison")
    with pytest.raises(ParameterError, match="not a comparison folder"):
        compare(scenarios, 2, SEED, out_dir=stranger, scale=SCALE, end=END, store=atlas_store)
    # the fixture's folder holds seed 7: another seed is refused before anything runs
    result, _ = comparison
    with pytest.raises(ParameterError, match="different settings or seed; use --force"):
        compare(scenarios, RUNS, SEED + 1, out_dir=result.out_dir, scale=SCALE, end=END,
                store=atlas_store)


def test_fewer_than_five_members_print_no_interval(comparison):
    result, _ = comparison
    stat = result.data["results"]["surge"]["deaths_averted"]["expected_national"]["all_drugs"]
    assert stat["n"] == RUNS and RUNS < 5
    assert (stat["p5"], stat["p95"], stat["interval"]) == (None, None, "n too small")
    assert stat["mean_p5"] <= stat["mean"] <= stat["mean_p95"]  # the bootstrap is kept
    html = (result.out_dir / COMPARE_HTML).read_text("utf-8")
    assert "(n too small)" in html and "rerun with more --runs" in html
    s = result.summary  # the parquet keeps the raw percentiles, with n
    rows = s[(s["arm"] == "surge") & (s["measure"] == "expected_deaths_averted")]
    assert (rows["n"] == RUNS).all() and rows["p5"].notna().all()


def test_costs_without_a_range_are_drawn_exactly(comparison):
    result, _ = comparison
    m = result.members
    surge = m[(m["arm"] == "surge") & (m["level"] == "national")]
    drawn = surge[surge["measure"] == "cost_usd"].sort_values("member")["effect"]
    booked = surge[surge["measure"] == "cost_booked_usd"].sort_values("member")["effect"]
    assert len(drawn) == RUNS and (drawn.to_numpy() > 0).all()
    np.testing.assert_array_equal(drawn.to_numpy(), booked.to_numpy())
