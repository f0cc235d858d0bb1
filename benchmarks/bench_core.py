"""Benchmark the engine: random-stream draws per second and toy-sim steps per second.

Run: ``.venv/bin/python benchmarks/bench_core.py [--agents 100000 1000000]``

Also times the alternatives weighed for ``Stream.random`` (a per-step generator
drawing ``max(slot) + 1`` values, with PCG64 or SFC64, against a counter-based
hash of ``(key, slot)`` computed with numpy), so the choice can be rechecked.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from narcosim.core import Agents, Module, ParamSpec, Rate, Sim, Streams, Timeline


def _best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _splitmix_uniform(key: int, slots: np.ndarray) -> np.ndarray:
    """Counter-based alternative: SplitMix64 finaliser of (key, slot), vectorised."""
    z = slots.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(key)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def bench_streams(n: int) -> None:
    slots = np.arange(n)
    counter = iter(range(10**9))
    stream = Streams(1).stream("bench")

    def uniform() -> None:
        stream.random(next(counter), slots)

    def bern() -> None:
        stream.bernoulli(next(counter), slots, 0.01)

    lam = np.full(n, 3.0)

    def pois() -> None:
        stream.poisson(next(counter), lam, slots)

    def alt(bitgen) -> None:
        seq = np.random.SeedSequence((1, 2), spawn_key=(next(counter), 0))
        np.random.Generator(bitgen(seq)).random(n)[slots]

    rows = [
        ("Stream.random (SFC64, used)", _best(uniform)),
        ("Stream.bernoulli", _best(bern)),
        ("Stream.poisson (inverse CDF)", _best(pois, 2)),
        ("alt: PCG64 per step", _best(lambda: alt(np.random.PCG64))),
        ("alt: counter hash (SplitMix64)", _best(lambda: _splitmix_uniform(7, slots))),
    ]
    print(f"\nrandom draws, {n:,} slots per call")
    for label, sec in rows:
        print(f"  {label:34s} {n / sec / 1e6:8.1f} M draws/s  ({sec * 1e3:7.2f} ms/call)")


class Mortality(Module):
    """Toy module: agents die at a constant rate and are replaced by newcomers."""

    name = "toy"
    param_specs = (
        ParamSpec("n_agents", 100_000, "people", low=0, kind="int", source="guess: benchmark"),
        ParamSpec("death_rate", 0.5, "per year", low=0, source="guess: benchmark"),
    )

    def init_pre(self, sim):
        self.people = Agents({"died": (np.int64, -1), "age": (np.float32, 30.0)})
        self.die = self.stream("die")
        self.results.define("alive")
        self.results.define("deaths")

    def init_post(self):
        self.people.add(self.pars.n_agents)

    def step(self):
        ti = self.sim.ti
        p = Rate(self.pars.death_rate, "year").prob_per_step(self.sim.dt_days)
        slots = self.people.alive_slots
        dead = self.people.remove(slots[self.die.bernoulli(ti, slots, p)])
        self.people["died"][dead] = ti
        self.people.add(len(dead))
        self.n_dead = len(dead)

    def update_results(self):
        self.results["alive"][self.sim.ti] = self.people.n_alive
        self.results["deaths"][self.sim.ti] = self.n_dead


def bench_sim(n: int) -> None:
    timeline = Timeline("2015-01-01", "2026-12-31")
    tracemalloc.start()
    t0 = time.perf_counter()
    sim = Sim([Mortality(n_agents=n)], timeline, seed=1).run()
    sec = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    people = sim.modules["toy"].people
    rate = n * timeline.n_steps / sec / 1e6
    print(
        f"\ntoy sim, {n:,} agents, {timeline.n_steps} weekly steps: {sec:.2f} s, "
        f"{timeline.n_steps / sec:,.0f} steps/s, {rate:.1f} M agent-steps/s, "
        f"{people.n_slots:,} slots at the end, peak traced memory {peak / 2**20:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    for n in args.agents:
        bench_streams(n)
    for n in args.agents:
        bench_sim(n)


if __name__ == "__main__":
    main()
