"""The parameters a sensitivity analysis varies: the model's specs that carry a prior range.

A parameter is named ``module.name`` (``people.od_meth``), the module one of the whole-run
model's parts (:data:`narcosim.model.builder.MODULE_NAMES`). By default every spec with a
prior is varied over its prior; ``--param`` chooses some, and a ``--params-file`` (TOML)
chooses some and may narrow or widen their ranges::

    [parameters]
    "people.od_fentanyl" = true              # the spec's prior
    "people.naloxone_reversal" = [0.8, 0.95] # another range, checked as the spec's own

By default the parts that move deaths and the issue-14 guesses are varied
(:data:`DEFAULT_MODULES`): the precursor chain's, the money accounts' and the export
markets' and other crimes' specs (``precursors.*``, ``money.*``, ``portfolio.*``) join the
supply and people specs, and the analysis then also measures the cartels' revenue
(:mod:`narcosim.analysis.sensitivity_model`). A prior of a single value (a setting held, such
as ``precursors.fentanyl_routes``) is left out of the default set. The guns going south
(``firearms.*``: the flow, its usual seizure share, the arsenal's attrition, the conflict
elasticity, the southbound share of the guns seized in operations) are varied by default too,
and the analysis then measures the guns arrived in Mexico.

A value is sampled in the spec's units; an ``array`` parameter's prior is one factor
multiplying every element of its default, and an ``int`` parameter is rounded.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from narcosim.core.params import ParamSpec
from narcosim.errors import ParameterError


@dataclass(frozen=True)
class SensParam:
    """One varied parameter: where it lives and the range it is sampled over.

    Attributes:
        module: The model module (``people``).
        spec: Its parameter spec (with the prior used, overrides applied).
    """

    module: str
    spec: ParamSpec

    @property
    def key(self) -> str:
        """``module.name``."""
        return f"{self.module}.{self.spec.name}"

    @property
    def bounds(self) -> tuple[float, float]:
        """The sampled range (low, high)."""
        low, high = self.spec.prior  # type: ignore[misc]
        return float(low), float(high)

    def value(self, x: float) -> Any:
        """The parameter value for a sampled number ``x`` (a factor for an array)."""
        if self.spec.kind == "array":
            return (np.asarray(self.spec.resolve(self.spec.default, self.module)) * x).tolist()
        if self.spec.kind == "int":
            return round(x)
        return float(x)

    def record(self) -> dict[str, Any]:
        """JSON-ready description (what makes two analyses the same)."""
        low, high = self.bounds
        return {"param": self.key, "low": low, "high": high, "units": self.spec.units,
                "kind": self.spec.kind, "source": self.spec.prior_source}


#: Modules whose parameters move the cartels' money (issue 14's guesses: the precursor
#: chain, the laundering channels, the export markets and other crimes).
MONEY_MODULES: tuple[str, ...] = ("precursors", "money", "portfolio")
#: Modules whose parameters move the guns going south (issue 14's guesses; no deaths).
GUNS_MODULES: tuple[str, ...] = ("firearms",)
#: Modules whose priors are varied when no parameter is named: the parts that move deaths,
#: and the money modules (their guesses move revenue, and exports redirected to the US under
#: a demand cut abroad move deaths), and the guns going south.
DEFAULT_MODULES: tuple[str, ...] = ("production", "trafficking", "distribution", "dealers",
                                    "people", *MONEY_MODULES, *GUNS_MODULES)


def model_specs() -> dict[str, list[ParamSpec]]:
    """The parameter specs of the whole-run model's modules, by module name."""
    from narcosim.model.dealers import Dealers
    from narcosim.model.distribution import Distribution
    from narcosim.model.firearms import Firearms
    from narcosim.model.money import Money
    from narcosim.model.people import People
    from narcosim.model.portfolio import Portfolio
    from narcosim.model.precursors import Precursors
    from narcosim.model.production import Production
    from narcosim.model.trafficking import Trafficking

    return {"production": Production.param_specs, "trafficking": Trafficking.param_specs,
            "distribution": Distribution.param_specs, "dealers": Dealers.param_specs,
            "people": People.param_specs, "precursors": Precursors.param_specs,
            "money": Money.param_specs, "portfolio": Portfolio.param_specs,
            "firearms": Firearms.param_specs}


def prior_params() -> list[SensParam]:
    """Every parameter with a prior range of the default modules, in module then spec order.

    A prior of a single value (low == high: a setting held) has nothing to vary and is left
    out, as naming it is refused (:func:`select_params`).
    """
    return [SensParam(module, spec) for module, specs in model_specs().items()
            if module in DEFAULT_MODULES for spec in specs
            if spec.prior is not None and spec.prior[0] != spec.prior[1]]


def find_param(key: str, where: str = "--param") -> SensParam:
    """The parameter ``module.name`` with its spec's prior (which may be None).

    Raises:
        ParameterError: Not ``module.name``, or no module has that parameter.
    """
    specs = model_specs()
    _, _, name = key.partition(".")
    if not name:
        raise ParameterError(f"{where} {key!r}: write MODULE.NAME, e.g. people.od_meth")
    by_key = {f"{m}.{s.name}": SensParam(m, s) for m, ss in specs.items() for s in ss}
    if key not in by_key:
        close = difflib.get_close_matches(key, list(by_key), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ParameterError(f"{where} {key!r}: not a parameter of any module's specs "
                             f"(modules: {', '.join(specs)}){hint}")
    return by_key[key]


def read_params_file(path: Path) -> dict[str, tuple[float, float] | None]:
    """Read a parameters file: ``module.name`` -> a range, or None for the spec's prior.

    Raises:
        ParameterError: Unreadable, not TOML, no ``[parameters]`` table, or a value that is
            neither ``true`` nor two numbers.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise ParameterError(f"--params-file {path}: cannot read it ({error.strerror})"
                             ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ParameterError(f"--params-file {path}: not valid TOML ({error})") from None
    table = data.get("parameters")
    if not isinstance(table, dict) or not table:
        raise ParameterError(f"--params-file {path}: needs a [parameters] table of "
                             "\"module.name\" = true or [low, high]")
    out: dict[str, tuple[float, float] | None] = {}
    for key, value in table.items():
        if value is True:
            out[key] = None
        elif (isinstance(value, list) and len(value) == 2
              and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
            out[key] = (float(value[0]), float(value[1]))
        else:
            raise ParameterError(f"--params-file {path}: {key!r} = {value!r}: write true (the "
                                 "spec's prior) or [low, high]")
    return out


def select_params(keys: Sequence[str] = (),
                  ranges: Mapping[str, tuple[float, float] | None] | None = None,
                  where: str = "--param") -> list[SensParam]:
    """The parameters to vary: ``keys`` and ``ranges``' keys, or every prior when none.

    Args:
        keys: ``module.name`` keys varied over their spec's prior.
        ranges: ``module.name`` -> a range overriding the prior, or None for the prior.
        where: The option or file named in errors.

    Raises:
        ParameterError: An unknown parameter, one named twice, one with no prior and no range,
            a range with low > high, outside the bounds or without the default, or a range of
            a single value.
    """
    ranges = dict(ranges or {})
    if not keys and not ranges:
        return prior_params()
    chosen: list[SensParam] = []
    seen: set[str] = set()
    for key, override in [*((k, None) for k in keys), *ranges.items()]:
        if key in seen:
            raise ParameterError(f"{where} {key!r}: named twice")
        seen.add(key)
        param = find_param(key, where)
        spec = param.spec
        if override is not None:
            try:
                spec = spec.with_prior(*override, source=f"range given in {where}")
            except ParameterError as error:
                reason = str(error).split(": ", 1)[-1]
                raise ParameterError(f"{where} {key!r}: {reason}") from None
        if spec.prior is None:
            raise ParameterError(f"{where} {key!r}: has no prior range (a setting); give one "
                                 "in a --params-file as [low, high]")
        low, high = spec.prior
        if low == high:
            raise ParameterError(f"{where} {key!r}: prior range {low:g}-{high:g} is a single "
                                 "value; nothing to vary")
        chosen.append(SensParam(param.module, spec))
    return chosen


def sample_pars(params: Sequence[SensParam], row: Sequence[float]
                ) -> dict[str, dict[str, Any]]:
    """Module parameter overrides for one sampled row (one number per parameter)."""
    pars: dict[str, dict[str, Any]] = {}
    for param, x in zip(params, row, strict=True):
        pars.setdefault(param.module, {})[param.spec.name] = param.value(float(x))
    return pars
