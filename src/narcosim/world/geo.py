"""Great-circle distances (haversine) between points given in degrees.

All distances in :mod:`narcosim.world` are great-circle kilometres on a sphere of
mean Earth radius. Road distance is longer; where a model wants a road estimate it
multiplies by :data:`ROAD_DETOUR_FACTOR`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

# Mean Earth radius, IUGG: R1 = (2a + b) / 3 = 6371.0088 km (Moritz, "Geodetic Reference
# System 1980", Bulletin Géodésique 54 (1980); WGS-84 axes).
EARTH_RADIUS_KM = 6371.0088

# GUESS: road distance ≈ 1.2–1.3 × great-circle distance for inter-city trips in the US and
# Mexico (a commonly quoted "circuity" range; not fitted to these data). The midpoint is used
# for the ``cost`` attribute of supply-network edges; models may override it.
ROAD_DETOUR_FACTOR = 1.25

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]


def haversine_km(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> FloatArray:
    """Great-circle distance in kilometres between points, element-wise with broadcasting.

    Args:
        lat1: Latitude(s) of the first point(s), degrees north.
        lon1: Longitude(s) of the first point(s), degrees east.
        lat2: Latitude(s) of the second point(s), degrees north.
        lon2: Longitude(s) of the second point(s), degrees east.

    Returns:
        The distances in km, broadcast over the inputs (a 0-d array for scalars).
    """
    phi1 = np.radians(np.asarray(lat1, dtype=float))
    phi2 = np.radians(np.asarray(lat2, dtype=float))
    dphi = phi2 - phi1
    dlam = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def distance_matrix_km(
    from_lat: ArrayLike, from_lon: ArrayLike, to_lat: ArrayLike, to_lon: ArrayLike
) -> FloatArray:
    """Great-circle distances from every origin to every destination.

    Args:
        from_lat: Origin latitudes (n,), degrees.
        from_lon: Origin longitudes (n,), degrees.
        to_lat: Destination latitudes (m,), degrees.
        to_lon: Destination longitudes (m,), degrees.

    Returns:
        An (n, m) array of km; row i is origin i, column j destination j.
    """
    flat = np.asarray(from_lat, dtype=float)[:, None]
    flon = np.asarray(from_lon, dtype=float)[:, None]
    tlat = np.asarray(to_lat, dtype=float)[None, :]
    tlon = np.asarray(to_lon, dtype=float)[None, :]
    return haversine_km(flat, flon, tlat, tlon)
