"""What a scenario file may say about an intervention: one validated model per kind.

Every intervention has a start, an end, an intensity, a target (ports, field offices, hubs,
states, cities, a cartel or a faction) and an annual cost in US dollars, so results can give
cost per death averted. Each cost may carry a range (``annual_cost_range``, and
``unit_cost_range`` for the levers booked per unit) and a ``cost_source`` (a citation, or
``"guess: <reason>"``); comparisons draw every member's cost within the range
(:mod:`narcosim.analysis.costs`). A cost without a range is taken as exact. Unknown keys, wrong
types, negative or non-finite costs, ranges that do not hold their value and an end before
the start are rejected here; unknown ports, states and cities are rejected when the target is
resolved against the world (:mod:`narcosim.interventions.targeting`).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from narcosim.model.drugs import PRECURSOR_DRUGS, SUPPLY_DRUGS
from narcosim.orgs.guns import SOURCE_STATES


class Target(BaseModel):
    """Where or whom an intervention acts on; empty lists mean "everywhere it applies"."""

    model_config = ConfigDict(extra="forbid")

    ports: list[str] = Field(default_factory=list,
                             description="CBP port codes (e.g. '2504') or BTS port names.")
    field_offices: list[str] = Field(default_factory=list,
                                     description="CBP field offices, e.g. 'SAN DIEGO FIELD "
                                                 "OFFICE' (or 'San Diego').")
    hubs: list[str] = Field(default_factory=list, description="Hub cities, e.g. 'Phoenix'.")
    states: list[str] = Field(default_factory=list, description="State postal codes.")
    cities: list[str] = Field(default_factory=list,
                              description="US cities (GeoNames names); act on their states.")
    cartel: Literal["sinaloa", "cjng", "independents"] | None = Field(
        None, description="A cartel.")
    faction: str | None = Field(None, description="An operator key, e.g. 'sinaloa.guano'.")


#: A cost range: ``[low, high]`` in the cost's own units (a TOML array of two numbers).
CostRange = Annotated[list[float], Field(min_length=2, max_length=2)]


def check_cost_range(bounds: CostRange | None, info: ValidationInfo) -> CostRange | None:
    """Check a ``*_cost_range`` against its cost (the field named without ``_range``).

    The range must be finite and non-negative, low <= high, and hold the cost itself.

    Raises:
        ValueError: A range that breaks one of these rules.
    """
    if bounds is None:
        return None
    low, high = (float(b) for b in bounds)
    shown = f"[{low:,.10g}, {high:,.10g}]"
    if not all(math.isfinite(b) for b in (low, high)):
        raise ValueError(f"{shown}: bounds must be finite numbers")
    if low < 0:
        raise ValueError(f"{shown}: low {low:,.10g} is negative: must be >= 0")
    if low > high:
        raise ValueError(f"{shown}: low {low:,.10g} is above high {high:,.10g}")
    name = str(info.field_name).removesuffix("_range")
    value = info.data.get(name)
    if name == "unit_cost" and value == 0 and high > 0:
        raise ValueError(f"{shown} needs unit_cost > 0: the cost is booked on what the "
                         "programme delivers at unit_cost, so a range around 0 cannot be drawn")
    if isinstance(value, int | float) and not low <= value <= high:
        raise ValueError(f"{shown} does not hold {name} = {value:,.10g}: need low <= "
                         f"{name} <= high")
    return [low, high]


class InterventionConfig(BaseModel):
    """Fields every intervention has."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    name: str = Field("", description="Label used in results and reports.")
    start: date = Field(description="First day it acts (ISO date).")
    end: date = Field(description="Last day it acts (ISO date).")
    intensity: float = Field(1.0, ge=0.0, description="Strength; 0 switches it off.")
    annual_cost: float = Field(0.0, ge=0.0, allow_inf_nan=False,
                               description="Cost in US dollars per year active.")
    annual_cost_range: CostRange | None = Field(
        None, description="[low, high] US dollars per year: the range annual_cost may take "
                          "(comparisons draw each member's within it, triangular with its "
                          "mode at annual_cost); absent: exactly annual_cost.")
    cost_source: str = Field(
        "", description="Where the cost and its range come from: a citation, or 'guess: "
                        "<reason>'. Absent: listed as a guess with no reason given.")
    target: Target = Field(default_factory=Target)
    parameters: dict[str, float | str] = Field(
        default_factory=dict, description="Overrides of the lever's own parameters (yields, "
                                          "efficacies), checked against their specs.")

    _annual_range = field_validator("annual_cost_range")(check_cost_range)

    @model_validator(mode="after")
    def _end_after_start(self) -> InterventionConfig:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @property
    def label(self) -> str:
        """The name, or the kind when unnamed."""
        return self.name or self.kind

    def cost_ranges(self) -> dict[str, tuple[float, tuple[float, float]]]:
        """Each cost field with its value and range (the value itself when no range is given).

        Returns:
            ``{"annual_cost": (value, (low, high)), ...}``; ``unit_cost`` too for the levers
            booked per unit.
        """
        out = {}
        for name in ("annual_cost", "unit_cost"):
            if name in type(self).model_fields:
                value = float(getattr(self, name))
                bounds = getattr(self, f"{name}_range")
                out[name] = (value, (float(bounds[0]), float(bounds[1])) if bounds is not None
                                     else (value, value))
        return out

    @property
    def cost_is_guess(self) -> bool:
        """Whether the cost is a guess: its source says so, or no source is given."""
        source = self.cost_source.strip().lower()
        return not source or source.startswith("guess")


class BorderSurgeConfig(InterventionConfig):
    """More inspection at ports (and Border Patrol in their corridors)."""

    kind: Literal["border_surge"] = "border_surge"


class HubTakedownConfig(InterventionConfig):
    """Investigations that seize stock at distribution hubs."""

    kind: Literal["hub_takedown"] = "hub_takedown"


class DealerOperationConfig(InterventionConfig):
    """Operation Last Mile / Overdrive style investigations of cartel-linked dealers."""

    kind: Literal["dealer_operation"] = "dealer_operation"
    investigations: int = Field(ge=0, description="Investigations over the whole period.")


class PrecursorControlConfig(InterventionConfig):
    """Precursor-chemical control, cutting the capacity to make synthetic drugs."""

    kind: Literal["precursor_control"] = "precursor_control"
    drugs: list[str] = Field(
        default_factory=lambda: list(PRECURSOR_DRUGS), min_length=1,
        description="Drugs whose precursors are controlled: 'fentanyl' (NPP, 4-AP, ANPP), "
                    "'methamphetamine' (P2P, ephedrine, pseudoephedrine); both by default. "
                    "Not 'cocaine': it is bought from South America and refined there "
                    "(INCB precursors report 2023; DEA NDTA 2024).",
        json_schema_extra={"items": {"type": "string", "enum": list(PRECURSOR_DRUGS)}})

    @field_validator("drugs")
    @classmethod
    def _synthetic_only(cls, drugs: list[str]) -> list[str]:
        for drug in drugs:
            if drug == "cocaine":
                raise ValueError("precursor control cannot act on cocaine: the cartels buy it "
                                 "from South America, refined there without Mexican "
                                 f"precursors (controllable: {', '.join(PRECURSOR_DRUGS)})")
            if drug not in SUPPLY_DRUGS:
                raise ValueError(f"unknown drug {drug!r} (controllable: "
                                 f"{', '.join(PRECURSOR_DRUGS)})")
        if len(set(drugs)) < len(drugs):
            raise ValueError(f"a drug is listed twice: {drugs}")
        return drugs


class PrecursorSourceControlConfig(PrecursorControlConfig):
    """Controls in one supplier country (diplomacy, export controls) on a drug's precursors.

    Acts on the precursor chain (:mod:`narcosim.model.precursors`): that country's shipments
    of the chosen drugs' precursors are capped at a share of their status-quo volume; the
    labs re-order part of what is blocked from the other country, and their stock buffers
    the rest for some weeks.
    """

    kind: Literal["precursor_source_control"] = "precursor_source_control"  # type: ignore[assignment]
    source: Literal["china", "india"] = Field(
        description="The supplier country whose shipments are controlled: 'china' or 'india' "
                    "(DEA NDTA 2024 names both).")


class MoneyLaunderingConfig(InterventionConfig):
    """Anti-money-laundering action against a cartel's finances."""

    kind: Literal["anti_money_laundering"] = "anti_money_laundering"


class ChannelAMLConfig(InterventionConfig):
    """Anti-money-laundering against one laundering channel (:mod:`narcosim.model.money`)."""

    kind: Literal["aml_channel"] = "aml_channel"
    channel: Literal["bulk_cash", "trade_based", "chinese_mlo"] = Field(
        description="The channel acted on: 'bulk_cash' (cash smuggled south), 'trade_based' "
                    "(goods bought with the cash) or 'chinese_mlo' (Chinese money-laundering "
                    "organisations; FinCEN advisory FIN-2025-A003).")


class DemandAbroadConfig(InterventionConfig):
    """Demand reduction in one region abroad (:mod:`narcosim.model.portfolio`).

    Prevention and treatment abroad (or enforcement on retail markets there) shrink the
    region's demand for the Mexican cartels' exports; the exports and the revenue they earn
    fall. The product not sold abroad is not redirected to the US in the model.
    """

    kind: Literal["demand_reduction_abroad"] = "demand_reduction_abroad"
    region: Literal["europe", "africa", "asia", "oceania"] = Field(
        description="The region whose demand falls: 'europe', 'africa', 'asia' or 'oceania'.")


class FirearmsInterdictionConfig(InterventionConfig):
    """Southbound firearms interdiction (:mod:`narcosim.model.firearms`).

    More of the US guns going south are seized at the border, from the chosen source states
    (the states the guns were sold in, as ATF traces them); guns only, not drugs or deaths.
    """

    kind: Literal["firearms_interdiction"] = "firearms_interdiction"
    source_states: list[str] = Field(
        default_factory=list,
        description="Source states whose southbound guns are targeted: "
                    f"{', '.join(repr(s) for s in SOURCE_STATES)} (the states ATF traces "
                    "most guns to; 'other' is the rest); empty: all.",
        json_schema_extra={"items": {"type": "string", "enum": list(SOURCE_STATES)}})

    @field_validator("source_states")
    @classmethod
    def _known_sources(cls, states: list[str]) -> list[str]:
        for state in states:
            if state not in SOURCE_STATES:
                raise ValueError(f"unknown source state {state!r} (known: "
                                 f"{', '.join(SOURCE_STATES)})")
        if len(set(states)) < len(states):
            raise ValueError(f"a source state is listed twice: {states}")
        return states


class LeaderRemovalConfig(InterventionConfig):
    """Capture of a faction's or cartel's leadership, which Mexico may release."""

    kind: Literal["leader_removal"] = "leader_removal"
    release_probability: float = Field(
        0.5, ge=0.0, le=1.0,
        description="Probability Mexico releases the captive (guess: the seed's two cases — "
                    "Abraham Oseguera, Ovidio Guzmán — were both released).")
    release_days: int = Field(9, ge=0, description="Days until release (the seed: nine days).")
    succession_weeks: int = Field(
        26, ge=0, description="Weeks until a successor takes over if not released (guess).")


class NaloxoneConfig(InterventionConfig):
    """Naloxone distribution: more overdoses happen where naloxone is at hand."""

    kind: Literal["naloxone"] = "naloxone"
    unit_cost: float = Field(
        0.0, ge=0.0, description="US dollars per person reached per year (a kit each), "
                                 "booked on the people the programme reaches in the run; "
                                 "added to any flat annual_cost.", allow_inf_nan=False)
    unit_cost_range: CostRange | None = Field(
        None, description="[low, high] US dollars per person reached per year: the range "
                          "unit_cost may take; absent: exactly unit_cost.")

    _unit_range = field_validator("unit_cost_range")(check_cost_range)


class TreatmentConfig(InterventionConfig):
    """More treatment (MOUD) capacity."""

    kind: Literal["treatment"] = "treatment"
    unit_cost: float = Field(
        0.0, ge=0.0, description="US dollars per patient-year, booked on the treatment "
                                 "delivered: the people the programme moved into treatment, "
                                 "for the weeks they stay; added to any flat annual_cost.",
        allow_inf_nan=False)
    unit_cost_range: CostRange | None = Field(
        None, description="[low, high] US dollars per patient-year: the range unit_cost may "
                          "take; absent: exactly unit_cost.")

    _unit_range = field_validator("unit_cost_range")(check_cost_range)


class TestStripsConfig(InterventionConfig):
    """Fentanyl test strips: users who test avoid some fentanyl exposure."""

    kind: Literal["test_strips"] = "test_strips"


class PreventionConfig(InterventionConfig):
    """Prevention: fewer people start using."""

    kind: Literal["prevention"] = "prevention"


CONFIGS: tuple[type[InterventionConfig], ...] = (
    BorderSurgeConfig, HubTakedownConfig, DealerOperationConfig, PrecursorControlConfig,
    PrecursorSourceControlConfig, MoneyLaunderingConfig, ChannelAMLConfig, DemandAbroadConfig,
    FirearmsInterdictionConfig, LeaderRemovalConfig, NaloxoneConfig, TreatmentConfig,
    TestStripsConfig, PreventionConfig,
)
#: kind -> config model.
CONFIG_BY_KIND: dict[str, type[InterventionConfig]] = {
    c.model_fields["kind"].default: c for c in CONFIGS
}
