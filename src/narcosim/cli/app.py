"""The typer applications that command modules register on.

Kept apart from ``narcosim.cli.__init__`` so that command modules can import the
apps without an import cycle.
"""

import typer

app = typer.Typer(
    name="narcosim",
    help="Cartel drug supply into the United States, overdose deaths by state, and responses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
atlas_app = typer.Typer(help="Real public data: import, download, export, sources, maps.",
                        no_args_is_help=True)
orgs_app = typer.Typer(help="Cartel organisations and their workforce.", no_args_is_help=True)

app.add_typer(atlas_app, name="atlas")
app.add_typer(orgs_app, name="orgs")
