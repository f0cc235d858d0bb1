"""Named array axes: pick and reduce by axis name, not by position and a comment.

An :class:`Axes` names the axes of an array in order, so code reads
``SIMS.sum(sims, "state")`` instead of ``sims.sum(axis=1)`` and a comment naming the axes, and
``SIMS.take(sims, damping=0, year=slice(None, n))`` instead of ``sims[:n, :, 0]``. It builds
the same index or ``axis=`` argument the positional code would, so results do not change and
the cost is one tuple lookup per call (keep it out of per-agent loops).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Axes(tuple[str, ...]):
    """The names of an array's axes, in order: ``Axes("year", "state", "damping")``."""

    def __new__(cls, *names: str) -> Axes:  # noqa: D102 (the class docstring says it)
        if len(set(names)) != len(names):
            raise ValueError(f"axis names repeat: {names}")
        return super().__new__(cls, names)

    def of(self, name: str) -> int:
        """Position of the axis ``name``.

        Raises:
            KeyError: No axis of that name.
        """
        try:
            return self.index(name)
        except ValueError:
            raise KeyError(f"no axis {name!r} (axes: {', '.join(self)})") from None

    def drop(self, *names: str) -> Axes:
        """The axes left once ``names`` are summed or taken away."""
        gone = {self.of(n) for n in names}
        return Axes(*(n for i, n in enumerate(self) if i not in gone))

    def sum(self, arr: np.ndarray, *names: str, keepdims: bool = False) -> np.ndarray:
        """``arr`` summed over the named axes."""
        axes = tuple(self.of(n) for n in names)
        return np.asarray(arr).sum(axis=axes[0] if len(axes) == 1 else axes, keepdims=keepdims)

    def at(self, **at: Any) -> tuple[Any, ...]:
        """The index tuple that picks ``at`` on the named axes (all of the others)."""
        where: list[Any] = [slice(None)] * len(self)
        for name, value in at.items():
            where[self.of(name)] = value
        return tuple(where)

    def take(self, arr: np.ndarray, **at: Any) -> np.ndarray:
        """``arr`` at the named positions, e.g. ``take(a, damping=0)``."""
        return arr[self.at(**at)]
