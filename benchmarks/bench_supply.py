"""Benchmark the default supply scenario: weeks simulated per second and peak memory by scale.

Run: ``.venv/bin/python benchmarks/bench_supply.py [--scales 100 10 1] [--store PATH]``

Each scale runs in its own process, twice: once plainly, for the time and the peak resident
memory (``resource.getrusage(...).ru_maxrss``, which only grows, hence a fresh process), and
once under ``tracemalloc`` for the peak of memory allocated through Python (numpy arrays
included), since tracing slows allocation. A scale whose plain run exceeds ``--limit``
seconds is stopped and reported as such. Without ``--store`` the real data folder
(``$NARCOSIM_DATA`` or ``../shared/data`` beside the repo) is imported into a temporary store.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]


def measure(store: Path, scale: int, seed: int, trace: bool) -> dict:
    """Build and run the default scenario once in this process; return the measurements."""
    from narcosim.atlas.store import Atlas
    from narcosim.core.agents import Agents
    from narcosim.model.builder import build_default_sim

    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    sim = build_default_sim(Atlas.open(store), seed=seed, scale=scale)
    t1 = time.perf_counter()
    sim.run()
    t2 = time.perf_counter()
    frame = sim.results.to_frame()
    t3 = time.perf_counter()
    out = {"scale": scale, "weeks": sim.timeline.n_steps, "build_s": t1 - t0,
           "run_s": t2 - t1, "frame_s": t3 - t2, "rows": len(frame)}
    out["agent_slots"] = sum(a.n_slots for m in sim.modules.values() for a in vars(m).values()
                             if isinstance(a, Agents))
    if trace:
        out["tracemalloc_peak_mib"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    # ru_maxrss is in KiB on Linux, bytes on macOS
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["maxrss_mib"] = rss / 2**20 if sys.platform == "darwin" else rss / 2**10
    return out


def child(store: Path, scale: int, seed: int, trace: bool, limit: float) -> dict | None:
    """Run :func:`measure` in a fresh process; None if it ran past ``limit`` seconds."""
    cmd = [sys.executable, __file__, "--child", str(scale), "--store", str(store),
           "--seed", str(seed)] + (["--trace"] if trace else [])
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=limit, check=True)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as error:
        raise SystemExit(f"scale 1:{scale} failed:\n{error.stderr}") from None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Parse arguments, run every scale, print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[100, 10, 1])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--limit", type=float, default=150.0,
                        help="seconds a scale's plain run may take before it is stopped")
    parser.add_argument("--trace-limit", type=float, default=300.0,
                        help="seconds a scale's tracemalloc run may take (tracing is slower)")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.store, args.child, args.seed, args.trace)))
        return

    console = Console(highlight=False, width=140)
    with tempfile.TemporaryDirectory(prefix="narcosim-bench-") as tmp:
        store = args.store
        if store is None:
            from narcosim.atlas.store import import_data

            data = Path(os.environ.get("NARCOSIM_DATA", REPO.parent / "shared" / "data"))
            store = Path(tmp) / "atlas.duckdb"
            import_data(data, store)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        table = Table(title=f"Default scenario, seed {args.seed} ({os.cpu_count()} CPUs, load "
                            f"average {load} at start, Python {sys.version.split()[0]})")
        for col in ("scale", "weeks", "agent slots", "build s", "run s", "weeks/s",
                    "to_frame s", "tracemalloc peak MiB", "maxrss MiB"):
            table.add_column(col, justify="right")
        for scale in args.scales:
            plain = child(store, scale, args.seed, False, args.limit)
            if plain is None:
                table.add_row(f"1:{scale}", "", "", "", f"> {args.limit:.0f}", "", "", "",
                              "not run")
                continue
            traced = child(store, scale, args.seed, True, args.trace_limit)
            peak = (f"{traced['tracemalloc_peak_mib']:,.0f}" if traced
                    else f"> {args.trace_limit:.0f} s")
            table.add_row(f"1:{scale}", str(plain["weeks"]), f"{plain['agent_slots']:,}",
                          f"{plain['build_s']:.1f}", f"{plain['run_s']:.1f}",
                          f"{plain['weeks'] / plain['run_s']:,.0f}", f"{plain['frame_s']:.1f}",
                          peak, f"{plain['maxrss_mib']:,.0f}")
            console.print(f"1:{scale} done", style="dim")
    console.print(table)


if __name__ == "__main__":
    main()
