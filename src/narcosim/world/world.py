"""The :class:`World`: the fixed geography every model indexes into.

States are held in a fixed order (ascending FIPS code: AL, AK, AZ, …, WY, with DC
ninth), and every per-state array in narcosim uses that order. Populations run
over a year range (default 2015–2026, DESIGN.md section 3); years after the last
one in the atlas are held at that year's figure and flagged in
:attr:`World.population_held`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd

from narcosim.errors import DataValidationError, ParameterError
from narcosim.world.geo import distance_matrix_km
from narcosim.world.network import supply_graph, write_graphml
from narcosim.world.places import (
    Hub,
    MexicanRegion,
    Port,
    build_hubs,
    build_mexican_regions,
    build_ports,
)
from narcosim.world.topojson import feature_centroids

if TYPE_CHECKING:
    from narcosim.atlas.store import Atlas

# Model horizon 2015-01 to 2026-12 (DESIGN.md section 3).
DEFAULT_FIRST_YEAR = 2015
DEFAULT_LAST_YEAR = 2026
# The geometry used for centroids: us-atlas states-10m (lon/lat, Census 1:10m boundaries).
CENTROID_GEOMETRY = "states_10m"
N_JURISDICTIONS = 51  # 50 states + DC

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _frozen(array: npt.ArrayLike, dtype: Any) -> np.ndarray:
    out = np.array(array, dtype=dtype, copy=True)
    out.setflags(write=False)
    return out


@dataclass(frozen=True, repr=False)
class World:
    """Immutable geography: states, populations, centroids, hubs, ports and distances.

    Build it with :meth:`World.from_atlas` (or :meth:`World.from_tables`). Arrays are
    read-only; per-state arrays follow :attr:`states`.

    Attributes:
        states: State postal codes in FIPS order (51: 50 states and DC).
        state_fips: 2-digit FIPS codes, same order.
        state_names: State names, same order.
        years: The model years, ascending.
        population: (n_years, 51) int64 resident population.
        population_held: (n_years,) True where the year is beyond the data and the last
            data year's figure is held.
        population_source: (n_years, 51) atlas source label ('census', 'nchs',
            'interpolated', or 'held:<year>').
        centroid_lat: (51,) area-weighted centroid latitude of each state, degrees.
        centroid_lon: (51,) centroid longitude, degrees east.
        hubs: The seven distribution hubs.
        ports: The 28 land ports, grouped by field office.
        field_offices: Field office names, in port order of first appearance.
        mexican_regions: Production regions then border staging cities.
        production_to_port_km: (n_regions, n_ports) great-circle km.
        port_to_hub_km: (n_ports, n_hubs) great-circle km.
        hub_to_state_km: (n_hubs, 51) great-circle km from hub to state centroid.
        hub_to_hub_km: (n_hubs, n_hubs) great-circle km.
    """

    states: tuple[str, ...]
    state_fips: tuple[str, ...]
    state_names: tuple[str, ...]
    years: tuple[int, ...]
    population: IntArray
    population_held: BoolArray
    population_source: np.ndarray
    centroid_lat: FloatArray
    centroid_lon: FloatArray
    hubs: tuple[Hub, ...]
    ports: tuple[Port, ...]
    field_offices: tuple[str, ...]
    mexican_regions: tuple[MexicanRegion, ...]
    production_to_port_km: FloatArray
    port_to_hub_km: FloatArray
    hub_to_state_km: FloatArray
    hub_to_hub_km: FloatArray
    state_index: Mapping[str, int] = field(init=False)
    port_index: Mapping[str, int] = field(init=False)
    hub_index: Mapping[str, int] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "state_index",
                           MappingProxyType({s: i for i, s in enumerate(self.states)}))
        object.__setattr__(self, "port_index",
                           MappingProxyType({p.code: i for i, p in enumerate(self.ports)}))
        object.__setattr__(self, "hub_index",
                           MappingProxyType({h.name: i for i, h in enumerate(self.hubs)}))

    def __repr__(self) -> str:
        return (f"World({len(self.states)} jurisdictions, years {self.years[0]}–{self.years[-1]}, "
                f"{len(self.hubs)} hubs, {len(self.ports)} ports in "
                f"{len(self.field_offices)} field offices, "
                f"{len(self.mexican_regions)} Mexican regions)")

    # ----------------------------------------------------------------- construction
    @classmethod
    def from_atlas(cls, atlas: Atlas, first_year: int = DEFAULT_FIRST_YEAR,
                   last_year: int = DEFAULT_LAST_YEAR) -> World:
        """Build the world from an opened atlas store.

        Args:
            atlas: An :class:`narcosim.atlas.store.Atlas` with the tables states,
                population, ports, cities, hubs and geometry.
            first_year: First model year (must have population data).
            last_year: Last model year (later than the data: held and flagged).

        Returns:
            The world.
        """
        geometry = atlas.table("geometry")
        return cls.from_tables(
            states=atlas.table("states"), population=atlas.table("population"),
            ports=atlas.table("ports"), cities=atlas.table("cities"),
            hubs=atlas.table("hubs"), topojson=_geometry_text(geometry, CENTROID_GEOMETRY),
            first_year=first_year, last_year=last_year,
        )

    @classmethod
    def from_tables(cls, *, states: pd.DataFrame, population: pd.DataFrame,
                    ports: pd.DataFrame, cities: pd.DataFrame, hubs: pd.DataFrame,
                    topojson: str, first_year: int = DEFAULT_FIRST_YEAR,
                    last_year: int = DEFAULT_LAST_YEAR) -> World:
        """Build the world from atlas-shaped tables (see the atlas contract).

        Args:
            states: state_fips, state_abbr, state_name (51 rows).
            population: state_abbr, year, population, source.
            ports: The ``ports`` table.
            cities: The ``cities`` table.
            hubs: The ``hubs`` table.
            topojson: us-atlas states-10m TopoJSON text (lon/lat).
            first_year: First model year.
            last_year: Last model year.

        Returns:
            The world.

        Raises:
            ParameterError: The year range is empty or starts before the population data.
            DataValidationError: A table lacks a state, column or value the world needs.
        """
        if last_year < first_year:
            raise ParameterError(f"world years: last_year {last_year} < first_year {first_year}")
        for col in ("state_fips", "state_abbr", "state_name"):
            if col not in states.columns:
                raise DataValidationError(f"atlas table 'states': missing column {col!r}")
        st = states.assign(state_fips=states["state_fips"].astype(str).str.zfill(2))
        st = st.sort_values("state_fips").reset_index(drop=True)
        if len(st) != N_JURISDICTIONS or st["state_abbr"].duplicated().any():
            raise DataValidationError(f"atlas table 'states': expected {N_JURISDICTIONS} distinct "
                                      f"jurisdictions, found {st['state_abbr'].nunique()}")
        abbrs = tuple(str(a) for a in st["state_abbr"])
        years = tuple(range(first_year, last_year + 1))
        pop, held, source = _population_grid(population, abbrs, years)
        lat, lon = _centroids(topojson, tuple(st["state_fips"]), abbrs)
        hub_list = build_hubs(hubs)
        port_list = build_ports(ports)
        regions = build_mexican_regions(cities, port_list)
        offices = tuple(dict.fromkeys(p.field_office for p in port_list))
        p_lat = [p.latitude for p in port_list]
        p_lon = [p.longitude for p in port_list]
        h_lat = [h.latitude for h in hub_list]
        h_lon = [h.longitude for h in hub_list]
        return cls(
            states=abbrs, state_fips=tuple(st["state_fips"]),
            state_names=tuple(str(n) for n in st["state_name"]), years=years,
            population=_frozen(pop, np.int64), population_held=_frozen(held, bool),
            population_source=_frozen(source, object),
            centroid_lat=_frozen(lat, float), centroid_lon=_frozen(lon, float),
            hubs=hub_list, ports=port_list, field_offices=offices, mexican_regions=regions,
            production_to_port_km=_frozen(distance_matrix_km(
                [r.latitude for r in regions], [r.longitude for r in regions], p_lat, p_lon),
                float),
            port_to_hub_km=_frozen(distance_matrix_km(p_lat, p_lon, h_lat, h_lon), float),
            hub_to_state_km=_frozen(distance_matrix_km(h_lat, h_lon, lat, lon), float),
            hub_to_hub_km=_frozen(distance_matrix_km(h_lat, h_lon, h_lat, h_lon), float),
        )

    # ----------------------------------------------------------------- queries
    def population_in(self, year: int) -> IntArray:
        """Population of every state in one model year (read-only, state order).

        Args:
            year: A year in :attr:`years`.

        Returns:
            A (51,) int64 array.

        Raises:
            ParameterError: The year is outside the world's range.
        """
        if year not in self.years:
            raise ParameterError(f"world population: year {year} outside "
                                 f"{self.years[0]}–{self.years[-1]}")
        return self.population[self.years.index(year)]

    def ports_in(self, field_office: str) -> tuple[Port, ...]:
        """The ports one CBP field office holds.

        Args:
            field_office: A name from :attr:`field_offices`.

        Returns:
            The ports, in port order.

        Raises:
            ParameterError: The field office is unknown.
        """
        if field_office not in self.field_offices:
            raise ParameterError(f"world: unknown field office {field_office!r} "
                                 f"(known: {', '.join(self.field_offices)})")
        return tuple(p for p in self.ports if p.field_office == field_office)

    def population_frame(self) -> pd.DataFrame:
        """Tidy populations: state_abbr, year, population, source, held."""
        n_years, n_states = self.population.shape
        return pd.DataFrame({
            "state_abbr": np.tile(np.array(self.states, dtype=object), n_years),
            "year": np.repeat(np.array(self.years, dtype=np.int64), n_states),
            "population": self.population.ravel(),
            "source": self.population_source.ravel(),
            "held": np.repeat(self.population_held, n_states),
        })

    def places_frame(self) -> pd.DataFrame:
        """Every place with kind, key, name, latitude, longitude (states at centroids)."""
        rows = [("production" if r.role == "production" else "staging", r.key, r.name,
                 r.latitude, r.longitude) for r in self.mexican_regions]
        rows += [("port", p.code, p.name, p.latitude, p.longitude) for p in self.ports]
        rows += [("hub", h.name, h.name, h.latitude, h.longitude) for h in self.hubs]
        rows += [("state", s, n, float(a), float(o)) for s, n, a, o in
                 zip(self.states, self.state_names, self.centroid_lat, self.centroid_lon,
                     strict=True)]
        return pd.DataFrame(rows, columns=["kind", "key", "name", "latitude", "longitude"])

    def graph(self, year: int = 2022, *, field_offices: bool = True) -> nx.DiGraph:
        """The supply-network graph (see :func:`narcosim.world.network.supply_graph`).

        Args:
            year: Year whose populations label the state nodes.
            field_offices: Include field-office nodes and port → field-office edges.

        Returns:
            A new :class:`networkx.DiGraph`.
        """
        return supply_graph(self, year=year, field_offices=field_offices)

    def to_graphml(self, path: Path | str, year: int = 2022) -> Path:
        """Write the supply-network graph as GraphML.

        Args:
            path: Output file.
            year: Year whose populations label the state nodes.

        Returns:
            The path written.
        """
        return write_graphml(self.graph(year=year), Path(path))


def _geometry_text(geometry: pd.DataFrame, name: str) -> str:
    if "name" not in geometry.columns or "text" not in geometry.columns:
        raise DataValidationError("atlas table 'geometry': expected columns 'name' and 'text'")
    hit = geometry[geometry["name"] == name]
    if hit.empty:
        raise DataValidationError(f"atlas table 'geometry': no row named {name!r} "
                                  f"(has {sorted(map(str, geometry['name']))})")
    return str(hit["text"].iloc[0])


def _population_grid(population: pd.DataFrame, abbrs: tuple[str, ...],
                     years: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    for col in ("state_abbr", "year", "population"):
        if col not in population.columns:
            raise DataValidationError(f"atlas table 'population': missing column {col!r}")
    pop = population[population["state_abbr"].isin(abbrs)]
    data_years = sorted(int(y) for y in pop["year"].unique())
    if not data_years:
        raise DataValidationError("atlas table 'population': no rows for the 51 jurisdictions")
    if years[0] < data_years[0]:
        raise ParameterError(f"world years: first_year {years[0]} is before the population data "
                             f"({data_years[0]}–{data_years[-1]})")
    has_source = "source" in pop.columns
    table = {(str(r.state_abbr), int(r.year)): (r.population, r.source if has_source else "")
             for r in pop.itertuples(index=False)}
    last = data_years[-1]
    grid = np.zeros((len(years), len(abbrs)), dtype=np.int64)
    source = np.empty((len(years), len(abbrs)), dtype=object)
    held = np.array([y > last for y in years], dtype=bool)
    for i, year in enumerate(years):
        lookup = min(year, last)
        for j, abbr in enumerate(abbrs):
            if (abbr, lookup) not in table:
                raise DataValidationError(f"atlas table 'population': no {lookup} figure "
                                          f"for state {abbr!r}")
            value, src = table[(abbr, lookup)]
            if pd.isna(value) or float(value) <= 0:
                raise DataValidationError(f"atlas table 'population' state {abbr!r} year "
                                          f"{lookup} column 'population': bad value {value!r}")
            grid[i, j] = int(value)
            source[i, j] = f"held:{last}" if year > last else str(src)
    return grid, held, source


def _centroids(topojson: str, fips: tuple[str, ...],
               abbrs: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    found = {c.id.zfill(2): c for c in feature_centroids(topojson, "states")}
    lat = np.empty(len(fips))
    lon = np.empty(len(fips))
    for j, code in enumerate(fips):
        if code not in found:
            raise DataValidationError(f"atlas table 'geometry' {CENTROID_GEOMETRY}: no state "
                                      f"with id {code!r} ({abbrs[j]})")
        lat[j], lon[j] = found[code].latitude, found[code].longitude
    return lat, lon
