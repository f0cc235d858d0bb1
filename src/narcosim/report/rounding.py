"""Figures rounded to meaningful digits for pages and tables.

A model run at 1:1000 with ten members does not know a cost to the dollar or a death count to
the unit, so reports show three significant figures: ``1,740``, ``0.0523``, ``$142M``,
``$46.5k``, and intervals as ``$142M ($110M–$180M)``.
"""

from __future__ import annotations

import math

#: Significant figures shown by default.
DIGITS = 3
_MONEY = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def round_sig(value: float, digits: int = DIGITS) -> float:
    """``value`` rounded to ``digits`` significant figures (0 stays 0)."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    return round(float(value), digits - 1 - math.floor(math.log10(abs(value))))


def fmt_number(value: float | None, digits: int = DIGITS) -> str:
    """A number to ``digits`` significant figures with thousands separators; n/a if undefined.

    Examples: 1736.5 -> ``1,740``; 58.163 -> ``58.2``; 0.052341 -> ``0.0523``; -340 -> ``-340``.
    """
    if not _finite(value):
        return "n/a"
    rounded = round_sig(float(value), digits)
    if rounded == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(rounded)))
    decimals = max(digits - 1 - magnitude, 0)
    return f"{rounded:,.{decimals}f}"


def fmt_money(value: float | None, digits: int = DIGITS) -> str:
    """US dollars to ``digits`` significant figures with a k/M/B/T suffix: ``$142M``."""
    if not _finite(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    size = abs(float(value))
    rounded = round_sig(size, digits)
    for unit, suffix in _MONEY:
        if rounded >= unit:
            return f"{sign}${fmt_number(rounded / unit, digits)}{suffix}"
    return f"{sign}${fmt_number(rounded, digits)}"


def fmt_interval(mean: float | None, low: float | None, high: float | None,
                 money: bool = False, digits: int = DIGITS) -> str:
    """``mean (low–high)``; the mean alone when the interval is undefined."""
    fmt = fmt_money if money else fmt_number
    text = fmt(mean, digits)
    if _finite(low) and _finite(high):
        text += f" ({fmt(low, digits)}–{fmt(high, digits)})"
    return text


def fmt_percent(share: float | None) -> str:
    """A share in [0, 1] as a whole percentage (``<1%`` / ``>99%`` near the ends)."""
    if not _finite(share):
        return "n/a"
    pct = 100.0 * float(share)
    if 0 < pct < 1:
        return "<1%"
    if 99 < pct < 100:
        return ">99%"
    return f"{pct:.0f}%"
