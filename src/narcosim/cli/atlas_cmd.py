"""``narcosim atlas …`` commands: import, export, sources (maps and download live beside)."""

from narcosim.cli.app import atlas_app  # noqa: F401
