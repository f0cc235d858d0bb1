"""One resume loop for ensembles and comparisons (issue 13).

``run_ensemble`` and ``run_arms`` must both run their members through
:func:`narcosim.run.resume.resume_members`: a spy on the loop's backend call sees the members
each one submits, and a resumed ensemble and a resumed comparison submit only the members not
finished on disk (members left alone keep their files, inode and mtime). The loop's own
contract (order, progress, the error hook) is checked with a fake worker.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import narcosim.run.resume as resume
from narcosim.analysis.arms import ArmSpec, arm_folder, run_arms
from narcosim.run.ensemble import ENSEMBLE, RUNS, EnsembleSpec, run_ensemble
from narcosim.run.member import member_name, member_seeds
from narcosim.run.resume import MemberJob, member_index, prepare_runs_dir, resume_members

START, END, SCALE, SEED = "2015-01-01", "2015-01-31", 1000, 13


@pytest.fixture
def submitted(monkeypatch) -> list[tuple[str, tuple[Any, ...]]]:
    """Every job the resume loop hands to a backend, run here in order (no worker pool)."""
    seen: list[tuple[str, tuple[Any, ...]]] = []

    def in_process(fn, jobs, **_backend):
        for job in jobs:
            seen.append((fn.__name__, tuple(job)))
            yield fn(*job)

    monkeypatch.setattr(resume, "run_jobs", in_process)
    return seen


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def test_resumed_ensemble_and_comparison_go_through_the_one_loop(submitted, atlas_store,
                                                                   tmp_path):
    spec = EnsembleSpec(store=str(atlas_store), scale=SCALE, start=START, end=END)
    seeds = member_seeds(SEED, 2)

    # an ensemble of 1, extended to 2: the loop runs member 0, then member 1 only
    first = run_ensemble(spec, 1, SEED, out_dir=tmp_path / "ens", workers=1)
    assert [(fn, job[1:3]) for fn, job in submitted] == [("run_member", (0, seeds[0]))]
    kept = stamps(tmp_path / "ens" / RUNS)
    submitted.clear()
    again = run_ensemble(spec, 2, SEED, out_dir=tmp_path / "ens", workers=1)
    assert [(fn, job[1:3]) for fn, job in submitted] == [("run_member", (1, seeds[1]))]
    assert (first.ran, again.skipped, again.ran) == ((0,), (0,), (1,))
    after = stamps(tmp_path / "ens" / RUNS)
    assert {k: after[k] for k in kept} == kept
    manifest = json.loads((tmp_path / "ens" / ENSEMBLE).read_text())
    assert (manifest["ran"], manifest["skipped"]) == ([1], [0])

    # two arms of 1; arm b's member 0 is cut short (its json lost), then 2 members each:
    # the loop reruns that one and runs the new ones, in arm-major order, and nothing else
    arms = [ArmSpec(name, "test", name, (), spec) for name in ("a", "b")]
    submitted.clear()
    run_arms(arms, 1, SEED, out_dir=tmp_path / "cmp", workers=1)
    assert [(fn, job[0], job[2]) for fn, job in submitted] == [("run_arm_member", 0, 0),
                                                                ("run_arm_member", 1, 0)]
    a_runs, b_runs = (arm_folder(tmp_path / "cmp", i, n) / RUNS for i, n in enumerate("ab"))
    (b_runs / f"{member_name(0)}.json").unlink()
    kept = stamps(a_runs)
    submitted.clear()
    runs = run_arms(arms, 2, SEED, out_dir=tmp_path / "cmp", workers=1)
    assert [(job[0], job[2], job[3]) for _, job in submitted] == [
        (0, 1, seeds[1]), (1, 0, seeds[0]), (1, 1, seeds[1])]
    assert runs.skipped == ((0, 0),) and runs.ran == ((0, 1), (1, 0), (1, 1))
    after = stamps(a_runs)
    assert {k: after[k] for k in kept} == kept
    # member i of both arms ran on the same seed: the same results, bit for bit
    for i in range(2):
        assert runs.files[0][i].read_bytes() == runs.files[1][i].read_bytes()


def fake_member(runs_dir: str, index: int, seed: int) -> dict[str, Any]:
    return {"index": index, "seed": seed, "runs_dir": runs_dir}


def test_loop_order_progress_and_error_hook(submitted, monkeypatch, tmp_path):
    """Jobs go out in the order given; progress counts up to ``total``; an error reaches the
    hook with the members finished so far, then propagates."""
    prepare_runs_dir(tmp_path / "runs")
    (tmp_path / "runs" / ".run-0000.parquet.tmp-123").write_text("half written")
    prepare_runs_dir(tmp_path / "runs")
    assert list((tmp_path / "runs").iterdir()) == []

    jobs = [MemberJob(i, tmp_path / "runs", i, 100 + i, (str(tmp_path), i, 100 + i))
            for i in range(3)]
    calls: list[tuple[int, int, Any]] = []
    result = resume_members(jobs, fake_member, key_of=member_index,
                            progress=lambda d, t, r: calls.append((d, t, r and r["index"])),
                            total=5)
    assert [job for _, job in submitted] == [job.args for job in jobs]
    assert calls == [(0, 5, None), (1, 5, 0), (2, 5, 1), (3, 5, 2)]
    assert result.ran == (0, 1, 2) and result.skipped == ()
    assert list(result.records) == [0, 1, 2]

    def dies_after_one(fn, jobs, **_backend):
        yield fn(*jobs[0])
        raise RuntimeError("worker died")

    monkeypatch.setattr(resume, "run_jobs", dies_after_one)
    hooked: list[tuple[str, list[Any]]] = []
    with pytest.raises(RuntimeError, match="worker died"):
        resume_members(jobs, fake_member, key_of=member_index,
                       on_error=lambda e, done: hooked.append((str(e), list(done))))
    assert hooked == [("worker died", [0])]
