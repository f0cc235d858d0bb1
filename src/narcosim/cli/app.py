"""The typer applications that command modules register on.

Kept apart from ``narcosim.cli.__init__`` so that command modules can import the
apps without an import cycle.
"""

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

HELP_OPTIONS = {"help_option_names": ["-h", "--help"]}
"""``-h`` as well as ``--help``, on the root app and (inherited) on every subcommand."""

app = typer.Typer(
    name="narcosim",
    help="Cartel drug supply into the United States, overdose deaths by state, and responses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings=HELP_OPTIONS,
)


def package_version() -> str:
    """The installed narcosim version (``unknown`` when run from an uninstalled tree)."""
    try:
        return version("narcosim")
    except PackageNotFoundError:  # pragma: no cover - source tree without metadata
        return "unknown"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"narcosim {package_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", is_eager=True,
        callback=_print_version)] = False,
) -> None:
    """Cartel drug supply into the United States, overdose deaths by state, and responses."""
atlas_app = typer.Typer(help="Real public data: import, download, export, sources, maps.",
                        no_args_is_help=True)
orgs_app = typer.Typer(help="Cartel organisations and their workforce.", no_args_is_help=True)

app.add_typer(atlas_app, name="atlas")
app.add_typer(orgs_app, name="orgs")
