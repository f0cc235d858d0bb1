"""docs/extending.md runs as written: a new module and a new lever, built into a scenario.

Its ```python blocks run in order in one namespace, with ``NARCOSIM_HOME`` pointing at the
session's imported store and lever checking on (``NARCOSIM_CHECK_LEVERS=1``: a write
outside the lever protocol raises); the page's own asserts check what it claims (the
ramped programme averts fewer deaths than the full one and more than none).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from narcosim.atlas.store import HOME_ENV
from narcosim.core.levers import CHECK_ENV

PAGE = Path(__file__).resolve().parents[1] / "docs" / "extending.md"
BLOCK = re.compile(r"```python\n(.*?)```", flags=re.S)


def test_extending_page_runs_and_its_asserts_hold(atlas_store: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(HOME_ENV, str(atlas_store.parent))
    monkeypatch.setenv(CHECK_ENV, "1")  # a write outside the lever protocol raises
    blocks = BLOCK.findall(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) == 2
    namespace: dict = {"__name__": "docs_extending"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{PAGE} [python block {i + 1}]", "exec"), namespace)
    out = capsys.readouterr().out
    assert "fentanyl share of overdose deaths, 2024" in out and "Ohio" in out
    sim = namespace["ramped_sim"]
    names = list(sim.modules)
    lever = next(n for n in names if n.endswith("_naloxone"))
    assert names.index(lever) < names.index("people")  # levers step before the model
    assert namespace["base"] > namespace["ramped"] > namespace["full"]
