"""``narcosim compare`` on the command line, and its page in headless Chromium.

Three arms (the status quo, a San Diego surge whose cost is a guess with a range, and a
naloxone programme whose unit cost is cited with a range), 5 members at 1:5000 over seven
months of 2015: enough members to print 90% intervals, few enough for the fast suite.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from narcosim.cli import main
from narcosim.report.rounding import fmt_money, fmt_number

SD = "SAN DIEGO FIELD OFFICE"
SURGE = """
[scenario]
name = "San Diego surge"

[[interventions]]
kind = "border_surge"
start = 2015-02-01
end = 2015-06-30
intensity = 3.0
annual_cost = 120_000_000.0
annual_cost_range = [60_000_000.0, 240_000_000.0]
cost_source = "guess: a few hundred officers for five months"
target = { field_offices = ["San Diego"] }
"""
NALOXONE = """
[scenario]
name = "Naloxone for all"

[[interventions]]
kind = "naloxone"
start = 2015-02-01
end = 2015-06-30
intensity = 2.0
unit_cost = 44.99
unit_cost_range = [22.0, 75.0]
cost_source = "Narcan over-the-counter price, 2023"
"""
RUNS = 5


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


@pytest.fixture(scope="module")
def cli_comparison(atlas_store, tmp_path_factory):
    root = tmp_path_factory.mktemp("compare-cli")
    surge = root / "surge.toml"
    surge.write_text(SURGE, encoding="utf-8")
    naloxone = root / "naloxone.toml"
    naloxone.write_text(NALOXONE, encoding="utf-8")
    out = root / "out"
    args = ["compare", "status_quo", str(surge), str(naloxone), "--runs", str(RUNS), "--seed",
            "3", "--scale", "5000", "--end", "2015-07-31", "--workers", "2", "--out", str(out),
            "--store", str(atlas_store)]
    return args, out


def test_cli_writes_table_files_and_resumes(cli_comparison, capsys):
    args, out = cli_comparison
    code, stdout, _ = run_cli(args, capsys)
    assert code == 0
    for name in ("comparison.json", "comparison.parquet", "comparison_members.parquet",
                 "compare.html"):
        assert (out / name).is_file()
    data = json.loads((out / "comparison.json").read_text("utf-8"))
    assert data["arms"] == ["status_quo", "surge", "naloxone"]
    assert data["baseline"] == "status_quo"
    assert data["command"][:4] == ["narcosim", "compare", "status_quo", args[2]]
    averted = data["results"]["surge"]["deaths_averted"]["expected_national"]["all_drugs"]
    assert fmt_number(averted["mean"]) in stdout
    assert "San Diego surge" in stdout and "Naloxone for all" in stdout  # titles, not files
    assert "P(San Diego surge averts a death more cheaply than Naloxone for all)" in stdout
    assert f"ran {3 * RUNS}, 0 already done" in stdout
    code, stdout, _ = run_cli(args, capsys)
    assert code == 0 and f"ran 0, {3 * RUNS} already done" in stdout
    assert json.loads((out / "comparison.json").read_text("utf-8")) == data


def test_costs_carry_intervals_and_decisions_add_up(cli_comparison, capsys):
    args, out = cli_comparison
    if not (out / "compare.html").exists():
        assert run_cli(args, capsys)[0] == 0
    data = json.loads((out / "comparison.json").read_text("utf-8"))
    for arm in ("surge", "naloxone"):
        cost = data["results"][arm]["cost"]
        drawn, booked = cost["incremental_usd"], cost["booked_usd"]
        assert drawn["n"] == RUNS and drawn["p5"] < drawn["p95"]  # the range shows
        assert drawn["mean_p5"] < drawn["mean"] < drawn["mean_p95"]
        per_death = cost["per_expected_death_averted"]
        assert per_death["p5"] < per_death["mean"] < per_death["p95"]
    # the surge's booked cost is flat: the same in every member; its drawn cost is not
    booked = data["results"]["surge"]["cost"]["booked_usd"]
    assert booked["p5"] == pytest.approx(booked["p95"], rel=1e-12)
    # every drawn surge cost is its booked cost times a factor within [0.5, 2]
    drawn = data["results"]["surge"]["cost"]["incremental_usd"]
    assert 0.5 * booked["mean"] <= drawn["p5"] and drawn["p95"] <= 2 * booked["mean"]
    [pair] = data["decisions"]["pairwise"]
    assert (pair["arm_a"], pair["arm_b"], pair["n"]) == ("surge", "naloxone", RUNS)
    assert all(0 <= pair[k] <= 1 for k in ("p_a", "p_b", "p_tie"))
    assert pair["p_a"] + pair["p_b"] + pair["p_tie"] == pytest.approx(1.0)
    curve = data["decisions"]["acceptability"]
    assert list(curve["options"]) == ["status_quo", "surge", "naloxone"]
    shares = np.array(list(curve["options"].values()))
    assert np.allclose(shares.sum(axis=0), 1.0)
    assert shares.shape[1] == len(curve["wtp_usd_per_death"])
    html = (out / "compare.html").read_text("utf-8")
    assert 'id="pairwise-table"' in html and 'id="ceac"' in html and 'id="ce-plane"' in html
    assert "<strong>guess</strong>: a few hundred officers for five months" in html
    assert "Narcan over-the-counter price, 2023" in html
    assert "$120M a year, range $60.0M–$240M" in html
    assert "$45.0 per person reached a year (a kit each), range $22.0–$75.0" in html
    assert f"{RUNS} members per scenario, seeds derived from run seed 3" in html
    for seed in data["member_seeds"]:
        assert str(seed) not in html.split('id="narcosim-compare-data"')[0]
    assert fmt_money(drawn["mean"]) in html
    assert "n too small" not in html
    assert re.search(r'id="no-supply-change">[^<]*Naloxone for all', html)


@pytest.mark.browser
def test_compare_page_offline_in_chromium(cli_comparison, capsys):
    from browser import open_local

    args, out = cli_comparison
    page_path = out / "compare.html"
    if not page_path.exists():
        assert run_cli(args, capsys)[0] == 0
    data = json.loads((out / "comparison.json").read_text("utf-8"))
    gained = [g["key"] for g in
              data["results"]["surge"]["supply"]["crossing_kg_by_field_office"]["gained"]]
    assert gained and SD not in gained
    with open_local(page_path) as view:
        page = view.page
        page.wait_for_selector("#map-0 path.choroplethlocation")
        page.wait_for_selector("#deaths-averted-chart g.point")
        n_states = page.locator("#map-0 path.choroplethlocation").count()
        bars = page.evaluate("""() => {
            const gd = document.getElementById('field-office-chart-fentanyl');
            return gd.data.map(t => ({arm: t.meta.arm, x: t.x, y: t.y}));
        }""")
        embedded = json.loads(page.locator("#narcosim-compare-data").text_content())
        plane = page.evaluate("""() => document.getElementById('ce-plane').data.map(
            t => [t.meta.arm, t.x.length])""")
        drawn_points = page.locator("#ce-plane path.point").count()
        ceac = page.evaluate("""() => document.getElementById('ceac').data.map(
            t => t.meta.arm)""")
        pairs = page.locator("#pairwise-table tbody tr").count()
        scales = page.evaluate("""() => [0, 1].map(i => {
            const t = document.getElementById('map-' + i).data[0];
            return [t.zmin, t.zmax, t.colorbar.title.text]; })""")
        rows = page.locator("#gained-table tr[data-level='field office']")
        listed = [rows.nth(i).get_attribute("data-key") for i in range(rows.count())]
        assert view.blocked == []
        assert view.console_errors == []
    assert n_states >= 50
    assert embedded == data
    assert plane == [["surge", RUNS], ["naloxone", RUNS]] and drawn_points == 2 * RUNS
    assert ceac == ["status_quo", "surge", "naloxone"] and pairs == 1
    assert scales[0] == scales[1] and scales[0][0] == -scales[0][1]  # one diverging scale
    assert "per 100k" in scales[0][2]
    assert listed == gained
    [surge] = bars  # naloxone moves no supply: left out of the supply charts, and said so
    assert surge["arm"] == "surge"
    change = dict(zip(surge["x"], surge["y"], strict=True))
    assert change["San Diego"] < 0 and max(change.values()) > 0


@pytest.mark.parametrize(("args", "message"), [
    (["compare", "status_quo"], "at least 2 scenarios"),
    (["compare", "status_quo", "no_such_scenario", "--runs", "1"],
     "unknown scenario 'no_such_scenario'"),
    (["compare", "status_quo", "border_surge", "--runs", "0"], "--runs 0"),
])
def test_cli_bad_arguments_one_line_exit_2(args, message, capsys, tmp_path, atlas_store):
    code, _, stderr = run_cli([*args, "--out", str(tmp_path / "o"), "--store",
                                    str(atlas_store)], capsys)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert re.search(re.escape(message), lines[0])
    assert "Traceback" not in stderr
    assert not (tmp_path / "o").exists()
