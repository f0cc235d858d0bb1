"""Which uncertainty dominates an ensemble: the parameters' or the model's random draws.

An ensemble whose members draw parameter sets from the posterior runs, beside its members, a
few *control* members at the point fit on the first members' seeds (a sub-ensemble in
``OUT/fixed``). Because every decision draws from named streams of the run seed, member ``i``
and control ``i`` share their random numbers (common random numbers) and differ only by the
parameters. For national deaths by drug and year:

* random variance: the variance across the controls (seeds vary, parameters fixed);
* parameter variance: the variance across pairs of ``member i - control i`` (parameters vary,
  randomness shared): the spread the drawn parameters add;
* the 90% band (5th–95th percentile, numpy's linear interpolation) with parameter uncertainty
  (all members) and without (the controls).

Parameters dominate where their variance exceeds the random variance.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from narcosim.errors import StoreError

DRUGS: tuple[str, ...] = ("all_drugs", "fentanyl", "methamphetamine", "cocaine")


def national_deaths(path: Path) -> pd.DataFrame:
    """A member's national deaths per drug and calendar year (index year, columns drug)."""
    try:
        frame = pq.read_table(path, columns=["date", "drug", "value"],
                              filters=[("module", "=", "people"),
                                       ("metric", "=", "deaths")]).to_pandas()
    except OSError as error:
        raise StoreError(f"cannot read member results {path}: {error}") from None
    frame["year"] = pd.DatetimeIndex(frame["date"]).year
    return frame.pivot_table(index="year", columns="drug", values="value", aggfunc="sum")


def decompose(members: Sequence[Path], controls: Sequence[Path]) -> dict[str, Any]:
    """Parameter against random variance of national deaths per drug and year.

    Args:
        members: The members' files (parameters drawn), by member.
        controls: The controls' files (point fit), on the first members' seeds.

    Returns:
        ``rows`` (drug, year, band with and without parameter uncertainty, variances,
        parameter share) and ``statement`` for the last full year, all drugs and fentanyl.
        Empty rows when there are fewer than two controls or the members ran no people.
    """
    k = min(len(controls), len(members))
    if k < 2:
        return {"rows": [], "statement": "parameter and random uncertainty not separated "
                                         "(fewer than two control members)"}
    m_tabs = [national_deaths(p) for p in members]
    c_tabs = [national_deaths(p) for p in controls[:k]]
    if m_tabs[0].empty:
        return {"rows": [], "statement": "no deaths in these runs"}
    years = m_tabs[0].index
    rows = []
    for drug in (d for d in DRUGS if d in m_tabs[0].columns):
        mem = np.stack([t.reindex(years)[drug].to_numpy() for t in m_tabs])
        ctl = np.stack([t.reindex(years)[drug].to_numpy() for t in c_tabs])
        var_random = ctl.var(axis=0, ddof=1)
        var_param = (mem[:k] - ctl).var(axis=0, ddof=1)
        lo, hi = np.percentile(mem, [5, 95], axis=0)
        clo, chi = np.percentile(ctl, [5, 95], axis=0)
        for y, year in enumerate(years):
            total = var_param[y] + var_random[y]
            rows.append({
                "drug": drug, "year": int(year), "members": len(members), "controls": k,
                "band_with_parameters": [float(lo[y]), float(hi[y])],
                "band_without_parameters": [float(clo[y]), float(chi[y])],
                "var_parameters": float(var_param[y]), "var_random": float(var_random[y]),
                "parameter_share": float(var_param[y] / total) if total > 0 else None})
    return {"rows": rows, "statement": statement(rows)}


def statement(rows: list[dict[str, Any]]) -> str:
    """One sentence per headline drug for the last year the rows cover."""
    if not rows:
        return ""
    last = max(r["year"] for r in rows)
    parts = []
    for r in rows:
        if r["year"] != last or r["drug"] not in ("all_drugs", "fentanyl"):
            continue
        share = r["parameter_share"]
        if share is None:
            continue
        which = "parameter" if share > 0.5 else "random"
        (a, b), (c, d) = r["band_with_parameters"], r["band_without_parameters"]
        parts.append(f"{r['drug']} deaths {last}: {which} uncertainty dominates (parameters "
                     f"{share:.0%} of the variance); 90% band {a:,.0f}–{b:,.0f} with parameter "
                     f"uncertainty, {c:,.0f}–{d:,.0f} without")
    return "; ".join(parts)
