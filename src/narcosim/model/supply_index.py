"""The flow north outside the seizure-fit window: an independent series, then a projection.

Inside the window (the fiscal years with CBP seizures, FY2019–FY2023 in the data) the flow is
fitted to CBP's seizures (:mod:`narcosim.calibrate.seizures`). Outside it:

* **Before the window, and after it while reports last**, the flow follows DEA NFLIS-Drug's
  national forensic-lab reports of the drug (an independent, non-mortality series; DEA's
  National Drug Threat Assessments use NFLIS as an indicator of availability): the flow of
  fiscal year *y* is the window's nearest fitted flow times (reports(*y*) /
  reports(anchor)) ** kappa, a latent growth curve with one parameter fitted jointly with the
  overdose risks (``narcosim calibrate``). CBP's own fentanyl seizures rose about forty-fold
  from FY2015 to FY2019 while NFLIS reports rose about seven-fold, so kappa need not be 1.
  CDC deaths are never used as inputs (they are targets).
* **After the last year an input may use** (the data's end, or a forecast origin), the
  reports follow the status quo, a damped log-linear trend (Gardner & McKenzie, Management
  Science 31(10), 1985): the slope of log reports over the last three published years,
  continued with damping ``phi`` per year, and the flow follows them as above. ``phi`` is a
  guess (default 0.5, range 0–1: 0 holds the last year flat, 1 continues the trend undamped)
  and is sampled in the uncertainty analysis and the forecasts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.fitted_supply import FittedSupply

#: Status-quo damping of the flow trend after the last input year (guess, range 0–1).
DEFAULT_DAMPING = 0.5
#: Years of log flow the projected slope is fitted on.
TREND_YEARS = 3


def fit_window(fitted: FittedSupply) -> tuple[int, int]:
    """The fiscal years whose flows were fitted to seizures (from the fit's metadata)."""
    window = fitted.meta.get("fit_window", (2019, 2023))
    return int(window[0]), int(window[1])


def damped_projection(values: np.ndarray, horizon: int, phi: float,
                      trend_years: int = TREND_YEARS) -> np.ndarray:
    """Continue a positive series ``horizon`` steps with a damped log-linear trend.

    Args:
        values: The series up to its last known value (positive).
        horizon: Steps to add.
        phi: Damping per step (0 = flat, 1 = undamped).
        trend_years: How many last values the slope is fitted on.

    Returns:
        The ``horizon`` projected values.
    """
    tail = np.log(np.asarray(values, dtype=float)[-trend_years:])
    slope = float(np.polyfit(np.arange(tail.size), tail, 1)[0]) if tail.size > 1 else 0.0
    steps = np.cumsum(phi ** np.arange(1, horizon + 1))
    return np.exp(tail[-1] + slope * steps)


def projected_reports(series: pd.Series, years: Sequence[int], last_year: int,
                      phi: float) -> np.ndarray:
    """Reports for ``years``: as published up to ``last_year``, then a damped trend.

    Years before the first report hold the first; a year without a report inside the
    published range holds the one before.
    """
    known = series[[int(y) <= last_year for y in series.index]].sort_index()
    if known.empty or (known <= 0).all():
        return np.ones(len(years))
    known = known[known > 0]
    first, last = int(known.index[0]), int(known.index[-1])
    out = np.zeros(len(years))
    ahead = [y for y in years if y > last]
    proj = dict(zip(ahead, damped_projection(known.to_numpy(dtype=float), len(ahead), phi)
                    if ahead else [], strict=True))
    for i, y in enumerate(years):
        if y > last:
            out[i] = proj[y]
        else:
            out[i] = float(known[known.index <= max(y, first)].iloc[-1])
    return out


def report_ratio(fitted: FittedSupply, reports: Mapping[str, pd.Series], last_year: int,
                 phi: float = DEFAULT_DAMPING) -> tuple[np.ndarray, np.ndarray]:
    """Where each fiscal year's flow is anchored, and its reports relative to the anchor's.

    Args:
        fitted: The seizure fit.
        reports: National NFLIS reports by year, per supply drug.
        last_year: The last year an input may use (reports after it are projected).
        phi: Damping of the reports' trend after ``last_year``.

    Returns:
        ``anchor`` (fiscal years,) index of the fitted year each year's flow follows (itself
        inside the window, up to ``last_year``), and ``ratio`` (drugs, fiscal years):
        reports(y) / reports(anchor), published or projected (1 inside the window).
    """
    lo, hi = fit_window(fitted)
    fys = list(fitted.fiscal_years)
    top = min(hi, last_year)
    anchor = np.array([fys.index(min(max(fy, lo), top)) if lo <= top else fys.index(lo)
                       for fy in fys])
    inside = (np.array(fys) >= lo) & (np.array(fys) <= top)
    ratio = np.ones((len(SUPPLY_DRUGS), len(fys)))
    for d, drug in enumerate(SUPPLY_DRUGS):
        r = projected_reports(reports[drug], fys, last_year, phi)
        ratio[d] = np.where(inside, 1.0, r / r[anchor])
    return anchor, ratio


def extend_flows(fitted: FittedSupply, reports: Mapping[str, pd.Series], last_year: int,
                 phi: float = DEFAULT_DAMPING,
                 kappa: Mapping[str, float] | float = 1.0) -> FittedSupply:
    """The fit with its flows outside the window set from reports, published or projected.

    Args:
        fitted: The seizure fit (its flows inside :func:`fit_window` are kept, up to
            ``last_year``).
        reports: National NFLIS reports by year, per supply drug.
        last_year: The last year an input may use (data end or forecast origin): reports up
            to it, their damped trend after it.
        phi: Damping of the reports' trend.
        kappa: Elasticity of the flow to reports, per drug or one for all (the latent
            growth curve's parameter, fitted jointly with the overdose risks; 1 =
            proportional).

    Returns:
        A copy of the fit with new ``flow_kg_per_year``.
    """
    out = fitted.copy()
    anchor, ratio = report_ratio(fitted, reports, last_year, phi)
    for d, drug in enumerate(SUPPLY_DRUGS):
        k = kappa if isinstance(kappa, float | int) else kappa.get(drug, 1.0)
        flow = out.flow_kg_per_year[d]
        flow[:] = flow[anchor] * ratio[d] ** k
    return out


def report_series(reports: pd.DataFrame) -> dict[str, pd.Series]:
    """National NFLIS reports by year for each supply drug, from the ``nflis_reports`` table."""
    rows = reports[reports["drug"].isin(SUPPLY_DRUGS)]
    by = rows.groupby(["drug", "year"])["reports"].sum()
    return {d: by.loc[d].sort_index() if d in by.index.get_level_values(0) else pd.Series(
        dtype=float) for d in SUPPLY_DRUGS}
