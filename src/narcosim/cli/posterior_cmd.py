"""``narcosim calibrate posterior``: sample the overdose parameters' posterior (ABC-PMC)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from narcosim.atlas.query import death_years
from narcosim.atlas.store import Atlas
from narcosim.cli.calibrate_cmd import StoreOption, _write_fit, calibrate_app
from narcosim.cli.output import JsonOption, print_json
from narcosim.model.builder import load_inputs
from narcosim.scenario.limits import (
    MAX_GENERATIONS,
    MAX_RUNS,
    MAX_SCALE,
    MAX_SEED,
    MAX_WORKERS,
    check_count,
)

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


@calibrate_app.command("posterior")
def posterior(
    store: StoreOption = None,
    particles: Annotated[int, typer.Option("--particles", help="Particles kept per "
                                                               "generation.")] = 100,
    generations: Annotated[int, typer.Option("--generations", help="Generations after the "
                                                                   "prior draw.")] = 4,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the runs and the sampler.")] = 1,
    scale: Annotated[int, typer.Option("--scale", help="People per agent.")] = 1000,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 2,
    work: Annotated[Path | None, typer.Option(
        "--work", help="Folder for each generation (rerunning resumes; default: the user "
                       "cache).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the sample here.")] = None,
    save_default: Annotated[bool, typer.Option(
        "--save-default", help="Overwrite the packaged posterior ensembles draw from.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Sample the posterior of the overdose parameters (ABC-PMC) and check it against CDC."""
    import platformdirs

    from narcosim.calibrate import deaths as cal
    from narcosim.calibrate.posterior_run import fit_posterior
    from narcosim.model.fitted_posterior import DEFAULT_POSTERIOR

    for option, value, low, high in (("--particles", particles, 10, MAX_RUNS),
                                     ("--generations", generations, 0, MAX_GENERATIONS),
                                     ("--seed", seed, 0, MAX_SEED),
                                     ("--scale", scale, 1, MAX_SCALE),
                                     ("--workers", workers, 1, MAX_WORKERS)):
        check_count(option, value, low, high)
    atlas = Atlas.open(store)
    inputs = load_inputs(atlas)
    targets = cal.death_targets(atlas, inputs.world.states, death_years(atlas))
    folder = work or (Path(platformdirs.user_cache_dir("narcosim", appauthor=False))
                      / "posterior" / f"seed{seed}-n{particles}-scale{scale}")
    command = (f"narcosim calibrate posterior --particles {particles} --generations "
               f"{generations} --seed {seed} --scale {scale}")
    with _err.status("sampling the posterior") as status:
        post, history = fit_posterior(
            inputs, targets, particles=particles, generations=generations, seed=seed,
            scale=scale, work=folder, workers=workers, command=command,
            progress=lambda g, n, p: status.update(
                f"generation {g}/{n}: tolerance {p.tolerance:.4f}, {p.evaluations} runs"))
    if as_json:
        wrote = _write_fit(post, out, DEFAULT_POSTERIOR if save_default else None, quiet=True)
        print_json({"generations": history, "columns": list(post.columns),
                    "effective_sample_size": post.meta["effective_sample_size"],
                    "predictive_check": post.meta["predictive_check"],
                    "wrote": [str(p) for p in wrote]})
        return
    print_posterior(post, history)
    _write_fit(post, out, DEFAULT_POSTERIOR if save_default else None)


def print_posterior(post, history: list[dict]) -> None:
    """The sampler's generations, the marginals beside the point fit, and the check."""
    from narcosim.calibrate.posterior_check import weighted_quantiles
    from narcosim.model.fitted_people import FittedPeople

    gens = Table(title="ABC-PMC generations")
    for col in ("generation", "tolerance", "new draws kept", "runs"):
        gens.add_column(col, justify="right")
    for h in history:
        gens.add_row(str(h["generation"]), f"{h['tolerance']:.4f}", f"{h['accepted']:.0%}",
                     str(h["evaluations"]))
    _out.print(gens)
    point = FittedPeople.load()
    fixed = {**point.pars, **{f"report_elasticity.{d}": v
                              for d, v in point.report_elasticity.items()}}
    qs = weighted_quantiles(post.values, post.weights, (0.05, 0.5, 0.95))
    marg = Table(title=f"Posterior ({len(post)} particles, effective size "
                       f"{post.meta['effective_sample_size']:.0f}): median [90% interval]")
    marg.add_column("parameter")
    marg.add_column("posterior", justify="right")
    marg.add_column("point fit", justify="right")
    for j, name in enumerate(post.columns):
        marg.add_row(name, f"{qs[1, j]:.3g} [{qs[0, j]:.3g}, {qs[2, j]:.3g}]",
                     f"{fixed[name]:.3g}" if name in fixed else "")
    _out.print(marg)
    check = post.meta["predictive_check"]
    for level, label in (("national", "national drug-years"), ("states", "state drug-years")):
        inside, total = check[f"{level}_count"]
        p_in, p_total = check[f"{level}_parameters_only_count"]
        _out.print(f"posterior predictive check, {label}: {inside}/{total} "
                   f"({check[level]:.0%}) of CDC's values inside the 90% band "
                   f"({p_in}/{p_total}, {check[level + '_parameters_only']:.0%}, inside the "
                   "band of parameter uncertainty alone)")
