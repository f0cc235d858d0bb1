"""Figures and reports: self-contained plotly HTML (maps, charts) that open offline.

Floor 7: reads atlas tables as DataFrames; imports nothing from the CLI.
"""

from narcosim.report.charts import NATIONAL_DRUGS, national_deaths, national_deaths_chart
from narcosim.report.maps import METRICS, choropleth, map_values
from narcosim.report.offline import (
    TOPOJSON_NAME,
    geo_assets_script,
    offline_html,
    write_html,
    write_png,
)

__all__ = [
    "METRICS",
    "NATIONAL_DRUGS",
    "TOPOJSON_NAME",
    "choropleth",
    "geo_assets_script",
    "map_values",
    "national_deaths",
    "national_deaths_chart",
    "offline_html",
    "write_html",
    "write_png",
]
