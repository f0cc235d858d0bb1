"""The ``narcosim`` command line.

Every command module registers on the apps in :mod:`narcosim.cli.app`; this
module imports them all and wraps the app so that a :class:`NarcosimError`
becomes one line on stderr and exit code 2, never a traceback.
"""

import sys

import typer
from rich.console import Console

try:  # typer vendors its own copy of click (typer._click) from 0.2x on
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer: plain click
    from click import exceptions as click_errors  # type: ignore[no-redef]

from narcosim.cli import (  # noqa: F401  (register commands)
    assess_cmd,
    atlas_cmd,
    calibrate_cmd,
    compare_cmd,
    download_cmd,
    ensemble_cmd,
    evaluate_cmd,
    forecast_cmd,
    guns_cmd,
    maps_cmd,
    money_cmd,
    network_cmd,
    network_files_cmd,
    orgs_cmd,
    posterior_cmd,
    report_cmd,
    run_cmd,
    sensitivity_cmd,
    serve_cmd,
    validate_cmd,
)
from narcosim.cli.app import app
from narcosim.errors import NarcosimError

app.add_typer(network_cmd.network_app, name="network")
app.add_typer(calibrate_cmd.calibrate_app, name="calibrate")

_err = Console(stderr=True, highlight=False, soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    """Run the command line, turning user errors into one line and exit code 2.

    Option-parsing errors (an unknown option, a value of the wrong type, a missing
    argument) are printed as one line too, with where to find help, instead of
    click's usage box.

    Args:
        argv: Arguments without the program name; ``sys.argv[1:]`` when None.
    """
    try:
        code = app(args=argv, prog_name="narcosim", standalone_mode=False)
    except NarcosimError as error:
        _err.print(f"error: {error}", markup=False)
        sys.exit(error.exit_code)
    except click_errors.NoArgsIsHelpError as error:
        _err.print(error.ctx.get_help() if error.ctx else str(error), markup=False)
        sys.exit(error.exit_code)
    except click_errors.UsageError as error:
        where = f" (see '{error.ctx.command_path} --help')" if error.ctx else ""
        message = "; ".join(error.format_message().split("\n"))
        _err.print(f"error: {message}{where}", markup=False)
        sys.exit(error.exit_code)
    except click_errors.ClickException as error:
        _err.print(f"error: {'; '.join(error.format_message().splitlines())}", markup=False)
        sys.exit(error.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        _err.print("interrupted", markup=False)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)
