"""The lever protocol: what an intervention may set on a model part, how, and for how long.

A model part declares its levers as :class:`Lever` (``lever_specs`` on the module class):
the array attribute an intervention may change, the one way it may change it (``add``,
``scale``, ``raise`` to at least a value, or ``set``), the bounds its value must stay in, the
neutral value, and the reset rule:

* ``"step"``: the part puts the lever back to neutral after every step
  (:meth:`Levers.reset`, from its ``update_results``), so a lever acts for the step it is
  pulled in and an intervention that stops pulling leaves the run as it would be without it;
* ``"held"``: the value stays until an intervention sets it again (a captured leader is out
  until the intervention brings the faction back).

Interventions write through the part's registry, never into its arrays::

    people.levers.add("naloxone_extra", 0.2, where=states)
    traffic.levers.scale("port_pressure", 1.5, where=ports)

Checking mode (``NARCOSIM_CHECK_LEVERS=1`` in the environment when the parts are set up)
makes every lever array read-only outside the registry, so a direct write
(``people.naloxone_extra[s] += 1``) raises, and checks each written value against the
lever's bounds. Outside checking mode the registry does the same arithmetic with no checks,
so results do not depend on the mode.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from narcosim.errors import NarcosimError

#: Environment variable that turns checking mode on (``1``).
CHECK_ENV = "NARCOSIM_CHECK_LEVERS"
Op = Literal["add", "scale", "raise", "set"]
_OPS = ("add", "scale", "raise", "set")
Reset = Literal["step", "held"]


class LeverError(NarcosimError):
    """An intervention wrote outside the lever protocol."""


def checking() -> bool:
    """Whether checking mode is on (``NARCOSIM_CHECK_LEVERS=1``)."""
    return os.environ.get(CHECK_ENV, "") == "1"


@dataclass(frozen=True)
class Lever:
    """The declaration of one lever of a model part.

    Attributes:
        name: The module's array attribute the lever is.
        op: The one way an intervention may change it: ``add`` a value, ``scale`` by a
            factor, ``raise`` to at least a value, or ``set`` a value.
        low: Lowest value the lever may take.
        high: Highest value the lever may take.
        neutral: The value that leaves the model as it is without interventions (what a
            ``"step"`` lever is reset to).
        reset: ``"step"`` (back to neutral after every step) or ``"held"`` (kept until set
            again).
        doc: What the lever does.
    """

    name: str
    op: Op
    low: float
    high: float
    neutral: float | bool
    reset: Reset = "step"
    doc: str = ""

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"lever {self.name!r}: op {self.op!r} is not one of {_OPS}")
        if self.reset not in ("step", "held"):
            raise ValueError(f"lever {self.name!r}: reset {self.reset!r} is not step or held")


class Levers:
    """A model part's lever registry: the only way interventions change its levers.

    Args:
        module: The model part (a :class:`~narcosim.core.module.Module`); its lever arrays
            must exist (create the registry at the end of ``init_pre``).
        specs: The part's lever declarations.
        check: Checking mode; default from ``NARCOSIM_CHECK_LEVERS``.

    Raises:
        LeverError: A declared lever is not an array attribute of the module.
    """

    def __init__(self, module: Any, specs: Sequence[Lever], check: bool | None = None) -> None:
        self.owner = getattr(module, "name", type(module).__name__)
        self.specs = {spec.name: spec for spec in specs}
        self.check = checking() if check is None else check
        self._arrays: dict[str, np.ndarray] = {}
        for spec in specs:
            arr = getattr(module, spec.name, None)
            if not isinstance(arr, np.ndarray):
                raise LeverError(f"module {self.owner!r}: lever {spec.name!r} is not an array")
            self._arrays[spec.name] = arr
            if self.check:
                arr.flags.writeable = False

    def __contains__(self, name: object) -> bool:
        return name in self.specs

    def __iter__(self) -> Iterator[Lever]:
        return iter(self.specs.values())

    def _lever(self, name: str, op: Op) -> tuple[Lever, np.ndarray]:
        spec = self.specs.get(name)
        if spec is None:
            known = ", ".join(self.specs) or "none"
            raise LeverError(f"module {self.owner!r} has no lever {name!r} (levers: {known})")
        if spec.op != op:
            raise LeverError(f"lever {self.owner}.{name} is changed by {spec.op!r}, "
                             f"not {op!r}")
        return spec, self._arrays[name]

    @contextmanager
    def _writing(self, spec: Lever, arr: np.ndarray, where: Any) -> Iterator[None]:
        """Open the array for one write; in checking mode, check the bounds after it."""
        if not self.check:
            yield
            return
        arr.flags.writeable = True
        try:
            yield
        finally:
            arr.flags.writeable = False
        value = np.asarray(arr[where], dtype=float)
        if np.any(value < spec.low) or np.any(value > spec.high) or np.any(np.isnan(value)):
            raise LeverError(f"lever {self.owner}.{spec.name} set outside its bounds "
                             f"[{spec.low:g}, {spec.high:g}]: {value.min():g}..{value.max():g}")

    def add(self, name: str, value: Any, where: Any = ..., cap: float | None = None) -> None:
        """Add ``value`` to the lever at ``where`` (at most ``cap`` if given)."""
        spec, arr = self._lever(name, "add")
        with self._writing(spec, arr, where):
            if cap is None:
                arr[where] += value
            else:
                arr[where] = np.minimum(arr[where] + value, cap)

    def scale(self, name: str, factor: Any, where: Any = ...) -> None:
        """Multiply the lever at ``where`` by ``factor``."""
        spec, arr = self._lever(name, "scale")
        with self._writing(spec, arr, where):
            arr[where] *= factor

    def raise_to(self, name: str, value: Any, where: Any = ...) -> None:
        """Raise the lever at ``where`` to at least ``value``."""
        spec, arr = self._lever(name, "raise")
        with self._writing(spec, arr, where):
            arr[where] = np.maximum(arr[where], value)

    def set(self, name: str, value: Any, where: Any = ...) -> None:
        """Set the lever at ``where`` to ``value``."""
        spec, arr = self._lever(name, "set")
        with self._writing(spec, arr, where):
            arr[where] = value

    def reset(self) -> None:
        """Put every ``"step"`` lever back to neutral (the owning part, after each step)."""
        for spec in self.specs.values():
            if spec.reset != "step":
                continue
            arr = self._arrays[spec.name]
            if self.check:
                arr.flags.writeable = True
            arr[:] = spec.neutral
            if self.check:
                arr.flags.writeable = False
