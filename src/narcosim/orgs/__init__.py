"""Cartel organisations: structures, factions and franchises, and their workforce."""

from narcosim.orgs.workforce import (
    SCENARIOS,
    Trajectory,
    WorkforceParams,
    WorkforceResult,
    conflict_matrix,
    initial_sizes,
    rank_groups,
    run_workforce,
    simulate,
)

__all__ = [
    "SCENARIOS",
    "Trajectory",
    "WorkforceParams",
    "WorkforceResult",
    "conflict_matrix",
    "initial_sizes",
    "rank_groups",
    "run_workforce",
    "simulate",
]
