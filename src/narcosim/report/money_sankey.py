"""The money Sankey: drugs -> operators -> laundering channels -> seized, fees, Mexico.

Built from a run's tidy results (the ``money`` module's rows, :mod:`narcosim.model.money`)
over one calendar year: each drug's wholesale revenue flows to the operator that sold it,
each operator's cash to the channels that moved it south (or stays waiting in the US), and
each channel's flow splits into what authorities seized, the launderers' fees and what
reached the operators' treasuries in Mexico. The page is self-contained and opens offline
(:func:`narcosim.report.offline.write_html`). A week across New Year counts in the year by
its days there (:mod:`narcosim.report.year_rows`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pyarrow.parquet as pq

from narcosim.errors import ParameterError, StoreError
from narcosim.report.offline import write_html
from narcosim.report.year_rows import year_rows

METRICS = ("revenue_usd", "laundered_usd", "money_seized_usd", "fees_usd")


def money_rows(frame: pd.DataFrame, year: int | None = None) -> tuple[pd.DataFrame, int]:
    """The money module's rows of one calendar year (default: the last full year).

    Day-weighted (:func:`narcosim.report.year_rows.year_rows`): a week across New Year
    counts in the year by its days there, as in ``summary.json``'s revenue by year.

    Raises:
        ParameterError: The results have no money rows, or none in ``year``.
    """
    rows = frame[(frame["module"] == "money") & frame["metric"].isin(METRICS)]
    if rows.empty:
        raise ParameterError("these results have no money accounts (a run without the money "
                             "module)")
    return year_rows(rows, year, "money")


def money_sankey(frame: pd.DataFrame, year: int | None = None) -> go.Figure:
    """The Sankey of a year's money (dollars), from tidy results.

    Args:
        frame: Tidy results with ``module, metric, date, operator, drug, channel, value``.
        year: Calendar year (default: the last full year).

    Raises:
        ParameterError: No money rows (in that year).
    """
    rows, year = money_rows(frame, year)
    by = {m: rows[rows["metric"] == m] for m in METRICS}
    revenue = by["revenue_usd"].groupby(["drug", "operator"], sort=False)["value"].sum()
    laundered = by["laundered_usd"].groupby(["operator", "channel"], sort=False)["value"].sum()
    seized = by["money_seized_usd"].groupby("channel", sort=False)["value"].sum()
    fees = by["fees_usd"].groupby("channel", sort=False)["value"].sum()
    nodes: list[str] = []

    def node(name: str) -> int:
        if name not in nodes:
            nodes.append(name)
        return nodes.index(name)

    src: list[int] = []
    dst: list[int] = []
    val: list[float] = []

    def link(a: str, b: str, v: float) -> None:
        if v > 0:
            src.append(node(a))
            dst.append(node(b))
            val.append(float(v))

    for (drug, op), v in revenue.items():
        link(f"{drug} sales", op, v)
    for (op, channel), v in laundered.items():
        link(op, channel.replace("_", " "), v)
    for op in revenue.index.get_level_values("operator").unique():
        waiting = revenue.xs(op, level="operator").sum() - laundered.get(op, pd.Series()).sum()
        link(op, "waiting in the US", waiting)  # cash earned this year not yet moved
        link("cash from earlier", op, -waiting)  # or cash from before the year moved now
    for channel in seized.index:
        moved = laundered.xs(channel, level="channel").sum()
        label = channel.replace("_", " ")
        link(label, "seized", seized[channel])
        link(label, "launderers' fees", fees.get(channel, 0.0))
        link(label, "reached Mexico", moved - seized[channel] - fees.get(channel, 0.0))
    fig = go.Figure(go.Sankey(
        valueformat="$,.3s", arrangement="snap",
        node={"label": nodes, "pad": 14, "thickness": 14},
        link={"source": src, "target": dst, "value": val}))
    fig.update_layout(title=f"The cartels' money in {year}: US sales to laundering channels "
                            "(narcosim model, US dollars)", font={"size": 12})
    return fig


def write_money_sankey(run_dir: Path, out: Path | None = None, year: int | None = None
                       ) -> Path:
    """Write ``money_sankey.html`` for a run folder (or ``out``).

    Raises:
        StoreError: No readable ``results.parquet`` in the folder.
        ParameterError: No money rows (in that year).
    """
    run_dir = Path(run_dir)
    path = run_dir / "results.parquet"
    try:
        table = pq.read_table(path, filters=[("module", "=", "money")])
    except (OSError, ValueError) as error:
        raise StoreError(f"cannot read {path}: {error}") from None
    fig = money_sankey(table.to_pandas(), year)
    return write_html(fig, out or run_dir / "money_sankey.html")
