"""One ensemble member: its spec, its seed, and the files it leaves behind.

A member runs in a worker process (:func:`run_member` is top-level, so it pickles): it
builds the sim from an :class:`EnsembleSpec`, runs it and writes ``run-NNNN.parquet``
(temporary name, fsync, rename), then ``run-NNNN.json`` the same way. Because the json
comes last and records the parquet file's size and sha256, :func:`read_member` can tell a
finished member from one that was interrupted at any point.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

import narcosim
from narcosim.atlas.provenance import sha256_file
from narcosim.atlas.store import Atlas
from narcosim.core.files import atomic_write
from narcosim.core.sim import Sim
from narcosim.errors import ParameterError
from narcosim.interventions.firearms import draw_guesses, with_efficacy
from narcosim.model.builder import (
    DEFAULT_END,
    DEFAULT_SCALE,
    DEFAULT_START,
    build_default_sim,
    build_sim,
    load_inputs,
)
from narcosim.model.fitted_people import FittedPeople
from narcosim.model.fitted_posterior import FittedPosterior
from narcosim.run.bands import write_member_parquet
from narcosim.run.manifest import jsonable, utc_now
from narcosim.scenario.build import build_scenario_sim
from narcosim.scenario.validate import check_text, first_problem_error

#: ``EnsembleSpec.parameters`` of members that run the point fit.
FIXED = "fixed"
#: Prefix of ``EnsembleSpec.parameters`` of members that draw from the packaged posterior.
POSTERIOR = "posterior:"


@dataclass(frozen=True)
class EnsembleSpec:
    """What every member of an ensemble runs (all but the seed).

    Attributes:
        scenario: Scenario name: ``default``, a built-in scenario or a ``.toml`` path.
        store: Atlas store file the members read.
        scale: Real people per agent (1:``scale``).
        start: First day (ISO date).
        end: Last day a step may start (ISO date).
        pars: Parameter overrides by module name.
        toml: The scenario file's text ("" for ``default``): members rebuild the scenario
            from it, so workers need not see the file, and an edited file is another
            ensemble.
        parameters: ``fixed`` (the point fit) or ``posterior:<sha256>``: each member draws
            one parameter set from the packaged posterior with that sha256
            (:func:`parameter_mode`, :func:`draw_particle`).
    """

    scenario: str = "default"
    store: str = ""
    scale: int = DEFAULT_SCALE
    start: str = DEFAULT_START
    end: str = DEFAULT_END
    pars: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    toml: str = ""
    parameters: str = FIXED

    def identity(self) -> dict[str, Any]:
        """The fields that make two ensembles the same.

        The store's path is not one: its data hashes are compared instead.
        """
        out = asdict(self)
        out.pop("store")
        if not out["toml"]:  # the default model: same identity as before scenario files
            out.pop("toml")
        if out["parameters"] == FIXED:  # the same identity as before parameter draws
            out.pop("parameters")
        out["pars"] = jsonable(dict(self.pars))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (as in ``ensemble.json``)."""
        return jsonable({**asdict(self), "pars": dict(self.pars)})

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EnsembleSpec:
        """Rebuild a spec from :meth:`to_dict`."""
        return cls(**{k: data[k] for k in ("scenario", "store", "scale", "start", "end", "pars",
                                            "toml", "parameters") if k in data})


def parameter_mode(fixed: bool) -> str:
    """``fixed``, or ``posterior:<sha256>`` of the packaged posterior (fixed when none is).

    Args:
        fixed: Run every member at the point fit (``--fixed-params``).
    """
    if fixed:
        return FIXED
    post = FittedPosterior.load()
    return FIXED if post is None else POSTERIOR + post.sha256


def draw_particle(spec: EnsembleSpec, seed: int) -> int | None:
    """The posterior particle member ``seed`` runs, or None for the point fit.

    Raises:
        ParameterError: The packaged posterior is gone or is not the one the spec names.
    """
    if not spec.parameters.startswith(POSTERIOR):
        return None
    return _posterior(spec).draw(seed)


def _posterior(spec: EnsembleSpec) -> FittedPosterior:
    post = FittedPosterior.load()
    want = spec.parameters.removeprefix(POSTERIOR)
    if post is None or post.sha256 != want:
        raise ParameterError(f"the packaged posterior is not the one this ensemble draws from "
                             f"(sha256 {want[:12]}…); rerun with --force, or --fixed-params")
    return post


def member_seeds(seed: int, n_runs: int) -> list[int]:
    """Integer run seeds of members ``0..n_runs-1`` from ``SeedSequence(seed).spawn``.

    Each child's first 64-bit word, shifted right by one (so it fits a signed 64-bit
    integer everywhere it is stored), is the member's run seed. Member ``i``'s seed is the
    same whatever ``n_runs`` is.
    """
    children = np.random.SeedSequence(int(seed)).spawn(int(n_runs))
    return [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]


def member_name(index: int) -> str:
    """File stem of member ``index`` (``run-0007``)."""
    return f"run-{index:04d}"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary file beside ``path``, fsync it, and rename it into place."""
    text = json.dumps(jsonable(data), indent=2, allow_nan=False) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), fsync=True)


def build_member_sim(spec: EnsembleSpec, atlas: Atlas, seed: int,
                     particle: int | None = None) -> Sim:
    """The sim of one member: the default model, or the spec's scenario with its levers.

    The scenario's own seed, scale and dates give way to the member's seed and the spec's.
    With ``particle``, that posterior particle's people parameters and flow elasticities to
    reports replace the point fit's, and the guns' guessed parameters and the southbound
    interdiction's efficacy are drawn from their priors
    (:func:`narcosim.interventions.firearms.draw_guesses`); parameters the scenario or the
    spec set still win.

    Raises:
        ParameterError: Bad dates, parameters, targets or scenario text.
    """
    drawn: dict[str, float] = {}
    guns: dict[str, float] = {}
    inputs = None
    if particle is not None:
        drawn, kappa = _posterior(spec).particle(particle)
        inputs = load_inputs(atlas, report_elasticity={
            **FittedPeople.load().report_elasticity, **kappa})
        guns, efficacy = draw_guesses(seed)  # guesses: the range is the prior
    if not spec.toml:
        pars = {m: dict(v) for m, v in spec.pars.items()}
        if drawn:
            pars["people"] = {**drawn, **pars.get("people", {})}
        if guns:
            pars["firearms"] = {**guns, **pars.get("firearms", {})}
        if inputs is None:
            return build_default_sim(atlas, seed=seed, scale=spec.scale, start=spec.start,
                                     end=spec.end, pars=pars)
        return build_sim(inputs, seed=seed, scale=spec.scale, start=spec.start,
                         end=spec.end, pars=pars)
    scenario, problems = check_text(spec.toml, spec.scenario)
    if scenario is None:
        raise first_problem_error(problems)
    if spec.pars or drawn or guns:
        merged = {m: dict(v) for m, v in scenario.parameters.items()}
        if drawn:
            merged["people"] = {**drawn, **merged.get("people", {})}
        if guns:
            merged["firearms"] = {**guns, **merged.get("firearms", {})}
        for module, values in spec.pars.items():
            merged.setdefault(module, {}).update(values)
        update: dict[str, Any] = {"parameters": merged}
        if guns:
            update["interventions"] = with_efficacy(list(scenario.interventions), efficacy)
        scenario = scenario.model_copy(update=update)
    return build_scenario_sim(scenario, atlas, inputs=inputs, seed=seed, scale=spec.scale,
                              start=spec.start, end=spec.end)


def run_member(spec: EnsembleSpec, index: int, seed: int, runs_dir: str) -> dict[str, Any]:
    """Build, run and save one member (runs in a worker process; top-level so it pickles).

    Args:
        spec: The ensemble spec.
        index: Member number.
        seed: The member's run seed.
        runs_dir: Folder for ``run-NNNN.parquet`` and ``run-NNNN.json``.

    Returns:
        The member record written to ``run-NNNN.json``.
    """
    started, t0 = utc_now(), time.perf_counter()
    particle = draw_particle(spec, seed)
    sim = build_member_sim(spec, Atlas.open(Path(spec.store)), seed, particle)
    t1 = time.perf_counter()
    sim.run()
    t2 = time.perf_counter()
    frame = sim.results.to_frame()
    folder = Path(runs_dir)
    final = folder / f"{member_name(index)}.parquet"
    atomic_write(final, lambda tmp: write_member_parquet(frame, tmp), fsync=True)
    flows = [[name, metric] for name, res in sim.results.items()
             for metric, s in res.specs.items() if s.units.strip().endswith("per step")]
    record = {
        "index": index, "seed": int(seed), "particle": particle, "file": final.name,
        "rows": len(frame),
        "bytes": final.stat().st_size, "sha256": sha256_file(final),
        "modules": list(sim.modules), "flows": flows, "n_steps": sim.timeline.n_steps,
        "build_seconds": round(t1 - t0, 3), "run_seconds": round(t2 - t1, 3),
        "wall_seconds": round(time.perf_counter() - t0, 3), "started": started,
        "finished": utc_now(), "host": socket.gethostname(), "pid": os.getpid(),
        "narcosim_version": narcosim.__version__,
    }
    write_json_atomic(folder / f"{member_name(index)}.json", record)
    return record


def read_member(runs_dir: Path, index: int, seed: int) -> dict[str, Any] | None:
    """Return member ``index``'s record if it finished with ``seed``, else None.

    Finished means: its json names that seed and its parquet file has the recorded size,
    sha256 and row count.
    """
    folder = Path(runs_dir)
    try:
        record = json.loads((folder / f"{member_name(index)}.json").read_text("utf-8"))
        path = folder / record["file"]
        if (record.get("seed") != seed or record.get("index") != index
                or path.stat().st_size != record["bytes"]
                or sha256_file(path) != record["sha256"]
                or pq.read_metadata(path).num_rows != record["rows"]):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return record
