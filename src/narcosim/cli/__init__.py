"""The ``narcosim`` command line.

Every command module registers on the apps in :mod:`narcosim.cli.app`; this
module imports them all and wraps the app so that a :class:`NarcosimError`
becomes one line on stderr and exit code 2, never a traceback.
"""

import sys

from rich.console import Console

from narcosim.cli import (  # noqa: F401  (register commands)
    atlas_cmd,
    calibrate_cmd,
    compare_cmd,
    download_cmd,
    ensemble_cmd,
    evaluate_cmd,
    forecast_cmd,
    maps_cmd,
    network_cmd,
    orgs_cmd,
    report_cmd,
    run_cmd,
    sensitivity_cmd,
    validate_cmd,
)
from narcosim.cli.app import app
from narcosim.errors import NarcosimError

app.add_typer(network_cmd.network_app, name="network")
app.add_typer(calibrate_cmd.calibrate_app, name="calibrate")

_err = Console(stderr=True, highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    """Run the command line, turning user errors into one line and exit code 2.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when None.
    """
    try:
        app(args=argv, prog_name="narcosim")
    except NarcosimError as error:
        _err.print(f"error: {error}", markup=False)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        _err.print("interrupted", markup=False)
        sys.exit(130)
