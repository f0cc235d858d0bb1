"""Everything the supply modules read from data, built once per run from the atlas.

The modules never touch the atlas themselves: :func:`build_supply_inputs` turns the atlas
tables, the world and the fitted supply parameters into plain arrays in the world's fixed
orders (operators, drugs, ports, field offices, hubs, states, years).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from narcosim.atlas.store import Atlas
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.fitted import FittedSupply
from narcosim.orgs.structure import OrgStructure
from narcosim.world import World
from narcosim.world.geo import distance_matrix_km

#: BTS measures counted as traffic that can hide a load (vehicles and people crossing north).
TRAFFIC_MEASURES: tuple[str, ...] = ("Trucks", "Personal Vehicles", "Pedestrians", "Buses")


@dataclass(frozen=True)
class SupplyInputs:
    """Data arrays for the supply modules, in the world's fixed orders.

    Attributes:
        world: The geography.
        structure: Cartels and operators.
        fitted: Fitted flows, corridor weights, Border Patrol rates and shipment sizes.
        port_fo: Field-office index of each port.
        port_traffic_share: Each port's share of its field office's northbound traffic (BTS
            2020–2021 trucks, personal vehicles, pedestrians and buses).
        operator_port_km: Great-circle km from each operator's staging city to each port.
        port_hub: Index of the hub each port's loads go to first (the nearest hub).
        state_hub: Index of the hub that serves each state (the nearest hub).
        demand_share: Each state's share of the national market per (year, drug), shape
            (years, drugs, states); years are ``world.years``.
        prior_overdose_rate: Each state's drug-poisoning death rate 2013–2015 (NCHS, final
            data) relative to the nation's: the mortality multiplier for where people who use
            drugs live, before the fit window.
    """

    world: World
    structure: OrgStructure
    fitted: FittedSupply
    port_fo: np.ndarray
    port_traffic_share: np.ndarray
    operator_port_km: np.ndarray
    port_hub: np.ndarray
    state_hub: np.ndarray
    demand_share: np.ndarray
    prior_overdose_rate: np.ndarray

    @property
    def n_ops(self) -> int:
        """Number of operators."""
        return len(self.structure.operators)

    def year_index(self, year: int) -> int:
        """Index of a calendar year in ``world.years`` (clipped to its ends)."""
        years = self.world.years
        return int(np.clip(year - years[0], 0, len(years) - 1))


def port_traffic_share(crossings: pd.DataFrame, world: World) -> np.ndarray:
    """Each port's share of its field office's northbound traffic (BTS crossings).

    Args:
        crossings: The atlas ``crossings`` table.
        world: The geography (port and field-office order).

    Returns:
        One share per port; the shares of each field office sum to 1.
    """
    traffic = crossings[crossings["measure"].isin(TRAFFIC_MEASURES)]
    by_port = traffic.groupby("port_code")["value"].sum()
    volume = np.array([float(by_port.get(p.code, 0.0)) for p in world.ports]) + 1.0
    fo = np.array([world.field_offices.index(p.field_office) for p in world.ports])
    totals = np.bincount(fo, weights=volume)
    return volume / totals[fo]


def demand_share(deaths: pd.DataFrame, world: World) -> np.ndarray:
    """Each state's share of the national market for each drug and year.

    The market size of a state is taken as proportional to its overdose deaths involving the
    drug (CDC VSRR) — a proxy until the people module supplies demand. Withheld counts get
    the national remainder split by population. Years after the data hold the last year.

    Args:
        deaths: The atlas ``overdose_deaths`` table.
        world: The geography.

    Returns:
        Shares of shape (len(world.years), drugs, states), each (year, drug) summing to 1.
    """
    out = np.zeros((len(world.years), len(SUPPLY_DRUGS), len(world.states)))
    data_years = sorted(int(y) for y in deaths["year"].unique())
    for yi, year in enumerate(world.years):
        y = min(max(year, data_years[0]), data_years[-1])
        pop = world.population_in(year).astype(float)
        for di, drug in enumerate(SUPPLY_DRUGS):
            rows = deaths[(deaths["year"] == y) & (deaths["drug"] == drug)]
            by_state = rows.set_index("state_abbr")["deaths"]
            national = float(by_state.get("US", np.nan))
            vals = np.array([float(by_state.get(s, np.nan)) for s in world.states])
            missing = np.isnan(vals)
            reported = float(np.nansum(vals))
            rest = max(national - reported, 0.0) if np.isfinite(national) else 0.0
            if missing.any():
                vals[missing] = rest * pop[missing] / pop[missing].sum()
            if vals.sum() <= 0:
                vals = pop.copy()
            out[yi, di] = vals / vals.sum()
    return out


def build_supply_inputs(
    atlas: Atlas, world: World, structure: OrgStructure, fitted: FittedSupply
) -> SupplyInputs:
    """Build the supply modules' inputs from the atlas.

    Args:
        atlas: The opened atlas store.
        world: The geography built from the same atlas.
        structure: Cartels and operators.
        fitted: The fitted supply parameters.

    Returns:
        The inputs.
    """
    cities = atlas.table("cities")
    mx = cities[cities["country"] == "MX"].set_index("name")
    lat = np.array([float(mx.loc[op.staging_city, "latitude"])
                    for op in structure.operators.values()])
    lon = np.array([float(mx.loc[op.staging_city, "longitude"])
                    for op in structure.operators.values()])
    p_lat = np.array([p.latitude for p in world.ports])
    p_lon = np.array([p.longitude for p in world.ports])
    op_port = distance_matrix_km(lat, lon, p_lat, p_lon)
    return SupplyInputs(
        world=world,
        structure=structure,
        fitted=fitted,
        port_fo=np.array([world.field_offices.index(p.field_office) for p in world.ports]),
        port_traffic_share=port_traffic_share(atlas.table("crossings"), world),
        operator_port_km=np.asarray(op_port),
        port_hub=np.asarray(world.port_to_hub_km).argmin(axis=1),
        state_hub=np.asarray(world.hub_to_state_km).argmin(axis=0),
        demand_share=demand_share(atlas.table("overdose_deaths"), world),
        prior_overdose_rate=prior_overdose_rate(atlas.table("nchs_deaths"), world),
    )


def prior_overdose_rate(nchs: pd.DataFrame, world: World,
                        years: tuple[int, ...] = (2013, 2014, 2015)) -> np.ndarray:
    """Each state's drug-poisoning death rate over ``years`` relative to the nation's (NCHS).

    The mortality multiplier method (EMCDDA; Hickman et al., 2002) estimates how many people
    use drugs where from how many die of drugs there; the model uses it only for where its
    people live at the start.
    """
    rows = nchs[nchs["year"].isin(years)]
    by_state = rows.groupby("state_abbr")[["deaths", "population"]].sum()
    rate = by_state["deaths"] / by_state["population"]
    us = rate.get("US", float((by_state["deaths"].sum()) / by_state["population"].sum()))
    return np.array([float(rate.get(s, us)) / us for s in world.states])
