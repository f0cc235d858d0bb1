"""Supply reaches deaths with the elasticity identified from the data.

Halving the fentanyl that crosses the border for a year (production halved for 2022, every
operator) lowers fentanyl sold in the states by a little less than half (stocks in the chain
carry a few weeks over) and that year's fentanyl deaths by ``1 - (1 - cut) ** e``, with ``e``
the fitted supply elasticity: the cut must lie inside what the profile interval of ``e``
stored with the packaged fit allows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from narcosim.atlas.store import Atlas
from narcosim.core.module import Module
from narcosim.model.builder import build_sim, load_inputs
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.fitted_people import FittedPeople


class HalveFentanyl(Module):
    """Multiplies every operator's fentanyl production by ``factor`` in ``year``."""

    name = "halve_fentanyl"

    def __init__(self, year: int, factor: float = 0.5) -> None:
        super().__init__()
        self.year, self.factor = year, factor

    def step(self) -> None:
        if self.sim.timeline.years[self.sim.ti] == self.year:
            prod = self.sim.modules["production"]
            prod.precursor_factor[:, SUPPLY_DRUGS.index("fentanyl")] *= self.factor


def _year_totals(store: Path, modules: tuple[Module, ...]) -> tuple[float, float]:
    sim = build_sim(load_inputs(Atlas.open(store)), seed=1, scale=1000, end="2022-12-31",
                    interventions=modules).run()
    in_2022 = sim.timeline.years == 2022
    deaths = np.asarray(sim.results["people"]["expected_deaths"])[in_2022, 0].sum()
    sold = np.asarray(sim.results["distribution"]["sold_kg"])[in_2022, 0].sum()
    return float(deaths), float(sold)


def test_halving_fentanyl_supply_cuts_deaths_within_the_identified_elasticity(
        atlas_store: Path) -> None:
    low, high = FittedPeople.load().meta["fentanyl_elasticity_interval"]
    fitted = FittedPeople.load().pars["fentanyl_elasticity"]
    assert 0 < low <= fitted <= high
    base_deaths, base_sold = _year_totals(atlas_store, ())
    half_deaths, half_sold = _year_totals(atlas_store, (HalveFentanyl(2022),))
    sold_cut = 1 - half_sold / base_sold
    deaths_cut = 1 - half_deaths / base_deaths
    assert 0.40 < sold_cut <= 0.5, sold_cut
    allowed = (1 - (1 - sold_cut) ** low, 1 - (1 - sold_cut) ** high)
    assert allowed[0] <= deaths_cut <= allowed[1], (deaths_cut, allowed, sold_cut)
    # and against the halving itself: the deaths fall by about 1 - 0.5 ** e, less the lag
    assert deaths_cut < 1 - 0.5 ** high
