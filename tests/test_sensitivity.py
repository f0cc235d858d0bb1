"""narcosim sensitivity: the harness against analytic Sobol indices, resuming, bad input, and a
tiny end-to-end run of the model.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narcosim.analysis.sensitivity import Design, check_design_args, evaluate, sample_path
from narcosim.analysis.sensitivity_params import find_param, prior_params, select_params
from narcosim.cli import main
from narcosim.errors import ParameterError

PI = math.pi
#: Analytic indices of the Ishigami function with a = 7, b = 0.1 (Saltelli et al. 2008).
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)


def ishigami(setup: tuple[float, float], row: list[float]) -> dict[str, float]:
    """The Ishigami function of one row (a top-level, picklable evaluation function)."""
    a, b = setup
    x1, x2, x3 = row
    return {"y": math.sin(x1) + a * math.sin(x2) ** 2 + b * x3 ** 4 * math.sin(x1),
            "x2_only": a * math.sin(x2) ** 2}


def test_sobol_indices_of_ishigami_match_the_analytic_values() -> None:
    design = Design("sobol", ("x1", "x2", "x3"), ((-PI, PI),) * 3, 2 ** 12, seed=7)
    x = design.sample()
    assert x.shape == (2 ** 12 * 5, 3) == (design.n_rows, 3)
    y = np.array([ishigami((7.0, 0.1), list(row))["y"] for row in x])
    table = design.analyze(x, {"y": y}).set_index("param")
    np.testing.assert_allclose(table["S1"], ISHIGAMI_S1, atol=0.03)
    np.testing.assert_allclose(table["ST"], ISHIGAMI_ST, atol=0.03)
    assert (table["ST_conf"] > 0).all() and (table["ST_conf"] < 0.06).all()
    assert table["rank"].tolist() == [1, 2, 3]


def test_morris_ranks_a_linear_function_by_its_coefficients() -> None:
    design = Design("morris", ("a", "b", "c"), ((0, 1),) * 3, 10, seed=3)
    x = design.sample()
    table = design.analyze(x, {"y": x @ np.array([1.0, -5.0, 0.0])}).set_index("param")
    np.testing.assert_allclose(table["mu_star"], [1.0, 5.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(table["mu"], [1.0, -5.0, 0.0], atol=1e-9)
    assert table.loc["b", "rank"] == 1


def test_evaluate_writes_each_sample_and_resumes(tmp_path: Path) -> None:
    design = Design("sobol", ("x1", "x2", "x3"), ((-PI, PI),) * 3, 4, seed=1)
    first = evaluate(design, ishigami, (7.0, 0.1), tmp_path, workers=1)
    assert first.ran == list(range(20)) and first.skipped == []
    expected = [ishigami((7.0, 0.1), list(row))["y"] for row in design.sample()]
    np.testing.assert_array_equal(first.outputs["y"], expected)
    again = evaluate(design, ishigami, (7.0, 0.1), tmp_path, workers=1)
    assert again.ran == [] and len(again.skipped) == 20
    np.testing.assert_array_equal(again.outputs["y"], first.outputs["y"])
    # a missing and a half-written sample are run again; nothing else is
    sample_path(tmp_path / "samples", 3).unlink()
    sample_path(tmp_path / "samples", 5).write_text("{\"index\": 5, \"val")
    third = evaluate(design, ishigami, (7.0, 0.1), tmp_path, workers=1)
    assert third.ran == [3, 5]
    np.testing.assert_array_equal(third.outputs["y"], first.outputs["y"])
    # another design in the same folder is refused, unless forced
    other = Design("sobol", ("x1", "x2", "x3"), ((-PI, PI),) * 3, 8, seed=1)
    with pytest.raises(ParameterError, match=r"holds another analysis \(different n\)"):
        evaluate(other, ishigami, (7.0, 0.1), tmp_path, workers=1)
    forced = evaluate(other, ishigami, (7.0, 0.1), tmp_path, workers=1, force=True)
    assert len(forced.ran) == 40
    record = json.loads(sample_path(tmp_path / "samples", 0).read_text())
    assert record["values"] == [float(v) for v in other.sample()[0]]


def test_a_constant_or_broken_output_gets_a_note_not_a_crash() -> None:
    design = Design("sobol", ("a", "b"), ((0, 1), (0, 1)), 4, seed=1)
    x = design.sample()
    y = x[:, 0].copy()
    y[2] = np.nan
    table = design.analyze(x, {"flat": np.ones(len(x)), "broken": y})
    notes = table.groupby("output")["note"].first()
    assert notes["flat"] == "the output does not vary"
    assert notes["broken"] == f"not finite in 1 of {len(x)} samples"
    assert table["ST"].isna().all()


def test_parameters_default_to_every_prior() -> None:
    keys = [p.key for p in prior_params()]
    assert "people.od_meth" in keys and "trafficking.ofo_interdiction" in keys
    assert "people.trends_until" not in keys
    dealers = find_param("dealers.kg_per_dealer_week")
    assert dealers.value(2.0) == pytest.approx([0.5, 4.0, 2.0])  # a factor on the array


@pytest.mark.parametrize(("call", "message"), [
    (lambda: check_design_args("sobol", 12, 3), "--n 12: Sobol .Saltelli. sampling needs a "
                                                "power of two base samples, e.g. 8 or 16"),
    (lambda: check_design_args("fast", 8, 3), "--method 'fast': must be one of morris, sobol"),
    (lambda: check_design_args("morris", 1, 3), "--n 1: must be a whole number from 2 to 10,000"),
    (lambda: select_params(["people.nope"]), "not a parameter of any module's specs"),
    (lambda: select_params(["od_meth"]), "write MODULE.NAME"),
    (lambda: select_params([], {"people.od_meth": (5e-5, 1e-5)}),
     "'people.od_meth': prior range low 5e-05 > high 1e-05"),
    (lambda: select_params([], {"people.od_meth": (0.0, 0.9)}), "above the upper bound"),
    (lambda: select_params(["distribution.centre_removed_from"]), "has no prior range"),
])
def test_bad_arguments_fail_in_one_line(call, message: str) -> None:
    with pytest.raises(ParameterError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("args", "message"), [
    (["--method", "sobol", "--n", "6"], "error: --n 6: Sobol (Saltelli) sampling needs a "
                                        "power of two"),
    (["--param", "people.od_meth_x"], "error: --param 'people.od_meth_x': not a parameter"),
    (["--intervention", "naloxone_expanse"], "error: --intervention 'naloxone_expanse': "
                                             "unknown scenario"),
    (["--params-file", "PRIORS"], "prior range low 0.9 > high 0.1"),
])
def test_cli_bad_input_is_one_line_exit_2_and_writes_nothing(
        args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    priors = tmp_path / "priors.toml"
    priors.write_text('[parameters]\n"people.naloxone_reversal" = [0.9, 0.1]\n')
    out = tmp_path / "out"
    args = [str(priors) if a == "PRIORS" else a for a in args]
    with pytest.raises(SystemExit) as info:
        main(["sensitivity", *args, "--out", str(out), "--workers", "1"])
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err
    assert not out.exists()


def _main(args: list[str]) -> None:
    """Run the command line; success exits with code 0."""
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code in (0, None)


def test_tiny_model_run_end_to_end(atlas_store: Path, tmp_path: Path,
                                   capsys: pytest.CaptureFixture) -> None:
    """Morris r=2 over two people parameters, six months at 1:5000, with a lever."""
    out = tmp_path / "sens"
    args = ["sensitivity", "--method", "morris", "--n", "2", "--param", "people.od_fentanyl",
            "--param", "people.naloxone_reversal", "--intervention", "naloxone_expansion",
            "--drug", "fentanyl", "--start", "2023-10-01", "--end", "2024-03-31",
            "--scale", "5000", "--workers", "1", "--store", str(atlas_store),
            "--out", str(out)]
    _main(args)
    shown = capsys.readouterr().out
    assert "ran 6, 0 already done" in shown
    indices = pd.read_parquet(out / "indices.parquet")
    assert set(indices["output"]) == {"deaths_fentanyl_2023", "deaths_fentanyl_2024",
                                      "averted_naloxone_expansion",
                                      "cost_per_averted_naloxone_expansion"}
    assert np.isfinite(indices[["mu", "mu_star", "mu_star_conf", "sigma"]].to_numpy()).all()
    assert (indices["note"].fillna("") == "").all()
    # the model answers as it should: a higher fentanyl hazard means more fentanyl deaths
    row = indices.set_index(["output", "param"]).loc[("deaths_fentanyl_2023",
                                                      "people.od_fentanyl")]
    assert row["mu"] > 0
    samples = pd.read_parquet(out / "samples.parquet")
    assert len(samples) == 6 and (samples["averted_naloxone_expansion"] > 0).all()
    assert pd.read_csv(out / "indices.csv").shape == indices.shape
    page = (out / "sensitivity.html").read_text()
    assert "people.od_fentanyl" in page and "Plotly" in page
    meta = json.loads((out / "sensitivity.json").read_text())
    assert meta["last_data_year"] >= 2023 and meta["years"] == [2023, 2024]
    # a rerun resumes: every sample is already there
    _main(args)
    assert "ran 0, 6 already done" in capsys.readouterr().out
    np.testing.assert_array_equal(pd.read_parquet(out / "indices.parquet")["mu_star"],
                                  indices["mu_star"])
