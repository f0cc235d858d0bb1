"""Benchmark the people module: agent-steps per second by scale, beside a Mesa version.

Run: ``.venv/bin/python benchmarks/bench_people.py [--scales 100 10 1] [--weeks N]
[--mesa-weeks 26] [--full] [--store PATH]``

1. **By scale.** The supply is simulated once (seed 1, 2015–2026) and recorded; each scale
   then runs the people module alone over that recording
   (:func:`narcosim.calibrate.deaths.people_sim`, so the supply's cost is not counted) in a
   fresh process, for the peak resident memory (``ru_maxrss`` only grows). An agent-step is
   one live agent stepped for one week (live agents at the start of each week, summed); slots
   also count the dead and departed, whose slots are never reused and still cost the
   per-slot draws. Rates are given per second of wall time and per second of the process's
   CPU time; the benchmark is a single process on a single core (numba kernels are serial,
   numpy's element-wise work is single-threaded), so the CPU rate is the per-core rate, and
   it is the steadier one on a shared machine.
2. **Mesa.** In this process: narcosim's people at 1:114 (about 100,000 agents) for
   ``--mesa-weeks`` weeks (``--repeats`` fresh runs, the median rate, as one run takes a
   fraction of a second), then ``benchmarks/mesa_people.py`` (one Python object per agent
   calling the scalar rule functions of :mod:`narcosim.model.people_reference`, the same
   tables, without initiation) on the very same agents, and
   their ratio. Both models' first-week expected deaths are printed as a check that they
   apply the same rules.
3. **Full model** (``--full``): the whole default model at 1:1, 2015–2026
   (``build_default_sim(atlas, scale=1)``), in a fresh process: wall and CPU time and peak
   resident memory. It takes several minutes.

Without ``--store`` the real data folder (``$NARCOSIM_DATA`` or ``../shared/data`` beside the
repo) is imported into a temporary store.
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
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parents[1]
#: People per agent for the side-by-side run: about 100,000 agents.
MESA_SCALE = 114


def maxrss_mib() -> float:
    """Peak resident memory of this process so far, MiB (KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 2**10


def people_run(store: Path, sold: np.ndarray, scale: int, weeks: int | None, **pars: float):
    """Build (and initialise) a people-only sim over the recorded market (the saved fit)."""
    from narcosim.atlas.store import Atlas
    from narcosim.calibrate.deaths import people_sim
    from narcosim.core.time import Timeline
    from narcosim.model.builder import DEFAULT_END, DEFAULT_START, load_inputs
    from narcosim.model.fitted_people import FittedPeople

    inputs = load_inputs(Atlas.open(store))
    end = DEFAULT_END
    if weeks is not None:
        end = str(Timeline(DEFAULT_START, DEFAULT_END).dates[weeks - 1])
    sim = people_sim(inputs, sold, seed=1, scale=scale, end=end,
                     pars={**FittedPeople.load().pars, **pars})
    return sim.init()


def timed_people(sim) -> dict:
    """Run an initialised people-only sim; time it and count agent-steps and slot-steps."""
    people = sim.modules["people"]
    alive0 = people.agents.n_alive
    slot_steps = [0]

    def count(_done: int, _total: int) -> None:
        slot_steps[0] += people.agents.n_slots

    wall, cpu = time.perf_counter(), time.process_time()
    sim.run(progress=count)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    by_week = np.asarray(sim.results["people"]["people"]).sum(axis=1) / people.scale
    agent_steps = float(alive0 + by_week[:-1].sum())  # live at the start of each week
    return {"scale": people.scale, "weeks": sim.timeline.n_steps, "agents_start": alive0,
            "agents_end": people.agents.n_alive, "slots_end": people.agents.n_slots,
            "agent_steps": agent_steps, "slot_steps": float(slot_steps[0]),
            "by_status_end": np.asarray(sim.results["people"]["people"])[-1].tolist(),
            "wall_s": wall, "cpu_s": cpu}


def warm_up(store: Path, sold: np.ndarray) -> None:
    """Load (or compile) the numba kernels before anything is timed."""
    people_run(store, sold, 10_000, 2).run()


def child_scale(store: Path, sold_path: Path, scale: int, weeks: int | None) -> dict:
    """One scale, measured in this (fresh) process."""
    sold = np.load(sold_path)
    warm_up(store, sold)
    out = timed_people(people_run(store, sold, scale, weeks))
    out["maxrss_mib"] = maxrss_mib()
    return out


def child_full(store: Path) -> dict:
    """The whole default model at 1:1, 2015–2026, measured in this (fresh) process."""
    from narcosim.atlas.store import Atlas
    from narcosim.model.builder import build_default_sim

    wall, cpu = time.perf_counter(), time.process_time()
    sim = build_default_sim(Atlas.open(store), scale=1)
    built = time.perf_counter() - wall
    sim.run()
    people = sim.modules["people"].agents
    return {"build_s": built, "wall_s": time.perf_counter() - wall,
            "cpu_s": time.process_time() - cpu, "weeks": sim.timeline.n_steps,
            "people_end": people.n_alive, "people_slots": people.n_slots,
            "maxrss_mib": maxrss_mib()}


def in_child(args: list[str]) -> dict:
    """Run this file with ``args`` in a fresh process and return its JSON line."""
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child {args} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def side_by_side(store: Path, sold: np.ndarray, weeks: int, repeats: int) -> dict:
    """narcosim's people and the Mesa version on the same ~100,000 agents, in this process."""
    sys.path.insert(0, str(Path(__file__).parent))
    from mesa_people import from_people

    warm_up(store, sold)
    runs = [timed_people(people_run(store, sold, MESA_SCALE, weeks)) for _ in range(repeats)]
    ours = dict(runs[0])
    ours["wall_s"] = float(np.median([r["wall_s"] for r in runs]))
    ours["cpu_s"] = float(np.median([r["cpu_s"] for r in runs]))
    reference = people_run(store, sold, MESA_SCALE, weeks)
    model = from_people(reference.modules["people"], sold, weeks)
    n0 = len(model.agents)
    mesa_steps = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(weeks):
        mesa_steps += len(model.agents)
        model.step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    by_status = np.bincount([a.status for a in model.agents], minlength=4) * MESA_SCALE
    check = people_run(store, sold, MESA_SCALE, 1, other_deaths=0.0).run()
    first_ours = np.asarray(check.results["people"]["expected_deaths"])[0].sum(axis=1)
    first_mesa = np.array(model.history[0]["expected"]).sum(axis=1)
    return {"ours": ours, "mesa": {"agents_start": n0, "agent_steps": float(mesa_steps),
                                   "wall_s": wall, "cpu_s": cpu, "weeks": weeks,
                                   "by_status_end": by_status.tolist()},
            "first_week_expected": {"narcosim": first_ours.tolist(),
                                    "mesa": first_mesa.tolist()}}


def rate(steps: float, seconds: float) -> str:
    """Millions per second, formatted."""
    return f"{steps / seconds / 1e6:,.2f}"


def main() -> None:
    """Parse arguments, run the measurements, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="*", default=[100, 10, 1])
    parser.add_argument("--weeks", type=int, default=None,
                        help="weeks per scale run (default: all of 2015-2026)")
    parser.add_argument("--mesa-weeks", type=int, default=26)
    parser.add_argument("--repeats", type=int, default=9,
                        help="narcosim runs in the side-by-side (median time)")
    parser.add_argument("--full", action="store_true",
                        help="also run the whole default model at 1:1 (several minutes)")
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--child-scale", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-full", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sold", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_scale is not None:
        print(json.dumps(child_scale(args.store, args.sold, args.child_scale, args.weeks)))
        return
    if args.child_full:
        print(json.dumps(child_full(args.store)))
        return

    console = Console(highlight=False, width=150)
    with tempfile.TemporaryDirectory(prefix="narcosim-bench-people-") as tmp:
        store = args.store
        if store is None:
            from narcosim.atlas.store import import_data

            data = Path(os.environ.get("NARCOSIM_DATA", REPO.parent / "shared" / "data"))
            store = Path(tmp) / "atlas.duckdb"
            import_data(data, store)
        from narcosim.atlas.store import Atlas
        from narcosim.calibrate.deaths import record_market
        from narcosim.model.builder import DEFAULT_END, load_inputs

        console.print("recording the supply (seed 1, 2015-2026) ...", style="dim")
        sold = record_market(load_inputs(Atlas.open(store)), 1, DEFAULT_END)
        sold_path = Path(tmp) / "sold.npy"
        np.save(sold_path, sold)

        where = f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, one process"
        table = Table(title=f"People module alone over a recorded market, seed 1 ({where}); "
                            "M = million agent-steps")
        for col in ("scale", "weeks", "agents start", "agents end", "slots end",
                    "agent-steps", "wall s", "CPU s", "M/s wall", "M/CPU-s (per core)",
                    "CPU ns/slot-step", "maxrss MiB"):
            table.add_column(col, justify="right")
        for scale in args.scales:
            extra = ["--weeks", str(args.weeks)] if args.weeks else []
            r = in_child(["--child-scale", str(scale), "--store", str(store),
                          "--sold", str(sold_path), *extra])
            table.add_row(f"1:{scale}", str(r["weeks"]), f"{r['agents_start']:,}",
                          f"{r['agents_end']:,}", f"{r['slots_end']:,}",
                          f"{r['agent_steps']:.3g}", f"{r['wall_s']:.1f}", f"{r['cpu_s']:.1f}",
                          rate(r["agent_steps"], r["wall_s"]), rate(r["agent_steps"], r["cpu_s"]),
                          f"{r['cpu_s'] / r['slot_steps'] * 1e9:.1f}", f"{r['maxrss_mib']:,.0f}")
            console.print(f"1:{scale} done", style="dim")
        if args.scales:
            console.print(table)

        if args.mesa_weeks > 0:
            import mesa

            r = side_by_side(store, sold, args.mesa_weeks, args.repeats)
            ours, theirs = r["ours"], r["mesa"]
            cmp = Table(title=f"Same overdose rules, same ~100,000 agents (1:{MESA_SCALE}), "
                              f"{args.mesa_weeks} weeks, in one process")
            for col in ("model", "agents", "agent-steps", "wall s", "CPU s", "M/s wall",
                        "M/CPU-s"):
                cmp.add_column(col, justify="right")
            cmp.add_row(f"narcosim (numba kernels; median of {args.repeats} runs)",
                        f"{ours['agents_start']:,}", f"{ours['agent_steps']:.3g}",
                        f"{ours['wall_s']:.2f}", f"{ours['cpu_s']:.2f}",
                        rate(ours["agent_steps"], ours["wall_s"]),
                        rate(ours["agent_steps"], ours["cpu_s"]))
            cmp.add_row(f"Mesa {mesa.__version__} (object per agent, no initiation)",
                        f"{theirs['agents_start']:,}", f"{theirs['agent_steps']:.3g}",
                        f"{theirs['wall_s']:.2f}", f"{theirs['cpu_s']:.2f}",
                        rate(theirs["agent_steps"], theirs["wall_s"]),
                        rate(theirs["agent_steps"], theirs["cpu_s"]))
            console.print(cmp)
            ratio_wall = (ours["agent_steps"] / ours["wall_s"]) / (
                theirs["agent_steps"] / theirs["wall_s"])
            ratio_cpu = (ours["agent_steps"] / ours["cpu_s"]) / (
                theirs["agent_steps"] / theirs["cpu_s"])
            console.print(f"narcosim / Mesa: {ratio_wall:,.1f}x (wall), {ratio_cpu:,.1f}x (CPU)")
            fw = r["first_week_expected"]
            gap = np.max(np.abs(np.array(fw["narcosim"]) / np.array(fw["mesa"]) - 1))
            console.print("same rules? first-week expected overdose deaths (fentanyl, meth, "
                          "cocaine, all; other drugs left out): narcosim "
                          + ", ".join(f"{x:,.3f}" for x in fw["narcosim"]) + "; Mesa "
                          + ", ".join(f"{x:,.3f}" for x in fw["mesa"])
                          + f"; largest relative difference {gap:.1e}")
            console.print(f"people by status after {args.mesa_weeks} weeks (using, treatment, "
                          "remission, incarcerated): narcosim "
                          + ", ".join(f"{x:,.0f}" for x in ours["by_status_end"]) + "; Mesa "
                          + ", ".join(f"{x:,.0f}" for x in theirs["by_status_end"])
                          + " (different random numbers; Mesa has no newcomers)")

        if args.full:
            console.print("full default model at 1:1, 2015-2026 ...", style="dim")
            r = in_child(["--child-full", "--store", str(store)])
            full = Table(title="Whole default model (supply + people) at 1:1, 2015-2026, seed 1")
            for col in ("weeks", "build s", "run + build wall s", "CPU s", "people at end",
                        "people slots", "maxrss MiB"):
                full.add_column(col, justify="right")
            full.add_row(str(r["weeks"]), f"{r['build_s']:.1f}", f"{r['wall_s']:.0f}",
                         f"{r['cpu_s']:.0f}", f"{r['people_end']:,}", f"{r['people_slots']:,}",
                         f"{r['maxrss_mib']:,.0f}")
            console.print(full)


if __name__ == "__main__":
    main()
