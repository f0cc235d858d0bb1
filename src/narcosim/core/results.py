"""Results: preallocated arrays per (metric, dims), exported as tidy frames.

A module declares each metric once with its dimensions, e.g.
``results.define("deaths", dims={"state": states, "drug": drugs})``; that
allocates an array of shape ``(n_steps, len(states), len(drugs))`` which the
module fills at each step: ``results["deaths"][sim.ti] = ...``.

:meth:`Results.to_frame` and :meth:`SimResults.to_frame` give a tidy
DataFrame with columns ``date, module, metric, <dim columns>, value`` (one row
per step, metric and cell; dimension columns of metrics that lack that
dimension are missing values). :meth:`SimResults.to_parquet` writes it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from narcosim.core.axes import Axes
from narcosim.core.time import Timeline


@dataclass(frozen=True)
class ResultSpec:
    """Declaration of one metric.

    Attributes:
        name: Metric name.
        dims: Dimension name -> coordinate labels, in array-axis order after time.
        units: Units of the values (text).
        doc: What the metric counts.
    """

    name: str
    dims: tuple[tuple[str, tuple[Any, ...]], ...]
    units: str = ""
    doc: str = ""

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one step's values."""
        return tuple(len(coords) for _, coords in self.dims)


class Results(Mapping[str, np.ndarray]):
    """The metrics of one module over a timeline.

    Args:
        module: Module name (the ``module`` column).
        timeline: The run's timeline; arrays have ``timeline.n_steps`` rows.
    """

    def __init__(self, module: str, timeline: Timeline) -> None:
        self.module = module
        self.timeline = timeline
        self.specs: dict[str, ResultSpec] = {}
        self._arrays: dict[str, np.ndarray] = {}

    def define(
        self,
        name: str,
        dims: Mapping[str, Sequence[Any]] | None = None,
        dtype: Any = np.float64,
        units: str = "",
        doc: str = "",
    ) -> np.ndarray:
        """Declare a metric and allocate its array (filled with NaN, or 0 for ints).

        Returns:
            The array of shape ``(n_steps, *dim sizes)``.

        Raises:
            ValueError: The metric is declared twice or a dimension is called
                ``date``, ``module``, ``metric`` or ``value``.
        """
        if name in self.specs:
            raise ValueError(f"module {self.module!r} declares result {name!r} twice")
        dims_t = tuple((str(d), tuple(c)) for d, c in (dims or {}).items())
        for dim, _ in dims_t:
            if dim in ("date", "step", "module", "metric", "value"):
                raise ValueError(f"result {name!r}: dimension name {dim!r} is reserved")
        spec = ResultSpec(name, dims_t, units, doc)
        fill = np.nan if np.issubdtype(np.dtype(dtype), np.floating) else 0
        arr = np.full((self.timeline.n_steps, *spec.shape), fill, dtype=dtype)
        self.specs[name] = spec
        self._arrays[name] = arr
        return arr

    def __getitem__(self, name: str) -> np.ndarray:
        return self._arrays[name]

    def axes(self, name: str) -> Axes:
        """The named axes of a metric's array: ``step``, then its dimensions."""
        return Axes("step", *(dim for dim, _ in self.specs[name].dims))

    def sel(self, name: str, **labels: Any) -> np.ndarray:
        """The metric at coordinate labels, e.g. ``sel("seized_kg", drug="fentanyl")``.

        Raises:
            KeyError: No such dimension or label.
        """
        coords = dict(self.specs[name].dims)
        at = {}
        for dim, label in labels.items():
            if dim not in coords or label not in coords[dim]:
                raise KeyError(f"result {name!r} has no {dim} {label!r}")
            at[dim] = coords[dim].index(label)
        return self.axes(name).take(self._arrays[name], **at)

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def metric_frame(self, name: str) -> pd.DataFrame:
        """Tidy frame of one metric: ``date, module, metric, <dims>, value``."""
        spec, arr = self.specs[name], self._arrays[name]
        n_steps, cells = arr.shape[0], int(np.prod(spec.shape, dtype=np.int64))
        dates = pd.DatetimeIndex(self.timeline.dates)
        cols: dict[str, Any] = {
            "date": np.repeat(dates.values, cells),
            "module": self.module,
            "metric": name,
        }
        if spec.dims:
            grids = np.indices(spec.shape).reshape(len(spec.dims), -1)
            for (dim, coords), grid in zip(spec.dims, grids, strict=True):
                labels = np.asarray(coords, dtype=object)[grid]
                cols[dim] = np.tile(labels, n_steps)
        cols["value"] = arr.reshape(n_steps * cells)
        return pd.DataFrame(cols)

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame of all this module's metrics."""
        return _concat([self.metric_frame(n) for n in self._arrays])

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{n}[{', '.join(d for d, _ in s.dims)}]" if s.dims else n
            for n, s in self.specs.items()
        )
        return f"Results({self.module}: {shown or 'none'})"


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if not frames:
        return pd.DataFrame(columns=["date", "module", "metric", "value"])
    out = pd.concat(frames, ignore_index=True, sort=False)
    dims = [c for c in out.columns if c not in ("date", "module", "metric", "value")]
    out = out[["date", "module", "metric", *dims, "value"]]
    for col in ("module", "metric", *dims):
        out[col] = out[col].astype("string")
    out["value"] = out["value"].astype(float)
    return out


class SimResults(Mapping[str, Results]):
    """The results of every module of a run, by module name."""

    def __init__(self, by_module: Mapping[str, Results]) -> None:
        self._by_module = dict(by_module)

    def __getitem__(self, module: str) -> Results:
        return self._by_module[module]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_module)

    def __len__(self) -> int:
        return len(self._by_module)

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame of every module's metrics (dimension labels as strings)."""
        return _concat([r.metric_frame(n) for r in self._by_module.values() for n in r])

    def to_parquet(self, path: str | Path) -> Path:
        """Write :meth:`to_frame` to a parquet file and return its path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.to_frame().to_parquet(out, index=False)
        return out

    def __repr__(self) -> str:
        return f"SimResults({', '.join(repr(r) for r in self._by_module.values())})"
