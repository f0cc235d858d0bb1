"""The runnable example in docs/engine.md runs and does what the page says."""

import re
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[1] / "docs" / "engine.md"


def test_engine_doc_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) == 1
    namespace: dict = {"__name__": "engine_doc"}
    exec(compile(blocks[0], str(DOC), "exec"), namespace)
    out = capsys.readouterr().out
    assert "mortality.init_pre" in out and "1. mortality.step" in out
    sim, frame = namespace["sim"], namespace["frame"]
    assert sim.complete and sim.modules["mortality"].pars.death_rate == 0.01 * 365.25 / 7
    assert list(frame.columns) == ["date", "module", "metric", "parity", "value"]
    alive = sim.results["mortality"]["alive"]
    deaths = sim.results["mortality"]["deaths"].sum(axis=1)
    assert np.array_equal(np.concatenate([[1000], alive[:-1]]) - alive, deaths)
    # 1% a week over 53 weeks: about 1000 * (1 - exp(-0.53)) = 411 deaths
    assert 330 < deaths.sum() < 490
