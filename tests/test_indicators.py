"""Answer-free demand inputs: within-class NFLIS shares on a hand-made frame, and the
initial prevalence (mortality multiplier) on the real store, checked against the NCHS file
read with the csv module.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narcosim.atlas.store import Atlas
from narcosim.errors import ParameterError
from narcosim.model.indicators import (
    GROUP_DEATH_KEYS,
    PSEUDO_REPORTS,
    class_shares,
    initial_prevalence,
    nchs_multiplier,
)

NCHS_FILE = "nchs_drug_poisoning_mortality_by_state_1999_2015.csv"
DRUGS = ("fentanyl", "methamphetamine", "cocaine")


# --- class_shares ------------------------------------------------------------------------

def tiny_reports() -> pd.DataFrame:
    rows = [
        # year, state, drug, reports
        (2016, "AA", "fentanyl", 10), (2016, "AA", "heroin", 30),
        (2016, "AA", "methamphetamine", 5), (2016, "AA", "cocaine", 15),
        (2016, "BB", "fentanyl", 4),  # BB reported no heroin in 2016: counts 0
        (2016, "BB", "methamphetamine", 0), (2016, "BB", "cocaine", 8),
        (2017, "AA", "fentanyl", 50), (2017, "AA", "heroin", 20),
        (2017, "AA", "methamphetamine", 9), (2017, "AA", "cocaine", 3),
        (2017, "BB", "fentanyl", 7), (2017, "BB", "heroin", 1),
        (2017, "BB", "methamphetamine", 40), (2017, "BB", "cocaine", 2),
        (2017, "BB", "cannabinoids", 999),  # another drug: never in a share
    ]
    return pd.DataFrame(rows, columns=["year", "state_abbr", "drug", "reports"]).astype(
        {"reports": float})


def share(num: float, rival: float) -> float:
    return (num + 1.0) / (num + rival + 2.0)


def test_pseudo_reports_is_one() -> None:
    assert PSEUDO_REPORTS == 1.0


def test_class_shares_by_hand() -> None:
    years = [2015, 2016, 2017, 2018, 2019]
    out = class_shares(tiny_reports(), ["AA", "BB"], years, DRUGS, 2017)
    assert out.shape == (5, 3, 2)
    y16 = np.array([[share(10, 30), share(4, 0)],    # fentanyl vs heroin
                    [share(5, 15), share(0, 8)],     # meth vs cocaine
                    [share(15, 5), share(8, 0)]])    # cocaine vs meth
    y17 = np.array([[share(50, 20), share(7, 1)],
                    [share(9, 3), share(40, 2)],
                    [share(3, 9), share(2, 40)]])
    assert out[1] == pytest.approx(y16, rel=1e-14)
    assert out[2] == pytest.approx(y17, rel=1e-14)
    # before the first report year: the first year's shares
    assert out[0] == pytest.approx(y16, rel=1e-14)
    # after end_year: end_year's shares
    assert out[3] == pytest.approx(y17, rel=1e-14)
    assert out[4] == pytest.approx(y17, rel=1e-14)
    # hand values for two cells
    assert out[2, 0, 0] == pytest.approx(51 / 72)
    assert out[1, 0, 1] == pytest.approx(5 / 6)


def test_class_shares_hold_end_year_even_when_later_reports_exist() -> None:
    out = class_shares(tiny_reports(), ["AA", "BB"], [2016, 2017, 2018], DRUGS, 2016)
    for i in range(3):
        assert out[i, 0, 0] == pytest.approx(11 / 42)   # (10+1)/(10+30+2)
        assert out[i, 1, 1] == pytest.approx(1 / 10)    # (0+1)/(0+8+2)


def test_class_shares_without_reports_up_to_end_year_raise() -> None:
    with pytest.raises(ParameterError, match="2015"):
        class_shares(tiny_reports(), ["AA", "BB"], [2015, 2016], DRUGS, 2015)


# --- nchs_multiplier and initial_prevalence on the real data ------------------------------

def nchs_rate_by_hand(data_dir: Path, state_name: str) -> float:
    """State's 2013-2015 all-drug poisoning rate over the US's, from the raw NCHS file."""
    deaths: dict[str, float] = {}
    pop: dict[str, float] = {}
    with open(data_dir / NCHS_FILE, newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            if int(row["Year"]) in (2013, 2014, 2015):
                name = row["State"]
                deaths[name] = deaths.get(name, 0.0) + float(row["Deaths"])
                pop[name] = pop.get(name, 0.0) + float(row["Population"])
    return (deaths[state_name] / pop[state_name]) / (
        deaths["United States"] / pop["United States"])


@pytest.fixture(scope="module")
def real(atlas_store: Path) -> dict[str, pd.DataFrame]:
    atlas = Atlas.open(atlas_store)
    return {"deaths": atlas.table("overdose_deaths"), "nchs": atlas.table("nchs_deaths")}


def states_and_population(nchs: pd.DataFrame) -> tuple[list[str], np.ndarray]:
    rows = nchs[(nchs["year"] == 2015) & (nchs["state_abbr"] != "US")].sort_values(
        "state_abbr")
    return rows["state_abbr"].tolist(), rows["population"].to_numpy(dtype=float)


def test_nchs_multiplier_west_virginia(real: dict[str, pd.DataFrame], data_dir: Path) -> None:
    expect = nchs_rate_by_hand(data_dir, "West Virginia")
    # by hand from the rows printed in the file: (570+627+725)/(1854304+1850326+1844128)
    # over (43982+47055+52404)/(316128839+318857056+321418820), about 2.25
    assert expect == pytest.approx(
        (1922 / 5548758) / (143441 / 956404715), rel=1e-12)
    got = nchs_multiplier(real["nchs"], ["WV"])
    assert got[0] == pytest.approx(expect, rel=1e-12)


def test_initial_prevalence_reads_only_the_first_year(real: dict[str, pd.DataFrame]) -> None:
    states, pop = states_and_population(real["nchs"])
    base = initial_prevalence(real["deaths"], real["nchs"], states, pop, 2015)
    assert base.shape == (len(GROUP_DEATH_KEYS), len(states))
    doubled = real["deaths"].copy()
    later = doubled["year"] >= 2016
    assert later.sum() > 1000
    doubled.loc[later, "deaths"] = doubled.loc[later, "deaths"] * 2
    again = initial_prevalence(doubled, real["nchs"], states, pop, 2015)
    assert np.array_equal(base, again)


def test_initial_prevalence_by_hand_for_a_reported_state(
        real: dict[str, pd.DataFrame]) -> None:
    states, pop = states_and_population(real["nchs"])
    deaths = real["deaths"]
    base = initial_prevalence(deaths, real["nchs"], states, pop, 2015)
    g = list(GROUP_DEATH_KEYS).index("opioid")
    rows = deaths[(deaths["year"] == 2015) & (deaths["drug"] == "opioids")]
    rows = rows[rows["state_abbr"].isin(states)]  # the national (US) row is not a state
    reported = rows[rows["deaths"].notna()].set_index("state_abbr")["deaths"]
    assert "WV" in reported.index
    assert 20 < len(reported) < len(states)
    pop_of = dict(zip(states, pop, strict=True))
    d_all = float(reported.sum())
    p_all = float(sum(pop_of[s] for s in reported.index))
    s = states.index("WV")
    d_wv, p_wv = float(reported["WV"]), pop_of["WV"]
    assert base[g, s] == pytest.approx((d_wv / p_wv) / (d_all / p_all), rel=1e-12)
    # doubling WV's 2015 opioid deaths: new = 2 d/p / ((D + d)/P) = old * 2 D / (D + d)
    changed = deaths.copy()
    mask = ((changed["year"] == 2015) & (changed["drug"] == "opioids")
            & (changed["state_abbr"] == "WV"))
    assert mask.sum() == 1
    changed.loc[mask, "deaths"] = changed.loc[mask, "deaths"] * 2
    new = initial_prevalence(changed, real["nchs"], states, pop, 2015)
    assert new[g, s] == pytest.approx(base[g, s] * 2 * d_all / (d_all + d_wv), rel=1e-12)
    # the other groups (meth, cocaine) are untouched
    others = [i for i in range(len(GROUP_DEATH_KEYS)) if i != g]
    assert np.array_equal(new[others], base[others])


def test_withheld_state_gets_the_nchs_multiplier(real: dict[str, pd.DataFrame],
                                                 data_dir: Path) -> None:
    states, pop = states_and_population(real["nchs"])
    deaths = real["deaths"]
    rows = deaths[(deaths["year"] == 2015) & (deaths["drug"] == "opioids")]
    withheld = rows[rows["deaths"].isna()]["state_abbr"].tolist()
    assert "TX" in withheld
    base = initial_prevalence(deaths, real["nchs"], states, pop, 2015)
    g = list(GROUP_DEATH_KEYS).index("opioid")
    expect = nchs_rate_by_hand(data_dir, "Texas")
    assert base[g, states.index("TX")] == pytest.approx(expect, rel=1e-12)
    # Louisiana has no 2015 CDC row at all: the same fallback
    assert "LA" not in rows["state_abbr"].tolist()
    assert base[g, states.index("LA")] == pytest.approx(
        nchs_rate_by_hand(data_dir, "Louisiana"), rel=1e-12)
    # changing TX's (withheld) 2015 NCHS poisoning deaths moves only the fallback, not the
    # reported states
    nchs = real["nchs"].copy()
    tx = (nchs["state_abbr"] == "TX") & (nchs["year"] == 2015)
    nchs.loc[tx, "deaths"] = nchs.loc[tx, "deaths"] * 3
    moved = initial_prevalence(deaths, nchs, states, pop, 2015)
    assert moved[g, states.index("TX")] > base[g, states.index("TX")] * 1.5
    assert moved[g, states.index("WV")] == base[g, states.index("WV")]
