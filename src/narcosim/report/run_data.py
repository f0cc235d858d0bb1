"""What a run report shows, read from a run folder or an ensemble folder.

A run folder (``narcosim run``) holds ``manifest.json`` and ``results.parquet``; an ensemble
folder (``narcosim ensemble``) holds ``ensemble.json`` and one ``runs/run-NNNN.parquet`` per
member. Both hold tidy results (``date, module, metric, <dims>, value``). From them this module
takes, by calendar year (day-weighted: a week that straddles New Year counts in each year by
its days there, as :func:`narcosim.calibrate.deaths.annual_deaths` does), the people module's
``expected_deaths`` and ``deaths`` per drug and state, and by US fiscal year (day-weighted too)
the trafficking module's ``seized_kg``. Only years the run covers completely are used: a year
cut short by the horizon would look like a fall in deaths.

The fit to CDC uses :func:`narcosim.calibrate.deaths.fit_table` on the same arrays, so the
report's MAPE and R² are those of ``narcosim calibrate``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from narcosim.atlas.store import Atlas
from narcosim.calibrate.deaths import DeathTargets, death_targets, fit_table, national_table
from narcosim.calibrate.seizure_targets import southwest_seizures
from narcosim.core.time import annual_frame_sums, step_days
from narcosim.errors import DataValidationError, ParameterError, StoreError
from narcosim.model.people import DEATH_KEYS
from narcosim.run.folder import MANIFEST, RESULTS, read_run_folder, verify_ensemble_files

ENSEMBLE = "ensemble.json"
"""The manifest of an ensemble folder (see :mod:`narcosim.run.ensemble`)."""
FIT_YEARS: tuple[int, ...] = tuple(range(2015, 2024))
"""Years with CDC counts the fit covers (CDC VSRR 2015–2023, as ``narcosim calibrate``)."""
CHART_YEARS: tuple[int, ...] = tuple(range(2015, 2027))
"""Years charted: the default horizon, history then projection (DESIGN.md section 3)."""
DEATH_METRICS: tuple[str, ...] = ("expected_deaths", "deaths")
"""The people module's death metrics: the risk-weighted mean, and the realised draws."""
BAND = (0.05, 0.95)
"""Quantiles of the ensemble band drawn (the 90% band of :mod:`narcosim.run.bands`)."""


@dataclass(frozen=True)
class RunSource:
    """A run or ensemble folder, checked and ready to read.

    Attributes:
        path: The folder.
        kind: ``"run"`` or ``"ensemble"``.
        meta: ``manifest.json`` (run) or ``ensemble.json`` (ensemble).
        files: Result files: ``results.parquet``, or the members' files.
        band_files: Member files whose spread gives the bands (empty: no bands).
        band_source: Folder the band members come from (None without bands).
    """

    path: Path
    kind: str
    meta: dict[str, Any]
    files: tuple[Path, ...]
    band_files: tuple[Path, ...] = ()
    band_source: Path | None = None


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise StoreError(f"{path}: cannot read ({error.strerror})") from None
    except ValueError as error:
        raise StoreError(f"{path}: not valid JSON ({error})") from None
    except RecursionError:
        raise StoreError(f"{path}: JSON nested too deeply") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path}: not a JSON object")
    return data


def _ensemble_members(folder: Path) -> tuple[dict[str, Any], tuple[Path, ...]]:
    meta = _read_json(folder / ENSEMBLE)
    if meta.get("status") != "complete":
        raise StoreError(f"{folder / ENSEMBLE}: status is {meta.get('status')!r}, "
                         "not 'complete'")
    verify_ensemble_files(folder, meta)  # a swapped or truncated member or band file
    members = meta.get("members") or []
    files = tuple(folder / "runs" / str(m.get("file")) for m in members)
    if not files:
        raise StoreError(f"{folder / ENSEMBLE}: lists no members")
    return meta, files


def open_run(run_dir: Path, bands: Path | None = None) -> RunSource:
    """Check a run or ensemble folder and find its result files.

    Args:
        run_dir: A run folder (``manifest.json``, ``results.parquet``) or an ensemble folder
            (``ensemble.json``, ``runs/``); an ensemble's own members give its bands.
        bands: For a single run, an ensemble folder (or its ``bands.parquet``) whose members'
            spread is drawn as bands around the run.

    Returns:
        The source.

    Raises:
        StoreError: A missing folder, a file instead of a folder, a folder that is neither a
            complete run nor a complete ensemble, or a missing results file.
    """
    path = Path(run_dir)
    if not path.exists():
        raise StoreError(f"no run folder at {path}")
    if not path.is_dir():
        raise StoreError(f"{path} is a file, not a run folder")
    if (path / ENSEMBLE).is_file():
        meta, files = _ensemble_members(path)
        return RunSource(path, "ensemble", meta, files, files, path)
    if not (path / MANIFEST).is_file():
        raise StoreError(f"{path} is not a run folder (no {MANIFEST} or {RESULTS}) "
                         f"nor an ensemble folder (no {ENSEMBLE})")
    folder = read_run_folder(path)
    band_files: tuple[Path, ...] = ()
    band_source = None
    if bands is not None:
        band_source = Path(bands).parent if Path(bands).is_file() else Path(bands)
        if not (band_source / ENSEMBLE).is_file():
            raise StoreError(f"--bands {bands}: not an ensemble folder (no {ENSEMBLE})")
        band_files = _ensemble_members(band_source)[1]
    return RunSource(path, "run", folder.manifest, (path / RESULTS,), band_files, band_source)


def read_metric(path: Path, module: str, metrics: Sequence[str]) -> pd.DataFrame:
    """Read some metrics of one module from a tidy results file (other rows are skipped).

    Raises:
        StoreError: The file cannot be read as parquet.
    """
    try:
        table = pq.read_table(path, filters=[("module", "=", module),
                                             ("metric", "in", list(metrics))])
    except (OSError, pa.ArrowException) as error:
        raise StoreError(f"cannot read results {path}: {error}") from None
    return table.to_pandas()


def complete_years(dates: pd.Series, fiscal: bool = False) -> list[int]:
    """Calendar (or US fiscal) years whose every day lies in one of the run's steps.

    Args:
        dates: The steps' first days.
        fiscal: Fiscal years (1 October to 30 September) instead of calendar years.

    Returns:
        The years, ascending.
    """
    if len(dates) == 0:
        return []
    stamps = pd.to_datetime(dates)
    first, last = stamps.min().date(), stamps.max().date() + timedelta(days=step_days(dates) - 1)
    years = []
    for y in range(first.year, last.year + 2):
        start, end = (date(y - 1, 10, 1), date(y, 9, 30)) if fiscal else (date(y, 1, 1),
                                                                          date(y, 12, 31))
        if first <= start and last >= end:
            years.append(y)
    return years


def annual_array(frame: pd.DataFrame, years: Sequence[int], metric: str = "expected_deaths",
                 states: Sequence[str] | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Annual sums of a people death metric as an array (drugs, years, states).

    Args:
        frame: Tidy results holding ``people`` rows of ``metric`` (other rows are ignored).
        years: Calendar years (each step split between years by its days in each).
        metric: ``expected_deaths`` or ``deaths``.
        states: State order; the results' own order when None.

    Returns:
        The array (drugs in :data:`~narcosim.model.people.DEATH_KEYS` order) and the states.

    Raises:
        DataValidationError: The results hold no such rows.
    """
    rows = frame[(frame["module"] == "people") & (frame["metric"] == metric)]
    if rows.empty:
        raise DataValidationError(f"results: no people/{metric} rows (was the people module "
                                  "in the run?)")
    order = tuple(states) if states is not None else tuple(pd.unique(rows["state"]))
    sums = annual_frame_sums(rows, ["drug", "state"], step_days(rows["date"]))
    idx = pd.MultiIndex.from_product([list(DEATH_KEYS), list(years), list(order)])
    arr = sums.reindex(idx, fill_value=0.0).to_numpy(dtype=float)
    return arr.reshape(len(DEATH_KEYS), len(years), len(order)), order


def _fit_years(frame: pd.DataFrame, years: Iterable[int], atlas: Atlas) -> list[int]:
    have = set(complete_years(frame["date"]))
    cdc = {int(y) for y in atlas.table("overdose_deaths")["year"].unique()}
    out = [int(y) for y in years if int(y) in have and int(y) in cdc]
    if not out:
        wanted = list(years)
        raise ParameterError(f"the run covers no complete year of {wanted[0]}–{wanted[-1]} "
                             "with CDC deaths to compare")
    return out


def fit_table_from_frame(frame: pd.DataFrame, atlas: Atlas, years: Iterable[int] = FIT_YEARS,
                         metric: str = "expected_deaths") -> pd.DataFrame:
    """The fit to CDC (as ``narcosim calibrate --report``) of one run's tidy results.

    Annual sums by calendar year of the weekly values, for the years in ``years`` that the run
    covers completely and CDC reports; then :func:`narcosim.calibrate.deaths.fit_table`:
    per drug, the national MAPE (mean over years of |sim/CDC − 1|), the worst year's error, the
    pooled state-year R² (1 − SSres/SStot over the state-years with a CDC value) and their count.

    Args:
        frame: Tidy results (``results.parquet``).
        atlas: The atlas store (CDC targets).
        years: Candidate years.
        metric: ``expected_deaths`` (default, as the calibration scores) or ``deaths``.

    Returns:
        Columns ``drug, mape, worst_year_error, r2_state_year, state_years``, plus
        ``worst_year`` (the year of the worst error).

    Raises:
        ParameterError: No complete year with CDC data in the run.
        DataValidationError: No people results of ``metric``.
    """
    fit_years = _fit_years(frame, years, atlas)
    arr, states = annual_array(frame, fit_years, metric)
    targets = death_targets(atlas, states, fit_years)
    return fit_with_worst_year(arr, targets)


def fit_with_worst_year(sim_annual: np.ndarray, targets: DeathTargets) -> pd.DataFrame:
    """:func:`~narcosim.calibrate.deaths.fit_table`, with the year of the worst error added."""
    table = fit_table(sim_annual, targets)
    ape = np.abs(sim_annual.sum(axis=2) / targets.national - 1)
    table["worst_year"] = [int(targets.years[int(np.nanargmax(r))]) for r in ape]
    return table


@dataclass
class ReportData:
    """Every number a run report shows.

    Attributes:
        source: The folder read.
        states: State postal codes (results order).
        years: Complete calendar years of the run within :data:`CHART_YEARS`.
        fit_years: The years of ``years`` with CDC counts in :data:`FIT_YEARS`.
        annual: Per metric, annual sums (members, drugs, years, states) of the run drawn as
            the line (one member for a run, all members for an ensemble).
        targets: CDC deaths for ``fit_years`` (national and by state).
        cdc_national: CDC US deaths by drug (rows) and every CDC year (columns).
        fit: The fit table (ensemble: of the members' mean).
        national: CDC vs simulated by drug and year (``national_table``).
        seizures: Southwest-border seizures per drug and fiscal year: ``drug,
            fiscal_year, sim_kg, sim_low, sim_high, cbp_kg, error``.
        bands: Per metric, annual sums (members, drugs, years, states) whose spread gives
            the bands; None without bands.
    """

    source: RunSource
    states: tuple[str, ...]
    years: tuple[int, ...]
    fit_years: tuple[int, ...]
    annual: dict[str, np.ndarray]
    targets: DeathTargets
    cdc_national: pd.DataFrame
    fit: pd.DataFrame
    national: pd.DataFrame
    seizures: pd.DataFrame = field(default_factory=pd.DataFrame)
    bands: dict[str, np.ndarray] | None = None

    def mean(self, metric: str = "expected_deaths") -> np.ndarray:
        """Members' mean of a metric's annual sums (drugs, years, states)."""
        return self.annual[metric].mean(axis=0)

    def has_bands(self) -> bool:
        """Whether there are several members to draw bands from."""
        return self.bands is not None and self.bands["expected_deaths"].shape[0] > 1


def _seizures(files: Sequence[Path], atlas: Atlas) -> pd.DataFrame:
    """Seizures per drug and complete fiscal year, per member, beside CBP's."""
    per_member = []
    for path in files:
        rows = read_metric(path, "trafficking", ["seized_kg"])
        if rows.empty:
            return pd.DataFrame()
        fys = complete_years(rows["date"], fiscal=True)
        got = annual_frame_sums(rows, ["drug"], step_days(rows["date"]), fiscal=True,
                                year_column="fiscal_year")
        per_member.append(got[got.index.get_level_values("fiscal_year").isin(fys)])
    if not per_member or per_member[0].empty:
        return pd.DataFrame()
    stack = pd.concat(per_member, axis=1)
    values = stack.to_numpy(dtype=float)
    out = stack.index.to_frame(index=False)
    out["fiscal_year"] = out["fiscal_year"].astype(int)
    out["sim_kg"] = values.mean(axis=1) if values.shape[1] > 1 else values[:, 0]
    out["sim_low"] = np.quantile(values, BAND[0], axis=1)
    out["sim_high"] = np.quantile(values, BAND[1], axis=1)
    sw = southwest_seizures(atlas.table("seizures"))
    cbp = sw.groupby(["drug", "fiscal_year"])["kg"].sum().rename("cbp_kg").reset_index()
    out = out.merge(cbp, on=["drug", "fiscal_year"], how="left")
    out["error"] = out["sim_kg"] / out["cbp_kg"] - 1
    drugs = list(dict.fromkeys(["fentanyl", "methamphetamine", "cocaine", *out["drug"]]))
    out["order"] = out["drug"].map({d: i for i, d in enumerate(drugs)})
    out = out.sort_values(["order", "fiscal_year"]).drop(columns="order")
    return out.reset_index(drop=True)


def load_report_data(source: RunSource, atlas: Atlas) -> ReportData:
    """Read and reduce everything the report shows.

    Args:
        source: From :func:`open_run`.
        atlas: The atlas store (CDC deaths, population, CBP seizures).

    Returns:
        The numbers.

    Raises:
        ParameterError: The run covers no complete year with CDC deaths.
        DataValidationError: No people results in the run.
        StoreError: A results file cannot be read.
    """
    files = source.files if source.kind == "ensemble" else source.files + source.band_files
    frames = [read_metric(p, "people", DEATH_METRICS) for p in files]
    first = frames[0]
    # years every file covers (band runs of a shorter horizon must not add zeros)
    covered = set.intersection(*(set(complete_years(f["date"])) for f in frames))
    years = [y for y in complete_years(first["date"]) if y in CHART_YEARS and y in covered]
    fit_years = [y for y in _fit_years(first, FIT_YEARS, atlas) if y in years]
    if not fit_years:
        raise ParameterError("the band runs cover none of the run's years with CDC deaths")
    annual: dict[str, list[np.ndarray]] = {m: [] for m in DEATH_METRICS}
    states: tuple[str, ...] | None = None
    for frame in frames:
        for metric in DEATH_METRICS:
            arr, states = annual_array(frame, years, metric, states)
            annual[metric].append(arr)
    assert states is not None
    stacked = {m: np.stack(a) for m, a in annual.items()}
    if source.kind == "run" and source.band_files:
        # the run itself is drawn as the line; the band members only give the spread
        main = {m: a[:1] for m, a in stacked.items()}
        bands = {m: a[1:] for m, a in stacked.items()}
    else:
        main, bands = stacked, stacked
    targets = death_targets(atlas, states, fit_years)
    k = [years.index(y) for y in fit_years]
    sim_fit = main["expected_deaths"].mean(axis=0)[:, k, :]
    deaths = atlas.table("overdose_deaths")
    us = deaths[(deaths["state_abbr"] == "US") & deaths["drug"].isin(DEATH_KEYS)]
    cdc_national = us.pivot_table(index="drug", columns="year", values="deaths",
                                  aggfunc="first", dropna=False).reindex(list(DEATH_KEYS))
    data = ReportData(source, states, tuple(years), tuple(fit_years), main, targets,
                      cdc_national, fit_with_worst_year(sim_fit, targets),
                      national_table(sim_fit, targets),
                      _seizures(source.files, atlas), bands if len(files) > 1 else None)
    return data
