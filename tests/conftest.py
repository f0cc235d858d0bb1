"""Shared fixtures: the real data folder and a store imported from it once per session."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _data_dir() -> Path:
    env = os.environ.get("NARCOSIM_DATA")
    return Path(env) if env else (REPO.parent / "shared" / "data")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder of real public data files (``../shared/data`` beside the repo)."""
    path = _data_dir()
    if not (path / "PROVENANCE.md").exists():
        pytest.fail(f"real data folder not found at {path}; set NARCOSIM_DATA")
    return path


@pytest.fixture(scope="session")
def atlas_store(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of an atlas store imported once per session from ``data_dir``."""
    from narcosim.atlas.store import import_data

    store = tmp_path_factory.mktemp("atlas") / "atlas.duckdb"
    import_data(data_dir, store)
    return store
