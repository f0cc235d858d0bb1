"""Cartel workforce: recruitment, incapacitation, conflict and saturation of 150 groups.

The model of Prieto-Curiel, Campedelli & Hope, "Reducing cartel recruitment is the only way to
lower violence in Mexico", *Science* 381 (2023) 1312-1316, with the data and R code of
``rafaelprietocuriel/Recruitment`` (commit a1db30c, ``ReclutamientoC.R``). Per group ``i``, weekly::

    dC_i/dt = C_i (rho - eta / sum(C) - theta (K C)_i - omega C_i)

so a group recruits ``rho C_i`` a week, loses ``eta C_i / sum(C)`` to incapacitation by the state
(``eta`` a week in all), ``theta C_i (K C)_i`` to conflict with the others (deaths,
``theta C'KC`` in all) and ``omega C_i**2`` to saturation. Following the paper's code where
DESIGN.md is terse:

* alliance and rivalry edge lists are symmetrised by the larger weight of the two directions
  (``EM <- pmax(EM, t(EM))``);
* a group's alliance strength is the sum of the weights of its alliances (igraph ``strength``), its
  total tie strength the sum of its alliance and rivalry strengths; groups are ranked by total
  strength, largest first, ties kept in node order (R's ``order`` is stable);
* ``K_ij = (rivalry_ij + 1) / (alliance_strength_i + 1)`` for every pair, rivals or not, so every
  group is in some conflict with every other (``ConfM <- (CMatrix + 1)/(Nod$strengthAllies + 1)``:
  R divides row ``i`` by the ``i``-th strength), with a zero diagonal;
* initial sizes are ``115,000 * (1/rank) / sum(1/rank)``. The paper's fit (``ErrF``) uses this
  expectation; its illustrative run draws Poisson counts around it. We use the expectation, so the
  model is deterministic;
* time steps are weeks; the fit that produced the parameters steps weekly with explicit Euler
  (``ode(..., method = "euler")``), as :func:`simulate` does, 520 steps from week 0 (2012) to week
  520 (2022). A continuous solution differs by about 0.02% in 2022 (``tests/test_workforce.py``);
* flows are counted as the paper does: recruits ``rho sum(C)``, deaths ``theta C'KC`` ("not by 2
  since it is already inside"), incapacitations ``eta``, saturation ``omega sum(C**2)`` a week.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from narcosim.core.units import ROUND_WEEKS_PER_YEAR
from narcosim.errors import DataValidationError, ParameterError

#: The paper's R code steps 52 weeks a year: the round year of core.units, as an integer.
WEEKS_PER_YEAR = int(ROUND_WEEKS_PER_YEAR)
START_YEAR = 2012  # the paper's model starts in 2012 (Trends2012_2021.csv, ``tA`` in the R code)
SINALOA = "N10013"  # Cártel de Sinaloa in BACRIM2020_Nodes.csv
CJNG = "N10025"  # Cártel Jalisco Nueva Generación in BACRIM2020_Nodes.csv

#: What the paper reports for 2022 (Science 381:1312, abstract): 160,000-185,000 members
#: (press coverage: "about 175,000") and 350-370 recruits a week needed to avoid collapse; the
#: Complexity Science Hub's release gives about 46,600 members for Sinaloa and CJNG together.
PAPER_2022 = {
    "members_low": 160_000,
    "members_high": 185_000,
    "members_central": 175_000,
    "weekly_recruits_low": 350,
    "weekly_recruits_high": 370,
    "sinaloa_plus_cjng": 46_600,
}


@dataclass(frozen=True)
class WorkforceParams:
    """Parameters of the workforce model, per week (``dt`` = 1 week).

    Defaults are the fitted values in ``ReclutamientoC.R`` ("compute parameters from fixed
    values"), as quoted in DESIGN.md section 3.

    Attributes:
        rho: Recruitment rate per member per week (R code: ``rho = 2.527474/1000``).
        eta: Members incapacitated by the state per week, in all (R code: ``eta = 110``).
        theta: Conflict lethality per member pair per week (R code: ``theta = 1.549231/1e8``).
        omega: Saturation per member squared per week (R code: ``omega = 0.04/1e6``).
        initial_members: Total members in 2012 (R code: ``Crime0 <- 115000``).
        weeks: Weeks from 2012 to 2022 (R code: ``Years = 10``, 52 weeks each).
    """

    rho: float = 2.527474e-3
    eta: float = 110.0
    theta: float = 1.549231e-8
    omega: float = 0.04e-6
    initial_members: float = 115_000.0
    weeks: int = 520

    def __post_init__(self) -> None:
        for name in ("rho", "eta", "theta", "omega"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise ParameterError(f"workforce parameter {name!r}: {value} must be >= 0")
        if not np.isfinite(self.initial_members) or self.initial_members <= 0:
            raise ParameterError(
                f"workforce parameter 'initial_members': {self.initial_members} must be > 0"
            )
        if int(self.weeks) != self.weeks or self.weeks < 1:
            raise ParameterError(f"workforce parameter 'weeks': {self.weeks} must be an int >= 1")


#: The scenarios of the paper's code (``out2``-``out5``: rho = 0, eta x 2, baseline, rho x 0.5),
#: each run for ten years from the 2022 state; values multiply the baseline parameter.
SCENARIOS: dict[str, dict[str, float]] = {
    "baseline": {},
    "rho_x0.5": {"rho": 0.5},
    "rho_0": {"rho": 0.0},
    "eta_x2": {"eta": 2.0},
}


def scenario_params(params: WorkforceParams, name: str) -> WorkforceParams:
    """Return ``params`` with the named scenario's multipliers applied.

    Args:
        params: The baseline parameters.
        name: A key of :data:`SCENARIOS`.

    Returns:
        The scenario's parameters.

    Raises:
        ParameterError: If the scenario is unknown.
    """
    if name not in SCENARIOS:
        raise ParameterError(f"unknown workforce scenario {name!r}; known: {', '.join(SCENARIOS)}")
    factors = SCENARIOS[name]
    return replace(params, **{key: getattr(params, key) * f for key, f in factors.items()})


def symmetric_weights(edges: pd.DataFrame, nodes: list[str], table: str) -> np.ndarray:
    """Build a symmetric weight matrix from an edge list, the larger weight of each pair.

    Args:
        edges: Columns ``node``, ``rnode``, ``weight``.
        nodes: Node ids giving the matrix order.
        table: The table's name, for error messages.

    Returns:
        An ``(n, n)`` matrix with ``W[i, j] = W[j, i] = max`` of the directed weights.

    Raises:
        DataValidationError: If a column is missing, a node unknown or a weight negative.
    """
    missing = {"node", "rnode", "weight"} - set(edges.columns)
    if missing:
        raise DataValidationError(f"{table}: missing column(s) {', '.join(sorted(missing))}")
    index = {node: i for i, node in enumerate(nodes)}
    rows = edges["node"].map(index)
    cols = edges["rnode"].map(index)
    unknown = edges.loc[rows.isna() | cols.isna()]
    if len(unknown):
        first = unknown.iloc[0]
        raise DataValidationError(
            f"{table} row {unknown.index[0]}: unknown node in edge {first['node']}-{first['rnode']}"
        )
    weights = pd.to_numeric(edges["weight"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = edges["weight"].iloc[row]
        raise DataValidationError(f"{table} row {edges.index[row]} column 'weight': bad {value!r}")
    matrix = np.zeros((len(nodes), len(nodes)))
    np.maximum.at(matrix, (rows.to_numpy(dtype=int), cols.to_numpy(dtype=int)), weights)
    return np.maximum(matrix, matrix.T)


def rank_groups(
    groups: pd.DataFrame, alliances: pd.DataFrame, rivalries: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rank the groups by total tie strength and return the ranked alliance and rivalry matrices.

    Args:
        groups: ``cartel_groups`` (at least ``node`` and ``group``).
        alliances: ``cartel_alliances`` (``node``, ``rnode``, ``weight``).
        rivalries: ``cartel_rivalries`` (``node``, ``rnode``, ``weight``).

    Returns:
        The groups in rank order with columns ``rank`` (1 = most ties), ``node``, ``group``,
        ``short_name`` (when present), ``alliance_strength``, ``rivalry_strength``,
        ``total_strength``; and the alliance and rivalry weight matrices in that order.

    Raises:
        DataValidationError: If a table is malformed.
    """
    if "node" not in groups.columns or "group" not in groups.columns:
        raise DataValidationError("cartel_groups: needs columns 'node' and 'group'")
    if groups["node"].duplicated().any():
        dup = groups.loc[groups["node"].duplicated(), "node"].iloc[0]
        raise DataValidationError(f"cartel_groups column 'node': duplicate node {dup}")
    if len(groups) < 2:
        raise DataValidationError(f"cartel_groups: {len(groups)} group(s); need at least 2")
    base = groups.sort_values("node", kind="stable").reset_index(drop=True)
    nodes = base["node"].astype(str).tolist()
    allied = symmetric_weights(alliances, nodes, "cartel_alliances")
    rival = symmetric_weights(rivalries, nodes, "cartel_rivalries")
    keep = [c for c in ("node", "group", "short_name", "state") if c in base.columns]
    table = base[keep].copy()
    table["alliance_strength"] = allied.sum(axis=1)
    table["rivalry_strength"] = rival.sum(axis=1)
    table["total_strength"] = table["alliance_strength"] + table["rivalry_strength"]
    order = np.argsort(-table["total_strength"].to_numpy(), kind="stable")
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table, allied[np.ix_(order, order)], rival[np.ix_(order, order)]


def conflict_matrix(rivalry: np.ndarray, alliance_strength: np.ndarray) -> np.ndarray:
    """The conflict matrix ``K_ij = (rivalry_ij + 1) / (alliance_strength_i + 1)``, zero diagonal.

    Args:
        rivalry: Symmetric ``(n, n)`` rivalry weights.
        alliance_strength: Each group's summed alliance weight, length ``n``.

    Returns:
        The ``(n, n)`` conflict matrix (not symmetric: row ``i`` is damped by ``i``'s alliances).
    """
    matrix = (np.asarray(rivalry, dtype=float) + 1.0) / (
        np.asarray(alliance_strength, dtype=float)[:, None] + 1.0
    )
    np.fill_diagonal(matrix, 0.0)
    return matrix


def initial_sizes(n: int, total: float) -> np.ndarray:
    """Initial members by rank, proportional to ``1/rank`` and summing to ``total``.

    Args:
        n: Number of groups.
        total: Total members.

    Returns:
        Length-``n`` array, largest first.
    """
    inverse_rank = 1.0 / np.arange(1, n + 1)
    return total * inverse_rank / inverse_rank.sum()


def growth(members: np.ndarray, conflict: np.ndarray, params: WorkforceParams) -> np.ndarray:
    """The right-hand side ``dC/dt`` of the model, members per week, for every group.

    Args:
        members: Group sizes ``C`` (length ``n``, or ``(n, m)`` for ``m`` states at once).
        conflict: The conflict matrix ``K``.
        params: The rates.

    Returns:
        ``dC/dt``, the shape of ``members``.
    """
    total = members.sum(axis=0)
    per_member = (
        params.rho
        - params.eta / total
        - params.theta * (conflict @ members)
        - params.omega * members
    )
    return members * per_member


@dataclass(frozen=True)
class Trajectory:
    """Weekly states and flows of one run.

    Attributes:
        members: ``(weeks + 1, n)`` group sizes at the start of each week and at the end.
        recruits: Recruits per week at each state, ``rho * sum(C)``.
        incapacitated: Incapacitations per week, ``eta * sum(C) / sum(C)``.
        killed: Deaths from conflict per week, ``theta * C'KC``.
        saturated: Members lost to saturation per week, ``omega * sum(C**2)``.
    """

    members: np.ndarray
    recruits: np.ndarray
    incapacitated: np.ndarray
    killed: np.ndarray
    saturated: np.ndarray

    @property
    def total(self) -> np.ndarray:
        """Total members at each week."""
        return self.members.sum(axis=1)

    def cumulative(self, flow: str) -> float:
        """Total of ``flow`` (e.g. ``killed``) over the run: the Euler flows of weeks 0..weeks-1."""
        return float(getattr(self, flow)[:-1].sum())


def _flows(
    members: np.ndarray, conflict: np.ndarray, params: WorkforceParams
) -> dict[str, np.ndarray]:
    """Weekly recruits, incapacitations, deaths and saturation for ``(steps, n)`` states."""
    total = members.sum(axis=1)
    return {
        "recruits": params.rho * total,
        "incapacitated": params.eta * total / total,
        "killed": params.theta * np.einsum("ti,ij,tj->t", members, conflict, members),
        "saturated": params.omega * (members**2).sum(axis=1),
    }


def simulate(
    initial: np.ndarray, conflict: np.ndarray, params: WorkforceParams, weeks: int | None = None
) -> Trajectory:
    """Step the model weekly with explicit Euler, as the paper's fit does.

    Args:
        initial: Group sizes at week 0 (length ``n``, non-negative).
        conflict: The ``(n, n)`` conflict matrix.
        params: The rates.
        weeks: Weeks to run; ``params.weeks`` when None.

    Returns:
        The trajectory over ``weeks + 1`` states.

    Raises:
        ParameterError: If shapes disagree, sizes are negative or a step turns a group negative.
    """
    steps = params.weeks if weeks is None else int(weeks)
    state = np.asarray(initial, dtype=float)
    conflict = np.asarray(conflict, dtype=float)
    if state.ndim != 1 or conflict.shape != (state.size, state.size):
        raise ParameterError(
            f"workforce: {state.size} initial sizes but conflict matrix of shape {conflict.shape}"
        )
    if (state < 0).any() or state.sum() <= 0:
        raise ParameterError("workforce: initial sizes must be non-negative with a positive total")
    members = np.empty((steps + 1, state.size))
    members[0] = state
    for week in range(steps):
        state = state + growth(state, conflict, params)
        if (state < 0).any():
            raise ParameterError(
                f"workforce: a group turned negative in week {week + 1}; rates too large for dt=1"
            )
        members[week + 1] = state
    return Trajectory(members=members, **_flows(members, conflict, params))


@dataclass
class WorkforceResult:
    """The baseline 2012-2022 run and the ten-year scenarios from 2022.

    Attributes:
        groups: Ranked groups with ``members_start`` (2012) and ``members_end`` (2022).
        conflict: The conflict matrix in rank order.
        params: The baseline parameters.
        history: The baseline trajectory 2012-2022.
        scenarios: Trajectories 2022-2032 keyed by :data:`SCENARIOS` names.
    """

    groups: pd.DataFrame
    conflict: np.ndarray
    params: WorkforceParams
    history: Trajectory
    scenarios: dict[str, Trajectory] = field(default_factory=dict)

    def group_members(self, node: str, week: int = -1) -> float:
        """Members of group ``node`` at ``week`` of the history (default: the last, 2022).

        Args:
            node: Node id such as ``N10013``.
            week: Week index into the history.

        Returns:
            The group's members.

        Raises:
            DataValidationError: If the node is not among the groups.
        """
        hits = np.flatnonzero(self.groups["node"].to_numpy() == node)
        if hits.size == 0:
            raise DataValidationError(f"cartel_groups: no group with node {node}")
        return float(self.history.members[week, hits[0]])

    def summary(self) -> dict:
        """The headline figures as plain numbers (what ``narcosim orgs workforce --json`` prints).

        Returns:
            A JSON-ready dict.
        """
        hist = self.history
        end_year = START_YEAR + self.params.weeks // WEEKS_PER_YEAR
        years = {}
        for label, k in ((str(START_YEAR), 0), (str(end_year), -1)):
            years[label] = {
                "members": float(hist.total[k]),
                "weekly_recruits": float(hist.recruits[k]),
                "weekly_incapacitated": float(hist.incapacitated[k]),
                "weekly_killed": float(hist.killed[k]),
                "weekly_saturated": float(hist.saturated[k]),
            }
        years[str(end_year)]["sinaloa_members"] = self.group_members(SINALOA)
        years[str(end_year)]["cjng_members"] = self.group_members(CJNG)
        scenario_end = end_year + self.params.weeks // WEEKS_PER_YEAR
        scenarios = {}
        for name, traj in self.scenarios.items():
            scenarios[name] = {
                "params": {
                    k: getattr(scenario_params(self.params, name), k)
                    for k in ("rho", "eta", "theta", "omega")
                },
                "members": float(traj.total[-1]),
                "weekly_recruits": float(traj.recruits[-1]),
                "weekly_killed": float(traj.killed[-1]),
                "cumulative_killed": traj.cumulative("killed"),
                "cumulative_incapacitated": traj.cumulative("incapacitated"),
                "cumulative_recruits": traj.cumulative("recruits"),
            }
        return {
            "model": "Prieto-Curiel, Campedelli & Hope, Science 381 (2023) 1312",
            "groups": len(self.groups),
            "weeks": self.params.weeks,
            "params": {
                k: getattr(self.params, k)
                for k in ("rho", "eta", "theta", "omega", "initial_members", "weeks")
            },
            "years": years,
            "mean_weekly_recruits": float(hist.recruits[:-1].mean()),
            "scenario_year": scenario_end,
            "scenarios": scenarios,
            "paper_2022": dict(PAPER_2022),
        }


def run_workforce(
    groups: pd.DataFrame,
    alliances: pd.DataFrame,
    rivalries: pd.DataFrame,
    params: WorkforceParams | None = None,
) -> WorkforceResult:
    """Run the baseline 2012-2022 and the scenarios 2022-2032 on the cartel tables.

    Args:
        groups: ``cartel_groups``.
        alliances: ``cartel_alliances``.
        rivalries: ``cartel_rivalries``.
        params: Baseline parameters; the paper's when None.

    Returns:
        The result, with every scenario of :data:`SCENARIOS` run for ``params.weeks`` weeks from
        the baseline's last state.
    """
    params = params or WorkforceParams()
    ranked, _allied, rival = rank_groups(groups, alliances, rivalries)
    conflict = conflict_matrix(rival, ranked["alliance_strength"].to_numpy())
    history = simulate(initial_sizes(len(ranked), params.initial_members), conflict, params)
    ranked["members_start"] = history.members[0]
    ranked["members_end"] = history.members[-1]
    scenarios = {
        name: simulate(history.members[-1], conflict, scenario_params(params, name))
        for name in SCENARIOS
    }
    return WorkforceResult(ranked, conflict, params, history, scenarios)
