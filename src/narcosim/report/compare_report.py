"""``compare.html``: one self-contained page for a comparison of scenarios.

The page opens with a sentence that answers the question (which scenario averts the most
expected deaths, which averts one most cheaply), then the settings (scenarios by title,
members, seeds, window), a headline table with a column per scenario (expected deaths averted
by drug, extra cost drawn within the cost ranges, cost per expected death averted, each to 3
significant figures with the members' 90% interval, or "n too small" from fewer than 5
members), charts of expected deaths averted by drug, the decisions under uncertainty
(:mod:`narcosim.report.compare_sections`: pairwise probabilities, cost-effectiveness plane,
acceptability curve), maps of expected deaths averted by state, the change in kilograms
crossing each CBP field office and through each hub, the places that gained flow, seizures,
arrests and dealer-operation tallies, and the assumptions (every lever's costs and parameters
with their source or "guess", and the model's guessed parameters). Expected deaths are used
throughout; counted deaths appear once, for reference. plotly.js is inlined
once and the US geometry is handed to it before any figure (DESIGN.md section 9), so the page
opens offline and fetches nothing. The numbers are also embedded as JSON in
``<script id="narcosim-compare-data" type="application/json">`` (``comparison.json``).

Every trace carries ``meta`` ``{"arm": …, "chart": …}`` so tests can find each series.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from narcosim.analysis.compare import MEMBERS_PARQUET
from narcosim.analysis.effects import MIN_MEMBERS
from narcosim.atlas.store import Atlas
from narcosim.core.files import write_text_atomic
from narcosim.errors import StoreError
from narcosim.report.compare_sections import (
    arm_titles,
    assumptions_section,
    decisions_section,
    money_section,
)
from narcosim.report.compare_time import time_section
from narcosim.report.maps import drug_label
from narcosim.report.offline import REPORT_CSS, TOPOJSON_NAME, geo_assets_script, page_head
from narcosim.report.rounding import fmt_interval, fmt_money, fmt_number, round_sig
from narcosim.report.run_report import usa_topojson

COMPARE_HTML = "compare.html"
DATA_ID = "narcosim-compare-data"
DRUGS: tuple[str, ...] = ("all_drugs", "fentanyl", "methamphetamine", "cocaine")
SUPPLY_DRUGS: tuple[str, ...] = ("fentanyl", "methamphetamine", "cocaine")
_CONFIG = {"displaylogo": False, "responsive": True}
_PALETTE = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
            "#17becf", "#7f7f7f", "#bcbd22")
_CSS = REPORT_CSS


def _e(value: Any) -> str:
    return html.escape(str(value))


def _interval(stat: dict[str, Any] | None, money: bool = False) -> str:
    """``mean (p5–p95)`` to 3 significant figures as a table cell; n/a when undefined.

    The members' 90% interval is shown from :data:`MIN_MEMBERS` members up ("n too small"
    below); the cell's title gives the members behind it and the mean's bootstrap interval.
    """
    if not stat or stat.get("mean") is None:
        return '<td class="n" data-value="">n/a</td>'
    fmt = fmt_money if money else fmt_number
    n = stat.get("n")
    text = fmt(stat["mean"])
    if stat.get("p5") is not None and stat.get("p95") is not None:
        text = fmt_interval(stat["mean"], stat["p5"], stat["p95"], money)
    elif n is not None and n < MIN_MEMBERS:
        text += " (n too small)"
    tip = f"n = {n} members" if n is not None else ""
    if stat.get("mean_p5") is not None and stat.get("mean_p95") is not None:
        tip += (f"; the mean's 90% bootstrap interval: {fmt(stat['mean_p5'])}–"
                f"{fmt(stat['mean_p95'])}")
    return (f'<td class="n" data-value="{float(stat["mean"])!r}" title="{_e(tip)}">'
            f"{_e(text)}</td>")


def _figure(fig: go.Figure, div_id: str) -> str:
    return pio.to_html(fig, include_plotlyjs=False, include_mathjax=False, full_html=False,
                       div_id=div_id, config=_CONFIG)


def _errors(rows: pd.DataFrame) -> dict[str, Any]:
    shown = rows["n"] >= MIN_MEMBERS
    return {"type": "data", "symmetric": False, "visible": bool(shown.all()),
            "array": (rows["p95"] - rows["mean"]).clip(lower=0).where(shown, 0).tolist(),
            "arrayminus": (rows["mean"] - rows["p5"]).clip(lower=0).where(shown, 0).tolist()}


def _bars(summary: pd.DataFrame, arms: list[str], measure: str, level: str, drug: str | None,
          by: str, title: str, ytitle: str, chart: str, titles: dict[str, str]) -> go.Figure:
    fig = go.Figure()
    order = [a for a in titles if a in set(summary["arm"])]  # colours follow the scenarios
    for arm in arms:
        colour = _PALETTE[order.index(arm) % len(_PALETTE)] if arm in order else None
        rows = summary[(summary["arm"] == arm) & (summary["measure"] == measure)
                       & (summary["level"] == level)]
        if drug is not None:
            rows = rows[rows["drug"] == drug]
        x = rows[by].astype(str).str.replace(" FIELD OFFICE", "", regex=False).str.title() \
            if by == "key" and level == "field_office" else rows[by].astype(str)
        fig.add_bar(x=x.tolist(), y=[round_sig(v) for v in rows["mean"]],
                    name=titles.get(arm, arm), error_y=_errors(rows),
                    marker_color=colour, meta={"arm": arm, "chart": chart})
    xtitle = {"drug": "drug (a death counts toward every drug involved)",
              "field_office": "CBP field office", "hub": "hub city"}.get(
        by if by != "key" else level, level)
    fig.update_layout(title=title, barmode="group", yaxis_title=ytitle, xaxis_title=xtitle,
                      height=420,
                      margin={"l": 60, "r": 20, "t": 50, "b": 80}, legend_title_text="scenario")
    return fig


def _supply_arms(summary: pd.DataFrame, arms: list[str]) -> list[str]:
    """The arms whose supply (kg crossing or through hubs) changed in some member."""
    flows = summary[summary["measure"].isin(["crossing_kg", "hub_throughput_kg"])]
    return [a for a in arms
            if (flows[flows["arm"] == a][["mean", "p5", "p95"]].abs() > 0).any(axis=None)]


def state_population(population: pd.DataFrame, year: int) -> tuple[int, dict[str, float]]:
    """Residents by state in ``year`` (the nearest year the atlas has), from ``population``."""
    years = sorted(int(y) for y in population["year"].unique())
    use = min(years, key=lambda y: (abs(y - year), -y))
    rows = population[population["year"] == use]
    return use, {str(k): float(v) for k, v in zip(rows["state_abbr"], rows["population"],
                                                  strict=True)}


def _state_rates(summary: pd.DataFrame, arm: str, residents: dict[str, float]) -> pd.DataFrame:
    rows = summary[(summary["arm"] == arm) & (summary["measure"] == "expected_deaths_averted")
                   & (summary["level"] == "state") & (summary["drug"] == "all_drugs")]
    rows = rows[rows["key"].isin(list(residents))]
    rate = rows["mean"].to_numpy(float) / rows["key"].map(residents).to_numpy(float) * 1e5
    return pd.DataFrame({"key": rows["key"].tolist(), "rate": rate})


def _state_map(rates: pd.DataFrame, arm: str, title: str, peak: float, year: int
               ) -> go.Figure:
    fig = go.Figure(go.Choropleth(
        locations=rates["key"].tolist(), z=[round_sig(v) for v in rates["rate"]],
        locationmode="USA-states", colorscale="RdBu", zmid=0, zmin=-peak, zmax=peak,
        meta={"arm": arm, "chart": "map"}, colorbar={"title": "averted<br>per 100k"},
        hovertemplate="%{location}: %{z:,.3r} expected deaths averted per 100,000 "
                      "residents<extra></extra>"))
    fig.update_layout(title=f"{title} (per 100,000, {year} population)",
                      geo={"scope": "usa"}, height=380, margin={"l": 0, "r": 0, "t": 40, "b": 0})
    return fig


def _maps(data: dict[str, Any], summary: pd.DataFrame, population: pd.DataFrame,
          titles: dict[str, str]) -> str:
    """Per-capita maps of every arm on one shared, diverging colour scale."""
    year, residents = state_population(population, int(data["window"]["to"][:4]))
    arms = list(data["arms"][1:])
    rates = {arm: _state_rates(summary, arm, residents) for arm in arms}
    peak = max([float(np.nanmax(np.abs(r["rate"]))) for r in rates.values() if len(r)]
               + [0.0]) or 1.0
    figures = [_state_map(rates[arm], arm, titles[arm], peak, year) for arm in arms]
    return "".join(f'<div class="map">{_figure(fig, f"map-{i}")}</div>'
                   for i, fig in enumerate(figures))


def _header(data: dict[str, Any], titles: dict[str, str]) -> str:
    seeds = (f"{data['n_runs']} members per scenario, seeds derived from run seed "
             f"{data['seed']} (the same seeds in every scenario)")
    rows = [("baseline", titles.get(data["baseline"], data["baseline"])),
            ("compared", ", ".join(titles.get(a, a) for a in data["arms"][1:])),
            ("members", seeds),
            ("scale", f"1:{data['scale']} (one agent for {data['scale']:,} people)"),
            ("runs", f"{data['start']} to {data['end']}"),
            ("window counted", f"{data['window']['from']} to {data['window']['to']}"),
            ("narcosim version", data.get("narcosim_version")),
            ("command", " ".join(str(a) for a in data.get("command") or []))]
    body = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows)
    return f'<table class="meta" id="compare-meta">{body}</table>'


def _headline(data: dict[str, Any], titles: dict[str, str]) -> str:
    arms = data["arms"][1:]
    res = [data["results"][a] for a in arms]
    rows: list[tuple[str, str, list[str]]] = []
    for drug in DRUGS:
        rows.append((f"expected_{drug}", f"expected deaths averted: {drug_label(drug)}",
                     [_interval(r["deaths_averted"]["expected_national"].get(drug))
                      for r in res]))
    rows.append(("counted_all_drugs", "counted deaths averted: all drugs (sampled, noisier)",
                 [_interval(r["deaths_averted"]["national"].get("all_drugs")) for r in res]))
    rows.append(("cost", "extra cost, US$ (drawn within the cost ranges)",
                 [_interval(r["cost"]["incremental_usd"], money=True) for r in res]))
    rows.append(("cost_booked", "extra cost at the point values, US$",
                 [_interval(r["cost"].get("booked_usd"), money=True) for r in res]))
    rows.append(("cost_per_death", "cost per expected death averted, US$",
                 [_interval(r["cost"]["per_expected_death_averted"], money=True)
                  for r in res]))
    head = "".join(f'<th data-arm="{_e(a)}">{_e(titles.get(a, a))}</th>' for a in arms)
    body = "".join(f'<tr data-row="{_e(key)}"><td>{_e(label)}</td>{"".join(cells)}</tr>'
                   for key, label, cells in rows)
    return (f'<table id="headline-table"><thead><tr><th>measure</th>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _opening(data: dict[str, Any], titles: dict[str, str]) -> str:
    """The sentence that answers the question: which arm averts most, which most cheaply."""
    arms = data["arms"][1:]
    window = f"{data['window']['from']} to {data['window']['to']}"

    def averted(arm: str) -> float:
        stat = data["results"][arm]["deaths_averted"]["expected_national"].get("all_drugs")
        return float(stat["mean"]) if stat and stat.get("mean") is not None else float("nan")

    most = max(arms, key=lambda a: averted(a) if averted(a) == averted(a) else -1e300)
    text = (f"From {window}, against {titles.get(data['baseline'], data['baseline'])}, "
            f"{titles.get(most, most)} averts the most expected deaths "
            f"({fmt_number(averted(most))} on average over {data['n_runs']} members)")
    ratios = {a: data["results"][a]["cost"]["per_expected_death_averted"].get("mean")
              for a in arms}
    priced = {a: r for a, r in ratios.items() if r is not None}
    if priced:
        cheap = min(priced, key=lambda a: priced[a])
        text += (f"; {titles.get(cheap, cheap)} averts a death most cheaply "
                 f"({fmt_money(priced[cheap])} per expected death averted)")
    return f'<p class="lead" id="answer">{_e(text)}.</p>'


def _gained(data: dict[str, Any], titles: dict[str, str], top: int = 10) -> str:
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
                            f'data-key="{_e(key)}"><td>{_e(titles.get(arm, arm))}</td>'
                            f'<td>{_e(label)}</td>'
                            f'<td>{_e(name)}</td>{_interval(item)}</tr>')
    if not body:
        return ('<p class="note" id="gained-table">No port, field office, hub or state gained '
                "flow in any scenario.</p>")
    return ('<table id="gained-table"><thead><tr><th>scenario</th><th>where</th><th>name</th>'
            "<th>extra kg (all drugs)</th></tr></thead><tbody>" + "".join(body)
            + "</tbody></table>")


def _enforcement(data: dict[str, Any], titles: dict[str, str]) -> str:
    body = []
    for arm in data["arms"][1:]:
        enf = data["results"][arm]["enforcement"]
        items = [(f"border seizures, kg: {d}", v) for d, v in enf["border_seized_kg"].items()]
        items += [(f"domestic seizures, kg: {d}", v)
                  for d, v in enf["domestic_seized_kg"].items()]
        items.append(("dealer arrests", enf["dealer_arrests"]))
        items += [(f"dealer operations: {k}", v) for k, v in enf["operation"].items()]
        changed = [(k, v) for k, v in items if any(v.get(f) for f in ("mean", "p5", "p95"))]
        body += [f'<tr data-arm="{_e(arm)}"><td>{_e(titles.get(arm, arm))}</td><td>{_e(k)}'
                 f"</td>{_interval(v)}</tr>" for k, v in changed]
        if len(changed) < len(items):
            body.append(f'<tr data-arm="{_e(arm)}"><td>{_e(titles.get(arm, arm))}</td><td>'
                        f"{len(items) - len(changed)} other measures</td><td>no change in any "
                        "member</td></tr>")
    return ('<table id="enforcement-table"><thead><tr><th>scenario</th><th>measure</th>'
            "<th>change vs baseline</th></tr></thead><tbody>" + "".join(body)
            + "</tbody></table>")


def render_compare_report(data: dict[str, Any], summary: pd.DataFrame, topojson: str,
                          members: pd.DataFrame, population: pd.DataFrame,
                          out_dir: Path | None = None) -> str:
    """Render the comparison page.

    Args:
        data: ``comparison.json``'s content.
        summary: ``comparison.parquet``'s rows.
        topojson: The ``usa_110m`` TopoJSON text for the maps.
        members: ``comparison_members.parquet``'s rows (the cost-effectiveness plane).
        population: The atlas ``population`` table (per-capita maps).
        out_dir: The comparison folder, whose members' results give the sections over time
            and by organisation (left out when None).

    Returns:
        The HTML text.
    """
    arms = list(data["arms"][1:])
    titles = arm_titles(data)
    deaths = _bars(summary, arms, "expected_deaths_averted", "national", None, "drug",
                   "Expected deaths averted by drug (mean; bars: members' 90% interval)",
                   "expected deaths averted (count)", "deaths_averted", titles)
    moved = _supply_arms(summary, arms)
    fos = "".join(_figure(_bars(
        summary, moved, "crossing_kg", "field_office", drug, "key",
        f"Change in {drug_label(drug).split(' (')[0].lower()} crossing by CBP field office, kg",
        "kg vs baseline", f"field_office_{drug}", titles), f"field-office-chart-{drug}")
        for drug in SUPPLY_DRUGS)
    hubs = _bars(summary, moved, "hub_throughput_kg", "hub", "all_drugs", "key",
                 "Change in kg through each hub (all drugs: mostly methamphetamine by weight)",
                 "kg vs baseline", "hub", titles)
    still = [titles[a] for a in arms if a not in moved]
    unmoved = (f"<p class=\"note\" id=\"no-supply-change\">No change in supply in any member: "
               f"{_e(', '.join(still))} (not shown in the supply charts).</p>" if still else "")
    maps = _maps(data, summary, population, titles)
    numbers = json.dumps(data, allow_nan=False).replace("</", "<\\/")
    title = (f"narcosim comparison: {', '.join(titles[a] for a in arms)} vs "
             f"{titles[data['baseline']]}")
    geo = geo_assets_script({TOPOJSON_NAME: topojson})
    n = int(data["n_runs"])
    small = (f" With {n} members, fewer than {MIN_MEMBERS}, no interval is printed (\"n too "
             "small\"): rerun with more --runs." if n < MIN_MEMBERS else "")
    return page_head(title, _CSS, geo) + f"""<main><h1>{_e(title)}</h1>
{_opening(data, titles)}
{_header(data, titles)}
<h2>Headline</h2>
<p class="note">Each scenario against the baseline, member by member on the same seeds (common
random numbers), summed over the window counted. Figures are rounded to 3 significant figures:
the mean over {n} members and in brackets their 90% interval, the 5th to 95th percentiles of
the members' paired differences (hover a cell for the mean's bootstrap interval).{small}
Deaths are <strong>expected deaths</strong> (the risk-weighted means of the model's draws:
the same model with less sampling noise) in the headline, the bars, the maps and the cost per
death; counted deaths are shown once for reference. A death counts toward every drug involved
(CDC's convention), so drugs do not add up to all drugs. Costs are drawn per member within each
lever's range (see Assumptions); cost per death averted is mean extra cost / mean expected
deaths averted, n/a where none are averted.</p>
{_headline(data, titles)}
{_figure(deaths, "deaths-averted-chart")}
{time_section(out_dir, data, titles, _figure) if out_dir is not None else ""}
{decisions_section(data, members, _figure)}
<h2>Deaths averted by state</h2>
<p class="note">Expected deaths averted per 100,000 residents, all drugs, mean over members; one
colour scale for every scenario (blue: deaths averted, red: more deaths).</p>
<div class="maps">{maps}</div>
<h2>Supply displaced</h2>
<p class="note">Change in kilograms against the baseline, drug by drug (a kilogram of fentanyl
and a kilogram of methamphetamine are not alike); a rise is flow displaced there.</p>
{unmoved}
{fos}
{_figure(hubs, "hub-chart")}
<h3>Where supply went: places that gained flow</h3>
{_gained(data, titles)}
<h2>Seizures, arrests and operations</h2>
{_enforcement(data, titles)}
{money_section(summary, arms, titles, _interval)}
{assumptions_section(data)}</main>
<script type="application/json" id="{DATA_ID}">{numbers}</script>
</body>
</html>
"""


def write_compare_report(out_dir: Path, data: dict[str, Any], summary: pd.DataFrame,
                         atlas: Atlas, members: pd.DataFrame | None = None) -> Path:
    """Write ``compare.html`` into a comparison folder (replacing any old one).

    Args:
        out_dir: The comparison folder.
        data: ``comparison.json``'s content.
        summary: ``comparison.parquet``'s rows.
        atlas: The atlas store (map geometry).
        members: ``comparison_members.parquet``'s rows (read from ``out_dir`` when None).

    Returns:
        The page's path.

    Raises:
        StoreError: The page cannot be written, the members cannot be read, or the store
            has no map geometry.
    """
    if members is None:
        try:
            members = pd.read_parquet(Path(out_dir) / MEMBERS_PARQUET)
        except (OSError, ValueError) as error:
            raise StoreError(f"cannot read {Path(out_dir) / MEMBERS_PARQUET}: {error}") from None
    page = render_compare_report(data, summary, usa_topojson(atlas), members,
                                 atlas.table("population"), out_dir=Path(out_dir))
    target = Path(out_dir) / COMPARE_HTML
    return write_text_atomic(target, page)
