"""Ensembles: many runs of one scenario, on a process pool or Dask, resumable, with bands.

An ensemble folder holds::

    ensemble.json            spec, root seed, member seeds, backend, data hashes, status
    runs/run-0000.parquet    member 0's tidy results (``sim.results.to_frame()``)
    runs/run-0000.json       member 0's seed, timing and the file's size and sha256
    bands.parquet            quantiles and mean of every result across members
    bands_annual.parquet     the same for calendar-year sums of flow metrics

Member seeds come from ``numpy.random.SeedSequence(seed).spawn(n_runs)`` (never
``seed + i``), so member ``i``'s seed does not depend on how many members there are, and
an ensemble can be extended. Each member runs :func:`run_member` in a worker: it builds the
sim from the spec, runs it and writes its parquet file (temporary name, then rename), then
its json the same way; a member counts as finished only when its json exists and its
parquet file matches the size and sha256 the json records. Rerunning an ensemble into the
same folder with the same spec skips finished members; a different spec (or root seed, or
different data in the store) is refused unless ``force`` is given.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

import narcosim
from narcosim.atlas.provenance import sha256_file
from narcosim.atlas.store import Atlas
from narcosim.errors import ParameterError, StoreError
from narcosim.model.builder import DEFAULT_END, DEFAULT_SCALE, DEFAULT_START, build_default_sim
from narcosim.run.backends import (
    check_backend_args,
    check_scheduler_reachable,
    default_workers,
    run_jobs,
)
from narcosim.run.bands import DEFAULT_QUANTILES, BandFiles, check_quantiles, compute_bands
from narcosim.run.job import check_run_args
from narcosim.run.manifest import data_provenance, jsonable, utc_now
from narcosim.run.manifest import environment as library_environment

ENSEMBLE = "ensemble.json"
RUNS = "runs"
ENSEMBLE_VERSION = 1
#: Member progress callback: ``progress(done, total, member_record_or_None)``.
EnsembleProgress = Callable[[int, int, dict[str, Any] | None], None]


@dataclass(frozen=True)
class EnsembleSpec:
    """What every member of an ensemble runs (all but the seed).

    Attributes:
        scenario: Scenario name (only the built-in ``default`` for now).
        store: Atlas store file the members read.
        scale: Real people per agent (1:``scale``).
        start: First day (ISO date).
        end: Last day a step may start (ISO date).
        pars: Parameter overrides by module name.
    """

    scenario: str = "default"
    store: str = ""
    scale: int = DEFAULT_SCALE
    start: str = DEFAULT_START
    end: str = DEFAULT_END
    pars: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def identity(self) -> dict[str, Any]:
        """The fields that make two ensembles the same.

        The store's path is not one: its data hashes are compared instead.
        """
        out = asdict(self)
        out.pop("store")
        out["pars"] = jsonable(dict(self.pars))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (as in ``ensemble.json``)."""
        return jsonable({**asdict(self), "pars": dict(self.pars)})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnsembleSpec:
        """Rebuild a spec from :meth:`to_dict`."""
        return cls(**{k: data[k] for k in ("scenario", "store", "scale", "start", "end", "pars")
                      if k in data})


def member_seeds(seed: int, n_runs: int) -> list[int]:
    """Integer run seeds of members ``0..n_runs-1`` from ``SeedSequence(seed).spawn``.

    Each child's first 64-bit word, shifted right by one (so it fits a signed 64-bit
    integer everywhere it is stored), is the member's run seed. Member ``i``'s seed is the
    same whatever ``n_runs`` is.
    """
    children = np.random.SeedSequence(int(seed)).spawn(int(n_runs))
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def member_name(index: int) -> str:
    """File stem of member ``index`` (``run-0007``)."""
    return f"run-{index:04d}"


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def run_member(spec: EnsembleSpec, index: int, seed: int, runs_dir: str) -> dict[str, Any]:
    """Build, run and save one member (runs in a worker process; top-level so it pickles).

    Args:
        spec: The ensemble spec.
        index: Member number.
        seed: The member's run seed.
        runs_dir: Folder for ``run-NNNN.parquet`` and ``run-NNNN.json``.

    Returns:
        The member record written to ``run-NNNN.json``.
    """
    from narcosim.run.bands import write_member_parquet

    started, t0 = utc_now(), time.perf_counter()
    sim = build_default_sim(Atlas.open(Path(spec.store)), seed=seed, scale=spec.scale,
                            start=spec.start, end=spec.end, pars=spec.pars)
    t1 = time.perf_counter()
    sim.run()
    t2 = time.perf_counter()
    frame = sim.results.to_frame()
    folder = Path(runs_dir)
    final = folder / f"{member_name(index)}.parquet"
    tmp = folder / f".{final.name}.tmp-{os.getpid()}"
    write_member_parquet(frame, tmp)
    with tmp.open("rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, final)
    flows = [[name, metric] for name, res in sim.results.items()
             for metric, s in res.specs.items() if s.units.strip().endswith("per step")]
    record = {
        "index": index, "seed": int(seed), "file": final.name, "rows": len(frame),
        "bytes": final.stat().st_size, "sha256": sha256_file(final),
        "modules": list(sim.modules), "flows": flows, "n_steps": sim.timeline.n_steps,
        "build_seconds": round(t1 - t0, 3), "run_seconds": round(t2 - t1, 3),
        "wall_seconds": round(time.perf_counter() - t0, 3), "started": started,
        "finished": utc_now(), "host": socket.gethostname(), "pid": os.getpid(),
        "narcosim_version": narcosim.__version__,
    }
    _write_json_atomic(folder / f"{member_name(index)}.json", record)
    return record


def read_member(runs_dir: Path, index: int, seed: int) -> dict[str, Any] | None:
    """Return member ``index``'s record if it finished with ``seed``, else None.

    Finished means: its json names that seed and its parquet file has the recorded size,
    sha256 and row count.
    """
    folder = Path(runs_dir)
    try:
        record = json.loads((folder / f"{member_name(index)}.json").read_text("utf-8"))
        path = folder / record["file"]
        if (record.get("seed") != seed or record.get("index") != index
                or path.stat().st_size != record["bytes"]
                or sha256_file(path) != record["sha256"]
                or pq.read_metadata(path).num_rows != record["rows"]):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record


@dataclass(frozen=True)
class EnsembleResult:
    """A finished ensemble.

    Attributes:
        out_dir: The ensemble folder.
        spec: What the members ran.
        seed: Root seed.
        seeds: Member seeds, by member.
        ran: Members run this time.
        skipped: Members already finished (resumed).
        members: Member records, by member.
        bands: The band files.
        wall_seconds: Time this call took.
    """

    out_dir: Path
    spec: EnsembleSpec
    seed: int
    seeds: tuple[int, ...]
    ran: tuple[int, ...]
    skipped: tuple[int, ...]
    members: tuple[dict[str, Any], ...]
    bands: BandFiles
    wall_seconds: float

    def member_files(self) -> list[Path]:
        """The members' parquet files, by member."""
        return [self.out_dir / RUNS / m["file"] for m in self.members]

    def __repr__(self) -> str:
        return (f"EnsembleResult({str(self.out_dir)!r}, {len(self.seeds)} members, seed="
                f"{self.seed}, ran {len(self.ran)}, skipped {len(self.skipped)})")


def check_ensemble_args(spec: EnsembleSpec, n_runs: int, seed: int, backend: str,
                        workers: int | None, scheduler: str | None) -> str:
    """Check an ensemble's arguments before anything is built or started.

    Returns:
        The scenario name.

    Raises:
        ParameterError: Runs below 1, a bad seed, scale, scenario, backend, worker count
            or scheduler address.
    """
    if isinstance(n_runs, bool) or int(n_runs) != n_runs or n_runs < 1:
        raise ParameterError(f"--runs {n_runs}: must be a whole number >= 1")
    check_backend_args(backend, workers, scheduler)
    return check_run_args(spec.scenario, seed, spec.scale)


def _identity(spec: EnsembleSpec, seed: int, data: Mapping[str, Any]) -> dict[str, Any]:
    files = sorted((f["file"], f["sha256"]) for f in data.get("files", []))
    return {"spec": spec.identity(), "seed": int(seed), "data": [list(f) for f in files]}


def _prepare_folder(out_dir: Path, identity: dict[str, Any], force: bool) -> None:
    """Create the folder, or check an existing ensemble there matches (or clear it)."""
    manifest_path = out_dir / ENSEMBLE
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"--out {out_dir}: is a file, not a folder")
    if manifest_path.is_file():
        try:
            old = json.loads(manifest_path.read_text("utf-8"))
            old_identity = old["identity"]
        except (OSError, ValueError, KeyError, TypeError):
            old_identity = None
        if old_identity != identity and not force:
            raise ParameterError(f"--out {out_dir} holds an ensemble with a different "
                                 f"{_difference(old_identity, identity)}; use --force to "
                                 "replace it or choose another folder")
        if old_identity != identity:
            shutil.rmtree(out_dir / RUNS, ignore_errors=True)
            for name in (ENSEMBLE, "bands.parquet", "bands_annual.parquet"):
                (out_dir / name).unlink(missing_ok=True)
    elif out_dir.is_dir() and any(out_dir.iterdir()):
        raise ParameterError(f"--out {out_dir} is a folder that is not an ensemble folder "
                             f"(no {ENSEMBLE}); choose another folder")
    (out_dir / RUNS).mkdir(parents=True, exist_ok=True)
    for stale in (out_dir / RUNS).glob(".*.tmp-*"):
        stale.unlink(missing_ok=True)


def _difference(old: Any, new: dict[str, Any]) -> str:
    if not isinstance(old, dict):
        return f"spec ({ENSEMBLE} unreadable)"
    if old.get("seed") != new["seed"]:
        return f"root seed ({old.get('seed')} there, {new['seed']} here)"
    if old.get("data") != new["data"]:
        return "atlas data (store files' sha256 differ)"
    old_spec = old.get("spec") or {}
    for key, value in new["spec"].items():
        if old_spec.get(key) != value:
            return f"{key} ({old_spec.get(key)!r} there, {value!r} here)"
    return "spec"


def run_ensemble(
    spec: EnsembleSpec,
    n_runs: int,
    seed: int,
    *,
    out_dir: Path,
    backend: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    quantiles: tuple[float, ...] = DEFAULT_QUANTILES,
    progress: EnsembleProgress | None = None,
    command: list[str] | None = None,
) -> EnsembleResult:
    """Run (or resume) an ensemble and write its member results and bands.

    Args:
        spec: What every member runs; ``spec.store`` must be an atlas store.
        n_runs: Members (>= 1).
        seed: Root seed (>= 0); member seeds come from ``SeedSequence(seed).spawn``.
        out_dir: Ensemble folder.
        backend: ``local`` (process pool) or ``dask``.
        workers: Worker processes (default: one per core).
        scheduler: A running Dask scheduler's address (``dask`` only).
        force: Replace an ensemble of a different spec in ``out_dir``.
        quantiles: Band quantiles.
        progress: Called with ``(done, total, record)`` once at the start (record None,
            done = members already finished) and after each member finishes.
        command: The command line to record.

    Returns:
        The finished ensemble.

    Raises:
        ParameterError: Bad arguments, a spec mismatch with ``out_dir`` (without
            ``force``), an unreachable scheduler or bad model parameters.
        StoreError: No atlas store, or files that cannot be read or written.
    """
    t0 = time.perf_counter()
    check_ensemble_args(spec, n_runs, seed, backend, workers, scheduler)
    qs = check_quantiles(quantiles)
    if scheduler is not None:
        check_scheduler_reachable(scheduler)
    store = Path(spec.store).resolve()
    spec = EnsembleSpec(spec.scenario, str(store), int(spec.scale), str(spec.start),
                        str(spec.end), jsonable(dict(spec.pars)))
    # Build (not run) one sim here, so bad dates, parameters or stores fail before workers.
    build_default_sim(Atlas.open(store), seed=int(seed), scale=spec.scale, start=spec.start,
                      end=spec.end, pars=spec.pars)
    data = data_provenance(store)
    identity = _identity(spec, seed, data)
    out_dir = Path(out_dir)
    try:
        _prepare_folder(out_dir, identity, force)
    except OSError as error:
        raise StoreError(f"cannot use ensemble folder {out_dir}: {error.strerror}") from None
    runs_dir = out_dir / RUNS
    seeds = member_seeds(seed, n_runs)
    manifest: dict[str, Any] = {
        "ensemble_version": ENSEMBLE_VERSION, "narcosim_version": narcosim.__version__,
        "status": "running", "created": utc_now(), "finished": None,
        "command": command, "identity": identity, "spec": spec.to_dict(),
        "seed": int(seed), "n_runs": int(n_runs), "member_seeds": seeds,
        "seed_rule": "numpy.random.SeedSequence(seed).spawn(n_runs)[i]"
                     ".generate_state(1, uint64)[0] >> 1",
        "backend": backend, "workers": None if scheduler else (workers or default_workers()),
        "scheduler": scheduler, "quantiles": list(qs), "environment": library_environment(),
        "data": data,
    }
    _write_json_atomic(out_dir / ENSEMBLE, manifest)

    records: dict[int, dict[str, Any]] = {}
    for i, s in enumerate(seeds):
        record = read_member(runs_dir, i, s)
        if record is not None:
            records[i] = record
    skipped = tuple(sorted(records))
    todo = [i for i in range(n_runs) if i not in records]
    if progress is not None:
        progress(len(records), n_runs, None)
    jobs = [(spec, i, seeds[i], str(runs_dir)) for i in todo]
    try:
        for record in run_jobs(run_member, jobs, backend=backend, workers=workers,
                               scheduler=scheduler):
            records[int(record["index"])] = record
            if progress is not None:
                progress(len(records), n_runs, record)
    except BaseException as error:  # say so in the manifest, then let it propagate
        status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        manifest.update({"status": status, "finished": utc_now(),
                         "error": str(error).splitlines()[0] if str(error) else status,
                         "done": sorted(records)})
        with contextlib.suppress(OSError, ValueError):
            _write_json_atomic(out_dir / ENSEMBLE, manifest)
        raise

    members = tuple(records[i] for i in range(n_runs))
    flows = {tuple(f) for m in members for f in m.get("flows", [])}
    bands = compute_bands([runs_dir / m["file"] for m in members], out_dir, quantiles=qs,
                          flows=sorted(flows))
    seconds = time.perf_counter() - t0
    manifest.update({
        "status": "complete", "finished": utc_now(), "wall_seconds": round(seconds, 3),
        "ran": list(todo), "skipped": list(skipped),
        "members": [{k: m[k] for k in ("file", "seed", "rows", "sha256", "wall_seconds")}
                    for m in members],
        "bands": {"file": bands.bands.name, "sha256": sha256_file(bands.bands)},
        "bands_annual": (None if bands.annual is None else
                         {"file": bands.annual.name, "sha256": sha256_file(bands.annual)}),
    })
    _write_json_atomic(out_dir / ENSEMBLE, manifest)
    return EnsembleResult(out_dir, spec, int(seed), tuple(seeds), tuple(todo), skipped,
                          members, bands, seconds)
