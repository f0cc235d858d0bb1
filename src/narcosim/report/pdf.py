"""Print a self-contained report page to PDF with a headless Chromium, fetching nothing.

Playwright drives Debian's Chromium (``/usr/bin/chromium``, or ``$NARCOSIM_CHROMIUM``; its own
browser download cannot work offline), opens the page from disk with every request that would
leave the machine refused, waits for plotly to draw every figure and calls ``page.pdf()``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from narcosim.errors import ParameterError, StoreError

#: Chromium's flags for a headless, quiet, offline run (DESIGN.md section 9).
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
#: Viewport width matching the printable width of an A4 landscape page with 10 mm margins.
PRINT_WIDTH_PX = 1040
_LOCAL = {"file", "data", "blob", "about"}


def chromium() -> Path:
    """The Chromium executable to print with.

    Raises:
        ParameterError: No Chromium there.
    """
    path = Path(os.environ.get("NARCOSIM_CHROMIUM", "/usr/bin/chromium"))
    if not path.is_file():
        raise ParameterError(f"PDF: no Chromium at {path} (apt-get install chromium, set "
                             "NARCOSIM_CHROMIUM, or pass --no-pdf)")
    return path


def html_to_pdf(page_path: Path, pdf_path: Path, timeout_s: float = 120.0) -> list[str]:
    """Print an HTML file to PDF (A4 landscape, backgrounds printed).

    Args:
        page_path: The HTML file (self-contained).
        pdf_path: Where to write the PDF.
        timeout_s: Longest wait for the page to load and its figures to draw.

    Returns:
        URLs of requests refused because they would have left the machine (empty for a
        self-contained page).

    Raises:
        ParameterError: No Chromium.
        StoreError: The page could not be printed.
    """
    executable = chromium()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    refused: list[str] = []

    def route(route_: Any, request: Any) -> None:  # Playwright's Route and Request
        if urlsplit(request.url).scheme in _LOCAL:
            route_.continue_()
        else:
            refused.append(request.url)
            route_.abort("blockedbyclient")

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(executable),
                                                 headless=True, args=list(CHROMIUM_ARGS))
            try:
                context = browser.new_context(viewport={"width": PRINT_WIDTH_PX,
                                                        "height": 900})
                context.set_default_timeout(timeout_s * 1000)
                context.route("**/*", route)
                page = context.new_page()
                page.goto(Path(page_path).resolve().as_uri(), wait_until="load")
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.plotly-graph-div')]"
                    ".every(d => d.querySelector('.main-svg'))")
                page.emulate_media(media="print")
                page.pdf(path=str(pdf_path), format="A4", landscape=True,
                         print_background=True,
                         margin={"top": "10mm", "bottom": "10mm", "left": "10mm",
                                 "right": "10mm"})
            finally:
                browser.close()
    except PlaywrightError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "failed"
        raise StoreError(f"PDF {pdf_path}: printing failed: {first}") from None
    return refused
