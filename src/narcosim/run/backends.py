"""Where ensemble members run: a local process pool or Dask distributed.

Both backends take the same top-level function and argument tuples and yield each call's
result as soon as it finishes, so the caller can save progress member by member. Which
backend runs a member never changes its numbers: a member's result depends only on its
spec and seed.

* ``local``: :class:`concurrent.futures.ProcessPoolExecutor` with ``spawn``ed workers
  (no state inherited from the parent process).
* ``dask``: a :class:`distributed.LocalCluster` (``threads_per_worker=1``, worker
  processes, bound to 127.0.0.1, no dashboard) unless ``scheduler`` names a running
  scheduler (``tcp://host:port``), e.g. one started by dask-jobqueue on a cluster; its
  workers must see the same files (store and output folder) as this machine.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any
from urllib.parse import urlsplit

from narcosim.errors import NarcosimError, ParameterError
from narcosim.scenario.limits import MAX_WORKERS

BACKENDS: tuple[str, ...] = ("local", "dask")
#: Seconds to wait for a scheduler to accept a connection (a guess: long enough on a LAN).
CONNECT_TIMEOUT_S = 3.0
#: Seconds between a worker's checks that its parent is alive (a guess, range 0.1-2:
#: cheap to check, and well inside the 10 s after which a worker counts as orphaned).
PARENT_POLL_S = 0.5

Job = tuple[Any, ...]


class WorkerError(NarcosimError):
    """A worker process died (killed, out of memory) while running a job."""


def check_backend_args(backend: str, workers: int | None, scheduler: str | None) -> None:
    """Check backend, worker count and scheduler address before anything starts.

    Raises:
        ParameterError: Unknown backend, workers outside 1 to
            :data:`~narcosim.scenario.limits.MAX_WORKERS`, or a scheduler with the local pool.
    """
    if backend not in BACKENDS:
        raise ParameterError(f"--backend {backend!r}: must be one of {', '.join(BACKENDS)}")
    if workers is not None and (isinstance(workers, bool) or int(workers) != workers
                                or not 1 <= workers <= MAX_WORKERS):
        raise ParameterError(f"--workers {workers}: must be a whole number >= 1 and <= "
                             f"{MAX_WORKERS}")
    if scheduler is not None and backend != "dask":
        raise ParameterError(f"--scheduler {scheduler}: needs --backend dask")
    if scheduler is not None:
        scheduler_host_port(scheduler)


def default_workers() -> int:
    """Workers when none are asked for: one per CPU core."""
    return os.cpu_count() or 1


def scheduler_host_port(address: str) -> tuple[str, int]:
    """Split a scheduler address (``tcp://host:port`` or ``host:port``).

    Raises:
        ParameterError: The address has no host or port, or a protocol other than tcp.
    """
    text = address if "://" in address else f"tcp://{address}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        port, parts = None, None
    if parts is None or parts.scheme != "tcp" or not parts.hostname or port is None:
        raise ParameterError(f"--scheduler {address!r}: expected tcp://HOST:PORT")
    return parts.hostname, port


def check_scheduler_reachable(address: str, timeout: float = CONNECT_TIMEOUT_S) -> str:
    """Open (and close) a TCP connection to a scheduler, to fail fast with one line.

    Returns:
        The address as ``tcp://host:port``.

    Raises:
        ParameterError: Nothing accepts connections there within ``timeout`` seconds.
    """
    host, port = scheduler_host_port(address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ParameterError(f"--scheduler {address}: cannot connect to {host}:{port} "
                             f"({reason})") from None
    return f"tcp://{host}:{port}"


def run_jobs(
    fn: Callable[..., Any],
    jobs: Sequence[Job],
    *,
    backend: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
) -> Iterator[Any]:
    """Call ``fn(*job)`` for every job on a backend, yielding results as they finish.

    Args:
        fn: A top-level (picklable) function.
        jobs: Argument tuples.
        backend: ``local`` or ``dask``.
        workers: Worker processes (default: one per core; ignored with ``scheduler``).
        scheduler: Address of a running Dask scheduler (``dask`` only).

    Yields:
        Each call's return value, in completion order.

    Raises:
        ParameterError: Bad arguments or an unreachable scheduler.
        Exception: The first exception a call raised (the others are cancelled).
    """
    check_backend_args(backend, workers, scheduler)
    if not jobs:
        return
    n = min(workers or default_workers(), len(jobs))
    if backend == "local":
        yield from _run_local(fn, jobs, n)
    else:
        yield from _run_dask(fn, jobs, n, scheduler)


def _run_local(fn: Callable[..., Any], jobs: Sequence[Job], n: int) -> Iterator[Any]:
    pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(os.getpid(),))
    try:
        pending: set[Future[Any]] = {pool.submit(fn, *job) for job in jobs}
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    result = future.result()
                except BrokenProcessPool:
                    raise WorkerError("a worker process of the local pool died (killed or out "
                                      "of memory); finished runs are kept, rerun to resume"
                                      ) from None
                yield result
    except BaseException:
        # Ctrl-C, a failed member, or the caller stopped early: stop the members still
        # running now (their files are written under temporary names, so none looks done).
        processes = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _start_worker(parent: int) -> None:
    """Worker initialiser: leave Ctrl-C to the parent, and die with it.

    Ctrl-C is the parent's to handle (it stops the workers). A parent killed outright
    (``kill -9``, out of memory) cannot stop them, so each worker watches its parent and
    exits when it is gone, instead of finishing its member under PID 1.

    Args:
        parent: The process id of the process that started the pool.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=watch_parent, args=(parent,), name="narcosim-watch-parent",
                     daemon=True).start()


def watch_parent(parent: int, interval: float = PARENT_POLL_S) -> None:
    """Exit this process at once when ``parent`` is no longer its parent.

    A watchdog loop, polled rather than ``prctl(PR_SET_PDEATHSIG)``: the kernel sends
    that signal when the *thread* that started the child exits, which would kill the
    workers of a pool started from a short-lived thread. When the parent dies the child
    is re-parented (to PID 1 or a subreaper), so its parent id changes.

    Args:
        parent: The process id the worker was started by.
        interval: Seconds between checks.
    """
    while os.getppid() == parent:
        time.sleep(interval)
    os._exit(1)  # no cleanup: the member's files are under temporary names


def _run_dask(fn: Callable[..., Any], jobs: Sequence[Job], n: int,
              scheduler: str | None) -> Iterator[Any]:
    from distributed import Client, KilledWorker, LocalCluster, as_completed

    cluster = None
    if scheduler is not None:
        address = check_scheduler_reachable(scheduler)
        try:
            client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s")
        except (OSError, TimeoutError) as error:
            raise ParameterError(f"--scheduler {scheduler}: no Dask scheduler answered "
                                 f"({type(error).__name__})") from None
    else:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(fn, *job, pure=False) for job in jobs]
        try:
            for future in as_completed(futures):
                try:
                    result = future.result()
                except KilledWorker:
                    raise WorkerError("Dask workers died running a member (killed or out of "
                                      "memory); finished runs are kept, rerun to resume"
                                      ) from None
                yield result
        finally:
            client.cancel(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
