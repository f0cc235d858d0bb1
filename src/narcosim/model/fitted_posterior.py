"""The packaged posterior sample of the people module's parameters, and the draw from it.

``narcosim calibrate posterior`` (:mod:`narcosim.calibrate.posterior`) saves a weighted sample
of parameter sets as ``fitted_posterior.json`` beside this module: one row per particle, the
people module's parameters and the flow elasticities to reports
(``report_elasticity.<drug>``), with weights and the sampler's record in ``meta``. Ensemble
and compare members draw one particle each (:meth:`FittedPosterior.draw`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from narcosim.core.files import read_packaged_or_path, write_text_atomic
from narcosim.core.random import INIT_STEP, Stream
from narcosim.errors import ParameterError

DEFAULT_POSTERIOR = "fitted_posterior.json"
#: Prefix of the flow elasticities to reports among a particle's columns.
KAPPA = "report_elasticity."
#: The named stream a member draws its particle from (of the member's run seed).
DRAW_STREAM = "parameters.posterior"


@dataclass
class FittedPosterior:
    """A weighted sample of parameter sets.

    Attributes:
        columns: Parameter names: people-module parameters, then ``report_elasticity.<drug>``.
        values: (particles, columns).
        weights: Normalised importance weights, one per particle.
        distance: Each particle's distance to the targets.
        meta: Method, sizes, tolerance, seed, command, posterior predictive check.
        sha256: The file's sha256 (empty when not read from a file).
    """

    columns: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray
    distance: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""

    def __len__(self) -> int:
        return len(self.values)

    def particle(self, index: int) -> tuple[dict[str, float], dict[str, float]]:
        """Particle ``index`` as (people parameters, flow elasticities to reports by drug)."""
        row = dict(zip(self.columns, map(float, self.values[index]), strict=True))
        people = {k: v for k, v in row.items() if not k.startswith(KAPPA)}
        kappa = {k.removeprefix(KAPPA): v for k, v in row.items() if k.startswith(KAPPA)}
        return people, kappa

    def draw(self, seed: int) -> int:
        """The particle a member with run seed ``seed`` uses (weighted, stream ``DRAW_STREAM``).

        The draw has its own stream, so it leaves the model's random numbers as they are:
        the same member seed with or without drawn parameters sees the same random numbers.
        """
        rng = Stream(DRAW_STREAM, int(seed)).generator(INIT_STEP)
        return int(rng.choice(len(self.weights), p=self.weights))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (as in the file)."""
        return {"columns": list(self.columns), "weights": self.weights.tolist(),
                "distance": self.distance.tolist(), "particles": self.values.tolist(),
                "meta": self.meta}

    def save(self, path: Path) -> Path:
        """Write the sample as JSON, atomically."""
        write_text_atomic(path, json.dumps(self.to_dict(), indent=None, ensure_ascii=False,
                                           allow_nan=False) + "\n")
        return path

    @classmethod
    def load(cls, path: Path | None = None) -> FittedPosterior | None:
        """Load a sample, or the packaged one; None when no sample is packaged.

        Raises:
            ParameterError: The file is missing (when named), unreadable or malformed.
        """
        found = read_packaged_or_path(path, "narcosim.model", DEFAULT_POSTERIOR, "posterior")
        if found is None:
            return None
        raw, where = found
        try:
            data = json.loads(raw)
            columns = tuple(str(c) for c in data["columns"])
            values = np.asarray(data["particles"], dtype=float).reshape(-1, len(columns))
            weights = np.asarray(data["weights"], dtype=float)
            distance = np.asarray(data.get("distance", [np.nan] * len(values)), dtype=float)
            if len(weights) != len(values) or len(values) == 0 or (weights < 0).any():
                raise ValueError("weights")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
            raise ParameterError(f"{where}: not a posterior sample (needs 'columns', "
                                 "'particles' and 'weights')") from None
        return cls(columns, values, weights / weights.sum(), distance,
                   dict(data.get("meta", {})), hashlib.sha256(raw).hexdigest())
