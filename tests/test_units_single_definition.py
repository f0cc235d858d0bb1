"""One definition of each time constant: only :mod:`narcosim.core.units` defines them.

The model converts rates and durations through :class:`narcosim.core.time.Rate` and
:class:`~narcosim.core.time.Duration` (or the named constants of :mod:`narcosim.core.units`).
This test reads every module under ``src/narcosim`` with :mod:`ast` and fails on

* an assignment of a time constant (``DAYS_PER_YEAR = 365.25``, ``WEEKS_PER_YEAR = 52``,
  ``X = 365.25``) outside ``core/units.py``;
* arithmetic (``*``, ``/``, ``//``, ``%``) with a bare time literal (365.25, 365, 366, 52, 7,
  12, 30.4375, 1461) outside ``core/units.py``, unless the allow-list below says why that
  literal is something else there.

Docstrings and comments are not code, so ``dt/365.25`` written in a docstring is not flagged.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "narcosim"
#: The one module allowed to define the constants.
HOME = "core/units.py"
#: Numbers that are a length of time in another unit (days a year or week, weeks or months a
#: year, days a month, days in four years).
TIME_LITERALS = frozenset({365.25, 365, 366, 52, 7, 12, 30.4375, 1461})
#: Names that say they hold a conversion from one time unit to another (``DAYS_PER_YEAR``,
#: ``WEEKS_IN_YEAR``, ``days_a_week``); ``guns_per_year`` is a rate, not a conversion.
CONSTANT_NAME = re.compile(r"(?:^|_)(?:DAY|WEEK|MONTH|YEAR|HOUR)S?_(?:PER|IN|A)_"
                           r"(?:DAY|WEEK|MONTH|YEAR|HOUR)S?$", re.IGNORECASE)
#: Non-whole time literals, a time constant whatever the name they are assigned to.
FRACTIONAL = frozenset({365.25, 30.4375})
_ARITH = (ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)

#: (module, the expression or assignment as ``ast.unparse`` writes it) -> why it is allowed.
ALLOWED: dict[tuple[str, str], str] = {
    ("core/time.py", "days.astype('datetime64[M]').astype(np.int64) % 12"):
        "calendar: the month number of a month count since 1970, not a length of time",
    ("model/distribution.py",
     "(sim.timeline.months[max(sim.ti, 0)] - 1) / 12"):
        "calendar position: the start of the step's month as a fraction of its calendar year",
    ("model/people.py", "(sim.timeline.months[ti] - 0.5) / 12"):
        "calendar position: the middle of the step's month as a fraction of its calendar year",
    ("atlas/schema.py", "view['year'].astype('int64') * 12"):
        "a month index (year x 12 + month), not a length of time",
}


def _is_time_literal(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and not isinstance(node.value, bool)
            and isinstance(node.value, int | float) and node.value in TIME_LITERALS)


def _literal_value(node: ast.AST | None) -> bool:
    """Whether ``node`` is a number, or arithmetic of numbers only (``1461 / 4``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, int | float) and not isinstance(node.value, bool)
    if isinstance(node, ast.BinOp):
        return _literal_value(node.left) and _literal_value(node.right)
    if isinstance(node, ast.UnaryOp):
        return _literal_value(node.operand)
    return False


def _targets(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Assign):
        nodes = node.targets
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        nodes = [node.target]
    else:
        return []
    names = []
    for target in nodes:
        for sub in ast.walk(target):
            if isinstance(sub, ast.Name):
                names.append(sub.id)
            elif isinstance(sub, ast.Attribute):
                names.append(sub.attr)
    return names


def violations(source: str, module: str) -> list[str]:
    """The offending lines of one module's source, as ``module:line: what``.

    Args:
        source: The module's text.
        module: Its path under ``src/narcosim`` (for the allow-list and the message).
    """
    if module == HOME:
        return []
    found = []
    for node in ast.walk(ast.parse(source)):
        value = getattr(node, "value", None)
        for name in _targets(node):
            fractional = any(isinstance(n, ast.Constant) and n.value in FRACTIONAL
                             for n in ast.walk(value)) if value is not None else False
            if (_literal_value(value) and (CONSTANT_NAME.search(name) or fractional)
                    and (module, ast.unparse(node)) not in ALLOWED):
                found.append(f"{module}:{node.lineno}: assigns time constant {name} = "
                             f"{ast.unparse(value)}; import it from narcosim.core.units")
        if isinstance(node, ast.BinOp) and isinstance(node.op, _ARITH):
            sides = (node.left, node.right)
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, _ARITH):
            sides = (node.value,)
        else:
            continue
        if any(_is_time_literal(side) for side in sides):
            text = ast.unparse(node)
            if (module, text) not in ALLOWED:
                found.append(f"{module}:{node.lineno}: converts with a bare literal: {text}; "
                             "use Rate/Duration (narcosim.core.time) or narcosim.core.units")
    return found


def _modules() -> list[tuple[str, str]]:
    return [(path.relative_to(SRC).as_posix(), path.read_text(encoding="utf-8"))
            for path in sorted(SRC.rglob("*.py"))]


def test_only_core_units_defines_time_constants() -> None:
    """No module but core/units.py defines a time constant or converts by a bare literal."""
    found = [v for module, text in _modules() for v in violations(text, module)]
    assert not found, "\n".join(found)


def test_allow_list_entries_still_exist() -> None:
    """Each allow-listed expression is still in its module (a stale entry would hide one)."""
    sources = dict(_modules())
    for (module, text), _why in ALLOWED.items():
        tree = ast.parse(sources.get(module, ""))
        assert any(ast.unparse(n) == text for n in ast.walk(tree)
                   if isinstance(n, ast.BinOp | ast.Assign | ast.AnnAssign)), \
            f"{module}: {text!r} no longer there"


def test_core_units_defines_them() -> None:
    """The one definition exists and holds the conventions the model uses."""
    from narcosim.core import units

    assert units.DAYS_PER_YEAR == 365.25
    assert units.DAYS_PER_WEEK == 7.0
    assert units.ROUND_WEEKS_PER_YEAR == 52.0


@pytest.mark.parametrize("code", [
    "DAYS_PER_YEAR = 365.25",
    "days_per_week: float = 7.0",
    "YEAR = 1461 / 4",
    "x = rate * dt_days / 365.25",
    "x = rate * dt_days / 7.0",
    "x = rate / 52",
    "x //= 7",
    "x = 12.0 * monthly",
    "WEEKS_PER_YEAR = 52",
    "year = 365.25",
])
def test_scanner_catches(code: str) -> None:
    """The scanner flags each way of writing a second definition or a hand conversion."""
    assert violations(code, "model/example.py")


@pytest.mark.parametrize("code", [
    '"""A step is dt / 365.25 of a year."""',
    "from narcosim.core.units import DAYS_PER_YEAR",
    "x = rate * dt_days / DAYS_PER_YEAR",
    "ParamSpec('quit_rate', '1 per year', 'per year', 0.0, 52.0)",
    "x = values[7]",
    "n = 7",
    "x = rate * 2.0",
    "us_guns_per_year = 200000.0",
    "DEFAULT_DT_DAYS = 7",
])
def test_scanner_passes(code: str) -> None:
    """Docstrings, imports, named constants, bounds, indices and other numbers pass."""
    assert not violations(code, "model/example.py")


def test_scanner_ignores_core_units() -> None:
    """core/units.py is where the constants are defined."""
    assert not violations("DAYS_PER_YEAR = 1461 / 4", HOME)
