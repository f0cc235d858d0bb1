"""Kill -9 fault trials of ``run``, ``ensemble`` and ``compare``, and workers that die with
their parent.

Each command gets 20 trials. A trial starts the command (small scale, half a year) in its own
session, kills only the parent with SIGKILL after a seeded random delay, then checks:

* no process of the session is left 10 s later (an ensemble's pool workers once kept
  running under PID 1);
* the output folder is either complete and verified against its recorded sha256, or
  clearly partial (no folder, a ``.partial`` folder, an ``ensemble.json`` whose status is
  not ``complete``, no ``comparison.json``).

Each trial runs into the folder the previous one was killed in (a folder found complete is
removed first), so most trials are reruns of a killed command; the delays are fractions
(0.1-0.9) of one uninterrupted run's time, measured first; after the twenty, a last rerun must
complete.
The pool tests (one local, one Dask) kill an ensemble while its members run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from narcosim.analysis.compare import COMPARISON_JSON
from narcosim.atlas.provenance import sha256_file
from narcosim.run.folder import (
    partial_path,
    read_json_object,
    read_run_folder,
    verify_ensemble_files,
)

REPO = Path(__file__).resolve().parents[1]
TRIALS = 20
#: Seconds a killed command's processes may outlive it.
ORPHAN_WAIT_S = 10.0
SMALL = ("--scale", "10000", "--end", "2015-06-30")


def _argv(command: str, out: Path, store: Path) -> list[str]:
    common = [*SMALL, "--out", str(out), "--store", str(store)]
    if command == "run":
        return ["run", *common, "--force"]
    if command == "ensemble":
        return ["ensemble", "--runs", "4", "--workers", "2", "--fixed-params", *common]
    return ["compare", "default", "border_surge", "--runs", "2", "--workers", "2",
            "--from", "2015-01-01", *common]


def _start(argv: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen([sys.executable, "-m", "narcosim", *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)


def session_processes(session: int) -> list[int]:
    """Live (not zombie) processes of a session, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == session and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def assert_no_orphans(session: int) -> float:
    """Wait up to :data:`ORPHAN_WAIT_S` for a session to empty; return the seconds taken."""
    t0 = time.monotonic()
    while (left := session_processes(session)) and time.monotonic() - t0 < ORPHAN_WAIT_S:
        time.sleep(0.1)
    if left:
        for pid in left:  # clean up before failing, so one failure does not slow the rest
            os.kill(pid, signal.SIGKILL)
    assert not left, f"orphans {ORPHAN_WAIT_S:.0f} s after the kill: {left}"
    return time.monotonic() - t0


def check_run(out: Path) -> bool:
    """True if complete (and verified); otherwise it must be clearly partial."""
    partial = partial_path(out)
    if partial.is_dir() and (partial / "manifest.json").is_file():
        status = json.loads((partial / "manifest.json").read_text("utf-8")).get("status")
        assert status != "complete"
    if not out.exists():
        return False
    read_run_folder(out)  # complete: status complete, every sha256 matches
    return True


def check_ensemble(out: Path) -> bool:
    if not (out / "ensemble.json").is_file():
        return False
    meta = read_json_object(out, "ensemble.json")
    if meta.get("status") != "complete":
        return False
    verify_ensemble_files(out, meta)
    assert len(meta["members"]) == 4
    return True


def check_compare(out: Path) -> bool:
    if not (out / COMPARISON_JSON).is_file():
        return False
    data = read_json_object(out, COMPARISON_JSON)
    assert set(data["outputs"]) == {"comparison.parquet", "comparison_members.parquet"}
    for name, info in data["outputs"].items():
        assert sha256_file(out / name) == info["sha256"], name
    return True


CHECKS = {"run": check_run, "ensemble": check_ensemble, "compare": check_compare}


@pytest.mark.slow
@pytest.mark.parametrize("command", list(CHECKS))
def test_kill_at_random_points_then_rerun(command, atlas_store, tmp_path):
    out = tmp_path / command
    argv = _argv(command, out, atlas_store)
    # the delays are fractions of one uninterrupted run's time on this machine now (a fixed
    # number of seconds killed most trials on a loaded machine and few on an idle one)
    probe = _start(_argv(command, tmp_path / "probe", atlas_store))
    t0 = time.monotonic()
    _, err = probe.communicate(timeout=600)
    assert probe.returncode == 0, err.decode()
    full = time.monotonic() - t0
    delays = full * np.random.default_rng([20261203, len(command)]).uniform(0.1, 0.9, TRIALS)
    killed, complete, waits = 0, 0, []
    for delay in delays:
        if CHECKS[command](out):  # a complete folder starts the next trial afresh
            shutil.rmtree(out)
        proc = _start(argv)
        try:
            proc.wait(timeout=float(delay))
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)  # the parent only: its workers must follow
            proc.wait()
            killed += 1
        else:
            assert proc.returncode == 0, proc.stderr.read().decode()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
        waits.append(assert_no_orphans(proc.pid))
        complete += CHECKS[command](out)
    assert killed >= TRIALS // 2, killed  # the delays really fall inside the command
    final = _start(argv)
    _, err = final.communicate(timeout=600)
    assert final.returncode == 0, err.decode()
    assert_no_orphans(final.pid)
    assert CHECKS[command](out)
    print(f"{command}: {killed} of {TRIALS} trials killed (longest orphan wait "
          f"{max(waits):.1f} s), {complete} found complete and verified, the rest partial; "
          "the rerun completed")


@pytest.mark.parametrize("backend", ["local", "dask"])
def test_pool_workers_die_with_their_parent(backend, atlas_store, tmp_path):
    """Kill -9 an ensemble's parent while its members run: no worker outlives it by 10 s.

    Before the workers watched their parent, local pool workers finished their member (tens
    of seconds here) under PID 1.
    """
    proc = _start(["ensemble", "--runs", "2", "--workers", "2", "--fixed-params",
                   "--backend", backend, "--scale", "10000", "--end", "2024-12-31",
                   "--out", str(tmp_path / "e"), "--store", str(atlas_store)])
    t0 = time.monotonic()
    while len(session_processes(proc.pid)) < 3 and time.monotonic() - t0 < 120:
        assert proc.poll() is None, proc.stderr.read().decode()  # type: ignore[union-attr]
        time.sleep(0.2)
    assert len(session_processes(proc.pid)) >= 3, "the workers never started"
    time.sleep(8.0)  # the workers are into their members (a member takes ~30 s here)
    assert proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()  # type: ignore[union-attr]
    assert_no_orphans(proc.pid)
    meta = tmp_path / "e" / "ensemble.json"
    assert json.loads(meta.read_text("utf-8"))["status"] == "running"  # clearly partial
