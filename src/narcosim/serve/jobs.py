"""The dashboard's jobs: one scenario comparison at a time, run in a background thread.

A job is ``narcosim compare`` (:func:`narcosim.analysis.compare.compare`) on the scenarios a
user picked, written to ``WORK/jobs/<id>/`` with its ``compare.html``. The dashboard serves
one user on this machine, so one job runs at a time: a second request while one runs is
refused with a message that names the running job and its progress (HTTP 409), never queued
silently behind it. Progress is what ``compare``'s member callback reports.
"""

from __future__ import annotations

import secrets
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from narcosim.errors import NarcosimError

JOB_ID_PATTERN = r"^[0-9a-f]{12}$"
"""Job ids: 12 lowercase hex digits (48 random bits), checked before any path is made."""


@dataclass
class Job:
    """One comparison job and where it stands.

    Attributes:
        id: The job id (12 hex digits).
        scenarios: Built-in scenario names; the first is the baseline.
        settings: ``runs``, ``seed``, ``scale``, ``end``.
        folder: The comparison folder.
        state: ``queued``, ``running``, ``done`` or ``failed``.
        done: Members finished.
        total: Members in all.
        message: The last progress line, or the error.
        started: ``time.time()`` when it started.
        finished: ``time.time()`` when it ended (None while running).
    """

    id: str
    scenarios: list[str]
    settings: dict[str, Any]
    folder: Path
    state: str = "queued"
    done: int = 0
    total: int = 0
    message: str = "waiting to start"
    started: float = field(default_factory=time.time)
    finished: float | None = None

    def as_json(self) -> dict[str, Any]:
        """The job's status for the API."""
        return {"id": self.id, "scenarios": list(self.scenarios), "state": self.state,
                "done": self.done, "total": self.total, "message": self.message,
                "settings": dict(self.settings),
                "elapsed_s": round((self.finished or time.time()) - self.started, 1),
                "compare_url": f"/jobs/{self.id}/compare" if self.state == "done" else None}


class BusyError(Exception):
    """Another job is running; the message says which and how far it is."""


class JobRunner:
    """Runs at most one job at a time, each in its own thread.

    Args:
        work_dir: Jobs are written to ``work_dir/jobs/<id>``.
        store: The atlas store the runs read.
    """

    def __init__(self, work_dir: Path, store: Path) -> None:
        self.work_dir = Path(work_dir)
        self.store = Path(store)
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._threads: dict[str, threading.Thread] = {}

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        """Every job this server ran, newest first."""
        return sorted(self._jobs.values(), key=lambda j: j.started, reverse=True)

    def running(self) -> Job | None:
        """The job running now, or None."""
        return next((j for j in self._jobs.values() if j.state in ("queued", "running")), None)

    def submit(self, scenarios: list[str], settings: dict[str, Any]) -> Job:
        """Start a job unless one is running.

        Raises:
            BusyError: A job is running (its id and progress in the message).
        """
        with self._lock:
            busy = self.running()
            if busy is not None:
                raise BusyError(f"busy: job {busy.id} ({' vs '.join(busy.scenarios)}) is "
                                f"{busy.state}, {busy.done} of {busy.total or '?'} runs done; "
                                "one job runs at a time, submit again when it has finished")
            job_id = secrets.token_hex(6)
            job = Job(job_id, list(scenarios), dict(settings),
                      self.work_dir / "jobs" / job_id)
            self._jobs[job_id] = job
            thread = threading.Thread(target=self._work, args=(job,), daemon=True,
                                      name=f"narcosim-job-{job_id}")
            self._threads[job_id] = thread
            thread.start()
            return job

    def wait(self, job_id: str, timeout: float | None = None) -> Job | None:
        """Wait for a job's thread to end (tests, shutdown); the job."""
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
        return self._jobs.get(job_id)

    def _work(self, job: Job) -> None:
        def progress(done: int, total: int, message: str) -> None:
            job.done, job.total, job.message = done, total, message

        job.state, job.message = "running", "starting the runs"
        try:
            run_comparison(job, self.store, progress)
        except NarcosimError as error:
            job.state, job.message = "failed", str(error)
        except Exception as error:  # a bug: keep the server up, say what failed
            job.state = "failed"
            job.message = f"internal error: {type(error).__name__}: {error}"
            traceback.print_exc()
        else:
            job.state, job.message = "done", "finished"
        finally:
            job.finished = time.time()


def run_comparison(job: Job, store: Path, progress: Callable[[int, int, str], None]) -> None:
    """Run a job's comparison with ``narcosim compare`` and write its ``compare.html``.

    Members run one at a time on the local pool (``workers=1``): the dashboard shares the
    machine with its user.
    """
    from narcosim.analysis.compare import compare
    from narcosim.atlas.store import Atlas
    from narcosim.report.compare_report import write_compare_report

    s = job.settings

    def step(done: int, total: int, record: dict[str, Any] | None) -> None:
        if record is None:
            progress(done, total, f"{done} of {total} runs already done" if done
                     else f"running {total} runs")
        else:
            progress(done, total, f"{record['arm']} run {record['index']} finished in "
                     f"{record['wall_seconds']:.1f} s")

    command = ["narcosim", "compare", *job.scenarios, "--runs", str(s["runs"]), "--seed",
               str(s["seed"]), "--scale", str(s["scale"]), "--end", str(s["end"]),
               "--workers", "1", "--out", str(job.folder)]
    result = compare(job.scenarios, int(s["runs"]), int(s["seed"]), out_dir=job.folder,
                     scale=int(s["scale"]), workers=1, store=store, end=str(s["end"]),
                     progress=step, command=command)
    progress(job.total, job.total, "writing the comparison page")
    write_compare_report(result.out_dir, result.data, result.summary, Atlas.open(store),
                         result.members)
