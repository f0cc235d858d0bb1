"""Resolve an intervention's target against the world: names to index arrays.

Cities act on the states they stand in (GeoNames US cities of 200,000 or more, and the seed's
hubs). Unknown names are errors that say which key and which value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from narcosim.errors import ParameterError
from narcosim.interventions.config import Target
from narcosim.orgs.structure import OrgStructure
from narcosim.world import World


@dataclass(frozen=True)
class ResolvedTarget:
    """Boolean masks over the world's ports, field offices, hubs, states and operators.

    An empty selection of a kind means the intervention's own default (usually all).
    """

    ports: np.ndarray
    field_offices: np.ndarray
    hubs: np.ndarray
    states: np.ndarray
    operators: np.ndarray

    def any(self, kind: str) -> bool:
        """Whether the target names anything of this kind."""
        return bool(getattr(self, kind).any())


def _mask(names: list[str], index: dict[str, int], size: int, key: str, where: str) -> np.ndarray:
    mask = np.zeros(size, dtype=bool)
    for name in names:
        if name not in index:
            known = ", ".join(sorted(index)[:12])
            raise ParameterError(f"{where}: target.{key}: unknown {key[:-1].replace('_', ' ')} "
                                 f"{name!r} (e.g. {known}, …)")
        mask[index[name]] = True
    return mask


def resolve_target(target: Target, world: World, structure: OrgStructure,
                   cities: dict[str, str], where: str = "intervention") -> ResolvedTarget:
    """Turn a target into masks over the world.

    Args:
        target: The configured target.
        world: The geography.
        structure: Cartels and operators.
        cities: US city name -> state postal code (from the atlas ``cities`` and ``hubs``).
        where: Prefix for error messages (e.g. "interventions[2]").

    Raises:
        ParameterError: An unknown port, field office, hub, state, city, cartel or faction.
    """
    port_index = {p.code: i for i, p in enumerate(world.ports)}
    port_index.update({p.name: i for i, p in enumerate(world.ports)})
    fo_index = {f: i for i, f in enumerate(world.field_offices)}
    fo_index.update({f.replace(" FIELD OFFICE", "").title(): i
                     for i, f in enumerate(world.field_offices)})
    hub_index = {h.name: i for i, h in enumerate(world.hubs)}
    state_index = dict(world.state_index)
    states = _mask(target.states, state_index, len(world.states), "states", where)
    for city in target.cities:
        if city not in cities:
            raise ParameterError(f"{where}: target.cities: unknown US city {city!r} (GeoNames "
                                 "cities of 200,000 or more, e.g. 'Los Angeles', 'Phoenix')")
        states[state_index[cities[city]]] = True
    keys = structure.operator_keys
    operators = np.zeros(len(keys), dtype=bool)
    if target.cartel is not None:
        operators |= np.array([structure.operators[k].cartel == target.cartel for k in keys])
    if target.faction is not None:
        if target.faction not in structure.operators:
            raise ParameterError(f"{where}: target.faction: unknown faction "
                                 f"{target.faction!r} (known: {', '.join(keys)})")
        operators[keys.index(target.faction)] = True
    return ResolvedTarget(
        ports=_mask(target.ports, port_index, len(world.ports), "ports", where),
        field_offices=_mask(target.field_offices, fo_index, len(world.field_offices),
                            "field_offices", where),
        hubs=_mask(target.hubs, hub_index, len(world.hubs), "hubs", where),
        states=states,
        operators=operators,
    )
