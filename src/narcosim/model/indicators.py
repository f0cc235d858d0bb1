"""Answer-free demand inputs: where people who use each drug live and what reaches them.

Deaths from 2016 on are calibration targets and never enter here. What may:

* **Initial conditions** (up to the model's first year, DESIGN.md section 5): each state's
  2015 overdose death rate involving the drug class relative to the nation's (CDC VSRR 2015;
  the *mortality multiplier*, EMCDDA; Hickman et al., 2002), falling back to the state's
  all-drug poisoning rate 2013–2015 (NCHS) where CDC withheld the 2015 value. It places the
  people who use opioids, methamphetamine and cocaine at the start.
* **Forensic-lab drug reports** (DEA NFLIS-Drug, by state, year and substance): the share of
  a state's opioid reports that are fentanyl (against heroin), and of its stimulant reports
  that are methamphetamine (against cocaine). Within one state and year, lab coverage and
  the local enforcement mix cancel, so the shares say how far each drug has displaced the
  other in that market. This carries the cited fact that fentanyl entered the powder-heroin
  markets east of the Mississippi years before the black-tar markets of the West (DEA
  Domestic Monitor Program 2002; Ciccarone, Int J Drug Policy 46, 2017), and that
  methamphetamine spread east. Years after ``end_year`` (the last year an input may use: the
  data's end, or a forecast origin) hold that year's shares.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from narcosim.atlas.query import table_years
from narcosim.errors import ParameterError

#: People groups of the people module and the CDC drug key that places each at the start.
GROUP_DEATH_KEYS: dict[str, str] = {"opioid": "opioids", "methamphetamine_only":
                                    "methamphetamine", "cocaine_only": "cocaine"}
#: Within-class NFLIS shares: drug -> (numerator report key, rival report key).
CLASS_SHARES: dict[str, tuple[str, str]] = {"fentanyl": ("fentanyl", "heroin"),
                                            "methamphetamine": ("methamphetamine", "cocaine"),
                                            "cocaine": ("cocaine", "methamphetamine")}
#: Reports added to each side of a within-class share, so a state-year with few reports
#: gives a share near one half instead of 0 or 1 (a guess: one report's worth of doubt).
PSEUDO_REPORTS = 1.0


def nchs_multiplier(nchs: pd.DataFrame, states: Sequence[str],
                    years: tuple[int, ...] = (2013, 2014, 2015)) -> np.ndarray:
    """Each state's all-drug poisoning death rate over ``years`` relative to the nation's.

    NCHS final data 1999–2015: before the model's first year, so an initial condition.
    """
    rows = nchs[nchs["year"].isin(years)]
    by_state = rows.groupby("state_abbr")[["deaths", "population"]].sum()
    rate = by_state["deaths"] / by_state["population"]
    us = rate.get("US", float(by_state["deaths"].sum() / by_state["population"].sum()))
    return np.array([float(rate.get(s, us)) / us for s in states])


def initial_prevalence(deaths: pd.DataFrame, nchs: pd.DataFrame, states: Sequence[str],
                       population: np.ndarray, first_year: int) -> np.ndarray:
    """Relative prevalence of each people group by state at the start (mortality multiplier).

    Args:
        deaths: The atlas ``overdose_deaths`` table; only ``first_year`` rows are read.
        nchs: The atlas ``nchs_deaths`` table (1999–2015).
        states: State order.
        population: State populations in ``first_year``.
        first_year: The model's first year (2015); later deaths are targets, never read.

    Returns:
        Shape (groups, states): rate relative to the nation's, per group of
        :data:`GROUP_DEATH_KEYS`.
    """
    fallback = nchs_multiplier(nchs, states)
    rows = deaths[deaths["year"] == first_year]
    pop = np.asarray(population, dtype=float)
    out = np.ones((len(GROUP_DEATH_KEYS), len(states)))
    for g, key in enumerate(GROUP_DEATH_KEYS.values()):
        by_state = rows[rows["drug"] == key].set_index("state_abbr")["deaths"]
        vals = np.array([float(by_state.get(s, np.nan)) for s in states])
        ok = np.isfinite(vals)
        if not ok.any():
            out[g] = fallback
            continue
        national = vals[ok].sum() / pop[ok].sum()
        out[g] = np.where(ok, vals / pop / national, fallback)
    return out


def report_grid(reports: pd.DataFrame, states: Sequence[str], years: Sequence[int],
                drugs: Sequence[str]) -> np.ndarray:
    """NFLIS reports as an array (years, drugs, states); a missing row counts 0 reports."""
    table = reports[reports["drug"].isin(list(drugs)) & reports["year"].isin(list(years))]
    grid = table.pivot_table(index=["year", "drug"], columns="state_abbr", values="reports",
                             aggfunc="sum")
    idx = pd.MultiIndex.from_product([list(years), list(drugs)])
    arr = grid.reindex(idx).reindex(columns=list(states)).to_numpy(dtype=float)
    return np.nan_to_num(arr).reshape(len(years), len(drugs), len(states))


def class_shares(reports: pd.DataFrame, states: Sequence[str], years: Sequence[int],
                 drugs: Sequence[str], end_year: int) -> np.ndarray:
    """Within-class NFLIS report shares per (year, drug, state), held after ``end_year``.

    Args:
        reports: The atlas ``nflis_reports`` table (year, state_abbr, drug, reports).
        states: State order.
        years: The model years.
        drugs: Supply drugs, each a key of :data:`CLASS_SHARES`.
        end_year: Last year of reports an input may use (data end or forecast origin).

    Returns:
        Shares in (0, 1), shape (years, drugs, states).

    Raises:
        ParameterError: No reports at or before ``end_year`` within the model years' reach.
    """
    have = [y for y in table_years(reports) if y <= end_year]
    if not have:
        raise ParameterError(f"no NFLIS drug reports at or before {end_year}: import a data "
                             "folder with indicators/ (narcosim atlas import)")
    keys = sorted({k for d in drugs for k in CLASS_SHARES[d]})
    grid = report_grid(reports, states, have, keys)
    out = np.zeros((len(years), len(drugs), len(states)))
    for yi, year in enumerate(years):
        k = have.index(min(max(year, have[0]), have[-1]))
        for di, drug in enumerate(drugs):
            num, rival = (keys.index(x) for x in CLASS_SHARES[drug])
            a, b = grid[k, num] + PSEUDO_REPORTS, grid[k, rival] + PSEUDO_REPORTS
            out[yi, di] = a / (a + b)
    return out


def national_reports(reports: pd.DataFrame, drug: str) -> pd.Series:
    """National NFLIS reports of a drug by year (sum over the states and DC)."""
    rows = reports[reports["drug"] == drug]
    return rows.groupby("year")["reports"].sum().sort_index()
