"""End to end: a user runs a comparison from the dashboard in Chromium and reaches its page.

The dashboard is served by uvicorn on 127.0.0.1 (as ``narcosim serve`` does) on the real
atlas store; Playwright drives Debian's Chromium through the form (status quo against the
naloxone expansion, one member, 1:10000, runs to 2024, so the programme's first year is in
the window), follows the progress page and opens the comparison page. No request may leave
the machine.
"""

import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

from browser import open_local
from narcosim.serve.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def served(atlas_store: Path, tmp_path: Path):
    app = create_app(atlas_store, tmp_path / "dash")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started and time.time() < deadline:
        time.sleep(0.1)
    assert server.started, "uvicorn did not start"
    yield app, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(30)


def test_run_a_comparison_from_the_dashboard(served, tmp_path):
    app, url = served
    with open_local(url + "/", width=1400, timeout_ms=600_000) as view:
        page = view.page
        assert page.title() == "Dashboard · narcosim"
        page.select_option("select[name=baseline]", "status_quo")
        assert page.is_checked("input[name=scenarios][value=naloxone_expansion]")
        page.fill("input[name=runs]", "1")
        page.fill("input[name=scale]", "10000")
        page.fill("input[name=last_year]", "2024")
        page.click("button[type=submit]")
        page.wait_for_url("**/jobs/*")
        job_id = page.url.rsplit("/", 1)[1]
        assert page.inner_text("h1") == "Run: status_quo vs naloxone_expansion"
        # while it runs, a second submission from the home page gets the queue message
        status = page.evaluate("""async () => (await fetch('/api/jobs', {method: 'POST',
            headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({scenarios: ['status_quo', 'last_mile'], runs: 1,
                                  scale: 10000, last_year: 2024})})).status""")
        job = app.state.runner.get(job_id)
        assert status == 409 or job.state in ("done", "failed")
        page.wait_for_selector("#job-compare:not([hidden])", timeout=600_000)
        assert page.inner_text("#job-state") == "done", page.inner_text("#job-message")
        assert page.inner_text("#job-count") == "2 of 2 runs"
        page.click("#job-compare")
        page.wait_for_url(f"**/jobs/{job_id}/compare")
        assert "Naloxone" in page.content()
        page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
        csv = page.evaluate(f"async () => (await fetch('/jobs/{job_id}/download/comparison"
                            "?format=csv')).text()")
        assert csv.splitlines()[0].startswith(("arm", "measure", "level")) or "," in csv
        assert view.blocked == [], view.blocked
    assert (tmp_path / "compare.png").stat().st_size > 10_000
