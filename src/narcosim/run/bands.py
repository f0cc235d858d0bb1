"""Quantile bands of an ensemble: every result, per date and cell, across the members.

Each member of an ensemble writes its tidy results (``date, module, metric, <dims>, value``)
to one parquet file, one row group per metric (see :func:`write_member_parquet`). The bands
are made metric by metric: that metric's rows are read from every member (parquet filters
skip the other row groups), checked to carry the same keys in the same order as the first
member's, stacked into a ``(members, rows)`` array and reduced with numpy
(:func:`numpy.nanquantile`, linear interpolation, and :func:`numpy.nanmean`). A metric too
large for ``memory_budget`` bytes is done in slices of rows, so memory stays bounded
however many members there are.

Outputs:

* ``bands.parquet``: ``date, module, metric, <dims>, n, mean, q0.05, q0.5, q0.95`` (``n`` is
  the number of members whose value is a number; NaN values are left out of the statistics);
* ``bands_annual.parquet``: for flow metrics (units ending in ``per step``), each member's
  day-weighted sum over each calendar year (a step straddling New Year counts in each year by
  its days there, so a year with 53 weekly step starts is not inflated), then the same
  statistics across members: ``year, module, metric, <dims>, steps, days, n, mean, q…``
  (``steps``: steps starting in the year; ``days``: the year's days the run covers). A year
  the horizon cuts short has fewer ``days`` than the calendar.
"""

from __future__ import annotations

import itertools
import math
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from narcosim.core.time import split_steps_by_year, step_days
from narcosim.errors import ParameterError, StoreError

#: Quantiles reported by default: a 90% band and the median.
DEFAULT_QUANTILES: tuple[float, ...] = (0.05, 0.5, 0.95)
#: Bytes of member values held at once while reducing one metric (a guess at "sane").
DEFAULT_MEMORY_BUDGET = 256 * 2**20
KEY_COLUMNS = ("date", "module", "metric")
BANDS = "bands.parquet"
ANNUAL_BANDS = "bands_annual.parquet"


def quantile_column(q: float) -> str:
    """Name of the column holding quantile ``q`` (``0.05`` -> ``"q0.05"``)."""
    return f"q{q:g}"


def check_quantiles(quantiles: Iterable[float]) -> tuple[float, ...]:
    """Check quantiles are distinct numbers in [0, 1] and return them sorted.

    Raises:
        ParameterError: A quantile outside [0, 1], repeated, or none given.
    """
    qs = tuple(float(q) for q in quantiles)
    if not qs:
        raise ParameterError("quantiles: give at least one")
    for q in qs:
        if not 0.0 <= q <= 1.0 or math.isnan(q):
            raise ParameterError(f"quantile {q!r} must lie in [0, 1]")
    if len(set(qs)) != len(qs):
        raise ParameterError(f"quantiles {list(qs)} repeat a value")
    return tuple(sorted(qs))


def write_member_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a member's tidy results with one row group per (module, metric) block.

    Args:
        frame: ``sim.results.to_frame()``: rows grouped by module and metric.
        path: The file to write (the caller renames it into place).
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pair = frame["module"].astype(str) + "\x00" + frame["metric"].astype(str)
    starts = np.flatnonzero(np.r_[True, pair.to_numpy()[1:] != pair.to_numpy()[:-1]])
    bounds = [*starts.tolist(), len(frame)]
    with pq.ParquetWriter(path, table.schema) as writer:
        if len(frame) == 0:
            writer.write_table(table)
        for a, b in itertools.pairwise(bounds):
            writer.write_table(table.slice(a, b - a), row_group_size=max(b - a, 1))


def metric_pairs(path: Path) -> list[tuple[str, str]]:
    """The (module, metric) pairs in a member file, in file order."""
    cols = pq.read_table(path, columns=["module", "metric"]).to_pandas()
    pairs = cols.drop_duplicates()
    return [(str(m), str(x)) for m, x in pairs.itertuples(index=False)]


def _read_metric(path: Path, module: str, metric: str,
                 columns: Sequence[str] | None = None) -> pd.DataFrame:
    try:
        table = pq.read_table(path, columns=list(columns) if columns else None,
                              filters=[("module", "=", module), ("metric", "=", metric)])
    except (OSError, pa.ArrowException) as error:
        raise StoreError(f"cannot read member results {path}: {error}") from None
    return table.to_pandas()


@dataclass(frozen=True)
class BandFiles:
    """Where the bands were written and what they cover.

    Attributes:
        bands: ``bands.parquet``.
        annual: ``bands_annual.parquet`` (None when no metric is a flow).
        members: Number of member files reduced.
        metrics: The (module, metric) pairs.
        quantiles: The quantiles computed.
    """

    bands: Path
    annual: Path | None
    members: int
    metrics: tuple[tuple[str, str], ...]
    quantiles: tuple[float, ...]


def _stats(values: np.ndarray, quantiles: Sequence[float]) -> dict[str, np.ndarray]:
    """n, mean and quantiles over axis 0, ignoring NaN (all-NaN cells give NaN).

    ``np.nanquantile`` loops in Python over columns, so it is used only for the columns
    that hold a NaN; the others go through the vectorised ``np.quantile`` (same method).
    """
    nan = np.isnan(values)
    holed = nan.any(axis=0)
    qv = np.empty((len(quantiles), values.shape[1]))
    qv[:, ~holed] = np.quantile(values[:, ~holed], list(quantiles), axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if holed.any():
            qv[:, holed] = np.nanquantile(values[:, holed], list(quantiles), axis=0)
        out = {"n": (~nan).sum(axis=0).astype(np.int64), "mean": np.nanmean(values, axis=0)}
    for q, row in zip(quantiles, qv, strict=True):
        out[quantile_column(q)] = row
    return out


class _Appender:
    """Appends frames to one parquet file, fixing the schema from the first frame."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None

    def add(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        else:
            table = table.cast(self.writer.schema)
        self.writer.write_table(table)

    def close(self) -> bool:
        if self.writer is None:
            return False
        self.writer.close()
        return True


def compute_bands(
    members: Sequence[Path],
    out_dir: Path,
    *,
    quantiles: Iterable[float] = DEFAULT_QUANTILES,
    flows: Iterable[tuple[str, str]] = (),
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
) -> BandFiles:
    """Reduce member result files to quantile bands, metric by metric.

    Args:
        members: The members' parquet files (same scenario, so the same rows).
        out_dir: Folder to write ``bands.parquet`` and ``bands_annual.parquet`` into
            (each written under a temporary name, then renamed).
        quantiles: Quantiles to report, in [0, 1].
        flows: (module, metric) pairs that are flows per step; they get annual sums.
        memory_budget: Most bytes of member values to hold at once.

    Returns:
        The files written.

    Raises:
        ParameterError: No members or bad quantiles.
        StoreError: A member file is unreadable or its rows differ from the first member's.
    """
    qs = check_quantiles(quantiles)
    members = [Path(p) for p in members]
    if not members:
        raise ParameterError("no member results to make bands from")
    flow_set = {(str(m), str(x)) for m, x in flows}
    out_dir = Path(out_dir)
    # per-process names: two ensembles writing into one folder never share a temp file
    tmp_bands = out_dir / f".{BANDS}.{os.getpid()}.tmp"
    tmp_annual = out_dir / f".{ANNUAL_BANDS}.{os.getpid()}.tmp"
    bands, annual = _Appender(tmp_bands), _Appender(tmp_annual)
    pairs = metric_pairs(members[0])
    try:
        for module, metric in pairs:
            frame, yearly = _reduce_metric(members, module, metric, qs,
                                           (module, metric) in flow_set, memory_budget)
            bands.add(frame)
            if yearly is not None:
                annual.add(yearly)
    finally:
        wrote_bands, wrote_annual = bands.close(), annual.close()
    if wrote_bands:
        tmp_bands.replace(out_dir / BANDS)
    if wrote_annual:
        tmp_annual.replace(out_dir / ANNUAL_BANDS)
    else:
        (out_dir / ANNUAL_BANDS).unlink(missing_ok=True)
    return BandFiles(out_dir / BANDS, out_dir / ANNUAL_BANDS if wrote_annual else None,
                     len(members), tuple(pairs), qs)


def _same_keys(keys: pd.DataFrame, other: pd.DataFrame) -> bool:
    if len(keys) != len(other) or list(keys.columns) != list(other.columns):
        return False
    return all(keys[c].reset_index(drop=True).equals(other[c].reset_index(drop=True))
               for c in keys.columns)


def _reduce_metric(
    members: Sequence[Path], module: str, metric: str, qs: Sequence[float], flow: bool,
    memory_budget: int,
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Bands (and annual bands of a flow) of one metric across all members."""
    first = _read_metric(members[0], module, metric)
    keys = first.drop(columns=["value"]).reset_index(drop=True)
    key_cols = list(keys.columns)
    dims = [c for c in key_cols if c not in KEY_COLUMNS]
    rows, n = len(keys), len(members)
    step = max(1, min(rows, memory_budget // max(1, 8 * n))) if rows else 1
    stats: dict[str, list[np.ndarray]] = {}
    if flow:
        # day-weighted: a step straddling New Year goes to each year by its days there
        step_len = step_days(keys["date"])
        year, share, share_next = split_steps_by_year(
            pd.DatetimeIndex(keys["date"]).to_numpy(), step_len)
        later = share_next > 0
        both = pd.concat([keys[["module", "metric", *dims]]] * 2, ignore_index=True)
        both.insert(0, "year", np.concatenate([year, np.where(later, year + 1, year)]))
        grouping = both.groupby(list(both.columns), dropna=False, sort=False)
        group_both = grouping.ngroup().to_numpy()
        group, group_next = group_both[:rows], group_both[rows:]
        n_groups = int(group_both.max()) + 1 if rows else 0
        sums = np.zeros((n, n_groups))
    for a in range(0, rows, step):
        b = min(rows, a + step)
        values = np.empty((n, b - a))
        for i, path in enumerate(members):
            if a == 0:
                got = first if i == 0 else _read_metric(path, module, metric)
                if i and not _same_keys(keys, got.drop(columns=["value"])):
                    raise StoreError(f"{path}: rows of {module}/{metric} differ from those of "
                                     f"{members[0].name}; members of one ensemble must share "
                                     "a scenario")
                column = got["value"].to_numpy(np.float64)
            else:
                column = _read_metric(path, module, metric, ["value"])["value"].to_numpy(
                    np.float64)
                if len(column) != rows:
                    raise StoreError(f"{path}: {module}/{metric} has {len(column)} rows, "
                                     f"not {rows}")
            values[i] = column[a:b]
            if flow:
                # added in row order into one accumulator: the same sums however sliced
                # (each row's two parts interleaved, so the order is the rows' order)
                where = np.stack([group[a:b], group_next[a:b]], axis=1).ravel()
                parts = np.stack([values[i] * share[a:b], values[i] * share_next[a:b]], axis=1)
                np.add.at(sums[i], where, parts.ravel())
        for name, arr in _stats(values, qs).items():
            stats.setdefault(name, []).append(arr)
    frame = keys.copy()
    for name, parts in stats.items():
        frame[name] = np.concatenate(parts) if parts else np.array([])
    if not flow:
        return frame, None
    yearly = both.drop_duplicates().reset_index(drop=True)
    yearly["steps"] = np.bincount(group, minlength=n_groups).astype(np.int64)
    days = share * step_len
    days_next = share_next * step_len
    yearly["days"] = np.rint(np.bincount(group, days, n_groups)
                             + np.bincount(group_next, days_next, n_groups)).astype(np.int64)
    for name, arr in _stats(sums, qs).items():
        yearly[name] = arr
    return frame, yearly
