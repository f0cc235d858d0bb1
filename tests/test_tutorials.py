"""Every tutorial in docs/tutorials runs as written, and its asserts hold on the real data.

Each page's ```python blocks are executed in order in one namespace (one per page), the way a
reader would paste them into one Python session. The pages open the atlas with ``Atlas.open()``,
which reads ``$NARCOSIM_HOME/atlas.duckdb``; the test points ``NARCOSIM_HOME`` at the folder of
the session's freshly imported store (the ``atlas_store`` fixture), as each page says at its
top. A failing assert names the page and block.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from narcosim.atlas.store import HOME_ENV, STORE_FILENAME

TUTORIALS = Path(__file__).resolve().parents[1] / "docs" / "tutorials"
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
}
BLOCK = re.compile(r"```python\n(.*?)```", flags=re.S)


def _pages() -> list[Path]:
    return sorted(TUTORIALS.glob("*.md"))


def test_every_required_tutorial_exists_and_says_how_it_runs() -> None:
    names = [p.name for p in _pages()]
    for name in REQUIRED:
        assert name in names, f"docs/tutorials/{name} is missing"
    for page in _pages():
        text = page.read_text(encoding="utf-8")
        assert "Atlas.open()" in text and HOME_ENV in text, f"{page.name}: no store note"
        for word in SHOWS.get(page.name, ()):
            assert word in text, f"{page.name} does not show {word}"


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_tutorial_runs_and_its_asserts_hold(page: Path, atlas_store: Path,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert atlas_store.name == STORE_FILENAME
    monkeypatch.setenv(HOME_ENV, str(atlas_store.parent))
    blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
    assert len(blocks) >= 3, f"{page.name}: too few python blocks to be a tutorial"
    asserts = sum(len(re.findall(r"^\s*assert ", b, flags=re.M)) for b in blocks)
    assert asserts >= 5, f"{page.name}: a tutorial should check what it claims ({asserts} asserts)"
    namespace: dict = {"__name__": f"tutorial_{page.stem}"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{page} [python block {i + 1}]", "exec"), namespace)
    out = capsys.readouterr().out
    assert out.strip(), f"{page.name} printed nothing for the reader to see"
