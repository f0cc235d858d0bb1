"""Fuzz scenario files: a corpus of malformed TOML for validate and run, and Hypothesis text.

Every malformed file must give problems from ``check_text`` (never an exception), and
``narcosim run FILE`` must refuse it in one line naming the file, with exit 2, before a
store is opened or a folder written. The corpus holds issue 12's cases: ``nan``
(once reported as "nan is negative"), ``inf`` and ``1e308`` intensities and costs that
passed, a horizon to 9999-12-31 or from 1800-01-01 that validate called ok, and TOML
nested deeply enough to raise RecursionError.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_support import assert_refused, cli
from narcosim.scenario.validate import check_text

BUILTIN = resources.files("narcosim.scenario").joinpath("builtin")
SURGE = BUILTIN.joinpath("border_surge.toml").read_text(encoding="utf-8")
NALOXONE = BUILTIN.joinpath("naloxone_expansion.toml").read_text(encoding="utf-8")
#: Values no number in a scenario may take.
BAD_NUMBERS = ("nan", "+nan", "-nan", "inf", "+inf", "-inf", "1e308", "-1e308", "1e16",
               "-1e16", "1e999")
#: Values of the wrong type for a number.
WRONG_TYPES = ('"1.0"', "true", "[1.0]", "{ a = 1 }", "2015-01-01", '""')


def _set(text: str, key: str, value: str, nth: int = 0) -> str:
    """Replace the value of the ``nth`` line ``key = ...`` (the first by default)."""
    pattern = re.compile(rf"^{re.escape(key)} = .*$", re.MULTILINE)
    matches = list(pattern.finditer(text))
    assert matches, key
    found = matches[nth]
    return text[:found.start()] + f"{key} = {value}" + text[found.end():]


def _corpus() -> dict[str, str]:
    cases: dict[str, str] = {}
    for key in ("intensity", "annual_cost"):
        for value in (*BAD_NUMBERS, *WRONG_TYPES, "-1.0"):
            cases[f"surge {key} = {value}"] = _set(SURGE, key, value)
    for value in (*BAD_NUMBERS, *WRONG_TYPES, "-1.0", "0.0"):
        cases[f"naloxone unit_cost = {value}"] = _set(NALOXONE, "unit_cost", value)
    for value in ("[nan, 1.0]", "[1.0, inf]", "[1e308, 1e309]", "[-1.0, 1e9]", "[1.0]",
                  "[1.0, 2.0, 3.0]", '["a", "b"]', "[600_000_000.0, 150_000_000.0]"):
        cases[f"surge annual_cost_range = {value}"] = _set(SURGE, "annual_cost_range", value)
    for key, values in (("seed", ("-1", "1e3", "nan", '"1"', "true", "9" * 30)),
                        ("scale", ("0", "-100", "10001", "1e9", "9223372036854775808", "nan",
                                   "1.5", '"100"'))):
        for value in values:
            cases[f"status quo {key} = {value}"] = SURGE.replace(
                "start = 2015-01-01", f"{key} = {value}\nstart = 2015-01-01", 1)
    for key, value in (("start", "1800-01-01"), ("start", "2014-12-31"),
                       ("end", "9999-12-31"), ("end", "2051-01-01"), ("end", "2014-01-01"),
                       ("start", '"2015-01-01"'), ("start", "2015-01-01T00:00:00"),
                       ("end", "2026-12-31T23:59:59Z"), ("start", "15"), ("end", "[]")):
        cases[f"scenario {key} = {value}"] = _set(SURGE, key, value)
    for key, value in (("start", "2030-01-01"), ("end", "2014-06-01"),
                       ("start", "2027-01-01"), ("end", "1999-01-01")):
        cases[f"intervention {key} = {value}"] = _set(SURGE, key, value, nth=1)
    for depth in (17, 40, 500, 100_000):
        cases[f"array nested {depth}"] = (SURGE + "\n[parameters.people]\nx = "
                                          + "[" * depth + "]" * depth + "\n")
        cases[f"inline table nested {depth}"] = ("x = " + "{a = " * depth + "1"
                                                 + "}" * depth + "\n")
    cases["2 MB comment"] = SURGE + "#" + "x" * 2_000_000 + "\n"
    cases["empty"] = ""
    cases["only a comment"] = "# nothing\n"
    cases["no [scenario]"] = SURGE.split("[[interventions]]")[1]
    cases["unclosed table"] = "[scenario\nname = 'x'\n"
    cases["duplicate key"] = SURGE.replace('name = "Border surge"',
                                           'name = "Border surge"\nname = "again"', 1)
    cases["unknown key"] = SURGE.replace("intensity = 1.0", "intensty = 1.0", 1)
    cases["unknown kind"] = SURGE.replace('kind = "border_surge"', 'kind = "border_wall"', 1)
    cases["unknown module"] = SURGE + "\n[parameters.nosuch]\nx = 1\n"
    cases["unknown parameter"] = SURGE + "\n[parameters.people]\nnosuch = 1\n"
    cases["parameter nan"] = SURGE + "\n[parameters.people]\nnaloxone_access = nan\n"
    cases["interventions not a list"] = SURGE.replace("[[interventions]]", "[interventions]", 1)
    cases["NUL byte"] = SURGE.replace("Border surge", "Border\x00surge", 1)
    cases["unterminated string"] = 'name = "abc\n'
    cases["bare key junk"] = "= = =\n"
    return cases


CORPUS = _corpus()


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 100, len(CORPUS)


@pytest.mark.parametrize("case", list(CORPUS))
def test_malformed_scenario_is_refused(case, tmp_path, capsys):
    text = CORPUS[case]
    scenario, problems = check_text(text, "bad.toml")
    assert scenario is None and problems, case
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    out_dir = tmp_path / "run"
    code, out, err = cli(["run", str(path), "--out", str(out_dir),
                          "--store", str(tmp_path / "no-store.duckdb")], capsys)
    assert_refused(code, out, err, str(path))
    assert not out_dir.exists() and not Path(f"{out_dir}.partial").exists()


def test_nan_is_not_a_number():
    _, problems = check_text(_set(SURGE, "intensity", "nan"), "s.toml")
    assert [p.message for p in problems] == ["nan is not a number"]


def test_horizon_bounds_are_named():
    _, problems = check_text(_set(SURGE, "end", "9999-12-31"), "s.toml")
    assert "after 2050-12-31" in problems[0].message
    _, problems = check_text(_set(SURGE, "start", "1800-01-01"), "s.toml")
    assert "before 2015-01-01" in problems[0].message


def test_builtins_still_pass():
    for file in BUILTIN.iterdir():
        if file.name.endswith(".toml"):
            scenario, problems = check_text(file.read_text(encoding="utf-8"), file.name)
            assert scenario is not None and not problems, (file.name, problems)


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("[]{}=\"'#.,\n abc1e-+_:TZ0\\")),
                    max_size=200))
def test_hypothesis_text_never_raises(text):
    scenario, problems = check_text(text, "h.toml")
    assert (scenario is None) == bool(problems)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["intensity", "annual_cost"]),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True).filter(
           lambda v: math.isnan(v) or abs(v) > 1e15), st.integers(min_value=10**15 + 1)))
def test_hypothesis_huge_or_non_finite_numbers_are_refused(key, value):
    shown = {float("inf"): "inf", float("-inf"): "-inf"}.get(value, repr(value))
    shown = "nan" if shown == "nan" else shown
    _, problems = check_text(_set(SURGE, key, shown), "h.toml")
    assert any(p.key.endswith(key) for p in problems), (shown, problems)
