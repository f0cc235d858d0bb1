"""Physical units for parameters: strict parsing and exact conversion.

A unit string is a product of words with an optional ``per`` (or ``/``)
denominator: ``"per week"``, ``"kg per year"``, ``"people per week"``,
``"usd"``, ``"weeks"``, ``"fraction"``, ``"mg"``. Every word after the first ``per`` is
in the denominator, so a second ``per`` reads as in English: ``"deaths per 100,000
people per year"`` is deaths / (100,000 people x year). A whole number (``1000``,
``100,000``, ``100_000``) is an exact factor. Known words carry a dimension
and an exact factor (a :class:`fractions.Fraction`) to the base unit of that
dimension (day, kg, usd, or 1). Any other lower-case word is a *count noun*
(``people``, ``shipments``, ``cells``) and is its own dimension with factor 1,
so ``"5 people"`` is not compatible with ``"shipments"``. A calendar date's year is
written ``calendar_year`` (a count noun of its own): ``year`` is a length of time, and a
value in years would be converted from months or days.

Conventions (cited where they are conventions, not facts):

* a year is 365.25 days (the Julian year, IAU/SI usage; Starsim uses 365 days
  and so differs by 0.07%);
* a month is 1/12 of that year (30.4375 days);
* a pound is 0.45359237 kg exactly (International yard and pound agreement, 1959);
* ``percent`` / ``%`` is 1/100.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

from narcosim.errors import ParameterError

_DAY = ("time", Fraction(1))
_WEEK = ("time", Fraction(7))
_YEAR = ("time", Fraction(1461, 4))
_MONTH = ("time", Fraction(1461, 48))

#: Days in a year (the Julian year above): the one definition the model divides by.
DAYS_PER_YEAR: float = float(_YEAR[1])
#: Days in a week.
DAYS_PER_WEEK: float = float(_WEEK[1])
#: The round 52 weeks a year some yearly rates are divided by (people's relapse, jail and
#: stimulant-quit rates; dealers' arrest risk in the price). It is 0.36% short of
#: ``DAYS_PER_YEAR / DAYS_PER_WEEK``; kept, named, because the packaged fit was made with it.
ROUND_WEEKS_PER_YEAR: float = 52.0

#: Known words: word -> (dimension, factor to the dimension's base unit).
KNOWN_WORDS: dict[str, tuple[str, Fraction]] = {
    "day": _DAY,
    "days": _DAY,
    "week": _WEEK,
    "weeks": _WEEK,
    "month": _MONTH,
    "months": _MONTH,
    "year": _YEAR,
    "years": _YEAR,
    "kg": ("mass", Fraction(1)),
    "g": ("mass", Fraction(1, 1000)),
    "mg": ("mass", Fraction(1, 10**6)),
    "tonne": ("mass", Fraction(1000)),
    "tonnes": ("mass", Fraction(1000)),
    "lb": ("mass", Fraction(45359237, 10**8)),
    "lbs": ("mass", Fraction(45359237, 10**8)),
    "pound": ("mass", Fraction(45359237, 10**8)),
    "pounds": ("mass", Fraction(45359237, 10**8)),
    "usd": ("money", Fraction(1)),
    "1": ("", Fraction(1)),
    "fraction": ("", Fraction(1)),
    "probability": ("", Fraction(1)),
    "proportion": ("", Fraction(1)),
    "ratio": ("", Fraction(1)),
    "dimensionless": ("", Fraction(1)),
    "percent": ("", Fraction(1, 100)),
    "%": ("", Fraction(1, 100)),
}

_WORD = re.compile(r"^(%|[a-z_][a-z_0-9]*|1)(?:\^(-?\d+))?$")
_FACTOR = re.compile(r"^[1-9][\d_]*$")
_GROUPED = re.compile(r"(?<=\d),(?=\d{3}\b)")
_NUMBER = re.compile(r"^\s*([-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


@dataclass(frozen=True)
class Unit:
    """A parsed unit: its dimensions (name -> exponent) and exact factor to base units.

    Attributes:
        text: The unit string as written in the spec or value.
        dims: Sorted ``(dimension, exponent)`` pairs; empty for dimensionless.
        factor: Exact factor from this unit to the base units of its dimensions.
    """

    text: str
    dims: tuple[tuple[str, int], ...]
    factor: Fraction

    def compatible(self, other: Unit) -> bool:
        """Whether a value in ``other`` can be converted into this unit."""
        return self.dims == other.dims

    def describe(self) -> str:
        """Dimensions in words, e.g. ``mass`` or ``time^-1``; ``dimensionless`` if none."""
        if not self.dims:
            return "dimensionless"
        return " ".join(d if e == 1 else f"{d}^{e}" for d, e in self.dims)


def parse_units(text: str) -> Unit:
    """Parse a unit string strictly.

    Args:
        text: e.g. ``"per week"``, ``"kg/year"``, ``"people per week"``, ``""``.

    Returns:
        The parsed :class:`Unit`.

    Raises:
        ParameterError: Two ``per`` with nothing between, nothing after ``per``, or a
            malformed word.
    """
    norm = _GROUPED.sub("", text.strip().lower())
    norm = " ".join(norm.replace("/", " per ").replace("*", " ").split())
    parts = norm.split(" ") if norm else []
    if any(a == b == "per" for a, b in pairwise(parts)):
        raise ParameterError(f"units {text!r}: nothing between two 'per'")
    dims: dict[str, int] = {}
    factor = Fraction(1)
    sign = 1
    for word in parts:
        if word == "per":
            sign = -1
            continue
        if _FACTOR.match(word) and word != "1":
            factor *= Fraction(int(word.replace("_", ""))) ** sign
            continue
        match = _WORD.match(word)
        if match is None:
            raise ParameterError(f"units {text!r}: cannot read {word!r}")
        name, exp_text = match.group(1), match.group(2)
        exp = sign * (int(exp_text) if exp_text else 1)
        dim, fac = KNOWN_WORDS.get(name, (name, Fraction(1)))
        factor *= fac**exp
        if dim:
            dims[dim] = dims.get(dim, 0) + exp
    if parts and parts[-1] == "per":
        raise ParameterError(f"units {text!r}: nothing after 'per'")
    clean = tuple(sorted((d, e) for d, e in dims.items() if e != 0))
    return Unit(text=text.strip(), dims=clean, factor=factor)


def parse_quantity(text: str) -> tuple[float, Unit]:
    """Split ``"0.5 per week"`` into ``(0.5, Unit('per week'))``.

    Raises:
        ParameterError: The text does not start with a number or its units are malformed.
    """
    match = _NUMBER.match(text)
    if match is None:
        raise ParameterError(f"cannot read a number with units from {text!r}")
    number = float(match.group(1).replace("_", ""))
    return number, parse_units(match.group(2))


def convert(value: float, from_unit: Unit, to_unit: Unit) -> float:
    """Convert ``value`` from one unit to a compatible one, with one rounding.

    Raises:
        ParameterError: The units have different dimensions.
    """
    if not to_unit.compatible(from_unit):
        raise ParameterError(
            f"units {from_unit.text!r} ({from_unit.describe()}) are not compatible with "
            f"{to_unit.text!r} ({to_unit.describe()})"
        )
    if from_unit.factor == to_unit.factor:
        return float(value)
    ratio = from_unit.factor / to_unit.factor
    if not math.isfinite(value):
        return float(value) * float(ratio)
    return float(Fraction(value) * ratio)
