"""``compare.html``: one self-contained page for a comparison of scenarios.

The page shows the settings (arms, seed, members, window), a headline table per arm (deaths
averted by drug, extra cost, cost per death averted, each as mean and 90% interval), charts of
deaths averted by drug and of the change in kilograms crossing each CBP field office and
through each hub, maps of deaths averted by state, the places that gained flow (where supply
was displaced to), and seizures, arrests and dealer-operation tallies. plotly.js is inlined
once and the US geometry is handed to it before any figure (DESIGN.md section 9), so the page
opens offline and fetches nothing. The numbers are also embedded as JSON in
``<script id="narcosim-compare-data" type="application/json">`` (``comparison.json``).

Every trace carries ``meta`` ``{"arm": …, "chart": …}`` so tests can find each series.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from narcosim.atlas.store import Atlas
from narcosim.errors import StoreError
from narcosim.report.offline import REPORT_CSS, TOPOJSON_NAME, geo_assets_script, page_head
from narcosim.report.run_report import usa_topojson

COMPARE_HTML = "compare.html"
DATA_ID = "narcosim-compare-data"
DRUGS: tuple[str, ...] = ("all_drugs", "fentanyl", "methamphetamine", "cocaine")
_CONFIG = {"displaylogo": False, "responsive": True}
_PALETTE = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
            "#17becf", "#7f7f7f", "#bcbd22")
_CSS = REPORT_CSS


def _e(value: Any) -> str:
    return html.escape(str(value))


def _interval(stat: dict[str, float | None] | None, fmt: str = ",.0f") -> str:
    """``mean (p5 to p95)`` as a table cell; n/a when undefined."""
    if not stat or stat.get("mean") is None:
        return '<td class="n" data-value="">n/a</td>'
    text = format(stat["mean"], fmt)
    if stat.get("p5") is not None and stat.get("p95") is not None:
        text += f" ({format(stat['p5'], fmt)} to {format(stat['p95'], fmt)})"
    return f'<td class="n" data-value="{float(stat["mean"])!r}">{_e(text)}</td>'


def _figure(fig: go.Figure, div_id: str) -> str:
    return pio.to_html(fig, include_plotlyjs=False, include_mathjax=False, full_html=False,
                       div_id=div_id, config=_CONFIG)


def _errors(rows: pd.DataFrame) -> dict[str, Any]:
    return {"type": "data", "symmetric": False,
            "array": (rows["p95"] - rows["mean"]).clip(lower=0).tolist(),
            "arrayminus": (rows["mean"] - rows["p5"]).clip(lower=0).tolist()}


def _bars(summary: pd.DataFrame, arms: list[str], measure: str, level: str, drug: str | None,
          by: str, title: str, ytitle: str, chart: str) -> go.Figure:
    fig = go.Figure()
    for k, arm in enumerate(arms):
        rows = summary[(summary["arm"] == arm) & (summary["measure"] == measure)
                       & (summary["level"] == level)]
        if drug is not None:
            rows = rows[rows["drug"] == drug]
        x = rows[by].astype(str).str.replace(" FIELD OFFICE", "", regex=False).str.title() \
            if by == "key" and level == "field_office" else rows[by].astype(str)
        fig.add_bar(x=x.tolist(), y=rows["mean"].tolist(), name=arm, error_y=_errors(rows),
                    marker_color=_PALETTE[k % len(_PALETTE)], meta={"arm": arm, "chart": chart})
    fig.update_layout(title=title, barmode="group", yaxis_title=ytitle, height=420,
                      margin={"l": 60, "r": 20, "t": 50, "b": 80}, legend_title_text="scenario")
    return fig


def _state_map(summary: pd.DataFrame, arm: str) -> go.Figure:
    # expected deaths (the draws' mean) map the effect without the sampling noise of counts
    measure = ("expected_deaths_averted"
               if (summary["measure"] == "expected_deaths_averted").any()
               and (summary[summary["measure"] == "expected_deaths_averted"]["level"]
                    == "state").any() else "deaths_averted")
    rows = summary[(summary["arm"] == arm) & (summary["measure"] == measure)
                   & (summary["level"] == "state") & (summary["drug"] == "all_drugs")]
    peak = float(rows["mean"].abs().max()) or 1.0
    fig = go.Figure(go.Choropleth(
        locations=rows["key"].tolist(), z=rows["mean"].tolist(), locationmode="USA-states",
        colorscale="RdBu", zmid=0, zmin=-peak, zmax=peak, meta={"arm": arm, "chart": "map"},
        colorbar={"title": "averted"},
        hovertemplate="%{location}: %{z:,.0f} deaths averted<extra></extra>"))
    kind = "expected" if measure.startswith("expected") else "counted"
    fig.update_layout(title=f"{arm}: {kind} deaths averted by state (all drugs, mean)",
                      geo={"scope": "usa"}, height=380, margin={"l": 0, "r": 0, "t": 40, "b": 0})
    return fig


def _header(data: dict[str, Any]) -> str:
    rows = [("baseline", data["baseline"]),
            ("compared", ", ".join(data["arms"][1:])),
            ("members per scenario", data["n_runs"]), ("root seed", data["seed"]),
            ("member seeds", ", ".join(str(s) for s in data["member_seeds"])),
            ("scale", f"1:{data['scale']}"), ("runs", f"{data['start']} to {data['end']}"),
            ("window counted", f"{data['window']['from']} to {data['window']['to']}"),
            ("narcosim version", data.get("narcosim_version")),
            ("command", " ".join(str(a) for a in data.get("command") or []))]
    body = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="meta" id="compare-meta">{body}</table>'


def _headline(data: dict[str, Any]) -> str:
    head = "".join(f"<th>deaths averted: {_e(d)}</th>" for d in DRUGS)
    body = []
    for arm in data["arms"][1:]:
        res = data["results"][arm]
        nat = res["deaths_averted"]["national"]
        fo = res["supply"]["crossing_kg_by_field_office"]["displaced_kg"]
        cells = "".join(_interval(nat.get(d)) for d in DRUGS)
        expected = res["deaths_averted"]["expected_national"].get("all_drugs")
        body.append(f'<tr data-arm="{_e(arm)}"><td>{_e(arm)}</td>{cells}{_interval(expected)}'
                    f'{_interval(res["cost"]["incremental_usd"])}'
                    f'{_interval(res["cost"]["per_death_averted"])}'
                    f'{_interval(res["cost"]["per_expected_death_averted"])}{_interval(fo)}</tr>')
    return ('<table id="headline-table"><thead><tr><th>scenario</th>' + head
            + "<th>expected deaths averted: all_drugs</th>"
            "<th>extra cost, US$</th><th>cost per death averted, US$</th>"
            "<th>cost per expected death averted, US$</th>"
            "<th>kg displaced to other field offices</th></tr></thead><tbody>"
            + "".join(body) + "</tbody></table>")


def _gained(data: dict[str, Any], top: int = 10) -> str:
    names = data.get("port_names", {})
    body = []
    labels = {"crossing_kg_by_port": "port", "crossing_kg_by_field_office": "field office",
              "hub_throughput_kg_by_hub": "hub", "sold_kg_by_state": "state (kg sold)"}
    for arm in data["arms"][1:]:
        for section, label in labels.items():
            part = data["results"][arm]["supply"][section]
            for item in part["gained"][:top]:
                key = item["key"]
                name = f"{key} {names[key]}" if section == "crossing_kg_by_port" else key
                body.append(f'<tr data-arm="{_e(arm)}" data-level="{_e(label)}" '
                            f'data-key="{_e(key)}"><td>{_e(arm)}</td><td>{_e(label)}</td>'
                            f'<td>{_e(name)}</td>{_interval(item)}</tr>')
    if not body:
        return ('<p class="note" id="gained-table">No port, field office, hub or state gained '
                "flow in any scenario.</p>")
    return ('<table id="gained-table"><thead><tr><th>scenario</th><th>where</th><th>name</th>'
            "<th>extra kg (all drugs)</th></tr></thead><tbody>" + "".join(body)
            + "</tbody></table>")


def _enforcement(data: dict[str, Any]) -> str:
    body = []
    for arm in data["arms"][1:]:
        enf = data["results"][arm]["enforcement"]
        items = [(f"border seizures, kg: {d}", v) for d, v in enf["border_seized_kg"].items()]
        items += [(f"domestic seizures, kg: {d}", v)
                  for d, v in enf["domestic_seized_kg"].items()]
        items.append(("dealer arrests", enf["dealer_arrests"]))
        items += [(f"dealer operations: {k}", v) for k, v in enf["operation"].items()]
        body += [f'<tr data-arm="{_e(arm)}"><td>{_e(arm)}</td><td>{_e(k)}</td>{_interval(v)}'
                 "</tr>" for k, v in items]
    return ('<table id="enforcement-table"><thead><tr><th>scenario</th><th>measure</th>'
            "<th>change vs baseline</th></tr></thead><tbody>" + "".join(body)
            + "</tbody></table>")


def render_compare_report(data: dict[str, Any], summary: pd.DataFrame, topojson: str) -> str:
    """Render the comparison page.

    Args:
        data: ``comparison.json``'s content.
        summary: ``comparison.parquet``'s rows.
        topojson: The ``usa_110m`` TopoJSON text for the maps.

    Returns:
        The HTML text.
    """
    arms = list(data["arms"][1:])
    deaths = _bars(summary, arms, "deaths_averted", "national", None, "drug",
                   "Deaths averted by drug (mean, bars: 90% interval)", "deaths averted",
                   "deaths_averted")
    fos = _bars(summary, arms, "crossing_kg", "field_office", "all_drugs", "key",
                "Change in kg crossing by CBP field office (all drugs)", "kg vs baseline",
                "field_office")
    hubs = _bars(summary, arms, "hub_throughput_kg", "hub", "all_drugs", "key",
                 "Change in kg through each hub", "kg vs baseline", "hub")
    maps = "".join(f'<div class="map">{_figure(_state_map(summary, arm), f"map-{i}")}</div>'
                   for i, arm in enumerate(arms))
    numbers = json.dumps(data, allow_nan=False).replace("</", "<\\/")
    title = f"narcosim comparison: {', '.join(arms)} vs {data['baseline']}"
    geo = geo_assets_script({TOPOJSON_NAME: topojson})
    return page_head(title, _CSS, geo) + f"""<h1>{_e(title)}</h1>
{_header(data)}
<h2>Headline</h2>
<p class="note">Each scenario against the baseline, member by member on the same seeds (common
random numbers), summed over the window counted. Mean over members, and in brackets the 90%
interval: the 5th to 95th percentiles of the members' paired differences. Deaths count every
drug involved (CDC's convention). Cost per death averted: mean extra cost / mean deaths averted
(all drugs); n/a where no deaths are averted. Expected deaths are the risk-weighted means of the
draws: the same model with less sampling noise (useful at small scales such as 1:1000).</p>
{_headline(data)}
{_figure(deaths, "deaths-averted-chart")}
<h2>Deaths averted by state</h2>
<div class="maps">{maps}</div>
<h2>Supply displaced</h2>
<p class="note">Change in kilograms against the baseline; a rise is flow displaced there.</p>
{_figure(fos, "field-office-chart")}
{_figure(hubs, "hub-chart")}
<h3>Where supply went: places that gained flow</h3>
{_gained(data)}
<h2>Seizures, arrests and operations</h2>
{_enforcement(data)}
<script type="application/json" id="{DATA_ID}">{numbers}</script>
</body>
</html>
"""


def write_compare_report(out_dir: Path, data: dict[str, Any], summary: pd.DataFrame,
                         atlas: Atlas) -> Path:
    """Write ``compare.html`` into a comparison folder (replacing any old one).

    Args:
        out_dir: The comparison folder.
        data: ``comparison.json``'s content.
        summary: ``comparison.parquet``'s rows.
        atlas: The atlas store (map geometry).

    Returns:
        The page's path.

    Raises:
        StoreError: The page cannot be written, or the store has no map geometry.
    """
    page = render_compare_report(data, summary, usa_topojson(atlas))
    target = Path(out_dir) / COMPARE_HTML
    tmp = target.with_name(f".{COMPARE_HTML}.tmp-{os.getpid()}")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {target}: {error.strerror}") from None
    return target
