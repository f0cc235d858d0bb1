"""``narcosim atlas download``: fetch the official releases from their publishers, then import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)

from narcosim.atlas.download import MIRROR_ENV, RELEASES_DIR, download_atlas
from narcosim.atlas.store import default_store_path, import_data
from narcosim.cli.app import atlas_app
from narcosim.cli.options import StoreOption
from narcosim.cli.output import JsonOption, print_json

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


@atlas_app.command("download")
def download_command(
    folder: Annotated[Path, typer.Argument(
        help="Folder for the publishers' files (FOLDER/releases) and the converted data.",
        file_okay=False)],
    store: StoreOption = None,
    mirror: Annotated[str | None, typer.Option(
        "--mirror", envvar=MIRROR_ENV, help="https://HOST[:PORT] that serves every "
        "publisher's paths (replaces scheme and host of each URL).")] = None,
    insecure: Annotated[bool, typer.Option(
        "--insecure", help="Allow a plain-HTTP --mirror (files are still checked against "
        "their pinned or recorded sha256).")] = False,
    from_dir: Annotated[Path | None, typer.Option(
        "--from", help="A data folder laid out like shared/data (required): the indicator "
        "files (indicators/) are copied from here, and so are the files a release that "
        "cannot be fetched would give.",
        file_okay=False)] = None,
    as_json: JsonOption = False,
) -> None:
    """Download CDC, NCHS, Census, CBP, BTS, GeoNames, TopoJSON and the cartel network.

    Each file is fetched from its publisher into FOLDER/releases (files already
    complete there are not fetched again), converted into FOLDER in the layout that
    `atlas import` reads, then imported into the store. The indicator files (NFLIS,
    NSDUH, CDC dispensing rates, TEDS-A) are not published as releases and are
    copied from --from DIR.

    Only HTTPS is used unless --insecure is given. Every file is checked by sha256: against
    its pin, or against the digest recorded when it was first fetched (a cached file is
    re-hashed before it is reused); a mismatch stops the download with exit 2.
    """
    with Progress(TextColumn("{task.description:<40}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), console=_err, transient=True,
                  disable=not _err.is_terminal) as bars:
        result = download_atlas(folder, store, mirror, progress=bars, do_import=False,
                                fallback=from_dir, insecure=insecure)
    for message in result.failed.values():
        _err.print(f"warning: {message}", markup=False)
    if result.borrowed:
        _err.print(f"warning: took {', '.join(result.borrowed)} from {from_dir}",
                   markup=False)
    if not as_json:
        _out.print(f"downloaded {len(result.fetched)} releases into {folder / RELEASES_DIR} "
                   f"({len(result.skipped)} already complete); wrote "
                   f"{len(result.converted)} data files into {folder}; copied "
                   f"{len(result.supplied)} indicator files from {from_dir}")
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(),
                  console=_err, transient=True, disable=not _err.is_terminal) as bar:
        task = bar.add_task("validating", total=None)

        def step(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        target = store if store is not None else default_store_path()
        counts = import_data(folder, target, progress=step)
    if as_json:
        print_json({"folder": str(folder), "fetched": _names(result.fetched),
                    "already_complete": _names(result.skipped),
                    "converted": _names(result.converted), "supplied": _names(result.supplied),
                    "borrowed": _names(result.borrowed), "failed": dict(result.failed),
                    "store": str(target), "tables": counts, "rows": sum(counts.values())})
        return
    _out.print(f"imported {len(counts)} tables, {sum(counts.values()):,} rows into {target}")


def _names(items: object) -> list[str]:
    """A download result's collection (names, paths or a mapping's keys) as strings."""
    return [str(x) for x in (items or [])]
