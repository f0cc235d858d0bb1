"""Enforcement and public-health levers, each with a start, end, intensity, target and cost."""

from narcosim.interventions.base import Intervention
from narcosim.interventions.config import CONFIG_BY_KIND, InterventionConfig, Target
from narcosim.interventions.registry import ENFORCEMENT, KINDS, PUBLIC_HEALTH, build_interventions

__all__ = [
    "CONFIG_BY_KIND",
    "ENFORCEMENT",
    "KINDS",
    "PUBLIC_HEALTH",
    "Intervention",
    "InterventionConfig",
    "Target",
    "build_interventions",
]
