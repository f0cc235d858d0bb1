"""The comparison page over time, by cartel and faction, and per drug by port.

Deaths averted year by year (split by lever where the comparison holds each lever alone),
supply by cartel and faction, and supply per drug with port names.

Read from the members' own results (``arms/<i>-<name>/runs/run-NNNN.parquet``), paired member
by member on the same seeds, summed per calendar year with day weights (a week straddling New
Year counts in each year by its days). An arm with several levers is split by lever when the
comparison also runs each of those levers alone (an arm whose only intervention has the same
kind, dates, intensity and target): the chart then shows each lever alone and the interaction,
the combined arm less the sum of the levers alone, so the parts add up to the whole. Without
such arms the page says how to get the split.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from narcosim.analysis.arms import RUNS, arm_folder
from narcosim.core.time import annual_frame_sums
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.report.maps import drug_label
from narcosim.report.rounding import fmt_interval, fmt_number
from narcosim.report.run_data import read_metric, step_days

#: The last year of CDC counts in the data: later years are projections (shaded).
CDC_END = 2023
#: Quantiles of the members' interval (as the headline's).
LOW, HIGH = 0.05, 0.95
_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf")
_KEYS = ("kind", "start", "end", "intensity", "target")


def _e(value: Any) -> str:
    return html.escape(str(value))


def member_files(out_dir: Path, data: Mapping[str, Any]) -> dict[str, list[Path]]:
    """Each arm's member result files, in member order (arms with a missing file left out)."""
    out = {}
    for index, name in enumerate(data["arms"]):
        runs = arm_folder(out_dir, index, name) / RUNS
        files = [runs / f"run-{i:04d}.parquet" for i in range(int(data["n_runs"]))]
        if all(f.is_file() for f in files):
            out[name] = files
    return out


def annual_by_member(files: Sequence[Path], module: str, metric: str, by: list[str],
                     years: Sequence[int] | None = None) -> pd.DataFrame:
    """Day-weighted annual sums per member: a frame indexed by ``by`` + year, one column each.

    Only years the run covers completely are kept when ``years`` is None.
    """
    columns = []
    for path in files:
        rows = read_metric(path, module, [metric])
        if rows.empty:
            return pd.DataFrame()
        dates = pd.to_datetime(rows["date"])
        sums = annual_frame_sums(rows, by, step_days(rows["date"]))
        if years is None:
            last = dates.max() + pd.Timedelta(days=step_days(rows["date"]) - 1)
            whole = [y for y in range(dates.min().year, last.year + 1)
                     if dates.min() <= pd.Timestamp(y, 1, 1) and last >= pd.Timestamp(y, 12, 31)]
        else:
            whole = list(years)
        level = "year"
        columns.append(sums[sums.index.get_level_values(level).isin(whole)])
    return pd.concat(columns, axis=1, keys=range(len(columns))).fillna(0.0)


def averted_by_year(files: Mapping[str, list[Path]], baseline: str, arm: str) -> pd.DataFrame:
    """Expected deaths averted (all drugs) per year: ``year, mean, low, high`` over members."""
    base = annual_by_member(files[baseline], "people", "expected_deaths", ["drug"])
    other = annual_by_member(files[arm], "people", "expected_deaths", ["drug"])
    if base.empty or other.empty:
        return pd.DataFrame(columns=["year", "mean", "low", "high"])
    diff = (base - other).xs("all_drugs", level="drug")
    values = diff.to_numpy()
    return pd.DataFrame({"year": diff.index.astype(int), "mean": values.mean(axis=1),
                         "low": np.quantile(values, LOW, axis=1),
                         "high": np.quantile(values, HIGH, axis=1)})


def _lever_key(intervention: Mapping[str, Any]) -> tuple:
    return tuple(str(intervention.get(k)) for k in _KEYS)


def lever_arms(data: Mapping[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """For each arm with several levers: ``(lever label, arm running it alone)`` per lever."""
    scenarios = {s["name"]: s for s in data.get("scenarios", [])}
    alone = {}
    for name, spec in scenarios.items():
        levers = spec.get("interventions") or []
        if len(levers) == 1:
            alone.setdefault(_lever_key(levers[0]), name)
    out = {}
    for name, spec in scenarios.items():
        levers = spec.get("interventions") or []
        if len(levers) < 2:
            continue
        out[name] = [(str(lv.get("name") or lv.get("kind")), alone.get(_lever_key(lv), ""))
                     for lv in levers]
    return out


def _projection(fig: go.Figure, years: Sequence[int]) -> None:
    """Mark where CDC data end and shade the projection after them."""
    if years and max(years) > CDC_END:
        fig.add_vrect(x0=CDC_END + 0.5, x1=max(years) + 0.5, fillcolor="#999999",
                      opacity=0.15, layer="below", line_width=0,
                      annotation_text="projection", annotation_position="top")
        fig.add_vline(x=CDC_END + 0.5, line={"color": "#555555", "dash": "dash", "width": 1})


def averted_chart(series: Mapping[str, pd.DataFrame], titles: Mapping[str, str]) -> go.Figure:
    """Expected deaths averted per year, one line per arm with its members' 90% interval."""
    fig = go.Figure()
    years: set[int] = set()
    for i, (arm, frame) in enumerate(series.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        x = frame["year"].tolist()
        years.update(x)
        fig.add_trace(go.Scatter(
            x=x + x[::-1], y=frame["high"].tolist() + frame["low"].tolist()[::-1],
            fill="toself", fillcolor=colour, opacity=0.18, line={"width": 0},
            hoverinfo="skip", showlegend=False, meta={"arm": arm, "kind": "interval"}))
        fig.add_trace(go.Scatter(
            x=x, y=frame["mean"].tolist(), mode="lines+markers", name=titles.get(arm, arm),
            line={"color": colour, "width": 2.5}, meta={"arm": arm, "kind": "mean"},
            hovertemplate="%{x}: %{y:,.0f} deaths averted<extra></extra>"))
    _projection(fig, sorted(years))
    fig.update_layout(
        title={"text": "Expected deaths averted per year, all drugs (mean; shaded: members' "
                       "90% interval)", "x": 0.5},
        xaxis={"title": {"text": "calendar year"}, "dtick": 1},
        yaxis={"title": {"text": "expected deaths averted per year (count)"},
               "separatethousands": True, "zeroline": True},
        height=460, margin={"l": 80, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.18})
    return fig


def lever_chart(arm: str, parts: Sequence[tuple[str, pd.DataFrame]], total: pd.DataFrame,
                titles: Mapping[str, str]) -> go.Figure:
    """One arm's deaths averted per year split into its levers alone and their interaction."""
    fig = go.Figure()
    summed = np.zeros(len(total))
    for i, (label, frame) in enumerate(parts):
        values = frame.set_index("year").reindex(total["year"])["mean"].fillna(0.0).to_numpy()
        summed += values
        fig.add_trace(go.Bar(x=total["year"].tolist(), y=values.tolist(), name=f"{label} alone",
                             marker_color=_COLOURS[i % len(_COLOURS)],
                             meta={"arm": arm, "lever": label}))
    interaction = total["mean"].to_numpy() - summed
    fig.add_trace(go.Bar(x=total["year"].tolist(), y=interaction.tolist(), name="interaction",
                         marker_color="#999999", meta={"arm": arm, "lever": "interaction"}))
    fig.add_trace(go.Scatter(x=total["year"].tolist(), y=total["mean"].tolist(),
                             mode="lines+markers", name="all levers together",
                             line={"color": "#222222", "width": 2},
                             meta={"arm": arm, "lever": "total"}))
    _projection(fig, total["year"].tolist())
    fig.update_layout(
        barmode="relative",
        title={"text": f"{titles.get(arm, arm)}: expected deaths averted per year by lever",
               "x": 0.5},
        xaxis={"title": {"text": "calendar year"}, "dtick": 1},
        yaxis={"title": {"text": "expected deaths averted per year (count)"},
               "separatethousands": True},
        height=440, margin={"l": 80, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.2})
    return fig


def _window_effect(files: Mapping[str, list[Path]], baseline: str, arm: str, metric: str,
                   by: list[str], window: Mapping[str, str]) -> pd.DataFrame:
    """Members' scenario − baseline of a trafficking metric over the window's whole days."""
    def summed(paths: Sequence[Path]) -> pd.DataFrame:
        cols = []
        for path in paths:
            rows = read_metric(path, "trafficking", [metric])
            dates = pd.to_datetime(rows["date"])
            rows = rows[(dates >= pd.Timestamp(window["from"]))
                        & (dates <= pd.Timestamp(window["to"]))]
            cols.append(rows.groupby(by)["value"].sum())
        return pd.concat(cols, axis=1, keys=range(len(cols))).fillna(0.0)

    base = summed(files[baseline])
    diff = summed(files[arm]) - base
    # sums in another order differ in the last bits: below a millionth of the flow is no change
    noise = 1e-9 * float(np.abs(base.to_numpy()).max(initial=0.0))
    values = np.where(np.abs(diff.to_numpy()) <= noise, 0.0, diff.to_numpy())
    out = diff.index.to_frame(index=False)
    out["baseline"] = base.reindex(diff.index).fillna(0.0).to_numpy().mean(axis=1)
    out["mean"] = values.mean(axis=1)
    out["low"] = np.quantile(values, LOW, axis=1)
    out["high"] = np.quantile(values, HIGH, axis=1)
    return out


def organisation_table(files: Mapping[str, list[Path]], data: Mapping[str, Any],
                       titles: Mapping[str, str]) -> str:
    """Change in kilograms through the ports by cartel and faction, per arm."""
    rows = []
    for arm in data["arms"][1:]:
        if arm not in files:
            continue
        effect = _window_effect(files, data["baseline"], arm, "operator_port_kg",
                                ["operator"], data["window"])
        for r in effect.itertuples(index=False):
            cartel, _, faction = str(r.operator).partition(".")
            rows.append(f'<tr data-arm="{_e(arm)}" data-operator="{_e(r.operator)}">'
                        f"<td>{_e(titles.get(arm, arm))}</td><td>{_e(cartel)}</td>"
                        f"<td>{_e(faction or '(one organisation)')}</td>"
                        f'<td class="n">{fmt_number(r.baseline)}</td>'
                        f'<td class="n">{fmt_interval(r.mean, r.low, r.high)}</td></tr>')
    return ('<table id="organisation-table"><thead><tr><th scope="col">scenario</th>'
            '<th scope="col">cartel</th><th scope="col">faction</th><th scope="col">baseline '
            'kg through the ports</th><th scope="col">change in kg, all drugs (mean, 90% '
            "interval)</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def port_table(files: Mapping[str, list[Path]], data: Mapping[str, Any],
               titles: Mapping[str, str], top: int = 3) -> str:
    """Per arm and drug, the ports whose crossings changed most, by name."""
    names = data.get("port_names") or {}
    rows = []
    for arm in data["arms"][1:]:
        if arm not in files:
            continue
        effect = _window_effect(files, data["baseline"], arm, "crossing_kg", ["drug", "port"],
                                data["window"])
        for drug in SUPPLY_DRUGS:
            of = effect[effect["drug"] == drug]
            of = of.reindex(of["mean"].abs().sort_values(ascending=False).index).head(top)
            for r in of.itertuples(index=False):
                if r.mean == 0:
                    continue
                port = f"{names.get(str(r.port), r.port)} ({r.port})"
                rows.append(f'<tr data-arm="{_e(arm)}" data-drug="{_e(drug)}" '
                            f'data-port="{_e(r.port)}"><td>{_e(titles.get(arm, arm))}</td>'
                            f"<td>{_e(drug_label(drug))}</td><td>{_e(port)}</td>"
                            f'<td class="n">{fmt_interval(r.mean, r.low, r.high)}</td></tr>')
    if not rows:
        return '<p class="note" id="port-table">No scenario moved any port\'s crossings.</p>'
    return ('<table id="port-table"><thead><tr><th scope="col">scenario</th><th scope="col">'
            'drug</th><th scope="col">port</th><th scope="col">change in kg crossing (mean, '
            "90% interval)</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def time_section(out_dir: Path, data: Mapping[str, Any], titles: Mapping[str, str],
                 figure: Callable[[go.Figure, str], str]) -> str:
    """The page's sections over time, by organisation and by port (empty without members)."""
    files = member_files(Path(out_dir), data)
    baseline = data["baseline"]
    if baseline not in files:
        return ""
    arms = [a for a in data["arms"][1:] if a in files]
    series = {a: averted_by_year(files, baseline, a) for a in arms}
    if not any(len(s) for s in series.values()):
        chart = ('<p class="note" id="averted-by-year">The window covers no whole calendar '
                 "year: no yearly chart.</p>")
    else:
        chart = figure(averted_chart(series, titles), "averted-by-year")
    splits = []
    for arm, levers in lever_arms(data).items():
        if arm not in series or not len(series[arm]):
            continue
        missing = [label for label, alone in levers if alone not in series]
        if missing:
            splits.append(f'<p class="note" data-arm="{_e(arm)}">{_e(titles.get(arm, arm))} '
                          f"has {len(levers)} levers; to split its deaths averted by lever, "
                          f"add each lever alone as a scenario (missing: "
                          f"{_e(', '.join(missing))}).</p>")
            continue
        parts = [(label, series[alone]) for label, alone in levers]
        splits.append(figure(lever_chart(arm, parts, series[arm], titles), f"levers-{arm}"))
    return f"""<h2 id="over-time">Deaths averted over time</h2>
<p class="note">Expected deaths averted by calendar year (whole years of the runs, day-weighted),
member by member against the baseline. CDC data end in {CDC_END}: later years are projections
(shaded).</p>
{chart}
{''.join(splits)}
<h2 id="by-organisation">Supply by cartel and faction</h2>
<p class="note">Kilograms each cartel and Sinaloa faction sent through the ports over the window
counted, all drugs (mostly methamphetamine by weight), and the change against the baseline. A
border surge moves loads between ports and seizes more of them; what an operator sends is
unchanged unless its supply or its presence changes.</p>
{organisation_table(files, data, titles)}
<h3>Supply per drug, by port</h3>
{port_table(files, data, titles)}
"""
