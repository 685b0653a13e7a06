"""The graph as the site shows it: one JSON file that the global graph page and every local
graph draw from (cortex-graph.js), the page that holds the global graph, and the folded local
graph at the end of a note's or an experiment's page.

The data file is columnar (one list per field, edges as flat index pairs per type) because at
ten thousand notes its size is the page weight of the graph; the graph page names the build's
data by a hash of its text, so a browser never pairs it with the data of another build.

A local graph names only its page's node (by the URL the data file gives it) and how many
direct connections it has: the script works out the neighbourhood (two hops, as
``Graph.neighbourhood`` does) from the data file, revalidated when the reader opens it. So a
new link changes the pages at its two ends, not every page within two hops of them, and a
preview rebuilds only those (``cortex.mkdocs.preview``).
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from urllib.parse import quote

import numpy as np
from markupsafe import escape

from cortex.connections.graph import HUB_DEGREE, LOCAL_LIMIT, EdgeType, Graph, Kind, build_graph
from cortex.connections.graph_layout import cached_layout
from cortex.model import KnowledgeBase

GRAPH_PAGE = "graph.md"
DATA_FILE = "assets/cortex/graph.json"  # beside cortex-graph.js, which finds it there
GRAPH_CLASS = "cortex-graph"
LOCAL_CLASS = "cortex-local-graph"
KIND_LABELS = {
    Kind.NOTE: "Notes",
    Kind.EXPERIMENT: "Experiments",
    Kind.REFERENCE: "Papers",
    Kind.TOPIC: "Curriculum topics",
    Kind.TAG: "Tags",
}
# JSON has these only inside strings, where the \u escapes mean the same characters: the text
# is then plain text inside any HTML element too
_HTML_SPECIAL = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"})

_TYPE = attrgetter("type")
UrlOf = Callable[[str], str | None]  # a page's source path -> its URL from the site's root


def graph_data(graph: Graph, positions: Mapping[str, tuple[float, float]], url_of: UrlOf) -> dict:
    """What cortex-graph.js draws: the node kinds and edge types in order, every folder that
    holds a note, then the nodes field by field and the edges as index pairs by type."""
    folders = sorted({f for n in graph.nodes.values() if n.folder for f in _with_parents(n.folder)})
    folder_index = {f: i for i, f in enumerate(folders)}
    nodes = list(graph.nodes.values())
    kinds = list(Kind)
    types = list(EdgeType)
    code = {t: i for i, t in enumerate(types)}.__getitem__
    kind_of = np.fromiter(map(code, map(_TYPE, graph.edges)), dtype=np.int8, count=len(graph.edges))
    sources, targets = graph.ends
    edges: dict[str, list[int]] = {}
    for i, t in enumerate(types):  # each type's edges as source, target, source, target, ...
        chosen = kind_of == i
        edges[t.value] = np.stack([sources[chosen], targets[chosen]], axis=1).ravel().tolist()
    return {
        "kinds": [k.value for k in kinds],
        "kindLabels": [KIND_LABELS[k] for k in kinds],
        "folders": folders,
        "page": url_of(GRAPH_PAGE),  # the global graph's page, which a local graph links to
        "local": {"limit": LOCAL_LIMIT, "hub": HUB_DEGREE},  # how far a local graph reaches
        "nodes": {
            "label": [n.label for n in nodes],
            "detail": [n.detail for n in nodes],
            "kind": [kinds.index(n.kind) for n in nodes],
            "url": [_url(n.page, n.anchor, url_of) for n in nodes],
            "folder": [folder_index[n.folder] if n.folder else -1 for n in nodes],
            "x": [positions[n.id][0] for n in nodes],
            "y": [positions[n.id][1] for n in nodes],
        },
        "edges": {kind: pairs for kind, pairs in edges.items() if pairs},
    }


def graph_json(data: dict) -> str:
    """The data as compact JSON without ``<``, ``>``, ``&`` or ``'`` (safe in HTML as text)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_HTML_SPECIAL)


def data_version(text: str) -> str:
    """A short hash of the data file's text, which the pages name it by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def graph_page(graph: Graph, version: str) -> str:
    """The Markdown of the global graph page: a line of counts, how to use it, and the element
    the loader draws in."""
    counts = [
        f"{count} {KIND_LABELS[kind].lower()}"
        for kind in Kind
        if (count := sum(1 for n in graph.nodes.values() if n.kind is kind))
    ]
    summary = (
        f"{', '.join(counts)} and {len(graph.edges)} connections between them."
        if counts
        else "Nothing to show yet."
    )
    return (
        "---\ntitle: Graph\nhide: [navigation, toc]\nsearch: {exclude: true}\n---\n\n"
        "# Graph\n\n"
        f"{summary} Drag to pan, scroll or pinch to zoom. Hover over a node to see its "
        "neighbours and click it to open its page (on a touch screen: tap, then tap again).\n\n"
        f'<div class="{GRAPH_CLASS}" data-graph="{escape(version)}" data-search-exclude>'
        '<p class="cortex-graph-wait">The graph is drawn by a script; '
        "with scripts off it cannot be shown.</p></div>\n"
    )


def local_graph_html(graph: Graph, page: str, url: str | None) -> str:
    """The folded local graph of the note or experiment whose page is ``page`` (a source
    path) and whose node the data file gives ``url``. Empty when the page has no node, or
    the node no neighbour."""
    node_id = graph.page_nodes.get(page)
    direct = graph.degrees.get(node_id, 0) if node_id is not None else 0
    if url is None or not direct:
        return ""
    return (
        f'<details class="{LOCAL_CLASS}" data-search-exclude>'
        f"<summary>Local graph: {direct} connection{'' if direct == 1 else 's'}</summary>"
        f'<div class="{LOCAL_CLASS}-plot" data-node="{escape(url)}"></div>'
        "</details>"
    )


def _url(page: str | None, anchor: str | None, url_of: UrlOf) -> str | None:
    url = url_of(page) if page else None
    if url is None:
        return None
    return f"{url}#{quote(anchor, safe='-_.:~')}" if anchor else url


def _with_parents(folder: str) -> list[str]:
    found = [folder]
    while (folder := posixpath.dirname(folder)) != "":
        found.append(folder)
    return found


@dataclass(frozen=True)
class PublishedGraph:
    """What the site publishes of the graph: the data file's text, its version (which the
    pages name it by), the global page's Markdown, and the graph for the local graphs."""

    graph: Graph
    data: str
    version: str
    page: str
    urls: Mapping[str, str | None]  # a page's source path -> its node's URL in the data file

    def local(self, page: str) -> str:
        return local_graph_html(self.graph, page, self.urls.get(page))


def publish_graph(
    kb: KnowledgeBase, url_of: UrlOf, tags_dir: str, bibliography_page: str, cache_dir: Path | None
) -> PublishedGraph:
    """The graph of ``kb`` laid out (from ``cache_dir`` when its structure is unchanged) and
    made into the site's data file and graph page; ``url_of`` gives a page's URL from the
    site's root, or None for a page the site does not have."""
    graph = build_graph(kb, tags_dir, bibliography_page)
    data = graph_json(graph_data(graph, cached_layout(graph, cache_dir), url_of))
    version = data_version(data)
    urls = {
        page: _url(graph.nodes[node].page, graph.nodes[node].anchor, url_of)
        for page, node in graph.page_nodes.items()
    }
    return PublishedGraph(graph, data, version, graph_page(graph, version), urls)
