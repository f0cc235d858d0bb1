"""``narcosim assess YEAR``: a threat assessment in the shape of the DEA's, as HTML and PDF.

The page opens with the year's answer in one sentence, then: cartel presence by state (Sinaloa
against CJNG, in the US from a model run and in Mexico from the Prieto-Curiel network), the
flows as Sankey diagrams (ports → hubs → regions), deaths by drug (trends and maps), seizures
and operations, top-10 tables, and the sources. Every figure sits in a ``<figure>`` whose
``<figcaption class="source">`` names its source. plotly.js and the map geometry are inlined
(:mod:`narcosim.report.offline`), so the page opens offline; the PDF is that page printed by a
headless Chromium (Playwright ``page.pdf()``) with every non-local request refused. The PDF's
sections each start a page.
"""

from __future__ import annotations

import html
import json
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from narcosim.atlas.store import Atlas
from narcosim.interventions.dealer_ops import LAST_MILE_TALLIES
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.report.assess_data import (
    CJNG,
    SINALOA,
    SupplyYear,
    mexico_alignment,
    seizures_by_office,
    seizures_by_year,
    top_rates,
)
from narcosim.report.assess_figures import (
    expansion_chart,
    flow_sankey,
    mexico_bars,
    presence_bars,
    presence_map,
    seizure_offices,
    seizure_trend,
)
from narcosim.report.charts import national_deaths, national_deaths_chart
from narcosim.report.maps import choropleth, drug_label, map_values
from narcosim.report.money_sankey import money_sankey
from narcosim.report.offline import REPORT_CSS, TOPOJSON_NAME, geo_assets_script, page_head
from narcosim.report.rounding import fmt_number, fmt_percent
from narcosim.report.run_report import usa_topojson
from narcosim.report.world_map import arms_map, world_map
from narcosim.run.manifest import jsonable

DATA_ID = "narcosim-assess-data"
"""Id of the JSON script element holding the page's numbers."""
MAP_DRUGS: tuple[str, ...] = ("fentanyl", "methamphetamine", "cocaine", "all_drugs")
"""Drugs mapped, one per-capita map each."""
PER = 100_000.0
#: Tallest figure, in CSS pixels: an A4 landscape page holds one with its heading and source.
FIGURE_HEIGHT = 540

_CONFIG = {"displaylogo": False, "responsive": True, "staticPlot": False}
_CSS = REPORT_CSS + """
figure{margin:14px 0 22px}figcaption.source{color:#444;font-size:.86em;margin-top:4px;
border-top:1px solid #eee;padding-top:4px}.lead{font-size:1.12em;line-height:1.5}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media print{body{max-width:none;padding:0}section.page{break-before:page}
section.page:first-of-type{break-before:auto}figure,table{break-inside:avoid}
h2{break-after:avoid}}
"""
_CDC = ("CDC/NCHS VSRR provisional drug overdose death counts, 12 months ending December "
        "(reported values; a death involving several drugs counts toward each)")
_POP = "U.S. Census Bureau population estimates (Vintage 2024; NCHS for 2015, interpolated between)"
_CBP = ("U.S. Customs and Border Protection, Nationwide Drug Seizures FY2019–FY2023, southwest "
        "border (OFO at ports and USBP between them)")
_NETWORK = ("Prieto-Curiel, Campedelli & Hope, Science 381 (2023) 1312–1316: alliances and "
            "rivalries of Mexico's 150 criminal groups, 2020")


def _e(value: Any) -> str:
    return html.escape(str(value))


def _model_source(supply: SupplyYear) -> str:
    return (f"narcosim model run (built-in status quo, seed {supply.seed}, 1:{supply.scale}, "
            f"2015 to the end of {supply.year}), supply fitted to CBP seizures and DEA NFLIS "
            "reports; simulated, not observed")


def figure(fig: go.Figure, div_id: str, source: str) -> str:
    """A figure with its source line under it (plotly.js not included).

    Args:
        fig: The figure.
        div_id: The plotly ``div``'s id.
        source: Where the figure's numbers come from (plain text).

    Returns:
        ``<figure>`` HTML with a ``<figcaption class="source">``.
    """
    if (fig.layout.height or 0) > FIGURE_HEIGHT:  # one figure and its heading fit a page
        fig.update_layout(height=FIGURE_HEIGHT)
    body = pio.to_html(fig, include_plotlyjs=False, include_mathjax=False, full_html=False,
                       div_id=div_id, config=_CONFIG)
    return (f'<figure role="group" aria-label="{_e(fig.layout.title.text or div_id)}">{body}'
            f'<figcaption class="source">Source: {_e(source)}.</figcaption></figure>')


def _table(frame: pd.DataFrame, columns: dict[str, str], caption: str, source: str) -> str:
    head = "".join(f'<th scope="col">{_e(label)}</th>' for label in columns.values())
    rows = []
    for record in frame.to_dict(orient="records"):
        cells = []
        for key in columns:
            value = record[key]
            if isinstance(value, int | np.integer) and not isinstance(value, bool):
                cells.append(f'<td class="n">{int(value):,}</td>')
            elif isinstance(value, float | np.floating):
                cells.append(f'<td class="n">{fmt_number(float(value))}</td>')
            else:
                cells.append(f"<td>{_e(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table><caption>{_e(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            f'<p class="source note">Source: {_e(source)}.</p>')


def state_trend_chart(deaths: pd.DataFrame, population: pd.DataFrame, year: int,
                      states: list[str]) -> go.Figure:
    """Fentanyl deaths per 100,000 by year for the given states, 2015 to ``year``."""
    years = sorted(int(y) for y in deaths.loc[deaths["drug"] == "fentanyl", "year"].unique()
                   if int(y) <= year)
    fig = go.Figure()
    for state in states:
        rates = []
        for y in years:
            values = map_values(deaths, population, drug="fentanyl", year=y, per=PER)
            row = values[values["state_abbr"] == state]
            rates.append(None if row["withheld"].iloc[0] else float(row["value"].iloc[0]))
        fig.add_trace(go.Scatter(x=years, y=rates, mode="lines+markers", name=state))
    fig.update_layout(title={"text": f"Fentanyl deaths per 100,000, {years[0]}–{year}: the "
                                     f"{len(states)} states with the highest rate in {year}",
                             "x": 0.5},
                      xaxis={"title": {"text": "year"}, "dtick": 1},
                      yaxis={"title": {"text": "deaths per 100,000 residents"},
                             "rangemode": "tozero"},
                      height=520, margin={"l": 70, "r": 30, "t": 60, "b": 60})
    return fig


def _opening(year: int, national: pd.DataFrame, fent_top: pd.DataFrame, supply: SupplyYear,
             seized: pd.DataFrame) -> str:
    """The answer in one sentence (and a second with the supply side)."""
    row = national.loc[year]
    active = supply.activity.sort_values("activity_kg", ascending=False)["state_abbr"].head(6)
    text = (f"In {year}, {fmt_number(row['all_drugs'])} people died of drug overdoses in the "
            f"United States; fentanyl was involved in {fmt_number(row['fentanyl'])} of those "
            f"deaths ({fmt_percent(row['fentanyl'] / row['all_drugs'])}), and "
            f"{_e(fent_top['state_abbr'].iloc[0])} had the highest fentanyl death rate "
            f"({fmt_number(fent_top['value'].iloc[0])} per 100,000).")
    fy = seized[(seized["fiscal_year"] == year) & (seized["drug"] == "fentanyl")]
    seizure = (f" CBP seized {fmt_number(fy['kg'].sum() / 1000)} tonnes of fentanyl at the "
               f"southwest border in FY{year}." if not fy.empty else
               f" CBP's seizure data cover FY2019–FY2023 only, so FY{year} has none here.")
    both = int(((supply.presence[SINALOA] > 0) & (supply.presence[CJNG] > 0)).sum())
    model = (f" In the model, the cartels' heaviest activity is in {', '.join(active)}, and "
             f"both Sinaloa and CJNG are present in {both} of the {len(supply.presence)} states "
             "(DC counted as one).")
    return f'<p class="lead">{text}{seizure}{model}</p>'


def _operations() -> str:
    tallies = LAST_MILE_TALLIES
    rows = [(label, int(tallies[key])) for label, key in (
        ("Investigations", "investigations"), ("Arrests", "arrests"),
        ("Fentanyl pills seized", "fentanyl_pills"),
        ("Fentanyl powder seized (lb)", "fentanyl_powder_lb"),
        ("Methamphetamine seized (lb)", "methamphetamine_lb"),
        ("Firearms seized", "firearms"), ("Illicit proceeds seized (US$)", "cash_usd"))]
    frame = pd.DataFrame(rows, columns=["what", "count"])
    return ("<p>Operation Last Mile (DEA, May 2022 – May 2023) tracked the Sinaloa and CJNG "
            "distribution networks across the country; Operation Overdrive (from February "
            "2022, 34 locations in 23 states) targets the most violence- and overdose-plagued "
            "cities. The tallies are the DEA's (lower bounds where it says 'over').</p>"
            + _table(frame, {"what": "Operation Last Mile", "count": "reported"},
                     "Operation Last Mile: reported results",
                     "DEA, National Drug Threat Assessment 2024, as reported in the seed "
                     "article (Tampa Free Press, 2024)"))


def _beyond_section(supply: SupplyYear, year: int, model: str) -> str:
    """Money, the cartels' global reach and guns going south (docs/beyond_border.md)."""
    if supply.beyond is None:
        return ""
    src = f"{model}; prices, channels, markets and sources cited in docs/beyond_border.md"
    return ('<section class="page"><h2>Beyond the border: money, reach and guns</h2>'
            '<p class="note">Simulated. Revenue, laundering, export markets and the other '
            "crimes rest on cited ranges and marked guesses; migrant smuggling and sex "
            "trafficking are rough orders of magnitude.</p>"
            + figure(money_sankey(supply.beyond, year), "money-sankey", src)
            + figure(world_map(supply.beyond, year), "world-map", src)
            + figure(arms_map(), "arms-map", "narcosim orgs guns: Mexico's estimate as "
                     "reported, Mayors Against Illegal Guns 2010, GAO-21-322")
            + "</section>")


def render_assessment(atlas: Atlas, year: int, supply: SupplyYear, top: int = 10) -> str:
    """Render the assessment page.

    Args:
        atlas: The atlas store.
        year: The assessed year (checked by :func:`~narcosim.report.assess_data.check_year`).
        supply: The year's model run (:func:`~narcosim.report.assess_data.simulate_supply`).
        top: Rows of each top-N table.

    Returns:
        The HTML text.
    """
    deaths, population = atlas.table("overdose_deaths"), atlas.table("population")
    seizures = atlas.table("seizures")
    national = national_deaths(deaths)
    values = {d: map_values(deaths, population, drug=d, year=year, per=PER) for d in MAP_DRUGS}
    fent_top = top_rates(values["fentanyl"], top)
    all_top = top_rates(values["all_drugs"], top)
    by_year = seizures_by_year(seizures)
    fiscal = year if year in set(by_year["fiscal_year"]) else int(by_year["fiscal_year"].max())
    by_office = seizures_by_office(seizures, fiscal)
    alignment = mexico_alignment(atlas.table("cartel_groups"), atlas.table("cartel_alliances"),
                                 atlas.table("cartel_rivalries"))
    model = _model_source(supply)
    rates_src = f"{_CDC}; population: {_POP}"
    active = supply.activity.merge(supply.presence, on="state_abbr").sort_values(
        ["activity_kg", "state_abbr"], ascending=[False, True]).head(top)
    active = active.assign(tonnes=active["activity_kg"] / 1000.0)
    ports = (supply.ports.groupby(["port_name", "state_abbr", "field_office"], as_index=False)
             ["crossing_kg"].sum().sort_values("crossing_kg", ascending=False).head(top))
    ports = ports.assign(tonnes=ports["crossing_kg"] / 1000.0,
                         field_office=ports["field_office"].str.title())
    offices = by_office.pivot_table(index="field_office", columns="drug", values="kg",
                                    aggfunc="sum").fillna(0.0).reset_index()
    offices["field_office"] = offices["field_office"].str.title()
    for drug in SUPPLY_DRUGS:
        offices[drug] = offices.get(drug, 0.0) / 1000.0
    title = f"narcosim threat assessment, {year}"
    maps = "".join(
        figure(choropleth(values[d], title=f"{drug_label(d)}: deaths per 100,000, {year}"),
               f"map-{d}", rates_src + "; grey: withheld by CDC")
        for d in MAP_DRUGS)
    sankeys = "".join(
        f'<section class="page"><h2>Flows: {_e(drug_label(d))}</h2>'
        + figure(flow_sankey(supply, d), f"sankey-{d}",
                 f"{model}; ports and hubs: BTS border crossing ports, GeoNames; regions: "
                 "U.S. Census Bureau") + "</section>"
        for d in SUPPLY_DRUGS)
    numbers = jsonable({
        "year": year, "fiscal_year": fiscal, "seed": supply.seed, "scale": supply.scale,
        "national": {k: float(v) for k, v in national.loc[year].items()},
        "top_fentanyl_rate": fent_top.to_dict(orient="records"),
        "top_activity": active[["state_abbr", "activity_kg", "sinaloa", "cjng"]]
        .to_dict(orient="records"),
    })
    payload = json.dumps(numbers, allow_nan=False).replace("</", "<\\/")
    geo = geo_assets_script({TOPOJSON_NAME: usa_topojson(atlas)})
    return page_head(title, _CSS, geo) + f"""<main>
<section class="page"><h1>{_e(title)}</h1>
{_opening(year, national, fent_top, supply, by_year)}
<p class="note">Deaths and seizures are observed (CDC, CBP). Cartel presence and flows by US
state are simulated: no public table gives them, so a run of narcosim's built-in model (status
quo, fitted to CBP seizures and CDC deaths) stands in; read them as the model's picture, not a
measurement. Figures are rounded to three significant figures.</p>
{figure(presence_map(supply), "presence-map", model)}</section>
<section class="page"><h2>Cartel presence: Sinaloa against CJNG</h2>
<p>Sinaloa works as an umbrella of four factions that share routes and contacts but keep their
own profits; CJNG as a franchise run from a central command. The DEA finds both in all 50
states. The first chart follows the model's cartels from the states they held in 2015 (the
border and hub states) outward; the second shows, for the model's most active states, how many
of Sinaloa's factions and whether CJNG's franchises were present at the end of {year}.</p>
{figure(expansion_chart(supply), "expansion", model)}
{figure(presence_bars(supply), "presence-bars", model)}</section>
<section class="page"><h2>In Mexico: who sides with whom</h2>
{figure(mexico_bars(alignment), "mexico-bars", _NETWORK)}</section>
{sankeys}
{_beyond_section(supply, year, model)}
<section class="page"><h2>Deaths by drug: trends</h2>
{figure(national_deaths_chart(deaths), "national-trend", _CDC)}
{figure(state_trend_chart(deaths, population, year, list(fent_top["state_abbr"].head(8))),
        "state-trend", rates_src)}</section>
<section class="page"><h2>Deaths by drug: maps, {year}</h2>{maps}</section>
<section class="page"><h2>Seizures</h2>
{figure(seizure_trend(by_year, year), "seizure-trend", _CBP)}
{figure(seizure_offices(by_office, fiscal), "seizure-offices", _CBP)}</section>
<section class="page"><h2>Operations</h2>{_operations()}</section>
<section class="page"><h2>Top {top}</h2><div class="cols"><div>
{_table(fent_top, {"rank": "rank", "state_abbr": "state", "deaths": "deaths",
                   "value": "per 100,000"},
        f"Highest fentanyl death rates, {year}", rates_src)}
{_table(all_top, {"rank": "rank", "state_abbr": "state", "deaths": "deaths",
                  "value": "per 100,000"},
        f"Highest overdose death rates, all drugs, {year}", rates_src)}
</div><div>
{_table(active, {"state_abbr": "state", "tonnes": "tonnes handled", "sinaloa":
                 "Sinaloa factions", "cjng": "CJNG"},
        f"Most active states in the model, {year}", model)}
{_table(ports, {"port_name": "port", "state_abbr": "state", "field_office": "field office",
                "tonnes": "tonnes crossing"}, f"Busiest ports in the model, {year}", model)}
{_table(offices, {"field_office": "field office", "fentanyl": "fentanyl (t)",
                  "methamphetamine": "methamphetamine (t)", "cocaine": "cocaine (t)"},
        f"Southwest-border seizures by field office, FY{fiscal}", _CBP)}
</div></div></section>
<section class="page"><h2>Sources and method</h2><ul>
<li>Deaths: {_e(_CDC)}. Rates use {_e(_POP)}.</li>
<li>Seizures: {_e(_CBP)}.</li>
<li>Mexico's groups: {_e(_NETWORK)}.</li>
<li>Presence and flows: {_e(model)}. Ports → hubs carry what crossed less the drug's seized
share; each hub's kilograms go to the Census regions in the shares of kilograms sold there.</li>
<li>Operations: DEA, National Drug Threat Assessment 2024, as reported.</li></ul>
<p class="note">Made by narcosim; see docs/model.md for the model and its honest limits.</p>
</section></main>
<script type="application/json" id="{DATA_ID}">{payload}</script>
</body>
</html>
"""
