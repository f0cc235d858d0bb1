"""Haversine distances and TopoJSON centroids, checked against known values and the real file."""

import json
import math
from itertools import pairwise

import numpy as np
import pytest

from narcosim.errors import DataValidationError
from narcosim.world.geo import EARTH_RADIUS_KM, distance_matrix_km, haversine_km
from narcosim.world.topojson import decode_arcs, feature_centroids


def test_quarter_meridian_is_a_quarter_of_the_circumference():
    assert float(haversine_km(0, 0, 90, 0)) == pytest.approx(math.pi * EARTH_RADIUS_KM / 2,
                                                              rel=1e-12)


def test_los_angeles_to_new_york_is_about_3940_km():
    # GeoNames coordinates of Los Angeles and New York City (the cities file in shared/data).
    km = float(haversine_km(34.05223, -118.24368, 40.71427, -74.00597))
    assert km == pytest.approx(3940, rel=0.02)


def test_london_to_paris_is_about_344_km():
    km = float(haversine_km(51.5074, -0.1278, 48.8566, 2.3522))
    assert km == pytest.approx(343.5, rel=0.01)


def test_distance_matrix_rows_are_origins_and_is_symmetric_on_same_points():
    lat = np.array([34.05, 29.76, 40.71])
    lon = np.array([-118.24, -95.36, -74.01])
    d = distance_matrix_km(lat, lon, lat, lon)
    assert d.shape == (3, 3)
    np.testing.assert_allclose(d, d.T, rtol=1e-12)
    np.testing.assert_allclose(np.diag(d), 0.0, atol=1e-9)
    assert d[0, 1] == pytest.approx(float(haversine_km(34.05, -118.24, 29.76, -95.36)))
    assert d[0, 2] > d[0, 1]  # LA is farther from New York than from Houston


def _square_with_hole(quantised: bool) -> str:
    # Outer square 0..4 x 0..4 with a 1x1 hole at 2..3 x 2..3 (counter-clockwise outer,
    # clockwise hole); the centroid is (A*c - a*h)/(A - a) = (16*2 - 1*2.5)/15 per axis.
    outer = [[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]
    hole = [[2, 2], [2, 3], [3, 3], [3, 2], [2, 2]]
    topo = {"type": "Topology", "objects": {"states": {"type": "GeometryCollection",
            "geometries": [{"type": "Polygon", "id": "99", "properties": {"name": "Sq"},
                            "arcs": [[0], [1]]}]}}}
    if quantised:
        def delta(points):
            out = [points[0]]
            out += [[b[0] - a[0], b[1] - a[1]] for a, b in pairwise(points)]
            return out
        # scale 0.5 and translate (-100, 10): store integer coordinates 2x the real ones.
        topo["transform"] = {"scale": [0.5, 0.5], "translate": [-100.0, 10.0]}
        topo["arcs"] = [delta([[2 * x, 2 * y] for x, y in outer]),
                        delta([[2 * x, 2 * y] for x, y in hole])]
    else:
        topo["arcs"] = [[[x - 100, y + 10] for x, y in outer],
                        [[x - 100, y + 10] for x, y in hole]]
    return json.dumps(topo)


@pytest.mark.parametrize("quantised", [False, True])
def test_centroid_of_a_square_with_a_hole(quantised):
    (c,) = feature_centroids(_square_with_hole(quantised), west_hemisphere=False)
    expected = (16 * 2 - 1 * 2.5) / 15
    assert c.id == "99" and c.name == "Sq"
    assert c.area_deg2 == pytest.approx(15.0)
    assert c.longitude == pytest.approx(expected - 100)
    assert c.latitude == pytest.approx(expected + 10)


def test_decode_arcs_first_point_of_real_file(data_dir):
    text = (data_dir / "us_atlas_states-10m.json").read_text()
    topo = json.loads(text)
    arcs = decode_arcs(topo)
    assert len(arcs) == len(topo["arcs"])
    # Every decoded point lies inside the file's declared bbox.
    lo_lon, lo_lat, hi_lon, hi_lat = topo["bbox"]
    pts = np.concatenate(arcs)
    assert pts[:, 0].min() >= lo_lon - 1e-6 and pts[:, 0].max() <= hi_lon + 1e-6
    assert pts[:, 1].min() >= lo_lat - 1e-6 and pts[:, 1].max() <= hi_lat + 1e-6


@pytest.fixture(scope="module")
def centroids(data_dir):
    text = (data_dir / "us_atlas_states-10m.json").read_text()
    return {c.name: c for c in feature_centroids(text)}


@pytest.mark.parametrize(("state", "lat", "lon", "tol"), [
    ("Texas", 31.5, -99.3, 1.5),       # brief: near 31.5N, 99.3W
    ("California", 37.2, -119.5, 1.5),
    ("Kansas", 38.5, -98.4, 1.0),
    ("Florida", 28.6, -82.4, 1.5),
    ("District of Columbia", 38.9, -77.02, 0.1),
])
def test_state_centroids_near_expected(centroids, state, lat, lon, tol):
    c = centroids[state]
    assert abs(c.latitude - lat) <= tol
    assert abs(c.longitude - lon) <= tol


def test_alaska_and_hawaii_centroids_are_where_they_belong(centroids):
    ak, hi = centroids["Alaska"], centroids["Hawaii"]
    # Alaska: mainland interior, not dragged across the antimeridian by the Aleutians.
    assert 60 <= ak.latitude <= 67 and -160 <= ak.longitude <= -145
    # Hawaii: between Kauai (22.1N, 159.5W) and the Big Island (19.6N, 155.5W).
    assert 18.9 <= hi.latitude <= 22.2 and -159.8 <= hi.longitude <= -154.8


def test_texas_is_the_largest_contiguous_state_by_area(centroids):
    contiguous = {n: c for n, c in centroids.items() if n not in {"Alaska", "Hawaii"}}
    assert max(contiguous, key=lambda n: contiguous[n].area_deg2) == "Texas"


def test_bad_topojson_fails_with_one_line(data_dir):
    with pytest.raises(DataValidationError, match="invalid TopoJSON"):
        feature_centroids("{not json")
    text = (data_dir / "us_atlas_states-10m.json").read_text()
    with pytest.raises(DataValidationError, match="no object 'counties'"):
        feature_centroids(text, "counties")
