"""The default sensitivity set holds issue 14's guesses (issue 14, sensitivity defaults).

Without ``--param``, ``narcosim sensitivity`` varies every prior of the precursor chain, the
money accounts and the export markets and other crimes beside the supply and people specs,
and then measures the cartels' revenue; a prior of one value (a setting held) is left out.
A Morris run over the whole default set at a tiny horizon runs every sample and gives the
money parameters a nonzero effect on revenue and none on deaths.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narcosim.analysis.sensitivity_params import (
    DEFAULT_MODULES,
    MONEY_MODULES,
    model_specs,
    prior_params,
    select_params,
)
from narcosim.cli import main


def test_the_default_set_is_every_varying_prior_of_the_default_modules() -> None:
    chosen = select_params()
    assert [p.key for p in chosen] == [p.key for p in prior_params()]
    keys = {p.key for p in chosen}
    assert set(MONEY_MODULES) <= set(DEFAULT_MODULES)
    for module in MONEY_MODULES:
        varied = {f"{module}.{s.name}" for s in model_specs()[module]
                  if s.prior is not None and s.prior[0] != s.prior[1]}
        assert varied and varied <= keys, module
    assert {"portfolio.redirect_to_us", "portfolio.migrant_smuggling_usd",
            "money.abroad_fee", "precursors.substitution"} <= keys
    assert "precursors.fentanyl_routes" not in keys  # prior (1, 1): a setting held
    assert "people.od_meth" in keys and "production.precursor_supply" in keys


def test_a_default_morris_run_measures_revenue(atlas_store: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture) -> None:
    """Morris r=2 over the whole default set, four weeks at 1:5000, no lever."""
    out = tmp_path / "sens"
    k = len(prior_params())
    with pytest.raises(SystemExit) as info:
        main(["sensitivity", "--method", "morris", "--n", "2", "--intervention", "none",
              "--drug", "all_drugs", "--years", "2023", "--start", "2023-06-01",
              "--end", "2023-06-28", "--scale", "5000", "--workers", "1",
              "--store", str(atlas_store), "--out", str(out)])
    assert info.value.code in (0, None)
    assert f"ran {2 * (k + 1)}, 0 already done" in capsys.readouterr().out
    indices = pd.read_parquet(out / "indices.parquet").set_index(["output", "param"])
    assert {"deaths_all_drugs_2023", "revenue_2023"} <= set(
        indices.index.get_level_values("output"))
    revenue = indices.loc["revenue_2023"]
    assert revenue.loc["money.cocaine_price", "mu_star"] > 0
    assert revenue.loc["portfolio.migrant_smuggling_usd", "mu_star"] > 0
    deaths = indices.loc["deaths_all_drugs_2023"]
    money_only = [p for p in deaths.index if p.startswith(("money.", "portfolio."))]
    assert money_only and np.all(deaths.loc[money_only, "mu_star"] == 0)
