"""The offline map and chart in real headless Chromium, with every non-local request blocked.

Expected numbers are read here straight from the CDC and Census CSV files.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from browser import open_local
from narcosim.atlas.deaths import load_overdose_deaths
from narcosim.atlas.population import load_population
from narcosim.cli import main
from narcosim.report import NATIONAL_DRUGS, choropleth, map_values, write_html
from narcosim.report.maps import WITHHELD_COLOUR
from test_maps import cdc_deaths, census_population

pytestmark = pytest.mark.browser

SHAPES_JS = """() => Array.from(document.querySelectorAll('path.choroplethlocation')).map(p => ({
    loc: p.__data__ ? p.__data__.loc : null,
    fill: getComputedStyle(p).fill,
    length: (p.getAttribute('d') || '').length,
}))"""

# A point inside a state's drawn shape, in page coordinates (or null), so the mouse can hover it.
POINT_IN_STATE_JS = """(abbr) => {
    const p = Array.from(document.querySelectorAll('path.choroplethlocation'))
        .find(e => e.__data__ && e.__data__.loc === abbr);
    if (!p) return null;
    const r = p.getBoundingClientRect(), m = p.getScreenCTM().inverse();
    for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++) {
        const x = r.left + r.width * i / 24, y = r.top + r.height * j / 24;
        if (p.isPointInFill(new DOMPoint(x, y).matrixTransform(m))) return [x, y];
    }
    return null;
}"""


def _run(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code in (0, None)


def _state_abbrs(data_dir: Path) -> list[str]:
    lines = (data_dir / "state_reference.csv").read_text(encoding="utf-8").splitlines()[1:]
    return sorted(line.split(",")[1] for line in lines if line)


@pytest.fixture(scope="module")
def fentanyl_map(atlas_store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("maps") / "fentanyl_2023.html"
    _run(["atlas", "map", "--metric", "deaths", "--drug", "fentanyl", "--year", "2023",
          "--per", "100000", "--out", str(out), "--store", str(atlas_store)])
    return out


def _hover_text(page, abbr: str) -> str:
    point = page.evaluate(POINT_IN_STATE_JS, abbr)
    assert point is not None, f"no drawn shape for {abbr}"
    page.mouse.move(0, 0)
    page.mouse.move(*point)
    label = page.wait_for_selector("g.hovertext", state="attached")
    return label.text_content() or ""


def test_map_draws_51_states_with_real_values_and_nothing_leaves(fentanyl_map, data_dir):
    deaths = cdc_deaths(data_dir, "fentanyl", 2023)
    pop = census_population(data_dir, 2023)
    withheld = sorted(a for a, v in deaths.items() if v is None and a != "US")
    with open_local(fentanyl_map) as view:
        page = view.page
        page.wait_for_function(
            "() => document.querySelectorAll('path.choroplethlocation').length >= 51"
        )
        shapes = page.evaluate(SHAPES_JS)
        assert len(shapes) == 51
        assert sorted(s["loc"] for s in shapes) == _state_abbrs(data_dir)
        assert all(s["length"] > 20 and s["fill"] not in ("", "none") for s in shapes)
        grey = sorted(s["loc"] for s in shapes if s["fill"] == "rgb(189, 189, 189)")
        assert WITHHELD_COLOUR == "#bdbdbd" and grey == withheld

        # the data behind the drawing: West Virginia = CDC WV T40.4 2023 / Census 2023 × 1e5
        expected_wv = deaths["WV"] / pop["WV"] * 1e5
        z_wv = page.evaluate("""() => {
            const t = document.getElementById('narcosim-figure').data[0];
            return t.z[t.locations.indexOf('WV')];
        }""")
        assert z_wv == pytest.approx(expected_wv, rel=1e-12)

        # what an analyst sees on hover
        text = _hover_text(page, "WV")
        assert f"{expected_wv:,.2f} per 100,000" in text
        assert f"deaths: {deaths['WV']:,.0f}" in text and f"population: {pop['WV']:,}" in text
        assert "withheld" in _hover_text(page, withheld[0])

        assert view.blocked == []
        assert view.console_errors == []


def test_harness_catches_a_page_that_would_fetch_its_map(data_dir, tmp_path):
    # negative control: without the inlined TopoJSON plotly.js asks its CDN, which must be
    # blocked and recorded, and no state is drawn
    values = map_values(load_overdose_deaths(data_dir), load_population(data_dir),
                        drug="fentanyl", year=2023, per=100_000)
    path = write_html(choropleth(values), tmp_path / "leaky.html", topojson=None)
    with open_local(path) as view:
        view.page.wait_for_timeout(1500)
        assert any("usa_110m" in url for url in view.blocked), view.blocked
        assert view.page.locator("path.choroplethlocation").count() == 0


def test_chart_draws_five_lines_of_cdc_numbers(atlas_store, data_dir, tmp_path):
    out = tmp_path / "chart.html"
    _run(["atlas", "chart", "--out", str(out), "--store", str(atlas_store)])
    with open_local(out) as view:
        page = view.page
        page.wait_for_selector("g.scatterlayer g.trace path.js-line", state="attached")
        lines = page.evaluate("""() => Array.from(
            document.querySelectorAll('g.scatterlayer g.trace')).map(t => ({
                line: (t.querySelector('path.js-line')?.getAttribute('d') || '').length,
                points: t.querySelectorAll('path.point').length,
            }))""")
        assert len(lines) == len(NATIONAL_DRUGS) == 5
        assert all(t["line"] > 20 and t["points"] == 9 for t in lines)
        assert page.locator("g.legend g.traces").count() == 5
        data = page.evaluate("""() => document.getElementById('narcosim-figure').data
            .map(t => ({meta: t.meta, y: Array.from(t.y)}))""")
        for trace in data:
            expected = [cdc_deaths(data_dir, trace["meta"], y)["US"] for y in range(2015, 2024)]
            assert trace["y"] == pytest.approx(expected)
        assert view.blocked == []
        assert view.console_errors == []


def test_png_export_draws_the_states(atlas_store, tmp_path):
    png = tmp_path / "map.png"
    _run(["atlas", "map", "--drug", "fentanyl", "--year", "2023", "--per", "100000",
          "--out", str(tmp_path / "map.html"), "--png", str(png), "--store", str(atlas_store)])
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1000, 620)
    # count pixels in Chromium: withheld states must be painted grey, reported ones in colour
    page_html = tmp_path / "look.html"
    page_html.write_text(
        "<img id=i src='data:image/png;base64," + base64.b64encode(data).decode() + "'>",
        encoding="utf-8",
    )
    with open_local(page_html) as view:
        counts = view.page.evaluate("""async () => {
            const img = document.getElementById('i'); await img.decode();
            const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
            const g = c.getContext('2d'); g.drawImage(img, 0, 0);
            const d = g.getImageData(0, 0, c.width, c.height).data;
            let grey = 0, warm = 0;
            for (let k = 0; k < d.length; k += 4) {
                if (d[k] === 189 && d[k + 1] === 189 && d[k + 2] === 189) grey++;
                if (d[k] > 200 && d[k + 2] < 160 && d[k] - d[k + 2] > 80) warm++;
            }
            return {grey, warm};
        }""")
    assert counts["grey"] > 1000  # three withheld states (PA, NC, LA in CDC's 2023 file)
    assert counts["warm"] > 20000  # the YlOrRd fills of the 48 reported states
