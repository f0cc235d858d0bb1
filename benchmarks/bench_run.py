"""Benchmark whole-model runs: CPU seconds at 1:1000 beside 1:100, and a Sobol projection.

Run: ``.venv/bin/python benchmarks/bench_run.py [--scales 1000 100] [--repeat 5]
[--store PATH] [--params 20] [--base 256] [--cores 2]``

For each scale, in a fresh process (so the first-import cost is counted once, not hidden by
an earlier scale), the default scenario (status quo, 2015-2026, seed 1) is timed in CPU
seconds (``time.process_time``, so other jobs on the machine inflate the figures less than
wall time would):

* ``first``: importing narcosim, then the first build and run, which also load the compiled
  (numba) kernels from their cache;
* ``build``: ``build_default_sim``, inputs read from the store, then ``load inputs`` (that
  read alone) and ``build from inputs`` (``build_sim`` over inputs read once, as a worker
  running many parameter sets can do);
* ``run``: ``sim.run()``;

each the median of ``--repeat`` builds and runs after the first. The projection is for a
Sobol analysis (Saltelli sampling, first and total order) of ``--params`` parameters with
``--base`` base samples: N (D + 2) runs on ``--cores`` cores at the 1:1000 CPU time of a
build from inputs plus a run, plus each worker's first-import cost. Without ``--store`` the
default store (``~/.local/share/narcosim/atlas.duckdb``) is used.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table


def measure(store: Path, scale: int, repeat: int) -> dict[str, float]:
    """Time imports, the first run and ``repeat`` more builds and runs in this process."""
    t0 = time.process_time()
    from narcosim.atlas.store import Atlas
    from narcosim.model.builder import build_default_sim, build_sim, load_inputs

    t1 = time.process_time()
    build_default_sim(Atlas.open(store), seed=1, scale=scale).run()
    t2 = time.process_time()
    times: dict[str, list[float]] = {"build": [], "load": [], "from_inputs": [], "run": []}
    for _ in range(repeat):
        a = time.process_time()
        sim = build_default_sim(Atlas.open(store), seed=1, scale=scale)
        b = time.process_time()
        sim.run()
        c = time.process_time()
        inputs = load_inputs(Atlas.open(store))
        d = time.process_time()
        build_sim(inputs, seed=1, scale=scale)
        e = time.process_time()
        for key, sec in (("build", b - a), ("run", c - b), ("load", d - c),
                         ("from_inputs", e - d)):
            times[key].append(sec)
    out = {key: statistics.median(values) for key, values in times.items()}
    out.update(scale=scale, imports=t1 - t0, first=t2 - t0)
    return out


def child(store: Path, scale: int, repeat: int) -> dict[str, float]:
    """Run :func:`measure` in a fresh process and return what it measured."""
    cmd = [sys.executable, __file__, "--child", str(scale), "--store", str(store),
           "--repeat", str(repeat)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or ["no output"]
        raise SystemExit(f"bench_run: scale 1:{scale} failed: {lines[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sobol_runs(n_params: int, n_base: int) -> int:
    """Model runs of a Saltelli design for first- and total-order indices: N (D + 2)."""
    return n_base * (n_params + 2)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1000, 100])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--params", type=int, default=20, help="Sobol parameters D")
    parser.add_argument("--base", type=int, default=256, help="Sobol base samples N")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)

    def one_line(message: str) -> None:
        sys.stderr.write(f"bench_run: {message}\n")
        raise SystemExit(2)

    parser.error = one_line  # type: ignore[method-assign]
    return parser


def _check(args: argparse.Namespace) -> Path:
    """The store to read; stops in one line (exit 2) on a bad argument."""
    for name in ("repeat", "params", "base", "cores"):
        if getattr(args, name) < 1:
            _parser().error(f"--{name} must be at least 1, got {getattr(args, name)}")
    bad = [s for s in args.scales if s < 1]
    if bad:
        _parser().error(f"--scales must be positive, got {bad[0]}")
    if args.store is None:
        from narcosim.atlas.store import default_store_path

        args.store = default_store_path()
    if not Path(args.store).is_file():
        _parser().error(f"--store {args.store}: no such store (run `narcosim atlas import`)")
    return Path(args.store)


def main() -> None:
    """Parse arguments, measure every scale in its own process, print the table."""
    args = _parser().parse_args()
    store = _check(args)
    if args.child is not None:
        print(json.dumps(measure(store, args.child, args.repeat)))
        return
    rows = [child(store, scale, args.repeat) for scale in args.scales]
    table = Table(title=f"Whole-model run, default scenario 2015-2026, CPU seconds "
                        f"(median of {args.repeat} after the first)")
    table.add_column("")
    for row in rows:
        table.add_column(f"1:{row['scale']}", justify="right")
    lines = [("first: imports", "imports"), ("first: imports + build + run", "first"),
             ("build (inputs from the store)", "build"), ("  load inputs", "load"),
             ("  build from inputs", "from_inputs"), ("run", "run")]
    for label, key in lines:
        table.add_row(label, *(f"{row[key]:.3f}" for row in rows))
    table.add_row("build + run", *(f"{row['build'] + row['run']:.3f}" for row in rows))
    table.add_row("build from inputs + run",
                  *(f"{row['from_inputs'] + row['run']:.3f}" for row in rows))
    console = Console()
    console.print(table)
    ref = next((row for row in rows if row["scale"] == 1000), rows[0])
    n_runs = sobol_runs(args.params, args.base)
    per_run = ref["from_inputs"] + ref["run"]
    per_run_full = ref["build"] + ref["run"]
    overhead = ref["first"] - per_run_full  # imports and kernel loading, once per worker
    wall = n_runs * per_run / args.cores + overhead
    wall_full = n_runs * per_run_full / args.cores + overhead
    console.print(
        f"1:{ref['scale']} whole run: {per_run_full:.2f} CPU-s (build {ref['build']:.2f} + run "
        f"{ref['run']:.2f}); {per_run:.2f} CPU-s building from inputs read once.\n"
        f"Sobol, {args.params} parameters x {args.base} base samples = {n_runs:,} runs on "
        f"{args.cores} cores: {wall / 3600:.2f} h projected ({wall / 60:.0f} min) with inputs "
        f"read once per worker, {wall_full / 3600:.2f} h reading them for every run.")


if __name__ == "__main__":
    main()
