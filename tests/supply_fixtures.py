"""Shared helpers for the supply-model acceptance tests (issue 3).

Runs are expensive (a default 2015-2026 run takes several seconds), so the helpers cache
the supply inputs per atlas store and the default seed-1 run per process: every test file
that needs them shares one copy. Helper modules (:class:`Recorder`, :class:`Injector`,
:class:`ExtraDealer`) plug into a run without touching the model code.
"""

from __future__ import annotations

import csv
import inspect
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from narcosim.atlas.store import Atlas
from narcosim.core.module import Module
from narcosim.core.sim import Sim
from narcosim.model.builder import build_sim, load_inputs
from narcosim.model.inputs import SupplyInputs

#: One avoirdupois pound in kilograms (exact by definition; NIST Handbook 44).
KG_PER_LB = 0.45359237
CBP_FILE = "cbp_nationwide_drug_seizures_fy2019_fy2023.csv"
#: CBP "Drug Type" of each modelled drug.
CBP_DRUGS = {"Fentanyl": "fentanyl", "Methamphetamine": "methamphetamine", "Cocaine": "cocaine"}
FISCAL_YEARS = (2019, 2020, 2021, 2022, 2023)


#: The supply modules alone: the people module (when the builder has one) reads what the supply
#: sells but writes nothing back, and makes a run several times slower, so the supply tests
#: leave it out; test_supply_reproducibility checks that it changes no supply result.
SUPPLY_ONLY: dict[str, Any] = (
    {"people": False} if "people" in inspect.signature(build_sim).parameters else {}
)


def supply_sim(inputs: SupplyInputs, **kwargs: Any) -> Sim:
    """``build_sim`` with the supply modules only (see :data:`SUPPLY_ONLY`)."""
    return build_sim(inputs, **SUPPLY_ONLY, **kwargs)


@lru_cache(maxsize=4)
def inputs_for(store: Path) -> SupplyInputs:
    """The default supply inputs read from an atlas store (once per process)."""
    return load_inputs(Atlas.open(store))


@lru_cache(maxsize=2)
def default_run(store: Path, seed: int = 1) -> Sim:
    """The built-in default run (2015-2026, scale 1:100), once per process and seed."""
    return supply_sim(inputs_for(store), seed=seed).run()


class Recorder(Module):
    """Copies chosen attributes of other modules after every step (in ``update_results``).

    Args:
        what: Label -> function of the sim returning the value to copy.
        name: Module name.
    """

    name = "recorder"

    def __init__(self, what: dict[str, Callable[[Sim], Any]], name: str = "recorder") -> None:
        super().__init__(name=name)
        self.what = what
        self.log: dict[str, list[Any]] = {k: [] for k in what}

    def update_results(self) -> None:
        for key, fn in self.what.items():
            value = fn(self.sim)
            if isinstance(value, dict):
                value = {k: np.array(v, copy=True) for k, v in value.items()}
            else:
                value = np.array(value, copy=True)
            self.log[key].append(value)


class Injector(Module):
    """Adds one extra load (outside production) at one step, before trafficking steps.

    Args:
        step: Step index at which to inject; None injects nothing (the baseline world).
        operator: Operator index.
        drug: Drug index.
        kg: Size of the load.
    """

    name = "injector"

    def __init__(self, step: int | None, operator: int = 0, drug: int = 0,
                 kg: float = 0.0) -> None:
        super().__init__()
        self.at, self.operator, self.drug, self.kg = step, operator, drug, kg

    def step(self) -> None:
        if self.at is not None and self.sim.ti == self.at:
            self.sim.modules["trafficking"].inject(self.operator, self.drug, self.kg)


class ExtraDealer(Module):
    """Adds one dealer agent at one step, after the dealers module has stepped.

    Args:
        step: Step index; None adds nothing (the baseline world).
        state: State index of the new dealer.
        operator: Operator index of the new dealer.
    """

    name = "extra_dealer"

    def __init__(self, step: int | None, state: int = 0, operator: int = 0) -> None:
        super().__init__()
        self.at, self.state, self.operator = step, state, operator

    def step(self) -> None:
        if self.at is not None and self.sim.ti == self.at:
            self.sim.modules["dealers"].agents.add(1, state=self.state, operator=self.operator,
                                                   joined=self.at)


def with_modules(base: Sim, before: dict[str, Sequence[Module]] | None = None,
                 after: Sequence[Module] = ()) -> Sim:
    """A new Sim with ``base``'s (unrun) modules plus helpers.

    Args:
        base: A sim from ``build_sim`` that has not been initialised.
        before: Module name -> helper modules to insert just before it.
        after: Helper modules appended after the last module.
    """
    before = before or {}
    modules: list[Module] = []
    for name, module in base.modules.items():
        modules.extend(before.get(name, ()))
        modules.append(module)
    modules.extend(after)
    return Sim(modules, base.timeline, seed=base.seed, name=base.name)


def read_cbp_southwest(data_dir: Path) -> tuple[dict, dict]:
    """CBP's southwest-border seizures read straight from the CSV with the csv module.

    Returns:
        ``totals[(drug, fy)]`` in kg (both components, every area) and
        ``ofo[(drug, fy)][field_office]`` in kg (Office of Field Operations rows only).
    """
    totals: dict[tuple[str, int], float] = defaultdict(float)
    ofo: dict[tuple[str, int], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    with open(data_dir / CBP_FILE, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["Region"] != "Southwest Border" or row["Drug Type"] not in CBP_DRUGS:
                continue
            key = (CBP_DRUGS[row["Drug Type"]], int(row["FY"]))
            kg = float(row["Sum Qty (lbs)"]) * KG_PER_LB
            totals[key] += kg
            if row["Component"] == "Office of Field Operations":
                ofo[key][row["Area of Responsibility"]] += kg
    return dict(totals), {k: dict(v) for k, v in ofo.items()}
