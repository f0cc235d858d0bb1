"""How the cartels' workforce recovers after groups are removed.

The workforce model of Prieto-Curiel, Campedelli & Hope (Science 381 (2023) 1312;
:mod:`narcosim.orgs.workforce`) runs 2012-2022; at its 2022 state the removed groups lose every
member (the whole group incapacitated: an upper bound on what arrests achieve) and the model runs
ten more years beside an untouched baseline. The survivors recruit at the same rate, fight one
fewer enemy and share the state's incapacitation (``eta`` a week in all) among fewer members, so
total membership climbs back; a removed group never re-forms (the model has no new groups, and
alliances are fixed), so this is the recovery of the workforce, not of the network's ties.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from narcosim.errors import ParameterError
from narcosim.orgs.workforce import (
    START_YEAR,
    WEEKS_PER_YEAR,
    WorkforceParams,
    conflict_matrix,
    initial_sizes,
    rank_groups,
    simulate,
)


def workforce_recovery(groups: pd.DataFrame, alliances: pd.DataFrame, rivalries: pd.DataFrame,
                       removed: Sequence[str], years: int = 10,
                       params: WorkforceParams | None = None) -> pd.DataFrame:
    """Total members after removing groups in 2022, against the baseline, year by year.

    Args:
        groups: ``cartel_groups``.
        alliances: ``cartel_alliances``.
        rivalries: ``cartel_rivalries``.
        removed: Node ids of the groups removed.
        years: Years to follow after removal.
        params: Workforce parameters; the paper's when None.

    Returns:
        One row per year from the removal year: ``year``, ``baseline`` and ``disrupted`` total
        members, ``ratio`` (disrupted / baseline), ``removed_members`` (the removed groups'
        members in the baseline that year) and ``weekly_recruits_disrupted``.

    Raises:
        ParameterError: A removed id is not a group, or ``years`` < 1.
    """
    if years < 1:
        raise ParameterError(f"recovery years {years}: need at least 1")
    params = params or WorkforceParams()
    ranked, _allied, rival = rank_groups(groups, alliances, rivalries)
    nodes = ranked["node"].astype(str).tolist()
    unknown = [r for r in removed if r not in nodes]
    if unknown:
        raise ParameterError(f"unknown group {unknown[0]!r} to remove from the workforce model")
    conflict = conflict_matrix(rival, ranked["alliance_strength"].to_numpy())
    history = simulate(initial_sizes(len(ranked), params.initial_members), conflict, params)
    start = history.members[-1]
    mask = np.isin(nodes, list(removed))
    weeks = years * WEEKS_PER_YEAR
    base = simulate(start, conflict, params, weeks=weeks)
    cut = simulate(np.where(mask, 0.0, start), conflict, params, weeks=weeks)
    year0 = START_YEAR + params.weeks // WEEKS_PER_YEAR
    at = np.arange(years + 1) * WEEKS_PER_YEAR
    return pd.DataFrame({
        "year": year0 + np.arange(years + 1),
        "baseline": base.total[at],
        "disrupted": cut.total[at],
        "ratio": cut.total[at] / base.total[at],
        "removed_members": base.members[at][:, mask].sum(axis=1),
        "weekly_recruits_disrupted": cut.recruits[at],
    })
