"""``narcosim report RUN_DIR``: (re)write a run folder's or ensemble folder's ``report.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from narcosim.atlas.store import Atlas
from narcosim.cli.app import app
from narcosim.cli.options import StoreOption
from narcosim.cli.output import JsonOption, print_json
from narcosim.errors import NarcosimError
from narcosim.report.run_data import open_run
from narcosim.report.run_report import write_run_report

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


@app.command("report")
def report_command(
    run_dir: Annotated[Path, typer.Argument(
        help="A run folder (from narcosim run) or an ensemble folder (from narcosim ensemble).",
        show_default=False)],
    store: StoreOption = None,
    bands: Annotated[Path | None, typer.Option(
        "--bands", help="For a single run: an ensemble folder whose runs give 5-95% bands.")
    ] = None,
    year: Annotated[int | None, typer.Option(
        "--year", help="Year of the state maps (default 2023, else the run's last CDC year).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write RUN_DIR/report.html: simulated vs CDC deaths, state maps, fit table, seizures.

    The page is self-contained (plotly.js and map geometry inlined) and opens offline.
    """
    open_run(run_dir, bands)  # a bad folder fails before the store is opened
    atlas = Atlas.open(store)
    with _err.status(f"writing the report of {run_dir}"):
        path = write_run_report(run_dir, atlas, bands=bands, year=year)
    if as_json:
        print_json({"run_dir": str(run_dir), "file": str(path), "bytes": path.stat().st_size})
        return
    _out.print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)", soft_wrap=True)


def write_report_safely(run_dir: Path, store: Path | None) -> Path | None:
    """Write ``report.html`` after a run; a failure warns in one line, the run stays complete.

    The run folder is already complete (its manifest hashes the results, not the report), so
    a report that cannot be drawn — e.g. a run too short to cover a CDC year — is reported
    and can be retried with ``narcosim report``.
    """
    try:
        with _err.status(f"writing the report of {run_dir}"):
            return write_run_report(run_dir, Atlas.open(store))
    except (NarcosimError, ValueError, KeyError) as error:
        _err.print(f"warning: no report.html ({error}); retry with `narcosim report {run_dir}`",
                   markup=False, soft_wrap=True)
        return None
