"""The fitted overdose-risk parameters of the people module.

``narcosim calibrate`` fits them to CDC's deaths (VSRR, 2015–2023) with Optuna and saves them,
with the command and seed that made them, as ``fitted_people.json`` beside this module; the
default scenario uses them (user overrides win).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from narcosim.core.files import read_packaged_or_path, write_text_atomic
from narcosim.errors import ParameterError

DEFAULT_PEOPLE_FIT = "fitted_people.json"


@dataclass
class FittedPeople:
    """Fitted people-module parameters and how they were made.

    Attributes:
        pars: Parameter values by name (units as in the parameter specs).
        meta: Command, seed, trials, fit years, scores, date, version.
        report_elasticity: Per supply drug, the elasticity of the flow outside the seizure
            window to NFLIS reports (:mod:`narcosim.model.supply_index`), fitted jointly with
            the overdose risks; a drug not listed uses 1.
    """

    pars: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    report_elasticity: dict[str, float] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None = None) -> FittedPeople:
        """Load a fit, or the packaged one; no packaged fit gives empty parameters.

        Raises:
            ParameterError: The file is unreadable or malformed.
        """
        found = read_packaged_or_path(path, "narcosim.model", DEFAULT_PEOPLE_FIT, "fit")
        if found is None:
            return cls()
        raw, where = found
        try:
            data = json.loads(raw)
            pars = {str(k): float(v) for k, v in data["pars"].items()}
            kappa = {str(k): float(v) for k, v in data.get("report_elasticity", {}).items()}
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            raise ParameterError(f"{where}: not a people fit (needs a 'pars' object of "
                                 "numbers)") from None
        return cls(pars, dict(data.get("meta", {})), kappa)

    def save(self, path: Path) -> Path:
        """Write the fit as JSON, atomically."""
        write_text_atomic(path, json.dumps({"pars": self.pars,
                                            "report_elasticity": self.report_elasticity,
                                            "meta": self.meta}, indent=1,
                                           ensure_ascii=False) + "\n")
        return path
