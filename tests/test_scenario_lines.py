"""The key-line scanner: every key of a TOML text is found on the line it is written on."""

import re
import tomllib

import pytest

from narcosim.scenario.lines import dotted, key_lines, line_of
from narcosim.scenario.loader import builtin_names, resolve_source

TRICKY = '''# a comment with key = "value" in it
[scenario]
name = "x # not a comment"   # a comment
description = """first line
[not.a.header]
fake = "not a key"
"""
literal = \'\'\'C:\\path = "no"\'\'\'
start = 2015-01-01

[parameters.trafficking]
ofo_interdiction = 0.1
"quoted.key" = 2
a.b . c = 3

[[interventions]]
kind = "naloxone"
target = { states = ["CA", "XX"], cartel = "cjng" }

[[interventions]]
kind = "dealer_operation"
[interventions.target]
states = [
  "WV",  # first, with a ] and a , in the comment
  "ZZ",
]

[interventions.parameters]
x = 1
'''


def line_with(text: str, pattern: str, nth: int = 0) -> int:
    """1-based number of the nth line matching a regular expression."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if re.search(pattern, line)]
    return hits[nth]


def test_tricky_text_lines():
    lines = key_lines(TRICKY)
    expect = {
        ("scenario",): line_with(TRICKY, r"^\[scenario\]"),
        ("scenario", "name"): line_with(TRICKY, r"^name ="),
        ("scenario", "description"): line_with(TRICKY, r"^description ="),
        ("scenario", "literal"): line_with(TRICKY, r"^literal ="),
        ("scenario", "start"): line_with(TRICKY, r"^start ="),
        ("parameters", "trafficking", "ofo_interdiction"): line_with(TRICKY, "^ofo_"),
        ("parameters", "trafficking", "quoted.key"): line_with(TRICKY, "quoted"),
        ("parameters", "trafficking", "a", "b", "c"): line_with(TRICKY, r"^a\.b"),
        ("interventions", 0): line_with(TRICKY, r"^\[\[interventions\]\]", 0),
        ("interventions", 0, "kind"): line_with(TRICKY, "^kind =", 0),
        ("interventions", 0, "target", "states", 1): line_with(TRICKY, "^target ="),
        ("interventions", 0, "target", "cartel"): line_with(TRICKY, "^target ="),
        ("interventions", 1): line_with(TRICKY, r"^\[\[interventions\]\]", 1),
        ("interventions", 1, "kind"): line_with(TRICKY, "^kind =", 1),
        ("interventions", 1, "target"): line_with(TRICKY, r"^\[interventions\.target\]"),
        ("interventions", 1, "target", "states"): line_with(TRICKY, "^states = \\["),
        ("interventions", 1, "target", "states", 0): line_with(TRICKY, '"WV"'),
        ("interventions", 1, "target", "states", 1): line_with(TRICKY, '"ZZ"'),
        ("interventions", 1, "parameters", "x"): line_with(TRICKY, "^x = 1"),
    }
    for path, line in expect.items():
        assert lines.get(path) == line, (dotted(path), lines.get(path), line)
    # what is inside strings and comments is not a key
    assert ("not", "a", "header") not in lines
    assert not any("fake" in path for path in lines)
    assert not any("key" in path for path in lines)


def leaf_paths(data, prefix=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaf_paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from leaf_paths(value, (*prefix, i))
    else:
        yield prefix


@pytest.mark.parametrize("name", builtin_names())
def test_every_leaf_of_every_builtin_is_on_its_line(name):
    text = resolve_source(name).text
    data = tomllib.loads(text)
    lines = key_lines(text)
    source = text.splitlines()
    paths = list(leaf_paths(data))
    assert paths
    for path in paths:
        assert path in lines, dotted(path)
        line = source[lines[path] - 1]
        last_key = next(p for p in reversed(path) if isinstance(p, str))
        if isinstance(path[-1], int):  # an array item: its value is on that line
            value = data
            for part in path:
                value = value[part]
            assert f'"{value}"' in line or last_key in line, (dotted(path), line)
        else:
            assert re.match(rf"\s*{re.escape(last_key)}\s*=", line), (dotted(path), line)


def test_line_of_falls_back_to_nearest_ancestor_and_dotted_form():
    lines = key_lines(TRICKY)
    header = line_with(TRICKY, r"^\[\[interventions\]\]", 1)
    assert line_of(lines, ("interventions", 1, "investigations")) == header
    assert line_of(lines, ("nothing", "here")) == 1
    assert dotted(("interventions", 1, "target", "states", 0)) == \
        "interventions[1].target.states[0]"
    assert dotted(("parameters", "trafficking", "quoted.key")) == \
        'parameters.trafficking."quoted.key"'
