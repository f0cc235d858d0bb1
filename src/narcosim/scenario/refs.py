"""What scenario targets are checked against: the world, the cartels and the US cities."""

from __future__ import annotations

from dataclasses import dataclass

from narcosim.atlas.store import Atlas
from narcosim.orgs.structure import OrgStructure
from narcosim.world import World


def us_cities(atlas: Atlas, world: World | None = None) -> dict[str, str]:
    """US city name -> state postal code, for targets that name cities.

    From the atlas ``cities`` table (GeoNames US cities of 200,000 or more; ``admin1`` is the
    postal code) plus the seed's hubs, whose names can differ from GeoNames' ("New York" is a
    hub, GeoNames says "New York City").

    Args:
        atlas: The opened atlas store.
        world: The world, if already built (its hubs are used instead of the table).
    """
    cities = atlas.table("cities")
    us = cities[cities["country"] == "US"]
    out = {str(name): str(state) for name, state in zip(us["name"], us["admin1"], strict=True)}
    if world is not None:
        out.update({h.name: h.state_abbr for h in world.hubs})
    else:
        hubs = atlas.table("hubs")
        out.update({str(h): str(s) for h, s in zip(hubs["hub"], hubs["state_abbr"], strict=True)})
    return out


@dataclass(frozen=True)
class WorldRefs:
    """The names a scenario's targets may use.

    Attributes:
        world: Geography (states, ports, field offices, hubs).
        structure: Cartels and their operators (factions).
        cities: US city -> state postal code.
    """

    world: World
    structure: OrgStructure
    cities: dict[str, str]

    @classmethod
    def from_atlas(cls, atlas: Atlas, world: World | None = None,
                   structure: OrgStructure | None = None) -> WorldRefs:
        """Read the world and the cities from an atlas store (default cartel structure)."""
        world = world or World.from_atlas(atlas)
        return cls(world, structure or OrgStructure.default(), us_cities(atlas, world))

    def __repr__(self) -> str:
        return (f"WorldRefs({len(self.world.states)} states, {len(self.world.ports)} ports, "
                f"{len(self.cities)} cities, {len(self.structure.operator_keys)} operators)")
