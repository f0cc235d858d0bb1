"""Decisions under uncertainty: which arm averts a death more cheaply, member by member.

Every member of every arm ran on the same seed (common random numbers) and drew its costs on
the same cost stream (:mod:`narcosim.analysis.costs`), so member ``i`` of two arms is one
possible world seen under two policies. Over the members:

* :func:`cost_effect_points`: each arm's extra cost and **expected** deaths averted (all drugs,
  national, against the baseline) per member: the points of the cost-effectiveness plane.
  Expected deaths (the risk-weighted means of the draws) are used throughout, as in the
  headline, because counted deaths at small scales carry sampling noise.
* :func:`pairwise_cheaper`: for each pair of arms, the share of members in which each averts a
  death more cheaply (lower cost per expected death averted; a member that averts none has no
  finite cost per death and loses to one that does), and the share of ties (both avert none,
  or equal ratios): ``p_a + p_b + p_tie = 1``.
* :func:`acceptability`: the cost-effectiveness acceptability curve: at each willingness to
  pay ``λ`` (US dollars per death averted) the share of members in which each option, the
  baseline included, has the highest net benefit ``λ × deaths averted − extra cost`` (the
  baseline's is 0; ties go to the option listed first). The shares sum to 1 at every ``λ``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from narcosim.analysis.measures import ALL

#: Willingness to pay per death averted, US dollars: 10^4 to 10^8, 9 points a decade.
WTP_GRID: tuple[float, ...] = tuple(float(v) for v in np.logspace(4.0, 8.0, 37))
POINT_COLUMNS = ["arm", "member", "seed", "deaths_averted", "cost_usd"]
PAIR_COLUMNS = ["arm_a", "arm_b", "n", "p_a", "p_b", "p_tie"]


def cost_effect_points(members: pd.DataFrame) -> pd.DataFrame:
    """Per arm and member: expected deaths averted (all drugs, national) and extra cost.

    Args:
        members: Paired member effects (:data:`narcosim.analysis.effects.MEMBER_COLUMNS`).

    Returns:
        Frame of :data:`POINT_COLUMNS`, arms in order of appearance, members in order.
    """
    national = members[members["level"] == "national"]
    deaths = national[(national["measure"] == "expected_deaths_averted")
                      & (national["drug"] == ALL)]
    cost = national[national["measure"] == "cost_usd"]
    keys = ["arm", "member", "seed"]
    points = deaths[[*keys, "effect"]].rename(columns={"effect": "deaths_averted"}).merge(
        cost[[*keys, "effect"]].rename(columns={"effect": "cost_usd"}), on=keys, sort=False)
    return points[POINT_COLUMNS].reset_index(drop=True)


def _ratios(points: pd.DataFrame, arm: str) -> np.ndarray:
    rows = points[points["arm"] == arm].sort_values("member")
    saved = rows["deaths_averted"].to_numpy(float)
    cost = rows["cost_usd"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(saved > 0, cost / np.where(saved > 0, saved, 1.0), np.inf)


def pairwise_cheaper(points: pd.DataFrame) -> pd.DataFrame:
    """For each pair of arms, the share of members in which each averts a death more cheaply.

    Args:
        points: :func:`cost_effect_points`.

    Returns:
        Frame of :data:`PAIR_COLUMNS`, one row per unordered pair (in arm order).

    Raises:
        ValueError: Two arms with different members.
    """
    arms = list(points["arm"].drop_duplicates())
    rows = []
    for i, a in enumerate(arms):
        for b in arms[i + 1:]:
            ra, rb = _ratios(points, a), _ratios(points, b)
            if ra.shape != rb.shape:
                raise ValueError(f"arms {a!r} and {b!r} have different members")
            n = len(ra)
            less, more = int((ra < rb).sum()), int((rb < ra).sum())
            rows.append({"arm_a": a, "arm_b": b, "n": n, "p_a": less / n, "p_b": more / n,
                         "p_tie": (n - less - more) / n})
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def acceptability(points: pd.DataFrame, baseline: str,
                  wtp: Sequence[float] = WTP_GRID) -> pd.DataFrame:
    """The cost-effectiveness acceptability curve of every option, the baseline included.

    Args:
        points: :func:`cost_effect_points`.
        baseline: The baseline's name (net benefit 0 in every member).
        wtp: Willingness to pay per death averted, US dollars.

    Returns:
        Frame ``wtp, arm, probability``: for each ``wtp`` one row per option (baseline
        first), the share of members in which it has the highest net benefit.
    """
    arms = list(points["arm"].drop_duplicates())
    saved = np.vstack([points[points["arm"] == a].sort_values("member")["deaths_averted"]
                       .to_numpy(float) for a in arms])
    cost = np.vstack([points[points["arm"] == a].sort_values("member")["cost_usd"]
                      .to_numpy(float) for a in arms])
    options = [baseline, *arms]
    rows = []
    for lam in wtp:
        benefit = np.vstack([np.zeros(saved.shape[1]), lam * saved - cost])
        best = np.argmax(benefit, axis=0)
        share = np.bincount(best, minlength=len(options)) / best.size
        rows += [{"wtp": float(lam), "arm": o, "probability": float(p)}
                 for o, p in zip(options, share, strict=True)]
    return pd.DataFrame(rows, columns=["wtp", "arm", "probability"])
