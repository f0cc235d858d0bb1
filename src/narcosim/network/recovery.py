"""How the cartels' workforce recovers after groups are removed.

The workforce model of Prieto-Curiel, Campedelli & Hope (Science 381 (2023) 1312;
:mod:`narcosim.orgs.workforce`) runs 2012-2022; at its 2022 state the removed groups lose every
member (the whole group incapacitated: an upper bound on what arrests achieve) and the model runs
ten more years beside an untouched baseline. The survivors recruit at the same rate, fight one
fewer enemy and share the state's incapacitation (``eta`` a week in all) among fewer members, so
total membership climbs back; a removed group never re-forms (the model has no new groups).

Alliances enter the model through the conflict matrix ``K_ij = (rivalry_ij + 1) /
(alliance_strength_i + 1)``: a group's alliances damp its conflict. Three readings of the
removed groups' alliances are run:

* ``disrupted``: the paper's matrix unchanged, so the survivors keep the protection of their
  ties to removed groups (as if every lost tie were replaced at once, in full);
* ``ties_lost``: the survivors lose their ties to removed groups, and nothing re-forms;
* ``rewired``: the ties are lost, then re-form after the delay by the rule of
  :mod:`narcosim.network.rewire` (surviving allies attach to the strongest surviving ally).
"""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
import pandas as pd

from narcosim.errors import ParameterError
from narcosim.network.rewire import Rewiring, reformed_alliances
from narcosim.orgs.workforce import (
    START_YEAR,
    WEEKS_PER_YEAR,
    WorkforceParams,
    conflict_matrix,
    initial_sizes,
    rank_groups,
    simulate,
)


def _rewired_matrices(nodes: list[str], allied: np.ndarray, mask: np.ndarray,
                      rule: Rewiring) -> tuple[np.ndarray, np.ndarray, int]:
    """Alliance matrices with the removed groups' ties cut, and after they re-form.

    Returns:
        The cut matrix, the rewired matrix and the number of new or strengthened ties.
    """
    cut = allied.copy()
    cut[mask, :] = 0.0
    cut[:, mask] = 0.0
    g = nx.Graph()
    g.add_nodes_from(nodes)
    rows, cols = np.nonzero(np.triu(allied, 1))
    g.add_weighted_edges_from(((nodes[i], nodes[j], allied[i, j]) for i, j in
                               zip(rows, cols, strict=True)), weight="alliance")
    index = {node: i for i, node in enumerate(nodes)}
    removed = [nodes[i] for i in np.flatnonzero(mask)]
    added = reformed_alliances(g, removed, rule)
    rewired = cut.copy()
    for (a, b), w in added.items():
        rewired[index[a], index[b]] += w
        rewired[index[b], index[a]] += w
    return cut, rewired, len(added)


def _run_switching(start: np.ndarray, before: np.ndarray, after: np.ndarray, switch: int,
                   weeks: int, params: WorkforceParams) -> np.ndarray:
    """Weekly members under conflict matrix ``before`` until week ``switch``, then ``after``."""
    switch = min(max(switch, 0), weeks)
    first = simulate(start, before, params, weeks=switch).members
    if switch == weeks:
        return first
    second = simulate(first[-1], after, params, weeks=weeks - switch).members
    return np.vstack([first, second[1:]])


def workforce_recovery(groups: pd.DataFrame, alliances: pd.DataFrame, rivalries: pd.DataFrame,
                       removed: Sequence[str], years: int = 10,
                       params: WorkforceParams | None = None,
                       rewiring: Rewiring | None = None) -> pd.DataFrame:
    """Total members after removing groups in 2022, against the baseline, year by year.

    Args:
        groups: ``cartel_groups``.
        alliances: ``cartel_alliances``.
        rivalries: ``cartel_rivalries``.
        removed: Node ids of the groups removed.
        years: Years to follow after removal.
        params: Workforce parameters; the paper's when None.
        rewiring: How alliances re-form; :class:`Rewiring`'s guesses when None.

    Returns:
        One row per year from the removal year: ``year``, ``baseline`` and ``disrupted`` total
        members, ``ratio`` (disrupted / baseline), ``removed_members`` (the removed groups'
        members in the baseline that year), ``weekly_recruits_disrupted``, ``ties_lost`` and
        ``rewired`` total members with their ratios to the baseline, and ``reformed_ties``
        (alliances formed or strengthened by then).

    Raises:
        ParameterError: A removed id is not a group, or ``years`` < 1.
    """
    if years < 1:
        raise ParameterError(f"recovery years {years}: need at least 1")
    params = params or WorkforceParams()
    rule = rewiring or Rewiring()
    ranked, allied, rival = rank_groups(groups, alliances, rivalries)
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
    cut_allied, rewired_allied, n_ties = _rewired_matrices(nodes, allied, mask, rule)
    lost = conflict_matrix(rival, cut_allied.sum(axis=1))
    reformed = conflict_matrix(rival, rewired_allied.sum(axis=1))
    switch = round(rule.delay_years * WEEKS_PER_YEAR)
    start_cut = np.where(mask, 0.0, start)
    lost_total = simulate(start_cut, lost, params, weeks=weeks).total
    rewired_total = _run_switching(start_cut, lost, reformed, switch, weeks, params).sum(axis=1)
    year0 = START_YEAR + params.weeks // WEEKS_PER_YEAR
    at = np.arange(years + 1) * WEEKS_PER_YEAR
    return pd.DataFrame({
        "year": year0 + np.arange(years + 1),
        "baseline": base.total[at],
        "disrupted": cut.total[at],
        "ratio": cut.total[at] / base.total[at],
        "removed_members": base.members[at][:, mask].sum(axis=1),
        "weekly_recruits_disrupted": cut.recruits[at],
        "ties_lost": lost_total[at],
        "ratio_ties_lost": lost_total[at] / base.total[at],
        "rewired": rewired_total[at],
        "ratio_rewired": rewired_total[at] / base.total[at],
        "reformed_ties": np.where(at >= switch, n_ties, 0),
    })
