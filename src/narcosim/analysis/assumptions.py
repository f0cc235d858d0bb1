"""Every assumption behind a comparison, with its source or the word "guess".

:func:`comparison_assumptions` lists, for each arm's interventions, the costs (point value,
range, source) and the lever's parameters (the value used: the scenario's override or the
spec's default, with the spec's source), the kind's own settings (e.g. a leader removal's
release probability, whose description says where it comes from), and the model parameters
whose specs are marked as guesses (``ParamSpec.is_guess``) in every model module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from narcosim.analysis.costs import configs_of
from narcosim.interventions.config import InterventionConfig
from narcosim.interventions.registry import KINDS
from narcosim.scenario.validate import MODULE_CLASSES

#: Fields every intervention has; the others are a kind's own settings.
_COMMON = set(InterventionConfig.model_fields) | {"unit_cost", "unit_cost_range"}


def lever_assumptions(config: InterventionConfig) -> dict[str, Any]:
    """One intervention's costs, settings and lever parameters with their sources."""
    costs = [{"field": name, "value": value, "low": low, "high": high,
              "ranged": high > low}
             for name, (value, (low, high)) in config.cost_ranges().items()
             if value > 0 or high > 0]
    settings = []
    for name, field in type(config).model_fields.items():
        if name in _COMMON:
            continue
        note = field.description or ""
        settings.append({"name": name, "value": getattr(config, name), "source": note,
                         "guess": "guess" in note.lower()})
    parameters = []
    for spec in KINDS[config.kind].param_specs:
        overridden = spec.name in config.parameters
        value = config.parameters[spec.name] if overridden else spec.default
        source = "set in the scenario" if overridden else spec.source
        parameters.append({"name": spec.name, "value": value, "units": spec.units,
                           "source": source, "guess": (not overridden) and spec.is_guess,
                           "doc": spec.doc})
    return {"label": config.label, "kind": config.kind,
            "start": config.start.isoformat(), "end": config.end.isoformat(),
            "intensity": config.intensity, "costs": costs,
            "cost_source": config.cost_source.strip() or "guess: no source given",
            "cost_guess": config.cost_is_guess, "settings": settings,
            "parameters": parameters}


def model_guesses() -> list[dict[str, Any]]:
    """The model parameters whose spec marks the default as a guess, module by module."""
    out = []
    for module, cls in MODULE_CLASSES.items():
        for spec in cls.param_specs:
            if spec.is_guess:
                default = spec.default
                if hasattr(default, "tolist"):
                    default = default.tolist()
                out.append({"module": module, "name": spec.name, "value": default,
                            "units": spec.units, "source": spec.source, "doc": spec.doc})
    return out


def comparison_assumptions(arms: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]
                           ) -> dict[str, Any]:
    """The assumptions of a comparison.

    Args:
        arms: ``(arm name, its interventions as JSON-ready dicts)``, baseline first.

    Returns:
        ``{"levers": {arm: [lever, ...]}, "model_guesses": [...], "counts": {...}}``.
    """
    levers = {name: [lever_assumptions(c) for c in configs_of(ivs)] for name, ivs in arms}
    guesses = model_guesses()
    n_specs = sum(len(cls.param_specs) for cls in MODULE_CLASSES.values())
    return {"levers": levers, "model_guesses": guesses,
            "counts": {"model_parameters": n_specs, "model_guesses": len(guesses)}}
