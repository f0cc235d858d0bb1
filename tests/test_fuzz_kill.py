"""Kill -9 fault trials of ``narcosim atlas import``: the store is never broken.

Each trial starts an import into a store that already holds a good import, kills it
with SIGKILL after a delay spread over start-up, validation and the write (seeded), and
checks that the store still opens with every table readable, and that the next import
completes and removes what the killed one left (its temporary file and WAL).
Three trials run by default; the other seventeen are marked slow.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from narcosim.atlas.store import Atlas, import_data

REPO = Path(__file__).resolve().parents[1]
TRIALS = 20
DELAYS = np.random.default_rng(20261203).uniform(0.3, 6.0, TRIALS)


@pytest.fixture(scope="module")
def good_store(data_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("kill-store") / "atlas.duckdb"
    import_data(data_dir, path)
    return path


def _usable(store: Path) -> None:
    atlas = Atlas.open(store)
    for name in atlas.tables():
        assert len(atlas.table(name)) > 0, name


@pytest.mark.parametrize("trial", [
    pytest.param(i, marks=pytest.mark.slow) if i >= 3 else i for i in range(TRIALS)])
def test_kill_during_import_leaves_a_usable_store(trial, data_dir, good_store):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.Popen([sys.executable, "-m", "narcosim", "atlas", "import",
                             str(data_dir), "--store", str(good_store)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                            start_new_session=True)
    time.sleep(float(DELAYS[trial]))
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    _usable(good_store)  # the old store or the new one, whole either way
    import_data(data_dir, good_store)  # a rerun completes and cleans up
    _usable(good_store)
    assert sorted(p.name for p in good_store.parent.iterdir()) == ["atlas.duckdb"]
