"""What a comparison measures in one member's results, summed over a window of dates.

:func:`member_measures` reads one member's tidy results (``run-NNNN.parquet``) and returns a
tidy frame ``measure, level, key, drug, value``, every value a sum over the steps whose date
falls in the window:

============================  ==============  ==========================================
measure                       level: key      from
============================  ==============  ==========================================
``deaths``                    national: US,   ``people/deaths`` (drug incl. ``all_drugs``)
                              state: postal
``expected_deaths``           national: US,   ``people/expected_deaths`` (the draws' mean)
                              state: postal
``crossing_kg``               port: code,     ``trafficking/crossing_kg``
                              field_office
``hub_throughput_kg``         hub: name       ``distribution/hub_throughput_kg``
``sold_kg``                   state: postal   ``distribution/sold_kg``
``border_seized_kg``          national,       ``trafficking/seized_kg`` (OFO and USBP)
                              field_office
``domestic_seized_kg``        national        ``distribution/domestic_seized_kg``
``dealer_arrests``            national        ``dealers/arrests``
``operation_<tally>``         national        dealer operations' tallies (investigations,
                                              arrests, pills, lb, firearms, cash)
``cost_usd``                  national        every intervention's ``cost_usd``
``cartel_revenue_usd``        national        ``money/revenue_usd`` (runs with money)
``laundered_usd``             channel: name   ``money/laundered_usd``
``money_seized_usd``          national,       ``money/money_seized_usd``
                              channel
``precursor_shipped_kg``      source: country ``precursors/shipped_kg``
``precursor_seized_kg``       national        ``precursors/seized_kg``
``export_kg``                 region: name    ``portfolio/export_kg`` (exports abroad)
``other_revenue_usd``         line: name      ``portfolio/other_revenue_usd`` (exports,
                                              migrant smuggling, sex trafficking)
``guns_bought``               national,       ``firearms/bought`` (US guns bought for
                              source_state    trafficking south)
``guns_seized_border``        national,       ``firearms/seized_border``
                              source_state
``guns_seized_ops``           national        ``firearms/seized_ops`` (dealer operations)
``guns_arrived``              national,       ``firearms/arrived`` + ``arrived_other``
                              source_state    (national: all sources; by state: US only)
``conflict_factor``           national        ``firearms/conflict_factor``: the MEAN over
                                              the window's steps, not a sum
============================  ==============  ==========================================

Kilograms by drug also get a ``drug = all_drugs`` row (the sum over drugs); measures with no
drug dimension have ``drug = ""``. Sums run in file order, so the same file always gives the
same bits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from narcosim.errors import StoreError

ALL = "all_drugs"
NATIONAL = ("national", "US")
INTERVENTION_PREFIX = "intervention"
#: Dealer-operation tallies (see :mod:`narcosim.interventions.dealer_ops`).
TALLIES: tuple[str, ...] = ("investigations", "arrests", "fentanyl_pills", "fentanyl_powder_lb",
                            "methamphetamine_lb", "firearms", "cash_usd")
COLUMNS = ["measure", "level", "key", "drug", "value"]
_MODEL_METRICS = {
    ("people", "deaths"), ("people", "expected_deaths"), ("trafficking", "crossing_kg"),
    ("trafficking", "seized_kg"),
    ("distribution", "hub_throughput_kg"), ("distribution", "sold_kg"),
    ("distribution", "domestic_seized_kg"), ("dealers", "arrests"),
    ("money", "revenue_usd"), ("money", "laundered_usd"), ("money", "money_seized_usd"),
    ("precursors", "shipped_kg"), ("precursors", "seized_kg"),
    ("portfolio", "export_kg"), ("portfolio", "other_revenue_usd"),
    ("firearms", "bought"), ("firearms", "seized_border"), ("firearms", "seized_ops"),
    ("firearms", "arrived"), ("firearms", "arrived_other"), ("firearms", "conflict_factor"),
}
_INTERVENTION_METRICS = {"cost_usd", *TALLIES}


@dataclass(frozen=True)
class Window:
    """Inclusive range of step dates that measures sum over.

    Attributes:
        start: First step date counted.
        end: Last step date counted.
    """

    start: date
    end: date

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def read_member_metrics(path: Path) -> pd.DataFrame:
    """The rows of one member file that comparisons use.

    Raises:
        StoreError: The file cannot be read.
    """
    metrics = sorted({m for _, m in _MODEL_METRICS} | _INTERVENTION_METRICS)
    try:
        table = pq.read_table(path, filters=[("metric", "in", metrics)])
    except (OSError, pa.ArrowException) as error:
        raise StoreError(f"cannot read member results {path}: {error}") from None
    frame = table.to_pandas()
    pairs = list(zip(frame["module"], frame["metric"], strict=True))
    keep = [(mod, met) in _MODEL_METRICS
            or (str(mod).startswith(INTERVENTION_PREFIX) and met in _INTERVENTION_METRICS)
            for mod, met in pairs]
    return frame[keep]


def _block(frame: pd.DataFrame, module: str, metric: str) -> pd.DataFrame:
    return frame[(frame["module"] == module) & (frame["metric"] == metric)]


def _sum_by(block: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Sum ``value`` by ``cols`` (first-appearance order; deterministic)."""
    if not cols:
        return pd.DataFrame({"value": [float(block["value"].sum())]})
    out = block.groupby(cols, sort=False, dropna=False)["value"].sum().reset_index()
    return out


def _rows(measure: str, level: str, keys: pd.Series | str, drugs: pd.Series | str,
          values: pd.Series) -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame({
        "measure": [measure] * n, "level": [level] * n,
        "key": list(keys) if not isinstance(keys, str) else [keys] * n,
        "drug": list(drugs) if not isinstance(drugs, str) else [drugs] * n,
        "value": values.to_numpy(dtype=float),
    })


def _by_drug(measure: str, block: pd.DataFrame, level: str, key_col: str | None) -> list[
        pd.DataFrame]:
    """Rows by (key, drug) plus the all-drugs sum by key."""
    cols = ([key_col] if key_col else []) + ["drug"]
    per = _sum_by(block, cols)
    keys = per[key_col].astype(str) if key_col else NATIONAL[1]
    out = [_rows(measure, level, keys, per["drug"].astype(str), per["value"])]
    tot = _sum_by(block, [key_col] if key_col else [])
    keys = tot[key_col].astype(str) if key_col else NATIONAL[1]
    out.append(_rows(measure, level, keys, ALL, tot["value"]))
    return out


def member_measures(path: Path, window: Window, port_field_office: Mapping[str, str]
                    ) -> pd.DataFrame:
    """One member's measures over a window (see the module docstring).

    Args:
        path: The member's ``run-NNNN.parquet``.
        window: Dates to sum over (inclusive).
        port_field_office: Port code -> CBP field office.

    Returns:
        Tidy frame ``measure, level, key, drug, value``.
    """
    frame = read_member_metrics(path)
    days = frame["date"].dt.date
    frame = frame[(days >= window.start) & (days <= window.end)]
    parts: list[pd.DataFrame] = []

    deaths = _block(frame, "people", "deaths")
    nat = _sum_by(deaths, ["drug"])
    parts.append(_rows("deaths", "national", NATIONAL[1], nat["drug"].astype(str), nat["value"]))
    st = _sum_by(deaths, ["state", "drug"])
    parts.append(_rows("deaths", "state", st["state"].astype(str), st["drug"].astype(str),
                       st["value"]))

    expected = _sum_by(_block(frame, "people", "expected_deaths"), ["drug"])
    parts.append(_rows("expected_deaths", "national", NATIONAL[1],
                       expected["drug"].astype(str), expected["value"]))
    expected = _sum_by(_block(frame, "people", "expected_deaths"), ["state", "drug"])
    parts.append(_rows("expected_deaths", "state", expected["state"].astype(str),
                       expected["drug"].astype(str), expected["value"]))

    crossing = _block(frame, "trafficking", "crossing_kg")
    parts += _by_drug("crossing_kg", crossing, "port", "port")
    crossing = crossing.assign(field_office=crossing["port"].map(dict(port_field_office)))
    parts += _by_drug("crossing_kg", crossing, "field_office", "field_office")

    hubs = _sum_by(_block(frame, "distribution", "hub_throughput_kg"), ["hub"])
    parts.append(_rows("hub_throughput_kg", "hub", hubs["hub"].astype(str), ALL, hubs["value"]))
    parts += _by_drug("sold_kg", _block(frame, "distribution", "sold_kg"), "state", "state")

    seized = _block(frame, "trafficking", "seized_kg")
    parts += _by_drug("border_seized_kg", seized, "national", None)
    parts += _by_drug("border_seized_kg", seized, "field_office", "field_office")
    parts += _by_drug("domestic_seized_kg", _block(frame, "distribution", "domestic_seized_kg"),
                      "national", None)
    arrests = _block(frame, "dealers", "arrests")
    parts.append(_rows("dealer_arrests", *NATIONAL, "", pd.Series([arrests["value"].sum()])))

    parts += _beyond_border(frame)
    ivs = frame[frame["module"].astype(str).str.startswith(INTERVENTION_PREFIX)]
    cost = ivs[ivs["metric"] == "cost_usd"]["value"].sum()
    parts.append(_rows("cost_usd", *NATIONAL, "", pd.Series([cost])))
    for tally in TALLIES:
        value = ivs[ivs["metric"] == tally]["value"].sum()
        parts.append(_rows(f"operation_{tally}", *NATIONAL, "", pd.Series([value])))
    out = pd.concat(parts, ignore_index=True)
    return out[COLUMNS]


def _beyond_border(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """Money and precursor measures (none for members run without those modules)."""
    parts: list[pd.DataFrame] = []
    revenue = _block(frame, "money", "revenue_usd")
    if len(revenue):
        parts += _by_drug("cartel_revenue_usd", revenue, "national", None)
        for metric in ("laundered_usd", "money_seized_usd"):
            per = _sum_by(_block(frame, "money", metric), ["channel"])
            parts.append(_rows(metric, "channel", per["channel"].astype(str), "",
                               per["value"]))
        seized = _block(frame, "money", "money_seized_usd")["value"].sum()
        parts.append(_rows("money_seized_usd", *NATIONAL, "", pd.Series([seized])))
    shipped = _block(frame, "precursors", "shipped_kg")
    if len(shipped):
        per = _sum_by(shipped, ["source"])
        parts.append(_rows("precursor_shipped_kg", "source", per["source"].astype(str), "",
                           per["value"]))
        seized = _block(frame, "precursors", "seized_kg")["value"].sum()
        parts.append(_rows("precursor_seized_kg", *NATIONAL, "", pd.Series([seized])))
    exported = _block(frame, "portfolio", "export_kg")
    if len(exported):
        parts += _by_drug("export_kg", exported, "region", "region")
        per = _sum_by(_block(frame, "portfolio", "other_revenue_usd"), ["line"])
        parts.append(_rows("other_revenue_usd", "line", per["line"].astype(str), "",
                           per["value"]))
    return parts + _guns(frame)


def _guns(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """Guns going south and the conflict factor (none for members run without guns)."""
    bought = _block(frame, "firearms", "bought")
    if not len(bought):
        return []
    parts = []
    for measure, metric in (("guns_bought", "bought"), ("guns_seized_border", "seized_border"),
                            ("guns_seized_ops", "seized_ops"), ("guns_arrived", "arrived")):
        block = _block(frame, "firearms", metric)
        total = block["value"].sum()
        if metric == "arrived":
            total += _block(frame, "firearms", "arrived_other")["value"].sum()
        parts.append(_rows(measure, *NATIONAL, "", pd.Series([total])))
        if metric != "seized_ops":
            per = _sum_by(block, ["source_state"])
            parts.append(_rows(measure, "source_state", per["source_state"].astype(str), "",
                               per["value"]))
    factor = _block(frame, "firearms", "conflict_factor")["value"].mean()
    parts.append(_rows("conflict_factor", *NATIONAL, "", pd.Series([factor])))
    return parts


def member_dates(path: Path) -> tuple[date, date]:
    """First and last step date in a member file.

    Raises:
        StoreError: The file cannot be read.
    """
    try:
        table = pq.read_table(path, columns=["date"], filters=[("metric", "=", "deaths")])
    except (OSError, pa.ArrowException) as error:
        raise StoreError(f"cannot read member results {path}: {error}") from None
    days = table.column("date").to_pandas().dt.date
    return min(days), max(days)
