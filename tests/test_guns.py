"""Guns going south (issue 14, part 3): the flow, its tie to cartel conflict, bad input.

* The status quo's US-sourced share of the guns arriving in Mexico is GAO-21-322's 70% and is
  reported beside the other published shares with the gap; the gun ledger balances.
* With no added interdiction the workforce model runs bit for bit as without guns; southbound
  interdiction lowers the conflict lethality, the conflict deaths and the US share.
* Bad input (a share above 1, source shares not summing to 1, an unknown state) is refused in
  one line.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from narcosim.atlas.cartels import load_cartel_alliances, load_cartel_groups, load_cartel_rivalries
from narcosim.errors import ParameterError
from narcosim.orgs.guns import (
    GunsParams,
    conflict_run,
    flows,
    theta_factor,
    us_share_vs_published,
)
from narcosim.orgs.workforce import WorkforceParams, run_workforce, simulate


@pytest.fixture(scope="module")
def workforce(data_dir):
    tables = (load_cartel_groups(data_dir), load_cartel_alliances(data_dir),
              load_cartel_rivalries(data_dir))
    return run_workforce(*tables)


def test_status_quo_share_is_gao_and_the_gaps_are_reported() -> None:
    params = GunsParams()
    f = flows(params)
    assert f["us_share"] == pytest.approx(0.70, abs=1e-12)
    assert f["bought"] == pytest.approx(f["seized"] + f["arrived_us"], rel=1e-12)
    assert sum(f["bought_by_state"].values()) == pytest.approx(f["bought"], rel=1e-12)
    assert max(f["bought_by_state"], key=f["bought_by_state"].get) == "TX"
    rows = {r["period"]: r for r in us_share_vs_published(params)}
    assert rows["2014-2018"]["gap"] == pytest.approx(0.0, abs=1e-12)
    assert rows["2004-2008"]["gap"] == pytest.approx(0.70 - 0.87)
    assert rows["2007-2011"]["gap"] == pytest.approx(0.70 - 68_000 / 99_000)


def test_no_interdiction_leaves_the_workforce_bit_identical(workforce) -> None:
    params, wf = GunsParams(), workforce.params
    assert theta_factor(params, 0.0) == 1.0
    start = workforce.history.members[-1]
    plain = simulate(start, workforce.conflict, wf)
    armed = conflict_run(start, workforce.conflict, wf, params, 0.0)
    assert np.array_equal(plain.members, armed.members)


def test_southbound_interdiction_lowers_conflict_deaths(workforce) -> None:
    params, wf = GunsParams(), workforce.params
    start = workforce.history.members[-1]
    base = conflict_run(start, workforce.conflict, wf, params, 0.0)
    killed = [base.killed.sum()]
    for k in (0.1, 0.3, 0.6):
        assert theta_factor(params, k) < 1.0
        run = conflict_run(start, workforce.conflict, wf, params, k)
        killed.append(run.killed.sum())
        assert flows(params, k)["us_share"] < 0.70
    assert all(a > b for a, b in itertools.pairwise(killed)), killed
    # a 30% southbound seizure rate cuts arrivals by about 21% and theta by about 11%
    assert theta_factor(params, 0.3) == pytest.approx(
        ((200_000 * 0.68 + 200_000 * 0.98 * 0.3 / 0.7) / (200_000 * 0.98 / 0.7)) ** 0.5)


def test_elasticity_zero_means_guns_do_not_matter(workforce) -> None:
    params = GunsParams(conflict_elasticity=0.0)
    assert theta_factor(params, 0.5) == 1.0
    assert WorkforceParams().theta == workforce.params.theta


@pytest.mark.parametrize("kwargs, fragment", [
    ({"us_share": 1.2}, "us_share = 1.2 is a share"),
    ({"border_seizure": -0.1}, "border_seizure = -0.1"),
    ({"source_states": {"TX": 0.5, "AZ": 0.4}}, "sum to 0.9, not 1"),
    ({"source_states": {"TX": 0.5, "Sonora": 0.5}}, "unknown source state 'Sonora'"),
    ({"source_states": {"TX": 1.5, "AZ": -0.5}}, "between 0 and 1"),
])
def test_bad_input_is_one_line(kwargs, fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment) as info:
        GunsParams(**kwargs)
    assert "\n" not in str(info.value)


def test_interdiction_outside_0_1_is_refused() -> None:
    with pytest.raises(ParameterError, match="between 0 and 1"):
        flows(GunsParams(), 1.5)


def test_cli_reports_the_flow_the_gaps_and_conflict(data_dir,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from narcosim.cli import main

    try:
        main(["orgs", "guns", "--interdiction", "0.3", "--data", str(data_dir)])
    except SystemExit as stop:
        assert stop.code in (0, None)
    out = capsys.readouterr().out
    assert "GAO-21-322" in out and "gap +0.0%" in out and "gap -17.0%" in out
    assert "0.886" in out  # the conflict lethality factor at 30% more seized
    with pytest.raises(SystemExit) as info:
        main(["orgs", "guns", "--interdiction", "1.5", "--data", str(data_dir)])
    err = capsys.readouterr()
    text = (err.out + err.err).strip()
    assert info.value.code == 2 and len(text.splitlines()) == 1 and "between 0 and 1" in text
