"""Trafficking: loads cross the southwest border, CBP seizes some, the rest reach the hubs.

Each week every operator sends its Mexican stock north as discrete loads (shipments) whose
sizes follow CBP's pounds per seizure event for the drug and fiscal year. A load picks a
crossing by a multinomial logit over the crossings its cartel may use: the fitted corridor
weight, the crossing's share of its field office's traffic (BTS), the distance from the
operator's staging city, and the perceived risk its operator learned from its own seizures
(NarcoLogic, :mod:`narcosim.model.narcologic`). At the port, the Office of Field Operations
seizes it with a probability lowered where the operator has corrupt contacts; a load the
port missed may be seized by Border Patrol in the corridor. What passes goes to the hub
nearest the port.

Common random numbers: every decision has its own stream and each (operator, drug) its own
key, and load ``i`` of that key always takes slot ``i``, so one extra load changes only what
it touches.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from scipy import special

from narcosim.core.levers import Lever, Levers
from narcosim.core.module import Module
from narcosim.core.params import ParamSpec
from narcosim.core.sim import Sim
from narcosim.errors import ParameterError
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.inputs import SupplyInputs
from narcosim.model.narcologic import ALPHA, BETA, TIME_WEIGHT, PerceivedRisk, choice_probabilities

COMPONENTS: tuple[str, ...] = ("OFO", "USBP")


def _unit(x: np.ndarray) -> np.ndarray:
    """``np.clip(x, 0, 1)`` (the same values; ``np.clip`` is several times slower)."""
    return np.minimum(np.maximum(x, 0.0), 1.0)


class Trafficking(Module):
    """Loads, crossing choice, CBP interdiction and arrivals at the hubs.

    Args:
        inputs: The run's supply inputs.
        pars: Parameter overrides.
    """

    name = "trafficking"
    #: What border and hub interventions may change, each for one step.
    lever_specs: ClassVar[tuple[Lever, ...]] = (
        Lever("port_pressure", "scale", 0.0, np.inf, 1.0,
              doc="Multiplier on the port seizure probability, per port (border surge)."),
        Lever("corridor_pressure", "scale", 0.0, np.inf, 1.0,
              doc="Multiplier on Border Patrol's seizure probability, per field office."),
        Lever("hub_diversion", "add", 0.0, 1.0, 0.0,
              doc="Share of the loads bound for each hub diverted to the next-nearest."),
    )
    param_specs: ClassVar[list[ParamSpec]] = [
        ParamSpec("ofo_interdiction", 0.10, "probability", 0.0, 1.0,
                  source="guess: no published estimate of the share of loads CBP stops at the "
                         "ports; flows are fitted to seizures given this value",
                  doc="Probability that the port (OFO) seizes a load it inspects.",
                  prior=(0.05, 0.25),
                  prior_source="guess: ports stop one load in twenty to one in four"),
        ParamSpec("corruption_factor", 0.7, "ratio", 0.0, 1.0,
                  source="guess: NDTA 2024 — corrupt contacts let Sinaloa 'operate freely'; "
                         "the size of the effect is not published",
                  doc="Multiplier on the port's seizure probability where the operator has "
                      "corrupt contacts.",
                  prior=(0.4, 1.0),
                  prior_source="guess: from a large effect to none"),
        ParamSpec("risk_aversion", 4.0, "utility", 0.0, 50.0,
                  source="guess: utility lost per unit of perceived seizure risk",
                  doc="Weight of perceived risk in the crossing choice.",
                  prior=(1.0, 10.0),
                  prior_source="guess: a quarter to two and a half times the default weight"),
        ParamSpec("distance_cost", 0.5, "utility per 1000 km", 0.0, 10.0,
                  source="guess: utility lost per 1,000 km from the staging city to the port",
                  doc="Weight of distance in the crossing choice.",
                  prior=(0.1, 1.5),
                  prior_source="guess: a fifth to three times the default weight"),
        ParamSpec("load_size_sigma", 0.8, "dimensionless", 0.0, 3.0,
                  source="guess: log-normal spread of load sizes around CBP's mean lb/event",
                  doc="Standard deviation of log load size.",
                  prior=(0.4, 1.2),
                  prior_source="guess: half to one and a half times the default spread"),
        ParamSpec("risk_alpha", ALPHA, "dimensionless", 0.0, 100.0,
                  source="Magliocca et al., PNAS 116(16) 2019 (NarcoLogic): alpha = 2",
                  doc="Prior pseudo-seizures of perceived risk.",
                  prior=(1.0, 4.0),
                  prior_source="guess: NarcoLogic fixes 2; half to twice that"),
        ParamSpec("risk_beta", BETA, "dimensionless", 0.0, 100.0,
                  source="Magliocca et al., PNAS 116(16) 2019 (NarcoLogic): beta = 0.5",
                  doc="Prior pseudo-passes of perceived risk.",
                  prior=(0.25, 1.0),
                  prior_source="guess: NarcoLogic fixes 0.5; half to twice that"),
        ParamSpec("risk_time_weight", TIME_WEIGHT, "fraction", 0.0, 1.0,
                  source="Magliocca et al., PNAS 116(16) 2019 (NarcoLogic): time weight 0.91",
                  doc="Weight of the past per step in perceived risk.",
                  prior=(0.8, 0.97),
                  prior_source="guess: NarcoLogic fixes 0.91; memories of a few to many weeks"),
    ]

    def __init__(self, inputs: SupplyInputs, pars: dict[str, Any] | None = None) -> None:
        super().__init__(pars)
        self.inputs = inputs
        structure = inputs.structure
        ports = [p.code for p in inputs.world.ports]
        keys = structure.operator_keys
        self.allowed = np.array([[p in structure.usable_ports(k) for p in ports] for k in keys])
        self.corrupt = np.array([[p in structure.corrupt_ports(k) for p in ports] for k in keys])
        groups: dict[str, int] = {}
        self.group_of = np.array([
            groups.setdefault(structure.operators[k].cartel
                              if "routes" in structure.cartel_of(k).shared else k, len(groups))
            for k in keys
        ])
        #: Multiplier on the port seizure probability per port (interventions raise it).
        self.port_pressure = np.ones(len(ports))
        #: Multiplier on the Border Patrol seizure probability per field office.
        self.corridor_pressure = np.ones(len(inputs.world.field_offices))
        #: Share of the loads bound for each hub diverted to the next-nearest hub (a take-down).
        self.hub_diversion = np.zeros(len(inputs.world.hubs))
        self.levers = Levers(self, self.lever_specs)
        km = np.asarray(inputs.world.port_to_hub_km)
        self.port_hub_alt = np.argsort(km, axis=1)[:, 1]
        self._extra: list[tuple[int, int, float]] = []

    def init_pre(self, sim: Sim) -> None:
        """Create streams, learning state and results."""
        # compiled (numba) load sizes, loaded when a run starts rather than on import
        from narcosim.model import trafficking_kernel

        self._kernel = trafficking_kernel
        n_ops, n_d = self.inputs.n_ops, len(SUPPLY_DRUGS)
        #: Operator, drug and index of each (operator, drug) key, operator-major.
        self._key_op = np.repeat(np.arange(n_ops), n_d)
        self._key_drug = np.tile(np.arange(n_d), n_ops)
        self._keys = np.arange(n_ops * n_d)
        self._allowed_key = self.allowed[self._key_op]
        self._log_corridor_cache: dict[int, np.ndarray] = {}
        world = self.inputs.world
        self.risk = PerceivedRisk(self.group_of, len(world.ports), self.pars.risk_alpha,
                                  self.pars.risk_beta, self.pars.risk_time_weight)
        self.s_size = self.stream("load_size")
        self.s_route = self.stream("crossing")
        self.s_ofo = self.stream("port_seizure")
        self.s_usbp = self.stream("patrol_seizure")
        self.arrivals = np.zeros((n_ops, n_d, len(world.hubs)))
        self.seized_total = np.zeros(n_d)
        self.last: dict[str, np.ndarray] = {}
        fo, ports = world.field_offices, tuple(p.code for p in world.ports)
        ops = tuple(self.inputs.structure.operator_keys)
        r = self.results
        r.define("seized_kg", {"drug": SUPPLY_DRUGS, "field_office": fo, "component": COMPONENTS},
                 units="kg per step", doc="Southwest-border seizures, as CBP reports them.")
        r.define("seized_events", {"drug": SUPPLY_DRUGS, "field_office": fo,
                                   "component": COMPONENTS}, dtype=np.int64,
                 units="loads per step", doc="Loads seized (CBP 'Count of Event').")
        r.define("crossing_kg", {"drug": SUPPLY_DRUGS, "port": ports}, units="kg per step",
                 doc="Product sent through each port (seized or not).")
        r.define("operator_port_kg", {"operator": ops, "port": ports}, units="kg per step",
                 doc="Product each operator sent through each port.")
        r.define("passed_kg", {"drug": SUPPLY_DRUGS}, units="kg per step",
                 doc="Product that crossed and reached a hub.")

    def inject(self, operator: int, drug: int, kg: float) -> None:
        """Add one extra load this step, outside production (for counterfactual tests)."""
        self._extra.append((operator, drug, float(kg)))

    def _loads(self, ti: int, stock: np.ndarray, mean_kg: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sizes of the loads each (operator, drug) key sends from its ``stock``.

        Key ``j = operator * n_drugs + drug`` draws ``ceil(3 stock / mean) + 20`` candidate
        log-normal sizes (slot ``i`` = load ``i``; none when it has no stock) and sends the
        longest prefix its stock covers. Every key's draw, and what each sent, are made in
        one call each (:meth:`~narcosim.core.random.Stream.random_segments`,
        :func:`~narcosim.model.trafficking_kernel.ship`), the same numbers as key by key.

        Returns:
            The sent sizes end to end in key order, the number sent per key and the kg sent
            per key.
        """
        sigma = self.pars.load_size_sigma
        has = stock > 0
        n_max = np.zeros(stock.size, dtype=np.int64)
        n_max[has] = np.ceil(3.0 * stock[has] / mean_kg[has]).astype(np.int64) + 20
        u = self.s_size.random_segments(ti, range(stock.size), n_max)
        shift = np.zeros(stock.size)
        shift[has] = np.log(mean_kg[has]) - sigma**2 / 2
        sizes = np.exp(np.repeat(shift, n_max) + sigma * special.ndtri(u))
        return self._kernel.ship(sizes, n_max, stock)

    def step(self) -> None:
        """Send this week's loads, seize some, deliver the rest to the hubs.

        Every (operator, drug) key has its own random key in each stream, and its loads take
        slots ``0, 1, ...`` in it; all keys are drawn together (the same numbers as drawing
        them one by one).
        """
        sim, inputs = self.sim, self.inputs
        ti = sim.ti
        production = sim.modules["production"]
        fitted = inputs.fitted
        fy = fitted.fy_index(int(sim.timeline.fiscal_years[ti]))
        fo_of_port = inputs.port_fo
        risk = self.risk.risk()
        base_u = (np.log(inputs.port_traffic_share)[None, :]
                  - self.pars.distance_cost * inputs.operator_port_km / 1000.0
                  - self.pars.risk_aversion * risk)
        p_port = _unit(self.pars.ofo_interdiction * self.port_pressure[None, :]
                       * np.where(self.corrupt, self.pars.corruption_factor, 1.0))
        key_op, key_drug, keys = self._key_op, self._key_drug, self._keys
        kg, n, sent_kg = self._loads(ti, production.stock.ravel(),
                                     fitted.shipment_kg[key_drug, fy])
        production.stock -= sent_kg.reshape(production.stock.shape)
        if self._extra:
            kg, n = self._add_extra(kg, n, production)
        key = np.repeat(keys, n)
        util = base_u[key_op] + self._log_corridor(fy)
        probs = choice_probabilities(util, self._allowed_key)
        cum = np.cumsum(probs, axis=1)
        total = cum[:, -1:]
        sent = n > 0
        if np.any(total[sent] <= 0):
            raise ParameterError(f"stream {self.s_route.name!r}: choice probabilities sum "
                                 "to zero")
        # Stream.choice per key: searchsorted(cum / total, u, "right"), in the kernel
        cum /= np.where(total > 0, total, 1.0)
        u_route = self.s_route.random_segments(ti, keys[sent], n[sent])
        u_ofo = self.s_ofo.random_segments(ti, keys, n)
        u_usbp = self.s_usbp.random_segments(ti, keys, n)
        port, ofo, usbp, op, drug = self._kernel.cross(
            key, cum, u_route, u_ofo, u_usbp, key_op, key_drug, p_port, fitted.usbp_prob,
            self.corridor_pressure, fo_of_port)
        self._settle({"op": op, "drug": drug, "kg": kg, "port": port, "ofo": ofo,
                      "usbp": usbp})

    def _log_corridor(self, fy: int) -> np.ndarray:
        """Log corridor weight of each (operator, drug) key's drug at each port, per year."""
        if fy not in self._log_corridor_cache:
            weight = np.log(self.inputs.fitted.corridor_weight[:, fy])[:, self.inputs.port_fo]
            self._log_corridor_cache[fy] = weight[self._key_drug]
        return self._log_corridor_cache[fy]

    def _add_extra(self, kg: np.ndarray, n: np.ndarray, production: Any
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Append the injected loads to their keys' loads (after them, in the order given)."""
        n_d = len(SUPPLY_DRUGS)
        extra, self._extra = self._extra, []
        ends = np.cumsum(n)
        at = [int(ends[o * n_d + d]) for o, d, _ in extra]
        kg = np.insert(kg, at, [size for _, _, size in extra])
        n = n.copy()
        for j in sorted({o * n_d + d for o, d, _ in extra}):
            added = [size for o, d, size in extra if o * n_d + d == j]
            n[j] += len(added)
            production.produced_total[j % n_d] += sum(added)
        return kg, n

    def _settle(self, loads: dict[str, np.ndarray]) -> None:
        """Book seizures, arrivals at the hubs and what the operators learned."""
        inputs = self.inputs
        n_d = len(SUPPLY_DRUGS)
        n_fo, n_ports = len(inputs.world.field_offices), len(inputs.world.ports)
        seized = loads["ofo"] | loads["usbp"]
        self.risk.update(loads["op"], loads["port"], seized)
        shape = self.arrivals.shape
        kg_seized, ev_seized, arrivals, seized_drug, crossing, op_port, passed = (
            self._kernel.settle(loads["op"], loads["drug"], loads["kg"], loads["port"],
                                loads["ofo"], loads["usbp"], inputs.port_fo, inputs.port_hub,
                                self.port_hub_alt, self.hub_diversion, shape[0], n_d, n_fo))
        self.arrivals = arrivals.reshape(shape)
        self.seized_total += seized_drug
        self.last = {
            "seized_kg": kg_seized.reshape(n_d, n_fo, 2),
            "seized_events": ev_seized.reshape(n_d, n_fo, 2),
            "crossing_kg": crossing.reshape(n_d, n_ports),
            "operator_port_kg": op_port.reshape(inputs.n_ops, n_ports),
            "passed_kg": passed,
        }
        self.loads = loads

    def update_results(self) -> None:
        """Record seizures, crossings and arrivals."""
        ti = self.sim.ti
        for name, value in self.last.items():
            self.results[name][ti] = value
        self.levers.reset()
