"""Structure-of-arrays agent state with stable slot ids.

An :class:`Agents` table holds one numpy array per field (bool, int or float),
all indexed by *slot*. ``add`` hands out new slots at the end; ``remove`` marks
agents as no longer alive. Slots are never reused, so a slot is a stable id for
the whole run and indexes the random streams (common random numbers). Capacity
grows by doubling, so adding is amortised O(1) per agent.

Example::

    people = Agents({"age": (float, 0.0), "state": (np.int16, -1)})
    slots = people.add(3, age=[20.0, 35.0, 50.0], state=5)   # slots 0, 1, 2
    people.remove(people["age"] > 40)                        # slot 2 leaves
    people.n_alive                                           # 2
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from narcosim.errors import ParameterError

FieldDecl = tuple[Any, Any]


class Agents:
    """A growable table of agents as named numpy arrays.

    Args:
        fields: Field name -> ``(dtype, default value)``. ``alive`` is added
            automatically and must not be declared.
        capacity: Initial capacity (grows as needed).
        name: Name used in messages and ``repr``.

    Attributes:
        n_slots: Slots handed out so far (alive or not); arrays have this length.
    """

    def __init__(
        self, fields: Mapping[str, FieldDecl], capacity: int = 1024, name: str = "agents"
    ) -> None:
        if "alive" in fields:
            raise ParameterError(f"{name}: field 'alive' is built in; do not declare it")
        self.name = name
        self._decl: dict[str, FieldDecl] = {"alive": (np.bool_, False), **dict(fields)}
        self._capacity = max(int(capacity), 1)
        self._data: dict[str, np.ndarray] = {
            key: np.full(self._capacity, default, dtype=dtype)
            for key, (dtype, default) in self._decl.items()
        }
        self.n_slots = 0

    @property
    def fields(self) -> list[str]:
        """Field names, ``alive`` first."""
        return list(self._decl)

    def _grow(self, need: int) -> None:
        cap = self._capacity
        while cap < need:
            cap *= 2
        if cap == self._capacity:
            return
        for key, (dtype, default) in self._decl.items():
            new = np.full(cap, default, dtype=dtype)
            new[: self.n_slots] = self._data[key][: self.n_slots]
            self._data[key] = new
        self._capacity = cap

    def add(self, n: int, **values: Any) -> npt.NDArray[np.int64]:
        """Add ``n`` alive agents and return their new slots.

        Args:
            n: How many to add.
            **values: Field values: a scalar for all, or an array of length ``n``.
                Fields not given take their default.

        Raises:
            ParameterError: Unknown field or wrong array length.
        """
        for key in values:
            if key not in self._decl or key == "alive":
                raise ParameterError(
                    f"{self.name}: unknown field {key!r} (fields: {', '.join(self.fields[1:])})"
                )
        start, stop = self.n_slots, self.n_slots + int(n)
        self._grow(stop)
        for key, value in values.items():
            arr = np.asarray(value)
            if arr.ndim and arr.shape[0] != n:
                raise ParameterError(
                    f"{self.name}: field {key!r} got {arr.shape[0]} values for {n} agents"
                )
            self._data[key][start:stop] = arr
        self._data["alive"][start:stop] = True
        self.n_slots = stop
        return np.arange(start, stop, dtype=np.int64)

    def remove(self, which: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Mark agents as not alive (died, left); their slots are never reused.

        Args:
            which: A boolean mask over all slots (length ``n_slots``) or an array of slots.

        Returns:
            The slots that were alive and are now removed.
        """
        slots = self._as_slots(which)
        alive = self._data["alive"]
        slots = slots[alive[slots]]
        alive[slots] = False
        return slots

    kill = remove

    def _as_slots(self, which: npt.ArrayLike) -> npt.NDArray[np.int64]:
        arr = np.asarray(which)
        if arr.dtype == np.bool_:
            if arr.shape != (self.n_slots,):
                raise ValueError(
                    f"{self.name}: mask has shape {arr.shape}, expected ({self.n_slots},)"
                )
            return np.flatnonzero(arr).astype(np.int64)
        return np.unique(arr.astype(np.int64))

    def __getitem__(self, key: str) -> np.ndarray:
        """A writable view of a field over all slots handed out so far."""
        return self._data[key][: self.n_slots]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key][: self.n_slots] = value

    @property
    def alive(self) -> npt.NDArray[np.bool_]:
        """Boolean mask over slots of the agents still alive (a view)."""
        return self._data["alive"][: self.n_slots]

    @property
    def alive_slots(self) -> npt.NDArray[np.int64]:
        """Slots of the agents still alive, ascending."""
        return np.flatnonzero(self.alive).astype(np.int64)

    @property
    def n_alive(self) -> int:
        """Number of agents alive."""
        return int(np.count_nonzero(self.alive))

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (including spare capacity)."""
        return sum(a.nbytes for a in self._data.values())

    def __len__(self) -> int:
        return self.n_slots

    def __repr__(self) -> str:
        return (
            f"Agents({self.name!r}: {self.n_alive} alive of {self.n_slots} slots, "
            f"fields {', '.join(self.fields)})"
        )
