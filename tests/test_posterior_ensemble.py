"""Ensembles and comparisons whose members draw parameters from the posterior (issue 9, item 4).

Runs use the real data and the packaged posterior (``narcosim calibrate posterior``), short
horizons at 1:1000.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from narcosim.analysis.compare import COMPARISON_JSON, compare
from narcosim.atlas.store import Atlas
from narcosim.cli import main
from narcosim.errors import ParameterError
from narcosim.model.fitted_posterior import FittedPosterior
from narcosim.run.ensemble import CONTROLS, run_ensemble
from narcosim.run.member import (
    FIXED,
    EnsembleSpec,
    build_member_sim,
    draw_particle,
    member_seeds,
    parameter_mode,
)
from narcosim.run.spread import national_deaths


@pytest.fixture(scope="module")
def posterior() -> FittedPosterior:
    post = FittedPosterior.load()
    assert post is not None, "no packaged posterior (narcosim calibrate posterior --save-default)"
    return post


def test_draw_follows_the_weights_and_the_seed(posterior):
    seeds = member_seeds(11, 4000)
    draws = np.array([posterior.draw(s) for s in seeds])
    assert [posterior.draw(s) for s in seeds[:50]] == draws[:50].tolist()
    counts = np.bincount(draws, minlength=len(posterior)) / len(draws)
    top = np.argsort(posterior.weights)[-5:]
    # the heaviest particles are drawn about as often as their weight says
    np.testing.assert_allclose(counts[top], posterior.weights[top], atol=0.03)


def test_member_runs_its_particles_parameters(posterior, atlas_store):
    spec = EnsembleSpec(store=str(atlas_store), scale=1000, end="2015-03-31",
                        parameters=parameter_mode(False))
    assert spec.parameters == "posterior:" + posterior.sha256
    seed = member_seeds(5, 1)[0]
    particle = draw_particle(spec, seed)
    assert particle is not None
    people, kappa = posterior.particle(particle)
    sim = build_member_sim(spec, Atlas.open(atlas_store), seed, particle)
    pars = sim.modules["people"].pars
    for name, value in people.items():
        assert pars[name] == pytest.approx(value)
    assert dict(sim.modules["distribution"].inputs.report_elasticity) == pytest.approx(kappa)
    # a parameter the spec sets wins over the drawn one
    fixed_od = dataclasses.replace(spec, pars={"people": {"od_meth": 1e-6}})
    sim = build_member_sim(fixed_od, Atlas.open(atlas_store), seed, particle)
    assert sim.modules["people"].pars["od_meth"] == 1e-6
    # the point fit: no particle
    assert draw_particle(dataclasses.replace(spec, parameters=FIXED), seed) is None
    # another posterior than the packaged one is refused in one line
    stale = dataclasses.replace(spec, parameters="posterior:" + "0" * 64)
    with pytest.raises(ParameterError, match="packaged posterior is not the one"):
        draw_particle(stale, seed)


@pytest.mark.slow
def test_band_is_wider_with_parameter_uncertainty(posterior, atlas_store, tmp_path):
    """16 members drawing parameters against 16 at the point fit on the same seeds, 2015–2023.

    At 1:100, the default scale (at 1:1000 one agent's death is a thousand deaths, and the
    random draws alone spread national fentanyl deaths by about ±15%).
    """
    spec = EnsembleSpec(store=str(atlas_store), scale=100, end="2023-12-31",
                        parameters=parameter_mode(False))
    result = run_ensemble(spec, 16, 21, out_dir=tmp_path / "ens", workers=2, controls=16)
    manifest = json.loads((tmp_path / "ens" / "ensemble.json").read_text())
    assert [m["particle"] for m in manifest["members"]] == [
        posterior.draw(s) for s in manifest["member_seeds"]]
    fixed = json.loads((tmp_path / "ens" / CONTROLS / "ensemble.json").read_text())
    assert fixed["member_seeds"] == manifest["member_seeds"]
    assert {m["particle"] for m in fixed["members"]} == {None}
    # the band by hand from the member files
    with_p = np.array([national_deaths(p).loc[2023, "fentanyl"]
                       for p in result.member_files()])
    without = np.array([national_deaths(tmp_path / "ens" / CONTROLS / "runs" / m["file"])
                        .loc[2023, "fentanyl"] for m in fixed["members"]])
    row = next(r for r in result.uncertainty["rows"]
               if r["drug"] == "fentanyl" and r["year"] == 2023)
    np.testing.assert_allclose(row["band_with_parameters"], np.percentile(with_p, [5, 95]))
    np.testing.assert_allclose(row["band_without_parameters"], np.percentile(without, [5, 95]))
    width_with = np.subtract(*row["band_with_parameters"][::-1])
    width_without = np.subtract(*row["band_without_parameters"][::-1])
    print(f"fentanyl deaths 2023, 90% band: with parameters {row['band_with_parameters']} "
          f"(width {width_with:,.0f}), without {row['band_without_parameters']} "
          f"(width {width_without:,.0f}); parameter share {row['parameter_share']:.2f}")
    assert width_with > width_without
    which = "parameter" if row["parameter_share"] > 0.5 else "random"
    assert f"fentanyl deaths 2023: {which} uncertainty dominates" in (
        manifest["uncertainty"]["statement"])


def test_compare_members_draw_the_same_particle_in_every_arm(posterior, atlas_store,
                                                             tmp_path):
    result = compare(["status_quo", "status_quo"], 2, 4, out_dir=tmp_path / "cmp",
                     scale=1000, end="2015-02-28", store=atlas_store, workers=2)
    data = json.loads((tmp_path / "cmp" / COMPARISON_JSON).read_text())
    assert data["parameters"] == "posterior:" + posterior.sha256
    assert data["member_particles"] == [posterior.draw(s) for s in data["member_seeds"]]
    for folder in result.runs.folders:
        records = [json.loads(p.read_text()) for p in sorted((folder / "runs").glob("*.json"))]
        assert [r["particle"] for r in records] == data["member_particles"]
    # the same scenario twice with the same draws: nothing averted, exactly
    effect = result.members["effect"].to_numpy(dtype=float)
    assert (effect[np.isfinite(effect)] == 0).all()
    fixed = compare(["status_quo", "status_quo"], 2, 4, out_dir=tmp_path / "fixed",
                    scale=1000, end="2015-02-28", store=atlas_store, workers=2,
                    fixed_params=True)
    assert fixed.data["parameters"] == FIXED
    assert fixed.data["member_particles"] == [None, None]


def test_ensemble_command_says_which_uncertainty_dominates(posterior, atlas_store, tmp_path,
                                                           capsys):
    out = tmp_path / "ens"
    args = ["ensemble", "--runs", "3", "--controls", "3", "--seed", "2", "--scale", "1000",
            "--end", "2016-12-31", "--store", str(atlas_store), "--out", str(out),
            "--workers", "2"]
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    text = capsys.readouterr().out
    assert exit_info.value.code in (0, None)
    manifest = json.loads((out / "ensemble.json").read_text())
    statement = manifest["uncertainty"]["statement"]
    assert "fentanyl deaths 2016:" in statement and " uncertainty dominates " in statement
    assert statement in " ".join(text.split())
    assert manifest["parameters"] == "posterior:" + posterior.sha256
    assert [m["particle"] for m in manifest["members"]] == [
        posterior.draw(s) for s in manifest["member_seeds"]]
    # --fixed-params: no draws, no controls, and the output says the bands are random only
    with pytest.raises(SystemExit):
        main([*args[:-4], "--out", str(tmp_path / "fixed"), "--fixed-params"])
    text = capsys.readouterr().out
    fixed = json.loads((tmp_path / "fixed" / "ensemble.json").read_text())
    assert fixed["parameters"] == FIXED and fixed["controls"] == 0
    assert {m["particle"] for m in fixed["members"]} == {None}
    assert "random uncertainty only" in text


def test_bad_controls_is_one_line_exit_2(atlas_store, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["ensemble", "--controls", "-1", "--store", str(atlas_store), "--out",
              str(tmp_path / "e")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert len(err.strip().splitlines()) == 1
    assert "--controls -1: must be a whole number from 0 to 10,000" in err
    assert not (tmp_path / "e").exists()
