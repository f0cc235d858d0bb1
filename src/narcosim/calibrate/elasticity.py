"""The supply elasticity of fentanyl deaths, identified from the data with an interval.

The people module's fentanyl hazard is ``od_fentanyl * (supply / reference) **
fentanyl_elasticity`` (:mod:`narcosim.model.people`), so halving the fentanyl reaching a
state multiplies its fentanyl overdose hazard by ``0.5 ** fentanyl_elasticity``. The
elasticity is fitted with the rest (``narcosim calibrate``); its interval here is a profile
likelihood (Pawitan, *In All Likelihood*, 2001, ch. 3): set the elasticity on a grid; at each
value re-fit the parameter it trades off against most, the fentanyl flow's elasticity to NFLIS
reports before the seizure window (on a grid), and re-solve the linear risks; keep the values
whose fit to CDC's national fentanyl deaths (log errors, Gaussian) is within the chi-square(1)
95% cut-off of the best, ``n * log(SSE / SSE_min) <= 3.84``. The other shape parameters stay
at the fit, so the interval is still narrower than a full posterior would be (the parameter-
uncertainty issue); what it says is how tightly the fentanyl series pins the elasticity. The
fit takes the profile's best point as its elasticity (``narcosim calibrate``), so the interval
is around the value the model runs with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from narcosim.calibrate.deaths import LINEAR, annual_deaths

#: Prefix of the flow elasticities to reports in a trial's parameters (as in optimise).
KAPPA = "report_elasticity."

if TYPE_CHECKING:
    from narcosim.calibrate.optimise import TrialContext

#: The elasticities the profile visits, as offsets from the fitted one.
GRID: tuple[float, ...] = tuple(np.round(np.arange(-0.3, 0.301, 0.05), 2))
#: The fentanyl flow elasticities to reports re-fitted at each point of the profile, as
#: multiples of the fitted one.
KAPPA_GRID: tuple[float, ...] = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4, 1.6)
#: 95% cut-off of a chi-square with one degree of freedom.
CHI2_95 = 3.841


def elasticity_profile(ctx: TrialContext, pars: dict[str, float],
                       grid: tuple[float, ...] = GRID) -> pd.DataFrame:
    """Fit to national fentanyl deaths at each elasticity, the other shapes held at ``pars``.

    The elasticities are the fitted one plus ``grid``; at each, the fentanyl flow
    elasticity to reports is the best of the fitted one times :data:`KAPPA_GRID`.

    Returns:
        Columns ``elasticity, report_elasticity`` (the best fentanyl flow elasticity to reports
        there), ``sse, deviance`` (deviance = n log(SSE / SSE_min)).
    """
    targets = ctx.targets
    d = targets.drugs.index("fentanyl") if "fentanyl" in targets.drugs else None
    if d is None:
        return pd.DataFrame(columns=["elasticity", "report_elasticity", "sse", "deviance"])
    shape = {k: v for k, v in pars.items() if k not in LINEAR and not k.startswith(KAPPA)}
    start = {k: pars[k] for k in LINEAR if k in pars}
    obs = targets.national[d]
    fitted_e = float(pars["fentanyl_elasticity"])
    fitted_k = pars.get(KAPPA + "fentanyl")
    kappas = ((None,) if ctx.step_ratio is None or fitted_k is None
              else tuple(fitted_k * m for m in KAPPA_GRID))
    rows = []
    for e in (fitted_e + g for g in grid if fitted_e + g > 0):
        best: tuple[float, float, int] | None = None
        for kappa in kappas:
            trial = {**shape, "fentanyl_elasticity": float(e)}
            if kappa is not None:
                trial[KAPPA + "fentanyl"] = kappa
            coefs = ctx.solve(trial, start)
            sim = ctx.sim({**trial, **coefs}).run()
            nat = annual_deaths(sim, targets.years)[d].sum(axis=1)
            ok = np.isfinite(obs) & (obs > 0) & (nat > 0)
            sse = float((np.log(nat[ok] / obs[ok]) ** 2).sum())
            if best is None or sse < best[0]:
                best = (sse, float("nan") if kappa is None else kappa, int(ok.sum()))
        assert best is not None
        rows.append((float(e), best[0], best[2], best[1]))
    table = pd.DataFrame(rows, columns=["elasticity", "sse", "n", "report_elasticity"])
    table["deviance"] = table["n"] * np.log(table["sse"] / table["sse"].min())
    return table[["elasticity", "report_elasticity", "sse", "deviance"]]


def profile_interval(profile: pd.DataFrame, cut: float = CHI2_95) -> tuple[float, float]:
    """Where the deviance crosses ``cut`` on each side of the best (linear between points).

    A side whose deviance never reaches ``cut`` within the grid ends at the grid's end.
    """
    if profile.empty:
        return (float("nan"), float("nan"))
    e = profile["elasticity"].to_numpy()
    dev = profile["deviance"].to_numpy()
    best = int(np.argmin(dev))

    def crossing(side: range) -> float:
        prev = best
        for i in side:
            if dev[i] > cut:
                return float(e[prev] + (e[i] - e[prev]) * (cut - dev[prev]) / (dev[i] - dev[prev]))
            prev = i
        return float(e[prev])

    return (crossing(range(best - 1, -1, -1)), crossing(range(best + 1, len(e))))
