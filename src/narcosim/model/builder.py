"""Build the default supply simulation from the atlas, and summarise a finished run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from narcosim.atlas.store import Atlas
from narcosim.core.module import Module
from narcosim.core.sim import Sim
from narcosim.core.time import Timeline
from narcosim.errors import ParameterError
from narcosim.model.dealers import Dealers
from narcosim.model.distribution import Distribution
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.firearms import Firearms, guns_summary
from narcosim.model.fitted_people import FittedPeople
from narcosim.model.fitted_supply import FittedSupply
from narcosim.model.inputs import SupplyInputs, build_supply_inputs
from narcosim.model.ledger import Ledger
from narcosim.model.money import Money, revenue_by_year, revenue_vs_published
from narcosim.model.people import DEATH_KEYS, People
from narcosim.model.portfolio import LINES, REGIONS, Portfolio
from narcosim.model.precursors import Precursors
from narcosim.model.production import Production
from narcosim.model.trafficking import Trafficking
from narcosim.orgs.structure import OrgStructure
from narcosim.world import World

#: The default horizon: history from 2015, projection to the end of 2026 (DESIGN.md section 3).
DEFAULT_START = "2015-01-01"
DEFAULT_END = "2026-12-31"
#: Real dealers (and, later, people) per agent: 1:100 (DESIGN.md section 3).
DEFAULT_SCALE = 100
MODULE_NAMES: tuple[str, ...] = ("precursors", "production", "trafficking", "distribution",
                                 "dealers", "portfolio", "money", "firearms", "people")


def load_inputs(
    atlas: Atlas,
    structure: OrgStructure | None = None,
    fitted: FittedSupply | None = None,
    world: World | None = None,
    input_end: int | None = None,
    report_elasticity: Mapping[str, float] | None = None,
) -> SupplyInputs:
    """Read everything the supply modules need from the atlas (once; reuse across runs).

    Args:
        atlas: The opened atlas store.
        structure: Cartels and operators (default structure if None).
        fitted: The seizure fit (the packaged one if None).
        world: The geography (built from the atlas if None).
        input_end: Last year an input may use (default: the indicators' last year).
        report_elasticity: Flow elasticity to NFLIS reports outside the seizure window, per
            drug (default: the packaged people fit's).
    """
    world = world or World.from_atlas(atlas)
    kappa = (FittedPeople.load().report_elasticity if report_elasticity is None
             else report_elasticity)
    return build_supply_inputs(atlas, world, structure or OrgStructure.default(),
                               fitted or FittedSupply.load(), input_end=input_end,
                               report_elasticity=dict(kappa))


def build_sim(
    inputs: SupplyInputs,
    *,
    seed: int = 1,
    scale: int = DEFAULT_SCALE,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    pars: Mapping[str, Mapping[str, Any]] | None = None,
    name: str = "default",
    people: bool = True,
    interventions: Sequence[Module] = (),
    chain: bool = True,
) -> Sim:
    """The model over prepared inputs: supply, and people who use drugs unless ``people=False``.

    Args:
        inputs: From :func:`load_inputs`.
        seed: Run seed.
        scale: Real dealers per dealer agent (1:``scale``).
        start: First day (ISO date).
        end: Last day a step may start (ISO date).
        pars: Parameter overrides by module name.
        name: Label of the run.
        people: Whether to include the people (overdose) module.
        interventions: Intervention modules; they step first, so their levers act the same
            week.
        chain: Whether to include the precursor chain (:mod:`narcosim.model.precursors`),
            the money accounts (:mod:`narcosim.model.money`) and the guns going south
            (:mod:`narcosim.model.firearms`); without them production
            runs as if precursors never ran short (the chain's status quo gives the same
            results, which tests check by building both) and no money is booked.

    Raises:
        ParameterError: Unknown module or parameter, bad value, or scale below 1.
    """
    pars = dict(pars or {})
    unknown = sorted(set(pars) - set(MODULE_NAMES))
    if unknown:
        raise ParameterError(f"unknown module {unknown[0]!r} in parameters "
                             f"(known: {', '.join(MODULE_NAMES)})")
    if int(scale) != scale or scale < 1:
        raise ParameterError(f"scale must be a whole number >= 1 (1:scale), got {scale!r}")
    world = inputs.world
    modules: list[Module] = [
        *interventions,
        *([Precursors(inputs, pars.get("precursors"))] if chain else []),
        Production(inputs, pars.get("production")),
        Trafficking(inputs, pars.get("trafficking")),
        Distribution(inputs, pars.get("distribution")),
        Dealers(len(world.states), world.states, inputs.n_ops, int(scale), pars.get("dealers")),
        *([Portfolio(inputs, pars.get("portfolio"))] if chain else []),
        *([Money(inputs, pars.get("money"))] if chain else []),
        *([Firearms(inputs, pars.get("firearms"))] if chain else []),
    ]
    if people:
        # the packaged fit is the people specs' defaults (model/people_params.py): no merge
        modules.append(People(np.asarray(world.population), world.years[0], world.states,
                              int(scale), prevalence=inputs.prevalence,
                              pars=pars.get("people")))
    modules.append(Ledger())
    return Sim(modules, Timeline(start, end), seed=seed, name=name)


def build_default_sim(
    atlas: Atlas,
    *,
    seed: int = 1,
    scale: int = DEFAULT_SCALE,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    pars: Mapping[str, Mapping[str, Any]] | None = None,
    structure: OrgStructure | None = None,
    fitted: FittedSupply | None = None,
) -> Sim:
    """The built-in default scenario: the status quo, 2015–2026, at scale 1:100."""
    inputs = load_inputs(atlas, structure, fitted)
    return build_sim(inputs, seed=seed, scale=scale, start=start, end=end, pars=pars)


def seizures_by_fiscal_year(sim: Sim) -> dict[str, dict[int, float]]:
    """Simulated southwest-border seizures, kg per drug and (complete) fiscal year."""
    traf = sim.results["trafficking"]
    seized = traf.axes("seized_kg").sum(traf["seized_kg"], "field_office", "component")
    fys = sim.timeline.fiscal_years
    first_full = int(fys[0]) + (1 if sim.timeline.months[0] != 10 else 0)
    keep = [int(fy) for fy in np.unique(fys) if first_full <= fy < int(fys[-1])]
    by_year = sim.timeline.annual(seized, keep, fiscal=True)  # day-weighted (years, drugs)
    return {drug: {fy: float(by_year[y, d]) for y, fy in enumerate(keep)}
            for d, drug in enumerate(SUPPLY_DRUGS)}


def activity_ranking(sim: Sim, year: int = 2022) -> list[tuple[str, float]]:
    """States ranked by cartel activity (kg handled per week) in one year."""
    timeline = sim.timeline
    act = sim.results["distribution"]["activity_kg"][timeline.years == year].mean(axis=0)
    states = sim.modules["distribution"].inputs.world.states
    order = np.argsort(-act, kind="stable")
    return [(states[i], float(act[i])) for i in order]


def _activity_year(sim: Sim, preferred: int = 2022) -> int:
    """The year to rank states in: 2022 when the run covers it, else its last year."""
    years = sim.timeline.years
    return preferred if (years == preferred).any() else int(years[-1])


def summarize(sim: Sim) -> dict[str, Any]:
    """Headline figures of a finished supply run, ready for JSON."""
    r = sim.results
    years = sim.timeline.years
    produced = r["production"]["produced_kg"]
    dealers = r["dealers"]["dealers"]
    last_year = int(years[-1])
    presence = r["distribution"]["presence"][-1]
    cartels = sim.modules["distribution"].cartels
    return {
        "seed": sim.seed,
        "dates": [str(sim.timeline.dates[0]), str(sim.timeline.dates[-1])],
        "produced_kg_by_year": _by_year(sim, produced, SUPPLY_DRUGS),
        "seized_kg_by_fiscal_year": seizures_by_fiscal_year(sim),
        f"top_states_by_activity_{_activity_year(sim)}": [
            s for s, _ in activity_ranking(sim, _activity_year(sim))[:10]],
        f"dealers_{last_year}": float(dealers[years == last_year].mean(axis=0).sum()),
        "states_with_presence": {c: int((presence[i] > 0).sum()) for i, c in enumerate(cartels)},
        "mass_balance_max_imbalance": float(np.nanmax(r["ledger"]["imbalance"])),
        **_deaths_summary(sim),
        **_beyond_border_summary(sim),
        **guns_summary(sim),
    }


def _beyond_border_summary(sim: Sim) -> dict[str, Any]:
    """Precursor and money ledgers, and cartel revenue beside the published estimates."""
    if "money" not in sim.modules or "precursors" not in sim.modules:
        return {}
    r = sim.results
    return {
        "precursor_balance_max_imbalance": float(np.nanmax(r["precursors"]["imbalance"])),
        "money_balance_max_imbalance": float(np.nanmax(r["money"]["imbalance"])),
        "cartel_revenue_usd_by_year": revenue_by_year(sim),
        "cartel_revenue_vs_published": revenue_vs_published(sim),
        **_portfolio_summary(sim),
    }


def _portfolio_summary(sim: Sim) -> dict[str, Any]:
    """Revenue besides US sales by line and year (other crimes rough), exports by region."""
    if "portfolio" not in sim.modules:
        return {}
    r, tl = sim.results["portfolio"], sim.timeline
    lines = r.axes("other_revenue_usd").sum(r["other_revenue_usd"], "operator")
    kg = r.axes("export_kg").sum(r["export_kg"], "operator", "drug")
    by_year = [int(y) for y in np.unique(tl.years)]
    # day-weighted, as the deaths, the US revenue, the money and world-map pages count them
    lines_year = tl.annual(lines, by_year)
    kg_year = tl.annual(kg, by_year)
    return {
        "other_revenue_usd_by_year": {
            line: {y: float(lines_year[j, i]) for j, y in enumerate(by_year)}
            for i, line in enumerate(LINES)},
        "other_revenue_note": "migrant smuggling and sex trafficking are rough orders of "
                              "magnitude (thin data); exports from cited market sizes and "
                              "guessed shares",
        "export_kg_by_year": {
            region: {y: float(kg_year[j, i]) for j, y in enumerate(by_year)}
            for i, region in enumerate(REGIONS)},
    }


def _deaths_summary(sim: Sim) -> dict[str, Any]:
    """National overdose deaths per drug and year (realised and expected), if people ran."""
    if "people" not in sim.modules:
        return {}
    out: dict[str, Any] = {}
    for metric in ("deaths", "expected_deaths"):
        people = sim.results["people"]
        arr = people.axes(metric).sum(people[metric], "state")
        out[f"{metric}_by_year"] = _by_year(sim, arr, DEATH_KEYS)
    return out


def _by_year(sim: Sim, per_step: np.ndarray, names: Sequence[str]) -> dict[str, dict[int, float]]:
    """Day-weighted calendar-year totals of (steps, names, ...) values, per name and year.

    The years are those of the steps' first days; the last step's days past New Year are
    left out (its year is cut short by the horizon anyway).
    """
    years = [int(y) for y in np.unique(sim.timeline.years)]
    flat = np.asarray(per_step, dtype=float).reshape(len(per_step), len(names), -1).sum(axis=2)
    by_year = sim.timeline.annual(flat, years)
    return {name: {y: float(by_year[i, k]) for i, y in enumerate(years)}
            for k, name in enumerate(names)}
