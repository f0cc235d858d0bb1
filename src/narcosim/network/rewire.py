"""Alliances re-forming after groups are removed: the survivors rewire.

A removed group leaves its allies without the tie that held them together. The rule here
(a guess; see :class:`Rewiring`) lets them re-form around a successor, as criminal networks do
in Duijn, Kashirin & Sloot, "The relative ineffectiveness of criminal network disruption",
*Sci. Rep.* 4 (2014) 4238, where the contacts of a removed actor re-link to a surviving one:

* for each removed group, its **surviving allies** (allied to it, not removed themselves) pick
  as successor the one of them with the largest alliance strength in the data (ties: the
  smallest node id);
* every other surviving ally forms an alliance with the successor of weight
  ``share x`` the weight of its tie to the removed group (added to a tie they already have);
* the alliances form ``delay_years`` after the removal, all at once.

A removed group with fewer than two surviving allies leaves nothing to rewire. Rivalries are not
rewired (the data give no rule for new enmities, and a removed group's rivals lose an enemy).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx

from narcosim.errors import ParameterError


@dataclass(frozen=True)
class Rewiring:
    """How alliances re-form after a removal.

    Attributes:
        share: guess: a re-formed alliance carries half the weight of the tie it replaces;
            range 0-1 (0: nothing re-forms; 1: the whole tie moves to the successor).
        delay_years: guess: the alliances form one year after the removal; range 0.25-3 years
            (splinters of decapitated cartels realigned within months to a few years in
            press accounts; no measured value).
    """

    share: float = 0.5
    delay_years: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise ParameterError(f"rewiring share {self.share}: need 0 <= share <= 1")
        if not 0.0 <= self.delay_years <= 50.0:
            raise ParameterError(f"rewiring delay {self.delay_years} years: need 0 to 50")


def reformed_alliances(g: nx.Graph, removed: Iterable, rule: Rewiring,
                       weight: str = "alliance") -> dict[tuple, float]:
    """The alliances the survivors form, by :class:`Rewiring`'s rule.

    Args:
        g: The intact alliance graph (undirected); a tie's weight is its ``weight`` attribute
            (1 when absent).
        removed: Nodes removed.
        rule: The rule's parameters.
        weight: The edge attribute holding alliance weights.

    Returns:
        New alliance weight by pair ``(successor, ally)``; pairs from several removed groups
        add up.
    """
    gone = set(removed)
    strength = dict(g.degree(weight=weight))
    added: dict[tuple, float] = {}
    if rule.share == 0:
        return added
    for r in removed:
        allies = sorted((j for j in g[r] if j not in gone
                         and float(g[r][j].get(weight, 1.0)) > 0), key=str)
        if len(allies) < 2:
            continue
        successor = allies[0]  # the strongest; the first in id order among equals
        for j in allies[1:]:
            if strength[j] > strength[successor]:
                successor = j
        for j in allies:
            if j == successor:
                continue
            pair = (successor, j)
            added[pair] = added.get(pair, 0.0) + rule.share * float(g[r][j].get(weight, 1.0))
    return added


def rewired_graph(g: nx.Graph, removed: Iterable, rule: Rewiring,
                  weight: str = "alliance") -> nx.Graph:
    """The graph left after the removal, with the re-formed alliances added.

    New ties carry ``weight`` and ``kind="reformed"``; existing ties gain weight.
    """
    removed = list(removed)
    added = reformed_alliances(g, removed, rule, weight)
    left = g.copy()
    left.remove_nodes_from(removed)
    for (a, b), w in added.items():
        if left.has_edge(a, b):
            left[a][b][weight] = float(left[a][b].get(weight, 1.0)) + w
        else:
            left.add_edge(a, b, **{weight: w, "kind": "reformed"})
    return left
