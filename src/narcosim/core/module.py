"""The :class:`Module` base: declared parameters, a fixed lifecycle, own results.

Lifecycle, called by :class:`~narcosim.core.sim.Sim` in the order its plan shows:

1. ``init_pre(sim)`` for every module, in list order: create streams
   (``self.stream("name")``), declare results (``self.results.define(...)``),
   allocate agents. Other modules exist but may not be initialised yet.
2. ``init_post()`` for every module: initial state that needs other modules
   (look them up with ``self.sim.modules["name"]``); draws use
   ``step=INIT_STEP``.
3. for each step ``sim.ti``: ``step()`` for every module, then
   ``update_results()`` for every module.
4. ``finalize()`` for every module.

Subclasses set ``name`` (default: the class name in lower case) and
``param_specs`` (a tuple of :class:`ParamSpec`), and override the phases
they need; the base phases do nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from narcosim.core.params import ParamSet, ParamSpec, to_json_schema
from narcosim.core.random import Stream
from narcosim.core.results import Results

if TYPE_CHECKING:
    from narcosim.core.sim import Sim

#: The lifecycle phases, in the order a run calls them.
PHASES: tuple[str, ...] = ("init_pre", "init_post", "step", "update_results", "finalize")


class Module:
    """Base class of every model part.

    Args:
        pars: Parameter overrides by name (checked against ``param_specs``).
        name: Instance name; defaults to the class attribute ``name``.
        **kwargs: More overrides, merged over ``pars``.

    Raises:
        ParameterError: Unknown parameter, out-of-bounds value or wrong units.
    """

    name: ClassVar[str] = ""
    param_specs: ClassVar[Sequence[ParamSpec]] = ()

    def __init__(
        self, pars: Mapping[str, Any] | None = None, name: str | None = None, **kwargs: Any
    ) -> None:
        self.name = name or type(self).name or type(self).__name__.lower()
        self.pars = ParamSet(self.param_specs, {**(pars or {}), **kwargs}, module=self.name)
        self.sim: Sim | None = None
        self.results: Results | None = None

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema (draft 2020-12) of this module's parameters."""
        return to_json_schema(cls.param_specs, cls.name or cls.__name__.lower())

    def bind(self, sim: Sim) -> None:
        """Attach to a sim and create empty results; called by the sim before ``init_pre``."""
        self.sim = sim
        self.results = Results(self.name, sim.timeline)

    def stream(self, decision: str) -> Stream:
        """Create this module's random stream for one decision, named ``"<module>.<decision>"``."""
        if self.sim is None:
            raise RuntimeError(f"module {self.name!r}: create streams in init_pre, not earlier")
        return self.sim.streams.stream(f"{self.name}.{decision}")

    def init_pre(self, sim: Sim) -> None:
        """Create streams, declare results and allocate state (no cross-module reads)."""

    def init_post(self) -> None:
        """Set initial state that depends on other modules."""

    def step(self) -> None:
        """Advance this module by one step (``self.sim.ti``)."""

    def update_results(self) -> None:
        """Record this step's metrics into ``self.results``."""

    def finalize(self) -> None:
        """Finish after the last step (derived results, checks)."""

    def __repr__(self) -> str:
        changed = ", ".join(f"{k}={self.pars[k]!r}" for k in self.pars.overridden)
        return f"{type(self).__name__}(name={self.name!r}{', ' + changed if changed else ''})"
