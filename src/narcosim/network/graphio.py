"""Write and read graphs: GraphML, GEXF (Gephi), node and edge CSV, and node-link JSON.

Writers are NetworkX's. A set of files is written to temporary names beside the targets and
renamed only once every file is complete, so a failure leaves no partial output. GEXF is
written as GEXF 1.2draft (the version whose XML Schema is installable, see
:mod:`narcosim.network.schema`; Gephi reads it) with each node's ``name`` as its label and no
graph attributes (the schema allows none). GraphML node ids must be XML name tokens
(``xs:NMTOKEN``: no spaces); a graph with other ids is written with ids made into tokens and
the original id kept in the node attribute ``narcosim_id``
(:func:`narcosim.network.schema.graphml_ready`), which :func:`read_graph` turns back into
the id. Each GEXF and GraphML file is validated against its schema when the schema is
installed; :func:`check_gexf` checks a GEXF file's structure with lxml besides (the namespace,
declared attribute ids and types, unique node and edge ids, and edges between declared nodes),
and reads GEXF 1.3 files for import.

GraphML, GEXF and JSON round-trip every graph here exactly (nodes, edges, attributes and their
types). CSV has one type per column and no way to tell an empty string from a missing value, so
it round-trips exactly only graphs whose nodes (and edges) share their attributes, such as the
alliance and presence graphs; a column with gaps reads back as float or is left out.

:func:`read_graph` imports a user's graph (``.graphml``, ``.gexf``, ``.json`` node-link, ``.csv``
edge list with ``source`` and ``target`` columns, plus a ``<stem>.nodes.csv`` beside an
``<stem>.edges.csv`` when there is one) and turns every malformed or empty file into one
:class:`DataValidationError` line.
"""

from __future__ import annotations

import contextlib
import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from pathlib import Path

import networkx as nx
import pandas as pd
from lxml import etree

from narcosim.core.files import atomic_write
from narcosim.errors import DataValidationError, ParameterError, StoreError
from narcosim.network import schema

#: Export formats and the file suffixes they write.
FORMATS: dict[str, tuple[str, ...]] = {
    "graphml": (".graphml",),
    "gexf": (".gexf",),
    "csv": (".nodes.csv", ".edges.csv"),
    "json": (".json",),
}
GEXF_NS = "http://www.gexf.net/1.2draft"
#: GEXF namespaces :func:`check_gexf` accepts: 1.2draft (written here) and 1.3 (read).
GEXF_NAMESPACES = (GEXF_NS, "http://gexf.net/1.3")
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: NetworkX 3.6 writes GEXF 1.3 with this (misspelt, no ``www``) namespace; accepted on import.
_NX_XSI_NS = "http://w3.org/2001/XMLSchema-instance"
_GEXF_TYPES = {"integer", "long", "double", "float", "boolean", "string", "liststring",
               "anyURI", "listboolean", "listinteger", "listlong", "listfloat", "listdouble"}
_READ_ERRORS = (ET.ParseError, etree.XMLSyntaxError, nx.NetworkXError, KeyError, ValueError,
                TypeError, IndexError, UnicodeDecodeError, AttributeError,
                pd.errors.ParserError, pd.errors.EmptyDataError)


def parse_formats(text: str) -> tuple[str, ...]:
    """Parse ``graphml,gexf`` (or ``all``) into format names.

    Raises:
        ParameterError: An unknown format, in one line.
    """
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    if names == ["all"]:
        return tuple(FORMATS)
    bad = [n for n in names if n not in FORMATS]
    if bad or not names:
        raise ParameterError(f"--format {text!r}: choose from {', '.join(FORMATS)} or all")
    return tuple(dict.fromkeys(names))


def _gexf_copy(graph: nx.Graph) -> nx.Graph:
    """A copy with ``label`` = each node's ``name`` (what Gephi shows), no graph attributes."""
    g = graph.copy()
    g.graph.clear()
    for node, data in g.nodes(data=True):
        data["label"] = str(data.get("name", node))
    return g


def _frames(graph: nx.Graph) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and edge tables: ``id`` and attributes; ``source, target`` and attributes."""
    nodes = pd.DataFrame([{"id": n, **d} for n, d in graph.nodes(data=True)])
    edges = pd.DataFrame([{"source": a, "target": b, **d} for a, b, d in graph.edges(data=True)],
                         columns=None if graph.number_of_edges() else ["source", "target"])
    return nodes, edges


def _write_one(graph: nx.Graph, fmt: str, paths: tuple[Path, ...]) -> None:
    """Write ``graph`` in ``fmt`` to ``paths`` (one per suffix of the format)."""
    if fmt == "graphml":
        nx.write_graphml(schema.graphml_ready(graph), paths[0])
    elif fmt == "gexf":
        nx.write_gexf(_gexf_copy(graph), paths[0], version="1.2draft")
        tree = etree.parse(str(paths[0]))
        for element in tree.getroot().iterfind(f"{{{GEXF_NS}}}graph"):
            element.attrib.pop("name", None)  # NetworkX always writes it; GEXF 1.2 has none
        tree.write(str(paths[0]), xml_declaration=True, encoding="utf-8")
    elif fmt == "csv":
        nodes, edges = _frames(graph)
        nodes.to_csv(paths[0], index=False)
        edges.to_csv(paths[1], index=False)
    else:
        data = nx.node_link_data(graph, edges="edges")
        paths[0].write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def export_paths(out: Path, name: str, formats: Iterable[str]) -> list[Path]:
    """The files :func:`write_graphs` writes for one graph."""
    return [out / f"{name}{suffix}" for fmt in formats for suffix in FORMATS[fmt]]


def write_graphs(graphs: dict[str, nx.Graph], out: Path, formats: Iterable[str]) -> list[Path]:
    """Write graphs in the given formats into ``out``, all or nothing.

    Args:
        graphs: Graphs by file stem (e.g. ``alliances``).
        out: Output folder (created).
        formats: Names from :data:`FORMATS`.

    Returns:
        The files written.

    Raises:
        StoreError: A file cannot be written (nothing is left behind).
        DataValidationError: A written file fails its format's check (nothing is left behind).
    """
    formats = tuple(formats)
    done: list[tuple[Path, Path]] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, graph in graphs.items():
            for fmt in formats:
                targets = tuple(export_paths(out, name, (fmt,)))
                temps = tuple(t.with_name(f".{t.name}.tmp") for t in targets)
                done.extend(zip(temps, targets, strict=True))
                _write_one(graph, fmt, temps)
                if fmt == "gexf":
                    check_gexf(temps[0])
                if fmt in schema.SCHEMA_FILES:
                    schema.validate(temps[0], fmt)
        for temp, target in done:
            os.replace(temp, target)
    except (OSError, DataValidationError) as error:
        for temp, _ in done:
            with contextlib.suppress(OSError):
                temp.unlink()
        if isinstance(error, DataValidationError):  # a writer broke the format: a bug
            raise
        raise StoreError(f"cannot write to {out}: {error.strerror or error}") from None
    return [target for _, target in done]


def write_graphml_file(graph: nx.Graph, path: Path) -> Path:
    """Write one graph to a GraphML file of any name, as :func:`write_graphs` does (validated).

    Raises:
        StoreError: The file cannot be written (nothing is left behind).
    """
    temp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_one(graph, "graphml", (temp,))
        schema.validate(temp, "graphml")
        os.replace(temp, path)
    except (OSError, DataValidationError) as error:
        with contextlib.suppress(OSError):
            temp.unlink()
        if isinstance(error, DataValidationError):
            raise
        raise StoreError(f"cannot write {path}: {error.strerror or error}") from None
    return path


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> Path:
    """Write a table to CSV through a temporary file beside it (index included).

    Raises:
        StoreError: The file cannot be written (nothing is left behind).
    """
    return atomic_write(path, frame.to_csv)


def check_gexf(path: Path) -> int:
    """Check a GEXF 1.2draft (or 1.3) file's structure with lxml.

    Checks the root element and namespace, one ``graph`` with a valid ``defaultedgetype``,
    attribute declarations (``id``, ``title`` and a GEXF ``type``; unique ids per class), every
    ``attvalue`` naming a declared attribute, unique node ids, edges whose ``source`` and
    ``target`` are declared nodes, and unique edge ids.

    Args:
        path: The file.

    Returns:
        The number of nodes.

    Raises:
        DataValidationError: The first problem, in one line naming the file.
    """
    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError) as error:
        raise DataValidationError(f"{path}: not readable XML ({error})") from None
    namespace = etree.QName(root).namespace

    def fail(what: str) -> DataValidationError:
        return DataValidationError(f"{path}: not valid GEXF: {what}")

    if etree.QName(root).localname != "gexf" or namespace not in GEXF_NAMESPACES:
        raise fail(f"root element {root.tag!r}")
    ns = {"g": namespace}
    for name in root.attrib:
        if etree.QName(name).namespace not in (None, XSI_NS, _NX_XSI_NS):
            raise fail(f"root attribute {name!r} in an unknown namespace")
    graphs = root.findall("g:graph", ns)
    if len(graphs) != 1:
        raise fail(f"{len(graphs)} graph elements")
    graph = graphs[0]
    if graph.get("defaultedgetype", "undirected") not in {"directed", "undirected", "mutual"}:
        raise fail(f"defaultedgetype {graph.get('defaultedgetype')!r}")
    declared: dict[str, set[str]] = {"node": set(), "edge": set()}
    for block in graph.findall("g:attributes", ns):
        cls = block.get("class")
        if cls not in declared:
            raise fail(f"attributes class {cls!r}")
        for attr in block.findall("g:attribute", ns):
            ident, kind = attr.get("id"), attr.get("type")
            if not ident or attr.get("title") is None or kind not in _GEXF_TYPES:
                raise fail(f"{cls} attribute {ident!r} of type {kind!r}")
            if ident in declared[cls]:
                raise fail(f"{cls} attribute id {ident!r} declared twice")
            declared[cls].add(ident)
    nodes: set[str] = set()
    for node in graph.iterfind("g:nodes/g:node", ns):
        ident = node.get("id")
        if ident is None or ident in nodes:
            raise fail(f"node id {ident!r} missing or repeated")
        nodes.add(ident)
        _check_attvalues(node, declared["node"], ns, fail)
    edges: set[str] = set()
    for edge in graph.iterfind("g:edges/g:edge", ns):
        ident = edge.get("id")
        if ident is None or ident in edges:
            raise fail(f"edge id {ident!r} missing or repeated")
        edges.add(ident)
        for end in ("source", "target"):
            if edge.get(end) not in nodes:
                raise fail(f"edge {ident} {end} {edge.get(end)!r} is not a node")
        _check_attvalues(edge, declared["edge"], ns, fail)
    return len(nodes)


def _check_attvalues(element: etree._Element, declared: set[str], ns: dict[str, str],
                     fail: object) -> None:
    for value in element.iterfind("g:attvalues/g:attvalue", ns):
        if value.get("for") not in declared or value.get("value") is None:
            raise fail(f"attvalue for {value.get('for')!r} is not declared")  # type: ignore[operator]


def _clean_gexf(graph: nx.Graph) -> nx.Graph:
    """Drop what GEXF adds on reading: labels equal to a node's name or id, edge ids."""
    for node, data in graph.nodes(data=True):
        if data.get("label") in (str(node), data.get("name", str(node))):
            data.pop("label", None)
    for *_, data in graph.edges(data=True):
        data.pop("id", None)
    return graph


def _records(frame: pd.DataFrame, skip: Iterable[str]) -> list[dict]:
    """Rows as attribute dicts without missing values, numpy scalars made plain."""
    cols = [c for c in frame.columns if c not in set(skip)]
    out = []
    for row in frame[cols].itertuples(index=False):
        out.append({c: v.item() if hasattr(v, "item") else v
                    for c, v in zip(cols, row, strict=True) if not pd.isna(v)})
    return out


def _read_csv(path: Path, directed: bool) -> nx.Graph:
    """An edge list (``source``, ``target``, attributes) and, beside it, a node table."""
    edges = pd.read_csv(path, dtype={"source": str, "target": str})
    missing = {"source", "target"} - set(edges.columns)
    if missing:
        raise DataValidationError(f"{path}: edge list lacks column(s) {', '.join(sorted(missing))}")
    blank = edges["source"].isna() | edges["target"].isna()
    if blank.any():
        raise DataValidationError(f"{path} row {int(blank.idxmax()) + 2}: blank source or target")
    g = nx.DiGraph() if directed else nx.Graph()
    name = path.name
    if name.endswith(".edges.csv"):
        node_file = path.with_name(name[: -len(".edges.csv")] + ".nodes.csv")
        if node_file.is_file():
            nodes = pd.read_csv(node_file, dtype={"id": str})
            if "id" not in nodes.columns:
                raise DataValidationError(f"{node_file}: node table lacks column 'id'")
            if nodes["id"].isna().any() or nodes["id"].duplicated().any():
                raise DataValidationError(f"{node_file}: blank or repeated node id")
            g.add_nodes_from(zip(nodes["id"], _records(nodes, ["id"]), strict=True))
            unknown = ~(edges["source"].isin(nodes["id"]) & edges["target"].isin(nodes["id"]))
            if unknown.any():
                row = int(unknown.idxmax())
                raise DataValidationError(f"{path} row {row + 2}: edge "
                                          f"{edges['source'][row]}-{edges['target'][row]} "
                                          f"names a node not in {node_file.name}")
    g.add_edges_from(zip(edges["source"], edges["target"],
                         _records(edges, ["source", "target"]), strict=True))
    return g


def read_graph(path: Path, directed: bool | None = None) -> nx.Graph:
    """Import a graph file for the metrics and disruption commands.

    Args:
        path: ``.graphml``, ``.gexf``, ``.json`` (node-link) or ``.csv`` (edge list).
        directed: Force a directed (True) or undirected (False) graph; as stored when None
            (a CSV edge list is directed only when True).

    Returns:
        The graph; node ids are strings.

    Raises:
        DataValidationError: Missing, malformed or empty file, in one line.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".graphml", ".gexf", ".json", ".csv"}:
        raise DataValidationError(f"{path}: unknown graph format {suffix or '(none)'!r}; "
                                  "use .graphml, .gexf, .json or .csv")
    if not path.is_file():
        raise DataValidationError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise DataValidationError(f"{path}: empty file")
    try:
        if suffix == ".graphml":
            g = schema.restore_ids(nx.read_graphml(path))
            for key in ("node_default", "edge_default"):  # added by the reader when empty
                if g.graph.get(key) == {}:
                    del g.graph[key]
        elif suffix == ".gexf":
            check_gexf(path)
            g = _clean_gexf(nx.read_gexf(path, node_type=str))
        elif suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            key = "links" if isinstance(data, dict) and "links" in data else "edges"
            g = nx.node_link_graph(data, edges=key)  # "links": NetworkX before 3.4
        else:
            g = _read_csv(path, bool(directed))
    except DataValidationError:
        raise
    except _READ_ERRORS as error:
        text = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DataValidationError(f"{path}: malformed {suffix[1:]} file ({text})") from None
    if g.number_of_nodes() == 0:
        raise DataValidationError(f"{path}: the graph has no nodes")
    if g.is_multigraph():
        g = nx.DiGraph(g) if g.is_directed() else nx.Graph(g)
    if directed is True and not g.is_directed():
        g = g.to_directed()
    elif directed is False and g.is_directed():
        g = g.to_undirected()
    mapping = {n: str(n) for n in g if not isinstance(n, str)}
    return nx.relabel_nodes(g, mapping) if mapping else g
