"""The run manifest: what was run, with what, on which data, so a run can be reproduced.

A manifest is a JSON-ready dictionary written as ``manifest.json`` in a run folder. It records
the narcosim version, the command line, the scenario, the resolved parameters of every module
(``sim.pars()``), the seed, the scale, the timeline, when the run was made, the versions of
Python and the numerical libraries, and the data provenance: the atlas store path and each
imported file with its sha256 (as hashed at import time), plus the provenance of each table.

``status`` is ``"running"`` while a run is under way, then ``"complete"``, ``"failed"`` or
``"interrupted"``; only a complete manifest ever sits in a finished run folder.
"""

from __future__ import annotations

import math
import platform
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import narcosim
from narcosim.atlas.store import Atlas
from narcosim.core.sim import Sim

#: Version of the manifest layout; bump when fields change meaning.
MANIFEST_VERSION = 1
#: Values of the manifest's ``status`` field.
STATUSES = ("running", "complete", "failed", "interrupted")
#: Libraries whose versions change numbers or files; recorded in ``environment``.
_LIBRARIES = ("numpy", "pandas", "pyarrow", "scipy", "duckdb", "networkx")


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 with seconds and a ``Z``.

    Returns:
        For example ``2026-11-28T09:47:12Z``.
    """
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def environment() -> dict[str, str]:
    """Return the versions of Python, the platform and the numerical libraries.

    Returns:
        ``python``, ``platform`` and one key per library in use (missing ones omitted).
    """
    env = {"python": platform.python_version(), "platform": platform.platform()}
    for name in _LIBRARIES:
        try:
            env[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return env


def data_provenance(store: Path) -> dict[str, Any]:
    """Describe the data a run read: the store, each imported file's hash, each table's source.

    Args:
        store: The atlas store file.

    Returns:
        ``store`` (absolute path), ``files`` (records ``file, sha256, bytes``) and ``tables``
        (records ``table, publisher, source, licence, trimming, files, sha256``).

    Raises:
        StoreError: No store there, or it is not a complete atlas store.
    """
    atlas = Atlas.open(store)
    files = atlas.files()
    tables = atlas.provenance()
    return {
        "store": str(Path(store).resolve()),
        "files": [jsonable(r) for r in files.to_dict(orient="records")],
        "tables": [jsonable(r) for r in tables.to_dict(orient="records")],
    }


def build_manifest(
    sim: Sim,
    *,
    scenario: str,
    scale: int,
    command: Sequence[str],
    data: Mapping[str, Any] | None,
    created: str | None = None,
    scenario_file: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the manifest of a run (status ``running``) before the sim steps.

    Args:
        sim: The built sim; its parameters, seed and timeline are recorded.
        scenario: Scenario name (``"default"`` for the built-in one).
        scale: Population scale (100 means 1:100).
        command: The command line, as argv (program name first).
        data: Output of :func:`data_provenance`, or None for a sim that reads no atlas.
        created: Creation time (ISO 8601 UTC); now when None.
        scenario_file: The scenario's origin, sha256, TOML text and resolved content
            (:func:`narcosim.scenario.loader.scenario_record`); None for a sim built in code.

    Returns:
        A JSON-ready dictionary.
    """
    tl = sim.timeline
    return {
        "manifest_version": MANIFEST_VERSION,
        "narcosim_version": narcosim.__version__,
        "status": "running",
        "created": created or utc_now(),
        "finished": None,
        "command": [str(a) for a in command],
        "scenario": scenario,
        "scenario_file": jsonable(dict(scenario_file)) if scenario_file is not None else None,
        "seed": int(sim.seed),
        "scale": int(scale),
        "timeline": {
            "start": tl.start.isoformat(),
            "end": tl.end.isoformat(),
            "dt_days": tl.dt_days,
            "n_steps": tl.n_steps,
            "first_step": str(tl.dates[0]),
            "last_step": str(tl.dates[-1]),
        },
        "modules": list(sim.modules),
        "parameters": jsonable(sim.pars()),
        "environment": environment(),
        "data": dict(data) if data is not None else None,
    }


def finish_manifest(
    manifest: dict[str, Any], status: str, *, error: str | None = None,
    outputs: Mapping[str, Any] | None = None, wall_seconds: float | None = None,
) -> dict[str, Any]:
    """Return a copy of a manifest with its final status and what the run wrote.

    Args:
        manifest: From :func:`build_manifest`.
        status: ``complete``, ``failed`` or ``interrupted``.
        error: One line on what went wrong (failed or interrupted runs).
        outputs: File name -> description (sha256, bytes, rows) of the files written.
        wall_seconds: How long the run took.

    Returns:
        The updated manifest.

    Raises:
        ValueError: Unknown status.
    """
    if status not in STATUSES:
        raise ValueError(f"manifest status {status!r} is not one of {', '.join(STATUSES)}")
    out = dict(manifest)
    out["status"] = status
    out["finished"] = utc_now()
    if wall_seconds is not None:
        out["wall_seconds"] = round(float(wall_seconds), 3)
    if error is not None:
        out["error"] = error
    if outputs is not None:
        out["outputs"] = jsonable(dict(outputs))
    return out


def command_line(argv: Sequence[str] | None = None) -> list[str]:
    """Return the command line to record: ``narcosim`` and its arguments.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        argv with ``narcosim`` first.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    return ["narcosim", *[str(a) for a in args]]


def jsonable(value: Any) -> Any:
    """Turn numpy and pandas scalars, arrays and missing values into plain JSON values.

    Args:
        value: Nested mappings, lists, tuples, arrays and scalars.

    Returns:
        The same structure with dict keys as strings, arrays as lists, numpy scalars as
        Python ones, and NaN, infinities, NA and NaT as None.
    """
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) or math.isinf(value) else float(value)
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value

