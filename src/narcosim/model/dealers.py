"""Cartel-linked dealers: recruited where the product is sold, faster over social media.

The DEA reports "thousands of cartel-linked drug dealers" as the last link of the chain, who
advertise and recruit over social media and encrypted apps (NDTA 2024). Dealers are agents
(structure of arrays, one agent standing for ``scale`` dealers). Each state and operator
needs enough dealers to move its weekly sales; the gap is filled by recruitment, sped up
once recruiting moved to social media; dealers quit at a constant rate. Arrests come with
the enforcement interventions.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from narcosim.core.agents import Agents
from narcosim.core.levers import Lever, Levers
from narcosim.core.module import Module
from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.core.time import Rate
from narcosim.errors import ParameterError
from narcosim.model.drugs import SUPPLY_DRUGS


class Dealers(Module):
    """Dealer agents by state and operator: recruitment, quitting, counts.

    Args:
        n_states: Number of states (the world's order).
        states: State postal codes, for result labels.
        n_ops: Number of operators.
        scale: Real dealers per agent (1:100 by default).
        pars: Parameter overrides.
    """

    name = "dealers"
    #: What dealer operations may change, for one step.
    lever_specs: ClassVar[tuple[Lever, ...]] = (
        Lever("arrest_prob", "raise", 0.0, 1.0, 0.0,
              doc="Weekly probability that a dealer in each state is arrested."),
    )
    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("kg_per_dealer_week", np.array([0.25, 2.0, 1.0]), "kg per week", 0.0, None,
                  kind="array",
                  source="guess: street throughput per dealer (fentanyl, methamphetamine, "
                         "cocaine) giving 'thousands' of cartel-linked dealers (NDTA 2024)",
                  doc="Kilograms a dealer moves per week, per drug.",
                  prior=(0.5, 2.0),
                  prior_source="guess: one factor on every drug's throughput, half to twice "
                               "the default"),
        ParamSpec("recruit_rate", "0.1 per week", "per week", 0.0, 7.0,
                  source="guess: a tenth of the shortfall recruited each week",
                  doc="Rate at which the shortfall of dealers is filled.",
                  prior=(0.05, 0.3),
                  prior_source="guess: a twentieth to nearly a third of the shortfall a week"),
        ParamSpec("social_media_boost", 2.0, "ratio", 1.0, 10.0,
                  source="guess: NDTA 2024 — dealers recruited and advertising over social "
                         "media and encrypted apps; the speed-up is not published",
                  doc="Multiplier on recruitment once it runs over social media.",
                  prior=(1.2, 4.0),
                  prior_source="guess: from a small to a fourfold speed-up"),
        ParamSpec("social_media_from", 2019, "calendar_year", 2000, 2100, kind="int",
                  source="guess: year social-media recruiting became the norm",
                  doc="Year from which recruitment is boosted.",
                  prior=(2016.0, 2021.0),
                  prior_source="guess: three years either side of 2019"),
        ParamSpec("quit_rate", "1 per year", "per year", 0.0, 52.0,
                  source="guess: dealers stay about a year on average",
                  doc="Rate at which dealers quit.",
                  prior=(0.5, 2.0),
                  prior_source="guess: dealers staying six months to two years"),
    ]

    def __init__(self, n_states: int, states: tuple[str, ...], n_ops: int, scale: int = 100,
                 pars: dict[str, Any] | None = None) -> None:
        super().__init__(pars)
        if len(self.pars.kg_per_dealer_week) != len(SUPPLY_DRUGS):
            raise ParameterError("parameter 'kg_per_dealer_week' of module 'dealers' needs "
                                 f"{len(SUPPLY_DRUGS)} values ({', '.join(SUPPLY_DRUGS)})")
        self.n_states, self.states, self.n_ops, self.scale = n_states, states, n_ops, scale
        #: Lever set by dealer operations each step (reset after): weekly arrest probability of
        #: a dealer per state.
        self.arrest_prob = np.zeros(n_states)
        self.levers = Levers(self, self.lever_specs)

    def init_pre(self, sim: Sim) -> None:
        """Allocate agents, streams and results."""
        self.agents = Agents({"state": (np.int16, -1), "operator": (np.int16, -1),
                              "joined": (np.int32, -1)}, name="dealers")
        self.s_recruit = self.stream("recruitment")
        self.s_quit = self.stream("quitting")
        self.s_arrest = self.stream("arrest")
        self.arrests = np.zeros(self.n_states, dtype=np.int64)
        self.recruits = np.zeros(self.n_states, dtype=np.int64)
        #: A dealer's probability of quitting in a step, and the share of the shortfall
        #: recruited in a step (before the social-media boost), converted once.
        self.p_quit = Rate(self.pars.quit_rate, per="year").prob_per_step(sim.dt_days)
        self.recruit_per_step = Rate(self.pars.recruit_rate, per="week").per_step(sim.dt_days)
        #: Kilograms of each drug a dealer moves in a step.
        self.kg_per_dealer_step = Rate(self.pars.kg_per_dealer_week,
                                       per="week").per_step(sim.dt_days)
        r = self.results
        r.define("dealers", {"state": self.states}, units="dealers",
                 doc="Cartel-linked dealers (agents x scale).")
        r.define("recruits", {"state": self.states}, units="dealers per step",
                 doc="Dealers recruited this step (agents x scale).")
        r.define("arrests", {"state": self.states}, units="dealers per step",
                 doc="Dealers arrested this step (agents x scale).")

    def counts(self) -> np.ndarray:
        """Active dealer agents per (operator, state)."""
        slots = self.agents.alive_slots
        cell = self.agents["operator"][slots].astype(np.int64) * self.n_states + \
            self.agents["state"][slots]
        return np.bincount(cell, minlength=self.n_ops * self.n_states).reshape(
            self.n_ops, self.n_states)

    def step(self) -> None:
        """Quit, then recruit toward the dealers this week's sales need."""
        sim = self.sim
        ti = sim.ti
        slots = self.agents.alive_slots
        quits = self.s_quit.bernoulli(ti, slots, self.p_quit)
        self.agents.remove(slots[quits])
        self.arrests = np.zeros(self.n_states, dtype=np.int64)
        if np.any(self.arrest_prob > 0):
            slots = self.agents.alive_slots
            state = self.agents["state"][slots].astype(np.int64)
            caught = self.s_arrest.bernoulli(ti, slots, self.arrest_prob[state])
            self.agents.remove(slots[caught])
            self.arrests = np.bincount(state[caught], minlength=self.n_states)
        sold = sim.modules["distribution"].sold  # (operators, drugs, states)
        needed = (sold / self.kg_per_dealer_step[None, :, None]).sum(axis=1) / self.scale
        gap = np.maximum(needed - self.counts(), 0.0)
        rate = self.recruit_per_step
        if sim.timeline.years[ti] >= self.pars.social_media_from:
            rate = rate * self.pars.social_media_boost
        new = self.s_recruit.poisson(ti, np.minimum(rate, 1.0) * gap)
        ops, states = np.nonzero(new)
        n = new[ops, states]
        self.agents.add(int(n.sum()), state=np.repeat(states, n), operator=np.repeat(ops, n),
                        joined=ti)
        self.recruits = np.bincount(np.repeat(states, n), minlength=self.n_states)

    def update_results(self) -> None:
        """Record dealers and recruits per state, in real dealers."""
        ti = self.sim.ti
        self.results["dealers"][ti] = self.counts().sum(axis=0) * self.scale
        self.results["recruits"][ti] = self.recruits * self.scale
        self.results["arrests"][ti] = self.arrests * self.scale
        self.levers.reset()
