"""Fuzz command-line arguments: every malformed call is one line on stderr and exit 2.

Covers option-parsing errors (once click's five-line usage box), out-of-range numbers
(``--scale 9223372036854775808`` once raised OverflowError; ``--end 9999-12-31`` ran
until memory ran out), ``narcosim run ""`` (once ran the default) and missing inputs. Each
case is refused before any model is built or folder written; calls run in this process.
"""

from __future__ import annotations

import pytest

from fuzz_support import assert_refused, cli

#: Whole-number options of each command.
INT_OPTIONS = {
    "run": ("--seed", "--scale"),
    "ensemble": ("--runs", "--seed", "--scale", "--workers", "--controls"),
    "compare": ("--runs", "--seed", "--scale", "--workers"),
    "forecast": ("--scale", "--seed"),
    "evaluate": ("--trials", "--scale", "--forecast-scale", "--seed", "--folds", "--workers"),
    "calibrate": ("--seed", "--trials", "--scale", "--workers"),
    "report": ("--year",),
}
NOT_INTEGERS = ("abc", "1.5", "", "1e3", "0x10", "١٢")
COMMANDS = ("run", "ensemble", "compare", "forecast", "evaluate", "calibrate", "report",
            "validate", "atlas import", "atlas export", "atlas sources", "atlas download",
            "maps", "network", "orgs")


def _corpus() -> dict[str, list[str]]:
    cases: dict[str, list[str]] = {}
    for command, options in INT_OPTIONS.items():
        words = command.split()
        tail = ["RUN_DIR"] if command == "report" else []
        for option in options:
            for value in NOT_INTEGERS:
                cases[f"{command} {option} {value!r}"] = [*words, *tail, option, value]
    for command in COMMANDS:
        cases[f"{command} --no-such-option"] = [*command.split(), "--no-such-option"]
    cases["no such command"] = ["nosuch"]
    cases["--version with a value"] = ["--version=yes"]  # --version is a flag (it exists now)
    cases["-h with a value"] = ["run", "-h=1"]
    cases["atlas import without a folder"] = ["atlas", "import"]
    cases["report without a folder"] = ["report"]
    for option, value in (("--seed", "-1"), ("--seed", str(2**63)), ("--seed", "9" * 40),
                          ("--scale", "0"), ("--scale", "-100"), ("--scale", "10001"),
                          ("--scale", "1000000000"), ("--scale", "9223372036854775808"),
                          ("--end", "9999-12-31"), ("--end", "2051-01-01"),
                          ("--end", "2014-12-31"), ("--end", "abc"), ("--end", ""),
                          ("--end", "2020-02-30"), ("--end", "2020-13-01")):
        cases[f"run {option} {value}"] = ["run", option, value]
    for scenario in ("", " ", "nosuch", "missing.toml", "dir/missing.toml"):
        cases[f"run scenario {scenario!r}"] = ["run", scenario]
    for option, value in (("--workers", "0"), ("--workers", "100000"), ("--workers", "-1"),
                          ("--runs", "0"), ("--runs", "-5"), ("--backend", "nosuch"),
                          ("--scheduler", "tcp://localhost:1"), ("--seed", "-1"),
                          ("--scale", "0"), ("--scale", "9223372036854775808")):
        cases[f"ensemble {option} {value}"] = ["ensemble", option, value]
    cases["validate nosuch"] = ["validate", "nosuch"]
    cases["validate missing.toml"] = ["validate", "missing.toml"]
    return cases


CORPUS = _corpus()


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 150, len(CORPUS)


@pytest.mark.parametrize("case", list(CORPUS))
def test_bad_arguments_are_one_line(case, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # nothing may be written; a default runs/ would land here
    monkeypatch.setenv("NARCOSIM_HOME", str(tmp_path / "home"))
    argv = [str(tmp_path / "missing") if a == "RUN_DIR" else a for a in CORPUS[case]]
    code, out, err = cli(argv, capsys)
    if case.startswith("validate "):  # validate lists problems on stdout, one a line
        assert code == 2 and "Traceback" not in out + err
        assert len((out + err).strip().splitlines()) == 1, out + err
        return
    assert_refused(code, out, err)
    assert not any(tmp_path.iterdir())



#: Counts, horizons, scales and workers past their bounds (scenario/limits.py): each is
#: refused by name before anything is built (``ensemble --runs 1000000000`` once grew by
#: 95 MB/s; ``--end 9999-12-31`` on ensemble and compare was only checked in the workers).
LIMIT_CASES = {
    ("ensemble", "--runs", "1000000000"): "--runs 1000000000: must be a whole number from 1",
    ("ensemble", "--runs", "10001"): "from 1 to 10,000",
    ("ensemble", "--controls", "99999999"): "--controls 99999999",
    ("ensemble", "--end", "9999-12-31"): "--end: end 9999-12-31 is after 2050-12-31",
    ("ensemble", "--start", "1800-01-01"): "--start: start 1800-01-01 is before 2015-01-01",
    ("ensemble", "--start", "2020-01-01", "--end", "2019-01-01"): "before the start",
    ("ensemble", "--end", "2020-02-30"): "--end '2020-02-30': not a date",
    ("ensemble", "--workers", "257"): "--workers 257",
    ("compare", "default", "status_quo", "--runs", "1000000000"): "--runs 1000000000",
    ("compare", "default", "status_quo", "--end", "9999-12-31"): "after 2050-12-31",
    ("compare", "default", "status_quo", "--start", "1800-01-01"): "before 2015-01-01",
    ("compare", "default", "status_quo", "--scale", "9223372036854775808"): "--scale",
    ("compare", "default", "status_quo", "--workers", "100000"): "--workers 100000",
    ("sensitivity", "--n", "1000000000"): "--n 1000000000",
    ("sensitivity", "--scale", "1000000000"): "--scale 1000000000",
    ("sensitivity", "--end", "9999-12-31"): "after 2050-12-31",
    ("calibrate", "--trials", "1000000000"): "--trials 1000000000",
    ("calibrate", "--scale", "1000000000"): "--scale 1000000000",
    ("calibrate", "--workers", "100000"): "--workers 100000",
    ("calibrate", "posterior", "--particles", "1000000000"): "--particles 1000000000",
    ("calibrate", "posterior", "--generations", "1000000"): "--generations 1000000",
    ("calibrate", "posterior", "--workers", "100000"): "--workers 100000",
    ("forecast", "--scale", "1000000000"): "--scale 1000000000",
    ("evaluate", "--workers", "100000"): "--workers 100000",
}


@pytest.mark.parametrize("argv", list(LIMIT_CASES), ids=" ".join)
def test_counts_and_horizons_past_their_bounds_are_refused_by_name(argv, tmp_path,
                                                                   monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NARCOSIM_HOME", str(tmp_path / "home"))
    code, out, err = cli([*argv, "--store", str(tmp_path / "none.duckdb")]
                         if argv[0] != "calibrate" else list(argv), capsys)
    assert_refused(code, out, err, LIMIT_CASES[argv])
    assert not any(tmp_path.iterdir())


def test_option_error_is_one_line_not_a_box(capsys):
    code, out, err = cli(["run", "--sed", "3"], capsys)
    line = assert_refused(code, out, err, "No such option: --sed", "narcosim run --help")
    assert "╭" not in line
