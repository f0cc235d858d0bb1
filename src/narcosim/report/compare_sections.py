"""Sections of ``compare.html`` for decisions under uncertainty and for the assumptions.

* :func:`decisions_section`: the pairwise table (the share of members in which each arm averts
  a death more cheaply than another), the cost-effectiveness plane (one point per member per
  arm) and the acceptability curve (the share of members in which each option has the highest
  net benefit at each willingness to pay), from ``comparison.json``'s ``decisions`` and the
  members' paired effects (see :mod:`narcosim.analysis.decisions`).
* :func:`assumptions_section`: every lever's costs (value, range, source), settings and
  parameters with their source or the word "guess", and the model parameters whose specs are
  guesses (see :mod:`narcosim.analysis.assumptions`).

Every trace carries ``meta`` ``{"arm": …, "chart": …}`` so tests can find each series.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from narcosim.analysis.decisions import cost_effect_points
from narcosim.report.rounding import fmt_money, fmt_number, fmt_percent

PALETTE = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")
BASELINE_COLOUR = "#555555"


def _e(value: Any) -> str:
    return html.escape(str(value))


def source_cell(source: str, guess: bool) -> str:
    """A source as a table cell: the citation, or "guess" (and its reason) in bold."""
    text = source.strip()
    if guess:
        reason = text[5:].lstrip(" :—-") if text.lower().startswith("guess") else text
        body = "<strong>guess</strong>" + (f": {_e(reason)}" if reason else "")
        return f'<td class="source guess">{body}</td>'
    return f'<td class="source">{_e(text)}</td>'


def ce_plane(members: pd.DataFrame, titles: Mapping[str, str]) -> go.Figure:
    """Cost-effectiveness plane: expected deaths averted vs extra cost, a point per member."""
    points = cost_effect_points(members)
    fig = go.Figure()
    for k, (arm, rows) in enumerate(points.groupby("arm", sort=False)):
        fig.add_scatter(
            x=rows["deaths_averted"].tolist(), y=(rows["cost_usd"] / 1e6).tolist(),
            mode="markers", name=titles.get(str(arm), str(arm)),
            marker={"color": PALETTE[k % len(PALETTE)], "size": 9, "opacity": 0.8},
            customdata=rows["member"].tolist(), meta={"arm": str(arm), "chart": "ce_plane"},
            hovertemplate="member %{customdata}: %{x:,.3r} deaths averted, "
                          "$%{y:,.3r}M<extra></extra>")
    fig.add_vline(x=0, line={"color": "#999", "width": 1})
    fig.add_hline(y=0, line={"color": "#999", "width": 1})
    fig.update_layout(
        title="Cost-effectiveness plane: one point per member and scenario",
        xaxis_title="expected deaths averted vs baseline (all drugs, window)",
        yaxis_title="extra cost vs baseline, US$ million (costs drawn in their ranges)",
        height=460, margin={"l": 70, "r": 20, "t": 50, "b": 60}, legend_title_text="scenario")
    return fig


def ceac_chart(decisions: Mapping[str, Any], titles: Mapping[str, str], baseline: str
               ) -> go.Figure:
    """Acceptability curve: share of members in which each option is the most cost-effective."""
    curve = decisions["acceptability"]
    wtp = curve["wtp_usd_per_death"]
    fig = go.Figure()
    for k, (option, shares) in enumerate(curve["options"].items()):
        colour = BASELINE_COLOUR if option == baseline else PALETTE[(k - 1) % len(PALETTE)]
        label = titles.get(option, option) + (" (baseline)" if option == baseline else "")
        fig.add_scatter(x=wtp, y=shares, mode="lines", name=label,
                        line={"color": colour, "width": 2.5,
                              "dash": "dot" if option == baseline else "solid"},
                        meta={"arm": option, "chart": "ceac"},
                        hovertemplate="$%{x:,.3s} per death averted: %{y:.0%}<extra></extra>")
    fig.update_layout(
        title="Cost-effectiveness acceptability curve",
        xaxis={"title": {"text": "willingness to pay per expected death averted, US$ (log)"},
               "type": "log"},
        yaxis={"title": {"text": "share of members in which it is the most cost-effective"},
               "range": [0, 1.02], "tickformat": ".0%"},
        height=440, margin={"l": 70, "r": 20, "t": 50, "b": 60}, legend_title_text="option")
    return fig


def pairwise_table(decisions: Mapping[str, Any], titles: Mapping[str, str]) -> str:
    """The pairwise probabilities as an HTML table (``#pairwise-table``)."""
    pairs = decisions.get("pairwise") or []
    if not pairs:
        return ('<p class="note" id="pairwise-table">One scenario against the baseline: no '
                "pair of scenarios to set against each other.</p>")
    body = []
    for p in pairs:
        a, b = titles.get(p["arm_a"], p["arm_a"]), titles.get(p["arm_b"], p["arm_b"])
        body.append(f'<tr data-a="{_e(p["arm_a"])}" data-b="{_e(p["arm_b"])}">'
                    f"<td>{_e(a)}</td><td>{_e(b)}</td>"
                    f'<td class="n" data-value="{p["p_a"]!r}">{fmt_percent(p["p_a"])}</td>'
                    f'<td class="n" data-value="{p["p_b"]!r}">{fmt_percent(p["p_b"])}</td>'
                    f'<td class="n" data-value="{p["p_tie"]!r}">{fmt_percent(p["p_tie"])}</td>'
                    f'<td class="n">{int(p["n"])}</td></tr>')
    return ('<table id="pairwise-table"><thead><tr><th>scenario A</th><th>scenario B</th>'
            "<th>P(A averts a death more cheaply)</th><th>P(B averts a death more cheaply)"
            "</th><th>P(tie: neither averts any)</th><th>members</th></tr></thead><tbody>"
            + "".join(body) + "</tbody></table>")


def decisions_section(data: Mapping[str, Any], members: pd.DataFrame,
                      figure: Callable[[go.Figure, str], str]) -> str:
    """The "Decisions under uncertainty" section."""
    titles = arm_titles(data)
    decisions = data["decisions"]
    return f"""<h2 id="decisions">Decisions under uncertainty</h2>
<p class="note">Member by member (the same seeds, so the same world under each policy, and the
same cost draws for the same lever), using {_e(decisions["deaths"])}. A scenario averts a death
more cheaply than another in a member when its extra cost per death averted is lower there; a
scenario that averts no deaths in a member has no finite cost per death and loses. The shares
are over {int(data["n_runs"])} members: with few members they are coarse (steps of
{fmt_percent(1 / max(int(data["n_runs"]), 1))}).</p>
{pairwise_table(decisions, titles)}
{figure(ce_plane(members, titles), "ce-plane")}
<p class="note">The acceptability curve: at each willingness to pay per death averted, the share
of members in which each option, the baseline (spend nothing, avert nothing) included, has the
highest net benefit, willingness to pay × deaths averted − extra cost. The shares sum to 100%
at every point.</p>
{figure(ceac_chart(decisions, titles, str(data["baseline"])), "ceac")}
"""


def arm_titles(data: Mapping[str, Any]) -> dict[str, str]:
    """Arm name -> the scenario's title (its ``[scenario] name``), the name when untitled."""
    return {s["name"]: (s.get("title") or s["name"]) for s in data.get("scenarios", [])}


#: What a lever's unit cost is per.
UNIT_OF = {"naloxone": " per person reached a year (a kit each)",
           "treatment": " per patient-year of treatment delivered"}


def _cost_text(cost: Mapping[str, Any], kind: str) -> str:
    unit = " a year" if cost["field"] == "annual_cost" else UNIT_OF.get(kind, " per unit")
    value = fmt_money(cost["value"])
    if cost["ranged"]:
        return f"{value}{unit}, range {fmt_money(cost['low'])}–{fmt_money(cost['high'])}"
    return f"{value}{unit}, no range given (taken as exact)"


def _value_text(value: Any, units: str = "") -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _e(value)
    whole = float(value).is_integer() and abs(value) < 10_000  # counts, weeks, years
    text = str(int(value)) if whole else fmt_number(value)
    return _e(text + (f" {units}" if units else ""))


def assumptions_section(data: Mapping[str, Any]) -> str:
    """The "Assumptions" section: every lever's costs and parameters, and the model's guesses."""
    info = data.get("assumptions") or {}
    titles = arm_titles(data)
    rows = []
    for arm, levers in (info.get("levers") or {}).items():
        for lever in levers:
            where = (f"<td>{_e(titles.get(arm, arm))}</td><td>{_e(lever['label'])} "
                     f"({_e(lever['start'])} to {_e(lever['end'])})</td>")
            for cost in lever["costs"]:
                text = _cost_text(cost, lever["kind"])
                rows.append(f'<tr data-arm="{_e(arm)}" data-kind="cost">{where}'
                            f"<td>{_e(cost['field'])}</td><td>{_e(text)}</td>"
                            f"{source_cell(lever['cost_source'], lever['cost_guess'])}</tr>")
            for item in lever["settings"]:
                rows.append(f'<tr data-arm="{_e(arm)}" data-kind="setting">{where}'
                            f"<td>{_e(item['name'])}</td><td>{_value_text(item['value'])}</td>"
                            f"{source_cell(item['source'], item['guess'])}</tr>")
            for item in lever["parameters"]:
                rows.append(f'<tr data-arm="{_e(arm)}" data-kind="parameter">{where}'
                            f"<td>{_e(item['name'])}</td>"
                            f"<td>{_value_text(item['value'], item['units'])}</td>"
                            f"{source_cell(item['source'], item['guess'])}</tr>")
    levers = ('<table id="assumptions-levers"><thead><tr><th>scenario</th><th>lever</th>'
              "<th>assumption</th><th>value</th><th>source</th></tr></thead><tbody>"
              + "".join(rows) + "</tbody></table>") if rows else (
        '<p class="note" id="assumptions-levers">No levers in any scenario.</p>')
    guesses = info.get("model_guesses") or []
    counts = info.get("counts") or {}
    model_rows = "".join(
        f'<tr data-module="{_e(g["module"])}"><td>{_e(g["module"])}</td><td>{_e(g["name"])}'
        f"</td><td>{_value_text(g['value'], g['units'])}</td>"
        f"{source_cell(g['source'], True)}</tr>" for g in guesses)
    return f"""<h2 id="assumptions">Assumptions</h2>
<p class="note">Every lever's costs, settings and parameters, with the source of each value or
the word <strong>guess</strong>. Costs are drawn per member within their range (triangular,
most likely at the value shown); a cost without a source counts as a guess.</p>
{levers}
<h3>Model parameters that are guesses</h3>
<p class="note">{int(counts.get("model_guesses", len(guesses)))} of
{int(counts.get("model_parameters", 0))} model parameters have defaults marked as guesses in
their specs (calibrated values may replace some of them in a run; see docs/model.md). Results
lean on them: treat the figures above as conditional on these values.</p>
<table id="assumptions-model"><thead><tr><th>module</th><th>parameter</th><th>default</th>
<th>source</th></tr></thead><tbody>{model_rows}</tbody></table>
"""


#: Money and reach measures shown in the compare page: measure -> (label, dollars?).
MONEY_MEASURES: dict[str, tuple[str, bool]] = {
    "cartel_revenue_usd": ("cartel revenue from US sales", True),
    "other_revenue_usd": ("cartel revenue besides US sales", True),
    "laundered_usd": ("laundered south", True),
    "money_seized_usd": ("money seized", True),
    "export_kg": ("exported abroad, kg", False),
    "precursor_shipped_kg": ("precursors shipped, kg", False),
    "precursor_seized_kg": ("precursors seized, kg", False),
    "guns_seized_border": ("guns seized going south", False),
    "guns_seized_ops": ("guns seized in dealer operations", False),
    "guns_arrived": ("guns arrived in Mexico", False),
    "conflict_factor": ("cartel conflict lethality factor (mean)", False),
}


def money_section(summary: pd.DataFrame, arms: list[str], titles: Mapping[str, str],
                  cell: Callable[[dict[str, Any] | None, bool], str]) -> str:
    """The money and reach table: each arm's change in the money and export measures.

    Rows are the arms' changes against the baseline (mean and the members' 90% interval) in
    cartel revenue (US sales by drug; exports, migrant smuggling and sex trafficking by
    line), laundering and seizures by channel, exports by region, precursor shipments by
    source, and the guns seized and arrived with the conflict factor
    (:mod:`narcosim.analysis.measures`); empty when the members have no money.

    Args:
        summary: ``comparison.parquet``'s rows.
        arms: The scenario arms, in order.
        titles: Arm -> title.
        cell: Formats one statistic (``mean``, ``p5``, ``p95``, ``n``) as a table cell; the
            flag says dollars.
    """
    rows = summary[summary["measure"].isin(list(MONEY_MEASURES))]
    if rows.empty:
        return ""
    body = []
    for arm in arms:
        mine = rows[rows["arm"] == arm]
        moved = mine[(mine["mean"].fillna(0) != 0) | (mine["p5"].fillna(0) != 0)
                     | (mine["p95"].fillna(0) != 0)]
        for row in moved.itertuples():
            label, dollars = MONEY_MEASURES[row.measure]
            where = " ".join(str(v).replace("_", " ") for v in (row.key, row.drug)
                             if v and v != "US")
            stat = {"mean": row.mean, "p5": row.p5, "p95": row.p95, "n": row.n}
            body.append(f'<tr data-arm="{_e(arm)}" data-measure="{_e(row.measure)}"><td>'
                        f"{_e(titles.get(arm, arm))}</td><td>{_e(label)}"
                        f"{': ' + _e(where) if where else ''}</td>{cell(stat, dollars)}</tr>")
        if len(moved) < len(mine):
            body.append(f'<tr data-arm="{_e(arm)}"><td>{_e(titles.get(arm, arm))}</td><td>'
                        f"{len(mine) - len(moved)} other money measures</td><td>no change in "
                        "any member</td></tr>")
    return ('<h2>Money and the cartels\' reach</h2><p class="note">Change against the '
            "baseline in the cartels' revenue, laundering, exports abroad, precursor "
            "shipments and the guns going south (prices, markets and shares are cited "
            "ranges and marked guesses; migrant smuggling and sex trafficking are rough; "
            "see docs/beyond_border.md)."
            '</p><table id="money-table"><thead><tr><th>scenario</th><th>measure</th>'
            "<th>change vs baseline</th></tr></thead><tbody>" + "".join(body)
            + "</tbody></table>")
