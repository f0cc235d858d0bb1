"""Offer each tutorial as a Jupyter notebook: ``tutorials/<name>.ipynb`` (run by mkdocs-gen-files).

The tutorials in ``docs/tutorials`` are notebooks kept as Markdown (jupytext's ``markdown``
format, declared in each page's YAML header): the site renders the page itself, and this
script writes the same page as an ``.ipynb`` beside it, with no outputs, for a reader to open
in Jupyter. ``tests/test_tutorials.py`` executes the same notebooks in a kernel.
"""

from pathlib import Path

import jupytext
import mkdocs_gen_files

TUTORIALS = Path(__file__).resolve().parent / "tutorials"


def notebook_json(page: Path) -> str:
    """The ``.ipynb`` text of one tutorial page, without jupytext's pairing metadata.

    Args:
        page: A Markdown tutorial under ``docs/tutorials``.

    Returns:
        The notebook as nbformat 4 JSON, code cells without outputs.
    """
    nb = jupytext.read(page)
    nb.metadata.pop("jupytext", None)
    return jupytext.writes(nb, fmt="ipynb")


def write_notebooks() -> None:
    """Write ``tutorials/<name>.ipynb`` into the site for every tutorial page."""
    for page in sorted(TUTORIALS.glob("*.md")):
        with mkdocs_gen_files.open(f"tutorials/{page.stem}.ipynb", "w") as handle:
            handle.write(notebook_json(page))


if __name__ in {"__main__", "<run_path>"}:
    write_notebooks()
