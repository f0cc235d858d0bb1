"""Parameter specifications and resolved parameter sets.

Each module declares its parameters as a list of :class:`ParamSpec` (name,
default, units, bounds, kind, source citation, doc). A :class:`ParamSet`
resolves user overrides against those specs and rejects, with a one-line
:class:`~narcosim.errors.ParameterError`:

* unknown keys: ``unknown parameter 'foo' for module 'supply' (known: a, b)``;
* values out of bounds: ``parameter 'x' of module 'm' = -1 is below its lower bound 0``;
* values in the wrong units: ``parameter 'r' of module 'm' = '5 kg' has units ...``.

A value may be a plain number in the spec's units, a string with units
(``"0.5 per week"``, ``"26 per year"``, ``"3 months"``, ``"10 lb"``), or a
:class:`~narcosim.core.time.Rate` / :class:`~narcosim.core.time.Duration`;
compatible units are converted exactly into the spec's units.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

from narcosim.core.time import Duration, Rate
from narcosim.core.units import Unit, convert, parse_quantity, parse_units
from narcosim.errors import ParameterError

Kind = Literal["float", "int", "bool", "choice", "array"]
_KINDS = ("float", "int", "bool", "choice", "array")
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


@dataclass(frozen=True)
class ParamSpec:
    """The declaration of one parameter.

    Attributes:
        name: Key users write in overrides and scenarios.
        default: Default value, in ``units``.
        units: Unit string (see :mod:`narcosim.core.units`); ``""`` for dimensionless.
        low: Inclusive lower bound, or None.
        high: Inclusive upper bound, or None.
        kind: ``float``, ``int``, ``bool``, ``choice`` (one of ``choices``) or
            ``array`` (float array; bounds apply to every element).
        source: Citation of the default (required); a guess starts with ``"guess:"``.
        doc: One sentence on what the parameter means.
        choices: Allowed values when ``kind == "choice"``.
        prior: The range the parameter may plausibly take, ``(low, high)`` in ``units``
            (what sensitivity analysis samples), or None for a setting that is not uncertain.
            It lies within the bounds and holds the default. For an ``array`` it is the range
            of one factor multiplying every element of the default (it must hold 1).
        prior_source: Citation of the range, or ``"guess: <reason>"``; required with a prior.
    """

    name: str
    default: Any
    units: str = ""
    low: float | None = None
    high: float | None = None
    kind: Kind = "float"
    source: str = ""
    doc: str = ""
    choices: tuple[Any, ...] = field(default=())
    prior: tuple[float, float] | None = None
    prior_source: str = ""

    def __post_init__(self) -> None:
        where = f"parameter spec {self.name!r}"
        if not self.name.isidentifier():
            raise ParameterError(f"{where}: name must be an identifier")
        if self.kind not in _KINDS:
            raise ParameterError(f"{where}: kind {self.kind!r} is not one of {', '.join(_KINDS)}")
        if not self.source.strip():
            raise ParameterError(f"{where}: source citation is required (write 'guess: ...')")
        if self.kind == "choice" and not self.choices:
            raise ParameterError(f"{where}: kind 'choice' needs choices")
        parse_units(self.units)
        self.resolve(self.default, module="<spec>")
        if self.prior is not None:
            self._check_prior(where)

    def _check_prior(self, where: str) -> None:
        """Check the prior range: two numbers, low <= high, within bounds, around the default."""
        if self.kind in ("bool", "choice"):
            raise ParameterError(f"{where}: a {self.kind} parameter takes no prior range")
        try:
            low, high = (float(x) for x in self.prior)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise ParameterError(f"{where}: prior must be two numbers (low, high), got "
                                 f"{self.prior!r}") from None
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ParameterError(f"{where}: prior range must be finite numbers")
        if low > high:
            raise ParameterError(f"{where}: prior range low {_short(low)} > high "
                                 f"{_short(high)}")
        if not self.prior_source.strip():
            raise ParameterError(f"{where}: a prior range needs prior_source (a citation or "
                                 "'guess: <reason>')")
        if self.kind == "array":
            if not low <= 1.0 <= high or low < 0:
                raise ParameterError(f"{where}: an array's prior is a factor on the default; "
                                     f"the range {_short(low)}-{_short(high)} must hold 1 and "
                                     "not be negative")
            return
        if self.low is not None and low < self.low:
            raise ParameterError(f"{where}: prior low {_short(low)} is below the lower bound "
                                 f"{_short(self.low)}")
        if self.high is not None and high > self.high:
            raise ParameterError(f"{where}: prior high {_short(high)} is above the upper bound "
                                 f"{_short(self.high)}")
        default = float(self.resolve(self.default, module="<spec>"))
        if not low <= default <= high:
            raise ParameterError(f"{where}: default {_short(default)} is outside its prior "
                                 f"range {_short(low)}-{_short(high)}")

    @property
    def prior_is_guess(self) -> bool:
        """Whether the prior range is marked as a guess."""
        return self.prior_source.strip().lower().startswith("guess")

    def with_prior(self, low: float, high: float, source: str) -> ParamSpec:
        """This spec with another prior range (checked as a spec's own).

        Raises:
            ParameterError: low > high, outside the bounds, or not around the default.
        """
        return replace(self, prior=(float(low), float(high)), prior_source=source)

    @property
    def unit(self) -> Unit:
        """The parsed units."""
        return parse_units(self.units)

    @property
    def is_guess(self) -> bool:
        """Whether the default is marked as a guess in its source."""
        return self.source.strip().lower().startswith("guess")

    def resolve(self, value: Any, module: str) -> Any:
        """Check and convert one value into this spec's units and kind.

        Args:
            value: Number, string with units, Rate, Duration, bool, choice or array.
            module: Module name, for the error message.

        Returns:
            The value in the spec's units: float, int, bool, the choice, or a float array.

        Raises:
            ParameterError: Wrong type, wrong units, NaN or out of bounds.
        """
        where = f"parameter {self.name!r} of module {module!r}"
        shown = repr(value) if isinstance(value, str) else _short(value)
        if self.kind == "bool":
            if not isinstance(value, bool | np.bool_):
                raise ParameterError(f"{where} = {shown} must be true or false")
            return bool(value)
        if self.kind == "choice":
            if value not in self.choices:
                options = ", ".join(str(c) for c in self.choices)
                raise ParameterError(f"{where} = {shown} is not one of: {options}")
            return value
        number = self._to_units(value, where, shown)
        arr = np.asarray(number, dtype=float)
        if np.any(np.isnan(arr)):
            raise ParameterError(f"{where} = {shown} is not a number")
        if self.low is not None and np.any(arr < self.low):
            raise ParameterError(f"{where} = {shown} is below its lower bound {_short(self.low)}")
        if self.high is not None and np.any(arr > self.high):
            raise ParameterError(f"{where} = {shown} is above its upper bound {_short(self.high)}")
        if self.kind == "array":
            return arr.copy()
        if arr.ndim != 0:
            raise ParameterError(f"{where} = {shown} must be a single number, not an array")
        if self.kind == "int":
            if not float(arr).is_integer():
                raise ParameterError(f"{where} = {shown} must be a whole number")
            return int(arr)
        return float(arr)

    def _to_units(self, value: Any, where: str, shown: str) -> Any:
        if isinstance(value, bool | np.bool_):
            raise ParameterError(f"{where} = {shown} must be a number, not true/false")
        if isinstance(value, str):
            try:
                number, unit = parse_quantity(value)
            except ParameterError as err:
                raise ParameterError(f"{where}: {err}") from None
            if not unit.text and self.units:
                return number  # a bare number in a string means the spec's units
            return self._convert(number, unit, where, shown)
        if isinstance(value, Rate):
            return self._convert(value.value, parse_units(f"per {value.per}"), where, shown)
        if isinstance(value, Duration):
            return self._convert(value.value, parse_units(value.unit), where, shown)
        if isinstance(value, int | float | np.integer | np.floating):
            return float(value)
        if self.kind == "array" and isinstance(value, Sequence | np.ndarray):
            try:
                return np.asarray(value, dtype=float)
            except (TypeError, ValueError):
                raise ParameterError(f"{where} = {shown} is not an array of numbers") from None
        raise ParameterError(f"{where} = {shown} must be a number (in {self.units or '1'})")

    def _convert(self, number: Any, unit: Unit, where: str, shown: str) -> Any:
        target = self.unit
        if not target.compatible(unit):
            want = self.units or "dimensionless"
            raise ParameterError(
                f"{where} = {shown} has units {unit.text or '1'!r} ({unit.describe()}), "
                f"not compatible with {want!r} ({target.describe()})"
            )
        if isinstance(number, np.ndarray):
            return np.array([convert(float(x), unit, target) for x in number.ravel()]).reshape(
                number.shape
            )
        return convert(float(number), unit, target)

    def json_schema(self) -> dict[str, Any]:
        """JSON Schema (draft 2020-12) fragment for this parameter."""
        desc = self.doc.strip()
        desc = f"{desc} Units: {self.units or 'dimensionless'}. Source: {self.source}".strip()
        default = self.default.tolist() if isinstance(self.default, np.ndarray) else self.default
        out: dict[str, Any] = {"description": desc, "default": default, "x-units": self.units}
        if self.kind == "bool":
            out["type"] = "boolean"
            return out
        if self.kind == "choice":
            out["enum"] = list(self.choices)
            return out
        number: dict[str, Any] = {"type": "integer" if self.kind == "int" else "number"}
        if self.low is not None:
            number["minimum"] = self.low
        if self.high is not None:
            number["maximum"] = self.high
        if self.kind == "array":
            number = {"type": "array", "items": number}
        with_units = {"type": "string", "pattern": r"^\s*[-+]?[0-9._]+([eE][-+]?[0-9]+)?\s*\S.*$"}
        out["anyOf"] = [number, with_units] if self.kind != "array" else [number]
        return out


def _short(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    if isinstance(value, np.ndarray):
        return np.array2string(value, threshold=6, separator=", ")
    return str(value)


class ParamSet(Mapping[str, Any]):
    """Resolved parameter values for one module: the defaults plus checked overrides.

    Read values as ``pars["name"]`` or ``pars.name``.

    Args:
        specs: The module's parameter specs.
        overrides: User values by name; unknown names are rejected.
        module: Module name, used in error messages.

    Raises:
        ParameterError: Unknown key, duplicate spec, bad units or out-of-bounds value.
    """

    def __init__(
        self,
        specs: Sequence[ParamSpec],
        overrides: Mapping[str, Any] | None = None,
        module: str = "module",
    ) -> None:
        self.module = module
        self.specs: dict[str, ParamSpec] = {}
        for spec in specs:
            if spec.name in self.specs:
                raise ParameterError(f"module {module!r} declares parameter {spec.name!r} twice")
            self.specs[spec.name] = spec
        self.overridden: dict[str, Any] = dict(overrides or {})
        unknown = [k for k in self.overridden if k not in self.specs]
        if unknown:
            key = unknown[0]
            close = difflib.get_close_matches(str(key), list(self.specs), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(self.specs) or "none"
            raise ParameterError(
                f"unknown parameter {key!r} for module {module!r} (known: {known}){hint}"
            )
        self._values: dict[str, Any] = {
            name: spec.resolve(self.overridden.get(name, spec.default), module)
            for name, spec in self.specs.items()
        }

    def __getitem__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            known = ", ".join(self.specs) or "none"
            raise ParameterError(
                f"unknown parameter {key!r} for module {self.module!r} (known: {known})"
            ) from None

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_") or key in ("specs", "module", "overridden"):
            raise AttributeError(key)
        return self[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def to_dict(self) -> dict[str, Any]:
        """Resolved values (arrays as lists), ready for JSON."""
        return {
            k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self._values.items()
        }

    def to_json_schema(self) -> dict[str, Any]:
        """JSON Schema (draft 2020-12) for this module's parameters."""
        return to_json_schema(list(self.specs.values()), self.module)

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={_short(v)}" for k, v in self._values.items())
        return f"ParamSet({self.module}: {shown})"


def to_json_schema(specs: Sequence[ParamSpec], module: str) -> dict[str, Any]:
    """JSON Schema (draft 2020-12) for a module's parameter overrides.

    Numbers are in the spec's units; strings with units are also allowed and are
    converted (and bound-checked) by :class:`ParamSet`. Unknown keys are not allowed.
    """
    return {
        "$schema": SCHEMA_DIALECT,
        "title": f"parameters of module {module}",
        "type": "object",
        "additionalProperties": False,
        "properties": {s.name: s.json_schema() for s in specs},
    }
