"""Bad money, export, precursor and firearms input (issue 14): one line, exit 2, nothing written.

The cases tests/test_money.py, tests/test_portfolio.py and tests/test_precursors.py already
hold (a negative US price, a channel capacity above 1 or summing above 1, an unknown channel,
region or source country, a market share above 1) are not repeated: these are the rest of the
shares, prices and places a user can get wrong, the redirect share to the US (which must lie
in [0, 1]), and the same redirect range given to ``narcosim sensitivity``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fuzz_support import assert_refused, cli

SCENARIO = '[scenario]\nname = "t"\nstart = 2021-01-01\nend = 2021-03-31\n\n'
ABROAD = ('[[interventions]]\nkind = "demand_reduction_abroad"\nstart = 2021-02-01\n'
          'end = 2021-03-01\n')
SOURCE = ('[[interventions]]\nkind = "precursor_source_control"\nstart = 2021-02-01\n'
          'end = 2021-03-01\n')
GUNS = ('[[interventions]]\nkind = "firearms_interdiction"\nstart = 2021-02-01\n'
        'end = 2021-03-01\n')


@pytest.mark.parametrize("body, fragment", [
    ("[parameters.portfolio]\nredirect_to_us = 1.5\n", "redirect_to_us"),
    ("[parameters.portfolio]\nredirect_to_us = -0.1\n", "redirect_to_us"),
    ("[parameters.portfolio]\nredirect_to_us = nan\n", "redirect_to_us"),
    ("[parameters.portfolio]\nasia_cocaine_price = -1\n", "asia_cocaine_price"),
    ("[parameters.portfolio]\nasia_cocaine_price = inf\n", "asia_cocaine_price"),
    ("[parameters.portfolio]\neurope_cocaine_kg = -1\n", "europe_cocaine_kg"),
    ("[parameters.portfolio]\nmigrant_smuggling_usd = -5\n", "migrant_smuggling_usd"),
    ("[parameters.money]\nfentanyl_cost = -1\n", "fentanyl_cost"),
    ("[parameters.money]\nseizure = [0.01, 1.2, 0.0]\n", "seizure"),
    ("[parameters.money]\nfee = [0.1, 0.1, 2.0]\n", "fee"),
    ("[parameters.money]\ncapacity = [-0.1, 0.1, 0.1]\n", "capacity"),
    ("[parameters.money]\ncapacity = [0.1, 0.1]\n", "one value per channel"),
    ("[parameters.money]\nabroad_fee = 1.1\n", "abroad_fee"),
    (ABROAD + 'region = "Europe"\n', "interventions[0].region"),
    (ABROAD, "interventions[0].region"),
    (SOURCE + 'source = "japan"\n', "interventions[0].source"),
    (SOURCE + 'source = ["china"]\n', "interventions[0].source"),
    (GUNS + 'source_states = ["TX", "ZZ"]\n', "source_states"),
    ("[parameters.firearms]\nborder_seizure = 1.5\n", "border_seizure"),
    (GUNS + "[interventions.parameters]\nefficacy = -0.1\n", "efficacy"),
])
def test_bad_input_is_one_line_exit_2_and_no_folder(tmp_path: Path, atlas_store: Path,
                                                    body: str, fragment: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO + body)
    out_dir = tmp_path / "run"
    assert_refused(*cli(["run", str(path), "--out", str(out_dir), "--store", str(atlas_store)],
                        capsys), fragment)
    assert not out_dir.exists()


def test_a_redirect_range_outside_0_1_in_sensitivity_is_one_line_exit_2(
        tmp_path: Path, atlas_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    priors = tmp_path / "priors.toml"
    priors.write_text('[parameters]\n"portfolio.redirect_to_us" = [0.0, 1.5]\n')
    out = tmp_path / "sens"
    assert_refused(*cli(["sensitivity", "--params-file", str(priors), "--intervention", "none",
                         "--store", str(atlas_store), "--out", str(out)], capsys),
                   "portfolio.redirect_to_us", "above the upper bound")
    assert not out.exists()
