"""A network removal as a scenario file that ``narcosim compare`` runs through the full model.

The 150 groups of the alliance network are not the supply model's actors: the model runs six
operators (:mod:`narcosim.orgs.structure`). A removed group changes supply only when it is one
of them, through the existing ``leader_removal`` lever (its leadership captured on a date,
released by Mexico with a probability, else replaced after some weeks):

========  =========================  ===================================  ==========================
node      group                      model target                          why
========  =========================  ===================================  ==========================
N10013    Cártel de Sinaloa          cartel ``sinaloa`` (four factions)    ``Cartel.bacrim_node``
N10025    CJNG                       cartel ``cjng`` (central command)     ``Cartel.bacrim_node``
N10091    Los Chapitos               faction ``sinaloa.chapitos``          same name
N10004    Cártel de Caborca          faction ``sinaloa.caro_quintero``     guess: press reports name
                                                                           Caro Quintero its leader
========  =========================  ===================================  ==========================

Every other group is outside the supply model; the scenario lists it in a comment and nothing
else. The file is checked with the scenario validator before it is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from narcosim.core.files import write_text_atomic
from narcosim.errors import ParameterError
from narcosim.orgs.structure import OrgStructure

#: Groups of the alliance network that are supply-model operators, with the model target.
GROUP_TARGETS: dict[str, tuple[str, str, str]] = {
    "N10013": ("cartel", "sinaloa", "Cartel.bacrim_node of the Sinaloa umbrella"),
    "N10025": ("cartel", "cjng", "Cartel.bacrim_node of CJNG"),
    "N10091": ("faction", "sinaloa.chapitos", "the same name, Los Chapitos"),
    "N10004": ("faction", "sinaloa.caro_quintero",
               "guess: press reports name Rafael Caro Quintero as its leader"),
}


def _check_targets() -> None:
    """The table's targets exist in the default structure (fails loudly if it changes)."""
    s = OrgStructure.default()
    for node, (kind, key, _) in GROUP_TARGETS.items():
        known = s.cartels if kind == "cartel" else s.operators
        if key not in known:
            raise ParameterError(f"group {node} maps to unknown {kind} {key!r}")


def removal_scenario(removed: Sequence[str], names: dict[str, str], start: date,
                     release_probability: float = 0.0, succession_weeks: int = 26,
                     end_year: int = 2026) -> str:
    """The TOML text of a scenario removing the groups' leaderships on ``start``.

    Args:
        removed: Node ids of the groups removed.
        names: Group name by node id (for the file's comments and lever names).
        start: Capture date.
        release_probability: Probability Mexico releases each captive (0: a network removal
            that holds).
        succession_weeks: Weeks until a successor takes over when not released.
        end_year: Last year of the run (and of each lever).

    Returns:
        The scenario text.

    Raises:
        ParameterError: None of the groups is a supply-model operator.
    """
    _check_targets()
    mapped = [n for n in removed if n in GROUP_TARGETS]
    outside = [n for n in removed if n not in GROUP_TARGETS]
    if not mapped:
        listed = ", ".join(f"{n} {names.get(n, '')}".strip() for n in removed[:5])
        raise ParameterError(f"none of the removed groups ({listed}) runs supply in the model; "
                             f"only {', '.join(GROUP_TARGETS)} do")
    who = "; ".join(names.get(n, n) for n in mapped)
    description = (f"Leaderships of {who} removed on {start.isoformat()}; Mexico releases each "
                   f"captive with probability {release_probability:g}, else a successor takes "
                   f"over after {succession_weeks} weeks.")
    lines = [
        "# Written by narcosim network scenario: a removal in the alliance network as leader",
        "# removals in the supply model (docs/networks.md).",
        *(f"# {n} {names.get(n, '')}: not a supply-model operator, so no lever" for n in outside),
        "",
        "[scenario]",
        f"name = {json.dumps('Network removal: ' + who, ensure_ascii=False)}",
        f"description = {json.dumps(description, ensure_ascii=False)}",
        "start = 2015-01-01",
        f"end = {end_year}-12-31",
    ]
    for node in mapped:
        kind, key, why = GROUP_TARGETS[node]
        lines += [
            "",
            "[[interventions]]",
            'kind = "leader_removal"',
            f"name = {json.dumps(names.get(node, node) + ' removed', ensure_ascii=False)}",
            f"start = {start.isoformat()}",
            f"end = {end_year}-12-31",
            "intensity = 1.0",
            f"release_probability = {release_probability!r}",
            "release_days = 9            # the seed: released after nine days",
            f"succession_weeks = {int(succession_weeks)}",
            "annual_cost = 50_000_000.0  # as the built-in leader_removal scenario (a guess)",
            "annual_cost_range = [20_000_000.0, 150_000_000.0]",
            'cost_source = "guess: as the built-in leader_removal scenario; no published cost"',
            "",
            "[interventions.target]",
            f"{kind} = {json.dumps(key)}  # {node}: {why}",
        ]
    return "\n".join(lines) + "\n"


def write_scenario(text: str, path: Path) -> Path:
    """Check the scenario text with the validator and write it atomically.

    Raises:
        ParameterError: The text fails validation (a bug here, reported in one line).
        StoreError: The file cannot be written.
    """
    from narcosim.scenario.validate import check_text, first_problem_error

    scenario, problems = check_text(text, str(path))
    if problems or scenario is None:
        raise first_problem_error(problems)
    return write_text_atomic(path, text)
