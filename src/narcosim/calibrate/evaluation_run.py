"""Run an evaluation into a folder: origins in parallel, each saved as it ends, resumable.

The folder holds ``settings.json`` (what was asked), one ``origin-T.parquet`` and
``origin-T.json`` per finished origin, one ``fold-K.json`` per finished leave-states-out fold,
then ``leave-out.json`` (the folds pooled), ``forecasts.parquet`` (every
model's quantiles), ``scores.csv`` (mean WIS, relative WIS against persistence, 50% and 90%
coverage by model, drug and national/state), ``scores_by_horizon.csv``, ``evaluation.json``
and ``evaluation.html``. A rerun with the same settings computes only what is missing; other
settings are refused in one line.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from narcosim.analysis.scoring import score_table
from narcosim.atlas.query import death_years
from narcosim.atlas.store import Atlas
from narcosim.calibrate.deaths import death_targets
from narcosim.calibrate.evaluate import (
    EvaluationSettings,
    check_settings,
    fit_without,
    forecast_origin,
    leave_states_out,
    state_folds,
)
from narcosim.core.files import atomic_write
from narcosim.errors import ParameterError
from narcosim.model.people import DEATH_KEYS
from narcosim.run.backends import run_jobs
from narcosim.run.member import write_json_atomic
from narcosim.world import World


def _origin_job(store: Path, origin: int, settings: EvaluationSettings, folder: Path) -> int:
    """One origin, run in a worker; writes its parquet and JSON atomically."""
    atlas = Atlas.open(store)
    world = World.from_atlas(atlas)
    full = death_targets(atlas, world.states, death_years(atlas), DEATH_KEYS)
    rows, summary = forecast_origin(atlas, origin, settings, full)
    atomic_write(folder / f"origin-{origin}.parquet", lambda tmp: rows.to_parquet(tmp, index=False))
    write_json_atomic(folder / f"origin-{origin}.json", summary)
    return origin


def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn(*args)`` (one pool for the origins and the folds)."""
    return fn(*args)


def _fold_job(store: Path, k: int, held: list[str], settings: EvaluationSettings,
              folder: Path) -> str:
    """One leave-states-out fold, run in a worker; writes ``fold-K.json`` atomically."""
    write_json_atomic(folder / f"fold-{k}.json", fit_without(Atlas.open(store), settings, held))
    return f"held-out fold {k + 1}"


def _check_folder(folder: Path, settings: EvaluationSettings) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "settings.json"
    asked = dataclasses.asdict(settings)
    if path.exists():
        try:
            had = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            had = None
        if had != json.loads(json.dumps(asked)):
            raise ParameterError(f"{folder} holds an evaluation with other settings; choose "
                                 "another --out or remove it")
    else:
        write_json_atomic(path, asked)


def run_evaluation(atlas: Atlas, settings: EvaluationSettings, folder: Path, *,
                   backend: str = "local", workers: int = 2,
                   progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    """Run (or resume) an evaluation into ``folder`` and return its summary.

    Raises:
        ParameterError: Origins outside the data, too few fit years, or a folder holding
            another evaluation.
    """
    check_settings(death_years(atlas), settings)
    _check_folder(folder, settings)
    jobs: list[tuple[Any, ...]] = [(atlas.path, o, settings, folder) for o in settings.origins
                                   if not (folder / f"origin-{o}.json").exists()]
    folds = (state_folds(World.from_atlas(atlas).states, settings.folds, settings.seed)
             if settings.folds else [])
    fold_jobs: list[tuple[Any, ...]] = [(atlas.path, k, held, settings, folder)
                                        for k, held in enumerate(folds)
                                        if not (folder / f"fold-{k}.json").exists()]
    todo = len(jobs) + len(fold_jobs)
    done = 0
    if progress is not None:
        progress("starting", done, todo)
    batch = [(_origin_job, *job) for job in jobs] + [(_fold_job, *job) for job in fold_jobs]
    if batch:
        for finished in run_jobs(_call, batch, backend=backend, workers=workers):
            done += 1
            if progress is not None:
                progress(finished if isinstance(finished, str) else f"origin {finished}", done,
                         todo)
    if folds:
        results = [json.loads((folder / f"fold-{k}.json").read_text()) for k in range(len(folds))]
        write_json_atomic(folder / "leave-out.json", leave_states_out(atlas, results))
    return summarise(folder, settings)


def summarise(folder: Path, settings: EvaluationSettings) -> dict[str, Any]:
    """Collect the origins into forecasts, scores and the summary files."""
    frames = [pd.read_parquet(folder / f"origin-{o}.parquet") for o in settings.origins]
    forecasts = pd.concat(frames, ignore_index=True)
    forecasts.to_parquet(folder / "forecasts.parquet", index=False)
    scores = score_table(forecasts, by=("model", "drug", "location_kind"))
    by_h = score_table(forecasts, by=("model", "drug", "location_kind", "horizon"))
    scores.to_csv(folder / "scores.csv", index=False)
    by_h.to_csv(folder / "scores_by_horizon.csv", index=False)
    fits = [json.loads((folder / f"origin-{o}.json").read_text()) for o in settings.origins]
    leave = (json.loads((folder / "leave-out.json").read_text())
             if (folder / "leave-out.json").exists() else None)
    summary = {"settings": dataclasses.asdict(settings),
               "scores": scores.to_dict(orient="records"),
               "scores_by_horizon": by_h.to_dict(orient="records"),
               "origins": fits, "leave_out": leave}
    write_json_atomic(folder / "evaluation.json", summary)
    return summary
