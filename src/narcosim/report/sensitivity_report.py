"""The sensitivity page: per output, bars of the indices with their 95% intervals.

Sobol: total-order (ST) and first-order (S1) indices side by side; Morris: mu* (the mean
absolute elementary effect, in the output's units) with sigma in the table. Parameters are
sorted by the index, largest first. The page opens offline (plotly.js inlined once).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from narcosim.core.files import write_text_atomic
from narcosim.report.offline import REPORT_CSS, page_head

PAGE = "sensitivity.html"
_CONFIG = {"displaylogo": False, "responsive": True}


def _figure(rows: pd.DataFrame, method: str, output: str) -> go.Figure:
    fig = go.Figure()
    if method == "sobol":
        rows = rows.sort_values("ST", ascending=True)
        for key, colour in (("ST", "#1f4e79"), ("S1", "#9ecae1")):
            fig.add_bar(y=rows["param"], x=rows[key], orientation="h", name=key,
                        marker_color=colour,
                        error_x={"type": "data", "array": rows[f"{key}_conf"].tolist()})
        title = f"{output}: Sobol total-order (ST) and first-order (S1), 95% intervals"
    else:
        rows = rows.sort_values("mu_star", ascending=True)
        fig.add_bar(y=rows["param"], x=rows["mu_star"], orientation="h", name="mu*",
                    marker_color="#1f4e79",
                    error_x={"type": "data", "array": rows["mu_star_conf"].tolist()})
        title = f"{output}: Morris mu* (mean absolute elementary effect), 95% intervals"
    fig.update_layout(title=title, barmode="group", height=160 + 28 * len(rows),
                      margin={"l": 260, "r": 20, "t": 50, "b": 40},
                      legend={"orientation": "h"})
    return fig


def _table(rows: pd.DataFrame, method: str) -> str:
    cols = (["S1", "S1_conf", "ST", "ST_conf"] if method == "sobol"
            else ["mu_star", "mu_star_conf", "mu", "sigma"])
    head = "".join(f"<th>{c}</th>" for c in ["rank", "parameter", *cols])
    body = []
    for _, r in rows.sort_values("rank").iterrows():
        cells = "".join(f"<td class=n>{r[c]:.3g}</td>" for c in cols)
        body.append(f"<tr><td class=n>{int(r['rank'])}</td><td>{html.escape(r['param'])}"
                    f"</td>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def sensitivity_html(indices: pd.DataFrame, meta: Mapping[str, Any]) -> str:
    """The page's HTML: settings, then a chart and table per output."""
    method = str(meta["method"])
    parts = [page_head("narcosim sensitivity", REPORT_CSS),
             "<h1>Sensitivity of narcosim's outputs to its parameters</h1>",
             "<table class=meta>"]
    for key in ("command", "method", "n", "rows", "seed", "scale", "period", "parameters"):
        if key in meta:
            parts.append(f"<tr><td>{key}</td><td>{html.escape(str(meta[key]))}</td></tr>")
    parts.append("</table><p class=note>One model seed for every row (common random numbers "
                 "between a scenario and the status quo); intervals are SALib's bootstrap "
                 "95% intervals over the sample, not over seeds. Deaths are expected deaths "
                 "(the mean of the draws), national.</p>")
    for output, rows in indices.groupby("output", sort=False):
        parts.append(f"<h2>{html.escape(str(output))}</h2>")
        note = str(rows["note"].iloc[0])
        if note:
            parts.append(f"<p class=note>No indices: {html.escape(note)}.</p>")
            continue
        fig = _figure(rows, method, str(output))
        parts.append(pio.to_html(fig, include_plotlyjs=False, full_html=False,
                                 config=_CONFIG))
        parts.append(_table(rows, method))
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def write_sensitivity_report(out_dir: Path, indices: pd.DataFrame,
                             meta: Mapping[str, Any]) -> Path:
    """Write ``sensitivity.html`` into ``out_dir`` atomically; its path."""
    path = Path(out_dir) / PAGE
    write_text_atomic(path, sensitivity_html(indices, meta))
    return path
