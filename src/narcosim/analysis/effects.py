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

Across members the summary gives, for each arm and measure:

* ``n``: the members behind the figures;
* ``mean`` and the members' 90% interval ``p5``–``p95``, the 5th and 95th percentiles
  (``numpy.percentile``, linear) of the paired effects: the range of outcomes the uncertainty
  drawn per member (random numbers, costs, and parameters where members draw them) gives.
  Reports print it only from :data:`MIN_MEMBERS` members or more ("n too small" below);
* ``mean_p5``–``mean_p95``: a 90% bootstrap interval of the mean (:data:`BOOTSTRAP`
  resamples of the members, drawn from the named stream :data:`BOOTSTRAP_STREAM` of the
  comparison's root seed, keyed by arm): how well the members pin the mean down.

For cost per death averted the point estimate is the ratio of the means (mean extra cost /
mean deaths averted; n/a when mean deaths averted ≤ 0), the members' interval is their ratios'
percentiles, given only when every member averted deaths, and the bootstrap interval is that of
the ratio of the resampled means, given only when every resample's mean averted deaths.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from narcosim.analysis.measures import ALL
from narcosim.core.random import INIT_STEP, Stream

KEYS = ["measure", "level", "key", "drug"]
#: The 90% interval's percentiles.
PERCENTILES = (5.0, 95.0)
#: Fewest members a 90% interval is printed from.
MIN_MEMBERS = 5
#: Bootstrap resamples of the members for the mean's interval, and their stream.
BOOTSTRAP = 2000
BOOTSTRAP_STREAM = "compare.bootstrap"
MEMBER_COLUMNS = ["arm", "member", "seed", *KEYS, "baseline", "scenario", "effect"]
SUMMARY_COLUMNS = ["arm", *KEYS, "n", "baseline_mean", "scenario_mean", "mean", "p5", "p95",
                   "mean_p5", "mean_p95"]
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


def bootstrap_weights(n: int, seed: int, arm: str) -> np.ndarray:
    """Resampling weights ``(BOOTSTRAP, n)``: each row the counts of a resample over ``n``.

    Drawn from the stream :data:`BOOTSTRAP_STREAM` of ``seed``, keyed by ``arm``.
    """
    gen = Stream(BOOTSTRAP_STREAM, int(seed)).generator(INIT_STEP, key=str(arm))
    picks = gen.integers(0, n, size=(BOOTSTRAP, n))
    counts = np.zeros((BOOTSTRAP, n))
    np.add.at(counts, (np.repeat(np.arange(BOOTSTRAP), n), picks.ravel()), 1.0)
    return counts / n


def summarize_effects(members: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Mean and 90% intervals of every arm's paired effects across members.

    Args:
        members: Rows of :data:`MEMBER_COLUMNS`; each member of an arm has the same rows
            (measure, level, key, drug) in the same order, as :func:`paired_effects` gives.
        seed: The comparison's root seed (the bootstrap's stream).

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
        weights = bootstrap_weights(len(blocks), seed, str(arm))
        with np.errstate(all="ignore"):
            means = effect @ weights.T
            out["mean_p5"], out["mean_p95"] = np.percentile(means, PERCENTILES, axis=1)
        parts.append(out)
    summary = pd.concat(parts, ignore_index=True)
    _cost_per_death(summary, members, seed)
    return summary[SUMMARY_COLUMNS]


def _member_values(members: pd.DataFrame, arm: str, measure: str, drug: str) -> np.ndarray:
    sel = members[(members["arm"] == arm) & (members["measure"] == measure)
                  & (members["level"] == "national") & (members["drug"] == drug)]
    return sel.sort_values("member")["effect"].to_numpy(float)


def _cost_per_death(summary: pd.DataFrame, members: pd.DataFrame, seed: int) -> None:
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
            costs = _member_values(members, arm, "cost_usd", "")
            saved = _member_values(members, arm, deaths_measure, ALL)
            weights = bootstrap_weights(len(saved), seed, str(arm))
            boot_saved = weights @ saved
            if (boot_saved > 0).all():
                boot = (weights @ costs) / boot_saved
                summary.loc[row, ["mean_p5", "mean_p95"]] = np.percentile(boot, PERCENTILES)
            else:
                summary.loc[row, ["mean_p5", "mean_p95"]] = np.nan
