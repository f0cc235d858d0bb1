"""Read finished outputs back as tidy pandas frames: runs, ensembles, comparisons.

Every loader checks the folder first (complete, and every file matching the sha256 its
manifest records), so a half-written or altered folder is refused with one line
(:class:`~narcosim.errors.StoreError`) instead of being read. The frames are long
("tidy"): one row per date, metric and cell, with the dimension labels as string columns.
``docs/outputs.md`` gives every column's dtype, units and meaning. The folder's metadata
(``manifest.json``, ``ensemble.json`` or ``comparison.json``) is in ``frame.attrs``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from narcosim.analysis.compare import COMPARISON_JSON, COMPARISON_PARQUET, MEMBERS_PARQUET
from narcosim.errors import ParameterError, StoreError
from narcosim.report.run_data import open_run
from narcosim.run.bands import ANNUAL_BANDS, BANDS
from narcosim.run.folder import read_json_object, read_run_folder
from narcosim.run.national import national_annual_bands

__all__ = ["load_comparison", "load_ensemble", "load_run"]

EnsembleTable = Literal["bands", "annual", "national", "members"]


def load_run(path: str | Path) -> pd.DataFrame:
    """A run folder's results (``results.parquet``), checked against its manifest.

    Args:
        path: A run folder written by ``narcosim run`` or :meth:`narcosim.Sim.save`.

    Returns:
        One row per step, metric and cell, with columns ``date`` (first day of the weekly
        step), ``module``, ``metric``, then the dimension columns (``drug``, ``state``,
        ``port``, ``cartel``, …; missing where a metric lacks that dimension), and
        ``value`` (float, in the metric's units). ``attrs["manifest"]`` and
        ``attrs["summary"]`` hold ``manifest.json`` and ``summary.json``;
        ``attrs["path"]`` the folder.

    Raises:
        StoreError: No such folder, an incomplete run, or a file that does not match the
            sha256 in ``manifest.json``.
    """
    folder = read_run_folder(Path(path))
    frame = folder.results()
    frame.attrs.update({"path": str(folder.path), "manifest": folder.manifest,
                        "summary": folder.summary})
    return frame


def load_ensemble(path: str | Path, table: EnsembleTable = "bands") -> pd.DataFrame:
    """An ensemble folder's bands, annual bands or member results, checked.

    Args:
        path: An ensemble folder written by ``narcosim ensemble``.
        table: ``bands`` (``bands.parquet``: ``date, module, metric, <dims>, n, mean,
            q0.05, q0.5, q0.95``), ``annual`` (``bands_annual.parquet``: ``year, module,
            metric, <dims>, steps, days, n, mean, q…``, calendar-year sums of flow metrics
            per state), ``national`` (the same sums over all states, member by member,
            then the statistics: ``year, module, metric, <dims but state>, days, n, mean,
            q…``, for the flow metrics that have a ``state`` dimension) or ``members``
            (every member's results stacked: ``member, seed, date, module, metric,
            <dims>, value``).

    Returns:
        The frame; ``attrs["ensemble"]`` holds ``ensemble.json``, ``attrs["path"]`` the
        folder.

    Raises:
        ParameterError: An unknown ``table``.
        StoreError: Not a complete ensemble folder, a file that does not match the sha256
            in ``ensemble.json``, or no annual bands (a horizon without flow metrics).
    """
    if table not in ("bands", "annual", "national", "members"):
        raise ParameterError(f"table {table!r}: must be 'bands', 'annual', 'national' or "
                             "'members'")
    folder = Path(path)
    if folder.is_dir() and not (folder / "ensemble.json").is_file():
        raise StoreError(f"{folder} is not an ensemble folder (no ensemble.json)")
    source = open_run(folder)  # checks status and every file's sha256
    meta = source.meta
    if table == "members":
        frames = []
        for i, (file, member) in enumerate(zip(source.files, meta["members"], strict=True)):
            one = pd.read_parquet(file)
            one.insert(0, "seed", int(member["seed"]))
            one.insert(0, "member", i)
            frames.append(one)
        frame = pd.concat(frames, ignore_index=True)
    elif table == "national":
        flows = read_json_object(source.files[0].parent,
                                 source.files[0].with_suffix(".json").name).get("flows", [])
        frame = national_annual_bands(source.files, flows, meta["quantiles"])
    else:
        name = BANDS if table == "bands" else ANNUAL_BANDS
        if not (folder / name).is_file():
            raise StoreError(f"ensemble folder {folder} has no {name}")
        frame = pd.read_parquet(folder / name)
    frame.attrs.update({"path": str(folder), "ensemble": meta})
    return frame


def load_comparison(path: str | Path, members: bool = False) -> pd.DataFrame:
    """A comparison folder's effects, summarised per arm or member by member.

    Args:
        path: A comparison folder written by ``narcosim compare`` or
            :func:`narcosim.compare`.
        members: Return every member's paired effect (``comparison_members.parquet``:
            ``arm, member, seed, measure, level, key, drug, baseline, scenario, effect``)
            instead of the summary (``comparison.parquet``: ``arm, measure, level, key,
            drug, n, baseline_mean, scenario_mean, mean, p5, p95, mean_p5, mean_p95``).

    Returns:
        The frame; ``attrs["comparison"]`` holds ``comparison.json``, ``attrs["path"]`` the
        folder.

    Raises:
        StoreError: Not a comparison folder, or a file that cannot be read.
    """
    folder = Path(path)
    if not (folder / COMPARISON_JSON).is_file():
        raise StoreError(f"{folder} is not a finished comparison folder (no "
                         f"{COMPARISON_JSON})")
    data = read_json_object(folder, COMPARISON_JSON)
    name = MEMBERS_PARQUET if members else COMPARISON_PARQUET
    try:
        frame = pd.read_parquet(folder / name)
    except (OSError, ValueError) as error:
        raise StoreError(f"{folder / name}: cannot read ({error})") from None
    frame.attrs.update({"path": str(folder), "comparison": data})
    return frame
