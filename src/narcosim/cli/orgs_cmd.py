"""``narcosim orgs …`` commands: the cartel workforce model."""

from narcosim.cli.app import orgs_app  # noqa: F401
