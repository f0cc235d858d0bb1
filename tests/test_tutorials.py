"""Every tutorial in docs/tutorials is a notebook, runs in a Jupyter kernel, and its asserts hold.

The pages are Jupyter notebooks kept as Markdown (jupytext's ``markdown`` format: each page
declares it in its YAML header, and each ```python block is a code cell). The test reads a
page with jupytext and executes the notebook with nbclient in a ``python3`` Jupyter kernel,
cell by cell, as a reader would in Jupyter; a cell that raises (a failing ``assert`` included)
fails the test with the page, the cell and its traceback. The pages open the atlas with
``Atlas.open()``, which reads ``$NARCOSIM_HOME/atlas.duckdb``; the kernel starts with
``NARCOSIM_HOME`` pointing at the folder of the session's freshly imported store (the
``atlas_store`` fixture), as each page says at its top. The pages share one kernel, its
namespace wiped (``%reset -f``) before each, so narcosim and its compiled kernels are loaded
once, not once a page (a fresh kernel a page costs about 5 s more each). The site offers each
page as an ``.ipynb`` download, written at build time by ``docs/gen_notebooks.py``.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbclient.util import run_sync
from nbformat.v4 import new_code_cell, new_notebook

from narcosim.atlas.store import HOME_ENV

REPO = Path(__file__).resolve().parents[1]
TUTORIALS = REPO / "docs" / "tutorials"
#: One page per kind of lever (issue 5, item 6).
REQUIRED = ("enforcement.md", "leaders.md", "public_health.md")
#: Lever kinds each page must show, by config class name.
SHOWS = {
    "enforcement.md": ("BorderSurgeConfig", "HubTakedownConfig", "DealerOperationConfig",
                       "PrecursorControlConfig", "MoneyLaunderingConfig", "Overdrive",
                       "Last Mile"),
    "leaders.md": ("LeaderRemovalConfig", "release_probability", "umbrella", "franchise"),
    "public_health.md": ("NaloxoneConfig", "TreatmentConfig", "TestStripsConfig",
                         "PreventionConfig"),
    # issue 11: the nine ordinary questions, each answered without SQL
    "nine_questions.md": tuple(f"## {i}. " for i in range(1, 10)),
}
#: Pages that take over a minute to run (an ensemble and a four-arm comparison): marked slow.
SLOW = ("nine_questions.md",)
#: Seconds one cell may run in the kernel (the longest, enforcement's runs, take about 10 s).
CELL_TIMEOUT_S = 600


def _pages() -> list[Path]:
    return sorted(TUTORIALS.glob("*.md"))


def _runs() -> list:
    """The pages to run, the slow ones marked."""
    return [pytest.param(p, marks=pytest.mark.slow) if p.name in SLOW else p for p in _pages()]


def _code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


@pytest.fixture(scope="module")
def kernel(atlas_store: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Callable[[nbformat.NotebookNode], None], Path]]:
    """One python3 kernel for this module's notebooks: (run a notebook in it, its folder).

    The kernel starts in an empty folder with ``NARCOSIM_HOME`` set to the imported store's
    folder. Running a notebook first wipes the kernel's namespace, then executes every cell in
    order (``CellExecutionError`` on the first that raises) and writes the outputs into it.
    """
    folder = tmp_path_factory.mktemp("kernel")
    env = {**os.environ, HOME_ENV: str(atlas_store.parent)}
    starter = NotebookClient(new_notebook(), kernel_name="python3", timeout=CELL_TIMEOUT_S,
                             extra_arguments=["--colors=nocolor"])  # plain tracebacks
    starter.execute(cleanup_kc=False, env=env, cwd=str(folder))
    km = starter.km

    def run(nb: nbformat.NotebookNode) -> None:
        for notebook in (new_notebook(cells=[new_code_cell("%reset -f")]), nb):
            client = NotebookClient(notebook, km=km, kernel_name="python3",
                                    timeout=CELL_TIMEOUT_S)
            try:
                client.execute()
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()

    yield run, folder
    if starter.kc is not None:
        starter.kc.stop_channels()
    run_sync(km.shutdown_kernel)(now=True)


def test_every_required_tutorial_exists_and_says_how_it_runs() -> None:
    names = [p.name for p in _pages()]
    for name in REQUIRED:
        assert name in names, f"docs/tutorials/{name} is missing"
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        assert "Atlas.open()" in text and HOME_ENV in text, f"{page.name}: no store note"
        assert f"({page.stem}.ipynb)" in text, (f"{page.name}: no link to its notebook download, "
                                                 f"[{page.stem}.ipynb]({page.stem}.ipynb), "
                                                 "in its note on how it runs")
        for word in SHOWS.get(page.name, ()):
            assert word in text, f"{page.name} does not show {word}"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_tutorial_is_a_notebook_with_a_kernel(page: Path) -> None:
    """The page declares itself a jupytext Markdown notebook for the python3 kernel."""
    nb = jupytext.read(page)
    representation = nb.metadata.get("jupytext", {}).get("text_representation", {})
    assert representation.get("format_name") == "markdown", (
        f"{page.name}: not a notebook: start it with the jupytext header of enforcement.md")
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{page.name}: its jupytext header names no python3 kernelspec (see enforcement.md)")
    # every fenced python block became a code cell (one left as text would be missing here)
    fences = len(re.findall(r"^```python$", page.read_text(encoding="utf-8"), flags=re.M))
    cells = _code_cells(nb)
    assert len(cells) == fences >= 3, f"{page.name}: {len(cells)} code cells, {fences} blocks"
    # the round trip to .ipynb (what the site offers) keeps the code
    back = nbformat.reads(jupytext.writes(nb, fmt="ipynb"), as_version=4)
    assert [c.source for c in _code_cells(back)] == [c.source for c in cells]
    nbformat.validate(back)


@pytest.mark.parametrize("page", _runs(), ids=lambda p: p.name)
def test_tutorial_runs_as_a_notebook_and_its_asserts_hold(
        page: Path, kernel: tuple[Callable[[nbformat.NotebookNode], None], Path]) -> None:
    run, folder = kernel
    nb = jupytext.read(page)
    cells = _code_cells(nb)
    asserts = sum(len(re.findall(r"^\s*assert ", c.source, flags=re.M)) for c in cells)
    assert asserts >= 5, f"{page.name}: a tutorial should check what it claims ({asserts} asserts)"
    try:
        run(nb)
    except CellExecutionError as error:
        pytest.fail(f"{page.name}: a cell failed in the kernel:\n{error}", pytrace=False)
    counts = [cell.execution_count for cell in cells]
    assert None not in counts, f"{page.name}: a cell did not run"
    assert counts == list(range(counts[0], counts[0] + len(cells))), f"{page.name}: out of order"
    for i, cell in enumerate(cells):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{page.name}: cell {i + 1} raised {errors[0].ename}"
    printed = "".join(o.get("text", "") for c in cells for o in c.outputs
                      if o.output_type == "stream" and o.name == "stdout")
    assert printed.strip(), f"{page.name} printed nothing for the reader to see"
    assert not list(folder.iterdir()), f"{page.name} left files in its working folder"


def test_a_failing_assert_in_a_tutorial_cell_fails_the_run(
        kernel: tuple[Callable[[nbformat.NotebookNode], None], Path]) -> None:
    """The kernel run is not a formality: a false claim stops it, and the namespace is wiped."""
    run, _ = kernel
    nb = jupytext.reads("```python\nx = 2\nprint(x)\n```\n\ntext\n\n```python\nassert x == 3, "
                        "'the claim'\n```\n", fmt="md")
    with pytest.raises(CellExecutionError, match="the claim"):
        run(nb)
    assert nb.cells[0].outputs[0]["text"] == "2\n"
    # the next notebook starts from an empty namespace: x is gone
    later = jupytext.reads("```python\nprint('x' in dir())\n```\n", fmt="md")
    run(later)
    assert later.cells[0].outputs[0]["text"] == "False\n"


def test_the_site_offers_each_tutorial_as_a_notebook() -> None:
    """docs/gen_notebooks.py turns each page into a valid .ipynb with the page's code cells."""
    script = REPO / "docs" / "gen_notebooks.py"
    spec = importlib.util.spec_from_file_location("gen_notebooks", script)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    for page in _pages():
        text = gen.notebook_json(page)
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        assert [c.source for c in _code_cells(nb)] == [c.source for c in
                                                        _code_cells(jupytext.read(page))]
        assert all(not c.outputs for c in _code_cells(nb)), "the download should carry no outputs"
