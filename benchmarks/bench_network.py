"""Benchmark betweenness on an imported network of 100,000 nodes and 600,000 edges.

Run: ``.venv/bin/python benchmarks/bench_network.py [--nodes 100000 --degree 6 --pivots 250]``

Steps, each timed:

1. generate a preferential-attachment graph (igraph Barabási–Albert, ``degree`` edges per new
   node, seeded from the named stream ``bench.network``) and write it as an edge-list CSV;
2. import it as a user would (:func:`narcosim.network.graphio.read_graph`, NetworkX) and convert
   it to igraph;
3. betweenness estimated from ``pivots`` sources (Brandes & Pich 2007, the sum of the sources'
   dependencies scaled by ``n / pivots``; :func:`narcosim.network.metrics.betweenness`). Exact
   betweenness is ``n`` breadth-first searches, 400 times as many as 250 pivots;
4. the sampling error: on a smaller graph of the same kind (``--check-nodes``), the same number
   of pivots against exact betweenness: correlation, error on the top-100 nodes, and how many
   of the top 10 are found.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import igraph as ig
import numpy as np
import pandas as pd

from narcosim.core.random import INIT_STEP, Stream
from narcosim.network.graphio import read_graph
from narcosim.network.metrics import IGraph, betweenness


def generate(n: int, degree: int, seed: int) -> ig.Graph:
    """A Barabási–Albert graph; igraph's RNG seeded from the named stream ``bench.network``."""
    import random

    state = int(Stream("bench.network", seed).generator(INIT_STEP).integers(2**62))
    ig.set_random_number_generator(random.Random(state))
    try:
        return ig.Graph.Barabasi(n, degree)
    finally:
        ig.set_random_number_generator(random)


def sampling_error(n: int, degree: int, pivots: int, seed: int) -> dict[str, float]:
    """Estimated against exact betweenness on an ``n``-node graph from ``pivots`` sources.

    The estimator's variance falls with the number of pivots (it is a mean over them), so the
    same number, not the same share, is the fair check of the large graph's estimate.
    """
    h = generate(n, degree, seed + 1)
    ih = IGraph(h, list(range(n)))
    t0 = time.perf_counter()
    exact = betweenness(ih).to_numpy()
    t_exact = time.perf_counter() - t0
    est = betweenness(ih, pivots=pivots, seed=seed).to_numpy()
    top = np.argsort(-exact)[:100]
    rel = np.abs(est[top] - exact[top]) / exact[top]
    return {"nodes": n, "edges": h.ecount(), "pivots": pivots, "exact_s": t_exact,
            "correlation": float(np.corrcoef(est, exact)[0, 1]),
            "top100_median_rel_error": float(np.median(rel)),
            "top100_max_rel_error": float(rel.max()),
            "top10_recovered": len(set(np.argsort(-est)[:10]) & set(np.argsort(-exact)[:10]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--degree", type=int, default=6, help="edges added per new node")
    parser.add_argument("--pivots", type=int, default=250)
    parser.add_argument("--check-nodes", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    t0 = time.perf_counter()
    h = generate(args.nodes, args.degree, args.seed)
    edges = pd.DataFrame(h.get_edgelist(), columns=["source", "target"])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        edges.to_csv(path, index=False)
        t_gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        g = read_graph(path)
        ih = IGraph.of(g)
        t_import = time.perf_counter() - t0
    n, m = ih.graph.vcount(), ih.graph.ecount()
    print(f"graph: {n:,} nodes, {m:,} edges (Barabási–Albert, {args.degree} per node); "
          f"generated and written in {t_gen:.1f} s, imported from CSV in {t_import:.1f} s")
    t0 = time.perf_counter()
    est = betweenness(ih, pivots=args.pivots, seed=args.seed)
    t_bet = time.perf_counter() - t0
    print(f"betweenness, {args.pivots} pivots of {n:,} (sampled, Brandes & Pich 2007): "
          f"{t_bet:.1f} s; top node {est.idxmax()} at {est.max():.4f}")
    err = sampling_error(args.check_nodes, args.degree, args.pivots, args.seed)
    print(f"sampling error with {err['pivots']} pivots on {err['nodes']:,} nodes, "
          f"{err['edges']:,} edges against exact ({err['exact_s']:.1f} s): correlation "
          f"{err['correlation']:.4f}, top-100 nodes' relative error median "
          f"{err['top100_median_rel_error']:.1%}, max {err['top100_max_rel_error']:.1%}; "
          f"{err['top10_recovered']} of the top 10 found")


if __name__ == "__main__":
    main()
