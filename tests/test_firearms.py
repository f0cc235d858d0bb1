"""Guns going south in the weekly run, and southbound firearms interdiction (issue 14, item 3).

* The guns ledger balances every week, per source state, to 1e-9 over >= 100 random draws
  of the flow's parameters, a southbound interdiction and a dealer operation (Hypothesis).
* In the status quo the flow is the one :mod:`narcosim.orgs.guns` computes (same constants)
  and the conflict factor is exactly 1.
* Dealer operations' firearms feed back: the southbound share of them leaves the flow.
* The lever changes the guns results and nothing else, only in its source states, by exactly
  efficacy x intensity; switched off it is bit-identical (also in test_interventions_off).
* Members draw the guessed parameters from their priors (same draw in every arm), so
  ``compare`` gives the guns measures real intervals.
* An unknown source state and an out-of-range guns parameter: one line, exit 2, no folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narcosim.core.sim import Sim
from narcosim.core.units import DAYS_PER_YEAR
from narcosim.interventions import CONFIG_BY_KIND, build_interventions
from narcosim.interventions.firearms import draw_guesses
from narcosim.model.builder import build_sim, summarize
from narcosim.model.firearms import SOURCES, Firearms
from narcosim.orgs.guns import PUBLISHED_US_SHARE, SOURCE_STATES, GunsParams, flows
from supply_fixtures import inputs_for

TOL = 1e-9
START, END = "2021-01-01", "2021-12-31"


def _unit(low: float = 0.0, high: float = 1.0) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


PARS = st.fixed_dictionaries({
    "us_guns_per_year": _unit(0.0, 1e6), "us_share": _unit(0.01, 1.0),
    "border_seizure": _unit(), "conflict_elasticity": _unit(0.0, 3.0),
    "arsenal_attrition": _unit(0.01, 5.0), "ops_southbound_share": _unit(),
})
LEVER = st.tuples(st.lists(st.sampled_from(SOURCES), unique=True, max_size=3),
                  _unit(0.0, 12.0))
OPERATION = st.one_of(st.none(), st.tuples(st.integers(0, 20_000), _unit(0.0, 3.0)))


def _configs(lever=None, operation=None, start: str = "2021-02-01",
             end: str = "2021-05-31") -> list:
    out = []
    if lever is not None:
        states, intensity = lever
        out.append(CONFIG_BY_KIND["firearms_interdiction"](
            start=start, end=end, intensity=intensity, source_states=states))
    if operation is not None:
        investigations, intensity = operation
        out.append(CONFIG_BY_KIND["dealer_operation"](
            start=start, end=end, intensity=intensity, investigations=investigations))
    return out


def _run(store: Path, configs: list, pars: dict | None = None, start: str = START,
         end: str = END, seed: int = 1) -> Sim:
    inputs = inputs_for(store)
    return build_sim(inputs, seed=seed, start=start, end=end, people=False, pars=pars,
                     interventions=build_interventions(configs, inputs, {})).run()


def _check_ledger(sim: Sim) -> None:
    r = sim.results["firearms"]
    bought, ops = r["bought"], r["seized_ops"]
    border, arrived = r["seized_border"], r["arrived"]
    for arr in (bought, ops, border, arrived):
        assert np.all(np.isfinite(arr)) and arr.min() >= 0.0
    assert np.abs(bought - ops - border - arrived).max() <= TOL
    assert np.nanmax(r["imbalance"]) <= TOL
    assert np.all(ops <= bought)
    p = sim.modules["firearms"].pars
    np.testing.assert_allclose(bought.sum(axis=1),
                               p.us_guns_per_year * sim.dt_days / DAYS_PER_YEAR, rtol=1e-12)
    # seizures only take guns away: at most 1 (to rounding: the ratio of two sums)
    assert np.all(r["conflict_factor"] > 0) and np.all(r["conflict_factor"] <= 1.0 + 1e-12)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pars=PARS, lever=st.one_of(st.none(), LEVER), operation=OPERATION,
       seed=st.integers(0, 2**32 - 1))
def test_guns_ledger_balances(atlas_store: Path, pars, lever, operation, seed: int) -> None:
    sim = _run(atlas_store, _configs(lever, operation), {"firearms": pars},
               start="2021-01-01", end="2021-06-30", seed=seed)
    _check_ledger(sim)
    r = sim.results["firearms"]
    if lever is None and operation is None:
        assert np.all(r["conflict_factor"] == 1.0)
        assert r["seized_ops"].max() == 0.0


def test_status_quo_is_the_orgs_flow_and_conflict_is_unchanged(atlas_store: Path) -> None:
    sim = _run(atlas_store, [])
    r = sim.results["firearms"]
    year = flows(GunsParams())
    week = sim.dt_days / DAYS_PER_YEAR
    weights = np.array([SOURCE_STATES[s] for s in SOURCES])
    expected = np.broadcast_to(year["bought"] * week * weights, r["bought"].shape)
    np.testing.assert_allclose(r["bought"], expected, rtol=1e-12)
    arrived = r["arrived"].sum(axis=1) + r["arrived_other"]
    np.testing.assert_allclose(arrived, np.full(len(arrived), year["arrived"] * week),
                               rtol=1e-12)
    np.testing.assert_allclose(r["us_share"], np.full(len(arrived), year["us_share"]),
                               rtol=1e-12)
    assert np.all(r["conflict_factor"] == 1.0) and r["seized_ops"].max() == 0.0
    np.testing.assert_allclose(r["arsenal"], year["arrived"] / 0.1, rtol=1e-9)  # equilibrium
    summary = summarize(sim)
    assert summary["guns_balance_max_imbalance"] <= TOL
    shares = summary["guns_us_share_vs_published"]
    assert [row["published"] for row in shares] == [p for _, _, p in PUBLISHED_US_SHARE]
    assert shares[0]["model"] == pytest.approx(0.70, rel=1e-12)


def _frame(sim: Sim, modules: tuple[str, ...], keep: bool) -> pd.DataFrame:
    frame = sim.results.to_frame()
    frame = frame[~frame["module"].str.startswith("intervention")]
    frame = frame[frame["module"].isin(modules) == keep].dropna(axis=1, how="all")
    return frame[sorted(frame.columns)].reset_index(drop=True)


def test_interdiction_changes_guns_only_in_its_states(atlas_store: Path) -> None:
    base = _run(atlas_store, [])
    arm = _run(atlas_store, _configs((["TX", "NM"], 2.0)))
    pd.testing.assert_frame_equal(_frame(arm, ("firearms",), False),
                                  _frame(base, ("firearms",), False), check_exact=True)
    b, a = base.results["firearms"], arm.results["firearms"]
    (iv,) = [n for n in arm.modules if n.startswith("intervention")]
    on = arm.results[iv]["active"] > 0
    assert 10 < on.sum() < 30
    hit = np.array([s in ("TX", "NM") for s in SOURCES])
    # the usual 2% plus efficacy (0.1) x intensity (2) while active, in TX and NM only
    np.testing.assert_allclose(a["seized_border"][on][:, hit],
                               0.22 * a["bought"][on][:, hit], rtol=1e-12)
    assert np.array_equal(a["seized_border"][:, ~hit], b["seized_border"][:, ~hit])
    assert np.array_equal(a["seized_border"][~on], b["seized_border"][~on])
    assert a["arrived"].sum() < b["arrived"].sum()
    first = int(np.argmax(on))
    assert np.all(a["conflict_factor"][:first] == 1.0)
    assert np.all(a["conflict_factor"][first:] < 1.0)  # the arsenal recovers only slowly
    assert np.all(np.diff(a["conflict_factor"][on]) < 0)


def test_dealer_operation_firearms_leave_the_southbound_flow(atlas_store: Path) -> None:
    sim = _run(atlas_store, _configs(operation=(1436, 1.0)))
    r = sim.results["firearms"]
    (iv,) = [n for n in sim.modules if n.startswith("intervention")]
    tally = sim.results[iv]["firearms"]
    assert tally.sum() > 1000
    share = Firearms.param_specs[-1]
    assert share.name == "ops_southbound_share"
    np.testing.assert_allclose(r["seized_ops"].sum(axis=1), tally * share.default, rtol=1e-9)
    _check_ledger(sim)
    base = _run(atlas_store, [])
    assert r["arrived"].sum() < base.results["firearms"]["arrived"].sum()
    assert sim.results["firearms"]["conflict_factor"].min() < 1.0


def test_members_draw_the_guesses_from_their_priors() -> None:
    guns, efficacy = draw_guesses(7)
    assert (guns, efficacy) == draw_guesses(7)  # same seed, same draw (every arm)
    assert guns != draw_guesses(8)[0]
    for spec in Firearms.param_specs:
        assert spec.prior is not None and spec.prior[0] <= guns[spec.name] <= spec.prior[1]
    assert 0.02 <= efficacy <= 0.3


def test_firearms_interdiction_in_compare_with_intervals(atlas_store: Path,
                                                         tmp_path: Path) -> None:
    from narcosim.analysis.compare import compare
    from narcosim.atlas.store import Atlas
    from narcosim.report.compare_report import COMPARE_HTML, write_compare_report

    scenario = tmp_path / "guns.toml"
    scenario.write_text('[scenario]\nname = "Guns south"\n\n[[interventions]]\n'
                        'kind = "firearms_interdiction"\nstart = 2015-02-01\n'
                        'end = 2015-05-31\nintensity = 1.0\nannual_cost = 1e8\n',
                        encoding="utf-8")
    result = compare(["status_quo", str(scenario)], 5, 3, out_dir=tmp_path / "out",
                     scale=1000, end="2015-05-31", store=atlas_store, workers=1)
    s = result.summary
    arm = s[s["arm"] == s["arm"].iloc[-1]].set_index(["measure", "level", "key"])
    seized = arm.loc[("guns_seized_border", "national", "US")]
    assert 0 < seized["p5"] < seized["p95"]  # more seized; members' guesses differ
    arrived = arm.loc[("guns_arrived", "national", "US")]
    assert arrived["p5"] < arrived["p95"] < 0
    factor = arm.loc[("conflict_factor", "national", "US")]
    assert factor["p5"] < factor["p95"] <= 0
    deaths = s[(s["arm"] == s["arm"].iloc[-1]) & (s["measure"] == "expected_deaths_averted")]
    assert len(deaths) and (deaths["mean"] == 0).all() and (deaths["p95"] == 0).all()
    write_compare_report(result.out_dir, result.data, result.summary, Atlas.open(atlas_store))
    page = (result.out_dir / COMPARE_HTML).read_text("utf-8")
    table = page[page.index('id="money-table"'):]
    assert 'data-measure="conflict_factor"' in table
    assert 'data-measure="guns_arrived"' in table
