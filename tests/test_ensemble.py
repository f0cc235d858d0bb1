"""Ensembles on the real default scenario: seeds, backends, bands.

Members run the real default sim on a short horizon that crosses a year end (December 2015
to January 2016), so that annual sums have two years. Per-member results must be
bit-identical between the local pool and Dask (a LocalCluster of 1 and of 2 workers, and
a scheduler given by address), and equal to the same seed run in this process; different
members must differ. The bands are checked against numpy's quantiles of the member files.
"""

import json
import shutil
import socket
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from narcosim.atlas.store import Atlas
from narcosim.errors import ParameterError
from narcosim.model.builder import build_default_sim
from narcosim.run.bands import ANNUAL_BANDS, BANDS, compute_bands, quantile_column
from narcosim.run.ensemble import ENSEMBLE, EnsembleSpec, member_seeds, run_ensemble

START, END = "2015-12-01", "2016-01-31"
N_RUNS = 3
SEED = 20261128
KEYS = ["date", "module", "metric"]


def spec_for(store: Path) -> EnsembleSpec:
    return EnsembleSpec(store=str(store), start=START, end=END)


@pytest.fixture(scope="module")
def local(atlas_store, tmp_path_factory):
    """The ensemble on the local process pool (2 workers)."""
    return run_ensemble(spec_for(atlas_store), N_RUNS, SEED, backend="local", workers=2,
                        out_dir=tmp_path_factory.mktemp("local") / "ens")


def test_member_seeds_come_from_seedsequence_spawn():
    seeds = member_seeds(SEED, 5)
    children = np.random.SeedSequence(SEED).spawn(5)
    assert seeds == [int(c.generate_state(1, np.uint64)[0]) >> 1 for c in children]
    assert len(set(seeds)) == 5 and all(0 <= s < 2**63 for s in seeds)
    assert member_seeds(SEED, 3) == seeds[:3]  # adding members never changes the first ones
    assert seeds != [SEED + i for i in range(5)]
    assert member_seeds(SEED + 1, 5)[0] != seeds[0]


def read_members(result):
    return [pd.read_parquet(p) for p in result.member_files()]


def test_member_equals_the_same_seed_run_in_process(local, atlas_store):
    """What a worker wrote is exactly what the sim gives here; members differ (control)."""
    frames = read_members(local)
    direct = build_default_sim(Atlas.open(atlas_store), seed=local.seeds[1], start=START,
                               end=END).run().results.to_frame()
    # parquet keeps dates in ms at the finest second; the instants are the same
    direct["date"] = direct["date"].astype(frames[1]["date"].dtype)
    pd.testing.assert_frame_equal(frames[1], direct, check_exact=True)
    for i in range(N_RUNS):
        for j in range(i + 1, N_RUNS):
            assert not frames[i]["value"].equals(frames[j]["value"]), (i, j)
            pd.testing.assert_frame_equal(frames[i].drop(columns="value"),
                                          frames[j].drop(columns="value"))
    # the member records agree with the files and the manifest
    manifest = json.loads((local.out_dir / ENSEMBLE).read_text())
    assert manifest["status"] == "complete" and manifest["member_seeds"] == list(local.seeds)
    assert manifest["seed"] == SEED and manifest["backend"] == "local"
    for i, member in enumerate(local.members):
        assert member["seed"] == local.seeds[i] and member["rows"] == len(frames[i])


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_dask_local_cluster_is_bit_identical_to_local_pool(local, atlas_store, tmp_path,
                                                           workers):
    dask = run_ensemble(spec_for(atlas_store), N_RUNS, SEED, backend="dask", workers=workers,
                        out_dir=tmp_path / "ens")
    assert dask.seeds == local.seeds
    for ours, theirs in zip(read_members(local), read_members(dask), strict=True):
        pd.testing.assert_frame_equal(ours, theirs, check_exact=True)
    for name in (BANDS, ANNUAL_BANDS):
        pd.testing.assert_frame_equal(pd.read_parquet(local.out_dir / name),
                                      pd.read_parquet(dask.out_dir / name), check_exact=True)


@pytest.mark.slow
def test_dask_scheduler_by_address(local, atlas_store, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        remote = run_ensemble(spec_for(atlas_store), 1, SEED, backend="dask",
                              scheduler=cluster.scheduler_address, out_dir=tmp_path / "ens")
    manifest = json.loads((tmp_path / "ens" / ENSEMBLE).read_text())
    assert manifest["scheduler"] == cluster.scheduler_address
    pd.testing.assert_frame_equal(read_members(remote)[0], read_members(local)[0],
                                  check_exact=True)


def test_bands_equal_numpy_quantiles_of_member_files(local):
    frames = read_members(local)
    bands = pd.read_parquet(local.out_dir / BANDS)
    dims = [c for c in frames[0].columns if c not in (*KEYS, "value")]
    assert list(bands.columns) == [*KEYS, *dims, "n", "mean", "q0.05", "q0.5", "q0.95"]
    assert len(bands) == len(frames[0])
    stacked = np.vstack([f["value"].to_numpy() for f in frames])  # members x rows
    # align bands to member rows by key (not by position), NaN keys matching NaN keys
    key_cols = [*KEYS, *dims]
    index = pd.MultiIndex.from_frame(frames[0][key_cols].astype(object).fillna("<NA>"))
    bands_index = pd.MultiIndex.from_frame(bands[key_cols].astype(object).fillna("<NA>"))
    assert index.is_unique and bands_index.is_unique
    order = bands_index.get_indexer(index)
    assert (order >= 0).all()
    aligned = bands.iloc[order].reset_index(drop=True)
    np.testing.assert_array_equal(aligned["n"], np.full(len(aligned), len(frames)))
    np.testing.assert_allclose(aligned["mean"], stacked.mean(axis=0), rtol=1e-12, atol=0)
    rng = np.random.default_rng(5)
    varying = np.flatnonzero(stacked.std(axis=0) > 0)
    assert len(varying) > 100  # the members differ in many cells
    for row in rng.choice(varying, 40, replace=False):
        for q in (0.05, 0.5, 0.95):
            assert aligned.loc[row, quantile_column(q)] == pytest.approx(
                np.quantile(stacked[:, row], q), rel=1e-12, abs=0)
    assert (aligned["q0.05"] <= aligned["q0.5"]).all()
    assert (aligned["q0.5"] <= aligned["q0.95"]).all()
    assert (aligned["q0.05"] < aligned["q0.95"]).sum() > 100  # bands with width


def test_annual_bands_sum_flow_metrics_by_year(local, atlas_store):
    frames = read_members(local)
    annual = pd.read_parquet(local.out_dir / ANNUAL_BANDS)
    sim = build_default_sim(Atlas.open(atlas_store), seed=1, start=START, end=END)
    sim.init()
    flows = {(m, name) for m, res in sim.results.items() for name, s in res.specs.items()
             if s.units.endswith("per step")}
    stocks = {(m, name) for m, res in sim.results.items() for name in res.specs} - flows
    got = set(annual[["module", "metric"]].itertuples(index=False, name=None))
    assert got == flows and flows and stocks and not got & stocks
    assert sorted(annual["year"].unique()) == [2015, 2016]
    weeks = pd.DatetimeIndex(sim.timeline.dates).year.value_counts()
    for year, steps in annual.groupby("year")["steps"].unique().items():
        assert list(steps) == [weeks[year]]
    # days covered: 1-31 December 2015; 1 January to 1 February 2016 (the last week's end)
    assert annual.groupby("year")["days"].unique().map(list).to_dict() == {2015: [31],
                                                                           2016: [32]}
    # one flow cell, recomputed from the member files, each week weighted by its 2016 days
    module, metric = sorted(flows)[0]
    first = frames[0][(frames[0]["module"] == module) & (frames[0]["metric"] == metric)]
    dims = [c for c in first.columns if c not in (*KEYS, "value") and first[c].notna().all()]
    cell = first.iloc[-1][dims]
    sums = []
    for f in frames:
        sel = (f["module"] == module) & (f["metric"] == metric)
        for d in dims:
            sel &= f[d] == cell[d]
        days_2016 = [sum((day + pd.Timedelta(days=k)).year == 2016 for k in range(7))
                     for day in f.loc[sel, "date"]]
        assert sorted(set(days_2016)) == [0, 4, 7]  # the week from 29 December has 4
        sums.append(float((f.loc[sel, "value"] * np.array(days_2016) / 7).sum()))
    row = annual[(annual["module"] == module) & (annual["metric"] == metric)
                 & (annual["year"] == 2016)]
    for d in dims:
        row = row[row[d] == cell[d]]
    assert len(row) == 1
    for q in (0.05, 0.5, 0.95):
        assert row[quantile_column(q)].iloc[0] == pytest.approx(np.quantile(sums, q), rel=1e-12)
    assert row["mean"].iloc[0] == pytest.approx(np.mean(sums), rel=1e-12)


def test_bands_in_slices_equal_bands_at_once(local, tmp_path):
    """A small memory budget (101 rows at a time) gives the same bands, bit for bit."""
    flows = [tuple(f) for f in local.members[0]["flows"]]
    sliced = compute_bands(local.member_files(), tmp_path, flows=flows, memory_budget=8 * 3 * 101)
    for name, path in ((BANDS, sliced.bands), (ANNUAL_BANDS, sliced.annual)):
        pd.testing.assert_frame_equal(pd.read_parquet(path),
                                      pd.read_parquet(local.out_dir / name), check_exact=True)


def test_extending_an_ensemble_runs_only_new_members_and_refuses_another_spec(
        local, atlas_store, tmp_path):
    out = tmp_path / "ens"
    shutil.copytree(local.out_dir, out)
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
              for p in sorted((out / "runs").iterdir())}
    again = run_ensemble(spec_for(atlas_store), N_RUNS + 1, SEED, backend="local", workers=1,
                         out_dir=out)
    assert again.skipped == tuple(range(N_RUNS)) and again.ran == (N_RUNS,)
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
             for p in sorted((out / "runs").iterdir())}
    assert {k: after[k] for k in before} == before
    assert set(after) - set(before) == {"run-0003.parquet", "run-0003.json"}
    assert again.seeds[:N_RUNS] == local.seeds
    assert (pd.read_parquet(out / BANDS)["n"] == N_RUNS + 1).all()

    other = EnsembleSpec(store=str(atlas_store), start=START, end="2016-02-29")
    with pytest.raises(ParameterError, match="different end"):
        run_ensemble(other, N_RUNS, SEED, out_dir=out)
    with pytest.raises(ParameterError, match="different root seed"):
        run_ensemble(spec_for(atlas_store), N_RUNS, SEED + 1, out_dir=out)
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in sorted((out / "runs").iterdir())} == after


def test_unreachable_scheduler_is_one_parameter_error(atlas_store, tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ParameterError, match=f"cannot connect to 127.0.0.1:{port}"):
        run_ensemble(spec_for(atlas_store), 2, SEED, backend="dask",
                     scheduler=f"tcp://127.0.0.1:{port}", out_dir=tmp_path / "ens")
    assert not (tmp_path / "ens").exists()


def test_bands_leave_out_nan_members(local, tmp_path):
    """A NaN in one member's cell is left out of that cell's statistics (n counts the rest)."""
    from narcosim.run.bands import write_member_parquet

    frames = read_members(local)
    holed = frames[0].copy()
    rows = np.arange(0, len(holed), 997)
    holed.loc[rows, "value"] = np.nan
    paths = [tmp_path / "m0.parquet", *local.member_files()[1:]]
    write_member_parquet(holed, paths[0])
    got = pd.read_parquet(compute_bands(paths, tmp_path).bands)
    whole = pd.read_parquet(local.out_dir / BANDS)
    pd.testing.assert_frame_equal(got[KEYS], whole[KEYS])  # same rows, same order
    values = np.vstack([holed["value"].to_numpy(), *(f["value"].to_numpy() for f in frames[1:])])
    hit = np.isin(np.arange(len(holed)), rows)
    assert (got.loc[hit, "n"] == N_RUNS - 1).all() and (got.loc[~hit, "n"] == N_RUNS).all()
    for q in (0.05, 0.5, 0.95):
        np.testing.assert_allclose(got[quantile_column(q)], np.nanquantile(values, q, axis=0),
                                   rtol=1e-12, atol=0)
    np.testing.assert_allclose(got["mean"], np.nanmean(values, axis=0), rtol=1e-12, atol=0)
