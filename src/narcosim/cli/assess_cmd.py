"""``narcosim assess YEAR``: a threat assessment for one year, as HTML and PDF, offline."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from narcosim.atlas.store import Atlas
from narcosim.cli.app import app
from narcosim.cli.options import StoreOption
from narcosim.cli.output import JsonOption, TopOption, check_top, print_json
from narcosim.errors import ParameterError, StoreError
from narcosim.report.assess_data import ASSESS_SEED, check_year, simulate_supply
from narcosim.report.assess_report import render_assessment
from narcosim.report.pdf import chromium, html_to_pdf

_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def assessment_paths(out: Path, year: int) -> tuple[Path, Path]:
    """The HTML and PDF that ``narcosim assess`` writes into ``out``."""
    return out / f"assessment-{year}.html", out / f"assessment-{year}.pdf"


def write_assessment(year: int, out: Path, atlas: Atlas, *, seed: int = ASSESS_SEED,
                     top: int = 10, pdf: bool = True) -> list[Path]:
    """Write the year's assessment into ``out``: both files appear, or neither.

    Args:
        year: The assessed year (must have CDC deaths in the atlas).
        out: Output folder (created).
        atlas: The atlas store.
        seed: Seed of the model run behind presence and flows.
        top: Rows of the top-N tables.
        pdf: Also print the PDF.

    Returns:
        The files written.

    Raises:
        ParameterError: A year outside the data, a bad ``top``, no Chromium for the PDF.
        StoreError: The files cannot be written or printed.
    """
    check_year(atlas, year)
    if not 1 <= top <= 51:
        raise ParameterError(f"--top {top}: must be between 1 and 51")
    if seed < 0:
        raise ParameterError(f"--seed {seed}: must be >= 0")
    if pdf:
        chromium()  # fail before the work when there is nothing to print with
    if out.exists() and not out.is_dir():
        raise ParameterError(f"--out {out}: exists and is not a folder")
    with _err.status(f"running the model to the end of {year}"):
        supply = simulate_supply(atlas, year, seed=seed)
    with _err.status("drawing the assessment"):
        page = render_assessment(atlas, year, supply, top=top)
    html_path, pdf_path = assessment_paths(out, year)
    try:
        out.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=".assess-", dir=out))
    except OSError as error:
        raise StoreError(f"--out {out}: cannot create ({error.strerror})") from None
    try:
        staged_html = temp / html_path.name
        staged_html.write_text(page, encoding="utf-8")
        written = [html_path]
        if pdf:
            with _err.status("printing the PDF with headless Chromium"):
                refused = html_to_pdf(staged_html, temp / pdf_path.name)
            if refused:
                raise StoreError(f"PDF: the page asked for {len(refused)} outside "
                                 f"resource(s), e.g. {refused[0]}")
            written.append(pdf_path)
        for path in written:
            os.replace(temp / path.name, path)
    except OSError as error:
        raise StoreError(f"--out {out}: cannot write ({error.strerror})") from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return written


@app.command("assess")
def assess_command(
    year: Annotated[int, typer.Argument(
        help="Calendar year to assess (one with CDC deaths in the atlas, 2015-2023).",
        show_default=False)],
    out: Annotated[Path | None, typer.Option(
        "--out", help="Folder for assessment-YEAR.html and .pdf (default: assessments/YEAR).")
    ] = None,
    store: StoreOption = None,
    seed: Annotated[int, typer.Option(
        "--seed", help="Seed of the model run behind presence and flows.")] = ASSESS_SEED,
    top: TopOption = 10,
    pdf: Annotated[bool, typer.Option(
        "--pdf/--no-pdf", help="Also print the page to PDF with headless Chromium.")] = True,
    as_json: JsonOption = False,
) -> None:
    """Write a threat assessment for YEAR: cartel presence, flows, deaths, seizures, top-N.

    Deaths and seizures are the atlas's (CDC, CBP); presence and flows by US state come from a
    run of the built-in model to the end of YEAR. The HTML opens offline; the PDF is the same
    page printed by headless Chromium.
    """
    top = check_top(top) or 51  # 0: every state
    atlas = Atlas.open(store)
    folder = out if out is not None else Path("assessments") / str(year)
    written = write_assessment(year, folder, atlas, seed=seed, top=top, pdf=pdf)
    if as_json:
        html_path, pdf_path = assessment_paths(folder, year)
        print_json({"year": year, "seed": seed, "html": str(html_path),
                    "pdf": str(pdf_path) if pdf_path in written else None,
                    "bytes": {p.suffix[1:]: p.stat().st_size for p in written}})
        return
    for path in written:
        _out.print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)", soft_wrap=True)
