"""Decode TopoJSON polygons with numpy and compute area-weighted centroids.

TopoJSON (https://github.com/topojson/topojson-specification) stores shared
boundary *arcs*; a quantised topology stores each arc as integer deltas that are
cumulatively summed and then mapped through ``transform`` (``scale``,
``translate``). A polygon is a list of rings, each a list of arc indices, where a
negative index ``~i`` means arc ``i`` reversed. No GIS dependency is needed.

Centroids are planar (in longitude/latitude degrees) area-weighted centroids of
all of a feature's polygons, holes subtracted. Longitudes east of 0 are unwrapped
to ``lon - 360`` when ``west_hemisphere`` is set, so Alaska's Aleutian islands
beyond the antimeridian do not drag its centroid across the globe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from narcosim.errors import DataValidationError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class FeatureCentroid:
    """The centroid and planar area of one TopoJSON feature.

    Attributes:
        id: The feature's ``id`` (for us-atlas states, the 2-digit FIPS code).
        name: ``properties.name`` or "" when absent.
        latitude: Centroid latitude, degrees north.
        longitude: Centroid longitude, degrees east (negative in the west).
        area_deg2: Planar area in square degrees (for weighting and sanity checks only).
    """

    id: str
    name: str
    latitude: float
    longitude: float
    area_deg2: float


def decode_arcs(topology: dict[str, Any]) -> list[FloatArray]:
    """Decode every arc of a topology to absolute (lon, lat) coordinates.

    Args:
        topology: The parsed TopoJSON object (``type`` = "Topology").

    Returns:
        One (k, 2) float array per arc, in the topology's arc order.

    Raises:
        DataValidationError: The object is not a TopoJSON topology.
    """
    if topology.get("type") != "Topology" or "arcs" not in topology:
        raise DataValidationError("geometry: not a TopoJSON Topology (no 'arcs')")
    transform = topology.get("transform")
    arcs: list[FloatArray] = []
    for raw in topology["arcs"]:
        pts = np.asarray(raw, dtype=float)[:, :2]
        if transform is not None:
            pts = np.cumsum(pts, axis=0)
            pts = pts * np.asarray(transform["scale"], dtype=float) + np.asarray(
                transform["translate"], dtype=float
            )
        arcs.append(pts)
    return arcs


def _ring(arcs: list[FloatArray], indices: list[int]) -> FloatArray:
    parts: list[FloatArray] = []
    for k, index in enumerate(indices):
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        parts.append(arc if k == 0 else arc[1:])
    return np.concatenate(parts, axis=0)


def _ring_moments(ring: FloatArray) -> tuple[float, float, float]:
    """Return |area| and the area-weighted centroid sums (Cx·A, Cy·A) of one ring."""
    x, y = ring[:, 0], ring[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    area = 0.5 * cross.sum()
    cx = ((x + x1) * cross).sum() / 6.0
    cy = ((y + y1) * cross).sum() / 6.0
    sign = 1.0 if area >= 0 else -1.0
    return abs(area), sign * cx, sign * cy


def _polygons(geometry: dict[str, Any]) -> list[list[list[int]]]:
    kind = geometry.get("type")
    if kind == "Polygon":
        return [geometry["arcs"]]
    if kind == "MultiPolygon":
        return list(geometry["arcs"])
    return []


def feature_centroids(
    text: str, object_name: str = "states", *, west_hemisphere: bool = True
) -> list[FeatureCentroid]:
    """Area-weighted centroids of every polygon feature in one TopoJSON object.

    Args:
        text: The TopoJSON document as a string.
        object_name: The object in ``objects`` to read (us-atlas: "states").
        west_hemisphere: Unwrap positive longitudes to ``lon - 360`` before averaging
            (right for US states, whose few eastern-hemisphere points are Aleutians).

    Returns:
        One :class:`FeatureCentroid` per polygonal geometry, in file order.

    Raises:
        DataValidationError: The text is not JSON, or the object is missing or empty.
    """
    try:
        topology = json.loads(text)
    except json.JSONDecodeError as error:
        raise DataValidationError(
            f"geometry: invalid TopoJSON ({error.msg} at char {error.pos})") from None
    objects = topology.get("objects", {})
    if object_name not in objects:
        raise DataValidationError(
            f"geometry: TopoJSON has no object {object_name!r} (has {sorted(objects)})"
        )
    arcs = decode_arcs(topology)
    if west_hemisphere:
        arcs = [np.column_stack([np.where(a[:, 0] > 0, a[:, 0] - 360.0, a[:, 0]), a[:, 1]])
                for a in arcs]
    out: list[FeatureCentroid] = []
    for geom in objects[object_name].get("geometries", []):
        total = sx = sy = 0.0
        for polygon in _polygons(geom):
            for r, ring_idx in enumerate(polygon):
                area, cx, cy = _ring_moments(_ring(arcs, ring_idx))
                sign = 1.0 if r == 0 else -1.0  # first ring exterior, the rest holes
                total += sign * area
                sx += sign * cx
                sy += sign * cy
        if total <= 0:
            continue
        lon = sx / total
        if lon < -180.0:
            lon += 360.0
        out.append(FeatureCentroid(
            id=str(geom.get("id", "")),
            name=str(geom.get("properties", {}).get("name", "")),
            latitude=sy / total,
            longitude=lon,
            area_deg2=total,
        ))
    if not out:
        raise DataValidationError(f"geometry: TopoJSON object {object_name!r} has no polygons")
    return out
