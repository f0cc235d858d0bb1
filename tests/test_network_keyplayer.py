"""Key-player sets: the search finds the exhaustive optimum on Zachary's karate club, and the
published reference sets of another implementation on its test network.

We found no key-player table in Borgatti (2006) for a network we can ship (its examples are
networks whose data we do not have). The published sets checked here are Pyntacle's (Mazza et
al.; repository mazzalab/pyntacle, ``test/test_sets/output/keyplayer/
figure8_kpfinder_bruteforce.txt``): the brute-force optima its test suite pins for the 32-node,
56-edge network it names ``figure_8`` (``test/test_sets/output/convert/figure8.egl``), with
Borgatti's F, DF, DR and m-reach (m = 2) for k = 2.
"""

from __future__ import annotations

import itertools

import networkx as nx
import pytest

from narcosim.errors import ParameterError
from narcosim.network.keyplayer import key_players, set_fit

KARATE = nx.karate_club_graph()

#: Pyntacle's ``figure_8`` test network (edge list as published in its repository).
FIGURE_8_EDGES = """
HS PS, HS KR, BR WD, BR KR, BR GM, BR BS3, WD PS, WD KR, WD GM, WD BS3, WD SF, WD HA, PS WS,
PS KR, PS GM, PS BS3, WS KR, WS GM, WS BS3, KR GM, KR BS3, KR SF, KR JE, GM BS3, GM SF, BS3 SF,
BS3 JE, BS3 LR, GS DI, DI KA, DI HA, KA PH, DB BW, BW PH, BW BM, PH BM, PH SR, BM HA, BM LK,
BM CR, BM SR, SR HB, HB TO, HB CD, HB NP, HB EE, TO MJ, TO BS, TO NP, MJ BS, WL CD, CD BS, CD NP,
BS NP, NP BS2, BS2 MG"""
FIGURE_8 = nx.Graph(tuple(pair.split()) for pair in FIGURE_8_EDGES.split(","))


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


@pytest.mark.parametrize(("kind", "criterion", "published_sets", "published_fit"), [
    ("neg", "f", [{"WD", "HB"}, {"HA", "HB"}], 0.70575),
    ("neg", "df", [{"WD", "HB"}], 0.81506),
    ("pos", "dr", [{"KR", "HB"}, {"BS3", "HB"}], 0.64063),
    ("pos", "mreach", [{"HA", "NP"}], 25 / 32),  # published as 25 nodes reached of 32
])
def test_matches_published_sets_on_pyntacle_figure_8(kind: str, criterion: str,
                                                      published_sets: list[set[str]],
                                                      published_fit: float) -> None:
    assert (FIGURE_8.number_of_nodes(), FIGURE_8.number_of_edges()) == (32, 56)
    found = key_players(FIGURE_8, 2, kind, criterion, m_steps=2)
    assert set(found.nodes) in published_sets
    assert found.fit == pytest.approx(published_fit, abs=5.1e-6)  # published to 5 decimals
    for published in published_sets:  # every published optimum scores the same here
        assert set_fit(FIGURE_8, sorted(published), kind, criterion, 2) == pytest.approx(
            found.fit, abs=1e-12)


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
