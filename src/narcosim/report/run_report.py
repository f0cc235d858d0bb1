"""``report.html``: one self-contained page per run folder (or ensemble folder).

The page shows the run's header (scenario, seed, scale, dates, narcosim version, data
provenance), simulated vs CDC deaths by drug and year (with 5–95% bands for ensembles), state
maps of deaths per 100,000 (simulated beside CDC), the fit table and the national table by year,
and the supply headline (southwest-border seizures by fiscal year vs CBP). plotly.js is inlined
once and the map geometry is handed to it in ``window.PlotlyGeoAssets`` before any figure, so
the page opens offline and fetches nothing. The numbers shown are also embedded as JSON in
``<script id="narcosim-report-data" type="application/json">``.

``narcosim run`` and ``narcosim ensemble`` call :func:`write_run_report` after writing their
results; ``narcosim report RUN_DIR`` rewrites the page.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from narcosim.atlas.store import Atlas
from narcosim.core.files import write_text_atomic
from narcosim.errors import StoreError
from narcosim.model.people import DEATH_KEYS
from narcosim.report.maps import drug_label
from narcosim.report.offline import REPORT_CSS, TOPOJSON_NAME, geo_assets_script, page_head
from narcosim.report.run_charts import deaths_chart, default_map_year, state_maps
from narcosim.report.run_data import ReportData, load_report_data, open_run
from narcosim.report.run_sections import (
    opening,
    run_assumptions,
    scenario_section,
    supply_section,
)
from narcosim.run.manifest import jsonable

REPORT = "report.html"
"""The report's file name in a run folder."""
DATA_ID = "narcosim-report-data"
"""Id of the JSON script element holding the page's numbers."""
_CONFIG = {"displaylogo": False, "responsive": True}
_CSS = REPORT_CSS + """details{margin:8px 0}code{font-size:.9em}
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: float | None, fmt: str) -> str:
    """A right-aligned table cell carrying the raw number in ``data-value``."""
    if value is None or pd.isna(value):
        return '<td class="n" data-value="">–</td>'
    return f'<td class="n" data-value="{float(value)!r}">{format(float(value), fmt)}</td>'


def _figure(fig: go.Figure, div_id: str) -> str:
    return pio.to_html(fig, include_plotlyjs=False, include_mathjax=False, full_html=False,
                       div_id=div_id, config=_CONFIG)


def _header(data: ReportData) -> str:
    meta = data.source.meta
    if data.source.kind == "ensemble":
        spec = meta.get("spec", {})
        rows = [("folder", data.source.path), ("kind", f"ensemble of {meta.get('n_runs')} runs"),
                ("scenario", spec.get("scenario")), ("root seed", meta.get("seed")),
                ("scale", f"1:{spec.get('scale')}"),
                ("dates", f"{spec.get('start')} to {spec.get('end')}"),
                ("backend", meta.get("backend"))]
    else:
        tl = meta.get("timeline", {})
        rows = [("folder", data.source.path), ("kind", "single run"),
                ("scenario", meta.get("scenario")), ("seed", meta.get("seed")),
                ("scale", f"1:{meta.get('scale')}"),
                ("dates", f"{tl.get('start')} to {tl.get('end')} ({tl.get('n_steps')} weekly "
                          "steps)"),
                ("command", " ".join(str(a) for a in meta.get("command") or []))]
        if data.source.band_source is not None:
            rows.append(("bands from", data.source.band_source))
    rows += [("narcosim version", meta.get("narcosim_version")),
             ("created", f"{meta.get('created')} (finished {meta.get('finished')})")]
    body = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="meta" id="run-meta">{body}</table>{_provenance(meta)}'


def _provenance(meta: dict[str, Any]) -> str:
    data = meta.get("data") or {}
    tables = data.get("tables") or []
    files = data.get("files") or []
    if not tables and not files:
        return '<p class="note">No data provenance recorded.</p>'
    trows = "".join(f"<tr><td>{_e(t.get('table'))}</td><td>{_e(t.get('publisher'))}</td>"
                    f"<td>{_e(t.get('source'))}</td><td>{_e(t.get('licence'))}</td></tr>"
                    for t in tables)
    frows = "".join(f"<tr><td>{_e(f.get('file'))}</td><td><code>{_e(f.get('sha256'))}</code>"
                    f"</td>{_num(f.get('bytes'), ',.0f')}</tr>" for f in files)
    return (f"<details id=\"provenance\"><summary>Data provenance: {len(tables)} tables from "
            f"{len(files)} files (atlas store {_e(data.get('store', ''))})</summary>"
            "<table><tr><th>table</th><th>publisher</th><th>source</th><th>licence</th></tr>"
            f"{trows}</table><table><tr><th>file</th><th>sha256</th><th>bytes</th></tr>{frows}"
            "</table></details>")


def _fit_table(data: ReportData) -> str:
    rows = "".join(
        f"<tr data-drug=\"{_e(r.drug)}\"><td>{_e(drug_label(r.drug))}</td>"
        f"{_num(r.mape, '.1%')}{_num(r.worst_year_error, '.1%')}<td>{r.worst_year}</td>"
        f"{_num(r.r2_state_year, '.3f')}{_num(r.state_years, ',.0f')}</tr>"
        for r in data.fit.itertuples())
    years = f"{data.fit_years[0]}–{data.fit_years[-1]}"
    return ("<table id=\"fit-table\"><thead><tr><th>drug</th><th>national MAPE</th>"
            "<th>worst year's error</th><th>worst year</th><th>state-year R²</th>"
            f"<th>state-years</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<p class=\"note\">Simulated expected deaths vs CDC, {years}. MAPE: mean over years "
            "of |simulated/CDC − 1| for the US. R²: 1 − SSres/SStot pooled over the state-years "
            "CDC reports (withheld values left out). Same definitions as "
            "<code>narcosim calibrate --report</code>.</p>")


def _national_table(data: ReportData) -> str:
    nat = data.national
    head = "".join(f"<th colspan=3>{_e(d)}</th>" for d in DEATH_KEYS)
    sub = "<th>CDC</th><th>sim</th><th>error</th>" * len(DEATH_KEYS)
    body = []
    for year in data.fit_years:
        cells = []
        for drug in DEATH_KEYS:
            r = nat[(nat["drug"] == drug) & (nat["year"] == year)].iloc[0]
            cells.append(_num(r["cdc"], ",.0f") + _num(r["simulated"], ",.0f")
                         + _num(r["error"], "+.1%"))
        body.append(f"<tr data-year=\"{year}\"><td>{year}</td>{''.join(cells)}</tr>")
    return (f"<table id=\"national-table\"><thead><tr><th rowspan=2>year</th>{head}</tr>"
            f"<tr>{sub}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def _seizure_table(data: ReportData) -> str:
    sz = data.seizures
    if sz.empty:
        return '<p class="note">This run has no trafficking seizures.</p>'
    band = data.source.kind == "ensemble"
    drugs = list(dict.fromkeys(sz["drug"]))
    cols = ["CBP", "sim", *(["sim 5%", "sim 95%"] if band else []), "error"]
    head = "".join(f"<th colspan={len(cols)}>{_e(d)}</th>" for d in drugs)
    sub = "".join(f"<th>{c}</th>" for c in cols) * len(drugs)
    body = []
    for fy in sorted(sz["fiscal_year"].unique()):
        cells = []
        for drug in drugs:
            got = sz[(sz["drug"] == drug) & (sz["fiscal_year"] == fy)]
            r = got.iloc[0] if len(got) else None
            values = [None] * len(cols) if r is None else [
                r["cbp_kg"], r["sim_kg"], *([r["sim_low"], r["sim_high"]] if band else []),
                r["error"]]
            cells += [_num(v, "+.1%" if c == "error" else ",.0f")
                      for c, v in zip(cols, values, strict=True)]
        body.append(f"<tr data-fy=\"{fy}\"><td>FY{fy}</td>{''.join(cells)}</tr>")
    return ("<table id=\"seizure-table\"><thead><tr><th rowspan=2>fiscal year</th>"
            f"{head}</tr><tr>{sub}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            "<p class=\"note\">Southwest-border seizures (ports and Border Patrol), kilograms "
            "per US fiscal year (October–September), complete fiscal years of the run; CBP "
            "Nationwide Drug Seizures, FY2019–FY2023 in the data."
            + (" Ensemble: mean of the runs, and 5–95% across runs." if band else "")
            + "</p>")


def usa_topojson(atlas: Atlas) -> str:
    """The ``usa_110m`` TopoJSON text plotly.js draws US maps with, from the atlas store.

    Raises:
        StoreError: The store has no such geometry.
    """
    geometry = atlas.table("geometry")
    rows = geometry[geometry["name"] == TOPOJSON_NAME]
    if rows.empty:
        raise StoreError(f"atlas store {atlas.path} has no geometry {TOPOJSON_NAME!r}; "
                         "re-import the data folder")
    return str(rows["text"].iloc[0])


def report_numbers(data: ReportData, year: int,
                   maps: list[tuple[str, go.Figure, pd.DataFrame]]) -> dict[str, Any]:
    """The numbers the page shows, JSON-ready (embedded in the page as well)."""
    return jsonable({
        "kind": data.source.kind,
        "years": list(data.years),
        "fit_years": list(data.fit_years),
        "map_year": year,
        "fit": data.fit.to_dict(orient="records"),
        "national": data.national.to_dict(orient="records"),
        "seizures": data.seizures.to_dict(orient="records"),
        "maps": {key: dict(zip(v["state_abbr"], v["value"], strict=True))
                 for key, _, v in maps},
    })


def render_run_report(data: ReportData, atlas: Atlas, year: int | None = None) -> str:
    """Render the report page.

    Args:
        data: From :func:`~narcosim.report.run_data.load_report_data`.
        atlas: The atlas store (CDC deaths, population, map geometry).
        year: Year of the state maps (default 2023, else the run's latest CDC year).

    Returns:
        The HTML text.
    """
    year = default_map_year(data, year)
    maps = state_maps(data, atlas.table("overdose_deaths"), atlas.table("population"), year)
    geo = geo_assets_script({TOPOJSON_NAME: usa_topojson(atlas)})
    numbers = json.dumps(report_numbers(data, year, maps), allow_nan=False).replace("</", "<\\/")
    meta = data.source.meta
    scenario = meta.get("scenario") or (meta.get("spec") or {}).get("scenario")
    title = f"narcosim report: {scenario}, seed {meta.get('seed')}"
    map_html = "".join(f'<div class="map">{_figure(fig, key)}</div>' for key, fig, _ in maps)
    band_note = ("Shaded: 5–95% of the runs' national totals." if data.has_bands()
                 else "Single run: no bands (run an ensemble for them).")
    said = (meta.get("uncertainty") or {}).get("statement")
    if said:  # an ensemble whose members drew parameters (narcosim.run.spread)
        band_note += f" Members drew their parameters from the posterior: {_e(said)}."
    return page_head(title, _CSS, geo) + f"""<main><h1>{_e(title)}</h1>
{opening(data)}
{_header(data)}
{scenario_section(meta)}
<h2>Overdose deaths by drug: simulated vs CDC</h2>
<p class="note">Annual sums of the weekly simulated deaths by calendar year: expected (the
risk-weighted mean, solid) and realised (the draws, dotted); CDC VSRR reported counts (12 months
ending December), 2015–2023. A death involving several drugs counts toward each. {band_note}</p>
{_figure(deaths_chart(data), "deaths-chart")}
<h2>Deaths per 100,000 by state, {year}</h2>
<div class="maps">{map_html}</div>
<h2>Fit to CDC</h2>
{_fit_table(data)}
<h3>National deaths by year</h3>
{_national_table(data)}
<h2>Supply: seizures at the southwest border</h2>
{_seizure_table(data)}
{supply_section(data, atlas.table("ports"))}
{run_assumptions(meta)}
<h2 id="sources">Sources</h2>
<p class="note">Deaths: CDC/NCHS VSRR provisional drug overdose death counts (12 months ending
December, reported values). Population: U.S. Census Bureau estimates (Vintage 2024) and NCHS.
Seizures: CBP Nationwide Drug Seizures FY2019–FY2023. Ports: BTS Border Crossing Entry Data.
Model: narcosim (docs/model.md), parameters with the sources listed above; the data provenance
(files and hashes) is in the header.</p></main>
<script type="application/json" id="{DATA_ID}">{numbers}</script>
</body>
</html>
"""


def write_run_report(run_dir: Path, atlas: Atlas, *, bands: Path | None = None,
                     year: int | None = None) -> Path:
    """Write ``report.html`` into a run folder or ensemble folder (replacing any old one).

    Args:
        run_dir: A complete run folder or ensemble folder.
        atlas: The atlas store the run read (CDC deaths, population, CBP seizures, geometry).
        bands: For a single run, an ensemble folder (or its ``bands.parquet``) whose runs give
            5–95% bands; an ensemble folder's own runs give its bands.
        year: Year of the state maps (default 2023).

    Returns:
        The path of the page.

    Raises:
        StoreError: Not a complete run or ensemble folder, a missing results file, or the
            page cannot be written.
        ParameterError: The run covers no complete year with CDC deaths, or a bad ``year``.
        DataValidationError: The results hold no people deaths.
    """
    source = open_run(Path(run_dir), bands)
    page = render_run_report(load_report_data(source, atlas), atlas, year)
    target = source.path / REPORT
    return write_text_atomic(target, page)
