"""Everything the supply modules read from data, built once per run from the atlas.

The modules never touch the atlas themselves: :func:`build_supply_inputs` turns the atlas
tables, the world and the fitted supply parameters into plain arrays in the world's fixed
orders (operators, drugs, ports, field offices, hubs, states, years).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from narcosim.atlas.query import table_years
from narcosim.atlas.store import Atlas
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.fitted_supply import FittedSupply
from narcosim.model.indicators import class_shares, initial_prevalence
from narcosim.model.supply_index import (
    DEFAULT_DAMPING,
    extend_flows,
    report_ratio,
    report_series,
)
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
        fitted: Flows, corridor weights, Border Patrol rates and shipment sizes the run uses:
            the seizure fit with its flows outside the fit window rebuilt from NFLIS reports
            and projected after ``input_end`` (:func:`~narcosim.model.supply_index.extend_flows`).
        port_fo: Field-office index of each port.
        port_traffic_share: Each port's share of its field office's northbound traffic (BTS
            2020–2021 trucks, personal vehicles, pedestrians and buses).
        operator_port_km: Great-circle km from each operator's staging city to each port.
        port_hub: Index of the hub each port's loads go to first (the nearest hub).
        state_hub: Index of the hub that serves each state (the nearest hub).
        demand_share: Each state's share of the national market per (year, drug), shape
            (years, drugs, states); years are ``world.years``. Built from population, the
            starting prevalence and NFLIS reports, never from deaths after the first year.
        prevalence: Starting relative prevalence of each people group (opioid,
            methamphetamine only, cocaine only) by state, (groups, states): the 2015
            mortality multiplier (:func:`narcosim.model.indicators.initial_prevalence`).
        input_end: The last calendar year any input may use (the indicators' last year, or
            a forecast origin); flows and market shares after it are projected or held.
        seizure_fit: The seizure fit as loaded (before its flows were extended).
        reports: National NFLIS reports by year per supply drug (up to any year; only those
            up to ``input_end`` are used).
        damping: Damping of the flow trend projected after ``input_end``.
        report_elasticity: Flow elasticity to reports outside the seizure window, per drug.
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
    prevalence: np.ndarray
    input_end: int
    seizure_fit: FittedSupply
    reports: Mapping[str, pd.Series]
    damping: float
    report_elasticity: Mapping[str, float]

    @property
    def n_ops(self) -> int:
        """Number of operators."""
        return len(self.structure.operators)

    def with_fit(self, seizure_fit: FittedSupply | None = None,
                 report_elasticity: Mapping[str, float] | None = None,
                 damping: float | None = None) -> SupplyInputs:
        """These inputs with another seizure fit, flow elasticity to reports or damping."""
        fit = self.seizure_fit if seizure_fit is None else seizure_fit
        kappa = dict(self.report_elasticity if report_elasticity is None
                     else report_elasticity)
        phi = self.damping if damping is None else float(damping)
        return dataclasses.replace(
            self, fitted=extend_flows(fit, self.reports, self.input_end, phi, kappa),
            seizure_fit=fit, report_elasticity=kappa, damping=phi)

    def report_ratio(self) -> np.ndarray:
        """Reports relative to each year's anchor, (drugs, fiscal years) (see supply_index)."""
        return report_ratio(self.seizure_fit, self.reports, self.input_end, self.damping)[1]

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


def demand_share(reports: pd.DataFrame, world: World, prevalence: np.ndarray,
                 end_year: int) -> np.ndarray:
    """Each state's share of the national market for each drug and year, without deaths.

    A state's market for a drug is its population, times the starting prevalence of the
    people who use it (the 2015 mortality multiplier, an initial condition), times the
    drug's within-class share of the state's forensic-lab reports that year (NFLIS; see
    :mod:`narcosim.model.indicators`). No death count from 2016 on is read.

    Args:
        reports: The atlas ``nflis_reports`` table.
        world: The geography.
        prevalence: Starting relative prevalence per people group, (groups, states).
        end_year: Last year of reports an input may use; later years hold it.

    Returns:
        Shares of shape (len(world.years), drugs, states), each (year, drug) summing to 1.
    """
    shares = class_shares(reports, world.states, world.years, SUPPLY_DRUGS, end_year)
    group_of = {"fentanyl": 0, "methamphetamine": 1, "cocaine": 2}
    prev = np.stack([prevalence[group_of[d]] for d in SUPPLY_DRUGS])
    pop = np.asarray(world.population, dtype=float)[:, None, :]
    market = pop * prev[None, :, :] * shares
    return market / market.sum(axis=2, keepdims=True)


def build_supply_inputs(
    atlas: Atlas, world: World, structure: OrgStructure, fitted: FittedSupply,
    input_end: int | None = None, damping: float = DEFAULT_DAMPING,
    report_elasticity: Mapping[str, float] | None = None,
) -> SupplyInputs:
    """Build the supply modules' inputs from the atlas.

    Args:
        atlas: The opened atlas store.
        world: The geography built from the same atlas.
        structure: Cartels and operators.
        fitted: The fitted supply parameters (flows outside their seizure window are
            rebuilt here from NFLIS reports up to ``input_end``, then projected).
        input_end: Last calendar year an input may use; default the last year of NFLIS
            reports in the store.
        damping: Damping of the projected flow trend after ``input_end``.
        report_elasticity: Elasticity of flows outside the seizure window to NFLIS reports,
            per drug (1 where not given).

    Returns:
        The inputs.
    """
    reports = atlas.table("nflis_reports")
    end = max(table_years(reports)) if input_end is None else int(input_end)
    cities = atlas.table("cities")
    mx = cities[cities["country"] == "MX"].set_index("name")
    lat = np.array([float(mx.loc[op.staging_city, "latitude"])
                    for op in structure.operators.values()])
    lon = np.array([float(mx.loc[op.staging_city, "longitude"])
                    for op in structure.operators.values()])
    p_lat = np.array([p.latitude for p in world.ports])
    p_lon = np.array([p.longitude for p in world.ports])
    op_port = distance_matrix_km(lat, lon, p_lat, p_lon)
    prevalence = initial_prevalence(atlas.table("overdose_deaths"), atlas.table("nchs_deaths"),
                                    world.states, np.asarray(world.population)[0],
                                    world.years[0])
    series = report_series(reports)
    kappa = {d: float((report_elasticity or {}).get(d, 1.0)) for d in SUPPLY_DRUGS}
    return SupplyInputs(
        world=world,
        structure=structure,
        fitted=extend_flows(fitted, series, end, damping, kappa),
        port_fo=np.array([world.field_offices.index(p.field_office) for p in world.ports]),
        port_traffic_share=port_traffic_share(atlas.table("crossings"), world),
        operator_port_km=np.asarray(op_port),
        port_hub=np.asarray(world.port_to_hub_km).argmin(axis=1),
        state_hub=np.asarray(world.hub_to_state_km).argmin(axis=0),
        demand_share=demand_share(reports, world, prevalence, end),
        prevalence=prevalence,
        input_end=end,
        seizure_fit=fitted,
        reports=series,
        damping=float(damping),
        report_elasticity=kappa,
    )
