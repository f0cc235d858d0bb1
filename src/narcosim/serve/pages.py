"""Server-rendered HTML of the dashboard: plain pages, one shipped script, no CDN.

Every page is built here from escaped text (:func:`html.escape`); the only script is
:data:`JOB_SCRIPT` (a few lines that post the run form as JSON and poll a job's progress),
served inline, so the dashboard needs nothing from outside this machine.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1b1b1b}
header{background:#1f3a5f;color:#fff;padding:.7em 1.4em}
header a{color:#fff;margin-right:1.2em;text-decoration:none;font-weight:600}
main{padding:1em 1.4em;max-width:72em}
table{border-collapse:collapse;margin:.6em 0}
th,td{border:1px solid #bbb;padding:.25em .55em;text-align:left;font-size:14px}
th{background:#eef1f5}
.muted{color:#555}.busy{color:#8a1c00;font-weight:600}
progress{width:24em;height:1.1em}
label{display:inline-block;margin:.2em 1em .2em 0}
"""

JOB_SCRIPT = """
const form = document.getElementById('run-form');
if (form) form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const base = data.get('baseline');
  const others = data.getAll('scenarios').filter((name) => name !== base);
  const body = {scenarios: [base, ...others], runs: Number(data.get('runs')),
                scale: Number(data.get('scale')), last_year: Number(data.get('last_year')),
                seed: Number(data.get('seed'))};
  const note = document.getElementById('run-note');
  note.textContent = 'submitting…';
  const res = await fetch('/api/jobs', {method: 'POST', body: JSON.stringify(body),
                                        headers: {'Content-Type': 'application/json'}});
  const got = await res.json();
  if (res.ok) { window.location.href = '/jobs/' + got.id; return; }
  note.textContent = typeof got.detail === 'string' ? got.detail : JSON.stringify(got.detail);
  note.className = 'busy';
});
const job = document.getElementById('job');
if (job) {
  const tick = async () => {
    const res = await fetch('/api/jobs/' + job.dataset.id);
    const got = await res.json();
    document.getElementById('job-state').textContent = got.state;
    document.getElementById('job-message').textContent = got.message;
    const bar = document.getElementById('job-progress');
    bar.max = Math.max(got.total, 1); bar.value = got.done;
    document.getElementById('job-count').textContent = got.done + ' of ' + got.total + ' runs';
    if (got.state === 'done') {
      const link = document.getElementById('job-compare');
      link.href = got.compare_url; link.hidden = false;
    } else if (got.state !== 'failed') { setTimeout(tick, 1000); }
  };
  tick();
}
"""


def page(title: str, body: str) -> str:
    """A whole page: the navigation bar, the body, the shipped script."""
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)} · narcosim</title>\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<style>{CSS}</style>\n</head>\n<body>\n<header><nav aria-label=\"main\">"
            "<a href=\"/\">narcosim</a><a href=\"/atlas\">Atlas</a>"
            "<a href=\"/jobs\">Runs</a><a href=\"/docs\">API</a></nav></header>\n"
            f"<main>\n<h1>{html.escape(title)}</h1>\n{body}\n</main>\n"
            f"<script>{JOB_SCRIPT}</script>\n</body>\n</html>\n")


def table_html(frame: pd.DataFrame, caption: str | None = None) -> str:
    """A data frame as an escaped HTML table."""
    head = "".join(f"<th scope=\"col\">{html.escape(str(c))}</th>" for c in frame.columns)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
                   + "</tr>" for row in frame.itertuples(index=False))
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _cell(value: Any) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def index_page(scenarios: Sequence[tuple[str, str]], running: dict[str, Any] | None) -> str:
    """The home page: what the dashboard does and the form that runs a comparison."""
    boxes = "".join(
        f"<label><input type=\"checkbox\" name=\"scenarios\" value=\"{html.escape(name)}\""
        f"{' checked' if name == 'naloxone_expansion' else ''}> "
        f"{html.escape(title)} <span class=\"muted\">({html.escape(name)})</span></label><br>"
        for name, title in scenarios if name != "status_quo")
    options = "".join(
        f"<option value=\"{html.escape(name)}\"{' selected' if name == 'status_quo' else ''}>"
        f"{html.escape(title)}</option>" for name, title in scenarios)
    busy = (f"<p class=\"busy\">A job is running: <a href=\"/jobs/{running['id']}\">"
            f"{html.escape(' vs '.join(running['scenarios']))}</a> "
            f"({running['done']} of {running['total']} runs). One job runs at a time.</p>"
            if running else "")
    return page("Dashboard", f"""
<p>Browse the public data in the <a href="/atlas">atlas</a>, or run scenarios side by side
against a baseline and open their comparison page. Results download as CSV or
parquet from each job's page.</p>{busy}
<form id="run-form"><label>Baseline <select name="baseline">{options}</select></label>
<fieldset><legend>Compare with</legend>
{boxes}</fieldset>
<label>Members per scenario <input name="runs" type="number" min="1" max="20" value="2"></label>
<label>Scale 1: <input name="scale" type="number" min="100" max="10000" value="1000"></label>
<label>Last year <input name="last_year" type="number" min="2015" max="2030" value="2024">
</label>
<label>Seed <input name="seed" type="number" min="0" value="1"></label>
<button type="submit">Run and compare</button> <span id="run-note" role="status"></span>
</form>""")


def atlas_page(tables: Iterable[tuple[str, int]], drugs: Sequence[str],
               years: Sequence[int]) -> str:
    """The atlas: its tables with view and download links, and the map form."""
    rows = "".join(
        f"<tr><td><a href=\"/atlas/tables/{html.escape(n)}\">{html.escape(n)}</a></td>"
        f"<td>{count:,}</td><td><a href=\"/atlas/tables/{html.escape(n)}/download?format=csv\">"
        f"CSV</a> · <a href=\"/atlas/tables/{html.escape(n)}/download?format=parquet\">"
        "parquet</a></td></tr>" for n, count in tables)
    drug_opts = "".join(f"<option>{html.escape(d)}</option>" for d in drugs)
    year_opts = "".join(f"<option{' selected' if y == years[-1] else ''}>{y}</option>"
                        for y in years)
    return page("Atlas", f"""
<h2>Maps of overdose deaths (CDC VSRR)</h2>
<form action="/atlas/map" method="get">
<label>Drug <select name="drug">{drug_opts}</select></label>
<label>Year <select name="year">{year_opts}</select></label>
<label>Per <select name="per"><option value="100000">100,000 people</option>
<option value="">count</option></select></label>
<button type="submit">Show the map</button></form>
<h2>Tables</h2>
<table><thead><tr><th scope="col">table</th><th scope="col">rows</th>
<th scope="col">download</th></tr></thead><tbody>{rows}</tbody></table>""")


def jobs_page(jobs: Sequence[dict[str, Any]]) -> str:
    """Every job this server ran, newest first."""
    if not jobs:
        return page("Runs", "<p>No runs yet: start one from the <a href=\"/\">dashboard</a>.</p>")
    rows = "".join(
        f"<tr><td><a href=\"/jobs/{j['id']}\">{j['id']}</a></td>"
        f"<td>{html.escape(' vs '.join(j['scenarios']))}</td><td>{html.escape(j['state'])}</td>"
        f"<td>{j['done']} of {j['total']}</td></tr>" for j in jobs)
    return page("Runs", "<table><thead><tr><th scope=\"col\">job</th><th scope=\"col\">"
                "scenarios</th><th scope=\"col\">state</th><th scope=\"col\">runs</th></tr>"
                f"</thead><tbody>{rows}</tbody></table>")


def job_page(job: dict[str, Any]) -> str:
    """A job's progress (polled by the shipped script) and its downloads."""
    title = " vs ".join(job["scenarios"])
    downloads = " · ".join(
        f"<a href=\"/jobs/{job['id']}/download/{name}?format={fmt}\">{name}.{fmt}</a>"
        for name in ("comparison", "comparison_members") for fmt in ("csv", "parquet"))
    return page(f"Run: {title}", f"""
<div id="job" data-id="{job['id']}">
<p>State: <strong id="job-state">{html.escape(job['state'])}</strong> ·
<span id="job-count">{job['done']} of {job['total']} runs</span></p>
<progress id="job-progress" max="{max(job['total'], 1)}" value="{job['done']}"
 aria-label="runs done"></progress>
<p id="job-message" role="status">{html.escape(job['message'])}</p>
<p><a id="job-compare" href="/jobs/{job['id']}/compare"
{'' if job['state'] == 'done' else ' hidden'}>Open the comparison page</a></p>
<p>Downloads (when done): {downloads}</p></div>""")
