"""docs/explanation: one page per model part, in the site's nav, naming only files that exist.

Each page says what the part models, its rules in words, its inputs with sources and what it
does not do; the source files it names in backticks (``model/people.py``) and the reference
pages it links must exist, so a renamed module breaks this test, not the reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = REPO / "docs" / "explanation"
SRC = REPO / "src" / "narcosim"
#: The model parts issue 13 asks a page for.
PARTS = ("atlas", "production", "trafficking", "distribution", "people", "interventions",
         "orgs", "money", "calibration", "uncertainty")


def test_every_part_has_a_page_in_the_nav() -> None:
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    index = (PAGES / "index.md").read_text(encoding="utf-8")
    for part in PARTS:
        assert (PAGES / f"{part}.md").is_file(), f"docs/explanation/{part}.md is missing"
        assert f"explanation/{part}.md" in nav, f"{part}.md is not in the mkdocs nav"
        assert f"({part}.md)" in index, f"docs/explanation/index.md does not link {part}.md"


@pytest.mark.parametrize("part", PARTS)
def test_page_says_what_it_does_not_do_and_names_real_files(part: str) -> None:
    text = (PAGES / f"{part}.md").read_text(encoding="utf-8")
    assert "**What it does not do.**" in text, f"{part}.md: no limits section"
    files = re.findall(r"`((?:atlas|model|interventions|orgs|network|calibrate|analysis|core|run)"
                       r"/[a-z_*]+\.py)`", text)
    assert files, f"{part}.md names no source file"
    for name in files:
        assert list(SRC.glob(name)), f"{part}.md names {name}, which does not exist"
    refs = re.findall(r"\(\.\./reference/(narcosim/[a-z_/]+)\.md\)", text)
    assert refs or part == "index", f"{part}.md links no API reference page"
    for ref in refs:
        module = REPO / "src" / ref
        found = (module.parent / "__init__.py" if module.name == "index"
                 else module.with_suffix(".py")).is_file()
        assert found, (
            f"{part}.md links the reference of {ref}, which is no module")
