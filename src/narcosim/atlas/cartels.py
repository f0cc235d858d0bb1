"""The 150 Mexican criminal groups of 2020 and their alliance and rivalry networks.

Data: Prieto-Curiel, Campedelli & Hope, "Reducing cartel recruitment is the only
way to lower violence in Mexico", Science 381 (2023) 1312-1316; files from GitHub
``rafaelprietocuriel/Recruitment`` (commit a1db30c), no licence file: cite the paper.
The CSVs start with a UTF-8 byte-order mark. Edge lists are directed; the paper
symmetrises them by taking the larger weight of the two directions, which
:func:`symmetrise` does.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from narcosim.atlas.reader import (
    duplicates,
    fail_at,
    known,
    nonblank,
    numbers,
    read_csv,
    require_rows,
)

CARTEL_DIR = "cartels_mexico"
NODES_FILE = "BACRIM2020_Nodes.csv"
ALLIANCES_FILE = "BACRIM2020_Alliances.csv"
RIVALS_FILE = "BACRIM2020_Rivals.csv"
TRENDS_FILE = "Trends2012_2021.csv"

#: Groups in the 2020 network (Prieto-Curiel et al. 2023).
N_GROUPS = 150
SINALOA_NODE = "N10013"
CJNG_NODE = "N10025"

_EDGE_COLUMNS = ["Edge", "Node", "Group", "RNode", "RGroup", "weight"]


def _read_nodes(source: Path) -> pd.DataFrame:
    frame = read_csv(Path(source) / CARTEL_DIR / NODES_FILE,
                     ["Node", "Group", "State", "ShortName"], bom=True)
    node = nonblank(frame, "Node", "node id")
    dup = node.duplicated()
    if dup.any():
        raise fail_at(frame, dup.idxmax(), "Node", f"duplicate node {node[dup.idxmax()]!r}")
    require_rows(NODES_FILE, len(frame), N_GROUPS, "groups")
    return pd.DataFrame({
        "node": node,
        "group": nonblank(frame, "Group", "group name"),
        "state": frame["State"].astype(str).str.strip(),
        "short_name": frame["ShortName"].astype(str).str.strip(),
    })


def _read_edges(source: Path, filename: str, nodes: set[str]) -> pd.DataFrame:
    frame = read_csv(Path(source) / CARTEL_DIR / filename, _EDGE_COLUMNS, bom=True)
    node = known(frame, "Node", nodes, "node")
    rnode = known(frame, "RNode", nodes, "node")
    weight = numbers(frame, "weight", integer=True, what="weight")
    loop = node == rnode
    if loop.any():
        raise fail_at(frame, loop.idxmax(), "RNode", f"self-tie of {node[loop.idxmax()]!r}")
    # a repeated directed tie would vanish in symmetrise (max of both directions)
    duplicates(frame, pd.DataFrame({"node": node, "rnode": rnode}), "RNode", "tie")
    return pd.DataFrame({"node": node, "rnode": rnode, "weight": weight.astype("int64")})


def symmetrise(edges: pd.DataFrame) -> pd.DataFrame:
    """Symmetrise a directed edge list by the larger weight of the two directions.

    Args:
        edges: Columns ``node, rnode, weight`` (directed).

    Returns:
        Columns ``node, rnode, weight``: each unordered pair once in each
        direction with weight = max of the directed weights, sorted.
    """
    a = edges[["node", "rnode", "weight"]]
    b = a.rename(columns={"node": "rnode", "rnode": "node"})
    both = pd.concat([a, b], ignore_index=True)
    out = both.groupby(["node", "rnode"], as_index=False)["weight"].max()
    out["weight"] = out["weight"].astype("int64")
    return out.sort_values(["node", "rnode"]).reset_index(drop=True)


def load_cartel_alliances(source: Path) -> pd.DataFrame:
    """Load the alliance network, symmetrised.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``node, rnode, weight``; symmetric, weight = max of both directions.
    """
    nodes = set(_read_nodes(source)["node"])
    return symmetrise(_read_edges(source, ALLIANCES_FILE, nodes))


def load_cartel_rivalries(source: Path) -> pd.DataFrame:
    """Load the rivalry network, symmetrised.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``node, rnode, weight``; symmetric, weight = max of both directions.
    """
    nodes = set(_read_nodes(source)["node"])
    return symmetrise(_read_edges(source, RIVALS_FILE, nodes))


def load_cartel_groups(source: Path) -> pd.DataFrame:
    """Load the 150 groups with degree, strength and rank by total tie strength.

    Rank 1 is the group with the largest total tie strength (sum of its
    symmetrised alliance and rivalry weights), as in Prieto-Curiel et al. (2023),
    where initial sizes are proportional to 1/rank. Ties are broken by node id.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``node, group, state, short_name, alliance_degree,
        alliance_strength, rivalry_degree, rivalry_strength, strength, rank``,
        sorted by rank.
    """
    groups = _read_nodes(source)
    nodes = set(groups["node"])
    for kind, filename in (("alliance", ALLIANCES_FILE), ("rivalry", RIVALS_FILE)):
        edges = symmetrise(_read_edges(source, filename, nodes))
        stats = edges.groupby("node")["weight"].agg(["size", "sum"])
        groups[f"{kind}_degree"] = groups["node"].map(stats["size"]).fillna(0).astype("int64")
        groups[f"{kind}_strength"] = groups["node"].map(stats["sum"]).fillna(0).astype("int64")
    groups["strength"] = groups["alliance_strength"] + groups["rivalry_strength"]
    groups = groups.sort_values(["strength", "node"], ascending=[False, True])
    groups["rank"] = range(1, len(groups) + 1)
    return groups.reset_index(drop=True)


def load_cartel_trends(source: Path) -> pd.DataFrame:
    """Load Mexico's yearly homicides, missing persons and arrests 2012-2021.

    Args:
        source: Data folder laid out like ``shared/data``.

    Returns:
        Columns ``year, homicides, missing_persons, arrests`` (int).
    """
    frame = read_csv(Path(source) / CARTEL_DIR / TRENDS_FILE,
                     ["YEAR", "homicide", "missings", "arrests"], bom=True)
    out = pd.DataFrame({
        "year": numbers(frame, "YEAR", integer=True, minimum=1990, maximum=2100, what="year"),
        "homicides": numbers(frame, "homicide", integer=True),
        "missing_persons": numbers(frame, "missings", integer=True),
        "arrests": numbers(frame, "arrests", integer=True),
    })
    return out.astype("int64")
