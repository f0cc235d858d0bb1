"""Cartel structures: the Sinaloa umbrella, the CJNG franchise and the independents.

The DEA's 2024 National Drug Threat Assessment (NDTA) describes two structures:

* **Sinaloa, an umbrella.** Four independent factions — Los Chapitos, Ismael "El Mayo"
  Zambada, Aureliano "El Guano" Guzmán and Rafael Caro Quintero (NDTA 2024, as reported) —
  that "share resources – like smuggling routes, corrupt contacts, access to illicit chemical
  suppliers and money laundering networks – without sharing profits or having to answer to a
  main chain of command". Removing one faction leaves the others running, and the routes and
  contacts it used stay in the shared pool.
* **CJNG, a franchise.** A leader and a few commanders set brand and supply; franchise cells
  adapt to local markets and open fast where margins are high. Removing the centre slows
  coordination and expansion; the franchises already open go on.
* **Independents** that the two squeeze out ("effectively eliminated any competition",
  NDTA 2024).

Everything here is structure, not behaviour: which operator (a faction, the CJNG command,
the independents) may use which crossing, who shares what, and who sells where. The supply
modules in :mod:`narcosim.model` read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

Structure = Literal["umbrella", "franchise", "independent"]
Resource = Literal["routes", "corrupt_contacts", "chemical_suppliers", "laundering"]

#: What the NDTA 2024 says the Sinaloa factions share (but not profits).
UMBRELLA_SHARED: frozenset[str] = frozenset(
    {"routes", "corrupt_contacts", "chemical_suppliers", "laundering"}
)


@dataclass(frozen=True)
class Operator:
    """A unit that produces, ships and sells on its own account.

    Attributes:
        key: Stable identifier, e.g. ``"sinaloa.chapitos"``.
        cartel: Key of the cartel it belongs to.
        name: Display name.
        staging_city: Mexican city (GeoNames name) where its product is staged; sets route costs.
        own_ports: CBP port codes of the crossings it runs itself (its own routes).
        supply_share: Share of the national flow of each drug it supplies at the start.
    """

    key: str
    cartel: str
    name: str
    staging_city: str
    own_ports: tuple[str, ...]
    supply_share: dict[str, float]


@dataclass(frozen=True)
class Cartel:
    """A cartel: its structure, its operators and what they share.

    Attributes:
        key: ``"sinaloa"``, ``"cjng"`` or ``"independents"``.
        name: Display name.
        structure: ``"umbrella"``, ``"franchise"`` or ``"independent"``.
        bacrim_node: Node id in the Prieto-Curiel et al. (2023) network, when it has one.
        operators: Keys of its operators.
        shared: Resources its operators pool (routes, corrupt contacts, chemical suppliers,
            laundering). Profits are never shared.
        central_command: Whether a centre coordinates expansion (the franchise model).
    """

    key: str
    name: str
    structure: Structure
    bacrim_node: str | None
    operators: tuple[str, ...]
    shared: frozenset[str] = field(default_factory=frozenset)
    central_command: bool = False


# Port codes are CBP's (BTS Border Crossing Entry Data). Which faction "owns" which crossing is a
# guess from open reporting on plazas (Tijuana/Mexicali for Los Chapitos and El Mayo, Sonora for
# El Guano and Caro Quintero, Ciudad Juárez contested, Tamaulipas for CJNG's allies and the
# independents); the umbrella shares them all anyway. Every one of the 28 ports has an operator.


def default_operators() -> dict[str, Operator]:
    """The operators of the default world.

    Supply shares are guesses (marked as such): the NDTA 2024 names Sinaloa and CJNG as the
    dominant suppliers of fentanyl and methamphetamine, Los Chapitos as the leading fentanyl
    faction and CJNG as "a main supplier of cocaine ... especially on the East Coast"; no
    published figures split the US supply among them. Each drug's shares sum to 1.

    Returns:
        Operators by key, in a fixed order.
    """
    ops = [
        Operator("sinaloa.chapitos", "sinaloa", "Los Chapitos", "Culiacán",
                 ("2504", "2506", "2582", "2402"),
                 {"fentanyl": 0.30, "methamphetamine": 0.15, "cocaine": 0.10}),  # guess
        Operator("sinaloa.mayo", "sinaloa", "El Mayo (Zambada)", "Culiacán",
                 ("2503", "2507", "2502", "2608", "2505"),
                 {"fentanyl": 0.15, "methamphetamine": 0.20, "cocaine": 0.18}),  # guess
        Operator("sinaloa.guano", "sinaloa", "El Guano (A. Guzmán)", "Culiacán",
                 ("2604", "2603", "2601"),
                 {"fentanyl": 0.08, "methamphetamine": 0.08, "cocaine": 0.07}),  # guess
        Operator("sinaloa.caro_quintero", "sinaloa", "Caro Quintero", "Hermosillo",
                 ("2602", "2606", "2403", "2401"),
                 {"fentanyl": 0.05, "methamphetamine": 0.05, "cocaine": 0.05}),  # guess
        Operator("cjng.command", "cjng", "CJNG", "Guadalajara",
                 ("2504", "2505", "2404", "2408", "2406", "2304", "2302", "2303", "2305"),
                 {"fentanyl": 0.35, "methamphetamine": 0.42, "cocaine": 0.50}),  # guess
        Operator("independents", "independents", "Independents", "Reynosa",
                 ("2304", "2305", "2301", "2309", "2307", "2310", "2410"),
                 {"fentanyl": 0.07, "methamphetamine": 0.10, "cocaine": 0.10}),  # guess
    ]
    return {op.key: op for op in ops}


def default_cartels() -> dict[str, Cartel]:
    """The three cartels of the default world: the umbrella, the franchise, the independents.

    Returns:
        Cartels by key.
    """
    return {
        "sinaloa": Cartel(
            "sinaloa", "Sinaloa Cartel", "umbrella", "N10013",
            ("sinaloa.chapitos", "sinaloa.mayo", "sinaloa.guano", "sinaloa.caro_quintero"),
            shared=UMBRELLA_SHARED, central_command=False,
        ),
        "cjng": Cartel(
            "cjng", "Cártel Jalisco Nueva Generación (CJNG)", "franchise", "N10025",
            ("cjng.command",), shared=frozenset(), central_command=True,
        ),
        "independents": Cartel(
            "independents", "Independent traffickers", "independent", None,
            ("independents",), shared=frozenset(), central_command=False,
        ),
    }


@dataclass(frozen=True)
class OrgStructure:
    """Cartels and operators together, with the rules that follow from the structure.

    Attributes:
        cartels: Cartels by key.
        operators: Operators by key (fixed order: index ``i`` is ``list(operators)[i]``).
        removed: Operators taken out (their leadership removed and not yet replaced).
    """

    cartels: dict[str, Cartel]
    operators: dict[str, Operator]
    removed: frozenset[str] = frozenset()

    @classmethod
    def default(cls) -> OrgStructure:
        """The default structure: Sinaloa's four factions, CJNG, the independents."""
        return cls(default_cartels(), default_operators())

    @property
    def operator_keys(self) -> list[str]:
        """Operator keys in their fixed order."""
        return list(self.operators)

    def cartel_of(self, operator: str) -> Cartel:
        """The cartel an operator belongs to."""
        return self.cartels[self.operators[operator].cartel]

    def without(self, operator: str) -> OrgStructure:
        """This structure with one operator removed (e.g. a faction's leadership taken out)."""
        if operator not in self.operators:
            known = ", ".join(self.operators)
            raise KeyError(f"unknown operator {operator!r} (known: {known})")
        return replace(self, removed=self.removed | {operator})

    def with_sharing(self, cartel: str, shared: frozenset[str]) -> OrgStructure:
        """This structure with a cartel sharing another set of resources (a counterfactual)."""
        cartels = dict(self.cartels)
        cartels[cartel] = replace(cartels[cartel], shared=frozenset(shared))
        return replace(self, cartels=cartels)

    def active(self, operator: str) -> bool:
        """Whether an operator is still running."""
        return operator not in self.removed

    def usable_ports(self, operator: str) -> set[str]:
        """The crossings an operator may use.

        Its own routes, plus — when its cartel shares routes (the umbrella) — every route of
        its cartel's operators, removed ones included: a removed faction's routes stay in the
        shared pool for the others.
        """
        op = self.operators[operator]
        ports = set(op.own_ports)
        cartel = self.cartels[op.cartel]
        if "routes" in cartel.shared:
            for other in cartel.operators:
                ports.update(self.operators[other].own_ports)
        return ports

    def corrupt_ports(self, operator: str) -> set[str]:
        """The crossings where an operator benefits from corrupt contacts.

        Each operator has contacts at its own crossings; an umbrella pools them, so each
        faction benefits at every faction's crossings, removed factions' included.
        """
        op = self.operators[operator]
        cartel = self.cartels[op.cartel]
        if cartel.structure == "independent":
            return set()
        if "corrupt_contacts" in cartel.shared:
            return {p for other in cartel.operators for p in self.operators[other].own_ports}
        return set(op.own_ports)

    def shares_intelligence(self, a: str, b: str) -> bool:
        """Whether two operators pool what they learn about route risk (same umbrella)."""
        ca, cb = self.cartel_of(a), self.cartel_of(b)
        return ca.key == cb.key and "routes" in ca.shared
