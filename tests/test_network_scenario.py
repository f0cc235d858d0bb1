"""A network removal written as a scenario: valid, mapped onto the supply model's operators."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from narcosim.cli import main
from narcosim.errors import ParameterError
from narcosim.network.scenario import GROUP_TARGETS, removal_scenario
from narcosim.orgs.structure import OrgStructure
from narcosim.scenario.loader import load_scenario


def test_targets_exist_in_the_structure() -> None:
    s = OrgStructure.default()
    for kind, key, _ in GROUP_TARGETS.values():
        assert key in (s.cartels if kind == "cartel" else s.operators)
    assert {c.bacrim_node for c in s.cartels.values() if c.bacrim_node} <= set(GROUP_TARGETS)


def test_scenario_maps_groups_and_lists_the_others(tmp_path: Path) -> None:
    text = removal_scenario(["N10025", "N10091", "N10019"],
                            {"N10025": "CJNG", "N10091": "Los Chapitos", "N10019": "Noreste"},
                            date(2024, 1, 15), release_probability=0.25)
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    _, scenario = load_scenario(str(path))
    levers = scenario.interventions
    assert [lv.kind for lv in levers] == ["leader_removal", "leader_removal"]
    assert levers[0].target.cartel == "cjng" and levers[1].target.faction == "sinaloa.chapitos"
    assert all(lv.release_probability == 0.25 and lv.start == date(2024, 1, 15)
               for lv in levers)
    assert "N10019 Noreste: not a supply-model operator" in text


def test_no_operator_among_the_groups_is_an_error() -> None:
    with pytest.raises(ParameterError, match="none of the removed groups"):
        removal_scenario(["N10019"], {"N10019": "Noreste"}, date(2024, 1, 15))


def test_cli_writes_a_valid_scenario(atlas_store: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "removal.toml"
    with pytest.raises(SystemExit) as done:
        main(["network", "scenario", "--strategy", "keyplayer", "--count", "5", "--out",
              str(out), "--store", str(atlas_store)])
    assert done.value.code == 0
    _, scenario = load_scenario(str(out))
    targets = {lv.target.cartel or lv.target.faction for lv in scenario.interventions}
    assert targets == {"cjng", "sinaloa", "sinaloa.chapitos"}
    assert "narcosim compare status_quo" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["network", "scenario", "--names", "Noreste", "--out", str(tmp_path / "x.toml"),
              "--store", str(atlas_store)])
    assert done.value.code == 2 and not (tmp_path / "x.toml").exists()
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
