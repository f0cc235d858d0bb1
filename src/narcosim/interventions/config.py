"""What a scenario file may say about an intervention: one validated model per kind.

Every intervention has a start, an end, an intensity, a target (ports, field offices, hubs,
states, cities, a cartel or a faction) and an annual cost in US dollars, so results can give
cost per death averted. Unknown keys, wrong types, negative costs and an end before the start
are rejected here; unknown ports, states and cities are rejected when the target is resolved
against the world (:mod:`narcosim.interventions.targets`).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from narcosim.model.drugs import PRECURSOR_DRUGS, SUPPLY_DRUGS


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


class InterventionConfig(BaseModel):
    """Fields every intervention has."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    name: str = Field("", description="Label used in results and reports.")
    start: date = Field(description="First day it acts (ISO date).")
    end: date = Field(description="Last day it acts (ISO date).")
    intensity: float = Field(1.0, ge=0.0, description="Strength; 0 switches it off.")
    annual_cost: float = Field(0.0, ge=0.0, description="Cost in US dollars per year active.")
    target: Target = Field(default_factory=Target)
    parameters: dict[str, float | str] = Field(
        default_factory=dict, description="Overrides of the lever's own parameters (yields, "
                                          "efficacies), checked against their specs.")

    @model_validator(mode="after")
    def _end_after_start(self) -> InterventionConfig:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @property
    def label(self) -> str:
        """The name, or the kind when unnamed."""
        return self.name or self.kind


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


class MoneyLaunderingConfig(InterventionConfig):
    """Anti-money-laundering action against a cartel's finances."""

    kind: Literal["anti_money_laundering"] = "anti_money_laundering"


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
                                 "added to any flat annual_cost.")


class TreatmentConfig(InterventionConfig):
    """More treatment (MOUD) capacity."""

    kind: Literal["treatment"] = "treatment"
    unit_cost: float = Field(
        0.0, ge=0.0, description="US dollars per patient-year, booked on the treatment "
                                 "delivered: the people the programme moved into treatment, "
                                 "for the weeks they stay; added to any flat annual_cost.")


class TestStripsConfig(InterventionConfig):
    """Fentanyl test strips: users who test avoid some fentanyl exposure."""

    kind: Literal["test_strips"] = "test_strips"


class PreventionConfig(InterventionConfig):
    """Prevention: fewer people start using."""

    kind: Literal["prevention"] = "prevention"


CONFIGS: tuple[type[InterventionConfig], ...] = (
    BorderSurgeConfig, HubTakedownConfig, DealerOperationConfig, PrecursorControlConfig,
    MoneyLaunderingConfig, LeaderRemovalConfig, NaloxoneConfig, TreatmentConfig,
    TestStripsConfig, PreventionConfig,
)
#: kind -> config model.
CONFIG_BY_KIND: dict[str, type[InterventionConfig]] = {
    c.model_fields["kind"].default: c for c in CONFIGS
}
