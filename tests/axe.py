"""axe-core accessibility checks on a page opened with :func:`browser.open_local`.

axe-core comes from npm (``.ci/run`` installs it into the git-ignored ``node_modules/``); its
``axe.min.js`` is injected into the page, which then runs it with nothing fetched. Without it
the test is skipped, unless ``CI=true``, where it fails::

    with open_local(path, width=1400) as view:
        assert serious_violations(view.page) == []
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: Impacts that fail a page (axe's four are minor, moderate, serious, critical).
FAILING = ("serious", "critical")


def axe_script() -> Path:
    """``axe.min.js`` from ``node_modules``; skips the test when missing (fails under CI)."""
    path = Path(os.environ.get("NARCOSIM_AXE", REPO / "node_modules/axe-core/axe.min.js"))
    if not path.is_file():
        message = (f"axe-core not found at {path} (npm install --prefix . --no-save "
                   "axe-core@4.10.3)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def violations(page: object) -> list[dict]:
    """Run axe-core (WCAG 2.x A and AA rules, best practices) on the page as it stands.

    Returns:
        axe's violations: ``id, impact, help, nodes`` (each node with its ``target``).
    """
    page.add_script_tag(path=str(axe_script()))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")
    return list(result)


def serious_violations(page: object) -> list[dict]:
    """The violations whose impact is serious or critical (what fails a page here)."""
    return [v for v in violations(page) if v["impact"] in FAILING]


def full_screenshot(page: object, path: Path) -> Path:
    """A full-page PNG screenshot of the page (its whole height)."""
    page.screenshot(path=str(path), full_page=True)
    return path
