"""``narcosim sensitivity`` without the command line: check, run, analyse, write tables.

Writes into the analysis folder ``design.json`` and ``samples/`` (see
:mod:`narcosim.analysis.sensitivity`), then ``samples.parquet`` (one row per sample: the
parameter values and every output), ``indices.parquet`` and ``indices.csv`` (tidy indices,
:data:`~narcosim.analysis.sensitivity.INDEX_COLUMNS`), ``sensitivity.json`` (settings) and the
chart page ``sensitivity.html``; each file atomically.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from narcosim.analysis.sensitivity import (
    Design,
    Evaluation,
    Progress,
    check_design_args,
    evaluate,
)
from narcosim.analysis.sensitivity_model import ModelSetup, check_drugs, evaluate_model
from narcosim.analysis.sensitivity_params import read_params_file, select_params
from narcosim.core.files import atomic_write
from narcosim.errors import ParameterError
from narcosim.run.backends import check_backend_args
from narcosim.run.member import write_json_atomic
from narcosim.scenario.limits import MAX_SCALE, check_count, check_dates

NONE = "none"


@dataclass
class SensitivityResult:
    """A finished analysis: its folder, indices, evaluation and settings."""

    out_dir: Path
    indices: pd.DataFrame
    evaluation: Evaluation
    meta: dict[str, Any]
    page: Path


def intervention_scenarios(names: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """(name, TOML text) of the scenarios asked for; every built-in lever scenario if none.

    ``none`` alone measures no intervention.

    Raises:
        ParameterError: An unknown scenario, or the status quo (it is the baseline).
    """
    from narcosim.scenario.loader import builtin_names, resolve_source

    if list(names) == [NONE]:
        return ()
    chosen = list(names) or [n for n in builtin_names() if n != "status_quo"]
    out = []
    for name in chosen:
        if name in ("status_quo", "default", NONE):
            raise ParameterError(f"--intervention {name!r}: not an intervention scenario "
                                 "(the status quo is the baseline; 'none' only alone)")
        try:
            source = resolve_source(name)
        except ParameterError as error:
            raise ParameterError(f"--intervention {name!r}: {error}") from None
        out.append((Path(name).stem, source.text))
    return tuple(out)


def measured_years(years: Sequence[int], last_data_year: int, start: str, end: str
                   ) -> tuple[int, ...]:
    """The years whose deaths are measured: those asked, or the last CDC year and the last.

    Raises:
        ParameterError: Bad dates, or an asked year outside the run.
    """
    first_day, last_day = check_dates(start, end)
    first, last = first_day.year, last_day.year
    for year in years:
        if not first <= year <= last:
            raise ParameterError(f"--years {year}: outside the run ({first}-{last})")
    if years:
        return tuple(dict.fromkeys(years))
    wanted = [y for y in (last_data_year, last) if first <= y <= last]
    return tuple(dict.fromkeys(wanted)) or (last,)


def run_sensitivity(
    *,
    method: str,
    n: int,
    seed: int,
    scale: int,
    start: str,
    end: str,
    store: Path,
    out_dir: Path,
    params: Sequence[str] = (),
    params_file: Path | None = None,
    drugs: Sequence[str] = (),
    years: Sequence[int] = (),
    interventions: Sequence[str] = (),
    backend: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    command: Sequence[str] = (),
    on_ready: Callable[[Design, ModelSetup], None] | None = None,
) -> SensitivityResult:
    """Check every argument, run the sample (resuming), analyse it and write the outputs.

    Raises:
        ParameterError: Any bad argument, in one line, before anything runs.
    """
    check_backend_args(backend, workers, scheduler)
    check_count("--scale", scale, 1, MAX_SCALE)
    check_dates(start, end)
    check_design_args(method, n, 1)
    ranges = read_params_file(params_file) if params_file is not None else None
    chosen = select_params(params, ranges,
                           where=f"--params-file {params_file}:" if ranges and not params
                           else "--param")
    check_design_args(method, n, len(chosen))
    drug_keys = check_drugs(drugs)
    levers = intervention_scenarios(interventions)
    if not Path(store).is_file():
        raise ParameterError(f"--store {store}: no atlas store there (run narcosim atlas "
                             "import first)")
    from narcosim.atlas.query import death_years
    from narcosim.atlas.store import Atlas

    last_data_year = death_years(Atlas.open(store))[-1]
    measured = measured_years(years, last_data_year, start, end)
    design = Design(method, tuple(p.key for p in chosen), tuple(p.bounds for p in chosen),
                    int(n), int(seed))
    setup = ModelSetup(str(store), int(seed), int(scale), start, end, tuple(chosen), measured,
                       drug_keys, levers)
    if on_ready is not None:
        on_ready(design, setup)
    evaluation = evaluate(design, evaluate_model, setup, out_dir,
                          identity=setup.identity(), backend=backend, workers=workers,
                          scheduler=scheduler, force=force, progress=progress)
    indices = design.analyze(evaluation.x, evaluation.outputs)
    meta = {"command": " ".join(command), "method": method, "n": int(n),
            "rows": design.n_rows, "seed": int(seed), "scale": int(scale),
            "period": f"{start} to {end}", "last_data_year": last_data_year,
            "years": list(measured), "interventions": [name for name, _ in levers],
            "parameters": ", ".join(design.names),
            "ranges": [p.record() for p in chosen], "ran": len(evaluation.ran),
            "skipped": len(evaluation.skipped),
            "wall_seconds": round(evaluation.wall_seconds, 1)}
    _write_tables(Path(out_dir), design, evaluation, indices, meta)
    from narcosim.report.sensitivity_report import write_sensitivity_report

    page = write_sensitivity_report(Path(out_dir), indices, meta)
    return SensitivityResult(Path(out_dir), indices, evaluation, meta, page)


def _write_tables(out_dir: Path, design: Design, evaluation: Evaluation,
                  indices: pd.DataFrame, meta: dict[str, Any]) -> None:
    samples = pd.DataFrame(evaluation.x, columns=list(design.names))
    for name, values in evaluation.outputs.items():
        samples[name] = values
    samples.insert(0, "sample", range(len(samples)))
    atomic_write(out_dir / "samples.parquet", lambda p: samples.to_parquet(p, index=False))
    atomic_write(out_dir / "indices.parquet", lambda p: indices.to_parquet(p, index=False))
    atomic_write(out_dir / "indices.csv", lambda p: indices.to_csv(p, index=False))
    write_json_atomic(out_dir / "sensitivity.json", meta)

