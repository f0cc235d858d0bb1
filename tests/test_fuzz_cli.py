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
    cases["--version"] = ["--version"]
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



def test_option_error_is_one_line_not_a_box(capsys):
    code, out, err = cli(["run", "--sed", "3"], capsys)
    line = assert_refused(code, out, err, "No such option: --sed", "narcosim run --help")
    assert "╭" not in line
