"""The run report's publishable sections: answer, levers, supply, assumptions.

A run (or ensemble) page answers "how many die under this scenario, and can the model be
trusted": :func:`opening` says it in one sentence with rounded figures and, for an ensemble, the
5–95% range across runs. :func:`scenario_section` lists the interventions the scenario runs (or
says there are none). :func:`supply_section` breaks the last complete year's supply down by
cartel and faction (kilograms through the ports by operator, states with a presence) and by drug
with port names (kilograms crossing, by port). :func:`run_assumptions` reuses the comparison's
assumptions table (:mod:`narcosim.analysis.assumptions`), so every lever cost and every guessed
model parameter is shown with its source or the word guess.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from narcosim.analysis.assumptions import comparison_assumptions
from narcosim.core.time import annual_frame_sums
from narcosim.model.people import DEATH_KEYS
from narcosim.report.compare_sections import assumptions_section
from narcosim.report.maps import drug_label
from narcosim.report.rounding import fmt_interval, fmt_number, fmt_percent
from narcosim.report.run_charts import national_band, national_series
from narcosim.report.run_data import ReportData, read_metric, step_days

#: Ports listed per drug in the supply table.
TOP_PORTS = 5


def _e(value: Any) -> str:
    return html.escape(str(value))


def scenario_of(meta: Mapping[str, Any]) -> tuple[str, str, str, list[dict[str, Any]]]:
    """The scenario's name, title, description and interventions from a run's manifest.

    Works on a run's ``manifest.json`` and an ensemble's ``ensemble.json`` (both record the
    scenario file's resolved content under ``scenario_file.resolved``).
    """
    name = str(meta.get("scenario") or (meta.get("spec") or {}).get("scenario") or "default")
    resolved = (meta.get("scenario_file") or {}).get("resolved") or {}
    head = resolved.get("scenario") or {}
    interventions = [dict(i) for i in resolved.get("interventions") or []]
    return (name, str(head.get("name") or name), str(head.get("description") or ""),
            interventions)


def data_end(data: ReportData) -> int | None:
    """The last year with CDC counts in the report (None when there are none)."""
    years = [int(y) for y in data.cdc_national.columns
             if data.cdc_national[y].notna().any()]
    return max(years) if years else None


def opening(data: ReportData) -> str:
    """One sentence that answers the page's question, figures rounded, ranges for ensembles."""
    _, title, _, interventions = scenario_of(data.source.meta)
    years = list(data.years)
    last = len(years) - 1
    expected = national_series(data, "expected_deaths")
    band = national_band(data) if data.has_bands() else None
    i_all, i_fent = DEATH_KEYS.index("all_drugs"), DEATH_KEYS.index("fentanyl")

    def deaths(i: int) -> str:
        if band is None:
            return fmt_number(expected[i, last])
        return fmt_interval(expected[i, last], band[0, i, last], band[1, i, last])

    fit = data.fit.set_index("drug")
    end = data_end(data)
    projected = end is not None and years[-1] > end
    verb = "projects" if projected else "gives"
    levers = (f" with {len(interventions)} intervention{'s' if len(interventions) > 1 else ''}"
              if interventions else " (no interventions)")
    text = (f"Under “{_e(title)}”{levers}, the model {verb} {deaths(i_all)} overdose deaths in "
            f"{years[-1]}, {deaths(i_fent)} of them involving fentanyl")
    text += " (5–95% across runs)." if band is not None else "."
    if "all_drugs" in fit.index:
        fit_years = list(data.fit_years)
        span = (f"{fit_years[0]}–{fit_years[-1]}" if len(fit_years) > 1
                else str(fit_years[0]))
        text += (f" Against CDC's counts for {span}, the national total is off by "
                 f"{fmt_percent(fit.loc['all_drugs', 'mape'])} on average a year "
                 f"(fentanyl {fmt_percent(fit.loc['fentanyl', 'mape'])}).")
    if projected:
        text += f" Years after {end} are projections: CDC data end in {end}."
    return f'<p class="lead" id="answer">{text}</p>'


def _target_text(target: Any) -> str:
    if not target:
        return "everywhere"
    if isinstance(target, Mapping):
        return "; ".join(f"{k.replace('_', ' ')}: {', '.join(map(str, v))}"
                         if isinstance(v, list | tuple) else f"{k}: {v}"
                         for k, v in target.items())
    return str(target)


def scenario_section(meta: Mapping[str, Any]) -> str:
    """The scenario: its description and every intervention (kind, dates, intensity, target)."""
    _, title, description, interventions = scenario_of(meta)
    desc = f"<p>{_e(description)}</p>" if description else ""
    if not interventions:
        return (f'<h2 id="scenario">Scenario: {_e(title)}</h2>{desc}<p id="interventions">'
                "No interventions: the calibrated model as it stands (the status quo).</p>")
    rows = "".join(
        f"<tr><td>{_e(i.get('label') or i.get('name') or i.get('kind'))}</td>"
        f"<td>{_e(i.get('kind'))}</td><td>{_e(i.get('start'))} to {_e(i.get('end'))}</td>"
        f'<td class="n">{fmt_number(float(i.get("intensity", 1.0)))}</td>'
        f"<td>{_e(_target_text(i.get('target')))}</td></tr>" for i in interventions)
    return (f'<h2 id="scenario">Scenario: {_e(title)}</h2>{desc}'
            '<table id="interventions"><thead><tr><th scope="col">intervention</th>'
            '<th scope="col">kind</th><th scope="col">when</th><th scope="col">intensity</th>'
            f'<th scope="col">target</th></tr></thead><tbody>{rows}</tbody></table>')


def _annual(files: Sequence[Path], module: str, metric: str, by: list[str]) -> pd.DataFrame:
    """Members' mean of day-weighted annual sums of one metric, by ``by`` and year."""
    sums = []
    for path in files:
        rows = read_metric(path, module, [metric])
        if rows.empty:
            return pd.DataFrame()
        sums.append(annual_frame_sums(rows, by, step_days(rows["date"])))
    mean = pd.concat(sums, axis=1).mean(axis=1)
    return mean.rename("value").reset_index()


def supply_tables(files: Sequence[Path], year: int, ports: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The year's supply by operator (cartel and faction) and by drug and port.

    Args:
        files: The run's result files (an ensemble's members: their mean is taken).
        year: A calendar year the run covers completely.
        ports: The atlas ``ports`` table (port names).

    Returns:
        ``operators`` (``cartel, faction, kg, share``) and ``ports`` (``drug, port_code,
        port_name, state_abbr, kg``, the top :data:`TOP_PORTS` per drug); empty frames when
        the run recorded no trafficking.
    """
    by_op = _annual(files, "trafficking", "operator_port_kg", ["operator"])
    crossing = _annual(files, "trafficking", "crossing_kg", ["drug", "port"])
    if by_op.empty or crossing.empty:
        return {"operators": pd.DataFrame(), "ports": pd.DataFrame()}
    ops = by_op[by_op["year"] == year].groupby("operator", as_index=False)["value"].sum()
    ops[["cartel", "faction"]] = ops["operator"].str.split(".", n=1, expand=True).reindex(
        columns=[0, 1]).fillna("")
    ops["faction"] = np.where(ops["faction"] == "", "(one organisation)", ops["faction"])
    total = ops["value"].sum()
    ops = ops.assign(kg=ops["value"], share=ops["value"] / total if total > 0 else 0.0)
    ops = ops.sort_values(["cartel", "kg"], ascending=[True, False])[
        ["cartel", "faction", "kg", "share"]].reset_index(drop=True)
    cross = crossing[crossing["year"] == year].rename(columns={"port": "port_code",
                                                               "value": "kg"})
    names = ports[["port_code", "port_name", "state_abbr"]].astype({"port_code": str})
    cross = cross.astype({"port_code": str}).merge(names, on="port_code", how="left")
    top = (cross.sort_values(["drug", "kg"], ascending=[True, False]).groupby("drug")
           .head(TOP_PORTS))
    return {"operators": ops,
            "ports": top[["drug", "port_code", "port_name", "state_abbr", "kg"]]
            .reset_index(drop=True)}


def presence_counts(path: Path, year: int) -> dict[str, int]:
    """States where each cartel has at least one operator present at the year's last step."""
    rows = read_metric(path, "distribution", ["presence"])
    if rows.empty:
        return {}
    dates = pd.to_datetime(rows["date"])
    rows = rows[dates.dt.year == year]
    if rows.empty:
        return {}
    last = rows[rows["date"] == rows["date"].max()]
    return {str(c): int((g["value"] > 0).sum()) for c, g in last.groupby("cartel", sort=False)}


def supply_section(data: ReportData, ports: pd.DataFrame) -> str:
    """Supply by cartel and faction, and per drug with port names, in the last complete year."""
    year = int(data.years[-1])
    tables = supply_tables(data.source.files, year, ports)
    ops, top = tables["operators"], tables["ports"]
    if ops.empty:
        return '<h2 id="supply">Supply</h2><p class="note">This run has no trafficking.</p>'
    op_rows = "".join(
        f'<tr data-cartel="{_e(r.cartel)}"><td>{_e(r.cartel)}</td><td>{_e(r.faction)}</td>'
        f'<td class="n">{fmt_number(r.kg / 1000.0)}</td>'
        f'<td class="n">{fmt_percent(r.share)}</td></tr>' for r in ops.itertuples())
    port_rows = "".join(
        f'<tr data-drug="{_e(r.drug)}"><td>{_e(drug_label(r.drug))}</td>'
        f"<td>{_e(r.port_name)} ({_e(r.state_abbr)}, {_e(r.port_code)})</td>"
        f'<td class="n">{fmt_number(r.kg)}</td></tr>' for r in top.itertuples())
    mean = " (mean of the runs)" if data.source.kind == "ensemble" else ""
    present = presence_counts(data.source.files[0], year)
    where = ", ".join(f"{cartel} in {n}" for cartel, n in present.items())
    presence = (f'<p id="supply-presence">States (DC counted as one) where each cartel had a '
                f"presence at the end of {year}, first run: {_e(where)}.</p>"
                if present else "")
    return f"""<h2 id="supply">Supply in {year}: by cartel and faction, by drug and port</h2>
<p class="note">Kilograms sent through the US–Mexico land ports in {year}{mean}, day-weighted
(a week that straddles New Year counts in each year by its days). By operator, all drugs
together, so methamphetamine's tonnage dominates; by drug, each in its own kilograms.</p>
<table id="supply-operators"><thead><tr><th scope="col">cartel</th><th scope="col">faction</th>
<th scope="col">tonnes through the ports</th><th scope="col">share</th></tr></thead>
<tbody>{op_rows}</tbody></table>
{presence}
<table id="supply-ports"><thead><tr><th scope="col">drug</th><th scope="col">port</th>
<th scope="col">kg crossing</th></tr></thead><tbody>{port_rows}</tbody></table>
<p class="note">Source: narcosim model run (simulated flows, fitted to CBP southwest-border
seizures FY2019–FY2023); port names: BTS Border Crossing Entry Data.</p>
"""


def run_assumptions(meta: Mapping[str, Any]) -> str:
    """The assumptions table of the comparison page, for this run's one scenario."""
    name, title, _, interventions = scenario_of(meta)
    info = comparison_assumptions([(name, interventions)])
    return assumptions_section({"assumptions": info,
                                "scenarios": [{"name": name, "title": title}]})
