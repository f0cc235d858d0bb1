"""Memory: estimated before anything is allocated, refused in one line when it will not fit,
and no fuzz input takes a process above 2 GB.

``narcosim run --end 9999-12-31`` once reached 5.4 GB in 20 s and ``ensemble --runs
1000000000`` grew by 95 MB/s; now the horizon and counts are bounded and a job whose
estimate (run/memory.py, fitted to measured peaks) is above ``--max-memory`` is refused.
Peaks are measured as the kernel counts them: ``ru_maxrss`` of a child process, from
``os.wait4``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from fuzz_support import assert_refused, cli
from narcosim.run import memory

REPO = Path(__file__).resolve().parents[1]
GB = 1e9


#: Started by :func:`_peak`: runs the command and prints its exit code and peak RSS (KiB).
#: A child's ru_maxrss starts from the memory of the process it was forked from (Linux keeps
#: the old image's high-water mark at exec), so the command is forked from this small
#: launcher, never from the test process (1.7 GB late in the whole suite).
_LAUNCHER = """
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def _peak(argv: list[str], cwd: Path) -> tuple[int, int]:
    """Run a child; return (exit code, its peak resident set in bytes)."""
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO / 'tests'}"}
    out = subprocess.run([sys.executable, "-c", _LAUNCHER, *argv], cwd=cwd, env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    return int(out[0]), int(out[1]) * 1024  # kilobytes on Linux


def test_the_estimate_covers_a_measured_run(atlas_store, tmp_path):
    code, peak = _peak([sys.executable, "-m", "narcosim", "run", "--scale", "1000", "--end",
                        "2017-12-31", "--out", str(tmp_path / "r"), "--store",
                        str(atlas_store)], tmp_path)
    assert code == 0
    steps = memory.run_steps(date(2015, 1, 1), date(2017, 12, 31))
    estimate = memory.estimate_run_bytes(1000, steps)
    assert peak <= estimate <= 2 * peak, (peak, estimate)


@pytest.mark.parametrize(("argv", "says"), [
    (["run", "--scale", "1", "--end", "2050-12-31", "--max-memory", "2G"],
     "a run at 1:1 over 1,879 weeks needs about 6.0 GB of memory, more than 2.0 GB "
     "(--max-memory)"),
    (["ensemble", "--scale", "1", "--workers", "8", "--max-memory", "16GB"],
     "an ensemble of 10 runs at 1:1 over 627 weeks on 8 workers needs about"),
    (["compare", "default", "border_surge", "--scale", "10", "--workers", "64",
      "--max-memory", "4GiB"], "2 scenarios x 10 runs at 1:10 over 627 weeks on 20 workers"),
    (["run", "--max-memory", "lots"], "--max-memory 'lots': write a size like 4G"),
    (["run", "--max-memory", "-1G"], "--max-memory '-1G'"),
    (["run", "--max-memory", "0"], "--max-memory '0': must be from 1 byte to 1 PiB"),
    (["run", "--max-memory", "9e99T"], "--max-memory '9e99T': must be from 1 byte to 1 PiB"),
    (["run", "--max-memory", "nan"], "--max-memory 'nan'"),
    (["run", "--max-memory", "inf"], "--max-memory 'inf'"),
])
def test_a_job_that_will_not_fit_is_refused_in_one_line(argv, says, tmp_path, monkeypatch,
                                                        capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli([*argv, "--out", str(tmp_path / "out"), "--store",
                          str(tmp_path / "no-store.duckdb")], capsys)
    assert_refused(code, out, err, says)
    assert not any(tmp_path.iterdir())


def test_the_default_limit_is_a_share_of_the_memory_available(tmp_path, monkeypatch,
                                                              capsys):
    monkeypatch.setattr(memory, "available_bytes", lambda: int(1 * GB))
    code, out, err = cli(["run", "--scale", "10", "--out", str(tmp_path / "out"), "--store",
                          str(tmp_path / "no-store.duckdb")], capsys)
    assert_refused(code, out, err, "more than 800.0 MB (80% of the memory available now "
                   "(--max-memory))")
    assert memory.default_max_memory() == int(0.8 * GB)


def test_estimates_grow_with_horizon_scale_and_workers():
    run = memory.estimate_run_bytes
    assert run(100, 100) < run(100, 1000) < run(10, 1000) < run(1, 1000)
    assert memory.estimate_pool_bytes(100, 600, 4, 10) == 5 * run(100, 600)
    assert memory.estimate_pool_bytes(100, 600, 64, 3) == 4 * run(100, 600)  # 3 workers
    assert memory.parse_memory("1.5GB") == 1_500_000_000
    assert memory.parse_memory("512MiB") == 512 * 2**20
    assert memory.parse_memory(None) is None


CHILD = """
import contextlib, io, json, os, resource, sys, tempfile
import test_fuzz_cli, test_fuzz_scenario
from narcosim.cli import main

def call(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
            return 0
        except SystemExit as stop:
            return stop.code if isinstance(stop.code, int) else 1

store, result = sys.argv[1], sys.argv[2]
codes = []
with tempfile.TemporaryDirectory() as work:
    os.chdir(work)
    os.environ["NARCOSIM_HOME"] = os.path.join(work, "home")
    for argv in test_fuzz_cli.CORPUS.values():
        codes.append(call([os.path.join(work, "missing") if a == "RUN_DIR" else a
                           for a in argv]))
    for argv in test_fuzz_cli.LIMIT_CASES:  # the real store: an accepted case would run
        codes.append(call([*argv, "--store", store] if argv[0] != "calibrate"
                          else list(argv)))
    for text in test_fuzz_scenario.CORPUS.values():
        with open("bad.toml", "w", encoding="utf-8") as handle:
            handle.write(text)
        codes.append(call(["run", "bad.toml", "--out", "run", "--store", store]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
with open(result, "w", encoding="utf-8") as handle:
    json.dump({"codes": codes, "peak": peak}, handle)
"""


@pytest.mark.slow
def test_no_fuzz_input_takes_a_process_above_2_gb(atlas_store, tmp_path):
    """Every CLI and scenario fuzz input, with the real store, in one child: peak < 2 GB.

    One process runs them all in turn, so its peak bounds every input's; the child's own
    count (``ru_maxrss`` from ``wait4``) is checked too.
    """
    result = tmp_path / "result.json"
    code, peak = _peak([sys.executable, "-c", CHILD, str(atlas_store), str(result)], tmp_path)
    assert code == 0
    data = json.loads(result.read_text("utf-8"))
    codes = data["codes"]
    assert len(codes) >= 300, len(codes)
    assert set(codes) == {2}  # every input refused, none run
    assert max(peak, data["peak"]) < 2 * GB, (peak, data["peak"])
    print(f"{len(codes)} fuzz inputs, peak {peak / 1e6:.0f} MB")
