"""Out-of-sample skill, pinned: the documented evaluation, rerun and scored.

Runs ``narcosim evaluate`` with its defaults (origins 2018–2021, horizons 1 and 2, 80 trials
at 1:1000, forecasts at 1:100, seed 1, every state held out once in five folds) — the command
whose tables are in docs/model.md — and checks the acceptance figures of the honest-model issue:
relative WIS (model ÷ persistence, over origins and horizons) below 1 for fentanyl and all
drugs, nationally and over states; 90% intervals covering 80–97% of held-out values; the
held-out states' pooled R² reported beside its baselines and above population share for
fentanyl and all drugs. The pinned figures are the documented ones (same seed, same code: the
run is deterministic).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

#: docs/model.md, "Out of sample": relative WIS of the anchored forecast by drug and place.
PINNED: dict[tuple[str, str], float] = {
    ("fentanyl", "national"): 0.8199, ("fentanyl", "state"): 0.9902,
    ("all_drugs", "national"): 0.8102, ("all_drugs", "state"): 0.8578,
    ("methamphetamine", "national"): 0.9223, ("methamphetamine", "state"): 0.7314,
    ("cocaine", "national"): 0.7714, ("cocaine", "state"): 0.8150,
}


@pytest.fixture(scope="module")
def evaluation(atlas_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("skill") / "evaluation"
    proc = subprocess.run([sys.executable, "-m", "narcosim", "evaluate", "--out", str(out),
                           "--store", str(atlas_store)], capture_output=True, text=True,
                          timeout=2400, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.slow
def test_relative_wis_beats_persistence_and_matches_the_docs(evaluation: Path) -> None:
    scores = pd.read_csv(evaluation / "scores.csv")
    model = scores[scores["model"] == "narcosim"].set_index(["drug", "location_kind"])
    for drug in ("fentanyl", "all_drugs"):
        for where in ("national", "state"):
            assert model.loc[(drug, where), "relative_wis"] < 1.0, model
    for (drug, where), value in PINNED.items():
        assert model.loc[(drug, where), "relative_wis"] == pytest.approx(value, abs=0.005)


@pytest.mark.slow
def test_intervals_cover_80_to_97_percent(evaluation: Path) -> None:
    f = pd.read_parquet(evaluation / "forecasts.parquet")
    f = f[f["model"] == "narcosim"].dropna(subset=["observed", "q0.05", "q0.95"])
    inside = (f["observed"] >= f["q0.05"]) & (f["observed"] <= f["q0.95"])
    assert 0.80 <= inside.mean() <= 0.97, inside.mean()


#: docs/model.md, "Held-out states": pooled R² of per-capita rates, model and population share.
HELD_OUT = {"fentanyl": (0.430, 0.136), "all_drugs": (0.335, 0.159)}


@pytest.mark.slow
def test_held_out_states_beat_population_share_as_documented(evaluation: Path) -> None:
    leave = json.loads((evaluation / "leave-out.json").read_text())
    r2 = {row["drug"]: row for row in leave["r2"]}
    assert len(leave["states"]) == 51 and len(leave["folds"]) == 5
    for drug, (model, flat) in HELD_OUT.items():
        assert r2[drug]["model"] > r2[drug]["population share"], r2[drug]
        assert r2[drug]["model"] == pytest.approx(model, abs=0.005), r2[drug]
        assert r2[drug]["population share"] == pytest.approx(flat, abs=0.005), r2[drug]
        assert {"2015 share", "persistence"} <= set(r2[drug])
    # fentanyl beats population share in every fold, so it does not hang on one group of
    # states; all drugs only in three folds of five (docs/model.md says which)
    wins = {drug: 0 for drug in HELD_OUT}
    for fold in leave["folds"]:
        rows = {row["drug"]: row for row in fold["r2"]}
        for drug in HELD_OUT:
            wins[drug] += rows[drug]["model"] > rows[drug]["population share"]
    assert wins == {"fentanyl": 5, "all_drugs": 3}, wins
