"""Guns going south: US firearms arming the cartels, and their weight in cartel conflict.

Firearms bought in US states are smuggled to Mexico; ATF traces the ones Mexico recovers and
submits. Published figures (each a parameter default or a comparison below):

* 70% of the firearms recovered in Mexico and traced in 2014-2018 came from the US
  (GAO-21-322, 2021); 87% in 2004-2008 (GAO-09-709, 2009); of 99,000 submitted in 2007-2011,
  68,000 were made in or imported into the US (ATF Mexico trace report, 2012).
* About 200,000 guns a year are smuggled south (Mexico's estimate, as reported; DESIGN.md
  section 3); about 253,000 a year were bought in the US for trafficking south in 2010-2012
  (McDougal et al., University of San Diego Trans-Border Institute, 2013, as reported).
* Four in ten of the US guns traced from Mexico in 2006-2009 were sold in Texas; Arizona,
  California and New Mexico another third (Mayors Against Illegal Guns 2010, from ATF data);
  the split among those three is a guess.

The guns that arrive arm the cartels' conflict: the workforce model's conflict lethality
``theta`` (:mod:`narcosim.orgs.workforce`) scales with the yearly arrivals relative to the
status quo, to a guessed elasticity. Southbound interdiction seizes more at the border, so
fewer arrive; guns from other sources (the 30% that are not US-sourced) do not respond. At
zero interdiction the factor is exactly 1 and the workforce runs bit for bit as without guns.

Ledger (guns a year): bought in the US = seized at the border + arrived in Mexico.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from narcosim.errors import ParameterError
from narcosim.orgs.workforce import Trajectory, WorkforceParams, simulate

#: Where the US guns traced from Mexico were sold (Mayors Against Illegal Guns 2010, ATF
#: 2006-2009: Texas 4 in 10; Arizona, California and New Mexico a third, split by guess).
SOURCE_STATES: dict[str, float] = {"TX": 0.40, "AZ": 0.15, "CA": 0.12, "NM": 0.06,
                                   "other": 0.27}
#: Published US-sourced shares of the guns Mexico recovered and ATF traced:
#: (label, period, share).
PUBLISHED_US_SHARE: tuple[tuple[str, str, float], ...] = (
    ("GAO-21-322 (2021)", "2014-2018", 0.70),
    ("ATF Mexico trace report (2012): 68,000 of 99,000", "2007-2011", 68_000 / 99_000),
    ("GAO-09-709 (2009)", "2004-2008", 0.87),
)
#: US states a source may name (postal codes) or "other".
_STATES = frozenset([
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN",
    "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
    "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT",
    "VT", "VA", "WA", "WV", "WI", "WY", "other"])


@dataclass(frozen=True)
class GunsParams:
    """The southbound gun flow, with its sources.

    Attributes:
        us_guns_per_year: Guns bought in the US for Mexico a year (200,000, Mexico's estimate
            as reported; range 100,000-253,000, the top from McDougal et al. 2013).
        us_share: US-sourced share of the guns arriving in Mexico in the status quo
            (GAO-21-322: 0.70 of those traced in 2014-2018); sets the other sources' flow.
        border_seizure: Share seized going south in the status quo (guess: 0.02, range
            0.005-0.05).
        conflict_elasticity: Elasticity of the conflict lethality to the guns arriving (guess:
            0.5, range 0-1).
        source_states: Share of the US guns bought in each state (sums to 1).
    """

    us_guns_per_year: float = 200_000.0
    us_share: float = 0.70
    border_seizure: float = 0.02
    conflict_elasticity: float = 0.5
    source_states: dict[str, float] = field(default_factory=lambda: dict(SOURCE_STATES))

    def __post_init__(self) -> None:
        for name in ("us_guns_per_year", "us_share", "border_seizure", "conflict_elasticity"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ParameterError(f"guns: {name} = {value!r} must be a finite number >= 0")
        for name in ("us_share", "border_seizure"):
            if getattr(self, name) > 1:
                raise ParameterError(f"guns: {name} = {getattr(self, name)!r} is a share: it "
                                     "must be at most 1")
        if self.us_share == 0:
            raise ParameterError("guns: us_share must be above 0")
        for state, share in self.source_states.items():
            if state not in _STATES:
                raise ParameterError(f"guns: unknown source state {state!r} (a US postal "
                                     "code or 'other')")
            if not 0 <= share <= 1:
                raise ParameterError(f"guns: source share of {state} = {share!r} must be "
                                     "between 0 and 1")
        total = sum(self.source_states.values())
        if abs(total - 1.0) > 1e-9:
            raise ParameterError(f"guns: source_states shares sum to {total:.6g}, not 1")


def flows(params: GunsParams, interdiction: float = 0.0) -> dict[str, Any]:
    """The yearly gun flow south, with added southbound interdiction.

    Args:
        params: The flow's parameters.
        interdiction: Added share of the US guns seized at the border (0 = status quo).

    Returns:
        ``bought``, ``seized``, ``arrived_us``, ``arrived_other``, ``arrived``, ``us_share``
        (of the guns arriving) and ``bought_by_state``.

    Raises:
        ParameterError: An interdiction outside [0, 1].
    """
    if not (math.isfinite(interdiction) and 0 <= interdiction <= 1):
        raise ParameterError(f"guns: interdiction = {interdiction!r} is a share: it must be "
                             "between 0 and 1")
    bought = params.us_guns_per_year
    usual = bought * (1.0 - params.border_seizure)
    other = usual * (1.0 - params.us_share) / params.us_share
    seized = bought * min(1.0, params.border_seizure + interdiction)
    arrived_us = bought - seized
    arrived = arrived_us + other
    return {
        "bought": bought, "seized": seized, "arrived_us": arrived_us, "arrived_other": other,
        "arrived": arrived, "us_share": arrived_us / arrived if arrived > 0 else 0.0,
        "bought_by_state": {s: bought * w for s, w in params.source_states.items()},
    }


def theta_factor(params: GunsParams, interdiction: float = 0.0) -> float:
    """The conflict lethality's multiplier: (guns arriving / status quo) ** elasticity.

    Exactly 1 with no added interdiction.
    """
    if interdiction == 0:
        return 1.0
    ratio = flows(params, interdiction)["arrived"] / flows(params)["arrived"]
    return float(ratio ** params.conflict_elasticity)


def with_guns(workforce: WorkforceParams, params: GunsParams,
              interdiction: float = 0.0) -> WorkforceParams:
    """The workforce parameters with the conflict lethality scaled by the guns arriving."""
    factor = theta_factor(params, interdiction)
    return workforce if factor == 1.0 else replace(workforce, theta=workforce.theta * factor)


def conflict_run(initial: np.ndarray, conflict: np.ndarray, workforce: WorkforceParams,
                 params: GunsParams, interdiction: float = 0.0,
                 weeks: int | None = None) -> Trajectory:
    """The workforce model run with the guns' effect on conflict (see :func:`with_guns`)."""
    return simulate(initial, conflict, with_guns(workforce, params, interdiction), weeks)


def us_share_vs_published(params: GunsParams) -> list[dict[str, Any]]:
    """The status quo's US-sourced share of arriving guns beside each published share."""
    model = flows(params)["us_share"]
    return [{"source": label, "period": period, "published": share, "model": model,
             "gap": model - share} for label, period, share in PUBLISHED_US_SHARE]
