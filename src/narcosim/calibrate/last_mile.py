"""Operation Last Mile, simulated: calibrate the yields per investigation and compare tallies.

The simulated operation runs over the same period (May 2022 – May 2023) with the same number
of investigations (1,436), nationwide (the DEA's list of cities is not in the data). Arrests,
firearms and cash follow from the dealer agents arrested; drug seizures from the street stock
of the targeted states, scaled by a yield per investigation that :func:`fit_yields` calibrates
so that the simulated pills, powder and methamphetamine match the reported tallies.
"""

from __future__ import annotations

from typing import Any

from narcosim.interventions.config import DealerOperationConfig
from narcosim.interventions.dealer_ops import LAST_MILE_TALLIES, DealerOperation
from narcosim.interventions.registry import build_interventions
from narcosim.model.builder import build_sim
from narcosim.model.inputs import SupplyInputs

START, END, INVESTIGATIONS = "2022-05-01", "2023-05-31", 1436
YIELDS = ("fentanyl_seizure_per_investigation", "meth_seizure_per_investigation")


def simulate_last_mile(inputs: SupplyInputs, seed: int = 1,
                       parameters: dict[str, Any] | None = None) -> dict[str, float]:
    """Run the operation once (supply and dealers; people are not needed) and return tallies."""
    config = DealerOperationConfig(name="Operation Last Mile", start=START, end=END,
                                   investigations=INVESTIGATIONS,
                                   parameters=dict(parameters or {}))
    (operation,) = build_interventions([config], inputs, {})
    build_sim(inputs, seed=seed, end="2023-06-30", people=False,
              interventions=[operation], name="last_mile").run()
    return dict(operation.tally)


def fit_yields(inputs: SupplyInputs, seed: int = 1, rounds: int = 2) -> dict[str, float]:
    """Scale the seizure yields until pills+powder and methamphetamine match the tallies."""
    defaults = {s.name: s.default for s in DealerOperation.param_specs}
    yields = {k: float(defaults[k]) for k in YIELDS}
    reported_fent = (LAST_MILE_TALLIES["fentanyl_pills"]
                     + LAST_MILE_TALLIES["fentanyl_powder_lb"])
    for _ in range(rounds):
        tally = simulate_last_mile(inputs, seed, yields)
        sim_fent = tally["fentanyl_pills"] + tally["fentanyl_powder_lb"]
        yields[YIELDS[0]] *= reported_fent / max(sim_fent, 1e-9)
        yields[YIELDS[1]] *= LAST_MILE_TALLIES["methamphetamine_lb"] / max(
            tally["methamphetamine_lb"], 1e-9)
    return yields
