"""Paired differences against the baseline, member by member, and their summaries.

Member ``i`` of every arm ran on the same seed (common random numbers), so the difference
between arm and baseline in member ``i`` is the intervention's effect in that world. For each
measure (see :mod:`narcosim.analysis.measures`) the **effect** is:

* ``deaths_averted``: baseline deaths − scenario deaths (positive = lives saved), and
  ``expected_deaths_averted`` the same for expected deaths (the risk-weighted mean of the
  draws: less noise from small samples, e.g. at scale 1:1000);
* every other measure: scenario − baseline (positive = more kg crossing a port, more
  seizures, more cost …); a place whose kilograms rise is where supply was displaced to;
* ``displaced_kg`` (level port, field_office, hub or state; key ``total``): the sum of the
  positive all-drugs changes over the places of that level;
* ``cost_per_death_averted``: the member's extra cost / its deaths averted (all drugs,
  national); NaN where deaths averted ≤ 0 (undefined, shown as "n/a"); and
  ``cost_per_expected_death_averted`` the same with expected deaths.

Across members the summary gives the mean and a 90% interval, the 5th and 95th percentiles
(``numpy.percentile``, linear) of the paired effects. For cost per death averted the point
estimate is the ratio of the means (mean extra cost / mean deaths averted; n/a when mean deaths
averted ≤ 0) and the interval is the members' ratios' percentiles, given only when every member
averted deaths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from narcosim.analysis.measures import ALL

KEYS = ["measure", "level", "key", "drug"]
#: The 90% interval's percentiles.
PERCENTILES = (5.0, 95.0)
MEMBER_COLUMNS = ["arm", "member", "seed", *KEYS, "baseline", "scenario", "effect"]
SUMMARY_COLUMNS = ["arm", *KEYS, "n", "baseline_mean", "scenario_mean", "mean", "p5", "p95"]
#: Measures whose places can gain flow (displacement), with the level of each.
#: (deaths measure, cost-per-death measure).
RATIOS: tuple[tuple[str, str], ...] = (
    ("deaths_averted", "cost_per_death_averted"),
    ("expected_deaths_averted", "cost_per_expected_death_averted"))
FLOWS: tuple[tuple[str, str], ...] = (("crossing_kg", "port"), ("crossing_kg", "field_office"),
                                      ("hub_throughput_kg", "hub"), ("sold_kg", "state"))


def paired_effects(baseline: pd.DataFrame, scenario: pd.DataFrame) -> pd.DataFrame:
    """One member's effects: measures of the scenario against the same member's baseline.

    Args:
        baseline: :func:`~narcosim.analysis.measures.member_measures` of the baseline.
        scenario: The same for the scenario arm (same member, same seed).

    Returns:
        Frame ``measure, level, key, drug, baseline, scenario, effect``.
    """
    merged = baseline.merge(scenario, on=KEYS, how="outer", suffixes=("_b", "_s"), sort=False)
    merged = merged.fillna({"value_b": 0.0, "value_s": 0.0})
    out = pd.DataFrame({k: merged[k] for k in KEYS})
    out["baseline"] = merged["value_b"].to_numpy(float)
    out["scenario"] = merged["value_s"].to_numpy(float)
    deaths = out["measure"].isin(["deaths", "expected_deaths"]).to_numpy()
    out["effect"] = np.where(deaths, out["baseline"] - out["scenario"],
                             out["scenario"] - out["baseline"])
    out.loc[deaths, "measure"] = out.loc[deaths, "measure"] + "_averted"
    extra = []
    for measure, level in FLOWS:
        sel = out[(out["measure"] == measure) & (out["level"] == level) & (out["drug"] == ALL)]
        gained = sel["effect"].to_numpy()
        extra.append({"measure": "displaced_kg", "level": level, "key": "total", "drug": ALL,
                      "baseline": np.nan, "scenario": np.nan,
                      "effect": float(gained[gained > 0].sum())})
    cost = _one(out, "cost_usd", "national", "US", "")
    for deaths_measure, ratio in RATIOS:
        averted = _one(out, deaths_measure, "national", "US", ALL)
        extra.append({"measure": ratio, "level": "national", "key": "US", "drug": ALL,
                      "baseline": np.nan, "scenario": np.nan,
                      "effect": cost / averted if averted > 0 else np.nan})
    return pd.concat([out, pd.DataFrame(extra)], ignore_index=True)


def _one(frame: pd.DataFrame, measure: str, level: str, key: str, drug: str) -> float:
    sel = frame[(frame["measure"] == measure) & (frame["level"] == level)
                & (frame["key"] == key) & (frame["drug"] == drug)]
    return float(sel["effect"].iloc[0])


def summarize_effects(members: pd.DataFrame) -> pd.DataFrame:
    """Mean and 90% interval of every arm's paired effects across members.

    Args:
        members: Rows of :data:`MEMBER_COLUMNS`; each member of an arm has the same rows
            (measure, level, key, drug) in the same order, as :func:`paired_effects` gives.

    Returns:
        Frame of :data:`SUMMARY_COLUMNS`, arms in order of appearance.

    Raises:
        ValueError: Members of an arm with different rows.
    """
    parts = []
    for arm, rows in members.groupby("arm", sort=False):
        blocks = [b for _, b in rows.groupby("member", sort=True)]
        keys = blocks[0][KEYS].reset_index(drop=True)
        for block in blocks[1:]:
            if not block[KEYS].reset_index(drop=True).equals(keys):
                raise ValueError(f"arm {arm!r}: members have different measures")

        def stack(column: str, blocks: list[pd.DataFrame] = blocks) -> np.ndarray:
            return np.column_stack([b[column].to_numpy(float) for b in blocks])

        effect, base, scen = stack("effect"), stack("baseline"), stack("scenario")
        out = keys.copy()
        out.insert(0, "arm", arm)
        out["n"] = len(blocks)
        with np.errstate(all="ignore"):
            out["baseline_mean"] = base.mean(axis=1)
            out["scenario_mean"] = scen.mean(axis=1)
            out["mean"] = effect.mean(axis=1)
            p5, p95 = np.percentile(effect, PERCENTILES, axis=1)
        out["p5"], out["p95"] = p5, p95
        parts.append(out)
    summary = pd.concat(parts, ignore_index=True)
    _cost_per_death(summary, members)
    return summary[SUMMARY_COLUMNS]


def _cost_per_death(summary: pd.DataFrame, members: pd.DataFrame) -> None:
    """Ratio of means for cost per death averted; interval only if every member averted."""
    for arm in summary["arm"].unique():
        def mean_of(measure: str, drug: str, arm: str = arm) -> float:
            sel = summary[(summary["arm"] == arm) & (summary["measure"] == measure)
                          & (summary["level"] == "national") & (summary["drug"] == drug)]
            return float(sel["mean"].iloc[0])

        cost = mean_of("cost_usd", "")
        for deaths_measure, ratio in RATIOS:
            averted = mean_of(deaths_measure, ALL)
            row = (summary["arm"] == arm) & (summary["measure"] == ratio)
            ratios = members[(members["arm"] == arm) & (members["measure"] == ratio)]["effect"]
            summary.loc[row, "mean"] = cost / averted if averted > 0 else np.nan
            if ratios.isna().any():
                summary.loc[row, ["p5", "p95"]] = np.nan
