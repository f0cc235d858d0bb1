"""The people module's overdose rules as a Mesa 3 model: one Python object per agent.

A yardstick for ``benchmarks/bench_people.py``: the same rules as
:class:`narcosim.model.people.People` for the per-agent part of a step (each live agent's
drug mask and (status, drugs, state) cell, its weekly overdose probability from the same
per-cell tables, lost tolerance, the overdose draw, fentanyl involvement, reversal by
naloxone (of opioid-involved overdoses only: the person uses opioids, or fentanyl was
involved), death, expected deaths by state, then its care transition: treatment, prison,
remission, relapse with lost tolerance, quitting), written the Mesa way: ``Person`` agents
with attributes, ``model.agents.do("step")`` each week, draws from ``model.random``. The
rules themselves are not re-typed here: each agent calls the scalar rule functions of
:mod:`narcosim.model.people_reference` (the numpy reference the compiled kernel is proved
equal to): :func:`~narcosim.model.people_reference.drug_mask`,
:func:`~narcosim.model.people_reference.reversible_share`,
:func:`~narcosim.model.people_reference.expected_deaths`,
:func:`~narcosim.model.people_reference.care_action` and its
:data:`~narcosim.model.people_reference.NEW_STATUS` table.
Initiation (new people replacing those who left) is left out, so the Mesa model does a
little *less* per week than narcosim's. Calling the shared rule functions, rather than a copy
of the rules typed into the methods, costs it Python function calls: on the synthetic 100,000
agents below it ran at 0.86 against 1.05 M agent-steps per CPU-second (best of 12,
interleaved, on a shared 2-core machine), so the ratio the benchmark prints is that much
(about a fifth) larger than with the former inlined copy.

The population and the tables come from a narcosim ``People`` instance (:func:`from_people`),
so the first week's expected deaths of the two must agree to rounding; the benchmark checks.

Run alone: ``.venv/bin/python benchmarks/mesa_people.py`` (a synthetic 100,000-agent check).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mesa
import numpy as np

from narcosim.model.people import COCAINE, FENTANYL_COMPONENTS, METH, N_MASKS, OPIOID
from narcosim.model.people_reference import (
    BACK_TO_USE,
    NEW_STATUS,
    QUIT,
    STAY,
    care_action,
    drug_mask,
    expected_deaths,
    reversible_share,
)


class StepTables:
    """One week's per-cell tables, as Python lists (what a Mesa agent reads).

    Args:
        p_cell: Overdose probability per cell, shape (2, cells): with, then without tolerance.
        fent_cell: Share of each cell's hazard from fentanyl.
        meth_share: Share of opioid users who also use methamphetamine (compared in float32,
            as narcosim does).
        cocaine_share: Share of opioid users who also use cocaine.
        naloxone_access: Share of people with naloxone at hand.
    """

    def __init__(self, p_cell: np.ndarray, fent_cell: np.ndarray, meth_share: float,
                 cocaine_share: float, naloxone_access: float) -> None:
        self.p_cell = [list(map(float, row)) for row in p_cell]
        self.fent_cell = list(map(float, fent_cell))
        self.meth_thr = float(np.float32(meth_share))
        self.coc_thr = float(np.float32(cocaine_share))
        self.nal_thr = float(np.float32(naloxone_access))


class Person(mesa.Agent):
    """A person who uses drugs.

    Args:
        model: The model.
        state: State index.
        group: 0 opioid, 1 methamphetamine only, 2 cocaine only.
        meth_u: Fixed uniform deciding methamphetamine co-use.
        coc_u: Fixed uniform deciding cocaine co-use.
        status: 0 using, 1 treatment, 2 remission, 3 incarcerated.
        nal_u: Fixed uniform deciding naloxone access.
        tol_until: Week until which tolerance is lost.
    """

    def __init__(self, model: PeopleModel, state: int, group: int, meth_u: float,
                 coc_u: float, status: int, nal_u: float, tol_until: int) -> None:
        super().__init__(model)
        self.state = state
        self.group = group
        self.meth_u = meth_u
        self.coc_u = coc_u
        self.status = status
        self.nal_u = nal_u
        self.tol_until = tol_until

    def step(self) -> None:
        """Overdose risk, draw, naloxone and death; then care for the living."""
        if self.overdose():
            self.care()

    def overdose(self) -> bool:
        """Overdose risk, draw, naloxone and death; whether the agent is still alive."""
        m = self.model
        t = m.tables
        mask = drug_mask(self.group, self.meth_u, self.coc_u, t.meth_thr, t.coc_thr)
        cell = (self.status * N_MASKS + mask) * m.n_states + self.state
        p = t.p_cell[1 if self.tol_until > m.week else 0][cell]
        has_naloxone = self.nal_u < t.nal_thr
        fent = t.fent_cell[cell]
        opioid = bool(mask & OPIOID)
        has_r = m.reversal if has_naloxone else 0.0
        e_fent, e, _ = expected_deaths(p, reversible_share(opioid, fent), has_r, fent, m.scale)
        m.expected[0][self.state] += e_fent
        if mask & METH:
            m.expected[1][self.state] += e
        if mask & COCAINE:
            m.expected[2][self.state] += e
        m.expected[3][self.state] += e
        if m.random.random() < p:
            m.overdoses += 1
            fentanyl = m.random.random() < fent
            reversible = opioid or fentanyl  # opioid-involved (reversible_share's rule)
            if has_naloxone and reversible and m.random.random() < m.reversal:
                return True
            m.deaths[3][self.state] += m.scale
            if fentanyl:
                m.deaths[0][self.state] += m.scale
            if mask & METH:
                m.deaths[1][self.state] += m.scale
            if mask & COCAINE:
                m.deaths[2][self.state] += m.scale
            self.remove()
            return False
        return True

    def care(self) -> None:
        """Treatment, prison, remission, relapse and quitting against one uniform."""
        m = self.model
        u = m.random.random()
        if u >= m.care_rates[10]:  # care_action's own shortcut, without the call (most agents)
            return
        action = care_action(u, self.status, self.group == 0, m.care_rates)
        if action == STAY:
            return
        if action == QUIT:
            self.remove()
            return
        self.status = NEW_STATUS[action]
        if action == BACK_TO_USE:  # lost tolerance after treatment, remission or prison
            self.tol_until = m.week + m.tol_weeks


class PeopleModel(mesa.Model):
    """People who use drugs and their overdoses, one week a step.

    Args:
        agents: Columns ``state, group, meth_u, coc_u, status, nal_u, tol_until``, one row
            per agent.
        tables: One :class:`StepTables` per week.
        n_states: Number of states.
        reversal: Probability naloxone at hand reverses an overdose.
        scale: People per agent.
        care_rates: Care thresholds (non-opioid then opioid users' cut to treatment, cut to
            prison, cut to quitting; leaving treatment, remission, relapse, release; and the
            largest of them), as ``People._care_rates`` gives them.
        tol_weeks: Weeks of lost tolerance after returning to use.
        seed: Seed of ``model.random``.
    """

    def __init__(self, agents: dict[str, Sequence[Any]], tables: list[StepTables],
                 n_states: int, reversal: float, scale: int, care_rates: Sequence[float],
                 tol_weeks: int, seed: int = 1) -> None:
        super().__init__(seed=seed)
        self.care_rates = tuple(care_rates)
        self.tol_weeks = tol_weeks
        self.tables_by_week = tables
        self.n_states = n_states
        self.reversal = reversal
        self.scale = scale
        self.week = -1
        self.tables = tables[0]
        self.expected: list[list[float]] = []
        self.deaths: list[list[float]] = []
        self.overdoses = 0
        self.history: list[dict[str, Any]] = []
        cols = [agents[k] for k in ("state", "group", "meth_u", "coc_u", "status", "nal_u",
                                    "tol_until")]
        for row in zip(*cols, strict=True):
            Person(self, *row)

    def step(self) -> None:
        """One week: every agent steps."""
        self.week += 1
        self.tables = self.tables_by_week[self.week]
        self.expected = [[0.0] * self.n_states for _ in range(4)]
        self.deaths = [[0.0] * self.n_states for _ in range(4)]
        self.overdoses = 0
        self.agents.do("step")
        self.history.append({"expected": self.expected, "deaths": self.deaths,
                             "overdoses": self.overdoses})


def from_people(people: Any, sold: np.ndarray, weeks: int, seed: int = 1) -> PeopleModel:
    """A Mesa model of an initialised narcosim ``People`` module's agents and tables.

    Args:
        people: A ``People`` module after ``sim.init()`` (its agents and parameters are read).
        sold: The recorded market, kg sold per (week, drug, state).
        weeks: Weeks of tables to prepare.
        seed: Seed of the Mesa model's random numbers.
    """
    a = people.agents
    live = a.alive_slots
    columns = {k: a[k][live].tolist() for k in ("state", "group", "meth_u", "coc_u", "status",
                                                  "nal_u", "tol_until")}
    sim, p = people.sim, people.pars
    tables = []
    for ti in range(weeks):
        year = sim.timeline.years[ti] + (sim.timeline.months[ti] - 0.5) / 12
        year_i = int(np.clip(sim.timeline.years[ti] - people.first_year, 0,
                             len(people.population) - 1))
        avail = sold[ti] / people.population[year_i][None, :] * 1e5
        comp = people.component_table(avail, year)
        by_comp = comp * people.coefficients()[:, None]
        h = by_comp.sum(axis=0)
        hf = by_comp[FENTANYL_COMPONENTS].sum(axis=0)
        p_cell = np.stack([-np.expm1(-h), -np.expm1(-(h * p.tolerance_loss_multiplier))])
        fent = np.divide(hf, h, out=np.zeros_like(h), where=h > 0)
        tables.append(StepTables(p_cell, fent, people.meth_among_oud(year),
                                 p.cocaine_among_oud, people.naloxone_access(year)))
    rates, tol_weeks = people._care_rates()
    return PeopleModel(columns, tables, len(people.states), p.naloxone_reversal,
                       people.scale, rates, tol_weeks, seed)


def synthetic(n: int = 100_000, weeks: int = 4, n_states: int = 51, seed: int = 1
              ) -> PeopleModel:
    """A model of ``n`` random agents and random tables (for running this file alone)."""
    rng = np.random.default_rng(seed)
    cells = 4 * N_MASKS * n_states
    agents = {"state": rng.integers(0, n_states, n).tolist(),
              "group": rng.integers(0, 3, n).tolist(),
              "meth_u": rng.random(n).tolist(), "coc_u": rng.random(n).tolist(),
              "status": [0] * n, "nal_u": rng.random(n).tolist(), "tol_until": [-1] * n}
    tables = [StepTables(rng.random((2, cells)) * 2e-3, rng.random(cells), 0.3, 0.3, 0.2)
              for _ in range(weeks)]
    care = (0.0, 0.001, 0.003, 0.008, 0.009, 0.009, 0.038, 0.011, 0.01, 0.038, 0.038)
    return PeopleModel(agents, tables, n_states, 0.9, 100, care, 2, seed)


if __name__ == "__main__":
    import time

    model = synthetic()
    start = time.perf_counter()
    for _ in range(4):
        model.step()
    took = time.perf_counter() - start
    print(f"Mesa {mesa.__version__}: 100,000 agents x 4 weeks in {took:.2f} s, "
          f"{4e5 / took / 1e6:.2f} M agent-steps/s; agents left {len(model.agents):,}")
