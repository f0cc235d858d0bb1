"""Every command the README shows has a ``--json`` form whose output parses and is documented.

Each command runs in this process (small scale, short horizon) on the session's store and
must print exactly one JSON document on stdout; its top-level keys must be the ones
``docs/cli-json.md`` lists for it, no more and no fewer. A second test reads the README and
checks that every command it shows is among the cases here, so a new README command without a
``--json`` case fails.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from narcosim.cli import main
from narcosim.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "cli-json.md"
SHORT = ["--scale", "10000", "--end", "2015-03-31"]

#: (command path, extra arguments; ``{tmp}``, ``{store}``, ``{data}``, ``{run}`` filled in).
CASES: list[tuple[str, list[str]]] = [
    ("atlas import", ["{data}", "--store", "{tmp}/store.duckdb"]),
    ("atlas export", ["--out", "{tmp}/export", "--format", "csv", "--store", "{store}"]),
    ("atlas sources", ["--store", "{store}"]),
    ("atlas map", ["--drug", "fentanyl", "--year", "2023", "--per", "100000", "--top", "10",
                   "--out", "{tmp}/map.html", "--store", "{store}"]),
    ("atlas chart", ["--out", "{tmp}/chart.html", "--store", "{store}"]),
    ("run", [*SHORT, "--out", "{tmp}/run", "--store", "{store}"]),
    ("report", ["{run}", "--store", "{store}"]),
    ("ensemble", ["--runs", "2", *SHORT, "--fixed-params", "--workers", "1",
                  "--out", "{tmp}/ensemble", "--store", "{store}"]),
    ("compare", ["status_quo", "test_strips", "--runs", "1", "--scale", "10000", "--end",
                 "2015-03-31", "--from", "2015-01-01", "--to", "2015-03-31", "--workers", "1",
                 "--fixed-params", "--out", "{tmp}/compare", "--store", "{store}"]),
    ("sensitivity", ["--method", "morris", "--n", "2", "--param", "people.od_fentanyl",
                     "--intervention", "none", *SHORT, "--workers", "1",
                     "--out", "{tmp}/sensitivity", "--store", "{store}"]),
    ("validate", ["last_mile", "--store", "{store}"]),
    ("validate --list", []),
    ("validate --schema", []),
    ("calibrate seizures", ["--check", "--store", "{store}"]),
    ("calibrate --report", ["--scale", "10000", "--store", "{store}"]),
    ("calibrate last-mile", ["--seeds", "1", "--store", "{store}"]),
    ("forecast", ["--horizons", "1", "--scale", "10000", "--out", "{tmp}/forecast.csv",
                  "--store", "{store}"]),
    ("orgs workforce", ["--store", "{store}"]),
    ("network show", ["--store", "{store}"]),
    ("network export", ["--out", "{tmp}/net", "--graphs", "alliances", "--format", "csv",
                        "--store", "{store}"]),
    ("network metrics", ["--k", "2", "--restarts", "0", "--store", "{store}"]),
    ("network disrupt", ["--strategy", "betweenness", "--fraction", "0.1",
                         "--store", "{store}"]),
    ("network scenario", ["--strategy", "keyplayer", "--out", "{tmp}/kp.toml",
                          "--store", "{store}"]),
    ("network page", ["--out", "{tmp}/page.html", "--store", "{store}"]),
    ("network flowmap", ["--run", "{run}", "--out", "{tmp}/flows.html", "--year", "2015",
                         "--store", "{store}"]),
    ("assess", ["2022", "--no-pdf", "--out", "{tmp}/assess",
                "--store", "{store}"]),
]
#: README commands not run here, and why.
NOT_RUN = {
    "atlas download": "fetches from the publishers (tests/test_download.py serves them on "
                      "loopback); its --json keys are documented and checked there by name",
    "calibrate": "the Optuna fit takes minutes; --report (same keys but 'fitted', 'backtest') "
                 "runs here",
    "evaluate": "rolling-origin fits take minutes; tests/test_evaluate_cli.py runs it",
    "serve": "a server, not a results command (tests/test_serve.py checks its JSON API "
             "against its OpenAPI schema)",
}


def documented_keys() -> dict[str, set[str]]:
    """``docs/cli-json.md``: per ``### `narcosim X` `` heading, the keys of its table."""
    text = DOC.read_text(encoding="utf-8")
    out: dict[str, set[str]] = {}
    for section in re.split(r"^### ", text, flags=re.M)[1:]:
        head = re.match(r"`narcosim ([^`]+?)(?: --json)?`", section)
        if head:
            out[head.group(1).strip()] = set(re.findall(r"^\| `([A-Za-z0-9_$]+)` \|", section,
                                                        flags=re.M))
    return out


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(argv)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def short_run(atlas_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder covering 2015 (complete year: a report can be drawn)."""
    folder = tmp_path_factory.mktemp("cli_json") / "run2015"
    main_args = ["run", "--scale", "10000", "--end", "2015-12-31", "--out", str(folder),
                 "--store", str(atlas_store), "--json"]
    try:
        main(main_args)
    except SystemExit as stop:
        assert not stop.code, stop.code
    return folder


@pytest.mark.slow
@pytest.mark.parametrize(("command", "extra"), CASES, ids=[c for c, _ in CASES])
def test_json_form_parses_and_its_keys_are_documented(command, extra, atlas_store, data_dir,
                                                      short_run, tmp_path, capsys):
    fill = {"tmp": str(tmp_path), "store": str(atlas_store), "data": str(data_dir),
            "run": str(short_run)}
    argv = [*command.split(), *(a.format(**fill) for a in extra), "--json"]
    code, out, err = _run(argv, capsys)
    assert code == 0, (argv, err)
    data = json.loads(out)  # the whole of stdout is one JSON document
    assert "Traceback" not in err
    docs = documented_keys()
    assert command in docs, f"docs/cli-json.md has no section for narcosim {command}"
    if isinstance(data, dict):
        assert set(data) == docs[command], (command, sorted(data), sorted(docs[command]))
    else:  # atlas sources: a list of rows, the documented keys are each row's
        assert data and all(set(row) == docs[command] for row in data), command
    if command == "atlas map":
        assert len(data["top"]) == 10
        rates = [row["value"] for row in data["top"]]
        assert rates == sorted(rates, reverse=True)
    if command == "run":
        assert data["summary"]["deaths_by_year"]["fentanyl"]
    if command == "validate":
        assert data["ok"] is True and data["problems"] == []
    shutil.rmtree(tmp_path, ignore_errors=True)


def _command_paths() -> set[str]:
    """Every command path of the app (``run``, ``atlas map``, …)."""
    import typer.main

    paths: set[str] = set()

    def walk(group, prefix: str) -> None:
        for name, cmd in getattr(group, "commands", {}).items():
            path = f"{prefix} {name}".strip()
            paths.add(path)
            walk(cmd, path)

    walk(typer.main.get_command(app), "")
    return paths


def test_every_readme_command_has_a_json_case():
    known = _command_paths()
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set()
    for snippet in re.findall(r"`(narcosim [^`]+)`", text):
        words = snippet.split()[1:]
        path = ""
        for word in words:
            candidate = f"{path} {word}".strip()
            if candidate in known:
                path = candidate
            else:
                break
        if not path:
            continue
        flags = {w for w in words if w in ("--report", "--list", "--schema")}
        shown.add(f"{path} {min(flags)}" if flags else path)
    cases = {c for c, _ in CASES} | set(NOT_RUN)
    missing = sorted(shown - cases)
    assert not missing, f"README commands without a --json case: {missing}"
    assert {"run", "atlas map", "compare", "ensemble"} <= shown


def test_every_case_and_every_results_command_is_documented():
    docs = documented_keys()
    for command in [c for c, _ in CASES] + ["atlas download", "calibrate", "evaluate",
                                            "calibrate posterior"]:
        assert docs.get(command), f"docs/cli-json.md: no keys for narcosim {command}"
