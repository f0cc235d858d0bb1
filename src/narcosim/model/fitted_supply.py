"""Fitted supply parameters: flows, corridor weights, Border Patrol rates, shipment sizes.

The southwest-border seizures CBP published for FY2019–FY2023 are the observed signal of the
cartels' flow. ``narcosim calibrate seizures`` fits, per drug and fiscal year, the flow of
product sent north and how it splits over the four field-office corridors, and per drug the
probability that Border Patrol seizes a load the ports missed, so that the simulated seizures
match CBP's. The fit is saved with the command and seed that made it (``fitted_supply.json``
beside this module) and the default scenario uses it.

Outside the fit window (``meta["fit_window"]``, FY2019–FY2023) the stored flows only repeat
the window's nearest year: the run's inputs rebuild them from DEA NFLIS reports and project
them past the last input year (:mod:`narcosim.model.supply_index`). CDC deaths never enter.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from narcosim.core.files import read_packaged_or_path, write_text_atomic
from narcosim.errors import ParameterError
from narcosim.model.drugs import SUPPLY_DRUGS

#: The packaged fit used by the default scenario.
DEFAULT_FIT_FILE = "fitted_supply.json"


@dataclass
class FittedSupply:
    """Fitted supply parameters, by drug, fiscal year and field-office corridor.

    Attributes:
        fiscal_years: The fiscal years covered, consecutive.
        field_offices: Corridor order of ``corridor_weight`` and ``usbp_prob``.
        flow_kg_per_year: Product sent north, kg per year, shape (drugs, fiscal years).
        corridor_weight: Relative attraction of each corridor, (drugs, fiscal years, offices).
        usbp_prob: Probability that Border Patrol seizes a load the port missed, (drugs,).
        shipment_kg: Mean load size in kg (CBP pounds per seizure event), (drugs, years).
        meta: How the fit was made: command, seed, version, date, iterations, fit table.
    """

    fiscal_years: tuple[int, ...]
    field_offices: tuple[str, ...]
    flow_kg_per_year: np.ndarray
    corridor_weight: np.ndarray
    usbp_prob: np.ndarray
    shipment_kg: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def fy_index(self, fiscal_year: int) -> int:
        """Index of a fiscal year, clipped to the covered range."""
        first, last = self.fiscal_years[0], self.fiscal_years[-1]
        return int(np.clip(fiscal_year, first, last) - first)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary keyed by drug and fiscal year."""
        fys = [str(y) for y in self.fiscal_years]
        return {
            "fiscal_years": list(self.fiscal_years),
            "field_offices": list(self.field_offices),
            "flow_kg_per_year": {
                d: dict(zip(fys, self.flow_kg_per_year[i].round(3).tolist(), strict=True))
                for i, d in enumerate(SUPPLY_DRUGS)
            },
            "corridor_weight": {
                d: {fy: self.corridor_weight[i, j].round(6).tolist() for j, fy in enumerate(fys)}
                for i, d in enumerate(SUPPLY_DRUGS)
            },
            "usbp_prob": dict(zip(SUPPLY_DRUGS, self.usbp_prob.round(6).tolist(), strict=True)),
            "shipment_kg": {
                d: dict(zip(fys, self.shipment_kg[i].round(4).tolist(), strict=True))
                for i, d in enumerate(SUPPLY_DRUGS)
            },
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "fit") -> FittedSupply:
        """Read the dictionary written by :meth:`to_dict`.

        Raises:
            ParameterError: A drug, year or field is missing or not a positive number.
        """
        try:
            fys = tuple(int(y) for y in data["fiscal_years"])
            offices = tuple(str(o) for o in data["field_offices"])
            flow = np.array([[data["flow_kg_per_year"][d][str(y)] for y in fys]
                             for d in SUPPLY_DRUGS], dtype=float)
            weight = np.array([[data["corridor_weight"][d][str(y)] for y in fys]
                               for d in SUPPLY_DRUGS], dtype=float)
            usbp = np.array([data["usbp_prob"][d] for d in SUPPLY_DRUGS], dtype=float)
            size = np.array([[data["shipment_kg"][d][str(y)] for y in fys]
                             for d in SUPPLY_DRUGS], dtype=float)
        except (KeyError, TypeError, ValueError) as error:
            raise ParameterError(f"{where}: missing or malformed entry {error}") from None
        if weight.shape != (len(SUPPLY_DRUGS), len(fys), len(offices)):
            raise ParameterError(f"{where}: corridor_weight needs one value per field office")
        for name, arr in (("flow_kg_per_year", flow), ("shipment_kg", size),
                          ("corridor_weight", weight)):
            if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
                raise ParameterError(f"{where}: {name} must be positive numbers")
        if np.any((usbp < 0) | (usbp >= 1)):
            raise ParameterError(f"{where}: usbp_prob must be in [0, 1)")
        return cls(fys, offices, flow, weight, usbp, size, dict(data.get("meta", {})))

    def save(self, path: Path) -> Path:
        """Write the fit as JSON (atomically: a temp file, then a rename)."""
        write_text_atomic(path, json.dumps(self.to_dict(), indent=1, ensure_ascii=False) + "\n")
        return path

    @classmethod
    def load(cls, path: Path | None = None) -> FittedSupply:
        """Load a fit from ``path``, or the packaged default fit.

        Raises:
            ParameterError: The file is unreadable or malformed.
        """
        found = read_packaged_or_path(path, "narcosim.model", DEFAULT_FIT_FILE, "fit")
        if found is None:
            raise ParameterError(f"the packaged supply fit {DEFAULT_FIT_FILE} is missing")
        raw, where = found
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ParameterError(f"{where} line {error.lineno}: not valid JSON") from None
        return cls.from_dict(data, where)

    def copy(self) -> FittedSupply:
        """A deep copy (arrays copied)."""
        return FittedSupply(
            self.fiscal_years, self.field_offices, self.flow_kg_per_year.copy(),
            self.corridor_weight.copy(), self.usbp_prob.copy(), self.shipment_kg.copy(),
            dict(self.meta),
        )
