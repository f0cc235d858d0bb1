"""Precursor control acts per drug (issue "An honest model", part 3, item 2).

Fentanyl and methamphetamine are made in Mexico from imported precursors; cocaine is bought
from South America. Precursor control must cut the synthetic drugs' production and leave
cocaine's untouched, step by step; a scenario that asks it to act on cocaine is refused in one
line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

import narcosim.cli.validate_cmd  # noqa: F401  (registers `validate`)
from narcosim.cli import main
from narcosim.core.sim import Sim
from narcosim.interventions import CONFIG_BY_KIND, build_interventions
from narcosim.model.builder import build_sim
from narcosim.model.drugs import SUPPLY_DRUGS
from supply_fixtures import inputs_for

START, END = "2021-01-01", "2021-12-31"
FENT, METH, COC = (SUPPLY_DRUGS.index(d) for d in ("fentanyl", "methamphetamine", "cocaine"))


def _produced(store: Path, **config: object) -> tuple[np.ndarray, Sim]:
    """Produced kg per (step, drug), with precursor control configured as given (or none)."""
    inputs = inputs_for(store)
    configs = [CONFIG_BY_KIND["precursor_control"](start=START, end=END, **config)] \
        if config else []
    sim = build_sim(inputs, seed=1, start=START, end=END, scale=1000, people=False,
                    interventions=build_interventions(configs, inputs, {})).run()
    return np.asarray(sim.results["production"]["produced_kg"]), sim


def test_precursor_control_cuts_synthetic_drugs_and_not_cocaine(atlas_store: Path) -> None:
    base, _ = _produced(atlas_store)
    arm, sim = _produced(atlas_store, intensity=1.0)
    assert sim.modules["intervention0_precursor_control"].config.drugs == [
        "fentanyl", "methamphetamine"]
    # cocaine is made in South America: the same kilograms every step
    assert np.array_equal(arm[:, COC], base[:, COC])
    assert base[:, COC].sum() > 0
    # fentanyl and methamphetamine fall in every step the lever acts
    for d in (FENT, METH):
        assert (arm[:, d] < base[:, d]).all(), SUPPLY_DRUGS[d]
    cut = 1 - arm.sum(axis=0) / base.sum(axis=0)
    assert cut[FENT] > 0.05 and cut[METH] > 0.05, cut


def test_precursor_control_of_fentanyl_alone_leaves_methamphetamine(atlas_store: Path) -> None:
    base, _ = _produced(atlas_store)
    arm, _ = _produced(atlas_store, drugs=["fentanyl"])
    assert np.array_equal(arm[:, [METH, COC]], base[:, [METH, COC]])
    assert arm[:, FENT].sum() < base[:, FENT].sum()


@pytest.mark.parametrize("drugs, fragment", [
    (["cocaine"], "cannot act on cocaine"),
    (["fentanyl", "heroin"], "unknown drug 'heroin'"),
    ([], "at least 1 item"),
])
def test_config_refuses_cocaine_and_unknown_drugs(drugs: list[str], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        CONFIG_BY_KIND["precursor_control"](start=START, end=END, drugs=drugs)


def test_cli_refuses_cocaine_in_one_line(tmp_path: Path, atlas_store: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cocaine.toml"
    path.write_text('[scenario]\nname = "t"\nstart = 2015-01-01\nend = 2026-12-31\n\n'
                    '[[interventions]]\nkind = "precursor_control"\nstart = 2024-01-01\n'
                    'end = 2024-12-31\ndrugs = ["fentanyl", "cocaine"]\n')
    with pytest.raises(SystemExit) as info:
        main(["validate", str(path), "--store", str(atlas_store)])
    out = capsys.readouterr().out
    assert info.value.code == 2
    assert len(out.strip().splitlines()) == 1, out
    assert "cannot act on cocaine" in out and ":10:" in out, out
