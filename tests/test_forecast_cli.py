"""``narcosim forecast``: the status-quo forecast after the last CDC year, with quantiles."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from narcosim.analysis.scoring import QUANTILES, quantile_column
from narcosim.atlas.query import death_years
from narcosim.atlas.store import Atlas


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "narcosim", *args], capture_output=True,
                          text=True, timeout=600, env={**os.environ, "COLUMNS": "200"})


def test_forecast_writes_quantiles_after_the_last_cdc_year(atlas_store: Path,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "forecast.csv"
    proc = _cli("forecast", "--horizons", "1,2", "--scale", "2000", "--out", str(out),
                "--store", str(atlas_store))
    assert proc.returncode == 0, proc.stderr
    last = death_years(Atlas.open(atlas_store))[-1]
    frame = pd.read_csv(out)
    assert set(frame["year"]) == {last + 1, last + 2}
    assert len(frame) == 4 * 52 * 2  # drugs x (US + 51 states) x horizons
    q = frame[[quantile_column(x) for x in QUANTILES]].to_numpy()
    us = frame["location"] == "US"
    assert np.isfinite(q[us.to_numpy()]).all()
    ok = np.isfinite(q).all(axis=1)
    assert (np.diff(q[ok], axis=1) >= 0).all() and ok.mean() > 0.9
    # the spread widens with the horizon (the status quo is less certain further out)
    fent = frame[us & (frame["drug"] == "fentanyl")].set_index("horizon")
    width = fent["q0.95"] / fent["q0.05"]
    assert width[2] > width[1] > 1
    assert str(last + 1) in proc.stdout and "90% interval" in proc.stdout


def test_bad_horizons_are_one_line_exit_2(atlas_store: Path, tmp_path: Path) -> None:
    for horizons, needle in (("0", "--horizons must be 1 to 10"), ("5", "past the model's"),
                             ("x", "--horizons 'x'")):
        proc = _cli("forecast", "--horizons", horizons, "--out", str(tmp_path / "f.csv"),
                    "--store", str(atlas_store))
        assert proc.returncode == 2, proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], proc.stderr
        assert not (tmp_path / "f.csv").exists()


def test_out_under_a_file_or_at_a_folder_is_one_line_exit_2(atlas_store: Path,
                                                            tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    for out, needle in ((blocker / "f.csv", "is a file, not a folder"),
                        (tmp_path, "is a folder")):
        proc = _cli("forecast", "--horizons", "1", "--out", str(out), "--store",
                    str(atlas_store))
        assert proc.returncode == 2, proc.stdout
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]
