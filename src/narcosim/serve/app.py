"""``narcosim serve``: a local dashboard on FastAPI (see ``docs/dashboard.md`` for the choice).

Routes (the OpenAPI schema at ``/openapi.json`` lists them with their answers):

* ``/`` the run form; ``/atlas`` the atlas tables and the map form; ``/atlas/tables/{name}``
  a table's first rows; ``/atlas/tables/{name}/download?format=csv|parquet``;
  ``/atlas/map?drug=&year=&per=`` the choropleth of :mod:`narcosim.report.maps`;
* ``/jobs``, ``/jobs/{id}`` a job's progress, ``/jobs/{id}/compare`` its ``compare.html``,
  ``/jobs/{id}/download/{comparison|comparison_members}?format=csv|parquet``;
* ``/api/scenarios``, ``/api/jobs`` (POST starts a comparison; 409 while one runs),
  ``/api/jobs/{id}``.

Safety: names in paths are checked against fixed lists or patterns before any file is
touched (a table name must be one of the store's tables, a job id 12 hex digits, a download
one of two names), so a traversal such as ``..%2F..%2Fetc%2Fpasswd`` is a 404 or 422; request
bodies over :data:`MAX_BODY_BYTES` are refused with 413 before they are read whole; the Host
header must name this machine (DNS rebinding); pages load nothing from outside.
"""

import functools
import io
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import FastAPI, HTTPException, Query
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from narcosim.errors import NarcosimError
from narcosim.serve import pages
from narcosim.serve.jobs import JOB_ID_PATTERN, BusyError, JobRunner

MAX_BODY_BYTES = 16 * 1024
"""Largest request body accepted (a job request is a few hundred bytes)."""
LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
"""Host header values accepted: this machine only."""
PREVIEW_ROWS = 50

JobId = Annotated[str, PathParam(pattern=JOB_ID_PATTERN, description="A job id.")]
Format = Annotated[Literal["csv", "parquet"], Query(description="File format.")]


def job_request_model(names: list[str], max_runs: int, max_year: int) -> type[BaseModel]:
    """The body of ``POST /api/jobs``, its limits written into the schema.

    Args:
        names: Built-in scenario names (the only scenarios a job may run).
        max_runs: Most members per scenario.
        max_year: Latest last year of a run.
    """
    name = Literal[tuple(names)]  # type: ignore[valid-type]

    class JobRequest(BaseModel):
        """What to run: built-in scenarios side by side, the first the baseline."""

        model_config = ConfigDict(extra="forbid")
        scenarios: list[name] = Field(  # type: ignore[valid-type]
            min_length=2, max_length=6, json_schema_extra={"uniqueItems": True},
            description="Built-in scenario names, each once; the first is the baseline.")
        runs: int = Field(2, ge=1, le=max_runs, description="Members per scenario.")
        scale: int = Field(1000, ge=100, le=10000, description="Real people per agent.")
        last_year: int = Field(min(2024, max_year), ge=2015, le=max_year,
                               description="The runs end on 31 December of this year.")
        seed: int = Field(1, ge=0, le=2**31 - 1, description="Root seed.")

        @field_validator("scenarios")
        @classmethod
        def _once(cls, value: list[str]) -> list[str]:
            if len(set(value)) != len(value):
                raise ValueError("a scenario is listed twice")
            return value

    return JobRequest


class JobStatus(BaseModel):
    """Where a job stands."""

    id: str
    scenarios: list[str]
    state: Literal["queued", "running", "done", "failed"]
    done: int
    total: int
    message: str
    settings: dict[str, Any]
    elapsed_s: float
    compare_url: str | None


class Scenario(BaseModel):
    """A built-in scenario."""

    name: str
    title: str


class Problem(BaseModel):
    """Why a request was refused."""

    detail: str


def _problem(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Refusals as JSON ``{"detail": ...}``, whatever the route's own content type."""
    schema = Problem.model_json_schema()
    return {code: {"description": "Refused: the detail says why.",
                   "content": {"application/json": {"schema": schema}}} for code in codes}


class BodyLimit:
    """ASGI middleware: refuse bodies over ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 413 when its body is too large."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await _too_large(self.limit, send)
            return
        # read the whole body first (it is small or refused), then hand it on
        chunks: list[bytes] = []
        seen, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            seen += len(chunks[-1])
            if seen > self.limit:
                await _too_large(self.limit, send)
                return
            more = message.get("more_body", False)
        body, sent = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _too_large(limit: int, send: Send) -> None:
    body = JSONResponse({"detail": f"request body over {limit:,} bytes"}, status_code=413)
    await send({"type": "http.response.start", "status": 413, "headers": body.raw_headers})
    await send({"type": "http.response.body", "body": body.body})


def create_app(store: Path, work_dir: Path, allowed_hosts: list[str] | None = None,
               max_runs: int = 20, max_year: int = 2030) -> FastAPI:
    """The dashboard application.

    Args:
        store: The atlas store.
        work_dir: Where jobs write their comparison folders.
        allowed_hosts: Host header values accepted (default :data:`LOCAL_HOSTS`).
        max_runs: Most members per scenario a job may ask for.
        max_year: Latest last year a job may ask for.
    """
    from narcosim.atlas.store import Atlas

    atlas = Atlas.open(store)
    runner = JobRunner(work_dir, atlas.path)
    app = FastAPI(title="narcosim dashboard", version=_version(),
                  description="Browse the atlas, run and compare scenarios, download results. "
                  "Local only.")
    app.state.runner = runner
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOCAL_HOSTS)
    app.add_middleware(BodyLimit)

    @app.exception_handler(NarcosimError)
    async def _user_error(_request: Any, error: NarcosimError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=400)

    @functools.cache
    def _scenarios() -> list[Scenario]:
        from narcosim.scenario.loader import builtin_names, load_scenario

        return [Scenario(name=n, title=load_scenario(n)[1].scenario.name)
                for n in builtin_names()]

    deaths_table = atlas.table("overdose_deaths")
    map_years = sorted(int(y) for y in deaths_table["year"].unique())
    map_drugs = list(dict.fromkeys(["fentanyl", "methamphetamine", "cocaine", "all_drugs",
                                    *sorted(deaths_table["drug"].unique())]))
    table_names = atlas.tables()
    TableName = Annotated[Literal[tuple(table_names)],  # type: ignore[valid-type]  # noqa: N806
                          PathParam(description="An atlas table.")]
    DrugName = Literal[tuple(map_drugs)]  # type: ignore[valid-type]  # noqa: N806

    def _job(job_id: str) -> Any:
        job = runner.get(job_id)
        if job is None:
            raise HTTPException(404, f"no job {job_id}")
        return job

    def _table(name: str) -> pd.DataFrame:
        if name not in table_names:  # the path's enum already refuses these (422)
            raise HTTPException(404, f"no atlas table {name!r}")
        return atlas.table(name)

    @app.get("/", response_class=HTMLResponse, summary="The dashboard and the run form")
    def index() -> str:
        running = runner.running()
        return pages.index_page([(s.name, s.title) for s in _scenarios()],
                                running.as_json() if running else None)

    @app.get("/atlas", response_class=HTMLResponse, summary="The atlas tables and maps")
    def atlas_index() -> str:
        counts = [(n, len(atlas.table(n))) for n in table_names]
        return pages.atlas_page(counts, map_drugs, map_years)

    @app.get("/atlas/tables/{name}", response_class=HTMLResponse, responses=_problem(404),
             summary="A table's first rows")
    def atlas_table(name: TableName,
                    limit: Annotated[int, Query(ge=1, le=500)] = PREVIEW_ROWS) -> str:
        frame = _table(name)
        links = (f"<p>{len(frame):,} rows. Download: <a href=\"/atlas/tables/{name}/download"
                 f"?format=csv\">CSV</a> · <a href=\"/atlas/tables/{name}/download?format="
                 "parquet\">parquet</a></p>")
        return pages.page(f"Atlas table {name}", links + pages.table_html(
            frame.head(limit), f"first {min(limit, len(frame))} of {len(frame):,} rows"))

    @app.get("/atlas/tables/{name}/download", responses={
        200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}}},
        **_problem(404)}, response_class=Response, summary="A table as CSV or parquet")
    def atlas_download(name: TableName, format: Format = "csv") -> Response:
        return _download(_table(name), name, format)

    @app.get("/atlas/map", response_class=HTMLResponse, responses=_problem(400),
             summary="A choropleth of overdose deaths by state")
    def atlas_map(drug: DrugName = "fentanyl",  # type: ignore[valid-type]
                  year: Annotated[int, Query(ge=map_years[0], le=map_years[-1])
                                  ] = map_years[-1],
                  per: Annotated[float | None, Query(gt=0, le=1e9)] = 100000.0) -> str:
        from narcosim.cli.maps_cmd import _usa_topojson
        from narcosim.report.maps import choropleth, map_values
        from narcosim.report.offline import offline_html

        values = map_values(deaths_table, atlas.table("population"),
                            drug=drug, year=year, per=per)
        return offline_html(choropleth(values), topojson=_usa_topojson(atlas))

    @app.get("/api/scenarios", response_model=list[Scenario], summary="Built-in scenarios")
    def api_scenarios() -> list[Scenario]:
        return _scenarios()

    request_model = job_request_model([x.name for x in _scenarios()], max_runs, max_year)

    @app.post("/api/jobs", status_code=202, response_model=JobStatus,
              responses=_problem(409, 413), summary="Run and compare scenarios")
    def api_submit(request: request_model) -> JobStatus:  # type: ignore[valid-type]
        settings = request.model_dump(exclude={"scenarios", "last_year"})
        settings["end"] = f"{request.last_year}-12-31"
        try:
            job = runner.submit(list(request.scenarios), settings)
        except BusyError as error:
            raise HTTPException(409, str(error)) from None
        return JobStatus(**job.as_json())

    @app.get("/api/jobs", response_model=list[JobStatus], summary="Every job, newest first")
    def api_jobs() -> list[JobStatus]:
        return [JobStatus(**j.as_json()) for j in runner.jobs()]

    @app.get("/api/jobs/{job_id}", response_model=JobStatus, responses=_problem(404),
             summary="A job's progress")
    def api_job(job_id: JobId) -> JobStatus:
        return JobStatus(**_job(job_id).as_json())

    @app.get("/jobs", response_class=HTMLResponse, summary="Every job")
    def jobs_index() -> str:
        return pages.jobs_page([j.as_json() for j in runner.jobs()])

    @app.get("/jobs/{job_id}", response_class=HTMLResponse, responses=_problem(404),
             summary="A job's progress page")
    def job_view(job_id: JobId) -> str:
        return pages.job_page(_job(job_id).as_json())

    @app.get("/jobs/{job_id}/compare", response_class=HTMLResponse, responses=_problem(404),
             summary="A finished job's comparison page")
    def job_compare(job_id: JobId) -> str:
        path = _finished(_job(job_id)) / "compare.html"
        return path.read_text(encoding="utf-8")

    @app.get("/jobs/{job_id}/download/{name}", responses={
        200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}}},
        **_problem(404)}, response_class=Response, summary="A finished job's results")
    def job_download(job_id: JobId, name: Literal["comparison", "comparison_members"],
                     format: Format = "csv") -> Response:
        path = _finished(_job(job_id)) / f"{name}.parquet"
        return _download(pd.read_parquet(path), f"{job_id}-{name}", format)

    return app


def _finished(job: Any) -> Path:
    if job.state != "done":
        raise HTTPException(404, f"job {job.id} is {job.state}: no results yet")
    return Path(job.folder)


def _download(frame: pd.DataFrame, stem: str, fmt: str) -> Response:
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        body, media = buffer.getvalue(), "application/vnd.apache.parquet"
    else:
        body, media = frame.to_csv(index=False).encode("utf-8"), "text/csv"
    return Response(body, media_type=media, headers={
        "Content-Disposition": f"attachment; filename=\"{stem}.{fmt}\""})


def _version() -> str:
    from narcosim.cli.app import package_version

    return package_version()
