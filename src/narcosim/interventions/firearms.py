"""Southbound firearms interdiction: the lever on :mod:`narcosim.model.firearms`.

More inspection of southbound traffic at the border and more ATF tracing of straw purchases
(the US-Mexico Bicentennial Framework's "reduce arms trafficking" line) seize a larger share
of the US guns going south: the border seizure share rises by ``efficacy`` x intensity, for
the guns bought in the targeted source states (``source_states``; all by default). Fewer
guns arrive, the cartels' arsenal shrinks and with it the conflict term. Guns do not feed
back into drugs, money or deaths in the model: this lever changes the guns results and
nothing else.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from narcosim.core.params import ParamSpec
from narcosim.core.random import INIT_STEP, Stream
from narcosim.core.sim import Sim
from narcosim.errors import ParameterError
from narcosim.interventions.base import Intervention
from narcosim.model.firearms import SOURCES, Firearms

#: The named stream ensemble members draw the guns' guessed parameters from.
GUESS_STREAM = "firearms.priors"


class FirearmsInterdiction(Intervention):
    """More of the southbound US guns seized at the border, from the targeted source states."""

    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("efficacy", 0.1, "fraction", 0.0, 1.0,
                  source="guess: added share of the southbound guns seized at intensity 1 "
                         "(the usual share is a guess of 2%; GAO-21-322 found CBP's "
                         "southbound inspections small and sporadic); range 0.02-0.3",
                  doc="Added border seizure share per unit intensity.",
                  prior=(0.02, 0.3),
                  prior_source="guess: from doubling the usual share to seizing three in ten"),
    ]

    def init_pre(self, sim: Sim) -> None:
        """Check the run has the guns module; resolve the source states."""
        super().init_pre(sim)
        if "firearms" not in sim.modules:
            raise ParameterError(f"{self.config.label}: firearms interdiction needs the guns "
                                 "module (build the run with chain=True)")
        chosen = list(getattr(self.config, "source_states", []) or SOURCES)
        self.where = np.array([s in chosen for s in SOURCES])

    def apply(self) -> None:
        """Raise the targeted source states' border seizure share."""
        self.module("firearms").levers.add(
            "added_seizure", self.pars.efficacy * self.config.intensity, where=self.where,
            cap=1.0)


def draw_guesses(seed: int) -> tuple[dict[str, float], float]:
    """One member's draw of the guns' parameters and the lever's efficacy from their priors.

    Ensemble and comparison members drawing parameter uncertainty (not ``--fixed-params``)
    run with these, so the guns results carry the uncertainty of their ranges ("the range is
    the prior"): each is uniform over its spec's prior, from the named stream
    :data:`GUESS_STREAM` of the member's seed. Member ``i`` of every arm has the same seed,
    so it draws the same values in every arm (common random numbers).

    Args:
        seed: The member's run seed.

    Returns:
        ``firearms`` module parameters, and the ``firearms_interdiction`` efficacy.
    """
    specs = [*Firearms.param_specs, *FirearmsInterdiction.param_specs]
    gen = Stream(GUESS_STREAM, int(seed)).generator(INIT_STEP)
    values = gen.uniform([spec.prior[0] for spec in specs],  # type: ignore[index]
                         [spec.prior[1] for spec in specs])  # type: ignore[index]
    drawn = {spec.name: float(v) for spec, v in zip(specs, values, strict=True)}
    return ({spec.name: drawn[spec.name] for spec in Firearms.param_specs},
            drawn[FirearmsInterdiction.param_specs[0].name])


def with_efficacy(interventions: list[Any], efficacy: float) -> list[Any]:
    """The interventions, ``efficacy`` given to each firearms interdiction that sets none."""
    return [iv.model_copy(update={"parameters": {"efficacy": efficacy, **iv.parameters}})
            if iv.kind == "firearms_interdiction" else iv for iv in interventions]
