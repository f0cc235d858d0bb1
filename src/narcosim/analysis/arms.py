"""Arms of a comparison: scenarios run as ensembles on the SAME member seeds.

Each arm is a scenario (a built-in name or a TOML file) resolved once, in the parent process,
into an :class:`ArmSpec` holding an :class:`~narcosim.run.member.EnsembleSpec` (the
scenario's TOML text, store, scale, dates): everything a worker needs to rebuild the sim.
Member ``i`` of every arm runs with seed ``member_seeds(seed, n)[i]``
(``SeedSequence(seed).spawn``, as in :mod:`narcosim.run.ensemble`), so arms differ only by
their interventions: the model's named streams draw the same numbers for the same agents
(common random numbers), and an intervention that never acts leaves every result
bit-identical to the baseline.

A comparison folder holds one ensemble-like folder per arm::

    arms/0-status_quo/arm.json          the arm's spec (and identity, for resuming)
    arms/0-status_quo/runs/run-0000.parquet, run-0000.json   as written by ensembles

Members are run and written by :func:`narcosim.run.member.run_member` (atomically, as in
ensembles) through the same resume loop as ensembles (:func:`narcosim.run.resume.
resume_members`), so rerunning a comparison skips the members already done.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from narcosim.errors import ParameterError, StoreError
from narcosim.run.manifest import utc_now
from narcosim.run.member import (
    EnsembleSpec,
    member_name,
    member_seeds,
    run_member,
    write_json_atomic,
)
from narcosim.run.resume import MemberJob, MemberProgress, prepare_runs_dir, resume_members

ARMS = "arms"
ARM = "arm.json"
RUNS = "runs"
#: Member progress callback: ``progress(done, total, record_or_None)``.
ArmProgress = MemberProgress


@dataclass(frozen=True)
class ArmSpec:
    """One arm of a comparison: its label and what every member runs (all but the seed).

    Attributes:
        name: The arm's label (the built-in's name, or the file's stem).
        source: Where the scenario came from (``builtin:<file>`` or the file's path).
        title: The scenario's own name (its ``[scenario] name``).
        interventions: The scenario's interventions as JSON-ready dicts (validated configs).
        spec: The ensemble spec the members run (scenario text, store, scale, dates), so
            members are built and saved exactly as ensemble members are.
    """

    name: str
    source: str
    title: str
    interventions: tuple[Mapping[str, Any], ...]
    spec: EnsembleSpec

    def identity(self) -> dict[str, Any]:
        """The fields that make two runs of an arm the same (the store path is not one)."""
        return self.spec.identity()

    def intervention_starts(self) -> list[date]:
        """Start dates of the arm's interventions."""
        return [date.fromisoformat(str(c["start"])) for c in self.interventions]


def arm_folder(out_dir: Path, index: int, name: str) -> Path:
    """The folder of arm ``index`` (``arms/<index>-<name>``, name made file-safe)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "arm"
    return Path(out_dir) / ARMS / f"{index}-{safe}"


def run_arm_member(arm: int, spec: EnsembleSpec, index: int, seed: int, runs_dir: str
                   ) -> dict[str, Any]:
    """Run one member of arm ``arm`` (top-level, so it pickles to workers).

    The member is built, run and saved by :func:`narcosim.run.member.run_member`, exactly as
    an ensemble member, so :func:`~narcosim.run.member.read_member` recognises it later.

    Returns:
        The member record, with ``arm`` (the arm's position) added.
    """
    return {**run_member(spec, index, seed, runs_dir), "arm": arm}


def _prepare_arm(folder: Path, spec: ArmSpec, seed: int, data: Any, force: bool) -> None:
    """Create an arm folder, or check that the arm already there is the same one."""
    identity = {"spec": spec.identity(), "seed": int(seed), "data": data}
    manifest = folder / ARM
    if manifest.is_file():
        try:
            old = json.loads(manifest.read_text("utf-8")).get("identity")
        except (OSError, ValueError, AttributeError):
            old = None
        if old != identity:
            if not force:
                raise ParameterError(f"--out {folder.parent.parent}: arm {spec.name!r} was run "
                                     "with different settings or seed; use --force to "
                                     "replace it or choose another folder")
            shutil.rmtree(folder / RUNS, ignore_errors=True)
    prepare_runs_dir(folder / RUNS)
    write_json_atomic(manifest, {"identity": identity, "name": spec.name,
                                 "source": spec.source, "title": spec.title,
                                 "spec": spec.spec.to_dict(), "written": utc_now()})


@dataclass(frozen=True)
class ArmRuns:
    """The finished members of every arm.

    Attributes:
        specs: The arms, baseline first.
        folders: Each arm's folder.
        seeds: Member seeds (the same for every arm).
        files: ``files[a][i]``: member ``i`` of arm ``a``'s parquet file.
        ran: (arm, member) pairs run this time.
        skipped: (arm, member) pairs already finished.
    """

    specs: tuple[ArmSpec, ...]
    folders: tuple[Path, ...]
    seeds: tuple[int, ...]
    files: tuple[tuple[Path, ...], ...]
    ran: tuple[tuple[int, int], ...]
    skipped: tuple[tuple[int, int], ...]


def run_arms(
    specs: Sequence[ArmSpec],
    n_runs: int,
    seed: int,
    *,
    out_dir: Path,
    backend: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    data: Any = None,
    progress: ArmProgress | None = None,
) -> ArmRuns:
    """Run (or resume) every arm's members on one backend, with common member seeds.

    Args:
        specs: The arms, baseline first.
        n_runs: Members per arm.
        seed: Root seed; member ``i`` of every arm gets ``member_seeds(seed, n_runs)[i]``.
        out_dir: The comparison folder.
        backend: ``local`` or ``dask``.
        workers: Worker processes.
        scheduler: A running Dask scheduler's address.
        force: Replace arms that were run with other settings.
        data: What identifies the input data (e.g. the store files' sha256); members run
            on other data are not reused.
        progress: Called once at the start (record None) and after each member.

    Raises:
        ParameterError: An arm folder holds other settings (without ``force``).
        StoreError: The folder cannot be written.
    """
    seeds = member_seeds(seed, n_runs)
    folders = tuple(arm_folder(out_dir, a, s.name) for a, s in enumerate(specs))
    out_dir = Path(out_dir)
    _prepare_arms(out_dir, folders, specs, seed, data, force)
    jobs = [MemberJob((a, i), folder / RUNS, i, s, (a, spec.spec, i, s, str(folder / RUNS)))
            for a, (folder, spec) in enumerate(zip(folders, specs, strict=True))
            for i, s in enumerate(seeds)]
    done = resume_members(jobs, run_arm_member, key_of=_arm_member, backend=backend,
                          workers=workers, scheduler=scheduler, progress=progress)
    files = tuple(tuple(folder / RUNS / f"{member_name(i)}.parquet" for i in range(n_runs))
                  for folder in folders)
    return ArmRuns(tuple(specs), folders, tuple(seeds), files, done.ran, done.skipped)


def _arm_member(record: dict[str, Any]) -> tuple[int, int]:
    """The key of an arm member's record: (arm, index)."""
    return int(record["arm"]), int(record["index"])


def _prepare_arms(out_dir: Path, folders: Sequence[Path], specs: Sequence[ArmSpec], seed: int,
                  data: Any, force: bool) -> None:
    """Check the comparison folder and prepare every arm's folder in it."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ParameterError(f"--out {out_dir}: is a file, not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / ARMS).is_dir():
        raise ParameterError(f"--out {out_dir} is a folder that is not a comparison folder "
                             f"(no {ARMS}/); choose another folder")
    try:
        for folder, spec in zip(folders, specs, strict=True):
            _prepare_arm(folder, spec, seed, data, force)
    except OSError as error:
        raise StoreError(f"cannot use comparison folder {out_dir}: {error.strerror}") from None
