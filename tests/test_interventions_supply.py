"""Enforcement on the supply chain and the cartels' adaptation (issue 5, items 1 and 3).

Each test runs a short supply-only window (no people: deaths are not the point) twice with the
same seed, with and without the intervention; common random numbers make every difference the
intervention's doing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from narcosim.core.sim import Sim
from narcosim.interventions import build_interventions
from narcosim.interventions.config import (
    BorderSurgeConfig,
    HubTakedownConfig,
    InterventionConfig,
    LeaderRemovalConfig,
    MoneyLaunderingConfig,
    PrecursorControlConfig,
    Target,
)
from supply_fixtures import Recorder, inputs_for, supply_sim, with_modules

START, END = "2019-01-01", "2021-12-31"
SINALOA = ("sinaloa.chapitos", "sinaloa.mayo", "sinaloa.guano", "sinaloa.caro_quintero")


def _run(atlas_store: Path, configs: Sequence[InterventionConfig], start: str = START,
         end: str = END) -> tuple[Sim, Recorder]:
    """Run the supply model with interventions, recording production and sales per operator."""
    inputs = inputs_for(atlas_store)
    ivs = build_interventions(list(configs), inputs, {})
    rec = Recorder({
        "produced": lambda sim: sim.modules["production"].produced.sum(axis=1),
        "sold": lambda sim: sim.modules["distribution"].sold.sum(axis=1),  # (ops, states)
    })
    sim = with_modules(supply_sim(inputs, seed=1, start=start, end=end, interventions=ivs),
                       after=[rec])
    return sim.run(), rec


def _window(sim: Sim, first: str, last: str) -> np.ndarray:
    dates = sim.timeline.dates
    return (dates >= np.datetime64(first)) & (dates <= np.datetime64(last))


def _produced(rec: Recorder, mask: np.ndarray) -> np.ndarray:
    """kg produced per operator over the steps in ``mask``."""
    return np.array(rec.log["produced"])[mask].sum(axis=0)


# --------------------------------------------------------------------- border surge


def test_tucson_surge_displaces_flow_to_other_field_offices(atlas_store: Path) -> None:
    surge = BorderSurgeConfig(start="2019-01-01", end="2021-12-31", intensity=2,
                              target=Target(field_offices=["TUCSON FIELD OFFICE"]))
    base, _ = _run(atlas_store, [])
    arm, _ = _run(atlas_store, [surge])
    world = inputs_for(atlas_store).world
    port_fo = inputs_for(atlas_store).port_fo
    tucson = np.array([world.field_offices[i] == "TUCSON FIELD OFFICE" for i in port_fo])
    cross_b = base.results["trafficking"]["crossing_kg"].sum(axis=(0, 1))
    cross_a = arm.results["trafficking"]["crossing_kg"].sum(axis=(0, 1))
    change = cross_a - cross_b
    office = [world.field_offices[port_fo[i]].replace(" FIELD OFFICE", "").title()
              for i in range(len(world.ports))]
    gained = [f"{world.ports[i].name} ({office[i]}) {change[i]:+,.0f} kg"
              for i in np.argsort(-change) if change[i] > 0]
    lost = [f"{world.ports[i].name} {change[i]:+,.0f} kg" for i in np.argsort(change)
            if change[i] < 0]
    report = f"displaced to: {'; '.join(gained)} | lost: {'; '.join(lost)}"
    # The surged ports lose flow, each of the busy ones and all together.
    assert cross_a[tucson].sum() < 0.85 * cross_b[tucson].sum(), report
    busy = tucson & (cross_b > 1000)
    assert busy.sum() >= 3 and np.all(cross_a[busy] < cross_b[busy]), report
    # ...and other field offices' ports gain it.
    assert cross_a[~tucson].sum() > cross_b[~tucson].sum(), report
    displaced = -change[tucson].sum()
    big = change > 0.01 * displaced  # ports that took more than 1% of the displaced flow
    assert big.sum() >= 3 and not np.any(big & tucson), report
    assert change[~tucson & (change > 0)].sum() > 0.5 * displaced, report
    # Nothing lost in transit: what left the surged ports crossed elsewhere or waits in Mexico.
    total_b, total_a = cross_b.sum(), cross_a.sum()
    assert abs(total_a - total_b) < 0.05 * total_b, report
    # Total seizures change (more inspection where the surge is), and the surged field office
    # seizes more.
    seized_b = base.results["trafficking"]["seized_kg"].sum(axis=(0, 1, 3))
    seized_a = arm.results["trafficking"]["seized_kg"].sum(axis=(0, 1, 3))
    t = world.field_offices.index("TUCSON FIELD OFFICE")
    assert seized_a.sum() != seized_b.sum(), report
    assert seized_a[t] > seized_b[t], report
    # Common random numbers: operators that cannot cross at Tucson send exactly the same loads.
    traf = base.modules["trafficking"]
    blind = ~traf.allowed[:, tucson].any(axis=1)
    op_b = base.results["trafficking"]["operator_port_kg"]
    op_a = arm.results["trafficking"]["operator_port_kg"]
    if blind.any():
        assert np.array_equal(op_b[:, blind], op_a[:, blind])


# --------------------------------------------------------------------- leader removal


def _leader(release: float) -> LeaderRemovalConfig:
    return LeaderRemovalConfig(start="2020-01-01", end="2020-12-31",
                               release_probability=release,
                               target=Target(faction="sinaloa.chapitos"))


def test_leader_released_by_mexico_restores_most_of_the_flow(atlas_store: Path) -> None:
    keys = inputs_for(atlas_store).structure.operator_keys
    chapitos = keys.index("sinaloa.chapitos")
    mates = [keys.index(k) for k in SINALOA[1:]]
    base, rec_b = _run(atlas_store, [])
    released, rec_r = _run(atlas_store, [_leader(1.0)])
    kept, rec_k = _run(atlas_store, [_leader(0.0)])
    iv_r = next(m for m in released.modules.values() if m.name.endswith("leader_removal"))
    iv_k = next(m for m in kept.modules.values() if m.name.endswith("leader_removal"))
    assert iv_r.released and not iv_k.released
    # Released after nine days (two weekly steps out); a successor after 26 weeks.
    assert iv_r.return_step - iv_r.capture_step == 2
    assert iv_k.return_step - iv_k.capture_step == 26
    out_r = released.results[iv_r.name]["leadership_out"]
    out_k = kept.results[iv_k.name]["leadership_out"]
    assert out_r.sum() == 2 and out_k.sum() == 26
    year = _window(base, "2020-01-01", "2020-12-31")
    gap = np.zeros_like(year)
    gap[iv_k.capture_step:iv_k.return_step] = True
    total = {name: _produced(rec, year).sum() for name, rec in
             (("base", rec_b), ("released", rec_r), ("kept", rec_k))}
    total_gap = {name: _produced(rec, gap).sum() for name, rec in
                 (("base", rec_b), ("released", rec_r), ("kept", rec_k))}
    note = f"year after capture: {total}; during the 26-week gap: {total_gap}"
    # With release, the year after the capture produces within 1% of the baseline...
    assert abs(total["released"] / total["base"] - 1) < 0.01, note
    # ...without, the gap costs several percent, and the year is down too.
    assert total_gap["kept"] < 0.97 * total_gap["base"], note
    assert total["kept"] < total["released"], note
    # The removed faction produces nothing while out.
    prod_k = np.array(rec_k.log["produced"])
    assert np.all(prod_k[gap, chapitos] == 0) and np.all(prod_k[~gap, chapitos] > 0)
    # Umbrella cover: each other Sinaloa faction produces more than in the baseline while the
    # faction is out; CJNG and the independents are untouched.
    during_b, during_k = _produced(rec_b, gap), _produced(rec_k, gap)
    assert np.all(during_k[mates] > 1.05 * during_b[mates]), (during_b, during_k)
    others = [keys.index("cjng.command"), keys.index("independents")]
    np.testing.assert_allclose(during_k[others], during_b[others], rtol=1e-12)
    # Once the successor is in place production is back to the baseline's.
    after = np.zeros_like(year)
    after[iv_k.return_step:] = True
    np.testing.assert_allclose(_produced(rec_k, after), _produced(rec_b, after), rtol=1e-9)


def test_cjng_centre_removed_slows_franchises_but_existing_ones_keep_selling(
        atlas_store: Path) -> None:
    removal = LeaderRemovalConfig(start="2019-06-01", end="2021-12-31", release_probability=0,
                                  succession_weeks=300, target=Target(cartel="cjng"))
    base, rec_b = _run(atlas_store, [])
    arm, rec_a = _run(atlas_store, [removal])
    cjng = base.modules["distribution"].cartels.index("cjng")
    keys = inputs_for(atlas_store).structure.operator_keys
    op = keys.index("cjng.command")
    iv = next(m for m in arm.modules.values() if m.name.endswith("leader_removal"))
    capture = iv.capture_step
    pres_b = base.results["distribution"]["presence"][:, cjng]
    pres_a = arm.results["distribution"]["presence"][:, cjng]
    assert np.array_equal(pres_a[:capture], pres_b[:capture])
    opened_b = pres_b[-1].sum() - pres_b[capture].sum()
    opened_a = pres_a[-1].sum() - pres_a[capture].sum()
    note = f"franchises opened after capture: baseline {opened_b}, centre removed {opened_a}"
    assert opened_a < 0.6 * opened_b, note
    # Every franchise open at the capture keeps selling every week after it.
    existing = pres_a[capture] > 0
    sold_a = np.array(rec_a.log["sold"])[:, op, :]
    sold_b = np.array(rec_b.log["sold"])[:, op, :]
    assert existing.sum() >= 5
    assert np.all(sold_a[capture + 4:, existing] > 0), note
    # CJNG keeps producing (the franchise has no single faction to shut down); only its share
    # of the squeezed independents' market moves with its smaller coverage.
    prod_a = np.array(rec_a.log["produced"])[:, op]
    prod_b = np.array(rec_b.log["produced"])[:, op]
    assert np.all(prod_a > 0.97 * prod_b), note
    # Its total sales hold up within a few percent: the product goes to the markets it has.
    total_a, total_b = sold_a[capture:].sum(), sold_b[capture:].sum()
    assert abs(total_a / total_b - 1) < 0.05, (total_a, total_b, note)


# ------------------------------------------------------ precursors and money laundering


def test_precursor_control_and_aml_hit_all_sinaloa_factions_but_not_cjng(
        atlas_store: Path) -> None:
    keys = inputs_for(atlas_store).structure.operator_keys
    sinaloa = np.array([k in SINALOA for k in keys])
    cjng = np.array([k == "cjng.command" for k in keys])
    base, rec_b = _run(atlas_store, [])
    year = _window(base, "2020-01-01", "2020-12-31")
    prod_b = _produced(rec_b, year)
    for config_cls in (PrecursorControlConfig, MoneyLaunderingConfig):
        for target, hit in ((Target(faction="sinaloa.guano"), sinaloa),
                            (Target(cartel="cjng"), cjng)):
            config = config_cls(start="2020-01-01", end="2020-12-31", target=target)
            arm, rec_a = _run(atlas_store, [config])
            prod_a = _produced(rec_a, year)
            ratio = prod_a / prod_b
            note = f"{config.kind} on {target.faction or target.cartel}: " + ", ".join(
                f"{k} {r:.3f}" for k, r in zip(keys, ratio, strict=True))
            # Production falls for every operator hit (all four factions share chemical
            # suppliers and laundering), and is untouched for everyone else.
            assert np.all(ratio[hit] < 0.95), note
            np.testing.assert_allclose(prod_a[~hit], prod_b[~hit], rtol=1e-12, err_msg=note)
            assert (arm.results["production"]["produced_kg"][year].sum()
                    < base.results["production"]["produced_kg"][year].sum()), note
            # Outside the window, production is the baseline's.
            before = _window(base, START, "2019-12-31")
            np.testing.assert_array_equal(
                np.array(rec_a.log["produced"])[before], np.array(rec_b.log["produced"])[before])


# --------------------------------------------------------------------- hub take-down


def test_hub_takedown_seizes_stock_and_diverts_loads(atlas_store: Path) -> None:
    takedown = HubTakedownConfig(start="2020-01-01", end="2020-12-31",
                                 target=Target(hubs=["Phoenix"]))
    base, _ = _run(atlas_store, [])
    arm, _ = _run(atlas_store, [takedown])
    world = inputs_for(atlas_store).world
    hubs = [h.name for h in world.hubs]
    phoenix = hubs.index("Phoenix")
    az = world.state_index["AZ"]
    year = _window(base, "2020-01-01", "2020-12-31")
    seized_a = arm.results["distribution"]["domestic_seized_kg"][year].sum(axis=(0, 1))
    seized_b = base.results["distribution"]["domestic_seized_kg"][year].sum(axis=(0, 1))
    assert seized_b[az] == 0 and seized_a[az] > 0, seized_a[az]
    assert np.all(seized_a[np.arange(len(seized_a)) != az] == 0)
    thr_a = arm.results["distribution"]["hub_throughput_kg"][year].sum(axis=0)
    thr_b = base.results["distribution"]["hub_throughput_kg"][year].sum(axis=0)
    change = {h: f"{thr_a[i] / thr_b[i] - 1:+.1%}" for i, h in enumerate(hubs)}
    assert thr_a[phoenix] < 0.9 * thr_b[phoenix], change
    # Diverted loads go to the next-nearest hub of the ports that fed Phoenix.
    gainers = [h for i, h in enumerate(hubs) if thr_a[i] > thr_b[i] * 1.01]
    assert gainers and "Phoenix" not in gainers, change
    # Mass balance holds in both arms, every step.
    for sim in (base, arm):
        assert np.nanmax(sim.results["ledger"]["imbalance"]) <= 1e-9
