"""The scriptable CLI: --version, -h everywhere, --top, the ETA after a resume, every problem.

Runs in-process through :func:`narcosim.cli.main`, on the session's store.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from rich.progress import Progress, TimeRemainingColumn

from fuzz_support import assert_refused
from fuzz_support import cli as run_cli
from narcosim.cli.app import package_version
from narcosim.cli.output import ResumeEtaColumn


def test_version_and_short_help(capsys):
    code, out, err = run_cli(["--version"], capsys)
    assert code == 0 and out.strip() == f"narcosim {package_version()}" and not err
    assert package_version()[0].isdigit()
    for argv in (["-h"], ["run", "-h"], ["network", "show", "-h"],
                 ["calibrate", "seizures", "-h"], ["atlas", "map", "-h"], ["serve", "-h"]):
        code, out, _ = run_cli(argv, capsys)
        assert code == 0 and "Usage:" in out and "--help" in out, argv
    code, out, _ = run_cli(["--help"], capsys)
    assert "--version" in out and "-h" in out


def test_atlas_map_top_lists_ranked_states(atlas_store: Path, tmp_path: Path, capsys):
    code, out, err = run_cli(["atlas", "map", "--per", "100000", "--top", "10", "--out",
                              str(tmp_path / "m.html"), "--store", str(atlas_store)], capsys)
    assert code == 0, err
    ranks = [line.split("│")[1].strip() for line in out.splitlines()
             if line.startswith("│") and line.split("│")[1].strip().isdigit()]
    assert ranks == [str(i) for i in range(1, 11)]
    code, out, err = run_cli(["atlas", "map", "--top", "-2", "--store", str(atlas_store)],
                             capsys)
    assert_refused(code, out, err, "--top -2")


def _eta(column, completed_before: int, total: int, seconds: float, more: int) -> str:
    clock = [0.0]
    progress = Progress(column, console=Console(file=open("/dev/null", "w")),  # noqa: SIM115
                        get_time=lambda: clock[0], auto_refresh=False)
    task = progress.add_task("runs", total=total)
    progress.reset(task, completed=completed_before, total=total, resumed=completed_before)
    for k in range(1, more + 1):
        clock[0] = seconds * k
        progress.update(task, completed=completed_before + k)
    text = column.render(progress.tasks[0]).plain
    progress.console.file.close()
    return text


def test_eta_after_a_resume_uses_the_runs_of_this_session():
    # 10 of 20 runs were done before; this session ran 2 in 90 s (45 s each): 8 left, 6 min
    assert _eta(ResumeEtaColumn(), 10, 20, 45.0, 2) == "0:06:00"
    # rich's own column measures speed over its last 30 s only: no estimate for 45-s runs
    assert _eta(TimeRemainingColumn(), 10, 20, 45.0, 2) != "0:06:00"
    # before the first run of the session there is nothing to go by
    assert _eta(ResumeEtaColumn(), 10, 20, 45.0, 0) == "-:--:--"


BAD = """[scenario]
name = "three problems"
start = 2015-01-01
end = 2016-12-31

[[interventions]]
kind = "naloxone"
start = 2016-01-01
end = 2016-12-31
intensity = -1.0
annual_cost = -5.0
target = "ZZ"
"""


def test_run_lists_every_problem_like_validate(atlas_store: Path, tmp_path: Path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(BAD, encoding="utf-8")
    code, out, _ = run_cli(["validate", str(path), "--store", str(atlas_store)], capsys)
    problems = out.strip().splitlines()
    assert code == 2 and len(problems) >= 2
    code, out, err = run_cli(["run", str(path), "--store", str(atlas_store), "--out",
                              str(tmp_path / "run")], capsys)
    line = assert_refused(code, out, err)
    for problem in problems:
        if ":0:" not in problem:  # a store problem: run checks targets when it builds
            assert problem.split(": ", 1)[1] in line, (problem, line)
    assert f"({len([p for p in problems if ':0:' not in p])} problems" in line
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("argv", [["atlas", "sources", "--json"], ["validate", "--list",
                                                                   "--json"]])
def test_json_is_alone_on_stdout(argv, capsys):
    import json

    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    json.loads(out)
