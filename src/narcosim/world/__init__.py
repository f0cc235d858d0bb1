"""The world: states, populations, hubs, ports, Mexican regions, distances, supply graph.

Floor 2; imports only :mod:`narcosim.atlas`, :mod:`narcosim.core` and
:mod:`narcosim.errors`. Build with ``World.from_atlas(Atlas.open())``.
"""

from narcosim.world.geo import (
    EARTH_RADIUS_KM,
    ROAD_DETOUR_FACTOR,
    distance_matrix_km,
    haversine_km,
)
from narcosim.world.network import NODE_KINDS, edge_cost, node_id, supply_graph, write_graphml
from narcosim.world.places import (
    HUB_NAMES,
    PRODUCTION_REGIONS,
    SOUTHWEST_FIELD_OFFICES,
    STAGING_RADIUS_KM,
    Hub,
    MexicanRegion,
    Port,
)
from narcosim.world.topojson import FeatureCentroid, feature_centroids
from narcosim.world.world import World

__all__ = [
    "EARTH_RADIUS_KM",
    "HUB_NAMES",
    "NODE_KINDS",
    "PRODUCTION_REGIONS",
    "ROAD_DETOUR_FACTOR",
    "SOUTHWEST_FIELD_OFFICES",
    "STAGING_RADIUS_KM",
    "FeatureCentroid",
    "Hub",
    "MexicanRegion",
    "Port",
    "World",
    "distance_matrix_km",
    "edge_cost",
    "feature_centroids",
    "haversine_km",
    "node_id",
    "supply_graph",
    "write_graphml",
]
