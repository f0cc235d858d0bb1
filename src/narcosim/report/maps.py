"""Choropleth maps of overdose deaths by state, counts or rates, with withheld values kept apart.

Works on the atlas tables as DataFrames (``overdose_deaths`` and ``population``), so
it can be used on a store, on freshly loaded files or on simulated results laid out
the same way. CDC withholds some state values (fewer than 10 deaths, or drug-specific
data of low quality): those states are drawn in grey and labelled "withheld", never
as zero.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from narcosim.errors import DataValidationError, ParameterError

METRICS: tuple[str, ...] = ("deaths",)
"""Metrics ``narcosim atlas map`` can draw (rates come from ``per``)."""

DRUG_LABELS: dict[str, str] = {
    "fentanyl": "Fentanyl (synthetic opioids excl. methadone, T40.4)",
    "methamphetamine": "Methamphetamine (psychostimulants, T43.6)",
    "cocaine": "Cocaine (T40.5)",
    "heroin": "Heroin (T40.1)",
    "all_drugs": "All drugs",
}
"""Readable names of the drug keys in the atlas ``overdose_deaths`` table (CDC classes)."""

NOT_OVERDOSE: frozenset[str] = frozenset({"all_causes"})
"""Drug keys of the atlas table that are not overdose deaths, so never mapped as such."""

WITHHELD_COLOUR = "#bdbdbd"
_SOURCE_DEATHS = (
    "Deaths: CDC/NCHS VSRR provisional drug overdose death counts, 12 months ending "
    "December (reported values; New York includes New York City)."
)
_SOURCE_POPULATION = {
    "census": "U.S. Census Bureau population estimates (Vintage 2024, July 1)",
    "nchs": "NCHS population (Drug Poisoning Mortality by State)",
    "interpolated": "interpolated between NCHS 2015 and Census 2020 populations",
}


def source_note(text: str, y: float) -> dict:
    """A figure's source line: small grey text at the bottom left, below the plot area.

    Args:
        text: The note (HTML line breaks allowed).
        y: Its top edge in paper coordinates (negative: below the plot).
    """
    return {"text": text, "showarrow": False, "xref": "paper", "yref": "paper", "x": 0,
            "y": y, "xanchor": "left", "yanchor": "top", "align": "left",
            "font": {"size": 11, "color": "#555"}}


def drug_label(drug: str, indicator: str | None = None) -> str:
    """A readable name for a drug key, falling back on CDC's indicator label.

    Args:
        drug: The short key (``fentanyl``, ``cocaine`` …).
        indicator: CDC's indicator label for the key, used for keys without a name here.

    Returns:
        The label.
    """
    return DRUG_LABELS.get(drug, indicator or drug)


def _check_columns(frame: pd.DataFrame, table: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataValidationError(f"table {table!r}: missing column(s) {', '.join(missing)}")


def check_per(per: float | None) -> float | None:
    """Validate ``--per``: None for counts, else a finite number above zero.

    Args:
        per: People per rate unit (e.g. 100000) or None.

    Returns:
        ``per`` as a float, or None.

    Raises:
        ParameterError: When ``per`` is zero, negative or not finite.
    """
    if per is None:
        return None
    if not math.isfinite(per) or per <= 0:
        raise ParameterError(f"--per {per:g}: must be a positive number of people, e.g. 100000")
    return float(per)


def map_values(
    deaths: pd.DataFrame,
    population: pd.DataFrame,
    *,
    drug: str,
    year: int,
    metric: str = "deaths",
    per: float | None = None,
) -> pd.DataFrame:
    """The value drawn for each of the 50 states and DC.

    Args:
        deaths: The atlas ``overdose_deaths`` table (year, state_abbr, indicator, drug, deaths).
        population: The atlas ``population`` table (state_abbr, year, population, source).
        drug: Drug key, e.g. ``fentanyl``.
        year: Calendar year.
        metric: One of :data:`METRICS`.
        per: None for counts, else deaths per this many people (of the same year).

    Returns:
        One row per state, sorted by ``state_abbr``: ``state_abbr, deaths, population,
        value, withheld`` (``value`` NaN and ``withheld`` True where CDC gave no value),
        with ``attrs`` ``indicator``, ``population_source``, ``per``, ``drug``, ``year``.

    Raises:
        ParameterError: For an unknown metric or drug, a year outside the data, a bad ``per``.
        DataValidationError: When a table lacks a column or the population for the year.
    """
    if metric not in METRICS:
        raise ParameterError(
            f"--metric {metric!r}: unknown metric; choose from {', '.join(METRICS)}"
        )
    per = check_per(per)
    _check_columns(deaths, "overdose_deaths", ("year", "state_abbr", "indicator", "drug", "deaths"))
    _check_columns(population, "population", ("year", "state_abbr", "population"))
    # CDC's "Number of Deaths" (all causes) is in the table but is not an overdose count
    drugs = sorted(d for d in deaths["drug"].dropna().unique() if d not in NOT_OVERDOSE)
    if drug not in drugs:
        raise ParameterError(f"--drug {drug!r}: unknown drug; choose from {', '.join(drugs)}")
    of_drug = deaths[deaths["drug"] == drug]
    years = sorted(int(y) for y in of_drug["year"].unique())
    if year not in years:
        raise ParameterError(
            f"--year {year}: no {drug} deaths in the data for that year; "
            f"years {years[0]}–{years[-1]}"
        )
    pop_year = population[(population["year"] == year) & (population["state_abbr"] != "US")]
    if pop_year.empty:
        raise DataValidationError(f"table 'population': no rows for year {year}")
    states = sorted(pop_year["state_abbr"].unique())
    rows = of_drug[(of_drug["year"] == year) & of_drug["state_abbr"].isin(states)]
    if rows["state_abbr"].duplicated().any():
        dup = rows.loc[rows["state_abbr"].duplicated(), "state_abbr"].iloc[0]
        raise DataValidationError(
            f"table 'overdose_deaths': two rows for {dup} {drug} {year}"
        )
    frame = pd.DataFrame({"state_abbr": states})
    frame = frame.merge(rows[["state_abbr", "deaths"]], on="state_abbr", how="left")
    frame = frame.merge(
        pop_year[["state_abbr", "population"]].drop_duplicates("state_abbr"),
        on="state_abbr",
        how="left",
    )
    frame["deaths"] = frame["deaths"].astype("float64")
    frame["population"] = frame["population"].astype("float64")
    if per is None:
        frame["value"] = frame["deaths"]
    else:
        frame["value"] = frame["deaths"] / frame["population"] * per
    frame["withheld"] = frame["value"].isna()
    indicator = rows["indicator"].dropna()
    frame.attrs.update(
        drug=drug,
        year=year,
        per=per,
        metric=metric,
        indicator=str(indicator.iloc[0]) if len(indicator) else drug,
        population_source=(
            sorted(pop_year["source"].dropna().unique()) if "source" in pop_year else []
        ),
    )
    return frame


def _title(values: pd.DataFrame) -> str:
    label = drug_label(values.attrs.get("drug", ""), values.attrs.get("indicator"))
    per = values.attrs.get("per")
    unit = "overdose deaths" if per is None else f"overdose deaths per {per:,.0f} people"
    return f"{label}: {unit}, {values.attrs.get('year', '')}"


def _source_note(values: pd.DataFrame) -> str:
    note = _SOURCE_DEATHS
    if values.attrs.get("per") is not None:
        sources = values.attrs.get("population_source") or ["census"]
        text = "; ".join(_SOURCE_POPULATION.get(s, s) for s in sources)
        note += f"<br>Population: {text}."
    withheld = int(values["withheld"].sum())
    if withheld:
        note += (
            f"<br>Grey: withheld by CDC ({withheld} states; "
            "fewer than 10 deaths or low data quality)."
        )
    return note


def choropleth(values: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """A US choropleth of :func:`map_values` output, withheld states grey and labelled.

    Args:
        values: The frame :func:`map_values` returns (its ``attrs`` name the drug, year, per).
        title: The figure title; built from ``values.attrs`` when None.

    Returns:
        A figure with two choropleth traces, ``reported`` and ``withheld``, covering
        every state in ``values`` once.
    """
    per = values.attrs.get("per")
    reported = values[~values["withheld"]]
    withheld = values[values["withheld"]]
    value_fmt = "%{z:,.0f} deaths" if per is None else f"%{{z:,.2f}} per {per:,.0f}"
    custom = np.column_stack(
        [reported["deaths"].to_numpy(), reported["population"].to_numpy()]
    )
    fig = go.Figure()
    fig.add_trace(
        go.Choropleth(
            name="reported",
            locations=reported["state_abbr"].tolist(),
            z=reported["value"].tolist(),
            customdata=custom.tolist(),
            locationmode="USA-states",
            colorscale="YlOrRd",
            zmin=0,
            colorbar={"title": {"text": "deaths" if per is None else f"per {per:,.0f}"}},
            marker={"line": {"color": "white", "width": 0.6}},
            hovertemplate=(
                f"<b>%{{location}}</b><br>{value_fmt}<br>"
                "deaths: %{customdata[0]:,.0f}<br>population: %{customdata[1]:,.0f}"
                "<extra></extra>"
            ),
        )
    )
    fig.add_trace(
        go.Choropleth(
            name="withheld",
            locations=withheld["state_abbr"].tolist(),
            z=[0] * len(withheld),
            text=["withheld"] * len(withheld),
            locationmode="USA-states",
            colorscale=[[0, WITHHELD_COLOUR], [1, WITHHELD_COLOUR]],
            showscale=False,
            marker={"line": {"color": "white", "width": 0.6}},
            hovertemplate="<b>%{location}</b><br>withheld by CDC<extra></extra>",
        )
    )
    fig.update_layout(
        title={"text": title or _title(values), "x": 0.5},
        geo={"scope": "usa", "projection": {"type": "albers usa"}, "showlakes": False},
        height=640,
        margin={"l": 10, "r": 10, "t": 60, "b": 90},
        annotations=[source_note(_source_note(values), -0.02)],
    )
    return fig
