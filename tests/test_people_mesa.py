"""The benchmark's Mesa yardstick applies the people module's rules (so the ratio is fair).

``benchmarks/mesa_people.py`` applies the overdose and care rules with one Python object per
agent, each calling the scalar rule functions of ``narcosim.model.people_reference`` (the
reference the compiled kernel is proved equal to). Built from the same agents and tables, its
first week's expected deaths must equal narcosim's exactly (same values summed in the same
order), and its care moves people between statuses at narcosim's rates.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from narcosim.calibrate.deaths import people_sim, record_market
from narcosim.model.builder import load_inputs
from narcosim.model.fitted_people import FittedPeople

pytest.importorskip("mesa")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from mesa_people import from_people

END = "2015-12-31"
SCALE = 200


@pytest.fixture(scope="module")
def sims(atlas_store: Path):
    """A recorded 2015 market, and a maker of initialised people-only sims over it."""
    from narcosim.atlas.store import Atlas

    inputs = load_inputs(Atlas.open(atlas_store))
    sold = record_market(inputs, 1, END)

    def make(**extra: float):
        # the Mesa copy replaces leavers but does not grow the methamphetamine-only group
        pars = {**FittedPeople.load().pars, "meth_users_growth": 0.0, **extra}
        return people_sim(inputs, sold, seed=1, scale=SCALE, end=END, pars=pars).init()

    return sold, make


def test_mesa_first_week_expected_deaths_equal_narcosim(sims) -> None:
    sold, make = sims
    ours = make(other_deaths=0.0).run()
    model = from_people(make().modules["people"], sold, ours.timeline.n_steps)
    model.step()
    want = np.asarray(ours.results["people"]["expected_deaths"])[0]
    got = np.array(model.history[0]["expected"])
    assert want.sum() > 0
    assert np.array_equal(got, want)


def test_mesa_care_moves_people_like_narcosim(sims) -> None:
    """After half a year both hold similar numbers in treatment, remission and prison."""
    sold, make = sims
    ours = make().run()
    model = from_people(make().modules["people"], sold, 26)
    for _ in range(26):
        model.step()
    mesa = np.bincount([a.status for a in model.agents], minlength=4) * SCALE
    narcosim = np.asarray(ours.results["people"]["people"])[25]
    start = np.asarray(ours.results["people"]["people"])[0]
    # statuses other than using grew from the start, and the two agree within 15%: the Mesa
    # copy moves people through care exactly as narcosim does (the first-week test above is
    # exact) but never replaces those who leave, so its population thins; with the refit's
    # smaller stimulant groups (NSDUH 2015) the gap in prison after half a year is about 13%
    # (it was under 10% with the 2022 counts)
    assert (narcosim[1:] > 0).all()
    assert np.allclose(mesa[1:], narcosim[1:], rtol=0.15), (mesa, narcosim, start)
