"""Mass balance of the supply model, property-based (issue 3 acceptance).

Every kilogram is accounted for at every step: produced = in Mexican stock + seized at the
border + at the hubs + on the streets + sold + lost, to a relative 1e-9, over at least 100
random parameter draws (Hypothesis). The balance is checked twice: through the ledger's own
imbalance, and recomputed here from each module's results (flows summed over the steps,
stocks as recorded), so a ledger that booked the wrong quantity would not pass.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narcosim.core.sim import Sim
from narcosim.errors import ParameterError
from narcosim.model.inputs import SupplyInputs
from narcosim.model.ledger import ACCOUNTS
from supply_fixtures import inputs_for, supply_sim

START, END = "2021-01-01", "2021-06-30"
TOL = 1e-9


@pytest.fixture(scope="module")
def inputs(atlas_store: Path) -> SupplyInputs:
    return inputs_for(atlas_store)


def _unit(low: float = 0.0, high: float = 1.0) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


PARAMS = st.fixed_dictionaries({
    "production": st.fixed_dictionaries({
        "precursor_supply": _unit(0.0, 2.0),
        "independent_squeeze": _unit(),
        "cover_for_removed": _unit(),
    }),
    "trafficking": st.fixed_dictionaries({
        "ofo_interdiction": _unit(),
        "corruption_factor": _unit(),
        "risk_aversion": _unit(0.0, 50.0),
        "distance_cost": _unit(0.0, 10.0),
        "load_size_sigma": _unit(0.0, 3.0),
        "risk_time_weight": _unit(),
    }),
    "distribution": st.fixed_dictionaries({
        "hub_dispatch": _unit(),
        "retail_turnover": _unit(0.0, 0.9),
        "retail_loss": _unit(0.0, 0.1),
        "branch_open_rate": _unit(0.0, 52.0),
        "franchise_open_rate": _unit(0.0, 52.0),
        "headless_coordination": _unit(),
        "centre_removed_from": st.sampled_from([0.0, 2021.2]),
    }),
    "dealers": st.fixed_dictionaries({"quit_rate": _unit(0.0, 52.0)}),
})
REMOVED = st.sampled_from([None, "sinaloa.chapitos", "sinaloa.guano", "cjng.command",
                           "independents"])


def _check_balance(sim: Sim) -> None:
    r = sim.results
    imbalance = r["ledger"]["imbalance"]
    assert np.all(np.isfinite(imbalance))
    assert float(imbalance.max()) <= TOL

    acc = r["ledger"]["account_kg"]  # (steps, drugs, accounts)
    col = {name: acc[:, :, i] for i, name in enumerate(ACCOUNTS)}
    produced = col["produced"]
    scale = np.maximum(produced, 1e-300)
    rest = sum(col[name] for name in ACCOUNTS[1:])
    assert np.all(np.abs(produced - rest) <= TOL * scale)

    # Recompute every account but 'lost' from the modules' own results.
    own = {
        "produced": np.cumsum(r["production"]["produced_kg"], axis=0),
        "mexico_stock": r["production"]["mexico_stock_kg"],
        "seized": np.cumsum(r["trafficking"]["seized_kg"].sum(axis=(2, 3)), axis=0),
        "hub_stock": r["distribution"]["stock_kg"][:, :, 0],
        "street_stock": r["distribution"]["stock_kg"][:, :, 1],
        "sold": np.cumsum(r["distribution"]["sold_kg"].sum(axis=2), axis=0),
    }
    for name, value in own.items():
        np.testing.assert_allclose(col[name], value, rtol=TOL, atol=TOL * produced.max(),
                                   err_msg=name)
    lost = col["lost"]
    assert np.all(lost >= 0) and np.all(np.diff(lost, axis=0) >= -TOL * produced.max())
    accounted = sum(own[n] for n in own if n != "produced") + lost
    assert np.all(np.abs(own["produced"] - accounted) <= TOL * np.maximum(own["produced"], 1e-300))
    # Every stock is non-negative (no kilogram created by overdrawing a stock).
    for name in ("mexico_stock", "hub_stock", "street_stock"):
        assert np.all(own[name] >= -TOL * produced.max()), name


def test_default_run_balances(inputs: SupplyInputs) -> None:
    sim = supply_sim(inputs, seed=1, start=START, end=END).run()
    assert sim.results["ledger"]["account_kg"][-1, :, 0].min() > 0  # something was produced
    _check_balance(sim)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(pars=PARAMS, removed=REMOVED, seed=st.integers(0, 2**32 - 1))
def test_mass_balance_holds_for_any_parameters(inputs: SupplyInputs, pars, removed,
                                               seed: int) -> None:
    if removed is not None:
        inputs = dataclasses.replace(inputs, structure=inputs.structure.without(removed))
    sim = supply_sim(inputs, seed=seed, start=START, end=END, pars=pars).run()
    _check_balance(sim)


def test_street_stock_never_goes_negative_at_the_parameter_bounds(inputs: SupplyInputs) -> None:
    """Each of retail_turnover and retail_loss may be 1 on its own; together they oversell.

    Either the pair is refused as one-line ParameterError, or the stocks stay non-negative.
    """
    pars = {"distribution": {"retail_turnover": 1.0, "retail_loss": 1.0}}
    try:
        sim = supply_sim(inputs, seed=1, start=START, end="2021-02-28", pars=pars)
    except ParameterError as err:  # the acceptable outcome: refused up front
        assert "retail" in str(err) and "\n" not in str(err)
        return
    sim.run()
    street = sim.results["distribution"]["stock_kg"][:, :, 1]
    assert street.min() >= 0, f"street stock went to {street.min():.1f} kg"
    sold = sim.results["distribution"]["sold_kg"].sum(axis=2)
    passed = sim.results["trafficking"]["passed_kg"]
    assert sold.sum() <= passed.sum() * (1 + 1e-9)
