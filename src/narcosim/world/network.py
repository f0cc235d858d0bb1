"""The supply-network graph: Mexico → ports → hubs → states, as a NetworkX DiGraph.

Nodes carry ``kind`` (production | port | field_office | hub | state), ``name``,
``lat``, ``lon`` and, where known, ``population``, ``state`` and
``field_office``; Mexican nodes also carry ``role`` (production | staging) and
``faces`` (comma-separated codes of the ports a staging city faces).
Edges carry ``kind``, ``km`` (great-circle) and ``cost``; every attribute is a
str, float or int so that the graph writes to GraphML unchanged.

Edges:
    * production → port (every production region to every port) and
      production → staging city (role production → role staging);
    * staging city → the ports it faces;
    * port → hub (every port to every hub);
    * hub → hub (secondary distribution, both directions);
    * hub → state (every hub to every state centroid);
    * port → field office (``kind`` "member_of", km 0, cost 0: a grouping, never a route;
      field offices have no out-edges, so no path to a state passes through them).

Node ids: ``mx:<key>``, ``port:<code>``, ``fo:<field office>``, ``hub:<name>``,
``state:<abbr>``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from narcosim.errors import StoreError
from narcosim.world.geo import ROAD_DETOUR_FACTOR, haversine_km

if TYPE_CHECKING:
    from narcosim.world.world import World

NODE_KINDS: tuple[str, ...] = ("production", "port", "field_office", "hub", "state")


def node_id(kind: str, key: str) -> str:
    """The graph node id for a place.

    Args:
        kind: One of "mx" (production or staging), "port", "fo", "hub", "state".
        key: Region key, port code, field office name, hub name or state postal code.

    Returns:
        ``f"{kind}:{key}"``.
    """
    return f"{kind}:{key}"


def edge_cost(km: float) -> float:
    """The ``cost`` of an edge: estimated road km (great-circle × detour factor, a guess).

    Args:
        km: Great-circle kilometres.

    Returns:
        ``km * ROAD_DETOUR_FACTOR``.
    """
    return float(km) * ROAD_DETOUR_FACTOR


def _link(g: nx.DiGraph, u: str, v: str, kind: str, km: float) -> None:
    g.add_edge(u, v, kind=kind, km=float(km), cost=edge_cost(km))


def supply_graph(world: World, year: int = 2022, *, field_offices: bool = True) -> nx.DiGraph:
    """Build the supply-network graph of a world.

    Args:
        world: The world.
        year: Year whose populations label the state nodes.
        field_offices: Include field-office nodes and port → field-office edges.

    Returns:
        A new :class:`networkx.DiGraph` with graph attributes ``name``, ``year`` and
        ``detour_factor``.
    """
    pop = world.population_in(year)
    g = nx.DiGraph(name="narcosim supply network", year=int(year),
                   detour_factor=float(ROAD_DETOUR_FACTOR))
    for r in world.mexican_regions:
        g.add_node(node_id("mx", r.key), kind="production", role=r.role, name=r.name,
                   city=r.city, lat=r.latitude, lon=r.longitude, population=int(r.population),
                   country="MX", faces=",".join(r.ports))
    if field_offices:
        for office in world.field_offices:
            members = world.ports_in(office)
            g.add_node(node_id("fo", office), kind="field_office", name=office,
                       lat=sum(p.latitude for p in members) / len(members),
                       lon=sum(p.longitude for p in members) / len(members),
                       ports=len(members))
    for p in world.ports:
        g.add_node(node_id("port", p.code), kind="port", name=p.name, port_code=p.code,
                   state=p.state_abbr, lat=p.latitude, lon=p.longitude,
                   field_office=p.field_office)
        if field_offices:
            g.add_edge(node_id("port", p.code), node_id("fo", p.field_office), kind="member_of",
                       km=0.0, cost=0.0)
    for h in world.hubs:
        g.add_node(node_id("hub", h.name), kind="hub", name=h.name, state=h.state_abbr,
                   lat=h.latitude, lon=h.longitude, population=int(h.population))
    for j, s in enumerate(world.states):
        g.add_node(node_id("state", s), kind="state", name=world.state_names[j], state=s,
                   fips=world.state_fips[j], lat=float(world.centroid_lat[j]),
                   lon=float(world.centroid_lon[j]), population=int(pop[j]))

    regions = world.mexican_regions
    production = [r for r in regions if r.role == "production"]
    for i, r in enumerate(regions):
        u = node_id("mx", r.key)
        if r.role == "production":
            for k, p in enumerate(world.ports):
                _link(g, u, node_id("port", p.code), "production_port",
                      world.production_to_port_km[i, k])
        else:
            for code in r.ports:
                k = world.port_index[code]
                _link(g, u, node_id("port", code), "staging_port",
                      world.production_to_port_km[i, k])
    for r in production:
        for s in regions:
            if s.role == "staging":
                _link(g, node_id("mx", r.key), node_id("mx", s.key), "production_staging",
                      float(haversine_km(r.latitude, r.longitude, s.latitude, s.longitude)))
    for k, p in enumerate(world.ports):
        for h_i, h in enumerate(world.hubs):
            _link(g, node_id("port", p.code), node_id("hub", h.name), "port_hub",
                  world.port_to_hub_km[k, h_i])
    for a_i, a in enumerate(world.hubs):
        for b_i, b in enumerate(world.hubs):
            if a_i != b_i:
                _link(g, node_id("hub", a.name), node_id("hub", b.name), "hub_hub",
                      world.hub_to_hub_km[a_i, b_i])
        for j, s in enumerate(world.states):
            _link(g, node_id("hub", a.name), node_id("state", s), "hub_state",
                  world.hub_to_state_km[a_i, j])
    return g


def write_graphml(graph: nx.DiGraph, path: Path) -> Path:
    """Write a graph to GraphML, creating the parent folder.

    Args:
        graph: The graph (attributes str/float/int only).
        path: Output file.

    Returns:
        The path written.

    Raises:
        StoreError: The file cannot be written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        nx.write_graphml(graph, path)
    except OSError as error:
        raise StoreError(f"cannot write GraphML to {path}: {error.strerror or error}") from None
    return path
