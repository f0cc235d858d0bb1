"""``narcosim calibrate …``: fit the model to the real data and print the fit."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from narcosim.atlas.query import death_years
from narcosim.atlas.store import Atlas
from narcosim.calibrate.seizure_targets import southwest_seizures
from narcosim.calibrate.seizures import (
    compare,
    fit_seizures,
    run_fit_sim,
    simulated_seizures,
)
from narcosim.cli.options import StoreOption, int_list
from narcosim.cli.output import JsonOption, print_json
from narcosim.errors import ParameterError
from narcosim.model.builder import load_inputs
from narcosim.model.fitted_supply import DEFAULT_FIT_FILE, FittedSupply
from narcosim.scenario.limits import (
    MAX_RUNS,
    MAX_SCALE,
    MAX_WORKERS,
    check_count,
)

calibrate_app = typer.Typer(help="Fit the model to the real data and report the fit.",
                            no_args_is_help=False)
_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)



def _totals_table(totals: pd.DataFrame) -> Table:
    table = Table(title="Southwest-border seizures, CBP vs simulated (kg)")
    for col in ("drug", "fiscal year", "CBP kg", "simulated kg", "error"):
        table.add_column(col, justify="left" if col == "drug" else "right")
    for row in totals.itertuples():
        table.add_row(row.drug, f"FY{row.fiscal_year}", f"{row.cbp_kg:,.0f}",
                      f"{row.sim_kg:,.0f}", f"{row.rel_error:+.1%}")
    return table


def _shares_table(shares: pd.DataFrame, drug: str) -> Table:
    rows = shares[shares["drug"] == drug]
    offices = list(dict.fromkeys(rows["field_office"]))
    table = Table(title=f"{drug.capitalize()}: field-office share of port (OFO) seizures, "
                        "CBP / simulated")
    table.add_column("fiscal year")
    for office in offices:
        table.add_column(office.replace(" FIELD OFFICE", "").title(), justify="right")
    for fy, grp in rows.groupby("fiscal_year"):
        g = grp.set_index("field_office")
        table.add_row(f"FY{fy}", *[f"{g.loc[o, 'cbp_share']:.1%} / {g.loc[o, 'sim_share']:.1%}"
                                   for o in offices])
    return table


def print_fit(totals: pd.DataFrame, shares: pd.DataFrame) -> None:
    """Print the fit tables and the worst errors."""
    _out.print(_totals_table(totals))
    for drug in ("fentanyl", "methamphetamine", "cocaine"):
        _out.print(_shares_table(shares, drug))
    _out.print(f"worst total error {totals['rel_error'].abs().max():.1%}; worst field-office "
               f"share gap {shares['diff_pp'].abs().max():.1f} percentage points")


@calibrate_app.command("seizures")
def seizures(
    store: StoreOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the calibration runs.")] = 1,
    iterations: Annotated[int, typer.Option("--iterations", help="Fit rounds.")] = 6,
    check: Annotated[bool, typer.Option("--check", help="Only compare the current fit.")] = False,
    fit: Annotated[Path | None, typer.Option(
        "--fit", help="Fit file to check (default: the packaged fit).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the new fit here.")] = None,
    save_default: Annotated[bool, typer.Option(
        "--save-default", help="Overwrite the packaged fit the default scenario uses.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Fit flows and interdiction to CBP's FY2019–FY2023 seizures, or --check the fit."""
    if seed < 0:
        raise ParameterError(f"--seed must be >= 0, got {seed}")
    if iterations < 0 or iterations > 50:
        raise ParameterError(f"--iterations must be between 0 and 50, got {iterations}")
    atlas = Atlas.open(store)
    cbp = southwest_seizures(atlas.table("seizures"))
    if check:
        fitted = FittedSupply.load(fit)
        sim = run_fit_sim(load_inputs(atlas, fitted=fitted), fitted, seed)
        totals, shares = compare(simulated_seizures(sim), cbp)
        if as_json:
            print_json(_seizure_json(totals, shares, []))
            return
        print_fit(totals, shares)
        return
    with _err.status("fitting to CBP seizures") as status:
        fitted, totals, shares = fit_seizures(
            atlas, seed=seed, iterations=iterations,
            progress=lambda i, n, e: status.update(f"round {i}/{n}: worst error {e:.1%}"))
    if as_json:
        wrote = _write_fit(fitted, out, DEFAULT_FIT_FILE if save_default else None, quiet=True)
        print_json(_seizure_json(totals, shares, wrote))
        return
    print_fit(totals, shares)
    _write_fit(fitted, out, DEFAULT_FIT_FILE if save_default else None)


def _seizure_json(totals: pd.DataFrame, shares: pd.DataFrame, wrote: list[Path]) -> dict:
    return {"totals": totals.to_dict(orient="records"),
            "shares": shares.to_dict(orient="records"),
            "worst_total_error": float(totals["rel_error"].abs().max()),
            "worst_share_gap_pp": float(shares["diff_pp"].abs().max()),
            "wrote": [str(p) for p in wrote]}



def _write_fit(fit: Any, out: Path | None, packaged: str | None,
               quiet: bool = False) -> list[Path]:
    """Save a fit to ``out`` and, when ``packaged`` names one, over the packaged file."""
    paths = [p for p in (out,) if p is not None]
    if packaged is not None:
        paths.append(Path(str(resources.files("narcosim.model").joinpath(packaged))))
    for path in paths:
        fit.save(path)
        if not quiet:
            _out.print(f"wrote {path}")
    return paths

def _fit_tables(fit_table: pd.DataFrame, national: pd.DataFrame, title: str) -> None:
    table = Table(title=title)
    for col in ("drug", "national MAPE", "worst year", "state-year R²", "state-years"):
        table.add_column(col, justify="left" if col == "drug" else "right")
    for row in fit_table.itertuples():
        table.add_row(row.drug, f"{row.mape:.1%}", f"{row.worst_year_error:.1%}",
                      f"{row.r2_state_year:.3f}", str(row.state_years))
    _out.print(table)
    wide = national.pivot(index="year", columns="drug", values=["cdc", "simulated"])
    by_year = Table(title="National deaths by year: CDC / simulated (expected)")
    by_year.add_column("year")
    drugs = list(dict.fromkeys(national["drug"]))
    for drug in drugs:
        by_year.add_column(drug, justify="right")
    for year in wide.index:
        by_year.add_row(str(year), *[f"{wide.loc[year, ('cdc', d)]:,.0f} / "
                                     f"{wide.loc[year, ('simulated', d)]:,.0f}" for d in drugs])
    _out.print(by_year)


def _skill_table(annual, targets, inputs) -> None:
    from narcosim.calibrate.skill import BASELINES, rate_r2_table

    rows = np.clip(np.asarray(targets.years) - inputs.world.years[0], 0,
                   len(inputs.world.years) - 1)
    pop = np.asarray(inputs.world.population, dtype=float)[rows]
    table = Table(title="State-year R² of per-capita rates: the model beside baselines")
    for col in ("drug", "narcosim", *BASELINES):
        table.add_column(col, justify="left" if col == "drug" else "right")
    for row in rate_r2_table(annual, targets, pop).to_dict(orient="records"):
        table.add_row(row["drug"], *(f"{row[k]:.3f}" for k in ("model", *BASELINES)))
    _out.print(table)


def _identified(people, shares: dict[tuple[str, int], float]) -> None:
    interval = people.meta.get("fentanyl_elasticity_interval")
    e = people.pars.get("fentanyl_elasticity")
    if e is not None and interval:
        _out.print(f"supply elasticity of fentanyl deaths: {e:.2f} (95% profile interval "
                   f"{interval[0]:.2f}–{interval[1]:.2f}); halving supply multiplies the "
                   f"fentanyl hazard by {0.5 ** e:.2f}")
    kappa = ", ".join(f"{d} {v:.2f}" for d, v in people.report_elasticity.items())
    if kappa:
        _out.print(f"flow elasticity to NFLIS reports outside the seizure window: {kappa}")
    from narcosim.calibrate.deaths import co_involvement_records

    for row in co_involvement_records(shares):
        _out.print(f"{row['drug']} deaths involving an opioid in {row['year']}: "
                   f"{row['simulated']:.1%} simulated, {row['published']:.1%} published")


@calibrate_app.callback(invoke_without_command=True)
def calibrate(
    ctx: typer.Context,
    report: Annotated[bool, typer.Option("--report", help="Print the fit table of the saved "
                                                          "fit and stop.")] = False,
    backtest: Annotated[bool, typer.Option("--backtest", help="Fit 2015–2021 only, predict "
                                                              "2022–2023.")] = False,
    store: StoreOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the runs and the sampler.")] = 1,
    trials: Annotated[int, typer.Option("--trials", help="Optuna trials.")] = 80,
    scale: Annotated[int | None, typer.Option(
        "--scale", help="People per agent (fit: 1000; report: 100).")] = None,
    years: Annotated[str | None, typer.Option(
        "--years", help="Fit years, e.g. 2015-2023 (default: every CDC year in the store).")
    ] = None,
    drugs: Annotated[str, typer.Option("--drugs", help="Drug keys to fit, comma-separated.")] = (
        "fentanyl,methamphetamine,cocaine,all_drugs"),
    fit: Annotated[Path | None, typer.Option("--fit", help="People fit to report "
                                                           "(default: the packaged fit).")] = None,
    backend: Annotated[str | None, typer.Option(
        "--backend", help="Run trials in batches on the ensembles' 'local' pool or 'dask' "
                          "(default: one by one here).")] = None,
    workers: Annotated[int, typer.Option("--workers", help="Trials per batch / workers.")] = 2,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address (with --backend dask).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the new fit here.")] = None,
    save_default: Annotated[bool, typer.Option(
        "--save-default", help="Overwrite the packaged fit the default scenario uses.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Fit overdose risks to CDC deaths 2015–2023 (Optuna), or print the fit (--report)."""
    if ctx.invoked_subcommand is not None:
        return
    from narcosim.calibrate import deaths as cal
    from narcosim.calibrate.optimise import calibrate_deaths
    from narcosim.model.fitted_people import DEFAULT_PEOPLE_FIT, FittedPeople

    if seed < 0:
        raise ParameterError(f"--seed must be >= 0, got {seed}")
    if scale is not None:
        check_count("--scale", scale, 1, MAX_SCALE)
    check_count("--trials", trials, 1, MAX_RUNS)
    check_count("--workers", workers, 1, MAX_WORKERS)
    drug_list = tuple(d.strip() for d in drugs.split(",") if d.strip())
    atlas = Atlas.open(store)
    year_list = int_list(years, "--years") if years is not None else death_years(atlas)
    inputs = load_inputs(atlas)
    targets = cal.death_targets(atlas, inputs.world.states, year_list, drug_list)
    if report:
        people = FittedPeople.load(fit)
        inputs = inputs.with_fit(report_elasticity=people.report_elasticity or None)
        end = f"{year_list[-1]}-12-31"
        with _err.status("running the model with the saved fit"):
            sold = cal.record_market(inputs, seed, end)
            sim = cal.people_sim(inputs, sold, seed=seed, scale=scale or 100, end=end,
                                 pars=people.pars).run()
        annual = cal.annual_deaths(sim, targets.years)
        if as_json:
            print_json(_report_json(cal, annual, targets, inputs, people, sim, scale or 100,
                                    seed))
            return
        _fit_tables(cal.fit_table(annual, targets), cal.national_table(annual, targets),
                    f"Fit to CDC deaths {year_list[0]}–{year_list[-1]} (expected deaths, "
                    f"scale 1:{scale or 100}, seed {seed})")
        _skill_table(annual, targets, inputs)
        _identified(people, cal.co_involvement(sim, targets.years))
        return
    if backtest:
        train = tuple(y for y in year_list if y <= 2021)
        test_years = tuple(y for y in year_list if y > 2021)
        if not train or not test_years:
            raise ParameterError("--backtest needs fit years on both sides of 2021/2022")
        inputs = load_inputs(atlas, input_end=train[-1])
        targets = cal.death_targets(atlas, inputs.world.states, train, drug_list)
    if backend is not None:
        from narcosim.run.backends import check_backend_args

        check_backend_args(backend, workers, scheduler)
    with _err.status("fitting to CDC deaths") as status:
        fitted, table = calibrate_deaths(
            inputs, targets, seed=seed, trials=trials, scale=scale or 1000, backend=backend,
            workers=workers, scheduler=scheduler, profile=not backtest,
            progress=lambda i, n, b: status.update(f"trial {i}/{n}: best {b:.4f}"))
    if not as_json:
        _out.print(f"fitted: {fitted.pars}")
    if backtest:
        full = cal.death_targets(atlas, inputs.world.states, year_list, drug_list)
        inputs = inputs.with_fit(report_elasticity=fitted.report_elasticity)
        end = f"{year_list[-1]}-12-31"
        sold = cal.record_market(inputs, seed, end)
        sim = cal.people_sim(inputs, sold, seed=seed, scale=scale or 1000, end=end,
                             pars=fitted.pars).run()
        national = cal.national_table(cal.annual_deaths(sim, full.years), full)
        held = national[national["year"].isin(test_years)]
        table_out = Table(title=f"Backtest: fit {train[0]}–{train[-1]}, predict "
                                f"{test_years[0]}–{test_years[-1]} (national)")
        for col in ("drug", "year", "CDC", "predicted", "error"):
            table_out.add_column(col, justify="left" if col == "drug" else "right")
        for row in held.itertuples():
            table_out.add_row(row.drug, str(row.year), f"{row.cdc:,.0f}", f"{row.simulated:,.0f}",
                              f"{row.error:+.1%}")
        if not as_json:
            _out.print(table_out)
        fitted.meta["backtest"] = held.to_dict(orient="records")
    elif not as_json:
        _out.print(table.to_string(index=False))
    wrote = _write_fit(fitted, out, DEFAULT_PEOPLE_FIT if save_default and not backtest
                       else None, quiet=as_json)
    if as_json:
        print_json({"fitted": fitted.pars, "fit": table.to_dict(orient="records"),
                    "backtest": fitted.meta.get("backtest"), "wrote": [str(p) for p in wrote]})


def _report_json(cal: Any, annual: np.ndarray, targets: Any, inputs: Any, people: Any,
                 sim: Any, scale: int, seed: int) -> dict:
    """``calibrate --report --json``: the fit, national years, skill and identified values."""
    from narcosim.calibrate.skill import rate_r2_table

    rows = np.clip(np.asarray(targets.years) - inputs.world.years[0], 0,
                   len(inputs.world.years) - 1)
    pop = np.asarray(inputs.world.population, dtype=float)[rows]
    return {"scale": scale, "seed": seed, "years": list(targets.years),
            "fit": cal.fit_table(annual, targets).to_dict(orient="records"),
            "national": cal.national_table(annual, targets).to_dict(orient="records"),
            "rate_r2": rate_r2_table(annual, targets, pop).to_dict(orient="records"),
            "fentanyl_elasticity": people.pars.get("fentanyl_elasticity"),
            "fentanyl_elasticity_interval": people.meta.get("fentanyl_elasticity_interval"),
            "report_elasticity": dict(people.report_elasticity),
            "co_involvement": cal.co_involvement_records(
                cal.co_involvement(sim, targets.years))}


@calibrate_app.command("last-mile")
def last_mile(
    store: StoreOption = None,
    seeds: Annotated[str, typer.Option("--seeds", help="Seeds to run, comma-separated.")] = "1,2,3",
    fit_yields: Annotated[bool, typer.Option("--fit", help="Recalibrate the seizure yields "
                                                          "first (seed 1).")] = False,
    as_json: JsonOption = False,
) -> None:
    """Simulate Operation Last Mile and print its tallies next to the reported ones."""
    from narcosim.calibrate import last_mile as lm
    from narcosim.interventions.dealer_ops import LAST_MILE_TALLIES

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise ParameterError(f"--seeds {seeds!r}: write integers like 1,2,3") from None
    if not seed_list or min(seed_list) < 0:
        raise ParameterError("--seeds: give one or more seeds >= 0")
    inputs = load_inputs(Atlas.open(store))
    pars = None
    if fit_yields:
        with _err.status("calibrating yields per investigation"):
            pars = lm.fit_yields(inputs, seed=1)
        if not as_json:
            _out.print(f"calibrated yields: {pars}")
    runs = [lm.simulate_last_mile(inputs, s, pars) for s in seed_list]
    if as_json:
        print_json({"yields": pars, "reported": dict(LAST_MILE_TALLIES),
                    "simulated": {str(s): r for s, r in zip(seed_list, runs, strict=True)}})
        return
    table = Table(title="Operation Last Mile (May 2022 – May 2023): reported vs simulated")
    table.add_column("tally")
    table.add_column("reported", justify="right")
    for s in seed_list:
        table.add_column(f"seed {s}", justify="right")
    for key, reported in LAST_MILE_TALLIES.items():
        table.add_row(key, f"{reported:,.0f}", *[
            f"{r[key]:,.0f} ({r[key] / reported - 1:+.0%})" for r in runs])
    _out.print(table)
