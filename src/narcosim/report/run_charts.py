"""The run report's figures: simulated vs CDC deaths by drug and year, and state maps.

Every trace carries ``meta`` ``{"drug": …, "kind": …}`` (kinds ``expected``, ``realised``,
``cdc``, ``band_low``, ``band_high``; for maps ``simulated`` or ``cdc``), so a reader of the
page (or a test) can find each series without relying on colours or legend text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from narcosim.core.axes import Axes
from narcosim.errors import ParameterError
from narcosim.model.people import DEATH_KEYS
from narcosim.report.maps import choropleth, drug_label, map_values, source_note
from narcosim.report.run_data import BAND, FIT_YEARS, ReportData

COLOURS: dict[str, str] = {
    "fentanyl": "#d62728",
    "methamphetamine": "#1f77b4",
    "cocaine": "#2ca02c",
    "all_drugs": "#333333",
}
"""Line colour per drug (as in :mod:`narcosim.report.charts`)."""
MAP_DRUGS: tuple[str, ...] = ("all_drugs", "fentanyl")
"""Drugs mapped by state, simulated beside CDC."""
PER = 100_000
"""Rates are deaths per 100,000 residents (CDC's convention)."""
_BAND_FILL = {"fentanyl": "rgba(214,39,40,0.32)", "methamphetamine": "rgba(31,119,180,0.32)",
              "cocaine": "rgba(44,160,44,0.32)", "all_drugs": "rgba(51,51,51,0.28)"}


def _floats(values: np.ndarray | pd.Series) -> list[float | None]:
    """Plain floats for figure data (None for NaN), so the page carries readable numbers."""
    return [None if not np.isfinite(v) else float(v) for v in np.asarray(values, dtype=float)]

#: The axes of the report's annual sums and bands (ReportData.annual, .bands).
MEMBERS = Axes("member", "drug", "year", "state")


def national_series(data: ReportData, metric: str) -> np.ndarray:
    """Simulated national deaths (members' mean of the sum over states): (drugs, years)."""
    national = MEMBERS.sum(data.annual[metric], "state")
    return national.mean(axis=MEMBERS.drop("state").of("member"))


def national_band(data: ReportData, metric: str = "expected_deaths") -> np.ndarray | None:
    """The 5th and 95th percentiles across members of national deaths: (2, drugs, years).

    Quantiles of each member's national sum (linear interpolation, as
    :mod:`narcosim.run.bands`), not sums of state quantiles. None without bands.
    """
    if data.bands is None:
        return None
    national = MEMBERS.sum(data.bands[metric], "state")
    return np.quantile(national, list(BAND), axis=0)


def deaths_chart(data: ReportData) -> go.Figure:
    """Simulated (expected and realised) vs CDC deaths per drug and year, one panel per drug.

    Args:
        data: The report's numbers.

    Returns:
        A 2×2 figure; per drug: ``expected`` and ``realised`` lines over the run's complete
        years, ``cdc`` markers for CDC's years, and with bands a shaded 5–95% range.
    """
    years = list(data.years)
    expected = national_series(data, "expected_deaths")
    realised = national_series(data, "deaths")
    band = national_band(data)
    fig = make_subplots(rows=2, cols=2, subplot_titles=[drug_label(d) for d in DEATH_KEYS],
                        horizontal_spacing=0.09, vertical_spacing=0.14)
    ensemble = data.source.kind == "ensemble"
    for d, drug in enumerate(DEATH_KEYS):
        row, col = d // 2 + 1, d % 2 + 1
        colour = COLOURS[drug]
        first = d == 0
        if band is not None:
            edge = {"width": 0.8, "color": _BAND_FILL[drug].replace("0.32", "0.7")
                    .replace("0.28", "0.6")}  # a visible edge: a narrow band is still seen
            fig.add_trace(go.Scatter(
                x=years, y=_floats(band[0, d]), mode="lines", line=edge,
                meta={"drug": drug, "kind": "band_low"}, showlegend=False, hoverinfo="skip",
                legendgroup="band"), row=row, col=col)
            fig.add_trace(go.Scatter(
                x=years, y=_floats(band[1, d]), mode="lines", line=edge,
                fill="tonexty", fillcolor=_BAND_FILL[drug], name="5–95% across runs",
                meta={"drug": drug, "kind": "band_high"}, showlegend=first, legendgroup="band",
                hoverinfo="skip"), row=row, col=col)
        label = "simulated, expected" + (" (mean of runs)" if ensemble else "")
        fig.add_trace(go.Scatter(
            x=years, y=_floats(expected[d]), mode="lines", line={"color": colour, "width": 2.5},
            name=label, meta={"drug": drug, "kind": "expected"}, legendgroup="expected",
            showlegend=first,
            hovertemplate=f"{drug} expected<br>%{{x}}: %{{y:,.0f}}<extra></extra>"),
            row=row, col=col)
        fig.add_trace(go.Scatter(
            x=years, y=_floats(realised[d]), mode="lines",
            line={"color": colour, "width": 1.5, "dash": "dot"},
            name="simulated, realised" + (" (mean of runs)" if ensemble else ""),
            meta={"drug": drug, "kind": "realised"}, legendgroup="realised", showlegend=first,
            hovertemplate=f"{drug} realised<br>%{{x}}: %{{y:,.0f}}<extra></extra>"),
            row=row, col=col)
        cdc_years = [y for y in FIT_YEARS if y in data.cdc_national.columns]
        fig.add_trace(go.Scatter(
            x=cdc_years, y=_floats(data.cdc_national.loc[drug, cdc_years].to_numpy()),
            mode="markers", marker={"color": colour, "size": 8, "symbol": "circle-open",
                                    "line": {"width": 2}},
            name="CDC (VSRR, reported)", meta={"drug": drug, "kind": "cdc"}, legendgroup="cdc",
            showlegend=first,
            hovertemplate=f"{drug} CDC<br>%{{x}}: %{{y:,.0f}}<extra></extra>"),
            row=row, col=col)
    fig.update_xaxes(dtick=1 if len(years) <= 6 else 2, title_text="calendar year")
    fig.update_yaxes(rangemode="tozero", separatethousands=True,
                     title_text="deaths per year (count)")
    cdc_end = max((int(y) for y in data.cdc_national.columns
                   if data.cdc_national[y].notna().any()), default=None)
    if cdc_end is not None and years and years[-1] > cdc_end:
        # the projection: no CDC data to check it against, shaded and marked where data end
        fig.add_vrect(x0=cdc_end + 0.5, x1=years[-1] + 0.5, row="all", col="all",
                      fillcolor="#999999", opacity=0.15, layer="below", line_width=0)
        fig.add_vline(x=cdc_end + 0.5, row="all", col="all",
                      line={"color": "#555555", "dash": "dash", "width": 1})
        for axis in ("", "2", "3", "4"):
            fig.add_annotation(x=(cdc_end + 1 + years[-1]) / 2, y=1.0, xref=f"x{axis}",
                               yref=f"y{axis} domain", text="projection", showarrow=False,
                               xanchor="center", yanchor="top",
                               font={"size": 11, "color": "#333"})
        fig.update_xaxes(range=[years[0] - 0.5, years[-1] + 0.5])
    fig.update_layout(
        title={"text": "US overdose deaths by drug: simulated vs CDC (dashed line: CDC data "
                       "end; shaded: projection)" if cdc_end is not None and years
               and years[-1] > cdc_end else "US overdose deaths by drug: simulated vs CDC",
               "x": 0.5},
        height=720, margin={"l": 60, "r": 20, "t": 90, "b": 40},
        legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": 1.08},
    )
    return fig


def default_map_year(data: ReportData, year: int | None = None) -> int:
    """The year mapped: ``year`` if the run covers it and CDC reports it, else the latest such.

    Raises:
        ParameterError: ``year`` is given but not among the run's complete CDC years.
    """
    if year is None:
        return 2023 if 2023 in data.fit_years else data.fit_years[-1]
    if year not in data.fit_years:
        raise ParameterError(f"--year {year}: choose a year the run covers completely and CDC "
                             f"reports ({data.fit_years[0]}–{data.fit_years[-1]})")
    return int(year)


def simulated_map_values(data: ReportData, population: pd.DataFrame, drug: str,
                         year: int) -> pd.DataFrame:
    """Simulated expected deaths per 100,000 by state, as :func:`map_values` lays them out."""
    k = data.years.index(year)
    deaths = pd.DataFrame({
        "year": year, "state_abbr": list(data.states), "indicator": "simulated",
        "drug": drug, "deaths": data.mean("expected_deaths")[DEATH_KEYS.index(drug), k, :],
    })
    return map_values(deaths, population, drug=drug, year=year, per=PER)


def _map_note(kind: str, values: pd.DataFrame) -> str:
    """The source line under a map, short enough for half a page's width."""
    if kind == "simulated":
        return ("Simulated expected deaths (mean of the weekly risks), summed over the year;"
                "<br>population as in the CDC map.")
    note = ("CDC/NCHS VSRR reported deaths, 12 months ending December<br>(New York includes "
            "New York City); Census/NCHS population.")
    withheld = int(values["withheld"].sum())
    if withheld:
        note += f"<br>Grey: withheld by CDC ({withheld} states)."
    return note


def state_maps(data: ReportData, deaths: pd.DataFrame, population: pd.DataFrame,
               year: int) -> list[tuple[str, go.Figure, pd.DataFrame]]:
    """Maps of deaths per 100,000 by state: simulated beside CDC, for each of :data:`MAP_DRUGS`.

    Args:
        data: The report's numbers.
        deaths: The atlas ``overdose_deaths`` table.
        population: The atlas ``population`` table.
        year: The year mapped.

    Returns:
        ``(key, figure, values)`` per map, in the order simulated then CDC for each drug;
        each pair shares one colour scale.
    """
    out = []
    for drug in MAP_DRUGS:
        sim = simulated_map_values(data, population, drug, year)
        cdc = map_values(deaths, population, drug=drug, year=year, per=PER)
        top = float(np.nanmax(np.r_[sim["value"].to_numpy(), cdc["value"].to_numpy()]))
        for kind, values in (("simulated", sim), ("cdc", cdc)):
            who = "Simulated (expected)" if kind == "simulated" else "CDC"
            title = f"{who}: {drug_label(drug)}<br>deaths per 100,000, {year}"
            fig = choropleth(values, title=title)
            fig.update_traces(zmax=top, selector={"name": "reported"})
            fig.update_traces(meta={"drug": drug, "kind": kind})
            fig.update_layout(height=470, margin={"l": 0, "r": 0, "t": 70, "b": 80},
                              title={"font": {"size": 14}})
            fig.update_layout(annotations=[source_note(_map_note(kind, values), -0.02)])
            out.append((f"map-{drug}-{kind}", fig, values))
    return out
