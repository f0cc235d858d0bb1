"""The figures of the threat assessment (``narcosim assess``): presence, flows, seizures.

Every figure titles its axes with their units; the source line is not drawn inside the figure
but written under it by :mod:`narcosim.report.assess_report`, so that it is text a reader (and
a test) can find.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from narcosim.report.assess_data import CENSUS_REGIONS, CJNG, SINALOA, SupplyYear
from narcosim.report.maps import drug_label

#: One colour per modelled drug, as in the national chart (:mod:`narcosim.report.charts`).
DRUG_COLOURS = {"fentanyl": "#d62728", "methamphetamine": "#1f77b4", "cocaine": "#2ca02c"}
_LINK_COLOURS = {"fentanyl": "rgba(214,39,40,0.45)", "methamphetamine": "rgba(31,119,180,0.45)",
                 "cocaine": "rgba(44,160,44,0.45)"}
_FONT = {"family": "system-ui, sans-serif", "size": 13, "color": "#222"}
#: Ports drawn one by one in the Sankey; the rest are summed as "other ports".
SANKEY_PORTS = 10


def _layout(fig: go.Figure, title: str, height: int = 560) -> go.Figure:
    fig.update_layout(title={"text": title, "x": 0.5}, height=height, font=_FONT,
                      margin={"l": 70, "r": 30, "t": 60, "b": 60}, paper_bgcolor="white",
                      plot_bgcolor="white")
    return fig


def presence_map(supply: SupplyYear) -> go.Figure:
    """Simulated cartel activity per state, shaded, with who is present in the hover text.

    Args:
        supply: The year's model supply.

    Returns:
        A US choropleth of kilograms handled per state in the year.
    """
    frame = supply.activity.merge(supply.presence, on="state_abbr")
    text = [f"Sinaloa factions present: {s} of 4<br>CJNG franchise: {'yes' if c else 'no'}"
            for s, c in zip(frame["sinaloa"], frame["cjng"], strict=True)]
    fig = go.Figure(go.Choropleth(
        locations=frame["state_abbr"].tolist(), z=(frame["activity_kg"] / 1000.0).tolist(),
        locationmode="USA-states", colorscale="Blues", zmin=0, text=text,
        colorbar={"title": {"text": "tonnes handled"}},
        marker={"line": {"color": "white", "width": 0.6}},
        hovertemplate="<b>%{location}</b><br>%{z:,.1f} tonnes<br>%{text}<extra></extra>"))
    fig.update_layout(geo={"scope": "usa", "projection": {"type": "albers usa"},
                           "showlakes": False})
    return _layout(fig, f"Simulated cartel activity by state, {supply.year}: tonnes of "
                        "fentanyl, methamphetamine and cocaine handled", 600)


def presence_bars(supply: SupplyYear, n: int = 20) -> go.Figure:
    """Sinaloa factions against CJNG in the ``n`` most active states (operators present).

    Args:
        supply: The year's model supply.
        n: States shown, most active first.

    Returns:
        A grouped bar chart: Sinaloa factions present (0–4) and CJNG (0–1) per state.
    """
    frame = supply.activity.merge(supply.presence, on="state_abbr")
    frame = frame.sort_values(["activity_kg", "state_abbr"], ascending=[False, True]).head(n)
    fig = go.Figure([
        go.Bar(x=frame["state_abbr"].tolist(), y=frame["sinaloa"].tolist(),
               name="Sinaloa factions (umbrella, of 4)", marker_color="#08519c"),
        go.Bar(x=frame["state_abbr"].tolist(), y=frame["cjng"].tolist(),
               name="CJNG command's franchises (0 or 1)", marker_color="#e6550d"),
    ])
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": 1.08, "x": 0},
                      xaxis={"title": {"text": "state (most active first)"}},
                      yaxis={"title": {"text": "operators present (count)"}, "dtick": 1})
    return _layout(fig, f"Who is present: Sinaloa against CJNG in the {n} most active states, "
                        f"end of {supply.year}", 520)


def expansion_chart(supply: SupplyYear) -> go.Figure:
    """States where Sinaloa and CJNG were present at the end of each year, 2015 to the year.

    Args:
        supply: The year's model supply.

    Returns:
        A line chart, one line per cartel (independents left out).
    """
    fig = go.Figure()
    names = {SINALOA: ("Sinaloa (any of its 4 factions)", "#08519c"),
             CJNG: ("CJNG (franchises)", "#e6550d")}
    for cartel, (label, colour) in names.items():
        rows = supply.expansion[supply.expansion["cartel"] == cartel]
        fig.add_trace(go.Scatter(x=rows["year"].tolist(), y=rows["states"].tolist(),
                                 mode="lines+markers", name=label, meta={"cartel": cartel},
                                 line={"color": colour, "width": 2.5}))
    fig.update_layout(xaxis={"title": {"text": "end of calendar year"}, "dtick": 1},
                      yaxis={"title": {"text": "states with a presence (count, DC included)"},
                             "range": [0, 53]},
                      legend={"orientation": "h", "y": 1.08, "x": 0})
    return _layout(fig, f"The expansion: states where each cartel operates, "
                        f"{int(supply.expansion['year'].min())}–{supply.year}", 460)


def mexico_bars(alignment: pd.DataFrame, n: int = 15) -> go.Figure:
    """Allies and rivals of Sinaloa and CJNG among Mexico's criminal groups, by Mexican state.

    Args:
        alignment: From :func:`~narcosim.report.assess_data.mexico_alignment`.
        n: Mexican states shown.

    Returns:
        A grouped bar chart of group counts.
    """
    top = alignment.head(n)
    series = (("sinaloa_allies", "allies of Sinaloa", "#08519c"),
              ("cjng_allies", "allies of CJNG", "#e6550d"),
              ("sinaloa_rivals", "rivals of Sinaloa", "#6baed6"),
              ("cjng_rivals", "rivals of CJNG", "#fdae6b"))
    fig = go.Figure([go.Bar(x=top["state"].tolist(), y=top[key].tolist(), name=label,
                            marker_color=colour) for key, label, colour in series])
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": 1.08, "x": 0},
                      xaxis={"title": {"text": "Mexican state of the group"}},
                      yaxis={"title": {"text": "criminal groups (count)"}})
    return _layout(fig, "Mexico's criminal groups (2020) allied with or fighting Sinaloa and "
                        "CJNG", 520)


def flow_sankey(supply: SupplyYear, drug: str) -> go.Figure:
    """Ports → entry hubs → Census regions for one drug, in kilograms over the year.

    The port → hub links carry what crossed less the drug's seized share; each entry hub's
    kilograms are split over the regions by the regions' share of the drug's kilograms sold
    (the model sends every hub's stock to the states in the same proportions).

    Args:
        supply: The year's model supply.
        drug: One of the modelled drugs.

    Returns:
        A Sankey diagram.
    """
    ports = supply.ports[supply.ports["drug"] == drug].copy()
    ports["label"] = ports["port_name"] + " (" + ports["state_abbr"] + ")"
    keep = set(ports.nlargest(SANKEY_PORTS, "passed_kg")["port_code"])
    ports.loc[~ports["port_code"].isin(keep), "label"] = "other ports"
    by_port = ports.groupby(["label", "hub"], as_index=False)["passed_kg"].sum()
    by_port = by_port[by_port["passed_kg"] > 0]
    sold = supply.states[supply.states["drug"] == drug].groupby("region")["sold_kg"].sum()
    region_share = (sold / sold.sum()) if sold.sum() > 0 else sold * 0.0
    hubs = by_port.groupby("hub")["passed_kg"].sum()
    port_nodes = sorted(set(by_port["label"]), key=lambda s: (s == "other ports", s))
    regions = [r for r in CENSUS_REGIONS if r in region_share.index]
    nodes = port_nodes + [f"{h} hub" for h in hubs.index] + [f"{r} region" for r in regions]
    index = {name: i for i, name in enumerate(nodes)}
    source, target, value = [], [], []
    for row in by_port.itertuples(index=False):
        source.append(index[row.label])
        target.append(index[f"{row.hub} hub"])
        value.append(float(row.passed_kg))
    for hub, kg in hubs.items():
        for region in regions:
            source.append(index[f"{hub} hub"])
            target.append(index[f"{region} region"])
            value.append(float(kg * region_share[region]))
    fig = go.Figure(go.Sankey(
        valueformat=",.0f", valuesuffix=" kg",
        node={"label": nodes, "pad": 14, "thickness": 16, "color": "#777"},
        link={"source": source, "target": target, "value": value,
              "color": _LINK_COLOURS.get(drug, "rgba(120,120,120,0.4)")}))
    total = sum(value[: len(by_port)])
    return _layout(fig, f"{drug.capitalize()}: {total / 1000:,.1f} tonnes past the ports in "
                        f"{supply.year} (model)", 620)


def seizure_trend(by_year: pd.DataFrame, year: int) -> go.Figure:
    """Southwest-border seizures by fiscal year and drug, tonnes, the assessed year marked.

    Args:
        by_year: From :func:`~narcosim.report.assess_data.seizures_by_year`.
        year: The assessed (calendar) year; its fiscal year is marked when in the data.

    Returns:
        A line chart, one line per drug, on a log axis (methamphetamine weighs a hundred
        times fentanyl).
    """
    totals = by_year.groupby(["fiscal_year", "drug"], as_index=False)["kg"].sum()
    fig = go.Figure()
    for drug, rows in totals.groupby("drug", sort=False):
        fig.add_trace(go.Scatter(x=rows["fiscal_year"].tolist(),
                                 y=(rows["kg"] / 1000.0).tolist(), mode="lines+markers",
                                 name=drug_label(str(drug)),
                                 line={"color": DRUG_COLOURS.get(str(drug)), "width": 2.5}))
    if year in set(totals["fiscal_year"]):
        fig.add_vline(x=year, line={"dash": "dot", "color": "#555"},
                      annotation_text=f"FY{year}", annotation_position="top")
    fig.update_layout(xaxis={"title": {"text": "US fiscal year (October–September)"},
                             "dtick": 1},
                      yaxis={"title": {"text": "seized (tonnes, log scale)"}, "type": "log"},
                      legend={"orientation": "h", "y": 1.08, "x": 0})
    return _layout(fig, "CBP seizures at the southwest border by drug", 520)


def seizure_offices(by_office: pd.DataFrame, fiscal_year: int) -> go.Figure:
    """Seizures of one fiscal year by southwest field office (corridor), one panel per drug.

    Args:
        by_office: From :func:`~narcosim.report.assess_data.seizures_by_office`.
        fiscal_year: The fiscal year shown.

    Returns:
        A grouped bar chart in tonnes (log axis).
    """
    fig = go.Figure()
    for drug, rows in by_office.groupby("drug", sort=False):
        fig.add_trace(go.Bar(x=rows["field_office"].str.replace(" FIELD OFFICE", "").tolist(),
                             y=(rows["kg"] / 1000.0).tolist(), name=drug_label(str(drug)),
                             marker_color=DRUG_COLOURS.get(str(drug))))
    fig.update_layout(barmode="group", legend={"orientation": "h", "y": 1.08, "x": 0},
                      xaxis={"title": {"text": "CBP field office (corridor)"}},
                      yaxis={"title": {"text": "seized (tonnes, log scale)"}, "type": "log"})
    return _layout(fig, f"Where the border seizures were made, FY{fiscal_year}", 520)
