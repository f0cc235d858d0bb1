"""Exports compete with the US (issue 14 item 4): product not sold abroad goes north in part.

* Without a demand cut abroad (no lever, or a lever that never switches on) every result array
  is bit-identical whatever ``redirect_to_us`` is, and identical to a run whose portfolio
  redirects nothing: the redirection touches nothing unless demand abroad falls.
* With a demand cut, the US-bound kilograms rise by exactly ``redirect_to_us`` x the export
  cut, every week and drug (to 1e-9), the product is trafficked and sold in the US (sales and
  US revenue rise), and the mass, precursor and money ledgers still balance every week.
* Where the labs' precursor capacity binds, the redirected kg are cut by the same capacity as
  the exports (they share the cut capacity).
* A redirect share outside [0, 1]: one line, exit 2, no run folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fuzz_support import assert_refused, cli
from narcosim.core.sim import Sim
from narcosim.interventions import CONFIG_BY_KIND, build_interventions
from narcosim.model.builder import build_sim
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.portfolio import REGIONS
from supply_fixtures import inputs_for

TOL = 1e-9
START, END = "2021-01-01", "2021-08-31"


def _cut(region: str, intensity: float, start: str = "2021-02-01",
         end: str = "2021-05-31") -> object:
    return CONFIG_BY_KIND["demand_reduction_abroad"](start=start, end=end,
                                                     intensity=intensity, region=region)


def _run(store: Path, redirect: float | None, *configs: object) -> Sim:
    inputs = inputs_for(store)
    pars = {} if redirect is None else {"portfolio": {"redirect_to_us": redirect}}
    return build_sim(inputs, seed=3, start=START, end=END, people=False, pars=pars,
                     interventions=build_interventions(list(configs), inputs, {})).run()


def _model_arrays(sim: Sim) -> dict[str, np.ndarray]:
    """Every result array of the model's modules (the interventions' own are left out)."""
    return {f"{m}/{k}": np.asarray(sim.results[m][k]) for m in sim.modules
            if not m.startswith("intervention") for k in sim.results[m]}


def test_no_demand_cut_is_bit_identical(atlas_store: Path) -> None:
    none = _model_arrays(_run(atlas_store, 0.0))
    assert "portfolio/redirected_kg" in none and "production/produced_kg" in none
    later = _cut("europe", 2.0, start="2022-01-01", end="2022-06-30")  # after the run's end
    for sim in (_run(atlas_store, None), _run(atlas_store, 1.0),
                _run(atlas_store, 1.0, later), _run(atlas_store, 0.7, _cut("asia", 0.0))):
        got = _model_arrays(sim)
        assert set(got) == set(none)
        for key, value in none.items():
            assert np.array_equal(got[key], value), key
    assert not none["portfolio/redirected_kg"].any()


def test_us_bound_kg_rise_by_the_redirected_share_of_the_export_cut(atlas_store: Path) -> None:
    share = 0.6
    base = _run(atlas_store, share)
    cut_only = _run(atlas_store, 0.0, _cut("europe", 2.0), _cut("oceania", 1.0))
    arm = _run(atlas_store, share, _cut("europe", 2.0), _cut("oceania", 1.0))
    exported = [s.results["portfolio"]["export_kg"].sum(axis=(1, 3))
                for s in (base, cut_only, arm)]  # (steps, drugs)
    cut = exported[0] - exported[1]
    np.testing.assert_allclose(exported[2], exported[1], rtol=TOL, atol=TOL)
    fentanyl, cocaine = SUPPLY_DRUGS.index("fentanyl"), SUPPLY_DRUGS.index("cocaine")
    on = cut[:, cocaine] > 0
    assert 10 < on.sum() < len(on) and not cut[:, fentanyl].any()  # fentanyl: no exports
    us = [s.results["production"]["produced_kg"] for s in (base, cut_only, arm)]
    assert np.array_equal(us[1], us[0])  # nothing redirected: US-bound flow untouched
    rise = us[2] - us[0]
    np.testing.assert_allclose(rise, share * cut, rtol=TOL, atol=TOL)
    np.testing.assert_allclose(arm.results["portfolio"]["redirected_kg"], share * cut,
                               rtol=TOL, atol=TOL)
    assert np.array_equal(rise[~on], np.zeros_like(rise[~on]))
    # the redirected kg reach the US market: more sold, more US revenue
    sold = [s.results["distribution"]["sold_kg"].sum() for s in (base, arm)]
    revenue = [s.results["money"]["revenue_usd"].sum() for s in (base, arm)]
    assert sold[1] > sold[0] and revenue[1] > revenue[0]
    for sim in (cut_only, arm):
        for module in ("ledger", "precursors", "money"):
            assert np.nanmax(sim.results[module]["imbalance"]) <= TOL, module
    # product made for export draws no precursor from the chain (as the exports do not)
    np.testing.assert_allclose(arm.results["precursors"]["used_kg"],
                               base.results["precursors"]["used_kg"], rtol=TOL, atol=TOL)


def test_redirected_kg_share_the_labs_cut_capacity(atlas_store: Path) -> None:
    control = CONFIG_BY_KIND["precursor_source_control"](
        start="2021-01-01", end="2021-08-31", intensity=2.0, source="china",
        drugs=["methamphetamine"])
    share = 0.8
    sim = _run(atlas_store, share, control, _cut("asia", 2.0))
    m = SUPPLY_DRUGS.index("methamphetamine")
    capacity = sim.results["precursors"]["lab_capacity"][:, m]
    p = sim.modules["portfolio"]
    cut = _run(atlas_store, 0.0, control)  # same capacity path: nothing redirected
    assert np.array_equal(cut.results["precursors"]["lab_capacity"][:, m], capacity)
    assert capacity.min() < 0.9  # the control binds
    lost = (cut.results["portfolio"]["export_kg"].sum(axis=(1, 3))[:, m]
            - sim.results["portfolio"]["export_kg"].sum(axis=(1, 3))[:, m])
    # Asia's methamphetamine exports fall by efficacy (0.2) x intensity (2) at the capacity
    asia = p.market[m, REGIONS.index("asia")] * 7 / 365.25 * capacity
    active = lost > 0
    np.testing.assert_allclose(lost[active], 0.4 * asia[active], rtol=TOL, atol=TOL)
    redirected = sim.results["portfolio"]["redirected_kg"][:, m]
    np.testing.assert_allclose(redirected, share * lost, rtol=TOL, atol=TOL)
    binding = active & (capacity < 1.0)
    assert binding.any()  # where the shortage binds, less is redirected than at full capacity
    assert np.all(redirected[binding] < share * 0.4 * asia[binding] / capacity[binding])


@pytest.mark.parametrize("value", ["-0.1", "1.5"])
def test_a_redirect_share_outside_0_1_is_one_line_exit_2(tmp_path: Path, atlas_store: Path,
                                                         value: str,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    path = tmp_path / "s.toml"
    path.write_text('[scenario]\nname = "t"\nstart = 2021-01-01\nend = 2021-03-31\n\n'
                    f"[parameters.portfolio]\nredirect_to_us = {value}\n")
    out_dir = tmp_path / "run"
    assert_refused(*cli(["run", str(path), "--out", str(out_dir), "--store", str(atlas_store)],
                        capsys), "redirect_to_us")
    assert not out_dir.exists()
