"""``narcosim compare`` on the command line, and its page in headless Chromium."""

from __future__ import annotations

import json
import re

import pytest

from narcosim.cli import main

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
target = { field_offices = ["San Diego"] }
"""


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
    out = root / "out"
    args = ["compare", "status_quo", str(surge), "--runs", "2", "--seed", "3", "--scale",
            "1000", "--end", "2015-07-31", "--workers", "2", "--out", str(out), "--store",
            str(atlas_store)]
    return args, out


def test_cli_writes_table_files_and_resumes(cli_comparison, capsys):
    args, out = cli_comparison
    code, stdout, _ = run_cli(args, capsys)
    assert code == 0
    for name in ("comparison.json", "comparison.parquet", "comparison_members.parquet",
                 "compare.html"):
        assert (out / name).is_file()
    data = json.loads((out / "comparison.json").read_text("utf-8"))
    assert data["arms"] == ["status_quo", "surge"] and data["baseline"] == "status_quo"
    assert data["command"][:4] == ["narcosim", "compare", "status_quo", args[2]]
    averted = data["results"]["surge"]["deaths_averted"]["national"]["all_drugs"]
    assert f"{averted['mean']:,.0f}" in stdout
    assert "ran 4, 0 already done" in stdout
    code, stdout, _ = run_cli(args, capsys)
    assert code == 0 and "ran 0, 4 already done" in stdout
    assert json.loads((out / "comparison.json").read_text("utf-8")) == data


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
            const gd = document.getElementById('field-office-chart');
            return gd.data.map(t => ({arm: t.meta.arm, x: t.x, y: t.y}));
        }""")
        embedded = json.loads(page.locator("#narcosim-compare-data").text_content())
        rows = page.locator("#gained-table tr[data-level='field office']")
        listed = [rows.nth(i).get_attribute("data-key") for i in range(rows.count())]
        assert view.blocked == []
        assert view.console_errors == []
    assert n_states >= 50
    assert embedded == data
    assert listed == gained
    [surge] = bars
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
