"""Sensitivity analysis: Morris screening and Sobol indices (SALib), resumable, on a pool.

A :class:`Design` says what is varied (names and ranges), how (``morris``: ``n`` trajectories
on a 4-level grid; ``sobol``: Saltelli's scheme with ``n`` base samples, a power of two,
first- and total-order indices only, so ``n * (k + 2)`` rows) and with which seed. It draws
the sample rows and turns the outputs of every row into a tidy table of indices with 95%
bootstrap confidence intervals (:meth:`Design.analyze`).

:func:`evaluate` runs a top-level function on every row, on the ensembles' local process pool
or Dask (:func:`narcosim.run.backends.run_jobs`) or, with one local worker, in this process,
and writes each row's result atomically to ``samples/sample-NNNNNN.json`` as it finishes. A
rerun into the same folder skips the rows already there (a row counts as done only if its
file holds the same input values), so an interrupted analysis resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from narcosim.errors import ParameterError
from narcosim.run.backends import run_jobs
from narcosim.run.member import write_json_atomic
from narcosim.scenario.limits import MAX_RUNS, check_count

METHODS: tuple[str, ...] = ("morris", "sobol")
DESIGN_JSON = "design.json"
SAMPLES = "samples"
#: Levels of the Morris grid (SALib's default; Saltelli et al. 2008 recommend 4).
MORRIS_LEVELS = 4
#: Bootstrap resamples of the confidence intervals (SALib's default).
RESAMPLES = 100
INDEX_COLUMNS = ["output", "param", "method", "S1", "S1_conf", "ST", "ST_conf",
                 "mu", "mu_star", "mu_star_conf", "sigma", "rank", "note"]
#: ``progress(done, total, record_or_None)``: None once before the first row runs.
Progress = Callable[[int, int, dict[str, Any] | None], None]


@dataclass(frozen=True)
class Design:
    """What a sensitivity analysis varies, by which method, with how many samples.

    Attributes:
        method: ``morris`` or ``sobol``.
        names: The varied parameters.
        bounds: Their (low, high) ranges, uniform.
        n: Morris trajectories, or Sobol base samples (a power of two).
        seed: Seed of the sample and of the bootstrap.
    """

    method: str
    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    n: int
    seed: int = 1

    def __post_init__(self) -> None:
        check_design_args(self.method, self.n, len(self.names))
        if len(self.bounds) != len(self.names):
            raise ParameterError("one (low, high) range per parameter")
        for name, (low, high) in zip(self.names, self.bounds, strict=True):
            if not low < high:
                raise ParameterError(f"parameter {name!r}: range low {low:g} must be below "
                                     f"high {high:g}")

    def problem(self) -> dict[str, Any]:
        """The SALib problem dictionary."""
        return {"num_vars": len(self.names), "names": list(self.names),
                "bounds": [list(b) for b in self.bounds]}

    @property
    def n_rows(self) -> int:
        """Rows in the sample: n (k + 1) for Morris, n (k + 2) for Sobol."""
        k = len(self.names)
        return self.n * (k + 1) if self.method == "morris" else self.n * (k + 2)

    def sample(self) -> np.ndarray:
        """The sample, (rows, parameters), in the parameters' units."""
        if self.method == "morris":
            from SALib.sample import morris

            return morris.sample(self.problem(), self.n, num_levels=MORRIS_LEVELS,
                                 seed=self.seed)
        from SALib.sample import sobol

        return sobol.sample(self.problem(), self.n, calc_second_order=False, scramble=True,
                            seed=self.seed)

    def analyze(self, x: np.ndarray, outputs: Mapping[str, np.ndarray]) -> pd.DataFrame:
        """Indices of every output, tidy: a row per output and parameter (INDEX_COLUMNS).

        An output that is not finite in every row, or that does not vary, gets NaN indices
        and a note saying why, instead of failing the whole analysis.
        """
        frames = [self._analyze_one(x, name, np.asarray(y, dtype=float))
                  for name, y in outputs.items()]
        return pd.concat(frames, ignore_index=True)[INDEX_COLUMNS]

    def _analyze_one(self, x: np.ndarray, output: str, y: np.ndarray) -> pd.DataFrame:
        frame = pd.DataFrame({"output": output, "param": list(self.names),
                              "method": self.method})
        for column in INDEX_COLUMNS[3:-1]:
            frame[column] = np.nan
        frame["note"] = ""
        bad = int((~np.isfinite(y)).sum())
        if bad:
            frame["note"] = f"not finite in {bad} of {len(y)} samples"
            return frame
        if float(np.ptp(y)) == 0.0:
            frame["note"] = "the output does not vary"
            return frame
        if self.method == "morris":
            from SALib.analyze import morris

            res = morris.analyze(self.problem(), x, y, num_resamples=RESAMPLES,
                                 num_levels=MORRIS_LEVELS, seed=self.seed)
            for key in ("mu", "mu_star", "mu_star_conf", "sigma"):
                frame[key] = np.asarray(res[key], dtype=float)
            order = frame["mu_star"]
        else:
            from SALib.analyze import sobol

            res = sobol.analyze(self.problem(), y, calc_second_order=False,
                                num_resamples=RESAMPLES, seed=self.seed)
            for key in ("S1", "S1_conf", "ST", "ST_conf"):
                frame[key] = np.asarray(res[key], dtype=float)
            order = frame["ST"]
        frame["rank"] = order.rank(ascending=False, method="first").astype(int)
        return frame


def check_design_args(method: str, n: int, k: int) -> None:
    """Check the method, sample size and parameter count before anything runs.

    Raises:
        ParameterError: Unknown method, no parameters, n below 2, or a Sobol n that is not a
            power of two.
    """
    if method not in METHODS:
        raise ParameterError(f"--method {method!r}: must be one of {', '.join(METHODS)}")
    if k < 1:
        raise ParameterError("no parameters to vary")
    check_count("--n", n, 2, MAX_RUNS)
    if method == "sobol" and int(n) & (int(n) - 1):
        low = 1 << (int(n).bit_length() - 1)
        raise ParameterError(f"--n {n}: Sobol (Saltelli) sampling needs a power of two "
                             f"base samples, e.g. {low} or {low * 2}")


# ---------------------------------------------------------------- evaluation, resumable
@dataclass
class Evaluation:
    """What :func:`evaluate` did: the sample, every row's outputs, what ran and was skipped."""

    x: np.ndarray
    outputs: dict[str, np.ndarray]
    ran: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    wall_seconds: float = 0.0


def sample_path(samples_dir: Path, index: int) -> Path:
    """File of row ``index``."""
    return Path(samples_dir) / f"sample-{index:06d}.json"


def run_row(fn: Callable[[Any, list[float]], Mapping[str, float]], setup: Any, index: int,
            values: list[float], samples_dir: str) -> dict[str, Any]:
    """Evaluate one row and write its result atomically (a top-level, picklable job)."""
    began = time.perf_counter()
    outputs = {k: _clean(v) for k, v in fn(setup, values).items()}
    record = {"index": index, "values": values, "outputs": outputs,
              "wall_seconds": round(time.perf_counter() - began, 3)}
    write_json_atomic(sample_path(Path(samples_dir), index), record)
    return record


def read_row(samples_dir: Path, index: int, values: Sequence[float]) -> dict[str, Any] | None:
    """Row ``index``'s record if its file exists, parses and holds these input values."""
    path = sample_path(samples_dir, index)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(record, dict) or record.get("values") != list(values):
        return None
    if not isinstance(record.get("outputs"), dict):
        return None
    return record


def evaluate(design: Design, fn: Callable[[Any, list[float]], Mapping[str, float]],
             setup: Any, out_dir: Path, *, identity: Mapping[str, Any] | None = None,
             backend: str = "local", workers: int | None = None,
             scheduler: str | None = None, force: bool = False,
             progress: Progress | None = None) -> Evaluation:
    """Evaluate ``fn(setup, row)`` on every sample row, resuming from ``out_dir``.

    Args:
        design: The design (its sample is drawn here).
        fn: Top-level function returning a dict of named numbers for one row.
        setup: Its first argument (picklable), the same for every row.
        out_dir: The analysis folder (``design.json`` and ``samples/`` go there).
        identity: What else makes two analyses the same (model settings), stored with the
            design; a folder holding another analysis is refused unless ``force``.
        backend: ``local`` or ``dask``; one local worker runs the rows in this process.
        workers: Worker processes (default: one per core).
        scheduler: A running Dask scheduler (``dask`` only).
        force: Replace an analysis with other settings in ``out_dir``.
        progress: Called with (done, total, record); record None before the first row.

    Raises:
        ParameterError: ``out_dir`` holds another analysis (without ``force``).
    """
    began = time.perf_counter()
    out_dir = Path(out_dir)
    samples_dir = out_dir / SAMPLES
    ident = {"method": design.method, "names": list(design.names),
             "bounds": [list(b) for b in design.bounds], "n": design.n, "seed": design.seed,
             **dict(identity or {})}
    _claim(out_dir, ident, force)
    x = design.sample()
    rows = [[float(v) for v in row] for row in x]
    records: dict[int, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        record = read_row(samples_dir, i, row)
        if record is not None:
            records[i] = record
    skipped = sorted(records)
    todo = [(fn, setup, i, row, str(samples_dir)) for i, row in enumerate(rows)
            if i not in records]
    if progress is not None:
        progress(len(records), len(rows), None)
    if todo and backend == "local" and workers == 1:
        results = (run_row(*job) for job in todo)
    else:
        results = run_jobs(run_row, todo, backend=backend, workers=workers,
                           scheduler=scheduler)
    ran: list[int] = []
    for record in results:
        records[record["index"]] = record
        ran.append(record["index"])
        if progress is not None:
            progress(len(records), len(rows), record)
    names = list(records[0]["outputs"]) if records else []
    outputs = {k: np.array([_number(records[i]["outputs"].get(k)) for i in range(len(rows))])
               for k in names}
    return Evaluation(x, outputs, sorted(ran), skipped, time.perf_counter() - began)


def _claim(out_dir: Path, ident: Mapping[str, Any], force: bool) -> None:
    """Write ``design.json``, or check that the folder's analysis is this one."""
    path = out_dir / DESIGN_JSON
    ident = json.loads(json.dumps(ident))
    if path.is_file():
        try:
            held = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            held = None
        if held == ident:
            return
        if not force:
            differ = sorted(k for k in set(ident) | set(held or {})
                            if (held or {}).get(k) != ident.get(k))
            raise ParameterError(f"--out {out_dir}: holds another analysis (different "
                                 f"{', '.join(differ) or 'design'}); use another --out or "
                                 "--force")
        shutil.rmtree(out_dir / SAMPLES, ignore_errors=True)
    (out_dir / SAMPLES).mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, ident)


def _clean(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _number(value: Any) -> float:
    return float("nan") if value is None else float(value)
