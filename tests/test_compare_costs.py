"""Cost ranges and sources, cost draws, decisions under uncertainty and rounding (issue 9,
items 4-6): the fast checks, without running the model."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

import narcosim.cli.validate_cmd  # noqa: F401  (registers `validate`)
from narcosim.analysis.costs import cost_uniforms, drawn_value, triangular_ppf
from narcosim.analysis.decisions import acceptability, pairwise_cheaper
from narcosim.analysis.effects import bootstrap_weights
from narcosim.cli import main
from narcosim.interventions.config import BorderSurgeConfig, NaloxoneConfig, TreatmentConfig
from narcosim.report.rounding import fmt_interval, fmt_money, fmt_number, fmt_percent
from narcosim.scenario.loader import builtin_names, load_scenario

DATES = {"start": "2024-01-01", "end": "2024-12-31"}


# ------------------------------------------------------------------ schema


def test_range_holding_its_value_is_accepted_and_old_files_stay_valid():
    config = BorderSurgeConfig(**DATES, annual_cost=100.0, annual_cost_range=[50, 200],
                               cost_source="guess: a test")
    assert config.cost_ranges() == {"annual_cost": (100.0, (50.0, 200.0))}
    assert config.cost_is_guess
    old = BorderSurgeConfig(**DATES, annual_cost=100.0)  # no range, no source
    assert old.cost_ranges() == {"annual_cost": (100.0, (100.0, 100.0))}
    assert old.cost_is_guess  # no source: listed as a guess
    cited = TreatmentConfig(**DATES, unit_cost=6552.0, unit_cost_range=[5980, 14112],
                            cost_source="NIDA 2018")
    assert not cited.cost_is_guess
    assert cited.cost_ranges()["unit_cost"] == (6552.0, (5980.0, 14112.0))


@pytest.mark.parametrize(("model", "fields", "message"), [
    (BorderSurgeConfig, {"annual_cost": 100.0, "annual_cost_range": [200.0, 50.0]},
     "low 200 is above high 50"),
    (BorderSurgeConfig, {"annual_cost": 100.0, "annual_cost_range": [150.0, 300.0]},
     "does not hold annual_cost = 100"),
    (BorderSurgeConfig, {"annual_cost": 100.0, "annual_cost_range": [-1.0, 300.0]},
     "is negative"),
    (BorderSurgeConfig, {"annual_cost": 100.0, "annual_cost_range": [1.0, math.inf]},
     "must be finite"),
    (BorderSurgeConfig, {"annual_cost": 100.0, "annual_cost_range": [math.nan, 300.0]},
     "must be finite"),
    (BorderSurgeConfig, {"annual_cost": 100.0, "annual_cost_range": [1.0, 2.0, 3.0]},
     "at most 2"),
    (BorderSurgeConfig, {"annual_cost": math.inf}, "finite number"),
    (NaloxoneConfig, {"unit_cost": 0.0, "unit_cost_range": [0.0, 3.0]},
     "needs unit_cost > 0"),
    (NaloxoneConfig, {"unit_cost": 40.0, "unit_cost_range": [45.0, 75.0]},
     "does not hold unit_cost = 40"),
])
def test_bad_ranges_are_rejected(model, fields, message):
    with pytest.raises(ValidationError, match=message):
        model(**DATES, **fields)


def test_validator_reports_a_bad_range_in_one_line_exit_2(tmp_path, atlas_store, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('[scenario]\nname = "bad"\n\n[[interventions]]\nkind = "border_surge"\n'
                    "start = 2020-01-01\nend = 2020-12-31\nannual_cost = 100.0\n"
                    "annual_cost_range = [200.0, 50.0]\n", encoding="utf-8")
    with pytest.raises(SystemExit) as info:
        main(["run", str(path), "--store", str(atlas_store), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert info.value.code == 2
    assert err.strip().splitlines() == [
        f"error: {path}:9: interventions[0].annual_cost_range: [200, 50]: low 200 is above "
        "high 50"]
    assert "Traceback" not in err and not (tmp_path / "o").exists()


def test_every_builtin_cost_has_a_source_and_a_range():
    checked = 0
    for name in builtin_names():
        _, scenario = load_scenario(name)
        for config in scenario.interventions:
            assert config.cost_source.strip(), (name, config.label)
            for field, (value, (low, high)) in config.cost_ranges().items():
                if value > 0:
                    assert low < high and low <= value <= high, (name, config.label, field)
                    checked += 1
            if not config.cost_source.lower().startswith("guess"):
                assert any(ch.isdigit() for ch in config.cost_source)  # a dated citation
    assert checked >= 15


# ------------------------------------------------------------------ cost draws


def test_triangular_quantiles():
    assert triangular_ppf(0.0, 1.0, 2.0, 4.0) == 1.0
    assert triangular_ppf(1.0, 1.0, 2.0, 4.0) == 4.0
    assert triangular_ppf(1 / 3, 1.0, 2.0, 4.0) == pytest.approx(2.0)  # F(mode) = 1/3
    assert triangular_ppf(0.7, 5.0, 5.0, 5.0) == 5.0  # no range: the value itself
    u = np.linspace(0.0005, 0.9995, 1000)
    draws = np.array([triangular_ppf(x, 60.0, 120.0, 240.0) for x in u])
    assert np.all(np.diff(draws) > 0) and draws.min() >= 60 and draws.max() <= 240
    assert draws.mean() == pytest.approx((60 + 120 + 240) / 3, rel=1e-3)


def test_cost_draws_come_from_the_member_seed_and_are_shared_by_kind():
    surge = BorderSurgeConfig(**DATES, annual_cost=100.0, annual_cost_range=[50, 400])
    other = BorderSurgeConfig(**DATES, annual_cost=10.0, annual_cost_range=[5, 20])
    exact = BorderSurgeConfig(**DATES, annual_cost=100.0)
    draws = [drawn_value(surge, "annual_cost", cost_uniforms([surge], s)) for s in range(200)]
    assert len(set(draws)) == 200 and min(draws) >= 50 and max(draws) <= 400
    again = [drawn_value(surge, "annual_cost", cost_uniforms([surge], s)) for s in range(200)]
    assert draws == again
    u = cost_uniforms([surge, other], 7)
    assert list(u) == ["border_surge.annual_cost"]  # one uniform for the kind, both mapped
    assert drawn_value(other, "annual_cost", u) == triangular_ppf(
        u["border_surge.annual_cost"], 5.0, 10.0, 20.0)
    assert drawn_value(exact, "annual_cost", cost_uniforms([exact], 7)) == 100.0


# ------------------------------------------------------------------ decisions


def points_frame(per_arm: dict[str, list[tuple[float, float]]]) -> pd.DataFrame:
    rows = [{"arm": arm, "member": i, "seed": 100 + i, "deaths_averted": d, "cost_usd": c}
            for arm, pts in per_arm.items() for i, (d, c) in enumerate(pts)]
    return pd.DataFrame(rows)


def test_pairwise_probabilities_by_hand():
    points = points_frame({
        "a": [(10, 100), (10, 300), (0, 50), (-5, 10), (20, 100)],  # ratios 10, 30, inf, inf, 5
        "b": [(10, 200), (10, 100), (5, 50), (0, 0), (20, 100)],    # ratios 20, 10, 10, inf, 5
    })
    [row] = pairwise_cheaper(points).to_dict(orient="records")
    assert (row["arm_a"], row["arm_b"], row["n"]) == ("a", "b", 5)
    assert row["p_a"] == pytest.approx(1 / 5)   # member 0
    assert row["p_b"] == pytest.approx(2 / 5)   # members 1, 2
    assert row["p_tie"] == pytest.approx(2 / 5)  # members 3 (neither averts), 4 (equal)


def test_pairwise_and_acceptability_on_random_members():
    rng = np.random.default_rng(3)
    n = 40
    per_arm = {arm: list(zip(rng.normal(mu, 30, n), rng.normal(cost, 0.2 * cost, n), strict=True))
               for arm, mu, cost in (("x", 100, 1e7), ("y", 150, 3e7), ("z", 60, 2e6))}
    points = points_frame(per_arm)
    pairs = pairwise_cheaper(points)
    assert len(pairs) == 3
    for _, p in pairs.iterrows():
        assert 0 <= p["p_a"] <= 1 and 0 <= p["p_b"] <= 1
        assert p["p_tie"] == 0  # continuous draws, all averting: no ties
        assert p["p_a"] + p["p_b"] == pytest.approx(1.0)
    curve = acceptability(points, "base")
    sums = curve.groupby("wtp")["probability"].sum()
    assert np.allclose(sums.to_numpy(), 1.0)
    first = curve[curve["wtp"] == curve["wtp"].min()].set_index("arm")["probability"]
    last = curve[curve["wtp"] == curve["wtp"].max()].set_index("arm")["probability"]
    assert first["base"] == 1.0  # at $10k a death nothing is worth its cost
    assert last["y"] > 0.9       # at $100M a death the arm that averts most wins
    assert list(curve["arm"].drop_duplicates()) == ["base", "x", "y", "z"]


def test_bootstrap_weights_are_resamples_from_a_named_stream():
    w = bootstrap_weights(7, seed=5, arm="surge")
    assert w.shape[1] == 7 and np.allclose(w.sum(axis=1), 1.0)
    assert np.allclose(w * 7, np.round(w * 7))  # counts / n
    assert np.array_equal(w, bootstrap_weights(7, seed=5, arm="surge"))
    assert not np.array_equal(w, bootstrap_weights(7, seed=6, arm="surge"))


# ------------------------------------------------------------------ rounding


def test_figures_round_to_three_significant_figures():
    assert fmt_number(1736.5) == "1,740"
    assert fmt_number(58.163) == "58.2"
    assert fmt_number(0.052341) == "0.0523"
    assert fmt_number(float("nan")) == "n/a"
    assert fmt_money(142_311_294) == "$142M"
    assert fmt_money(46_458.2) == "$46.5k"
    assert fmt_money(-2.5e9) == "-$2.50B"
    assert fmt_interval(142_311_294, 110e6, 180e6, money=True) == "$142M ($110M–$180M)"
    assert fmt_interval(5.0, None, None) == "5.00"
    assert (fmt_percent(0.4), fmt_percent(0.001), fmt_percent(1.0)) == ("40%", "<1%", "100%")
