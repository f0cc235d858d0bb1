"""Fit the supply flows and interdiction rates to CBP's southwest-border seizures.

Start (:func:`initial_fit`): for each drug and fiscal year FY2019–FY2023, the flow sent north
is CBP's seized kilograms divided by the share of loads the model's ports and Border Patrol
seize; the corridor weights are CBP's field-office shares; Border Patrol's probability makes
its seizures stand to the ports' as in CBP's data; load sizes are CBP's pounds per event.

Then (:func:`fit_seizures`): run the model, compare its seizures with CBP's, and correct
flows, corridor weights and Border Patrol rates multiplicatively; a few rounds settle it,
since routing responds to learned risk and corrupt contacts in ways the start ignores.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from narcosim import __version__
from narcosim.atlas.store import Atlas
from narcosim.calibrate.seizure_targets import (
    FIELD_OFFICES,
    FISCAL_YEARS,
    ofo_shares,
    southwest_seizures,
)
from narcosim.core.sim import Sim
from narcosim.model.builder import build_sim, load_inputs
from narcosim.model.drugs import SUPPLY_DRUGS
from narcosim.model.fitted_supply import FittedSupply
from narcosim.model.inputs import SupplyInputs
from narcosim.model.trafficking import Trafficking

#: Fiscal years a fit covers: the run's first (FY2015) to one past its last (FY2027).
FIT_YEARS: tuple[int, ...] = tuple(range(2015, 2028))
#: The calibration runs stop at the end of the last fiscal year with data.
FIT_END = "2023-09-30"
_FLOOR = 1e-3


def initial_fit(atlas: Atlas, ofo_interdiction: float | None = None) -> FittedSupply:
    """A first fit read straight off CBP's seizures (before any model run).

    Args:
        atlas: The opened atlas store.
        ofo_interdiction: The ports' seizure probability (the trafficking default if None).

    Returns:
        The starting fit.
    """
    q = ofo_interdiction
    if q is None:
        q = next(s.default for s in Trafficking.param_specs if s.name == "ofo_interdiction")
    sw = southwest_seizures(atlas.table("seizures"))
    offices = tuple(sorted(sw["field_office"].unique(), key=_office_order))
    shares = ofo_shares(sw)
    n_d, n_y, n_f = len(SUPPLY_DRUGS), len(FIT_YEARS), len(offices)
    flow, size = np.zeros((n_d, n_y)), np.zeros((n_d, n_y))
    weight, usbp = np.zeros((n_d, n_y, n_f)), np.zeros(n_d)
    for d, drug in enumerate(SUPPLY_DRUGS):
        rows = sw[sw["drug"] == drug]
        by_comp = rows.groupby("component")["kg"].sum()
        usbp[d] = min(by_comp.get("USBP", 0.0) / by_comp["OFO"] * q / (1 - q), 0.9)
        caught = q + (1 - q) * usbp[d]
        per_fy = rows.groupby("fiscal_year")[["kg", "events"]].sum()
        for y, fy in enumerate(FIT_YEARS):
            anchor = int(np.clip(fy, FISCAL_YEARS[0], FISCAL_YEARS[-1]))
            kg, events = per_fy.loc[anchor, "kg"], per_fy.loc[anchor, "events"]
            flow[d, y] = kg / caught  # outside the window: rebuilt from NFLIS (inputs)
            size[d, y] = kg / events
            s = shares[(shares["drug"] == drug) & (shares["fiscal_year"] == anchor)]
            s = s.set_index("field_office")["share"]
            weight[d, y] = [max(float(s.get(o, 0.0)), _FLOOR) for o in offices]
    meta = {"stage": "initial", "ofo_interdiction": q,
            "fit_window": [FISCAL_YEARS[0], FISCAL_YEARS[-1]]}
    return FittedSupply(FIT_YEARS, offices, flow, weight, usbp, size, meta)


def _office_order(office: str) -> int:
    return FIELD_OFFICES.index(office)


def simulated_seizures(sim: Sim) -> pd.DataFrame:
    """A run's southwest-border seizures by drug, fiscal year, field office and component."""
    r = sim.results["trafficking"]
    spec = r.specs["seized_kg"]
    offices = dict(spec.dims)["field_office"]
    kg = r["seized_kg"]
    fys = sim.timeline.fiscal_years
    present = [fy for fy in FISCAL_YEARS if (fys == fy).any()]
    by_year = sim.timeline.annual(kg, present, fiscal=True)  # day-weighted, like CBP's FYs
    rows = []
    for fy, total in zip(present, by_year, strict=True):  # total: (drugs, offices, components)
        for d, drug in enumerate(SUPPLY_DRUGS):
            for f, office in enumerate(offices):
                for c, comp in enumerate(("OFO", "USBP")):
                    rows.append((drug, fy, comp, office, float(total[d, f, c])))
    return pd.DataFrame(rows, columns=["drug", "fiscal_year", "component", "field_office", "kg"])


def compare(sim_sw: pd.DataFrame, cbp_sw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Totals per drug and fiscal year, and field-office shares of the ports' seizures.

    Returns:
        ``totals`` (drug, fiscal_year, cbp_kg, sim_kg, rel_error) and ``shares`` (drug,
        fiscal_year, field_office, cbp_share, sim_share, diff_pp).
    """
    keys = ["drug", "fiscal_year"]
    cbp_t = cbp_sw[cbp_sw["fiscal_year"].isin(FISCAL_YEARS)].groupby(keys)["kg"].sum()
    sim_t = sim_sw.groupby(keys)["kg"].sum()
    totals = pd.DataFrame({"cbp_kg": cbp_t, "sim_kg": sim_t}).reset_index()
    totals["rel_error"] = totals["sim_kg"] / totals["cbp_kg"] - 1
    cbp_s = ofo_shares(cbp_sw).rename(columns={"share": "cbp_share"})
    sim_s = ofo_shares(sim_sw.assign(events=0)).rename(columns={"share": "sim_share"})
    shares = cbp_s.merge(sim_s, on=["drug", "fiscal_year", "field_office"], how="left")
    shares = shares[shares["fiscal_year"].isin(FISCAL_YEARS)].reset_index(drop=True)
    shares["diff_pp"] = (shares["sim_share"] - shares["cbp_share"]) * 100
    return totals, shares


def run_fit_sim(inputs: SupplyInputs, fitted: FittedSupply, seed: int) -> Sim:
    """Run the supply model with one candidate fit up to the end of FY2023."""
    sim = build_sim(inputs.with_fit(seizure_fit=fitted), seed=seed, end=FIT_END,
                    name="fit")
    return sim.run()


def fit_seizures(
    atlas: Atlas,
    seed: int = 1,
    iterations: int = 6,
    progress: Callable[[int, int, float], None] | None = None,
) -> tuple[FittedSupply, pd.DataFrame, pd.DataFrame]:
    """Fit flows, corridor weights and Border Patrol rates to CBP's seizures.

    Args:
        atlas: The opened atlas store.
        seed: Run seed of the calibration runs.
        iterations: Rounds of run-compare-correct.
        progress: Called as ``progress(round, rounds, worst_total_error)``.

    Returns:
        The fit, and the final totals and shares tables (see :func:`compare`).
    """
    start = initial_fit(atlas)
    fitted = start
    inputs = load_inputs(atlas, fitted=fitted)
    cbp = southwest_seizures(atlas.table("seizures"))
    years = np.array(FIT_YEARS)
    for it in range(iterations + 1):
        sim = run_fit_sim(inputs, fitted, seed)
        totals, shares = compare(simulated_seizures(sim), cbp)
        if progress is not None:
            progress(it, iterations, float(totals["rel_error"].abs().max()))
        if it == iterations:
            break
        fitted = fitted.copy()
        for d, drug in enumerate(SUPPLY_DRUGS):
            t = totals[totals["drug"] == drug].set_index("fiscal_year")
            ratio = (t["cbp_kg"] / t["sim_kg"].clip(lower=1e-9)).reindex(FISCAL_YEARS).to_numpy()
            for y, fy in enumerate(FIT_YEARS):
                anchor = int(np.clip(fy, FISCAL_YEARS[0], FISCAL_YEARS[-1]))
                fitted.flow_kg_per_year[d, y] *= ratio[FISCAL_YEARS.index(anchor)]
            s = shares[shares["drug"] == drug]
            for fy in FISCAL_YEARS:
                row = s[s["fiscal_year"] == fy].set_index("field_office")
                adj = ((row["cbp_share"] + _FLOOR) / (row["sim_share"].fillna(0) + _FLOOR))
                adj = adj.reindex(list(fitted.field_offices)).to_numpy()
                cols = years == fy if fy < FISCAL_YEARS[-1] else years >= fy
                if fy == FISCAL_YEARS[0]:
                    cols = years <= fy
                fitted.corridor_weight[d, cols] *= adj
                fitted.corridor_weight[d, cols] /= fitted.corridor_weight[d, cols].sum(
                    axis=1, keepdims=True)
            sim_sw = simulated_seizures(sim)
            sim_c = sim_sw[sim_sw["drug"] == drug].groupby("component")["kg"].sum()
            cbp_c = cbp[(cbp["drug"] == drug) & cbp["fiscal_year"].isin(FISCAL_YEARS)]
            cbp_c = cbp_c.groupby("component")["kg"].sum()
            target = cbp_c.get("USBP", 0.0) / cbp_c["OFO"]
            have = sim_c.get("USBP", 0.0) / max(sim_c.get("OFO", 0.0), 1e-9)
            fitted.usbp_prob[d] = float(np.clip(fitted.usbp_prob[d] * target / max(have, 1e-9),
                                                0.0, 0.9))
    fitted.meta = {
        "stage": "fitted",
        "command": f"narcosim calibrate seizures --seed {seed} --iterations {iterations}",
        "seed": seed,
        "iterations": iterations,
        "narcosim_version": __version__,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ofo_interdiction": start.meta["ofo_interdiction"],
        "fit_window": [FISCAL_YEARS[0], FISCAL_YEARS[-1]],
        "worst_total_rel_error": float(totals["rel_error"].abs().max()),
        "worst_share_diff_pp": float(shares["diff_pp"].abs().max()),
    }
    return fitted, totals, shares
