"""``evaluation.html``: the out-of-sample evaluation as one self-contained page."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from narcosim.core.files import write_text_atomic
from narcosim.report.offline import REPORT_CSS, page_head

#: Models in the order the tables show them.
MODEL_ORDER = ("narcosim", "narcosim free-running", "persistence", "trend", "population share")


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return html.escape(str(value))


def _table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in columns)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{_fmt(row.get(key))}</td>' if isinstance(row.get(key), float | int)
            else f"<td>{_fmt(row.get(key))}</td>" for key, _ in columns)
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _ordered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rank = {m: i for i, m in enumerate(MODEL_ORDER)}
    return sorted(rows, key=lambda r: (r["drug"], r["location_kind"], rank.get(r["model"], 9),
                                       r.get("horizon", 0)))


def evaluation_html(summary: dict[str, Any]) -> str:
    """The page's HTML from an evaluation summary (``evaluation.json``)."""
    settings = summary["settings"]
    origins = ", ".join(str(o) for o in settings["origins"])
    score_cols = [("drug", "drug"), ("location_kind", "where"), ("model", "model"),
                  ("relative_wis", "relative WIS (÷ persistence)"), ("mean_wis", "mean WIS"),
                  ("coverage_50", "50% coverage"), ("coverage_90", "90% coverage"),
                  ("n", "forecasts")]
    parts = [page_head("narcosim out-of-sample evaluation", REPORT_CSS, plotly=False),
             "<h1>Out-of-sample evaluation</h1>",
             f'<p class="note">Rolling origins {html.escape(origins)}: every input and the fit '
             f"stop at the origin; forecasts {settings['horizons']} years ahead as 23 "
             f"quantiles, scored by the weighted interval score (Bracher et al. 2021). "
             f"Relative WIS below 1 beats persistence. Fit: {settings['trials']} trials, "
             f"scale 1:{settings['scale']} (forecasts 1:{settings['forecast_scale']}), "
             f"seed {settings['seed']}.</p>",
             "<h2>Scores over origins and horizons</h2>",
             _table(_ordered(summary["scores"]), score_cols),
             "<h2>By horizon</h2>",
             _table(_ordered(summary["scores_by_horizon"]),
                    [*score_cols[:3], ("horizon", "horizon"), *score_cols[3:]])]
    leave = summary.get("leave_out")
    if leave:
        cols = [("drug", "drug"), ("model", "narcosim"), ("population share", "population share"),
                ("2015 share", "2015 share"), ("persistence", "persistence (sees the states)"),
                ("state_years", "state-years")]
        parts += ["<h2>Held-out states: R² of per-capita rates</h2>",
                  f'<p class="note">Every state is held out once, in one of '
                  f"{len(leave['folds'])} folds: its deaths after 2015 never reach the fit that "
                  "predicts it. Pooled over all held-out states:</p>",
                  _table(leave["r2"], cols)]
        for k, fold in enumerate(leave["folds"]):
            parts += [f"<h3>fold {k + 1}: {html.escape(', '.join(fold['states']))}</h3>",
                      _table(fold["r2"], cols)]
    parts.append("<h2>Fits at each origin</h2>")
    for fit in summary["origins"]:
        parts += [f"<h3>origin {fit['origin']}</h3>",
                  _table(fit["fit"], [("drug", "drug"), ("mape", "national MAPE"),
                                      ("r2_state_year", "state-year R² (counts)"),
                                      ("r2_rate", "state-year R² (rates)")])]
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_evaluation_report(path: Path, summary: dict[str, Any]) -> Path:
    """Write the page atomically."""
    write_text_atomic(path, evaluation_html(summary))
    return path
