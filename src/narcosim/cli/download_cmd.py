"""``narcosim atlas download``: fetch the official releases from their publishers, then import."""

from narcosim.cli.app import atlas_app  # noqa: F401
