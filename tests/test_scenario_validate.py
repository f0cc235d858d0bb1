"""``narcosim validate``: every built-in validates; bad files report every problem with its line.

Each bad file marks the line where its problem is with a trailing ``# <- KEY``, so the
expected line and key come from the file itself, not from a hard-coded number.
"""

import csv
import json
import re
from pathlib import Path

import pytest

import narcosim.cli.validate_cmd  # noqa: F401  (registers `validate` until the entry point does)
from narcosim.cli import main
from narcosim.core.params import ParamSpec
from narcosim.errors import ParameterError
from narcosim.interventions.config import CONFIG_BY_KIND
from narcosim.interventions.registry import KINDS
from narcosim.scenario.loader import builtin_names, load_scenario, resolve_source
from narcosim.scenario.schema import PUBLISHED_PATH, scenario_json_schema, schema_text
from narcosim.scenario.validate import MODULE_CLASSES

REPO = Path(__file__).resolve().parents[1]

GOOD = '''[scenario]
name = "Test"
start = 2015-01-01
end = 2026-12-31

[[interventions]]
kind = "dealer_operation"
name = "Operation Last Mile"
start = 2022-05-01
end = 2023-05-31
intensity = 1.0
annual_cost = 1000.0
investigations = 1436
[interventions.target]
states = ["WV", "OH"]
ports = ["Nogales"]
'''


def validate(args, capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate", *[str(a) for a in args]])
    out = capsys.readouterr()
    return info.value.code, out.out, out.err


def marked(text: str) -> set[tuple[int, str]]:
    """(line, key) of every line that ends with ``# <- KEY``."""
    return {(i + 1, m.group(1)) for i, line in enumerate(text.splitlines())
            if (m := re.search(r"# <- (\S+)\s*$", line))}


def reported(out: str, file: Path) -> set[tuple[int, str]]:
    found = set()
    for line in out.strip().splitlines():
        m = re.match(rf"^{re.escape(str(file))}:(\d+): (\S+): \S", line)
        assert m, line
        found.add((int(m.group(1)), m.group(2)))
    return found


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_validates(name, atlas_store, capsys):
    code, out, err = validate([name, "--store", atlas_store], capsys)
    assert (code, out.strip(), err) == (0, "ok", "")


def test_the_good_file_validates(tmp_path, atlas_store, capsys):
    path = tmp_path / "good.toml"
    path.write_text(GOOD)
    assert validate([path, "--store", atlas_store], capsys)[:2] == (0, "ok\n")


ONE_PROBLEM = {
    "unknown_key": ('investigations = 1436', 'investigations = 1436\nbudget = 5  # <- '
                    'interventions[0].budget', "unknown key 'budget'"),
    "wrong_type": ('intensity = 1.0', 'intensity = "high"  # <- interventions[0].intensity',
                   "wrong type: expected a number"),
    "unknown_state": ('states = ["WV", "OH"]',
                      'states = ["WV", "XX"]  # <- interventions[0].target.states[1]',
                      "unknown state 'XX'"),
    "unknown_port": ('ports = ["Nogales"]',
                     'ports = ["Atlantis"]  # <- interventions[0].target.ports[0]',
                     "unknown port 'Atlantis'"),
    "end_before_start": ('end = 2023-05-31', 'end = 2021-05-31  # <- interventions[0].end',
                         "end 2021-05-31 is before start 2022-05-01"),
    "negative_cost": ('annual_cost = 1000.0',
                      'annual_cost = -1000.0  # <- interventions[0].annual_cost',
                      "negative: must be >= 0"),
    "negative_intensity": ('intensity = 1.0', 'intensity = -2  # <- interventions[0].intensity',
                           "negative"),
    "unknown_kind": ('kind = "dealer_operation"',
                     'kind = "teleport"  # <- interventions[0].kind',
                     "unknown intervention kind 'teleport'"),
    "unknown_field_office": ('ports = ["Nogales"]',
                             'field_offices = ["Miami"]  # <- '
                             'interventions[0].target.field_offices[0]',
                             "unknown field office 'Miami'"),
    "unknown_city": ('ports = ["Nogales"]',
                     'cities = ["Gotham"]  # <- interventions[0].target.cities[0]',
                     "unknown US city 'Gotham'"),
    "unknown_faction": ('ports = ["Nogales"]',
                        'faction = "sinaloa.nobody"  # <- interventions[0].target.faction',
                        "unknown faction"),
    "unknown_lever_parameter": (
        'investigations = 1436',
        'investigations = 1436\n[interventions.parameters]\narrests_per_investigatio = 2  '
        '# <- interventions[0].parameters.arrests_per_investigatio',
        "did you mean 'arrests_per_investigation'"),
    "unknown_module": ('[[interventions]]',
                       '[parameters.smuggling]  # <- parameters.smuggling\nx = 1\n\n'
                       '[[interventions]]', "unknown module 'smuggling'"),
    "bad_parameter_value": ('[[interventions]]',
                            '[parameters.trafficking]\nofo_interdiction = -0.5  # <- '
                            'parameters.trafficking.ofo_interdiction\n\n[[interventions]]',
                            "below its lower bound"),
    "toml_syntax": ('intensity = 1.0', 'intensity = 1.0 2  # <- toml', "syntax error"),
}


@pytest.mark.parametrize("case", sorted(ONE_PROBLEM))
def test_one_problem_is_one_line_with_line_and_key(case, tmp_path, atlas_store, capsys):
    old, new, fragment = ONE_PROBLEM[case]
    assert GOOD.count(old) == 1
    text = GOOD.replace(old, new)
    path = tmp_path / f"{case}.toml"
    path.write_text(text)
    code, out, err = validate([path, "--store", atlas_store], capsys)
    assert code == 2 and err == ""
    assert reported(out, path) == marked(text), out
    assert len(out.strip().splitlines()) == 1
    assert fragment in out


def test_several_problems_are_all_reported(tmp_path, atlas_store, capsys):
    text = '''[scenario]
name = "Several"
seed = "one"  # <- scenario.seed
colour = "red"  # <- scenario.colour
start = 2015-01-01
end = 2026-12-31

[parameters.trafficking]
not_a_param = 1  # <- parameters.trafficking.not_a_param

[[interventions]]  # <- interventions[0].investigations
kind = "dealer_operation"
start = 2022-05-01
end = 2021-05-31  # <- interventions[0].end
annual_cost = -5.0  # <- interventions[0].annual_cost
[interventions.target]
states = [
  "WV",
  "XX",  # <- interventions[0].target.states[1]
]
ports = ["Atlantis"]  # <- interventions[0].target.ports[0]

[[interventions]]
kind = "naloxone"
start = "2024-01-01"  # <- interventions[1].start
end = 2030-12-31
intensity = true  # <- interventions[1].intensity
'''
    path = tmp_path / "several.toml"
    path.write_text(text)
    code, out, _ = validate([path, "--store", atlas_store], capsys)
    assert code == 2
    assert reported(out, path) == marked(text), out
    assert len(out.strip().splitlines()) == len(marked(text)) == 10
    lines = [int(line.split(":")[1]) for line in out.strip().splitlines()]
    assert lines == sorted(lines)


def test_missing_store_is_said_in_one_line(tmp_path, capsys):
    code, out, _ = validate(["last_mile", "--store", tmp_path / "none.duckdb"], capsys)
    assert code == 2
    (line,) = out.strip().splitlines()
    assert line.startswith("last_mile.toml: store: no atlas store at")
    assert "not checked" in line


def test_unknown_scenario_and_missing_file_are_one_line_errors(tmp_path, atlas_store, capsys):
    code, out, err = validate(["baseline", "--store", atlas_store], capsys)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [err.strip()]
    assert "unknown scenario 'baseline'" in err and "'status_quo'" in err
    code, _, err = validate([tmp_path / "nope.toml", "--store", atlas_store], capsys)
    assert code == 2 and "nope.toml not found" in err


def test_load_scenario_lists_every_problem_with_a_count(tmp_path):
    path = tmp_path / "two.toml"
    path.write_text(GOOD.replace("intensity = 1.0", "intensity = -1.0")
                    .replace("annual_cost = 1000.0", "annual_cost = -1.0"))
    with pytest.raises(ParameterError) as info:
        load_scenario(str(path))
    message = str(info.value)
    assert message.startswith(f"{path}:{marked_line(path, 'intensity')}: "
                              "interventions[0].intensity:")
    assert "(2 problems; see narcosim validate" in message
    assert "; " + f"{path}:{marked_line(path, 'annual_cost')}: " in message  # both listed
    assert "\n" not in message


def marked_line(path: Path, key: str) -> int:
    return next(i + 1 for i, line in enumerate(path.read_text().splitlines())
                if line.startswith(f"{key} ="))


def test_schema_doc_equals_generated(capsys):
    published = (REPO / PUBLISHED_PATH).read_text(encoding="utf-8")
    assert published == schema_text(), "regenerate: narcosim validate --schema > " \
                                       "docs/scenario.schema.json"
    with pytest.raises(SystemExit) as info:
        main(["validate", "--schema"])
    assert info.value.code == 0
    assert json.loads(capsys.readouterr().out) == json.loads(published)


def test_schema_lists_every_module_and_lever_parameter():
    schema = scenario_json_schema()
    modules = schema["properties"]["parameters"]["properties"]
    assert set(modules) == set(MODULE_CLASSES)
    for name, cls in MODULE_CLASSES.items():
        specs: list[ParamSpec] = list(cls.param_specs)
        assert list(modules[name]["properties"]) == [s.name for s in specs]
        assert modules[name]["additionalProperties"] is False
    for kind, config in CONFIG_BY_KIND.items():
        entry = schema["$defs"][config.__name__]
        assert entry["additionalProperties"] is False
        assert entry["properties"]["kind"]["const"] == kind
        assert "kind" in entry["required"]
        assert list(entry["properties"]["parameters"]["properties"]) == \
            [s.name for s in KINDS[kind].param_specs]


def test_builtins_listed(capsys):
    with pytest.raises(SystemExit) as info:
        main(["validate", "--list"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    for name in builtin_names():
        assert name in out
    assert len(builtin_names()) == 14


def test_overdrive_targets_the_23_states_with_the_highest_2021_death_rates(data_dir):
    """Recomputed from CDC VSRR (New York State plus New York City) and Census 2021."""
    deaths = {}
    with (data_dir / "cdc_vsrr_overdose_deaths_12mo_ending_december_2015_2023.csv").open() as f:
        for row in csv.DictReader(f):
            if row["Year"] == "2021" and row["Indicator"] == "Number of Drug Overdose Deaths":
                deaths[row["State Name"]] = float(row["Total Deaths"])
    deaths["New York"] += deaths["New York City"]
    rates = {}
    with (data_dir / "state_reference.csv").open() as f:
        for row in csv.DictReader(f):
            rates[row["state_abbr"]] = deaths[row["state_name"]] / float(row["pop_2021"])
    top = sorted(rates, key=rates.get, reverse=True)[:23]
    _, scenario = load_scenario("overdrive")
    (op,) = scenario.interventions
    assert op.target.states == top
    assert str(op.start) == "2022-02-01" and op.end == scenario.scenario.end


def test_last_mile_is_the_reported_operation():
    _, scenario = load_scenario("last_mile")
    (op,) = scenario.interventions
    assert (op.kind, op.investigations, str(op.start), str(op.end)) == (
        "dealer_operation", 1436, "2022-05-01", "2023-05-31")
    assert op.target.states == [] and op.target.cities == []
    assert "not in the data" in scenario.scenario.description


def test_every_builtin_cost_has_a_comment_saying_where_it_comes_from():
    for name in builtin_names():
        lines = resolve_source(name).text.splitlines()
        for i, line in enumerate(lines):
            if line.strip().startswith("annual_cost"):
                context = " ".join(lines[max(0, i - 4):i + 1]).lower()
                assert "#" in context and ("guess" in context or re.search(r"\d{4}", context)), \
                    (name, line)


def test_the_format_example_in_the_docs_validates_and_every_builtin_is_listed(atlas_store):
    from narcosim.atlas.store import Atlas
    from narcosim.scenario.refs import WorldRefs
    from narcosim.scenario.validate import check_text

    doc = (REPO / "docs" / "scenarios.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```toml\n(.*?)```", doc, flags=re.S)
    refs = WorldRefs.from_atlas(Atlas.open(atlas_store))
    scenario, problems = check_text(example, "scenarios.md", refs)
    assert problems == [] and scenario.interventions[0].investigations == 1436
    for name in builtin_names():
        assert f"| `{name}` |" in doc, name
    assert PUBLISHED_PATH.split("/")[-1] in doc
