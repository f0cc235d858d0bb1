"""What ``comparison.json`` says: the settings, the method, the decisions and each arm's effects.

:func:`narcosim.analysis.compare.compare` assembles ``comparison.json`` from these parts:
:func:`settings_json` (what was compared), :data:`METHOD_JSON` (how intervals and costs are
drawn), :func:`decisions_json` (pairwise chances and the acceptability curve, see
:mod:`narcosim.analysis.decisions`) and, per arm, :func:`arm_json` (the headline effects: mean,
members behind it, 90% interval, null with ``"interval": "n too small"`` from fewer than 5
members, and the mean's bootstrap interval).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

import narcosim
from narcosim.analysis.arms import ArmSpec
from narcosim.analysis.costs import COST_STREAM
from narcosim.analysis.decisions import acceptability, cost_effect_points, pairwise_cheaper
from narcosim.analysis.effects import (
    BOOTSTRAP,
    BOOTSTRAP_STREAM,
    FLOWS,
    MIN_MEMBERS,
    PERCENTILES,
)
from narcosim.analysis.measures import ALL, Window
from narcosim.run.member import draw_particle


def _clean(v: float | None) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _stat(row: pd.Series) -> dict[str, Any]:
    """Mean, members, and the 90% intervals (members' and the mean's) of one summary row."""
    n = int(row["n"])
    stat: dict[str, Any] = {"mean": _clean(row["mean"]), "n": n}
    if n < MIN_MEMBERS:
        stat.update({"p5": None, "p95": None, "interval": "n too small"})
    else:
        stat.update({"p5": _clean(row["p5"]), "p95": _clean(row["p95"])})
    stat.update({"mean_p5": _clean(row["mean_p5"]), "mean_p95": _clean(row["mean_p95"])})
    return stat


def _section(rows: pd.DataFrame, measure: str, level: str, drug: str | None = None
             ) -> dict[str, dict[str, float | None]]:
    sel = rows[(rows["measure"] == measure) & (rows["level"] == level)]
    if drug is not None:
        sel = sel[sel["drug"] == drug]
        return {str(r["key"]): _stat(r) for _, r in sel.iterrows()}
    return {str(r["drug"]): _stat(r) for _, r in sel.iterrows()}


def arm_json(rows: pd.DataFrame) -> dict[str, Any]:
    """The headline effects of one arm (its summary rows) as JSON-ready data."""
    deaths = {
        "national": _section(rows, "deaths_averted", "national"),
        "expected_national": _section(rows, "expected_deaths_averted", "national"),
        "by_state": {d: _section(rows, "deaths_averted", "state", d) for d in (ALL, "fentanyl")},
    }
    supply: dict[str, Any] = {}
    for measure, level in FLOWS:
        changes = _section(rows, measure, level, ALL)
        ranked = sorted(changes.items(), key=lambda kv: -(kv[1]["mean"] or 0.0))
        total = rows[(rows["measure"] == "displaced_kg") & (rows["level"] == level)]
        supply[f"{measure}_by_{level}"] = {
            "change": changes,
            "gained": [{"key": k, **v} for k, v in ranked if (v["mean"] or 0.0) > 0],
            "lost": [{"key": k, **v} for k, v in reversed(ranked) if (v["mean"] or 0.0) < 0],
            "displaced_kg": _stat(total.iloc[0]),
        }
    national = rows[rows["level"] == "national"]
    enforcement = {
        "border_seized_kg": _section(national, "border_seized_kg", "national"),
        "domestic_seized_kg": _section(national, "domestic_seized_kg", "national"),
        "dealer_arrests": _stat(national[national["measure"] == "dealer_arrests"].iloc[0]),
        "operation": {str(r["measure"]).removeprefix("operation_"): _stat(r)
                      for _, r in national.iterrows()
                      if str(r["measure"]).startswith("operation_")},
    }
    cost_row = national[national["measure"] == "cost_usd"].iloc[0]
    cost: dict[str, Any] = {"incremental_usd": _stat(cost_row)}
    booked = national[national["measure"] == "cost_booked_usd"]
    if len(booked):
        cost["booked_usd"] = _stat(booked.iloc[0])
    for key in ("per_death_averted", "per_expected_death_averted"):
        stat = _stat(national[national["measure"] == f"cost_{key}"].iloc[0])
        cost[key] = stat
        cost[f"{key}_display"] = f"{stat['mean']:,.0f}" if stat["mean"] is not None else "n/a"
    return {"deaths_averted": deaths, "supply": supply, "enforcement": enforcement,
            "cost": cost}



def settings_json(arms: Sequence[ArmSpec], seeds: Sequence[int], window: Window, *, seed: int,
                  scale: int, start: str, end: str, command: list[str] | None
                  ) -> dict[str, Any]:
    """What was compared: the head of ``comparison.json``.

    Args:
        arms: The arms, baseline first.
        seeds: The member seeds.
        window: The dates effects are summed over.
        seed: The root seed.
        scale: Real people per agent.
        start: First day of the runs.
        end: Last day a step may start.
        command: The command line, if any.
    """
    return {
        "narcosim_version": narcosim.__version__, "command": command,
        "baseline": arms[0].name, "arms": [a.name for a in arms],
        "scenarios": [{"name": a.name, "title": a.title, "source": a.source,
                       "interventions": [dict(c) for c in a.interventions]} for a in arms],
        "seed": int(seed), "n_runs": len(seeds), "member_seeds": list(seeds),
        "parameters": arms[0].spec.parameters,
        "member_particles": [draw_particle(arms[0].spec, s) for s in seeds],
        "scale": int(scale), "start": start, "end": end, "window": window.to_dict(),
    }


#: How intervals and costs are drawn, as ``comparison.json`` records it.
METHOD_JSON: dict[str, Any] = {
    "interval": {"percentiles": list(PERCENTILES),
                 "of": "paired member differences (numpy.percentile, linear)",
                 "min_members": MIN_MEMBERS,
                 "mean_interval": f"bootstrap of the members' mean, {BOOTSTRAP} "
                                  f"resamples, stream {BOOTSTRAP_STREAM!r} of the seed"},
    "cost_draws": {"distribution": "triangular on each cost's [low, high], mode at its "
                                   "point value; exact where no range is given",
                   "stream": f"{COST_STREAM!r} of each member's seed, one uniform per "
                             "lever kind and cost field"},
}


def decisions_json(members: pd.DataFrame, baseline: str) -> dict[str, Any]:
    """Pairwise chances of averting a death more cheaply, and the acceptability curve.

    Args:
        members: Every member's paired effects (``comparison_members.parquet``).
        baseline: The baseline arm's name.
    """
    points = cost_effect_points(members)
    curve = acceptability(points, baseline)
    return {
        "deaths": "expected deaths averted, all drugs, national",
        "pairwise": pairwise_cheaper(points).to_dict(orient="records"),
        "acceptability": {"wtp_usd_per_death": sorted(set(curve["wtp"])),
                          "options": {o: curve[curve["arm"] == o]["probability"].tolist()
                                      for o in curve["arm"].drop_duplicates()}},
    }
