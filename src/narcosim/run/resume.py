"""The one resume loop: keep the members already on disk, run the rest, report each.

Ensembles (:mod:`narcosim.run.ensemble`) and the arms of a comparison
(:mod:`narcosim.analysis.arms`) keep their members the same way: a worker runs
:func:`~narcosim.run.member.run_member`, which writes ``run-NNNN.parquet`` and then
``run-NNNN.json`` (each under a temporary name, fsynced, then renamed), and
:func:`~narcosim.run.member.read_member` tells a finished member from one that was interrupted
at any point. :func:`resume_members` is the loop both use:

1. read every member's record, in the order given; the finished ones are *skipped*;
2. report ``progress(finished, total, None)`` once;
3. submit the others, in the order given, to the backend (:func:`~narcosim.run.backends.
   run_jobs`), and report ``progress(finished, total, record)`` as each one finishes (its files
   are already in place by then);
4. if anything goes wrong (a member fails, a worker dies, Ctrl-C, a progress callback raises),
   call ``on_error(error, finished_keys)`` and let the error propagate: the members finished so
   far are kept, and the next call skips them.

:func:`prepare_runs_dir` makes a members' folder ready for it (created, and the temporary files
of members killed part way removed).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from narcosim.run.backends import Job, run_jobs
from narcosim.run.member import read_member

__all__ = [
    "MemberJob",
    "MemberProgress",
    "Resumed",
    "member_index",
    "prepare_runs_dir",
    "resume_members",
]

#: A member's key: its index, or ``(arm, index)``.
K = TypeVar("K", bound=Hashable)
#: Member progress callback: ``progress(done, total, member_record_or_None)``.
MemberProgress = Callable[[int, int, dict[str, Any] | None], None]
#: Called with the error and the keys of the members finished, before the error propagates.
OnError = Callable[[BaseException, Sequence[Hashable]], None]


@dataclass(frozen=True)
class MemberJob(Generic[K]):
    """One member that should be finished on disk.

    Attributes:
        key: How the caller names the member (its index, or ``(arm, index)``).
        runs_dir: The folder of its ``run-NNNN`` files.
        index: Its number in that folder.
        seed: Its run seed (a member finished with another seed is run again).
        args: The arguments the worker function is called with when it must run.
    """

    key: K
    runs_dir: Path
    index: int
    seed: int
    args: Job


@dataclass(frozen=True)
class Resumed(Generic[K]):
    """The members after :func:`resume_members`: all finished.

    Attributes:
        records: Every member's record (as in its ``run-NNNN.json``), by key, in job order.
        ran: Keys of the members run this time, in job order.
        skipped: Keys of the members already finished, in job order.
    """

    records: dict[K, dict[str, Any]]
    ran: tuple[K, ...]
    skipped: tuple[K, ...]


def member_index(record: dict[str, Any]) -> int:
    """The key of an ensemble member's record: its index."""
    return int(record["index"])


def prepare_runs_dir(runs_dir: Path) -> None:
    """Create a members' folder, removing the temporary files of members killed part way."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    for stale in runs_dir.glob(".*.tmp-*"):
        stale.unlink(missing_ok=True)


def resume_members(
    jobs: Sequence[MemberJob[K]],
    fn: Callable[..., dict[str, Any]],
    *,
    key_of: Callable[[dict[str, Any]], K],
    backend: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: MemberProgress | None = None,
    total: int | None = None,
    on_error: OnError | None = None,
) -> Resumed[K]:
    """Run the members not finished on disk; keep (skip) the others.

    Args:
        jobs: The members, in the order they are read and submitted.
        fn: Top-level (picklable) worker function; ``fn(*job.args)`` runs and saves a member
            and returns its record.
        key_of: The key of the job a returned record belongs to (:func:`member_index` for
            ensemble members).
        backend: ``local`` or ``dask``.
        workers: Worker processes (default: one per core).
        scheduler: A running Dask scheduler's address (``dask`` only).
        progress: Called with ``(done, total, record)``: once before any member runs (record
            None, done = members already finished), then after each member finishes.
        total: The ``total`` reported (default: the number of jobs; a caller with more
            members to run afterwards reports more).
        on_error: Called with the error and the keys of the finished members (in job
            order) when running stops on an error, before the error propagates.

    Returns:
        Every member's record, with which ran and which were skipped.

    Raises:
        BaseException: Whatever stopped the run (a member's error, a dead worker, Ctrl-C,
            an error from ``progress``), after ``on_error``.
    """
    records: dict[K, dict[str, Any]] = {}
    for job in jobs:
        record = read_member(job.runs_dir, job.index, job.seed)
        if record is not None:
            records[job.key] = record
    skipped = tuple(job.key for job in jobs if job.key in records)
    todo = [job for job in jobs if job.key not in records]
    total = len(jobs) if total is None else total
    if progress is not None:
        progress(len(records), total, None)
    try:
        for record in run_jobs(fn, [job.args for job in todo], backend=backend,
                               workers=workers, scheduler=scheduler):
            records[key_of(record)] = record
            if progress is not None:
                progress(len(records), total, record)
    except BaseException as error:
        if on_error is not None:
            on_error(error, [job.key for job in jobs if job.key in records])
        raise
    return Resumed({job.key: records[job.key] for job in jobs}, tuple(job.key for job in todo),
                   skipped)
