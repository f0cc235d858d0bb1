"""The money Sankey (issue 14): flows that add up, and a page that renders offline.

The figure is checked against the money results it is drawn from (every channel passes on
exactly what it moved; each operator sends on what it earned), and the page is opened in
headless Chromium with every outside request blocked: it must draw its nodes and links with
no blocked request and no console error. A run without money accounts is refused in one line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from browser import open_local
from narcosim.cli import main
from narcosim.errors import ParameterError
from narcosim.model.builder import build_sim
from narcosim.report.money_sankey import money_sankey
from narcosim.report.offline import write_html
from supply_fixtures import inputs_for


@pytest.fixture(scope="module")
def frame(atlas_store: Path):
    sim = build_sim(inputs_for(atlas_store), seed=1, start="2020-01-01", end="2021-12-31",
                    people=False).run()
    return sim.results.to_frame(), sim


def _links(fig):
    sankey = fig.data[0]
    labels = list(sankey.node.label)
    return labels, [(labels[s], labels[t], v) for s, t, v in
                    zip(sankey.link.source, sankey.link.target, sankey.link.value, strict=True)]


def test_the_sankey_adds_up_to_the_money_results(frame) -> None:
    tidy, sim = frame
    fig = money_sankey(tidy)
    assert "2021" in fig.layout.title.text
    labels, links = _links(fig)
    assert {"bulk cash", "trade based", "chinese mlo", "seized", "reached Mexico"} <= set(labels)
    into = {n: sum(v for _, t, v in links if t == n) for n in labels}
    out = {n: sum(v for s, _, v in links if s == n) for n in labels}
    for channel in ("bulk cash", "trade based", "chinese mlo"):
        assert out[channel] == pytest.approx(into[channel], rel=1e-12)
    ops = sim.modules["money"].inputs.structure.operator_keys
    for op in ops:
        assert out[op] == pytest.approx(into[op], rel=1e-12)
    money, tl = sim.results["money"], sim.timeline
    # day-weighted: the weeks across New Year 2021 and 2022 count by their days in 2021
    in_2021 = {m: float(tl.annual(money[m].sum(axis=(1, 2)), [2021])[0])
               for m in ("revenue_usd", "money_seized_usd")}
    sales = sum(v for s, _, v in links if s.endswith(" sales"))
    assert sales == pytest.approx(in_2021["revenue_usd"], rel=1e-12)
    assert into["seized"] == pytest.approx(in_2021["money_seized_usd"], rel=1e-12)
    whole_weeks = money["revenue_usd"][tl.years == 2021].sum()
    assert abs(sales / whole_weeks - 1) > 1e-3  # the old whole-week count differs
    assert np.all(np.array([v for _, _, v in links]) > 0)


@pytest.mark.browser
def test_the_sankey_page_renders_offline(frame, tmp_path: Path) -> None:
    path = write_html(money_sankey(frame[0]), tmp_path / "money_sankey.html")
    with open_local(path) as view:
        view.page.wait_for_selector("g.sankey-node")
        nodes = view.page.locator("g.sankey-node").count()
        links = view.page.locator("path.sankey-link").count()
        assert view.blocked == []
        assert view.console_errors == []
    labels, drawn = _links(money_sankey(frame[0]))
    assert nodes == len(labels) and links == len(drawn)


def test_no_money_is_one_line_exit_2(tmp_path: Path, frame,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    tidy = frame[0]
    with pytest.raises(ParameterError, match="no money accounts"):
        money_sankey(tidy[tidy["module"] != "money"])
    (tmp_path / "run").mkdir()
    tidy[tidy["module"] == "ledger"].to_parquet(tmp_path / "run" / "results.parquet")
    with pytest.raises(SystemExit) as info:
        main(["money-sankey", str(tmp_path / "run")])
    text = "".join(capsys.readouterr()).strip()
    assert info.value.code == 2 and len(text.splitlines()) == 1 and "Traceback" not in text
    assert not (tmp_path / "run" / "money_sankey.html").exists()
