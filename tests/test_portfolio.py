"""The cartels' global reach and other crimes (issue 14, parts 4 and 5).

* Exports by region and drug are the market x the cartels' share x the week x the demand
  lever x the labs' capacity, split by production share; revenue is kg x regional price.
* The money ledger (which now books exports and other crimes) balances to 1e-9 every week
  over >= 100 random draws of the markets, prices, shares, other crimes' sums, the fee
  abroad, a demand reduction abroad and a precursor control (Hypothesis).
* Demand reduction abroad with nothing redirected to the US changes the exports and money
  and nothing else, only in its region, by exactly its efficacy x intensity; switched off it
  is bit-identical (also in tests/test_interventions_off.py). The redirection to the US is
  tests/test_redirect_abroad.py.
* The world map's flows add up to the results and render offline in headless Chromium.
* An unknown region, a negative price and a share above 1: one line, exit 2, no folder.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from browser import open_local
from fuzz_support import assert_refused, cli
from narcosim.cli import main
from narcosim.core.sim import Sim
from narcosim.errors import ParameterError
from narcosim.interventions import CONFIG_BY_KIND, build_interventions
from narcosim.model.builder import build_sim, summarize
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.portfolio import _MARKETS, LINES, REGIONS
from narcosim.report.offline import write_html
from narcosim.report.world_map import flows, world_map
from supply_fixtures import inputs_for
from test_money import _check_ledger

TOL = 1e-9


def _unit(low: float = 0.0, high: float = 1.0) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


MARKETS = st.fixed_dictionaries({
    **{f"{r}_{d}_kg": _unit(0.0, 1e6) for r, d in _MARKETS},
    **{f"{r}_{d}_share": _unit() for r, d in _MARKETS},
    **{f"{r}_{d}_price": _unit(0.0, 3e5) for r, d in _MARKETS},
    "migrant_smuggling_usd": _unit(0.0, 2e10), "sex_trafficking_usd": _unit(0.0, 5e9),
})
LEVERS = st.lists(st.one_of(
    st.tuples(st.just("demand_reduction_abroad"), st.sampled_from(REGIONS), _unit(0.0, 5.0)),
    st.tuples(st.just("precursor_source_control"), st.sampled_from(["china", "india"]),
              _unit(0.0, 2.0))), max_size=2)


def _configs(levers) -> list:
    out = []
    for kind, where, intensity in levers:
        extra = ({"region": where} if kind == "demand_reduction_abroad"
                 else {"source": where, "drugs": ["methamphetamine"]})
        out.append(CONFIG_BY_KIND[kind](start="2021-01-15", end="2021-05-31",
                                        intensity=intensity, **extra))
    return out


def _check_exports(sim: Sim) -> None:
    """kg = market x share x week x demand x capacity, split by production; $ = kg x price."""
    p = sim.modules["portfolio"]
    r = sim.results["portfolio"]
    kg, usd = r["export_kg"], r["export_revenue_usd"]
    assert kg.min() >= 0.0 and np.all(np.isfinite(kg))
    np.testing.assert_allclose(usd, (kg * p.price[None, None]).sum(axis=2), rtol=1e-12,
                               atol=1e-6)
    made = sim.results["production"]["produced_kg"] > 0  # (steps, drugs)
    capacity = sim.results["precursors"]["lab_capacity"]
    most = p.market[None] * 7 / 365.25 * capacity[:, :, None]  # at full demand
    total = kg.sum(axis=1)  # (steps, drugs, regions)
    assert np.all(total <= most * (1 + 1e-12) + 1e-12)
    assert np.all(total[~made] == 0.0)
    np.testing.assert_allclose(r["other_revenue_usd"][:, :, 0], usd.sum(axis=2), rtol=1e-12)
    assert np.all((r["export_share"] >= 0) & (r["export_share"] <= 1))


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(markets=MARKETS, fee=_unit(), seed=st.integers(0, 2**32 - 1), levers=LEVERS,
       removed=st.sampled_from([None, "sinaloa.chapitos", "cjng.command"]))
def test_money_ledger_balances_with_exports_and_other_crimes(atlas_store: Path, markets, fee,
                                                             seed: int, levers,
                                                             removed) -> None:
    inputs = inputs_for(atlas_store)
    if removed is not None:
        inputs = dataclasses.replace(inputs, structure=inputs.structure.without(removed))
    pars = {"portfolio": markets, "money": {"abroad_fee": fee}}
    sim = build_sim(inputs, seed=seed, start="2021-01-01", end="2021-06-30", people=False,
                    pars=pars, interventions=build_interventions(_configs(levers), inputs,
                                                                 {})).run()
    _check_ledger(sim)
    _check_exports(sim)


def _run(store: Path, *levers, pars: dict | None = None) -> Sim:
    inputs = inputs_for(store)
    return build_sim(inputs, seed=1, start="2021-01-01", end="2021-12-31", people=False,
                     pars=pars,
                     interventions=build_interventions(_configs(levers), inputs, {})).run()


def _frame(sim: Sim, modules: tuple[str, ...], keep: bool) -> pd.DataFrame:
    frame = sim.results.to_frame()
    frame = frame[~frame["module"].str.startswith("intervention")]
    frame = frame[frame["module"].isin(modules) == keep].dropna(axis=1, how="all")
    return frame[sorted(frame.columns)].reset_index(drop=True)


def test_demand_reduction_abroad_cuts_its_region_only(atlas_store: Path) -> None:
    # nothing redirected to the US here: that part is tests/test_redirect_abroad.py
    still = {"portfolio": {"redirect_to_us": 0.0}}
    base = _run(atlas_store, pars=still)
    arm = _run(atlas_store, ("demand_reduction_abroad", "oceania", 1.5), pars=still)
    money = ("portfolio", "money")
    pd.testing.assert_frame_equal(_frame(arm, money, False), _frame(base, money, False),
                                  check_exact=True)
    b, a = base.results["portfolio"], arm.results["portfolio"]
    (iv,) = [n for n in arm.modules if n.startswith("intervention")]
    on = arm.results[iv]["active"] > 0
    assert 10 < on.sum() < 52
    o = REGIONS.index("oceania")
    others = [i for i in range(len(REGIONS)) if i != o]
    # the region's exports fall by efficacy (0.2) x intensity (1.5) while active
    np.testing.assert_allclose(a["export_kg"][on][..., o], 0.7 * b["export_kg"][on][..., o],
                               rtol=1e-12)
    assert np.array_equal(a["export_kg"][~on], b["export_kg"][~on])
    assert np.array_equal(a["export_kg"][..., others], b["export_kg"][..., others])
    # other crimes unchanged; the treasuries lose what Oceania no longer pays, less fees
    assert np.array_equal(a["other_revenue_usd"][:, :, 1:], b["other_revenue_usd"][:, :, 1:])
    lost = (b["export_revenue_usd"].sum() - a["export_revenue_usd"].sum()) * 0.9
    treasury = base.results["money"]["treasury_usd"][-1] - arm.results["money"]["treasury_usd"][-1]
    assert lost > 0 and treasury.sum() == pytest.approx(lost, rel=1e-9)


def test_precursor_shortage_cuts_exports_too(atlas_store: Path) -> None:
    """Exports compete with the US for the labs' output: a shortage cuts both."""
    inputs = inputs_for(atlas_store)
    config = CONFIG_BY_KIND["precursor_source_control"](
        start="2021-01-01", end="2021-12-31", intensity=2.0, source="china",
        drugs=["methamphetamine"])
    sim = build_sim(inputs, seed=1, start="2021-01-01", end="2021-12-31", people=False,
                    interventions=build_interventions([config], inputs, {})).run()
    base = _run(atlas_store)
    m = SUPPLY_DRUGS.index("methamphetamine")
    cap = sim.results["precursors"]["lab_capacity"][:, m]
    assert cap.min() < 0.9  # the stock ran out
    a, b = sim.results["portfolio"]["export_kg"], base.results["portfolio"]["export_kg"]
    assert a[:, :, m].sum() < 0.95 * b[:, :, m].sum()
    c = SUPPLY_DRUGS.index("cocaine")
    np.testing.assert_allclose(a[:, :, c].sum(), b[:, :, c].sum(), rtol=1e-9)


def test_summary_and_world_map_add_up(atlas_store: Path, tmp_path: Path) -> None:
    sim = _run(atlas_store)
    summary = summarize(sim)
    assert set(summary["other_revenue_usd_by_year"]) == set(LINES)
    assert summary["money_balance_max_imbalance"] <= TOL
    table, year = flows(sim.results.to_frame())
    assert year == 2021 and list(table["destination"]) == ["US", *REGIONS]
    # day-weighted like the summary: the last week (from 31 December) counts 1 day of 7
    kg = sim.timeline.annual(sim.results["portfolio"]["export_kg"].sum(axis=(1, 2)), [2021])
    np.testing.assert_allclose(table["kg"].iloc[1:], kg[0], rtol=1e-12)
    assert table["kg"].iloc[1:].to_numpy() == pytest.approx(
        [summary["export_kg_by_year"][r][2021] for r in REGIONS], rel=1e-12)
    us = sim.timeline.annual(sim.results["production"]["produced_kg"].sum(axis=1), [2021])
    assert table["kg"].iloc[0] == pytest.approx(us[0], rel=1e-12)


@pytest.mark.browser
def test_the_world_map_renders_offline(atlas_store: Path, tmp_path: Path) -> None:
    sim = _run(atlas_store)
    fig = world_map(sim.results.to_frame())
    path = write_html(fig, tmp_path / "world_map.html")
    with open_local(path) as view:
        view.page.wait_for_selector("g.scatterlayer g.trace")
        traces = view.page.locator("g.scatterlayer g.trace").count()
        labels = view.page.eval_on_selector_all("g.scatterlayer text",
                                                "els => els.map(e => e.textContent)")
        assert view.blocked == []
        assert view.console_errors == []
    assert traces == len(fig.data) == len(REGIONS) + 2
    assert any(t.startswith("oceania: ") for t in labels), labels


def test_no_exports_is_one_line_exit_2(atlas_store: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    tidy = _run(atlas_store).results.to_frame()
    with pytest.raises(ParameterError, match="no export markets"):
        world_map(tidy[tidy["module"] != "portfolio"])
    (tmp_path / "run").mkdir()
    tidy[tidy["module"] == "ledger"].to_parquet(tmp_path / "run" / "results.parquet")
    with pytest.raises(SystemExit) as info:
        main(["world-map", str(tmp_path / "run")])
    text = "".join(capsys.readouterr()).strip()
    assert info.value.code == 2 and len(text.splitlines()) == 1 and "Traceback" not in text
    assert not (tmp_path / "run" / "world_map.html").exists()


@pytest.mark.parametrize("body, fragment", [
    ("[parameters.portfolio]\neurope_cocaine_price = -5\n", "europe_cocaine_price"),
    ("[parameters.portfolio]\noceania_methamphetamine_share = 1.5\n",
     "oceania_methamphetamine_share"),
    ('[[interventions]]\nkind = "demand_reduction_abroad"\nstart = 2021-02-01\n'
     'end = 2021-03-01\nregion = "antarctica"\n', "interventions[0].region"),
])
def test_bad_input_is_one_line_exit_2_and_no_folder(tmp_path: Path, atlas_store: Path,
                                                    body: str, fragment: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nname = "t"\nstart = 2021-01-01\nend = 2021-03-31\n\n' + body)
    out_dir = tmp_path / "run"
    assert_refused(*cli(["run", str(path), "--out", str(out_dir), "--store", str(atlas_store)],
                        capsys), fragment)
    assert not out_dir.exists()


def test_money_parameters_are_sampled_in_sensitivity_and_move_revenue_not_deaths(
        atlas_store: Path) -> None:
    from narcosim.analysis.sensitivity_model import ModelSetup, evaluate_model
    from narcosim.analysis.sensitivity_params import prior_params, select_params

    defaults = {p.key for p in prior_params()}  # in the default set since issue 14 item 4
    assert {"money.fentanyl_price", "portfolio.oceania_methamphetamine_share",
            "portfolio.redirect_to_us", "precursors.sea_seizure"} <= defaults
    params = select_params(["money.fentanyl_price", "portfolio.oceania_methamphetamine_share",
                            "people.od_meth"])
    setup = ModelSetup(store=str(atlas_store), seed=1, scale=1000, start="2021-01-01",
                       end="2021-03-31", params=tuple(params), years=(2021,))
    assert "revenue_2021" in setup.output_names()
    low = evaluate_model(setup, [10_000.0, 0.1, params[2].spec.default])
    high = evaluate_model(setup, [80_000.0, 0.6, params[2].spec.default])
    assert set(low) == set(setup.output_names())
    assert high["revenue_2021"] > low["revenue_2021"] > 0
    deaths = [k for k in low if k.startswith("deaths_")]
    assert deaths and all(low[k] == high[k] for k in deaths)


@pytest.mark.browser
def test_assessment_shows_money_world_map_and_arms_map(atlas_store: Path, tmp_path: Path
                                                       ) -> None:
    from narcosim.atlas.store import Atlas
    from narcosim.orgs.guns import GunsParams
    from narcosim.report.assess_data import simulate_supply
    from narcosim.report.assess_report import render_assessment

    atlas = Atlas.open(atlas_store)
    supply = simulate_supply(atlas, 2021)
    assert supply.beyond is not None
    page = render_assessment(atlas, 2021, supply)
    for div in ("money-sankey", "world-map", "arms-map"):
        assert f'id="{div}"' in page, div
    path = tmp_path / "assessment.html"
    path.write_text(page, encoding="utf-8")
    with open_local(path) as view:
        for div in ("money-sankey", "world-map", "arms-map"):
            view.page.wait_for_selector(f"#{div} .main-svg")
        sankey_nodes = view.page.locator("#money-sankey g.sankey-node").count()
        states = view.page.locator("#arms-map path.choroplethlocation").count()
        assert view.blocked == []
        assert view.console_errors == []
    assert sankey_nodes > 5
    assert states == len([s for s in GunsParams().source_states if s != "other"])


def test_demand_reduction_abroad_in_compare_with_intervals(atlas_store: Path,
                                                           tmp_path: Path) -> None:
    from narcosim.analysis.compare import compare
    from narcosim.atlas.store import Atlas
    from narcosim.report.compare_report import COMPARE_HTML, write_compare_report

    scenario = tmp_path / "europe.toml"
    scenario.write_text('[scenario]\nname = "Demand reduction in Europe"\n\n[[interventions]]\n'
                        'kind = "demand_reduction_abroad"\nstart = 2015-02-01\n'
                        'end = 2015-05-31\nintensity = 2.0\nregion = "europe"\n'
                        "annual_cost = 1e8\n\n[parameters.portfolio]\nredirect_to_us = 0.0\n",
                        encoding="utf-8")
    result = compare(["status_quo", str(scenario)], 5, 3, out_dir=tmp_path / "out",
                     scale=1000, end="2015-05-31", store=atlas_store, workers=1)
    s = result.summary
    arm = s[s["arm"] == s["arm"].iloc[-1]]
    exported = arm[(arm["measure"] == "export_kg") & (arm["drug"] == "all_drugs")]
    europe = exported[exported["key"] == "europe"].iloc[0]
    assert europe["p5"] <= europe["mean"] <= europe["p95"] < 0  # less shipped, with interval
    assert (exported[exported["key"] != "europe"][["mean", "p5", "p95"]] == 0).all().all()
    lines = arm[arm["measure"] == "other_revenue_usd"].set_index("key")
    assert lines.loc["exports", "p95"] < 0
    assert (lines.loc[["migrant_smuggling", "sex_trafficking"], "mean"] == 0).all()
    deaths = arm[arm["measure"] == "expected_deaths_averted"]
    assert len(deaths) and (deaths["mean"] == 0).all()  # nothing redirected to the US
    write_compare_report(result.out_dir, result.data, result.summary, Atlas.open(atlas_store))
    page = (result.out_dir / COMPARE_HTML).read_text("utf-8")
    table = page[page.index('id="money-table"'):]
    assert 'data-measure="export_kg"' in table and "exported abroad, kg: europe" in table
