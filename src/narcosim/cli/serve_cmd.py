"""``narcosim serve``: the local dashboard (FastAPI on uvicorn)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from narcosim.cli.app import app
from narcosim.cli.options import StoreOption
from narcosim.errors import ParameterError

_err = Console(stderr=True, highlight=False)


def check_bind(host: str, port: int, allow_remote: bool) -> None:
    """Refuse a port outside 1..65535, and a non-loopback address without ``--allow-remote``.

    Raises:
        ParameterError: In one line.
    """
    if not 1 <= port <= 65535:
        raise ParameterError(f"--port {port}: use 1 to 65535")
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        raise ParameterError(f"--host {host!r}: not an IP address (default 127.0.0.1)") from None
    if not loopback and not allow_remote:
        raise ParameterError(f"--host {host}: not this machine's loopback; the dashboard has no "
                             "login, so binding it to a network needs --allow-remote")


@app.command("serve")
def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback only unless "
                                      "--allow-remote).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
    store: StoreOption = None,
    work_dir: Annotated[Path, typer.Option(
        "--work-dir", help="Where the dashboard's runs are written.")] = Path("dashboard"),
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow a non-loopback --host (no login: think first).")
    ] = False,
) -> None:
    """Serve the local dashboard: browse the atlas, run and compare scenarios, download."""
    import uvicorn

    from narcosim.atlas.store import default_store_path
    from narcosim.serve.app import LOCAL_HOSTS, create_app

    check_bind(host, port, allow_remote)
    hosts = LOCAL_HOSTS if not allow_remote else ["*"]
    dashboard = create_app(store if store is not None else default_store_path(), work_dir,
                           allowed_hosts=hosts)
    _err.print(f"narcosim dashboard on http://{host}:{port}/ (Ctrl+C stops it)")
    uvicorn.run(dashboard, host=host, port=port, log_level="warning",
                limit_concurrency=32, h11_max_incomplete_event_size=16 * 1024)
