"""Fit the people module's overdose risks to CDC's deaths, and measure the fit.

Targets are CDC VSRR deaths by year, state and drug class (fentanyl T40.4, methamphetamine
T43.6, cocaine T40.5, all drugs), 2015–2023; withheld state values are left out, never taken
as zero. The supply does not depend on the people's parameters, so it is simulated once and
replayed (:class:`~narcosim.model.replay.MarketReplay`); each Optuna trial runs only the people
module and scores its *expected* deaths (the mean the draws scatter around) by the national
mean absolute percentage error (MAPE) per drug and the pooled state-year R².
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from narcosim.atlas.store import Atlas
from narcosim.core.axes import Axes
from narcosim.core.sim import Sim
from narcosim.core.time import Timeline
from narcosim.errors import ParameterError
from narcosim.model.builder import DEFAULT_START, build_sim
from narcosim.model.inputs import SupplyInputs
from narcosim.model.people import BASIS_KEYS, DEATH_KEYS, People
from narcosim.model.replay import MarketReplay

FIT_YEARS: tuple[int, ...] = tuple(range(2015, 2024))
#: Optuna's search space, the shape parameters: name -> (low, high, log scale).
SEARCH_SPACE: dict[str, tuple[float, float, bool]] = {
    "fentanyl_elasticity": (0.1, 2.0, False),
    "naloxone_growth": (0.0, 0.1, False),
    "meth_among_oud": (0.05, 0.5, False),
    "meth_among_oud_growth": (0.0, 0.06, False),
    "cocaine_among_oud": (0.05, 0.6, False),
    "potency_gamma": (0.0, 3.0, False),
    "meth_elasticity": (0.0, 2.0, False),
    "cocaine_elasticity": (0.0, 2.0, False),
    "prevalence_weight": (0.0, 1.5, False),
}
#: The coefficients solved exactly (non-negative least squares) inside each trial, in the order
#: of People.coefficients(), then the other-drug death rate.
LINEAR: tuple[str, ...] = ("od_opioid", "od_fentanyl", "od_meth", "od_cocaine", "adulteration",
                           "other_deaths")


@dataclass(frozen=True)
class DeathTargets:
    """CDC deaths to fit: national (drugs, years) and by state (drugs, years, states).

    ``population`` (years, states), when set, makes the state pattern be scored on rates per
    100,000 people rather than counts (see :func:`with_population`).
    """

    years: tuple[int, ...]
    drugs: tuple[str, ...]
    national: np.ndarray
    states: np.ndarray
    population: np.ndarray | None = None

    def per_capita(self, counts: np.ndarray) -> np.ndarray:
        """Counts (..., years, states) as rates per 100,000 (unchanged without population)."""
        if self.population is None:
            return counts
        return counts / self.population * 1e5


def with_population(targets: DeathTargets, population: np.ndarray, first_year: int
                    ) -> DeathTargets:
    """The targets with state populations for their years (model population, from Census)."""
    rows = np.clip(np.asarray(targets.years) - first_year, 0, len(population) - 1)
    return dataclasses.replace(targets, population=np.asarray(population, dtype=float)[rows])


def death_targets(atlas: Atlas, states: Sequence[str], years: Sequence[int] = FIT_YEARS,
                  drugs: Sequence[str] = DEATH_KEYS) -> DeathTargets:
    """Read the targets from the atlas.

    Raises:
        ParameterError: A drug key the model does not produce, or a year without CDC data.
    """
    deaths = atlas.table("overdose_deaths")
    have = sorted(int(y) for y in deaths["year"].unique())
    for drug in drugs:
        if drug not in DEATH_KEYS:
            raise ParameterError(f"calibration target: unknown drug key {drug!r} "
                                 f"(known: {', '.join(DEATH_KEYS)})")
    for year in years:
        if year not in have:
            raise ParameterError(f"calibration target: no CDC deaths for year {year} "
                                 f"(data cover {have[0]}–{have[-1]})")
    if not years:
        raise ParameterError("calibration target: no years given")
    table = deaths[deaths["drug"].isin(drugs) & deaths["year"].isin(years)]
    grid = table.pivot_table(index=["drug", "year"], columns="state_abbr", values="deaths",
                             aggfunc="first", dropna=False)
    idx = pd.MultiIndex.from_product([list(drugs), list(years)])
    national = grid.reindex(idx)["US"].to_numpy().reshape(len(drugs), len(years))
    by_state = grid.reindex(idx).reindex(columns=list(states)).to_numpy()
    return DeathTargets(tuple(years), tuple(drugs), national,
                        by_state.reshape(len(drugs), len(years), len(states)))


def record_market(inputs: SupplyInputs, seed: int, end: str) -> np.ndarray:
    """Run the supply alone and return kg sold per step, drug and state."""
    sim = build_sim(inputs, seed=seed, end=end, people=False, name="market").run()
    return np.asarray(sim.results["distribution"]["sold_kg"])


def people_sim(inputs: SupplyInputs, sold: np.ndarray, *, seed: int, scale: int, end: str,
               pars: dict[str, float] | None = None, basis: bool = False) -> Sim:
    """The people module alone over a recorded market."""
    world = inputs.world
    people = People(np.asarray(world.population), world.years[0], world.states, scale,
                    market="market_replay", prevalence=inputs.prevalence,
                    record_basis=basis, pars=pars)
    return Sim([MarketReplay(sold), people], Timeline(DEFAULT_START, end), seed=seed,
               name="people")


def annual_deaths(sim: Sim, years: Sequence[int], metric: str = "expected_deaths") -> np.ndarray:
    """Deaths per (drug, year, state) over each calendar year's days.

    Day-weighted (:meth:`~narcosim.core.time.Timeline.annual`): a week that straddles New
    Year counts in each year by its days there, so a year with 53 weekly step starts (2015,
    2020, 2026) holds its 365 or 366 days like CDC's annual counts, not 371.
    """
    arr = np.asarray(sim.results["people"][metric])
    return np.moveaxis(sim.timeline.annual(arr, list(years)), 0, 1)


def _r2(sim: np.ndarray, obs: np.ndarray) -> float:
    ok = np.isfinite(obs)
    ss_res = float(((sim[ok] - obs[ok]) ** 2).sum())
    ss_tot = float(((obs[ok] - obs[ok].mean()) ** 2).sum())
    return 1.0 - ss_res / ss_tot


def fit_table(sim_annual: np.ndarray, targets: DeathTargets) -> pd.DataFrame:
    """Per drug: national MAPE, pooled state-year R² and the worst year's error.

    The R² is on counts (what the fit weighs) and, when the targets carry population, also on
    rates per 100,000 (``r2_rate``, what the skill tables report beside the baselines).
    """
    rows = []
    national = sim_annual.sum(axis=2)
    for d, drug in enumerate(targets.drugs):
        cdc = targets.national[d]
        ape = np.abs(national[d] / cdc - 1)
        obs = targets.states[d]
        row = {"drug": drug, "mape": float(ape.mean()), "worst_year_error": float(ape.max()),
               "r2_state_year": _r2(sim_annual[d].reshape(-1), obs.reshape(-1)),
               "state_years": int(np.isfinite(obs).sum())}
        if targets.population is not None:
            row["r2_rate"] = _r2(targets.per_capita(sim_annual[d]).reshape(-1),
                                 targets.per_capita(obs).reshape(-1))
        rows.append(row)
    return pd.DataFrame(rows)


def national_table(sim_annual: np.ndarray, targets: DeathTargets) -> pd.DataFrame:
    """National deaths per drug and year: CDC, simulated, relative error."""
    national = sim_annual.sum(axis=2)
    rows = [{"drug": drug, "year": year, "cdc": float(targets.national[d, y]),
             "simulated": float(national[d, y]),
             "error": float(national[d, y] / targets.national[d, y] - 1)}
            for d, drug in enumerate(targets.drugs) for y, year in enumerate(targets.years)]
    return pd.DataFrame(rows)


#: Drugs whose state pattern the fit targets (the acceptance targets: R² for all drugs and
#: fentanyl); the others are fitted nationally, their state pattern weighted lightly.
STATE_WEIGHT: dict[str, float] = {"fentanyl": 1.0, "all_drugs": 1.0,
                                  "methamphetamine": 0.1, "cocaine": 0.1}


#: Published shares of a drug's deaths that also involved an opioid (CDC WONDER multiple cause
#: of death), as calibration targets: drug -> ((year, share), ...).
#: - Psychostimulant (T43.6) deaths with an opioid: 50.4% in 2017; cocaine (T40.5) deaths with an
#:   opioid: 72.7% in 2017 (Kariisa et al., MMWR 68(17):388–395, 2019).
#: - Methamphetamine deaths co-involving heroin or fentanyl: 61.2% in 2021 (Hoopsick & Yockey,
#:   Am J Public Health 113(4), 2023).
#: They decide how much of the stimulant deaths naloxone can reverse. Death-based figures, so
#: targets, used only when their year is inside the fit window.
CO_INVOLVEMENT: dict[str, tuple[tuple[int, float], ...]] = {
    "methamphetamine": ((2017, 0.504), (2021, 0.612)),
    "cocaine": ((2017, 0.727),),
}
#: Weight of the co-involvement error (absolute share) in the objective: a 10-point miss costs
#: as much as 2.5% national MAPE (a choice, not a fitted value; 0.5 with a row weight of 2 fitted
#: the shares as well and the national paths worse).
CO_INVOLVEMENT_WEIGHT = 0.25
#: Weight of a co-involvement row in the linear solve, per unit share error: a 10-point miss
#: weighs as a 10% error in one national drug-year (a choice, not a fitted value).
CO_INVOLVEMENT_ROW = 1.0


def co_involvement_targets(years: Sequence[int]) -> list[tuple[str, int, float]]:
    """The :data:`CO_INVOLVEMENT` targets ``(drug, year, share)`` inside ``years``."""
    return [(drug, year, share) for drug, pairs in CO_INVOLVEMENT.items()
            for year, share in pairs if year in years]


def co_involvement(sim: Sim, years: Sequence[int]) -> dict[tuple[str, int], float]:
    """Simulated share of each co-involvement target's deaths that involved an opioid.

    Returns:
        ``(drug, year) -> share`` for the targets inside ``years``.
    """
    out = {}
    if "expected_opioid_involved" not in sim.results["people"].specs:
        return out
    for drug, year, _ in co_involvement_targets(years):
        d = DEATH_KEYS.index(drug)
        total = annual_deaths(sim, [year])[d].sum()
        part = annual_deaths(sim, [year], "expected_opioid_involved")[d].sum()
        out[drug, year] = float(part / total) if total > 0 else float("nan")
    return out


def co_involvement_records(shares: dict[tuple[str, int], float]) -> list[dict[str, object]]:
    """Simulated and published co-involvement shares as JSON-ready records."""
    published = {(d, y): s for d, pairs in CO_INVOLVEMENT.items() for y, s in pairs}
    return [{"drug": d, "year": y, "simulated": v, "published": published[d, y]}
            for (d, y), v in shares.items()]


def objective_value(table: pd.DataFrame, shares: dict[str, float] | None = None) -> float:
    """What the fit minimises.

    Mean national MAPE, the weighted shortfall of R², and the error of the opioid
    co-involvement shares (:data:`CO_INVOLVEMENT`) where given.
    """
    weight = table["drug"].map(STATE_WEIGHT).fillna(0.1)
    shortfall = (1 - table["r2_state_year"]).clip(lower=0)
    value = table["mape"].mean() + 0.5 * (weight * shortfall).sum() / weight.sum()
    published = {(d, y): s for d, pairs in CO_INVOLVEMENT.items() for y, s in pairs}
    for key, share in (shares or {}).items():
        value += CO_INVOLVEMENT_WEIGHT * abs(share - published[key])
    return float(value)


def annual_basis(sim: Sim, population: np.ndarray, first_year: int,
                 years: Sequence[int]) -> np.ndarray:
    """Unit contributions per (coefficient, drug key, year, state), other deaths included.

    Args:
        sim: A finished people-only run with ``record_basis``.
        population: State populations, (years, states), from ``first_year``.
        first_year: Calendar year of ``population[0]``.
        years: The fit years.
    """
    basis = np.asarray(sim.results["people"]["basis"])  # (steps, comps, keys, states)
    per_year = np.moveaxis(sim.timeline.annual(basis, list(years)), 0, 2)  # day-weighted
    other = np.zeros((1, *per_year.shape[1:]))
    rows = np.clip(np.asarray(years) - first_year, 0, len(population) - 1)
    other[0, DEATH_KEYS.index("all_drugs")] = np.asarray(population, dtype=float)[rows] / 1e5
    return np.concatenate([per_year, other], axis=0)


#: The axes of the calibration basis of annual deaths.
BASIS = Axes("coefficient", "key", "year", "state")


def solve_linear(basis: np.ndarray, targets: DeathTargets) -> np.ndarray:
    """Non-negative coefficients minimising squared relative national errors plus 1 - R².

    The published opioid co-involvement shares (:data:`CO_INVOLVEMENT`) add one row each: the
    opioid-involved deaths minus the share times all the drug's deaths, relative to CDC's count.

    Args:
        basis: (coefficients, keys, years, states) unit contributions, keys as
            :data:`~narcosim.model.people.BASIS_KEYS`.
        targets: The CDC targets.

    Returns:
        The coefficients (same order as :data:`LINEAR`).
    """
    from scipy.optimize import nnls

    rows, rhs = [], []
    for d, drug in enumerate(targets.drugs):
        nat = BASIS.drop("key").sum(BASIS.take(basis, key=BASIS_KEYS.index(drug)), "state")
        cdc = targets.national[d]
        ok = np.isfinite(cdc)
        w = 2.0 / (cdc[ok] * np.sqrt(ok.sum()))
        rows.append((nat[:, ok] * w).T)
        rhs.append(cdc[ok] * w)
        obs = targets.states[d].reshape(-1)
        ok = np.isfinite(obs)
        sst = float(((obs[ok] - obs[ok].mean()) ** 2).sum())
        x = basis[:, BASIS_KEYS.index(drug)].reshape(basis.shape[0], -1)[:, ok]
        w_state = np.sqrt(STATE_WEIGHT.get(targets.drugs[d], 0.1) / sst)
        rows.append(x.T * w_state)
        rhs.append(obs[ok] * w_state)
    for drug, year, share in co_involvement_targets(targets.years):
        if drug not in targets.drugs:
            continue
        y = targets.years.index(year)
        cdc = targets.national[targets.drugs.index(drug), y]
        if not np.isfinite(cdc) or cdc <= 0:
            continue
        total = basis[:, BASIS_KEYS.index(drug), y].sum(axis=1)
        involved = basis[:, BASIS_KEYS.index(f"{drug}_opioid"), y].sum(axis=1)
        rows.append(((involved - share * total) * CO_INVOLVEMENT_ROW / cdc)[None, :])
        rhs.append(np.zeros(1))
    a, b = np.vstack(rows), np.concatenate(rhs)
    scale = np.maximum(np.abs(a).max(axis=0), 1e-300)
    coef, _ = nnls(a / scale, b, maxiter=5000)
    return coef / scale
