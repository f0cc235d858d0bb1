"""``narcosim assess YEAR``: the threat assessment's numbers, its HTML and its printed PDF.

Expected values are read from the atlas tables (CDC, CBP) or recomputed from the model run's
own results, never typed in.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from narcosim.atlas.store import Atlas
from narcosim.cli import main
from narcosim.report.assess_data import (
    CENSUS_REGIONS,
    check_year,
    mexico_alignment,
    simulate_supply,
)
from narcosim.report.assess_figures import flow_sankey
from narcosim.report.rounding import fmt_number

YEAR = 2022


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


@pytest.fixture(scope="module")
def atlas(atlas_store) -> Atlas:
    return Atlas.open(atlas_store)


@pytest.fixture(scope="module")
def supply(atlas):
    return simulate_supply(atlas, YEAR)


@pytest.mark.parametrize("year", ["2014", "2030", "1999"])
def test_year_outside_the_data_is_one_line_exit_2(year, atlas_store, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run_cli(["assess", year, "--out", str(out), "--store",
                                 str(atlas_store)], capsys)
    assert code == 2
    assert err.strip().count("\n") == 0 and f"YEAR {year}" in err and "2015–2023" in err
    assert "Traceback" not in err and stdout == ""
    assert not out.exists()  # no partial output


def test_check_year_accepts_the_data_years(atlas):
    years = check_year(atlas, 2015)
    assert years[0] == 2015 and years[-1] == 2023


def test_sankey_conserves_kilograms(supply):
    for drug in ("fentanyl", "methamphetamine", "cocaine"):
        fig = flow_sankey(supply, drug)
        link, labels = fig.data[0].link, list(fig.data[0].node.label)
        values = np.asarray(link.value)
        into = {i: values[np.asarray(link.target) == i].sum() for i in range(len(labels))}
        out = {i: values[np.asarray(link.source) == i].sum() for i in range(len(labels))}
        hubs = [i for i, name in enumerate(labels) if name.endswith(" hub")]
        regions = [i for i, name in enumerate(labels) if name.endswith(" region")]
        assert hubs and len(regions) == len(CENSUS_REGIONS)
        for i in hubs:  # what reaches a hub leaves it
            assert out[i] == pytest.approx(into[i], rel=1e-9)
        passed = supply.ports.loc[supply.ports["drug"] == drug, "passed_kg"].sum()
        assert sum(into[i] for i in hubs) == pytest.approx(passed, rel=1e-9)
        assert sum(into[i] for i in regions) == pytest.approx(passed, rel=1e-9)
        crossed = supply.ports.loc[supply.ports["drug"] == drug, "crossing_kg"].sum()
        assert 0 < passed < crossed  # CBP seized some of it


def test_border_states_lead_the_simulated_activity(supply):
    top = supply.activity.sort_values("activity_kg", ascending=False)["state_abbr"].head(3)
    assert set(top) == {"CA", "AZ", "TX"}  # the seed's darkest border states
    assert supply.presence["sinaloa"].between(0, 4).all()
    assert supply.presence["cjng"].between(0, 1).all()


def test_expansion_ends_at_the_year_end_presence(supply):
    exp = supply.expansion
    assert sorted(exp["year"].unique()) == list(range(2015, YEAR + 1))
    for cartel in ("sinaloa", "cjng"):
        series = exp[exp["cartel"] == cartel].sort_values("year")["states"].to_numpy()
        assert series[-1] == (supply.presence[cartel] > 0).sum()
        assert (np.diff(series) >= 0).all()  # the status quo only opens markets
    cjng = exp[exp["cartel"] == "cjng"].sort_values("year")["states"].to_numpy()
    assert cjng[0] < cjng[-1]  # the franchise spreads from the states it held in 2015


def test_mexico_alignment_counts_the_network(atlas):
    groups = atlas.table("cartel_groups")
    table = mexico_alignment(groups, atlas.table("cartel_alliances"),
                             atlas.table("cartel_rivalries"))
    alliances = atlas.table("cartel_alliances")
    assert table["groups"].sum() == len(groups)
    sinaloa = groups.loc[groups["short_name"] == "Sinaloa", "node"].iloc[0]
    assert table["sinaloa_allies"].sum() == (alliances["node"] == sinaloa).sum()


@pytest.fixture(scope="module")
def assessment(atlas_store, tmp_path_factory) -> Path:
    from browser import chromium_path

    chromium_path()  # skips (or fails under CI) without Chromium
    out = tmp_path_factory.mktemp("assess") / "out"
    with pytest.raises(SystemExit) as info:
        main(["assess", str(YEAR), "--out", str(out), "--store", str(atlas_store)])
    assert info.value.code in (0, None)
    return out


@pytest.mark.browser
def test_html_has_a_source_line_under_every_figure(assessment, atlas):
    page = (assessment / f"assessment-{YEAR}.html").read_text("utf-8")
    figures = re.findall(r"<figure\b.*?</figure>", page, flags=re.S)
    plots = re.findall(r'class="plotly-graph-div"', page)
    assert len(figures) >= 12 and len(plots) == len(figures)
    for fig in figures:
        caption = re.search(r'<figcaption class="source">Source: ([^<]{20,})</figcaption>'
                            r'</figure>$', fig)
        assert caption, fig[-300:]
    assert "https://" not in re.sub(r"<script[^>]*>.*?</script>", "", page, flags=re.S)
    data = json.loads(re.search(r'id="narcosim-assess-data">(.*?)</script>', page,
                                flags=re.S).group(1))
    deaths = atlas.table("overdose_deaths")
    us = deaths[(deaths["state_abbr"] == "US") & (deaths["year"] == YEAR)]
    all_drugs = float(us.loc[us["drug"] == "all_drugs", "deaths"].iloc[0])
    assert data["national"]["all_drugs"] == all_drugs
    lead = re.search(r'<p class="lead">(.*?)</p>', page, flags=re.S).group(1)
    assert f"{fmt_number(all_drugs)} people died" in lead


@pytest.mark.browser
def test_pdf_renders_to_at_least_eight_pages(assessment, tmp_path):
    pdftoppm, pdftotext = shutil.which("pdftoppm"), shutil.which("pdftotext")
    if not pdftoppm or not pdftotext:
        pytest.skip("poppler-utils (pdftoppm) not installed")
    pdf = assessment / f"assessment-{YEAR}.pdf"
    subprocess.run([pdftoppm, "-r", "30", "-png", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 8
    assert all(p.stat().st_size > 1000 for p in pages)
    text = subprocess.run([pdftotext, "-layout", str(pdf), "-"], check=True, timeout=120,
                          capture_output=True, text=True).stdout
    page_html = (assessment / f"assessment-{YEAR}.html").read_text("utf-8")
    n_figures = len(re.findall(r"<figure\b", page_html))
    assert text.count("Source:") >= n_figures  # every printed figure kept its source line
    assert "Fentanyl" in text and "Sinaloa" in text and "CJNG" in text


def test_json_names_the_files_written(atlas_store, tmp_path, capsys):
    out = tmp_path / "assess"
    code, stdout, err = run_cli(["assess", "2019", "--no-pdf", "--json", "--top", "0",
                                 "--out", str(out), "--store", str(atlas_store)], capsys)
    assert code == 0, err
    data = json.loads(stdout)
    assert data["year"] == 2019 and data["pdf"] is None
    page = Path(data["html"])
    assert page == out / "assessment-2019.html" and page.stat().st_size == data["bytes"]["html"]
    assert [p.name for p in out.iterdir()] == [page.name]  # no staging folder left behind
    rows = re.search(r"Highest fentanyl death rates, 2019</caption>.*?<tbody>(.*?)</tbody>",
                     page.read_text("utf-8"), flags=re.S).group(1)
    assert rows.count("<tr>") > 40  # --top 0: every state CDC reports
