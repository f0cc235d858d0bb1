"""The :class:`Sim`: modules, a timeline and a seed, run from an explicit loop plan.

``sim.plan()`` returns the exact sequence of ``(step, module, phase)`` calls a
run makes, and ``sim.run()`` executes that very sequence, so what the plan
shows is what happens. ``sim.print_plan()`` prints it compactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from narcosim.core.module import Module
from narcosim.core.random import Streams
from narcosim.core.results import SimResults
from narcosim.core.time import Timeline
from narcosim.errors import ParameterError

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PlanCall:
    """One call of the loop plan.

    Attributes:
        step: Step index, or None for the init and finalize phases.
        module: Module name.
        phase: ``init_pre``, ``init_post``, ``step``, ``update_results`` or ``finalize``.
    """

    step: int | None
    module: str
    phase: str


class LoopPlan(Sequence[PlanCall]):
    """The ordered calls of a run; ``str()`` gives a compact, readable summary."""

    def __init__(self, calls: list[PlanCall], timeline: Timeline) -> None:
        self.calls = calls
        self.timeline = timeline

    def __getitem__(self, i):  # type: ignore[no-untyped-def]
        return self.calls[i]

    def __len__(self) -> int:
        return len(self.calls)

    def __iter__(self) -> Iterator[PlanCall]:
        return iter(self.calls)

    def __str__(self) -> str:
        tl = self.timeline
        lines = [f"loop plan: {len(self.calls)} calls over {tl!r}", "setup:"]
        lines += [f"  {c.module}.{c.phase}" for c in self.calls if c.step is None and
                  c.phase.startswith("init")]
        first = [c for c in self.calls if c.step == 0]
        lines.append(f"each step t = 0..{tl.n_steps - 1} ({tl.dates[0]} .. {tl.dates[-1]}):")
        lines += [f"  {i + 1}. {c.module}.{c.phase}" for i, c in enumerate(first)]
        lines.append("end:")
        lines += [f"  {c.module}.{c.phase}" for c in self.calls if c.phase == "finalize"]
        return "\n".join(lines)


class Sim:
    """A run: modules stepped over a timeline with named random streams.

    Args:
        modules: The model parts, in the order they step.
        timeline: The calendar steps.
        seed: Run seed (non-negative integer); same seed, same results.
        name: Label for ``repr`` and outputs.

    Raises:
        ParameterError: Two modules share a name, or the seed is invalid.

    Attributes:
        modules: Module name -> module, in step order.
        streams: The run's named random streams.
        ti: Index of the current step (-1 before the first step).
    """

    def __init__(
        self, modules: Sequence[Module], timeline: Timeline, seed: int = 0, name: str = "sim"
    ) -> None:
        self.name = name
        self.timeline = timeline
        self.streams = Streams(seed)
        self.seed = self.streams.seed
        self.modules: dict[str, Module] = {}
        for module in modules:
            if module.name in self.modules:
                raise ParameterError(f"sim {name!r}: two modules are named {module.name!r}")
            self.modules[module.name] = module
        self.ti = -1
        self.initialized = False
        self.complete = False

    @property
    def dt_days(self) -> int:
        """Step length in days."""
        return self.timeline.dt_days

    @property
    def date(self) -> date:
        """First day of the current step (the timeline start before the run)."""
        return self.timeline.date_of(max(self.ti, 0))

    def plan(self) -> LoopPlan:
        """The explicit sequence of (step, module, phase) calls that :meth:`run` makes."""
        names = list(self.modules)
        calls = [PlanCall(None, m, "init_pre") for m in names]
        calls += [PlanCall(None, m, "init_post") for m in names]
        for ti in range(self.timeline.n_steps):
            calls += [PlanCall(ti, m, "step") for m in names]
            calls += [PlanCall(ti, m, "update_results") for m in names]
        calls += [PlanCall(None, m, "finalize") for m in names]
        return LoopPlan(calls, self.timeline)

    def print_plan(self) -> None:
        """Print the loop plan in compact form."""
        print(self.plan())

    def init(self) -> Sim:
        """Bind the modules and run the init phases (``run`` calls this if needed)."""
        if not self.initialized:
            for call in self.plan().calls[: 2 * len(self.modules)]:
                self._call(call)
            self.initialized = True
        return self

    def run(self, progress: Progress | None = None) -> Sim:
        """Run every step, then finalize.

        Args:
            progress: Called as ``progress(steps_done, n_steps)`` after each step.

        Returns:
            This sim, for chaining (``Sim(...).run().results``).

        Raises:
            RuntimeError: The sim has already run.
        """
        if self.complete:
            raise RuntimeError(f"sim {self.name!r} has already run; build a new Sim")
        self.init()
        plan = self.plan()
        n_setup = 2 * len(self.modules)
        n_steps = self.timeline.n_steps
        per_step = 2 * len(self.modules)
        bound = [self._method(c) for c in plan.calls[n_setup : n_setup + per_step]]
        for ti in range(n_steps):
            self.ti = ti
            for method in bound:
                method()
            if progress is not None:
                progress(ti + 1, n_steps)
        for call in plan.calls[n_setup + n_steps * per_step :]:
            self._call(call)
        self.complete = True
        return self

    def _method(self, call: PlanCall) -> Callable[..., Any]:
        return getattr(self.modules[call.module], call.phase)

    def _call(self, call: PlanCall) -> None:
        module = self.modules[call.module]
        if call.phase == "init_pre":
            module.bind(self)
            module.init_pre(self)
        else:
            self._method(call)()

    @property
    def results(self) -> SimResults:
        """Every module's results (filled as the run goes)."""
        return SimResults({n: m.results for n, m in self.modules.items() if m.results is not None})

    def pars(self) -> dict[str, dict[str, Any]]:
        """Resolved parameters of every module, ready for JSON."""
        return {n: m.pars.to_dict() for n, m in self.modules.items()}

    def __repr__(self) -> str:
        state = "complete" if self.complete else ("initialized" if self.initialized else "new")
        return (
            f"Sim({self.name!r}, seed={self.seed}, {self.timeline!r}, "
            f"modules=[{', '.join(self.modules)}], {state})"
        )
