"""Key-player sets: the search finds the exhaustive optimum on Zachary's karate club.

We found no published KPP-Pos/KPP-Neg sets we could cite and check (Borgatti 2006 reports sets
for networks whose data we do not ship), so the test is against brute force over every set.
"""

from __future__ import annotations

import itertools

import networkx as nx
import pytest

from narcosim.errors import ParameterError
from narcosim.network.keyplayer import key_players, set_fit

KARATE = nx.karate_club_graph()


@pytest.mark.parametrize(("kind", "criterion"), [("neg", "df"), ("neg", "f"), ("pos", "dr"),
                                                 ("pos", "mreach")])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_search_matches_exhaustive_optimum(kind: str, criterion: str, k: int) -> None:
    found = key_players(KARATE, k, kind, criterion)
    best = max(set_fit(KARATE, s, kind, criterion) for s in itertools.combinations(KARATE, k))
    assert found.fit == pytest.approx(best, abs=1e-9)
    assert set_fit(KARATE, found.nodes, kind, criterion) == pytest.approx(found.fit, abs=1e-9)


def test_karate_sets_are_the_two_leaders() -> None:
    # the instructor (0) and the president (33), around whom the club split
    assert set(key_players(KARATE, 2, "pos").nodes) == {0, 33}
    assert set(key_players(KARATE, 3, "neg").nodes) == {0, 32, 33}


def test_fits_by_hand_on_a_star() -> None:
    star = nx.star_graph(4)  # hub 0, leaves 1-4
    assert set_fit(star, [0], "neg", "f") == 1.0  # removing the hub isolates every leaf
    assert set_fit(star, [1], "neg", "df") == pytest.approx(1 - (6 * 1 + 6 * 0.5) / 12)
    assert set_fit(star, [0], "pos", "dr") == pytest.approx(4 / 5)
    assert set_fit(star, [1], "pos", "mreach", m_steps=1) == pytest.approx(1 / 5)
    assert key_players(star, 1, "neg").nodes == (0,)


def test_bad_arguments_are_one_line_errors() -> None:
    for args, needle in (((0, "neg"), "set size 0"), ((34, "neg"), "set size 34"),
                         ((2, "both"), "kind 'both'"), ((2, "neg", "dr"), "criterion 'dr'")):
        with pytest.raises(ParameterError, match=needle):
            key_players(KARATE, *args)
