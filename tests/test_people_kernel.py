"""The compiled people step is bit for bit the numpy reference (``model/people_reference.py``).

Whole runs: the same people-only run over the same recorded market with the same seed, once
with the compiled kernels and once with :class:`~narcosim.model.people_reference.ReferencePeople`
(the same :class:`~narcosim.model.people.People` stepped by the reference's numpy); every
result array, the agents' final fields and the exits must be equal bit for bit. Rules: the
kernel's per-agent functions against the reference's, scalar and element-wise, over random
inputs (Hypothesis), so a difference shows even where a run would not reach it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from narcosim.calibrate.deaths import people_sim, record_market
from narcosim.core.sim import Sim
from narcosim.core.time import Timeline
from narcosim.model import people, people_kernel, people_reference
from narcosim.model.builder import DEFAULT_START, load_inputs
from narcosim.model.fitted_people import FittedPeople
from narcosim.model.inputs import SupplyInputs
from narcosim.model.people import People
from narcosim.model.people_reference import ReferencePeople
from narcosim.model.replay import MarketReplay

END = "2017-06-30"


@pytest.fixture(scope="module")
def market(atlas_store: Path) -> tuple[SupplyInputs, np.ndarray]:
    """Supply inputs and the seed-1 market sold to mid-2017."""
    from narcosim.atlas.store import Atlas

    inputs = load_inputs(Atlas.open(atlas_store))
    return inputs, record_market(inputs, 1, END)


def run_pair(market: tuple[SupplyInputs, np.ndarray], pars: dict[str, float], scale: int,
             seed: int, basis: bool) -> tuple[Sim, Sim]:
    """The same people-only run with the compiled kernels and with the numpy reference."""
    inputs, sold = market
    fast = people_sim(inputs, sold, seed=seed, scale=scale, end=END, pars=pars,
                      basis=basis).run()
    world = inputs.world
    ref = ReferencePeople(np.asarray(world.population), world.years[0], world.states, scale,
                          market="market_replay", prevalence=inputs.prevalence,
                          record_basis=basis, pars=pars)
    slow = Sim([MarketReplay(sold), ref], Timeline(DEFAULT_START, END), seed=seed,
               name="people").run()
    return fast, slow


CASES = {
    "fitted": ({}, 300, 1, False),
    # basis on, heavy care turnover, lost tolerance and naloxone shares that are not float32
    # numbers (0.7 rounds down in float32), so threshold dtype mistakes would show
    "stress": ({"treatment_weeks": 3.0, "incarceration_rate": 2.0, "incarceration_weeks": 2.0,
                "relapse_rate": 6.0, "stimulant_quit_rate": 3.0, "tolerance_loss_weeks": 6.0,
                "naloxone_access": 0.7, "cocaine_among_oud": 0.7, "od_fentanyl": 0.004},
               1000, 7, True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_compiled_step_bit_identical_to_reference(market: tuple[SupplyInputs, np.ndarray],
                                                  case: str) -> None:
    extra, scale, seed, basis = CASES[case]
    pars = {**FittedPeople.load().pars, **extra}
    fast, slow = run_pair(market, pars, scale, seed, basis)
    assert fast.modules["people"].kernel is people_kernel
    assert slow.modules["people"].kernel is people_reference.REFERENCE
    rf, rs = fast.results["people"], slow.results["people"]
    keys = ["deaths", "expected_deaths", "expected_opioid_involved", "overdoses", "reversals",
            "people"]
    keys += ["basis"] if basis else []
    for key in keys:
        a, b = np.asarray(rf[key]), np.asarray(rs[key])
        assert a.shape == b.shape
        assert np.array_equal(a, b), f"{case}: {key} differs at {np.argwhere(a != b)[:3]}"
    assert np.asarray(rf["deaths"]).sum() > 0
    pf, ps = fast.modules["people"], slow.modules["people"]
    assert pf.agents.n_slots == ps.agents.n_slots
    for field in pf.agents.fields:
        assert np.array_equal(pf.agents[field], ps.agents[field]), field
    assert np.array_equal(pf.exits, ps.exits)
    # the stress case moves people through every status, and its basis is not all zeros
    if case == "stress":
        assert (np.asarray(rf["people"])[-1] > 0).all()
        assert (np.asarray(rf["basis"]).sum(axis=(0, 1, 3)) > 0).all()  # every key


def test_kernel_constants_are_the_people_modules() -> None:
    names = ("OPIOID", "METH", "COCAINE", "N_MASKS", "USING", "TREATMENT", "REMISSION",
             "INCARCERATED")
    for name in names:
        assert getattr(people_kernel, name) == getattr(people, name), name
    fentanyl = (people_kernel.FENTANYL_COMPONENT_A, people_kernel.FENTANYL_COMPONENT_B)
    assert list(fentanyl) == people.FENTANYL_COMPONENTS


unit32 = st.floats(0.0, 1.0, width=32)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), unit32, unit32), min_size=1, max_size=40),
       unit32, unit32, st.booleans())
def test_drug_mask_kernel_equals_reference(agents: list[tuple[int, float, float]],
                                           meth_share: float, cocaine_share: float,
                                           at_edge: bool) -> None:
    """Scalar kernel, scalar reference and the reference over arrays give the same masks."""
    group = np.array([g for g, _, _ in agents], dtype=np.int8)
    meth_u = np.array([m for _, m, _ in agents], dtype=np.float32)
    coc_u = np.array([c for _, _, c in agents], dtype=np.float32)
    # shares equal to the first agent's uniforms meet the comparison's edge
    meth_thr = meth_u[0] if at_edge else np.float32(meth_share)
    coc_thr = coc_u[0] if at_edge else np.float32(cocaine_share)
    vector = people_reference.drug_masks(group, meth_u, coc_u, meth_thr, coc_thr)
    for i in range(len(agents)):
        kernel = people_kernel.drug_mask(group[i], meth_u[i], coc_u[i], meth_thr, coc_thr)
        # what the Mesa agents pass: Python numbers
        scalar = people_reference.drug_mask(int(group[i]), float(meth_u[i]), float(coc_u[i]),
                                            float(meth_thr), float(coc_thr))
        assert kernel == scalar == vector[i]
        assert (kernel & people.OPIOID > 0) == (group[i] == 0)


def care_rates(values: list[float]) -> tuple[float, ...]:
    """Ten care thresholds and, last, the largest finite one (as ``People._care_rates``)."""
    finite = [v for v in values if math.isfinite(v)]
    return (*values, max(finite) if finite else 0.0)


rate = st.floats(0.0, 1.0) | st.just(math.nan)


@settings(max_examples=300, deadline=None)
@given(st.lists(rate, min_size=10, max_size=10),
       st.lists(st.tuples(st.floats(0.0, 2.0) | st.integers(0, 10), st.integers(0, 3),
                          st.booleans()), min_size=1, max_size=40))
def test_care_action_kernel_equals_reference(values: list[float],
                                             agents: list[tuple[float, int, bool]]) -> None:
    """The kernel's care rule, the reference's and the reference over arrays agree.

    Uniforms are drawn at random or exactly at a threshold (an integer picks one), where ``<``
    against ``<=`` would show; thresholds may be NaN (a rate of zero over zero).
    """
    rates = care_rates(values)
    u = np.array([rates[x] if isinstance(x, int) else x for x, _, _ in agents], dtype=float)
    status = np.array([s for _, s, _ in agents], dtype=np.int8)
    opioid = np.array([o for _, _, o in agents])
    vector = people_reference.care_actions(u, status, opioid, rates)
    for i in range(len(agents)):
        kernel = people_kernel.care_action(u[i], status[i], opioid[i], rates)
        scalar = people_reference.care_action(float(u[i]), int(status[i]), bool(opioid[i]),
                                              rates)
        assert kernel == scalar == vector[i], (u[i], status[i], opioid[i])


@settings(max_examples=300, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.booleans(), st.booleans(),
       st.floats(0.0, 1.0), st.integers(0, 7), st.integers(1, 10_000))
def test_expected_deaths_kernel_equals_reference(p: float, fent: float, opioid: bool,
                                                 has: bool, reversal: float, mask: int,
                                                 scale: int) -> None:
    """One agent's expected deaths: the kernel's sums are the reference's, scalar and arrays."""
    has_r = float(has) * reversal
    f_meth, f_coc = float(mask & people.METH > 0), float(mask & people.COCAINE > 0)
    start = tuple(float(x) for x in range(7))
    got = people_kernel.add_expected(start, p, fent, opioid, has_r, f_meth, f_coc, float(scale))
    q = people_reference.reversible_share(opioid, fent)
    fentanyl, every, involved = people_reference.expected_deaths(p, q, has_r, fent, scale)
    want = (start[0] + fentanyl, start[1] + every * f_meth, start[2] + every * f_coc,
            start[3] + every, start[4] + involved * f_meth, start[5] + involved * f_coc,
            start[6] + involved)
    assert got == want
    vector = people_reference.expected_deaths(
        np.array([p]), people_reference.reversible_shares(np.array([opioid]), np.array([fent])),
        np.array([has_r]), np.array([fent]), scale)
    assert [float(x[0]) for x in vector] == [fentanyl, every, involved]
    # naloxone never saves more than the opioid-involved overdoses
    assert every >= p * scale * (1.0 - q) * (1 - 1e-12)


def test_buffered_draws_equal_stream_random() -> None:
    """The people's buffered draws are the named streams' own numbers, bit for bit."""
    from types import SimpleNamespace

    from narcosim.core.random import Stream

    people_ = People(np.ones((1, 2)), 2015, ("AA", "BB"))
    people_._buffers = {name: np.empty(0) for name in ("overdose", "care", "detail")}
    for n in (1, 5, 1000, 70_001):
        people_.agents = SimpleNamespace(n_slots=n)
        for ti in (0, 3):
            raw = people_._raw_uniforms(Stream("people.overdose", 11), ti, "overdose") + 2.0**-54
            assert np.array_equal(raw, Stream("people.overdose", 11).random(ti, np.arange(n)))
            slots = np.unique(np.random.default_rng(n + ti).integers(0, n, size=max(n // 7, 1)))
            got = people_._uniforms_at(Stream("people.overdose_detail", 11), ti, slots, 1)
            want = Stream("people.overdose_detail", 11).random(ti, slots, key=1)
            assert np.array_equal(got, want)
    empty = people_._uniforms_at(Stream("people.overdose_detail", 11), 0, np.zeros(0, int), 0)
    assert empty.shape == (0,)
    # the buffer is reused, and a reused (step, key) is still refused by the stream
    stream = Stream("people.care_transition", 11)
    people_._raw_uniforms(stream, 4, "care")
    with pytest.raises(RuntimeError, match="already drawn"):
        people_._raw_uniforms(stream, 4, "care")


def test_kernel_rows_follow_the_death_keys() -> None:
    from narcosim.model import people, people_kernel

    assert people.DEATH_KEYS[people_kernel.FENTANYL_ROW] == "fentanyl"
