"""``narcosim atlas map`` and ``narcosim atlas chart``: offline HTML (and PNG) figures."""

from narcosim.cli.app import atlas_app  # noqa: F401
