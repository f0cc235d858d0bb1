"""The cartels' global reach: maps of one year's drug flows from Mexico and of guns south.

Built from a run's tidy results: the US-bound product (``production/produced_kg``) and the
exports to Europe, Africa, Asia and Oceania (``portfolio/export_kg`` and
``export_revenue_usd``, :mod:`narcosim.model.portfolio`). Each flow is a line from Mexico to
the region, its width by the square root of the kilograms (so the exports, a few percent
of the US-bound flow, stay visible), its label the kilograms and the wholesale revenue. The
atlas store holds no world geometry, so the map is drawn on longitude and latitude axes
without coastlines (a schematic), self-contained and offline
(:func:`narcosim.report.offline.write_html`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow.parquet as pq

from narcosim.errors import ParameterError, StoreError
from narcosim.model.portfolio import REGION_POINTS
from narcosim.orgs.guns import GunsParams
from narcosim.orgs.guns import flows as guns_flows
from narcosim.report.offline import write_html
from narcosim.report.year_rows import year_rows

MEXICO = (23.6, -102.5)
US = (39.0, -98.0)


def flows(frame: pd.DataFrame, year: int | None = None) -> tuple[pd.DataFrame, int]:
    """Kilograms and export revenue per destination (the US and each region) in one year.

    Args:
        frame: Tidy results with ``module, metric, date, region, value``.
        year: Calendar year (default: the last year whose every day the results cover,
            else the last); weekly values are day-weighted into it
            (:func:`narcosim.report.year_rows.year_rows`).

    Returns:
        A frame ``destination, kg, revenue_usd`` (the US's revenue is NaN: see the money
        Sankey) and the year.

    Raises:
        ParameterError: The results have no export markets, or none in ``year``.
    """
    rows = frame[(frame["module"] == "portfolio")
                 & frame["metric"].isin(["export_kg", "export_revenue_usd"])]
    if rows.empty:
        raise ParameterError("these results have no export markets (a run without the "
                             "portfolio module)")
    picked, year = year_rows(rows, year, "export")  # day-weighted
    kg = picked[picked["metric"] == "export_kg"].groupby("region", sort=False)["value"].sum()
    usd = picked[picked["metric"] == "export_revenue_usd"].groupby(
        "region", sort=False)["value"].sum()
    us = frame[(frame["module"] == "production") & (frame["metric"] == "produced_kg")]
    us_kg = float(year_rows(us, year, "production")[0]["value"].sum()) if len(us) else 0.0
    out = pd.DataFrame({"destination": ["US", *kg.index.astype(str)],
                        "kg": [us_kg, *kg.to_numpy()],
                        "revenue_usd": [np.nan, *usd.reindex(kg.index).to_numpy()]})
    return out, int(year)


def world_map(frame: pd.DataFrame, year: int | None = None) -> go.Figure:
    """The flow map of one year (see :func:`flows`)."""
    table, year = flows(frame, year)
    points = {"US": US, **REGION_POINTS}
    top = max(float(table["kg"].max()), 1e-12)
    fig = go.Figure()
    for row in table.itertuples():
        lat, lon = points[row.destination]
        money = "" if np.isnan(row.revenue_usd) else f", ${row.revenue_usd / 1e9:,.2f} bn"
        label = f"{row.destination}: {row.kg / 1000:,.1f} t{money}"
        fig.add_trace(go.Scatter(
            x=[MEXICO[1], lon], y=[MEXICO[0], lat], mode="lines+markers+text",
            line={"width": 1 + 11 * np.sqrt(row.kg / top)}, text=["", label],
            textposition="top center", name=label, hoverinfo="name"))
    fig.add_trace(go.Scatter(x=[MEXICO[1]], y=[MEXICO[0]], mode="markers+text",
                             text=["Mexico (labs)"], textposition="bottom center",
                             marker={"size": 12, "color": "black"}, name="Mexico"))
    fig.update_layout(
        title=f"The cartels' drug flows in {year}: US-bound product and exports by region "
              "(narcosim model; schematic, no coastlines)",
        xaxis={"title": "longitude (degrees)", "range": [-180, 180]},
        yaxis={"title": "latitude (degrees)", "range": [-60, 80], "scaleanchor": "x"},
        font={"size": 12}, height=560,
        legend={"title": "destination: shipped, export revenue (width: square root of kg)"})
    return fig


def write_world_map(run_dir: Path, out: Path | None = None, year: int | None = None) -> Path:
    """Write ``world_map.html`` for a run folder (or ``out``).

    Raises:
        StoreError: No readable ``results.parquet`` in the folder.
        ParameterError: No export rows (in that year).
    """
    run_dir = Path(run_dir)
    path = run_dir / "results.parquet"
    try:
        table = pq.read_table(path, filters=[("module", "in", ["portfolio", "production"])])
    except (OSError, ValueError) as error:
        raise StoreError(f"cannot read {path}: {error}") from None
    fig = world_map(table.to_pandas(), year)
    return write_html(fig, out or run_dir / "world_map.html")


def arms_map(params: GunsParams | None = None, interdiction: float = 0.0) -> go.Figure:
    """Guns bought in each US state for Mexico a year, and the flow south (choropleth).

    The yearly flow of :mod:`narcosim.orgs.guns` (sources cited there): guns bought by
    state, with the seized, arriving and US-sourced share in the title. Drawn with the
    ``usa_110m`` TopoJSON, which the page must hand plotly.js
    (:func:`narcosim.report.offline.geo_assets_script`).

    Args:
        params: The gun flow's parameters (default: the cited defaults).
        interdiction: Added southbound interdiction share (0: status quo).
    """
    params = params or GunsParams()
    flow = guns_flows(params, interdiction)
    by_state = {s: v for s, v in flow["bought_by_state"].items() if s != "other"}
    fig = go.Figure(go.Choropleth(
        locations=list(by_state), z=list(by_state.values()), locationmode="USA-states",
        colorscale="Reds", colorbar={"title": "guns a year"},
        hovertemplate="%{location}: %{z:,.0f} guns a year<extra></extra>"))
    other = flow["bought_by_state"].get("other", 0.0)
    fig.update_layout(
        title=f"Guns going south: {flow['bought']:,.0f} a year bought in the US for Mexico "
              f"({other:,.0f} in other states), {flow['seized']:,.0f} seized, "
              f"{flow['arrived']:,.0f} arriving, {flow['us_share']:.0%} US-sourced "
              "(narcosim orgs guns; sources in docs/beyond_border.md)",
        geo={"scope": "usa"}, font={"size": 12})
    return fig
