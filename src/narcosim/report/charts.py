"""Charts of national overdose deaths by drug over the years."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from narcosim.errors import DataValidationError
from narcosim.report.maps import drug_label, source_note

NATIONAL_DRUGS: tuple[str, ...] = ("fentanyl", "methamphetamine", "cocaine", "heroin", "all_drugs")
"""Drug keys of the national chart, in legend order (CDC classes overlap: not additive)."""

_COLOURS = {
    "fentanyl": "#d62728",
    "methamphetamine": "#1f77b4",
    "cocaine": "#2ca02c",
    "heroin": "#9467bd",
    "all_drugs": "#333333",
}
_SOURCE = (
    "Source: CDC/NCHS VSRR provisional drug overdose death counts, United States, 12 months "
    "ending December (reported values). A death involving several drugs counts toward each."
)


def national_deaths(
    deaths: pd.DataFrame, drugs: tuple[str, ...] = NATIONAL_DRUGS
) -> pd.DataFrame:
    """US deaths by year (rows) and drug (columns) from the atlas ``overdose_deaths`` table.

    Args:
        deaths: The ``overdose_deaths`` table (year, state_abbr, drug, deaths; US row 'US').
        drugs: Drug keys to keep, in column order.

    Returns:
        A frame indexed by ``year`` with one float column per drug (NaN where withheld).

    Raises:
        DataValidationError: When the table has no US rows for one of ``drugs``.
    """
    for column in ("year", "state_abbr", "drug", "deaths"):
        if column not in deaths.columns:
            raise DataValidationError(f"table 'overdose_deaths': missing column {column!r}")
    us = deaths[(deaths["state_abbr"] == "US") & deaths["drug"].isin(drugs)]
    missing = [d for d in drugs if d not in set(us["drug"])]
    if missing:
        raise DataValidationError(
            f"table 'overdose_deaths': no US rows for drug(s) {', '.join(missing)}"
        )
    wide = us.pivot_table(index="year", columns="drug", values="deaths", aggfunc="sum",
                          dropna=False)
    wide = wide.reindex(columns=list(drugs)).astype("float64").sort_index()
    wide.index = wide.index.astype(int)
    wide.columns.name = None
    return wide


def national_deaths_chart(deaths: pd.DataFrame, drugs: tuple[str, ...] = NATIONAL_DRUGS
                          ) -> go.Figure:
    """A line chart of US overdose deaths by drug and year.

    Args:
        deaths: The ``overdose_deaths`` table.
        drugs: Drug keys, one line each.

    Returns:
        A figure with one ``lines+markers`` trace per drug, named by :func:`drug_label`.
    """
    wide = national_deaths(deaths, drugs)
    fig = go.Figure()
    for drug in drugs:
        fig.add_trace(
            go.Scatter(
                x=wide.index.tolist(),
                y=[None if pd.isna(v) else float(v) for v in wide[drug]],
                mode="lines+markers",
                name=drug_label(drug),
                meta=drug,
                line={"color": _COLOURS.get(drug), "width": 2.5},
                hovertemplate=f"{drug_label(drug)}<br>%{{x}}: %{{y:,.0f}} deaths<extra></extra>",
            )
        )
    years = wide.index
    fig.update_layout(
        title={"text": f"US overdose deaths by drug, {years.min()}–{years.max()}", "x": 0.5},
        xaxis={"title": {"text": "year"}, "dtick": 1},
        yaxis={"title": {"text": "deaths"}, "rangemode": "tozero", "separatethousands": True},
        legend={"x": 0.01, "y": 0.99, "bgcolor": "rgba(255,255,255,0.8)"},
        height=560,
        margin={"l": 70, "r": 20, "t": 60, "b": 110},
        annotations=[source_note(_SOURCE, -0.16)],
    )
    return fig
