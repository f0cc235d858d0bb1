"""What ``narcosim assess YEAR`` shows: atlas tables and one model run, by state, port and hub.

The threat assessment follows the shape of the DEA's National Drug Threat Assessment as the
seed report describes it: cartel presence by state (Sinaloa against CJNG), where the supply
crosses and where it goes, deaths by drug, seizures and operations. Deaths and seizures are the
atlas's own (CDC VSRR, CBP); presence and flows come from a run of the built-in model
(status quo, 2015 to the end of YEAR, people left out: only supply is needed), because no
public table gives cartel presence or kilograms by US state.

A year is valid when the atlas has CDC deaths for it (2015–2023 in the shipped data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from narcosim.atlas.cartels import CJNG_NODE, SINALOA_NODE
from narcosim.atlas.query import death_years
from narcosim.atlas.store import Atlas
from narcosim.calibrate.seizure_targets import southwest_seizures
from narcosim.core.sim import Sim
from narcosim.errors import ParameterError
from narcosim.model.builder import build_sim, load_inputs
from narcosim.model.drugs import SUPPLY_DRUGS

#: Census Bureau regions of the states and DC ("Census Regions and Divisions of the United
#: States", U.S. Census Bureau, geography reference map).
CENSUS_REGIONS: dict[str, tuple[str, ...]] = {
    "Northeast": ("CT", "ME", "MA", "NH", "RI", "VT", "NJ", "NY", "PA"),
    "Midwest": ("IL", "IN", "MI", "OH", "WI", "IA", "KS", "MN", "MO", "NE", "ND", "SD"),
    "South": ("DE", "DC", "FL", "GA", "MD", "NC", "SC", "VA", "WV", "AL", "KY", "MS", "TN",
              "AR", "LA", "OK", "TX"),
    "West": ("AZ", "CO", "ID", "MT", "NV", "NM", "UT", "WY", "AK", "CA", "HI", "OR", "WA"),
}
REGION_OF: dict[str, str] = {s: r for r, states in CENSUS_REGIONS.items() for s in states}

#: The scale of the assessment's model run (1:1000 people per agent; supply is not sampled).
ASSESS_SCALE = 1000
#: The seed of the assessment's model run.
ASSESS_SEED = 1
#: Sinaloa's four factions and CJNG's command in the default organisation structure.
SINALOA, CJNG = "sinaloa", "cjng"


@dataclass(frozen=True)
class SupplyYear:
    """One calendar year of the model's supply, day-weighted (a 53-step year is not inflated).

    Attributes:
        year: The calendar year.
        ports: ``port_code, port_name, state_abbr, field_office, hub, drug, crossing_kg,
            passed_kg`` (passed: crossing less the drug's seized share that year).
        states: ``state_abbr, region, hub, drug, sold_kg``.
        presence: ``state_abbr, sinaloa, cjng, independents`` — operators present at the
            year's last step (Sinaloa counts its factions, CJNG its command).
        activity: ``state_abbr, activity_kg`` — kilograms handled in the state (crossing its
            ports, passing its hubs, sold on its streets).
        expansion: ``year, cartel, states`` — states (DC counted as one) where the cartel had
            at least one operator present at the end of each year from 2015 to ``year``.
        seed: The run seed.
        scale: The run scale.
        beyond: Tidy results of the run's money, export-market and production modules (for
            the money Sankey and the world map); None when not kept.
    """

    year: int
    ports: pd.DataFrame
    states: pd.DataFrame
    presence: pd.DataFrame
    activity: pd.DataFrame
    expansion: pd.DataFrame
    seed: int
    scale: int
    beyond: pd.DataFrame | None = None


def check_year(atlas: Atlas, year: int) -> tuple[int, ...]:
    """Check that the atlas has CDC deaths for ``year``.

    Returns:
        The atlas's death years.

    Raises:
        ParameterError: ``year`` is outside the data.
    """
    years = death_years(atlas)
    if not years or year not in years:
        span = f"{years[0]}–{years[-1]}" if years else "none"
        raise ParameterError(f"YEAR {year}: outside the data; the atlas has CDC overdose "
                             f"deaths for {span}")
    return years


def simulate_supply(atlas: Atlas, year: int, seed: int = ASSESS_SEED,
                    scale: int = ASSESS_SCALE) -> SupplyYear:
    """Run the built-in model to the end of ``year`` (supply only) and total that year.

    Args:
        atlas: The opened atlas store.
        year: Calendar year (2015 or later: the model starts in 2015).
        seed: Run seed.
        scale: Real people per agent.

    Returns:
        The year's flows, presence and activity.
    """
    inputs = load_inputs(atlas)
    sim = build_sim(inputs, seed=seed, scale=scale, end=f"{year}-12-31", people=False,
                    name="assess")
    sim.run()
    world, tl = inputs.world, sim.timeline
    res = sim.results
    crossing_axes = res["trafficking"].axes("crossing_kg").drop("step")
    (crossing,) = tl.annual(res["trafficking"]["crossing_kg"], [year])
    crossed = crossing_axes.sum(crossing, "port")
    seized = tl.annual(res["trafficking"]["seized_kg"], [year])[0].sum(axis=(1, 2))
    passed_share = np.divide(crossed - seized, crossed, out=np.ones_like(crossed),
                             where=crossed > 0).clip(0.0, 1.0)
    hubs = [h.name for h in world.hubs]
    port_rows = []
    for k, port in enumerate(world.ports):
        for d, drug in enumerate(SUPPLY_DRUGS):
            port_rows.append({
                "port_code": port.code, "port_name": port.name, "state_abbr": port.state_abbr,
                "field_office": port.field_office, "hub": hubs[int(inputs.port_hub[k])],
                "drug": drug, "crossing_kg": float(crossing[d, k]),
                "passed_kg": float(crossing[d, k] * passed_share[d]),
            })
    (sold,) = tl.annual(res["distribution"]["sold_kg"], [year])
    states = list(world.states)
    state_rows = [
        {"state_abbr": s, "region": REGION_OF.get(s, "other"),
         "hub": hubs[int(inputs.state_hub[j])], "drug": drug, "sold_kg": float(sold[d, j])}
        for j, s in enumerate(states) for d, drug in enumerate(SUPPLY_DRUGS)
    ]
    last = tl.steps_in_year(year)[-1]
    presence = pd.DataFrame(res["distribution"]["presence"][last].T,
                            columns=list(sim.modules["distribution"].cartels))
    presence.insert(0, "state_abbr", states)
    activity = tl.annual(res["distribution"]["activity_kg"], [year])[0]
    cartels = list(sim.modules["distribution"].cartels)
    expansion = [
        {"year": y, "cartel": c,
         "states": int((res["distribution"]["presence"][tl.steps_in_year(y)[-1], i] > 0).sum())}
        for y in range(int(tl.years[0]), year + 1) for i, c in enumerate(cartels)]
    return SupplyYear(year=year, ports=pd.DataFrame(port_rows), states=pd.DataFrame(state_rows),
                      presence=presence,
                      activity=pd.DataFrame({"state_abbr": states, "activity_kg": activity}),
                      expansion=pd.DataFrame(expansion), seed=seed, scale=scale,
                      beyond=_beyond_frame(sim))


def _beyond_frame(sim: Sim) -> pd.DataFrame | None:
    """The money, export-market and production results, tidy (None without money)."""
    names = [n for n in ("money", "portfolio", "production") if n in sim.modules]
    if "money" not in names:
        return None
    return pd.concat([sim.results[n].to_frame() for n in names], ignore_index=True)


def mexico_alignment(groups: pd.DataFrame, alliances: pd.DataFrame,
                     rivalries: pd.DataFrame) -> pd.DataFrame:
    """Mexican groups allied with, or rivals of, Sinaloa and CJNG, by Mexican state.

    Args:
        groups: The atlas ``cartel_groups`` table.
        alliances: The atlas ``cartel_alliances`` table (symmetrised).
        rivalries: The atlas ``cartel_rivalries`` table (symmetrised).

    Returns:
        One row per Mexican state: ``state, sinaloa_allies, cjng_allies, sinaloa_rivals,
        cjng_rivals, groups`` (groups listed in the network in that state), sorted by the
        number of allies of either cartel.
    """
    def ties(edges: pd.DataFrame, node: str) -> set[str]:
        return set(edges.loc[edges["node"] == node, "rnode"])

    sets = {
        "sinaloa_allies": ties(alliances, SINALOA_NODE),
        "cjng_allies": ties(alliances, CJNG_NODE),
        "sinaloa_rivals": ties(rivalries, SINALOA_NODE),
        "cjng_rivals": ties(rivalries, CJNG_NODE),
    }
    frame = groups[["node", "state"]].copy()
    for key, nodes in sets.items():
        frame[key] = frame["node"].isin(nodes).astype("int64")
    frame["groups"] = 1
    out = frame.groupby("state", as_index=False)[[*sets, "groups"]].sum()
    out["allies"] = out["sinaloa_allies"] + out["cjng_allies"]
    out = out.sort_values(["allies", "groups", "state"], ascending=[False, False, True])
    return out.drop(columns="allies").reset_index(drop=True)


def seizures_by_year(seizures: pd.DataFrame) -> pd.DataFrame:
    """Southwest-border seizures of the modelled drugs: kg by fiscal year, drug and component.

    Args:
        seizures: The atlas ``seizures`` table.

    Returns:
        ``fiscal_year, drug, component, kg, events``.
    """
    sw = southwest_seizures(seizures)
    return (sw.groupby(["fiscal_year", "drug", "component"], as_index=False)[["kg", "events"]]
            .sum().sort_values(["fiscal_year", "drug", "component"]).reset_index(drop=True))


def seizures_by_office(seizures: pd.DataFrame, fiscal_year: int) -> pd.DataFrame:
    """Southwest-border seizures in one fiscal year by field office (corridor) and drug.

    Returns:
        ``field_office, drug, kg, events``; empty when the year is not in the data.
    """
    sw = southwest_seizures(seizures)
    sw = sw[sw["fiscal_year"] == fiscal_year]
    return (sw.groupby(["field_office", "drug"], as_index=False)[["kg", "events"]].sum()
            .sort_values(["drug", "kg"], ascending=[True, False]).reset_index(drop=True))


def top_rates(values: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` states with the highest rate in a :func:`~narcosim.report.maps.map_values` frame.

    Returns:
        ``rank, state_abbr, deaths, value`` (withheld states left out).
    """
    rows = values[~values["withheld"]].sort_values(["value", "state_abbr"],
                                                   ascending=[False, True]).head(n)
    rows = rows[["state_abbr", "deaths", "value"]].reset_index(drop=True)
    rows.insert(0, "rank", range(1, len(rows) + 1))
    return rows
