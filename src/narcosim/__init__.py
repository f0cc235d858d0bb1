"""narcosim: cartel drug supply into the United States and the overdose deaths it causes.

The public API (stable; see ``docs/index.md`` and the API reference)::

    import narcosim as ns
    sim = ns.Sim.from_scenario("status_quo", seed=1, scale=100)
    sim.run()
    df = sim.results.to_frame()
    comparison = ns.compare(["status_quo", "naloxone_expansion"], runs=10)
    run = ns.load_run("runs/status_quo-seed1")

* :class:`Sim`: build a scenario's model (:meth:`Sim.from_scenario`), run it, save it;
* :func:`compare`: scenarios side by side with common random numbers (:class:`Comparison`);
* :func:`load_run`, :func:`load_ensemble`, :func:`load_comparison`: finished folders as tidy
  pandas frames (``docs/outputs.md``);
* :class:`Module`, :class:`Intervention`: the base classes to extend the model with
  (``docs/extending.md``);
* :class:`ParameterError`, :class:`StoreError`: the errors bad input raises.
"""

__version__ = "0.1.0"

# After __version__: modules below read narcosim.__version__ when they run.
from narcosim.api import Comparison, Sim, compare
from narcosim.core.module import Module
from narcosim.errors import ParameterError, StoreError
from narcosim.interventions.base import Intervention
from narcosim.loaders import load_comparison, load_ensemble, load_run

__all__ = [
    "Comparison",
    "Intervention",
    "Module",
    "ParameterError",
    "Sim",
    "StoreError",
    "__version__",
    "compare",
    "load_comparison",
    "load_ensemble",
    "load_run",
]
