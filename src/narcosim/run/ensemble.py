"""Ensembles: many runs of one scenario, on a process pool or Dask, resumable, with bands.

An ensemble folder holds::

    ensemble.json            spec, root seed, member seeds, backend, data hashes, status
    runs/run-0000.parquet    member 0's tidy results (``sim.results.to_frame()``)
    runs/run-0000.json       member 0's seed, timing and the file's size and sha256
    bands.parquet            quantiles and mean of every result across members
    bands_annual.parquet     the same for calendar-year sums of flow metrics
    fixed/                   with drawn parameters: control members at the point fit on the
                             first members' seeds, an ensemble folder of its own

Members either run the point fit (``spec.parameters == "fixed"``) or each draw one parameter
set from the packaged posterior (:func:`~narcosim.run.member.draw_particle`; the particle is
recorded per member in ``ensemble.json``). With drawn parameters and ``controls`` > 0, the
controls tell parameter from random uncertainty (:mod:`narcosim.run.spread`), recorded as
``uncertainty`` in ``ensemble.json``.

Member seeds come from ``numpy.random.SeedSequence(seed).spawn(n_runs)`` (never
``seed + i``), so member ``i``'s seed does not depend on how many members there are, and
an ensemble can be extended. Each member runs :func:`~narcosim.run.member.run_member` in a
worker (see :mod:`narcosim.run.member`): it builds the
sim from the spec, runs it and writes its parquet file (temporary name, then rename), then
its json the same way; a member counts as finished only when its json exists and its
parquet file matches the size and sha256 the json records. Rerunning an ensemble into the
same folder with the same spec skips finished members (the resume loop of
:mod:`narcosim.run.resume`, shared with comparisons); a different spec (or root seed, or
different data in the store) is refused unless ``force`` is given.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import narcosim
from narcosim.atlas.provenance import sha256_file
from narcosim.atlas.store import Atlas
from narcosim.errors import ParameterError, StoreError
from narcosim.run.backends import (
    check_backend_args,
    check_scheduler_reachable,
    default_workers,
)
from narcosim.run.bands import DEFAULT_QUANTILES, BandFiles, check_quantiles, compute_bands
from narcosim.run.job import check_run_args
from narcosim.run.manifest import data_provenance, jsonable, utc_now
from narcosim.run.manifest import environment as library_environment
from narcosim.run.member import (
    FIXED,
    EnsembleSpec,
    build_member_sim,
    member_name,
    member_seeds,
    read_member,
    run_member,
    write_json_atomic,
)
from narcosim.run.resume import (
    MemberJob,
    MemberProgress,
    Resumed,
    member_index,
    prepare_runs_dir,
    resume_members,
)
from narcosim.run.spread import decompose
from narcosim.scenario.limits import MAX_RUNS, check_count, check_dates

__all__ = [
    "ENSEMBLE",
    "RUNS",
    "EnsembleProgress",
    "EnsembleResult",
    "EnsembleSpec",
    "build_member_sim",
    "check_ensemble_args",
    "member_name",
    "member_seeds",
    "read_member",
    "run_ensemble",
    "run_member",
]

ENSEMBLE = "ensemble.json"
RUNS = "runs"
#: Sub-folder of the control members (point fit) of an ensemble with drawn parameters.
CONTROLS = "fixed"
ENSEMBLE_VERSION = 1
#: Member progress callback: ``progress(done, total, member_record_or_None)``.
EnsembleProgress = MemberProgress


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
        uncertainty: Parameter against random uncertainty (:func:`narcosim.run.spread.
            decompose`); None without drawn parameters or controls.
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
    uncertainty: dict[str, Any] | None = None

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
    check_count("--runs", n_runs, 1, MAX_RUNS)
    check_backend_args(backend, workers, scheduler)
    check_dates(spec.start, spec.end)
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
    prepare_runs_dir(out_dir / RUNS)


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
    scenario_file: Mapping[str, Any] | None = None,
    controls: int = 0,
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
        scenario_file: The scenario's origin, sha256, TOML text and resolved content
            (:func:`narcosim.scenario.loader.scenario_record`), recorded in ``ensemble.json``.
        controls: With drawn parameters, also run this many members at the point fit on the
            first members' seeds (in ``out_dir/fixed``), to tell parameter from random
            uncertainty; ignored for fixed parameters.

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
    spec, n_controls = _checked_spec(spec, n_runs, seed, controls)
    data = data_provenance(Path(spec.store))
    identity = _identity(spec, seed, data)
    out_dir = Path(out_dir)
    _open_folder(out_dir, identity, force)
    seeds = member_seeds(seed, n_runs)
    manifest = _new_manifest(spec, seed, seeds, identity, data, controls=n_controls,
                             backend=backend, workers=workers, scheduler=scheduler,
                             quantiles=qs, command=command, scenario_file=scenario_file)
    write_json_atomic(out_dir / ENSEMBLE, manifest)
    total = n_runs + n_controls
    done = _run_members(spec, seeds, out_dir, manifest, total=total, progress=progress,
                        backend=backend, workers=workers, scheduler=scheduler)
    members = tuple(done.records[i] for i in range(n_runs))
    files = [out_dir / RUNS / m["file"] for m in members]
    flows = {tuple(f) for m in members for f in m.get("flows", [])}
    bands = compute_bands(files, out_dir, quantiles=qs, flows=sorted(flows))
    uncertainty = None
    if n_controls:
        fixed = run_ensemble(dataclasses.replace(spec, parameters=FIXED), n_controls, seed,
                             out_dir=out_dir / CONTROLS, backend=backend, workers=workers,
                             scheduler=scheduler, force=force, quantiles=qs,
                             progress=_control_progress(progress, n_runs, total),
                             command=command, scenario_file=scenario_file)
        uncertainty = decompose(files, fixed.member_files())
    seconds = time.perf_counter() - t0
    _finish_manifest(manifest, out_dir / ENSEMBLE, done, members, bands, uncertainty, seconds)
    return EnsembleResult(out_dir, spec, int(seed), tuple(seeds), tuple(done.ran),
                          tuple(done.skipped), members, bands, seconds, uncertainty)


def _checked_spec(spec: EnsembleSpec, n_runs: int, seed: int, controls: int
                  ) -> tuple[EnsembleSpec, int]:
    """The spec with its store resolved and JSON-ready parameters, and the controls to run.

    One sim is built (not run) here, so bad dates, parameters or stores fail before any
    worker starts.
    """
    store = Path(spec.store).resolve()
    spec = EnsembleSpec(spec.scenario, str(store), int(spec.scale), str(spec.start),
                        str(spec.end), jsonable(dict(spec.pars)), spec.toml, spec.parameters)
    if isinstance(controls, bool) or int(controls) != controls or controls < 0:
        raise ParameterError(f"--controls {controls}: must be a whole number >= 0")
    n_controls = 0 if spec.parameters == FIXED else min(int(controls), int(n_runs))
    build_member_sim(spec, Atlas.open(store), int(seed))
    return spec, n_controls


def _open_folder(out_dir: Path, identity: dict[str, Any], force: bool) -> None:
    """:func:`_prepare_folder`, with an OS error said in one line."""
    try:
        _prepare_folder(out_dir, identity, force)
    except OSError as error:
        raise StoreError(f"cannot use ensemble folder {out_dir}: {error.strerror}") from None


def _new_manifest(spec: EnsembleSpec, seed: int, seeds: list[int], identity: dict[str, Any],
                  data: dict[str, Any], *, controls: int, backend: str, workers: int | None,
                  scheduler: str | None, quantiles: tuple[float, ...],
                  command: list[str] | None, scenario_file: Mapping[str, Any] | None
                  ) -> dict[str, Any]:
    """The manifest of an ensemble about to run (status ``running``)."""
    return {
        "ensemble_version": ENSEMBLE_VERSION, "narcosim_version": narcosim.__version__,
        "status": "running", "created": utc_now(), "finished": None,
        "command": command, "identity": identity, "spec": spec.to_dict(),
        "seed": int(seed), "n_runs": len(seeds), "member_seeds": seeds,
        "parameters": spec.parameters, "controls": controls,
        "seed_rule": "numpy.random.SeedSequence(seed).spawn(n_runs)[i]"
                     ".generate_state(1, uint64)[0] >> 1",
        "backend": backend, "workers": None if scheduler else (workers or default_workers()),
        "scheduler": scheduler, "quantiles": list(quantiles),
        "environment": library_environment(), "data": data,
        "scenario_file": jsonable(dict(scenario_file)) if scenario_file is not None else None,
    }


def _run_members(spec: EnsembleSpec, seeds: list[int], out_dir: Path,
                 manifest: dict[str, Any], *, total: int, progress: EnsembleProgress | None,
                 backend: str, workers: int | None, scheduler: str | None) -> Resumed[int]:
    """Run the members not finished yet; on an error, say so in the manifest first."""
    runs_dir = out_dir / RUNS
    jobs = [MemberJob(i, runs_dir, i, s, (spec, i, s, str(runs_dir)))
            for i, s in enumerate(seeds)]

    def failed(error: BaseException, finished: Sequence[Hashable]) -> None:
        status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
        manifest.update({"status": status, "finished": utc_now(),
                         "error": str(error).splitlines()[0] if str(error) else status,
                         "done": list(finished)})
        with contextlib.suppress(OSError, ValueError):
            write_json_atomic(out_dir / ENSEMBLE, manifest)

    return resume_members(jobs, run_member, key_of=member_index, backend=backend,
                          workers=workers, scheduler=scheduler, progress=progress, total=total,
                          on_error=failed)


def _control_progress(progress: EnsembleProgress | None, n_runs: int, total: int
                      ) -> EnsembleProgress:
    """The controls' progress, reported after the ``n_runs`` members as ``control`` records."""
    def step(done: int, _total: int, record: dict[str, Any] | None) -> None:
        if progress is not None and record is not None:
            progress(n_runs + done, total, {**record, "control": True})

    return step


def _finish_manifest(manifest: dict[str, Any], path: Path, done: Resumed[int],
                     members: tuple[dict[str, Any], ...], bands: BandFiles,
                     uncertainty: dict[str, Any] | None, seconds: float) -> None:
    """Write the manifest of the finished ensemble: members, bands and their sha256."""
    manifest.update({
        "uncertainty": uncertainty,
        "status": "complete", "finished": utc_now(), "wall_seconds": round(seconds, 3),
        "ran": list(done.ran), "skipped": list(done.skipped),
        "members": [{k: m.get(k) for k in ("file", "seed", "particle", "rows", "sha256",
                                           "wall_seconds")} for m in members],
        "bands": {"file": bands.bands.name, "sha256": sha256_file(bands.bands)},
        "bands_annual": (None if bands.annual is None else
                         {"file": bands.annual.name, "sha256": sha256_file(bands.annual)}),
    })
    write_json_atomic(path, manifest)
