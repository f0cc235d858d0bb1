"""The dashboard (``narcosim serve``): its OpenAPI schema under schemathesis, and its safety.

The app runs in-process through schemathesis' ASGI client, on the real atlas store. Jobs are
real comparisons: the app under test allows one member and runs ending in 2015, so any job
a generated request starts is short (it ends before every intervention starts, so it fails
in a second with that message, which is what the job's status then says).
"""

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python.asgi import ASGIClient

from narcosim.cli import main
from narcosim.serve.app import MAX_BODY_BYTES, create_app

HOSTS = ["testserver", "localhost", "127.0.0.1"]


@pytest.fixture(scope="module")
def dashboard(atlas_store: Path, tmp_path_factory: pytest.TempPathFactory):
    app = create_app(atlas_store, tmp_path_factory.mktemp("dash"), allowed_hosts=HOSTS,
                     max_runs=1, max_year=2015)
    yield app
    runner = app.state.runner
    for job in runner.jobs():
        runner.wait(job.id, timeout=120)


def test_openapi_schema_holds(dashboard):
    """Every operation, positive and negative examples, all of schemathesis' checks."""
    from hypothesis import given

    api = schemathesis.openapi.from_asgi("/openapi.json", dashboard)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 12
    tried = []
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate()

        check()
        tried.append(operation.label)
    assert "POST /api/jobs" in tried and "GET /atlas/tables/{name}/download" in tried


@pytest.fixture()
def client(dashboard):
    return ASGIClient(dashboard, base_url="http://localhost")


@pytest.mark.parametrize("path", [
    "/atlas/tables/..%2F..%2F..%2Fetc%2Fpasswd",
    "/atlas/tables/..%2F..%2F..%2Fetc%2Fpasswd/download?format=csv",
    "/atlas/tables/%2Fetc%2Fpasswd/download",
    "/jobs/..%2F..%2Fetc%2Fpasswd/compare",
    "/jobs/0123456789ab/download/..%2F..%2Fsecret",
    "/jobs/0123456789ab/download/comparison?format=..%2F..%2Fx",
])
def test_path_traversal_is_refused(client, path):
    response = client.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert "root:" not in response.text


def test_oversized_and_malformed_requests_are_refused(client):
    big = b"{" + b" " * (MAX_BODY_BYTES + 1) + b"}"
    response = client.post("/api/jobs", data=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and "bytes" in response.json()["detail"]
    assert _streamed_status(client.app, [b"{", b" " * MAX_BODY_BYTES, b"}"]) == 413
    assert _streamed_status(client.app, [b'{"scenarios": ', b'["x"]}']) == 422
    for body in (b"{not json", b"[]", b'{"scenarios": ["status_quo", "status_quo"]}',
                 b'{"scenarios": ["status_quo", "../etc"]}',
                 b'{"scenarios": ["status_quo", "last_mile"], "runs": 10000}'):
        response = client.post("/api/jobs", data=body,
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 422, body
    assert client.get("/atlas/tables/seizures?limit=100000").status_code == 422
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400


def _streamed_status(app, chunks: list[bytes]) -> int:
    """POST /api/jobs with a body sent in chunks and no Content-Length; the status."""
    import asyncio

    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                for i, c in enumerate(chunks)]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "http_version": "1.1", "method": "POST", "path": "/api/jobs",
             "raw_path": b"/api/jobs", "root_path": "", "scheme": "http", "query_string": b"",
             "headers": [(b"host", b"localhost"), (b"content-type", b"application/json")],
             "client": ("127.0.0.1", 5000), "server": ("localhost", 80)}
    asyncio.run(app(scope, receive, send))
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


def test_atlas_pages_and_downloads(client):
    index = client.get("/atlas")
    assert index.status_code == 200 and "/atlas/tables/seizures/download?format=csv" in index.text
    csv = client.get("/atlas/tables/seizures/download?format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].count(",") >= 3
    parquet = client.get("/atlas/tables/seizures/download?format=parquet")
    assert parquet.content[:4] == b"PAR1"
    page = client.get("/atlas/map?drug=fentanyl&year=2023&per=100000")
    assert page.status_code == 200 and "choropleth" in page.text
    assert "<script src=\"http" not in page.text  # plotly.js is inlined
    assert client.get("/atlas/map?drug=nosuch&year=2023").status_code == 422
    assert client.get("/atlas/map?drug=fentanyl&year=1990").status_code == 422


def test_a_second_job_gets_a_queue_message(client, dashboard):
    body = {"scenarios": ["status_quo", "last_mile"], "runs": 1, "scale": 10000,
            "last_year": 2015}
    runner = dashboard.state.runner
    for job in runner.jobs():
        runner.wait(job.id, timeout=120)
    first = client.post("/api/jobs", json=body)
    assert first.status_code == 202
    second = client.post("/api/jobs", json=body)
    assert second.status_code == 409
    assert f"job {first.json()['id']}" in second.json()["detail"]
    assert "one job runs at a time" in second.json()["detail"]
    done = runner.wait(first.json()["id"], timeout=300)
    status = client.get(f"/api/jobs/{done.id}").json()
    # the run ends before Last Mile starts (May 2022): the comparison says so, in one line
    assert status["state"] == "failed" and "before" in status["message"]


def test_serve_binds_loopback_unless_told(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["serve", "--host", "0.0.0.0"])
    assert stop.value.code == 2
    assert "--allow-remote" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        main(["serve", "--port", "70000"])
    assert stop.value.code == 2
