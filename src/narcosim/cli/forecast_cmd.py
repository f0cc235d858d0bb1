"""``narcosim forecast``: the status-quo forecast after the last CDC year, with intervals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from narcosim.analysis.scoring import QUANTILES, quantile_column
from narcosim.atlas.query import death_years
from narcosim.atlas.store import Atlas
from narcosim.calibrate.deaths import death_targets
from narcosim.calibrate.evaluate import EvaluationSettings
from narcosim.calibrate.forecast import MODEL, damping_runs, forecast_rng_for, model_quantiles
from narcosim.cli.app import app
from narcosim.cli.options import StoreOption, int_list
from narcosim.cli.output import JsonOption, print_json
from narcosim.core.files import atomic_write
from narcosim.errors import ParameterError
from narcosim.model.builder import load_inputs
from narcosim.model.fitted_people import FittedPeople
from narcosim.model.people import DEATH_KEYS
from narcosim.scenario.limits import MAX_SCALE, check_count

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


@app.command("forecast")
def forecast_command(
    horizons: Annotated[str, typer.Option("--horizons", help="Years after the last CDC year.")
                        ] = "1,2,3",
    scale: Annotated[int, typer.Option("--scale", help="People per agent.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Run seed.")] = 1,
    out: Annotated[Path, typer.Option("--out", help="CSV of every quantile.")] = Path(
        "forecast.csv"),
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Forecast deaths by drug and state after the last CDC year: the status quo, 23 quantiles.

    The packaged fit runs under each supply-trend damping; the forecast is anchored at CDC's
    last year and spread as `narcosim evaluate` scores it (docs/model.md, "Out of sample").
    """
    steps = int_list(horizons, "--horizons")
    if not steps or min(steps) < 1 or max(steps) > 10:
        raise ParameterError(f"--horizons must be 1 to 10 years, got {horizons!r}")
    check_count("--scale", scale, 1, MAX_SCALE)
    for parent in (out.parent, *out.parent.parents):
        if parent.exists() and not parent.is_dir():
            raise ParameterError(f"--out {out}: {parent} is a file, not a folder")
    if out.is_dir():
        raise ParameterError(f"--out {out}: is a folder; give a .csv file name")
    atlas = Atlas.open(store)
    years = death_years(atlas)
    origin = years[-1]
    inputs = load_inputs(atlas)
    if origin + max(steps) > inputs.world.years[-1]:
        raise ParameterError(f"--horizons: {origin + max(steps)} is past the model's last "
                             f"year ({inputs.world.years[-1]})")
    full = death_targets(atlas, inputs.world.states, years, DEATH_KEYS)
    with _err.status(f"forecasting {origin + min(steps)}–{origin + max(steps)}"):
        sims = damping_runs(inputs, FittedPeople.load().pars, EvaluationSettings().dampings,
                            (*years, *(origin + h for h in steps)), seed, scale)
    rows = []
    cols = [quantile_column(q) for q in QUANTILES]
    for d, drug in enumerate(DEATH_KEYS):
        nat_q, state_q = model_quantiles(sims[d], full.national[d], full.states[d], steps,
                                         forecast_rng_for(seed, origin, drug))[MODEL]
        for loc, q in (("US", nat_q), *zip(inputs.world.states, state_q, strict=True)):
            for j, h in enumerate(steps):
                rows.append({"drug": drug, "location": loc, "year": origin + h, "horizon": h,
                             **dict(zip(cols, np.asarray(q[j]).tolist(), strict=True))})
    frame = pd.DataFrame(rows)
    atomic_write(out, lambda tmp: frame.to_csv(tmp, index=False))
    table = Table(title=f"Status-quo forecast, United States: median (90% interval); CDC data "
                        f"end in {origin}")
    table.add_column("year")
    for drug in DEATH_KEYS:
        table.add_column(drug, justify="right")
    us = frame[frame["location"] == "US"]
    if as_json:
        print_json({"origin": origin, "file": str(out), "scale": scale, "seed": seed,
                    "national": [{"drug": r["drug"], "year": r["year"], "horizon": r["horizon"],
                                  "median": r["q0.5"], "low": r["q0.05"], "high": r["q0.95"]}
                                 for r in us.to_dict(orient="records")]})
        return
    for h in steps:
        cells = [us[(us["drug"] == drug) & (us["horizon"] == h)].iloc[0] for drug in DEATH_KEYS]
        table.add_row(str(origin + h), *(f"{c['q0.5']:,.0f} ({c['q0.05']:,.0f}–{c['q0.95']:,.0f})"
                                          for c in cells))
    _out.print(table)
    _out.print(f"wrote {out}", soft_wrap=True)
