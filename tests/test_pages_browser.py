"""Every publishable page in real headless Chromium: full-page screenshot, offline, axe-clean.

Each page (run, ensemble, compare, assess, evaluation, sensitivity) is written by its command
at a tiny size, opened at 1,400 px with every non-local request refused, photographed whole
and checked with axe-core (npm, injected from ``node_modules``): no serious or critical
violation. Set ``NARCOSIM_SCREENSHOTS`` to a folder to keep the screenshots.
"""

from __future__ import annotations

import os
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from axe import full_screenshot, serious_violations
from browser import open_local
from narcosim.cli import main
from test_compare_cli import SURGE

pytestmark = pytest.mark.browser

WIDTH = 1400
DRAWN_JS = """() => [...document.querySelectorAll('.plotly-graph-div')]
    .every(d => d.querySelector('.main-svg'))"""


def _run(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code in (0, None)


def _run_page(root: Path, store: str) -> Path:
    _run(["run", "--seed", "1", "--scale", "5000", "--end", "2015-12-31",
          "--out", str(root / "run"), "--store", store])
    return root / "run" / "report.html"


def _ensemble_page(root: Path, store: str) -> Path:
    _run(["ensemble", "--runs", "2", "--seed", "11", "--scale", "5000", "--end", "2015-12-31",
          "--workers", "1", "--out", str(root / "ens"), "--store", store])
    return root / "ens" / "report.html"


def _compare_page(root: Path, store: str) -> Path:
    surge = root / "surge.toml"
    surge.write_text(SURGE, encoding="utf-8")
    _run(["compare", "status_quo", str(surge), "--runs", "3", "--seed", "3", "--scale", "5000",
          "--end", "2015-07-31", "--workers", "1", "--out", str(root / "cmp"),
          "--store", store])
    return root / "cmp" / "compare.html"


def _assess_page(root: Path, store: str) -> Path:
    _run(["assess", "2021", "--no-pdf", "--out", str(root / "assess"), "--store", store])
    return root / "assess" / "assessment-2021.html"


def _evaluation_page(root: Path, store: str) -> Path:
    _run(["evaluate", "--origins", "2019", "--trials", "2", "--scale", "10000",
          "--forecast-scale", "5000", "--folds", "2", "--workers", "1",
          "--out", str(root / "ev"), "--store", store])
    return root / "ev" / "evaluation.html"


def _sensitivity_page(root: Path, store: str) -> Path:
    _run(["sensitivity", "--method", "morris", "--n", "2", "--param", "people.od_fentanyl",
          "--param", "people.naloxone_reversal", "--intervention", "naloxone_expansion",
          "--drug", "fentanyl", "--start", "2023-10-01", "--end", "2024-03-31",
          "--scale", "5000", "--workers", "1", "--out", str(root / "sens"), "--store", store])
    return root / "sens" / "sensitivity.html"


PAGES: dict[str, Callable[[Path, str], Path]] = {
    "run": _run_page, "ensemble": _ensemble_page, "compare": _compare_page,
    "assess": _assess_page, "evaluation": _evaluation_page, "sensitivity": _sensitivity_page,
}


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module", params=list(PAGES))
def page_path(request, atlas_store, tmp_path_factory) -> tuple[str, Path]:
    root = tmp_path_factory.mktemp(f"page-{request.param}")
    path = PAGES[request.param](root, str(atlas_store))
    assert path.is_file()
    return request.param, path


def test_page_offline_screenshot_and_axe(page_path, tmp_path) -> None:
    kind, path = page_path
    with open_local(path, width=WIDTH, height=900, timeout_ms=60_000) as view:
        page = view.page
        page.wait_for_function(DRAWN_JS)
        shot = full_screenshot(page, tmp_path / f"{kind}.png")
        found = serious_violations(page)
        assert view.blocked == []
        assert view.console_errors == []
    width, height = png_size(shot)
    assert width == WIDTH and height > 900  # the whole page, not the viewport
    keep = os.environ.get("NARCOSIM_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
    assert found == [], found
