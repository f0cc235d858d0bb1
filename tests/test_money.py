"""Money (issue 14, part 2): revenue, laundering channels, kept profits, AML by channel.

* The money ledger balances to 1e-9 every week, per operator, over >= 100 random parameter
  draws (Hypothesis), through its own imbalance and recomputed from the per-step results;
  revenue is recomputed from the kilograms sold and the prices.
* Anti-money-laundering on one channel changes the money accounts and nothing else; it hits
  every Sinaloa faction (shared networks) and not CJNG; each faction's profit stays its own.
* The revenue is reported beside the published estimates, with the gap.
* A negative price, a channel share above 1 (or shares summing above 1) and an unknown
  channel give one line and exit 2, with no run folder.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import narcosim.cli.validate_cmd  # noqa: F401  (registers `validate`)
from fuzz_support import assert_refused, cli
from narcosim.core.sim import Sim
from narcosim.interventions import CONFIG_BY_KIND, build_interventions
from narcosim.interventions.config import Target
from narcosim.model.builder import build_sim, summarize
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.money import ACCOUNTS, CHANNELS, PUBLISHED, revenue_vs_published
from supply_fixtures import inputs_for

TOL = 1e-9
START, END = "2021-01-01", "2021-06-30"


def _unit(low: float = 0.0, high: float = 1.0) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def _check_ledger(sim: Sim) -> None:
    r = sim.results["money"]
    assert np.all(np.isfinite(r["imbalance"])) and float(r["imbalance"].max()) <= TOL
    acc = r["account_usd"]  # (steps, operators, accounts)
    col = {name: acc[:, :, i] for i, name in enumerate(ACCOUNTS)}
    other = sim.results["portfolio"]["other_revenue_usd"].sum(axis=2)  # exports, other crimes
    own = {
        "revenue": np.cumsum(r["revenue_usd"].sum(axis=2) + other, axis=0),
        "seized": np.cumsum(r["money_seized_usd"].sum(axis=2), axis=0),
        "fees": np.cumsum(r["fees_usd"].sum(axis=2) + r["other_fees_usd"], axis=0),
        "costs": np.cumsum(r["costs_usd"], axis=0),
        "treasury": r["treasury_usd"],
    }
    scale = np.maximum(own["revenue"] + own["costs"], 1e-300)
    for name, value in own.items():
        assert np.all(np.abs(col[name] - value) <= TOL * scale), name
    rest = col["us_cash"] + own["seized"] + own["fees"] + own["costs"] + own["treasury"]
    assert np.all(np.abs(own["revenue"] - rest) <= TOL * scale)
    assert col["us_cash"].min() >= -TOL * scale.max()
    # revenue is the kilograms sold times the prices (all operators together)
    money = sim.modules["money"]
    sold = sim.results["distribution"]["sold_kg"].sum(axis=2)  # (steps, drugs)
    np.testing.assert_allclose(r["revenue_usd"].sum(axis=1), sold * money.price[None, :],
                               rtol=1e-12, atol=1e-6)


CAPACITY = st.lists(_unit(0.0, 1.0 / 3.0), min_size=3, max_size=3)
RATES = st.lists(_unit(), min_size=3, max_size=3)
PARAMS = st.fixed_dictionaries({
    "money": st.fixed_dictionaries({
        **{f"{d}_price": _unit(0.0, 1e6) for d in SUPPLY_DRUGS},
        **{f"{d}_cost": _unit(0.0, 1e5) for d in SUPPLY_DRUGS},
        "capacity": CAPACITY, "seizure": RATES, "fee": RATES,
    }),
    "distribution": st.fixed_dictionaries({
        "hub_dispatch": _unit(), "retail_turnover": _unit(0.0, 0.9),
        "retail_loss": _unit(0.0, 0.1)}),
    "production": st.fixed_dictionaries({"cover_for_removed": _unit()}),
})
LEVER = st.one_of(st.none(), st.tuples(
    st.sampled_from(CHANNELS), _unit(0.0, 3.0),
    st.sampled_from([Target(), Target(faction="sinaloa.mayo"), Target(cartel="cjng")])))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pars=PARAMS, seed=st.integers(0, 2**32 - 1), lever=LEVER,
       removed=st.sampled_from([None, "sinaloa.guano", "independents"]))
def test_money_ledger_balances_for_any_parameters(atlas_store: Path, pars, seed: int, lever,
                                                  removed) -> None:
    inputs = inputs_for(atlas_store)
    if removed is not None:
        inputs = dataclasses.replace(inputs, structure=inputs.structure.without(removed))
    configs = []
    if lever is not None:
        channel, intensity, target = lever
        configs = [CONFIG_BY_KIND["aml_channel"](start="2021-02-01", end="2021-05-31",
                                                 intensity=intensity, channel=channel,
                                                 target=target)]
    sim = build_sim(inputs, seed=seed, start=START, end=END, people=False, pars=pars,
                    interventions=build_interventions(configs, inputs, {})).run()
    _check_ledger(sim)


def _run(store: Path, *configs: dict) -> Sim:
    inputs = inputs_for(store)
    levers = [CONFIG_BY_KIND["aml_channel"](**c) for c in configs]
    return build_sim(inputs, seed=1, start="2021-01-01", end="2021-12-31", people=False,
                     interventions=build_interventions(levers, inputs, {})).run()


def _frame(sim: Sim, keep_money: bool) -> pd.DataFrame:
    frame = sim.results.to_frame()
    frame = frame[~frame["module"].str.startswith("intervention")]
    frame = frame[(frame["module"] == "money") == keep_money].dropna(axis=1, how="all")
    return frame[sorted(frame.columns)].reset_index(drop=True)


def test_aml_on_one_channel_changes_money_only_and_hits_the_umbrella(atlas_store: Path) -> None:
    base = _run(atlas_store)
    arm = _run(atlas_store, {"start": "2021-03-01", "end": "2021-12-31", "intensity": 1.0,
                             "channel": "chinese_mlo",
                             "target": Target(faction="sinaloa.mayo")})
    # nothing outside the money accounts moves, bit for bit
    pd.testing.assert_frame_equal(_frame(arm, False), _frame(base, False), check_exact=True)
    assert not _frame(arm, True)["value"].equals(_frame(base, True)["value"])
    ops = arm.modules["money"].inputs.structure.operator_keys
    sinaloa = [i for i, k in enumerate(ops) if k.startswith("sinaloa.")]
    others = [i for i, k in enumerate(ops) if not k.startswith("sinaloa.")]
    mlo = CHANNELS.index("chinese_mlo")
    b, a = base.results["money"], arm.results["money"]
    # the shared channel seizes more and moves less for every Sinaloa faction
    for i in sinaloa:
        assert a["money_seized_usd"][:, i, mlo].sum() > 2 * b["money_seized_usd"][:, i, mlo].sum()
        assert a["laundered_usd"][:, i, mlo].sum() < b["laundered_usd"][:, i, mlo].sum()
        assert a["treasury_usd"][-1, i] < b["treasury_usd"][-1, i]
    # CJNG and the independents are untouched; revenue (sales) is the same for all
    assert np.array_equal(a["treasury_usd"][:, others], b["treasury_usd"][:, others])
    assert np.array_equal(a["revenue_usd"], b["revenue_usd"])
    # profits are each faction's own: the loss of each is its own seizures and fees
    for i in sinaloa:
        lost = (b["treasury_usd"][-1, i] - a["treasury_usd"][-1, i])
        extra_out = ((a["money_seized_usd"][:, i].sum() + a["fees_usd"][:, i].sum()
                      + a["account_usd"][-1, i, ACCOUNTS.index("us_cash")])
                     - (b["money_seized_usd"][:, i].sum() + b["fees_usd"][:, i].sum()
                        + b["account_usd"][-1, i, ACCOUNTS.index("us_cash")]))
        assert lost == pytest.approx(extra_out, rel=1e-9)


def test_revenue_is_reported_beside_the_published_estimates(atlas_store: Path) -> None:
    inputs = inputs_for(atlas_store)
    sim = build_sim(inputs, seed=1, start="2017-01-01", end="2018-12-31", people=False).run()
    rows = revenue_vs_published(sim)
    assert [r["source"] for r in rows] == [p[0] for p in PUBLISHED]
    for row in rows:
        assert row["model_year"] == 2018
        model, low, high = row["model_usd"], row["low_usd"], row["high_usd"]
        expected = model - low if model < low else max(model - high, 0.0)
        assert row["gap_usd"] == pytest.approx(expected)
        # same order of magnitude as the published estimates: a tenth to ten times the range
        assert low / 10 < model < high * 10, row
    summary = summarize(sim)
    assert summary["cartel_revenue_vs_published"] == rows
    assert summary["money_balance_max_imbalance"] <= TOL
    assert summary["precursor_balance_max_imbalance"] <= TOL


def _scenario(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nname = "t"\nstart = 2021-01-01\nend = 2021-03-31\n\n' + body)
    return path


@pytest.mark.parametrize("body, fragment", [
    ("[parameters.money]\ncocaine_price = -5\n", "cocaine_price"),
    ("[parameters.money]\ncapacity = [1.5, 0.1, 0.1]\n", "capacity"),
    ("[parameters.money]\ncapacity = [0.5, 0.4, 0.3]\n", "sum to 1.2, above 1"),
    ('[[interventions]]\nkind = "aml_channel"\nstart = 2021-02-01\nend = 2021-03-01\n'
     'channel = "hawala"\n', "interventions[0].channel"),
])
def test_bad_input_is_one_line_exit_2_and_no_folder(tmp_path: Path, atlas_store: Path,
                                                    body: str, fragment: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = _scenario(tmp_path, body)
    out_dir = tmp_path / "run"
    assert_refused(*cli(["run", str(path), "--out", str(out_dir), "--store", str(atlas_store)],
                        capsys), fragment)
    assert not out_dir.exists()
