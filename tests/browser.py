"""Open local pages in a real headless Chromium with every non-local request blocked.

Reusable by any browser test (maps, charts, reports, the dashboard)::

    from browser import open_local

    with open_local(path) as view:
        view.page.wait_for_selector("path.choroplethlocation")
        assert view.blocked == []

Requests to ``file://``, ``data:``, ``blob:``, ``about:`` and ``127.0.0.1`` /
``localhost`` go through; anything else is aborted and its URL recorded in
``view.blocked``. Playwright's own browser download cannot work here, so Debian's
Chromium at ``/usr/bin/chromium`` (or ``$NARCOSIM_CHROMIUM``) is launched instead. When it is
missing the test is skipped, unless ``CI=true``, where it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_SCHEMES = {"file", "data", "blob", "about"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def chromium_path() -> Path:
    """The Chromium executable; skips the test when missing (fails when ``CI=true``)."""
    path = Path(os.environ.get("NARCOSIM_CHROMIUM", "/usr/bin/chromium"))
    if not path.exists():
        message = f"headless Chromium not found at {path} (apt-get install -y chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def is_local(url: str) -> bool:
    """True for URLs that stay on this machine (file, data, blob, about, loopback)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    return parts.scheme in {"http", "https", "ws", "wss"} and (parts.hostname or "") in {
        h.strip("[]") for h in LOCAL_HOSTS
    }


@dataclass
class BrowserView:
    """An open page and what it tried to do.

    Attributes:
        page: The Playwright ``Page``.
        blocked: URLs of requests that were aborted because they would leave the machine.
        console_errors: Text of console messages of type ``error`` and uncaught page errors.
    """

    page: object
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


@contextmanager
def open_local(
    target: Path | str,
    *,
    width: int = 1200,
    height: int = 800,
    timeout_ms: int = 30_000,
) -> Iterator[BrowserView]:
    """Open a local HTML file (or a loopback URL) in headless Chromium, blocking the network.

    Args:
        target: A path to an HTML file, or an ``http://127.0.0.1…`` URL.
        width: Viewport width in pixels.
        height: Viewport height in pixels.
        timeout_ms: Default timeout for page actions and waits.

    Yields:
        A :class:`BrowserView` with the loaded page and the list of blocked URLs.
    """
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    url = target if isinstance(target, str) and "://" in target else Path(target).resolve().as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            context.set_default_timeout(timeout_ms)
            view = BrowserView(page=None)

            def route(route_, request) -> None:
                if is_local(request.url):
                    route_.continue_()
                else:
                    view.blocked.append(request.url)
                    route_.abort("blockedbyclient")

            context.route("**/*", route)
            page = context.new_page()
            page.on(
                "console",
                lambda msg: view.console_errors.append(msg.text) if msg.type == "error" else None,
            )
            page.on("pageerror", lambda error: view.console_errors.append(str(error)))
            page.on(
                "websocket",
                lambda ws: None if is_local(ws.url) else view.blocked.append(ws.url),
            )
            view.page = page
            page.goto(url, wait_until="load")
            yield view
        finally:
            browser.close()
