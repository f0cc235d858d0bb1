"""``narcosim atlas map`` and ``narcosim atlas chart``: offline HTML (and PNG) figures."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from narcosim.cli.app import atlas_app
from narcosim.cli.options import StoreOption
from narcosim.cli.output import JsonOption, check_top, print_json
from narcosim.errors import StoreError

_out = Console(highlight=False, soft_wrap=True)


def _open_atlas(store: Path | None):  # -> narcosim.atlas.store.Atlas
    """Open the atlas store (imported here so the CLI loads even before a store exists)."""
    from narcosim.atlas.store import Atlas

    return Atlas.open(store)


def _usa_topojson(atlas) -> dict[str, str]:
    """The ``usa_110m`` TopoJSON text from the store's ``geometry`` table."""
    from narcosim.report.offline import TOPOJSON_NAME

    geometry = atlas.table("geometry")
    rows = geometry[geometry["name"] == TOPOJSON_NAME]
    if rows.empty:
        raise StoreError(
            f"atlas store {atlas.path} has no geometry {TOPOJSON_NAME!r}; "
            "re-run `narcosim atlas import DIR`"
        )
    return {TOPOJSON_NAME: str(rows["text"].iloc[0])}


PngOption = Annotated[Path | None, typer.Option("--png", help="Also write a PNG image here.")]


@atlas_app.command("map")
def map_command(
    metric: Annotated[str, typer.Option("--metric", help="What to map: deaths.")] = "deaths",
    drug: Annotated[str, typer.Option(
        "--drug", help="fentanyl, methamphetamine, cocaine, heroin, all_drugs, …")] = "fentanyl",
    year: Annotated[int, typer.Option(
        "--year", help="Calendar year (2015–2023 in CDC VSRR).")] = 2023,
    per: Annotated[float | None, typer.Option(
        "--per", help="Deaths per this many people (e.g. 100000); counts when omitted.")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="HTML file to write (default atlas_map_METRIC_DRUG_YEAR.html).")
    ] = None,
    png: PngOption = None,
    store: StoreOption = None,
    top: Annotated[int, typer.Option(
        "--top", help="States listed, highest first (0: all).")] = 3,
    as_json: JsonOption = False,
) -> None:
    """Write a self-contained HTML choropleth of overdose deaths by state (opens offline)."""
    from narcosim.report.maps import check_per, choropleth, drug_label, map_values
    from narcosim.report.offline import write_html, write_png

    check_per(per)  # fail on a bad --per before touching the store
    check_top(top)
    atlas = _open_atlas(store)
    values = map_values(
        atlas.table("overdose_deaths"),
        atlas.table("population"),
        drug=drug,
        year=year,
        metric=metric,
        per=per,
    )
    topojson = _usa_topojson(atlas)
    fig = choropleth(values)
    out = out or Path(f"atlas_map_{metric}_{drug}_{year}.html")
    write_html(fig, out, topojson=topojson)
    reported = values[~values["withheld"]].sort_values("value", ascending=False,
                                                       kind="stable")
    unit = "deaths" if per is None else f"per {per:,.0f}"
    listed = reported if top == 0 else reported.head(top)
    if png is not None:
        write_png(fig, png, topojson=topojson)
    if as_json:
        print_json({
            "file": str(out), "png": None if png is None else str(png), "metric": metric,
            "drug": drug, "year": year, "per": per, "unit": unit,
            "states_reported": len(reported), "states_withheld": int(values["withheld"].sum()),
            "top": [{"rank": i + 1, "state": r.state_abbr, "value": r.value,
                     "deaths": r.deaths, "population": r.population}
                    for i, r in enumerate(listed.itertuples())]})
        return
    if top > 3:
        table = Table(title=f"{drug_label(drug)}, {year}: top {len(listed)} states ({unit})")
        for col in ("rank", "state", unit, "deaths"):
            table.add_column(col, justify="left" if col == "state" else "right")
        for i, r in enumerate(listed.itertuples()):
            table.add_row(str(i + 1), r.state_abbr, f"{r.value:,.1f}", f"{r.deaths:,.0f}")
        _out.print(table)
    highest = ", ".join(f"{r.state_abbr} {r.value:,.1f}" for r in listed.head(3).itertuples())
    _out.print(
        f"wrote {out}: {len(reported)} states with values ({unit}; highest {highest}), "
        f"{int(values['withheld'].sum())} withheld"
    )
    if png is not None:
        _out.print(f"wrote {png}")


@atlas_app.command("chart")
def chart_command(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")] = Path(
        "atlas_chart_national_deaths.html"
    ),
    png: PngOption = None,
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write an offline HTML line chart of US overdose deaths by drug, 2015–2023."""
    from narcosim.report.charts import national_deaths, national_deaths_chart
    from narcosim.report.offline import write_html, write_png

    atlas = _open_atlas(store)
    deaths = atlas.table("overdose_deaths")
    fig = national_deaths_chart(deaths)
    write_html(fig, out)
    wide = national_deaths(deaths)
    last = wide.index.max()
    summary = ", ".join(f"{drug} {wide.loc[last, drug]:,.0f}" for drug in wide.columns)
    if png is not None:
        write_png(fig, png)
    if as_json:
        print_json({"file": str(out), "png": None if png is None else str(png),
                    "years": [int(y) for y in wide.index],
                    "deaths": {drug: {int(y): wide.loc[y, drug] for y in wide.index}
                               for drug in wide.columns}})
        return
    _out.print(
        f"wrote {out}: {len(wide.columns)} drugs, {wide.index.min()}–{last} ({last}: {summary})"
    )
    if png is not None:
        _out.print(f"wrote {png}")
