"""``narcosim atlas …`` commands: import, export, sources (maps and download live beside)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from narcosim.atlas.export import export_tables
from narcosim.atlas.provenance import provenance_table
from narcosim.atlas.store import Atlas, default_store_path, import_data
from narcosim.cli.app import atlas_app
from narcosim.cli.options import StoreOption
from narcosim.cli.output import JsonOption, print_json

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)



@atlas_app.command("import")
def import_command(
    source: Annotated[Path, typer.Argument(help="Data folder laid out like shared/data.")],
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate the data files in SOURCE, then write them into the local store atomically."""
    target = store if store is not None else default_store_path()
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                  console=_err, transient=True) as bar:
        task = bar.add_task("validating", total=None)

        def step(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        counts = import_data(source, target, progress=step)
    if as_json:
        print_json({"store": str(target), "tables": counts, "rows": sum(counts.values())})
        return
    _out.print(f"imported {len(counts)} tables, {sum(counts.values()):,} rows into {target}")


@atlas_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option("--out", help="Output folder.", file_okay=False)],
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write every stored table (and provenance) to OUT as Parquet or CSV."""
    written = export_tables(out, fmt, store)
    if as_json:
        print_json({"out_dir": str(out), "format": fmt, "files": [str(p) for p in written]})
        return
    _out.print(f"wrote {len(written)} files to {out}")


@atlas_app.command("sources")
def sources_command(
    store: StoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show where each table comes from: publisher, source, licence, trimming, file hashes.

    Reads the store when one exists (so hashes of the imported files are shown);
    otherwise prints the provenance recorded in code.
    """
    path = store if store is not None else default_store_path()
    if path.is_file() or store is not None:
        prov = Atlas.open(path).provenance()
    else:
        prov = provenance_table()
    if as_json:
        typer.echo(json.dumps(prov.to_dict(orient="records"), indent=2, ensure_ascii=False))
        return
    if "sha256" in prov.columns:  # a 12-digit prefix per file keeps the table readable
        prov = prov.assign(sha256=prov["sha256"].map(
            lambda v: "; ".join(h[:12] for h in str(v).split("; "))))
    table = Table(title="narcosim atlas sources (full hashes: --json)", show_lines=True)
    for col in prov.columns:
        table.add_column(col, overflow="fold", no_wrap=col == "table")
    for row in prov.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    _out.print(table)
