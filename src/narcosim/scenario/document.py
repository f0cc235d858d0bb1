"""The scenario file's model: ``[scenario]``, ``[parameters.<module>]`` and ``[[interventions]]``.

A scenario is validated in pydantic's strict mode, so ``intensity = true`` or
``start = "2022-05-01"`` (a string, not a TOML date) are wrong types rather than silently
converted. Unknown keys are rejected everywhere (``extra="forbid"``). Interventions are a
union discriminated by ``kind`` over the configurations in
:mod:`narcosim.interventions.config`. Checks that need the world (targets) or the modules'
parameter specs are in :mod:`narcosim.scenario.validate`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from narcosim.interventions.config import (
    BorderSurgeConfig,
    ChannelAMLConfig,
    DealerOperationConfig,
    DemandAbroadConfig,
    FirearmsInterdictionConfig,
    HubTakedownConfig,
    LeaderRemovalConfig,
    MoneyLaunderingConfig,
    NaloxoneConfig,
    PrecursorControlConfig,
    PrecursorSourceControlConfig,
    PreventionConfig,
    TestStripsConfig,
    TreatmentConfig,
)
from narcosim.model.builder import DEFAULT_END, DEFAULT_SCALE, DEFAULT_START

#: Any one intervention, chosen by its ``kind``.
AnyIntervention = Annotated[
    BorderSurgeConfig | HubTakedownConfig | DealerOperationConfig | PrecursorControlConfig
    | PrecursorSourceControlConfig | MoneyLaunderingConfig | ChannelAMLConfig | LeaderRemovalConfig
    | DemandAbroadConfig | FirearmsInterdictionConfig | NaloxoneConfig | TreatmentConfig
    | TestStripsConfig | PreventionConfig,
    Field(discriminator="kind"),
]
#: A parameter override: a number in the parameter's units, a string with units
#: ("26 per year"), true/false, a choice, or an array of numbers.
ParamValue = bool | int | float | str | list[float]


class ScenarioInfo(BaseModel):
    """The ``[scenario]`` table: name, description, seed, scale and horizon."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Scenario name, shown in results and reports.")
    description: str = Field("", description="What the scenario is and where its figures "
                                             "come from.")
    seed: int = Field(1, ge=0, description="Run seed (the command line's --seed overrides it).")
    scale: int = Field(DEFAULT_SCALE, ge=1,
                       description="Real people per agent: 100 runs a 1:100 sample, 1 "
                                   "everyone (DESIGN.md section 3).")
    start: date = Field(date.fromisoformat(DEFAULT_START), description="First day (a TOML date).")
    end: date = Field(date.fromisoformat(DEFAULT_END),
                      description="Last day a weekly step may start (a TOML date).")

    @model_validator(mode="after")
    def _end_after_start(self) -> ScenarioInfo:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Scenario(BaseModel):
    """A whole scenario file.

    Attributes:
        scenario: Name, description, seed, scale, start and end.
        parameters: Overrides of the model modules' parameters, module -> name -> value.
        interventions: The levers, in order (their order names their modules and streams).
    """

    model_config = ConfigDict(extra="forbid", title="narcosim scenario")

    scenario: ScenarioInfo
    parameters: dict[str, dict[str, ParamValue]] = Field(
        default_factory=dict,
        description="Model parameter overrides: [parameters.<module>] <name> = <value>.")
    interventions: list[AnyIntervention] = Field(
        default_factory=list, description="Interventions ([[interventions]] tables).")

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Scenario:
        """Validate parsed TOML (strict: no silent type conversion)."""
        return cls.model_validate(data, strict=True)

    def __repr__(self) -> str:
        kinds = ", ".join(i.kind for i in self.interventions) or "no interventions"
        info = self.scenario
        return (f"Scenario({info.name!r}, {info.start} to {info.end}, seed {info.seed}, "
                f"1:{info.scale}, {kinds})")
