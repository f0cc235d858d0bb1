"""What one sensitivity sample runs: the model with the sampled parameters, and each lever.

For a sample row, :func:`evaluate_model` runs the status quo with the row's parameters and,
for each chosen intervention scenario, the scenario with the same parameters and the SAME seed
(common random numbers: the two arms draw the same numbers for the same agents, so they
differ by the lever alone). It measures, nationally and with expected deaths (the mean of the
draws, less agent noise than the realised count):

* ``deaths_<drug>_<year>``: deaths by drug (``fentanyl``, ``methamphetamine``, ``cocaine``,
  ``all_drugs``) in each chosen year (by default the last CDC year and the run's last year);
* ``averted_<scenario>``: all-drug deaths averted over the run against the status quo;
* ``cost_per_averted_<scenario>``: the scenario's intervention cost over the run divided by
  the deaths it averted (NaN when it averts none);
* ``revenue_<year>``: the cartels' revenue in each chosen year (US sales, exports, migrant
  smuggling and sex trafficking, US dollars), when a precursor, money or export-market
  parameter is varied;
* ``guns_arrived_<year>``: guns arrived in Mexico in each chosen year (from the US and
  elsewhere), when a parameter of the guns going south (``firearms.*``) is varied.

Workers keep the model's inputs (read from the store once per process) between rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from narcosim.analysis.sensitivity_params import (
    GUNS_MODULES,
    MONEY_MODULES,
    SensParam,
    sample_pars,
)
from narcosim.errors import ParameterError
from narcosim.model.people import DEATH_KEYS

_CACHE: dict[str, tuple[Any, dict[str, str]]] = {}


@dataclass(frozen=True)
class ModelSetup:
    """Everything a worker needs to evaluate a row (picklable).

    Attributes:
        store: Atlas store path.
        seed: Run seed of every row and arm.
        scale: Real people (and dealers) per agent.
        start: First day.
        end: Last day a step may start.
        params: The varied parameters, in the design's order.
        years: Years whose deaths are measured.
        drugs: Drugs whose deaths are measured (from ``DEATH_KEYS``).
        interventions: (name, scenario TOML text) of each intervention scenario measured.
    """

    store: str
    seed: int
    scale: int
    start: str
    end: str
    params: tuple[SensParam, ...]
    years: tuple[int, ...]
    drugs: tuple[str, ...] = DEATH_KEYS
    interventions: tuple[tuple[str, str], ...] = ()

    def identity(self) -> dict[str, Any]:
        """The settings that make two analyses the same (the store path is not one)."""
        return {"seed": self.seed, "scale": self.scale, "start": self.start, "end": self.end,
                "params": [p.record() for p in self.params], "years": list(self.years),
                "drugs": list(self.drugs),
                "interventions": {name: text for name, text in self.interventions}}

    @property
    def measures_money(self) -> bool:
        """Whether a precursor, money or export-market parameter is varied."""
        return any(p.module in MONEY_MODULES for p in self.params)

    @property
    def measures_guns(self) -> bool:
        """Whether a parameter of the guns going south is varied."""
        return any(p.module in GUNS_MODULES for p in self.params)

    def output_names(self) -> list[str]:
        """The outputs every row reports, in order."""
        names = [f"deaths_{d}_{y}" for y in self.years for d in self.drugs]
        if self.measures_money:
            names += [f"revenue_{y}" for y in self.years]
        if self.measures_guns:
            names += [f"guns_arrived_{y}" for y in self.years]
        for name, _ in self.interventions:
            names += [f"averted_{name}", f"cost_per_averted_{name}"]
        return names


def check_drugs(drugs: Sequence[str]) -> tuple[str, ...]:
    """The drugs asked for, checked against the model's death keys.

    Raises:
        ParameterError: A drug the model does not count deaths for.
    """
    for drug in drugs:
        if drug not in DEATH_KEYS:
            raise ParameterError(f"--drug {drug!r}: must be one of {', '.join(DEATH_KEYS)}")
    return tuple(drugs) or DEATH_KEYS


def _inputs(store: str) -> tuple[Any, dict[str, str]]:
    """The model inputs and US cities of a store, read once per process."""
    if store not in _CACHE:
        from narcosim.atlas.store import Atlas
        from narcosim.model.builder import load_inputs
        from narcosim.scenario.refs import us_cities

        atlas = Atlas.open(store)
        inputs = load_inputs(atlas)
        _CACHE[store] = (inputs, us_cities(atlas, inputs.world))
    return _CACHE[store]


def evaluate_model(setup: ModelSetup, row: list[float]) -> dict[str, float]:
    """Run the status quo and each intervention with one row's parameters; the outputs."""
    from narcosim.model.builder import build_sim
    from narcosim.scenario.build import build_scenario_sim
    from narcosim.scenario.validate import check_text, first_problem_error

    inputs, cities = _inputs(setup.store)
    pars = sample_pars(setup.params, row)
    base = build_sim(inputs, seed=setup.seed, scale=setup.scale, start=setup.start,
                     end=setup.end, pars=pars, name="status_quo").run()
    deaths = _national(base)
    by_year = base.timeline.annual(deaths, list(setup.years))  # day-weighted (years, keys)
    out: dict[str, float] = {}
    for y, year in enumerate(setup.years):
        for drug in setup.drugs:
            out[f"deaths_{drug}_{year}"] = float(by_year[y, DEATH_KEYS.index(drug)])
    if setup.measures_money:
        out.update(_revenue(base, setup.years))
    if setup.measures_guns:
        out.update(_guns_arrived(base, setup.years))
    total = float(deaths[:, DEATH_KEYS.index("all_drugs")].sum())
    for name, text in setup.interventions:
        scenario, problems = check_text(text, f"{name}.toml")
        if scenario is None:
            raise first_problem_error(problems)
        merged = {m: dict(v) for m, v in scenario.parameters.items()}
        for module, values in pars.items():
            merged.setdefault(module, {}).update(values)
        scenario = scenario.model_copy(update={"parameters": merged})
        arm = build_scenario_sim(scenario, inputs=inputs, cities=cities, seed=setup.seed,
                                 scale=setup.scale, start=setup.start, end=setup.end).run()
        averted = total - float(_national(arm)[:, DEATH_KEYS.index("all_drugs")].sum())
        cost = _cost(arm)
        out[f"averted_{name}"] = averted
        out[f"cost_per_averted_{name}"] = cost / averted if averted > 0 else math.nan
    return out


def _revenue(sim: Any, years: Sequence[int]) -> dict[str, float]:
    """The cartels' revenue in each year: US sales plus exports and other crimes (dollars)."""
    r = sim.results
    weekly = np.asarray(r["money"]["revenue_usd"]).sum(axis=(1, 2))
    if "portfolio" in sim.modules:
        weekly = weekly + np.asarray(r["portfolio"]["other_revenue_usd"]).sum(axis=(1, 2))
    by_year = sim.timeline.annual(weekly[:, None], list(years))  # day-weighted
    return {f"revenue_{year}": float(by_year[y, 0]) for y, year in enumerate(years)}


def _guns_arrived(sim: Any, years: Sequence[int]) -> dict[str, float]:
    """Guns arrived in Mexico in each year, from the US and elsewhere."""
    r = sim.results["firearms"]
    weekly = np.asarray(r["arrived"]).sum(axis=1) + np.asarray(r["arrived_other"])
    by_year = sim.timeline.annual(weekly[:, None], list(years))  # day-weighted
    return {f"guns_arrived_{year}": float(by_year[y, 0]) for y, year in enumerate(years)}


def _national(sim: Any) -> np.ndarray:
    """Expected deaths per step and drug, summed over states."""
    return np.asarray(sim.results["people"]["expected_deaths"]).sum(axis=2)


def _cost(sim: Any) -> float:
    """Every intervention's cost over the run, US dollars."""
    from narcosim.interventions.base import Intervention

    return float(sum(np.asarray(m.results["cost_usd"]).sum()
                     for m in sim.modules.values() if isinstance(m, Intervention)))
