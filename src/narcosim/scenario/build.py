"""A validated scenario → a :class:`~narcosim.core.sim.Sim` ready to run.

The scenario's parameters go to the model's modules, its interventions are built with
:func:`~narcosim.interventions.registry.build_interventions` (targets resolved against the
world) and placed before the model's parts. With no interventions and no parameters the sim
is the default model, so ``status_quo`` and ``default`` give the same results for a seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from narcosim.atlas.store import Atlas
from narcosim.core.sim import Sim
from narcosim.interventions.registry import build_interventions
from narcosim.model.builder import build_sim, load_inputs
from narcosim.model.inputs import SupplyInputs
from narcosim.scenario.document import Scenario
from narcosim.scenario.refs import us_cities


def build_scenario_sim(
    scenario: Scenario,
    atlas: Atlas | None = None,
    *,
    inputs: SupplyInputs | None = None,
    cities: Mapping[str, str] | None = None,
    seed: int | None = None,
    scale: int | None = None,
    start: str | date | None = None,
    end: str | date | None = None,
) -> Sim:
    """Build the sim of a scenario.

    Args:
        scenario: The validated scenario.
        atlas: The atlas store; needed unless both ``inputs`` and ``cities`` are given.
        inputs: Prepared model inputs (from :func:`~narcosim.model.builder.load_inputs`),
            to share between runs.
        cities: US city -> state postal code (:func:`~narcosim.scenario.refs.us_cities`).
        seed: Run seed instead of the file's.
        scale: Scale instead of the file's.
        start: First day instead of the file's.
        end: Last day a step may start instead of the file's.

    Returns:
        The sim, not yet run, named after the scenario.

    Raises:
        ParameterError: Unknown target names, lever or module parameters, or bad dates.
    """
    if inputs is None or cities is None:
        if atlas is None:
            raise TypeError("build_scenario_sim needs an atlas unless inputs and cities "
                            "are given")
        inputs = inputs or load_inputs(atlas)
        cities = cities if cities is not None else us_cities(atlas, inputs.world)
    info = scenario.scenario
    levers = build_interventions(scenario.interventions, inputs, dict(cities))
    return build_sim(
        inputs,
        seed=info.seed if seed is None else int(seed),
        scale=info.scale if scale is None else int(scale),
        start=str(info.start if start is None else start),
        end=str(info.end if end is None else end),
        pars={module: dict(values) for module, values in scenario.parameters.items()},
        name=info.name,
        interventions=levers,
    )
