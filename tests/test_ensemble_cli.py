"""``narcosim ensemble``: one-line errors with exit 2, and resuming after a kill.

The kill test runs the command in its own process group with one worker, kills the whole
group (SIGKILL: no clean-up code runs) once two members are saved, and reruns it: the saved
members must be left alone (same inode and mtime), only the missing ones run, and the
result must equal an ensemble that was never interrupted.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from narcosim.cli import main
from narcosim.run.bands import ANNUAL_BANDS, BANDS
from narcosim.run.ensemble import (
    ENSEMBLE,
    EnsembleSpec,
    member_seeds,
    read_member,
    run_ensemble,
)

START, END = "2015-12-15", "2016-01-12"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["ensemble", *[str(a) for a in args]])
    out = capsys.readouterr()
    return exit_info.value.code, out.out, out.err


def assert_one_line_error(code, err, *fragments):
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("args, fragments", [
    (["--runs", "0"], ["--runs 0", "from 1 to 10,000"]),
    (["--runs", "-3"], ["--runs -3"]),
    (["--workers", "0"], ["--workers 0", ">= 1"]),
    (["--backend", "slurm"], ["--backend 'slurm'", "local, dask"]),
    (["--seed", "-1"], ["--seed -1"]),
    (["--scale", "0"], ["--scale 0"]),
    (["baseline"], ["unknown scenario 'baseline'"]),
    (["--scheduler", "tcp://127.0.0.1:8786"], ["needs --backend dask"]),
    (["--backend", "dask", "--scheduler", "http://127.0.0.1:8786"], ["tcp://HOST:PORT"]),
    (["--backend", "dask", "--scheduler", "127.0.0.1"], ["tcp://HOST:PORT"]),
    (["--backend", "dask", "--scheduler", "PORT"], ["cannot connect to 127.0.0.1:"]),
    (["--end", "2016-13-01"], ["'2016-13-01'", "not a date (write YYYY-MM-DD)"]),
    (["--end", "2014-01-01"], ["--end 2014-01-01: before the start"]),
])
def test_bad_arguments_give_one_line_and_exit_2(args, fragments, tmp_path, atlas_store, capsys):
    args = [f"127.0.0.1:{free_port()}" if a == "PORT" else a for a in args]
    out = tmp_path / "ens"
    code, stdout, err = run_cli([*args, "--store", atlas_store, "--out", out, "--start", START],
                                capsys)
    assert_one_line_error(code, err, *fragments)
    assert stdout == ""
    assert not out.exists()


def test_missing_store_and_foreign_folder_are_one_line(tmp_path, atlas_store, capsys):
    code, _, err = run_cli(["--store", tmp_path / "none.duckdb", "--out", tmp_path / "a"],
                           capsys)
    assert_one_line_error(code, err, "no atlas store at", "none.duckdb")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    code, _, err = run_cli(["--store", atlas_store, "--out", foreign, "--start", START,
                            "--end", END], capsys)
    assert_one_line_error(code, err, "not an ensemble folder")
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


def ensemble_argv(out: Path, store: Path, runs: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "narcosim", "ensemble", "--runs", str(runs), "--seed", "11",
            "--workers", str(workers), "--start", START, "--end", END, "--store", str(store),
            "--out", str(out)]


def stats(paths):
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths}


@pytest.mark.slow
def test_killed_ensemble_resumes_only_missing_runs(tmp_path, atlas_store):
    out, runs = tmp_path / "ens", 6
    seeds = member_seeds(11, runs)
    log = (tmp_path / "first.log").open("w")
    proc = subprocess.Popen(ensemble_argv(out, atlas_store, runs, 1), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 180
    try:
        while (len(list((out / "runs").glob("run-*.json"))) < 2 and proc.poll() is None
               and time.monotonic() < deadline):
            time.sleep(0.02)
        assert proc.poll() is None, "the ensemble ended before it could be killed: " + \
            (tmp_path / "first.log").read_text()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the command and its worker processes
        proc.wait()
        log.close()
    finished = [i for i in range(runs) if read_member(out / "runs", i, seeds[i]) is not None]
    assert 2 <= len(finished) < runs
    saved = stats(p for i in finished for p in (out / "runs").glob(f"run-{i:04d}.*"))
    assert len(saved) == 2 * len(finished)
    assert json.loads((out / ENSEMBLE).read_text())["status"] == "running"

    again = subprocess.run(ensemble_argv(out, atlas_store, runs, 1), capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    missing = [i for i in range(runs) if i not in finished]
    assert f"ran {len(missing)} " in again.stdout
    assert f"{len(finished)} already done" in again.stdout
    manifest = json.loads((out / ENSEMBLE).read_text())
    assert manifest["status"] == "complete"
    assert manifest["ran"] == missing and manifest["skipped"] == finished
    after = stats((out / "runs").iterdir())
    assert {k: after[k] for k in saved} == saved  # finished runs were not rewritten
    assert sorted(after) == sorted(f"run-{i:04d}.{x}" for i in range(runs)
                                   for x in ("json", "parquet"))  # no temporary files left

    whole = run_ensemble(EnsembleSpec.from_dict(manifest["spec"]), runs, 11, workers=2,
                         out_dir=tmp_path / "whole")
    assert whole.ran == tuple(range(runs))
    for i in range(runs):
        pd.testing.assert_frame_equal(pd.read_parquet(out / "runs" / f"run-{i:04d}.parquet"),
                                      pd.read_parquet(whole.member_files()[i]),
                                      check_exact=True)
    for name in (BANDS, ANNUAL_BANDS):
        pd.testing.assert_frame_equal(pd.read_parquet(out / name),
                                      pd.read_parquet(whole.out_dir / name), check_exact=True)


def test_other_spec_needs_force_which_replaces_the_old_members(tmp_path, atlas_store, capsys):
    out = tmp_path / "ens"
    common = ["--store", atlas_store, "--out", out, "--start", START, "--seed", "4"]
    code, _, err = run_cli(["--runs", "1", "--end", END, *common], capsys)
    assert code in (0, None), err
    first = json.loads((out / ENSEMBLE).read_text())
    old_sha = first["members"][0]["sha256"]
    code, _, err = run_cli(["--runs", "1", "--end", "2016-01-26", *common], capsys)
    assert_one_line_error(code, err, "different end", "'2016-01-12' there", "--force")
    assert json.loads((out / ENSEMBLE).read_text()) == first  # untouched
    code, stdout, err = run_cli(["--runs", "1", "--end", "2016-01-26", "--force", *common],
                                capsys)
    assert code in (0, None), err
    assert "ran 1 " in stdout and "0 already done" in stdout
    now = json.loads((out / ENSEMBLE).read_text())
    assert now["spec"]["end"] == "2016-01-26" and now["members"][0]["sha256"] != old_sha
    weeks = pd.read_parquet(out / "runs" / "run-0000.parquet")["date"].nunique()
    assert weeks == 7  # 2015-12-15 .. 2016-01-26, weekly
