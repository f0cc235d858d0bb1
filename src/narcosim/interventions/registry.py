"""Build intervention modules from validated configurations."""

from __future__ import annotations

from collections.abc import Sequence

from narcosim.errors import ParameterError
from narcosim.interventions.base import Intervention
from narcosim.interventions.config import InterventionConfig
from narcosim.interventions.dealer_ops import DealerOperation
from narcosim.interventions.demand_abroad import DemandAbroad
from narcosim.interventions.enforcement import (
    AntiMoneyLaundering,
    BorderSurge,
    HubTakedown,
    LeaderRemoval,
    PrecursorControl,
)
from narcosim.interventions.firearms import FirearmsInterdiction
from narcosim.interventions.health import (
    NaloxoneDistribution,
    Prevention,
    TestStrips,
    TreatmentExpansion,
)
from narcosim.interventions.laundering import ChannelAML
from narcosim.interventions.precursor_sources import SourceControl
from narcosim.interventions.targeting import resolve_target
from narcosim.model.inputs import SupplyInputs

#: kind -> intervention class.
KINDS: dict[str, type[Intervention]] = {
    "border_surge": BorderSurge,
    "hub_takedown": HubTakedown,
    "dealer_operation": DealerOperation,
    "precursor_control": PrecursorControl,
    "precursor_source_control": SourceControl,
    "anti_money_laundering": AntiMoneyLaundering,
    "aml_channel": ChannelAML,
    "demand_reduction_abroad": DemandAbroad,
    "firearms_interdiction": FirearmsInterdiction,
    "leader_removal": LeaderRemoval,
    "naloxone": NaloxoneDistribution,
    "treatment": TreatmentExpansion,
    "test_strips": TestStrips,
    "prevention": Prevention,
}
ENFORCEMENT = ("border_surge", "hub_takedown", "dealer_operation", "precursor_control",
               "precursor_source_control", "anti_money_laundering", "aml_channel",
               "leader_removal", "firearms_interdiction")
PUBLIC_HEALTH = ("naloxone", "treatment", "test_strips", "prevention")


def build_interventions(configs: Sequence[InterventionConfig], inputs: SupplyInputs,
                        cities: dict[str, str]) -> list[Intervention]:
    """Intervention modules for a run, targets resolved against its world.

    Args:
        configs: Validated configurations, in scenario order.
        inputs: The run's supply inputs (world and structure).
        cities: US city name -> state postal code.

    Raises:
        ParameterError: An unknown target name or lever parameter.
    """
    out = []
    for i, config in enumerate(configs):
        where = f"interventions[{i}] ({config.label})"
        target = resolve_target(config.target, inputs.world, inputs.structure, cities, where)
        if config.kind == "leader_removal" and not target.operators.any():
            raise ParameterError(f"{where}: a leader removal needs target.faction or "
                                 "target.cartel")
        out.append(KINDS[config.kind](config, target, i))
    return out
