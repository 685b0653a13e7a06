"""The knowledge base as one graph: notes, experiments, references, curriculum topics and tags,
joined by typed edges.

Every edge comes from something the model has already read or resolved, so the graph says
nothing that the pages do not: a wikilink resolved the way the page renders it (``links-to``,
``embeds``), a citation the citation index found (``cites``), a reading note's ``cite:`` key
(``reads``), an experiment's ``refs:`` and baselines (``tests``), the ``topics:`` of a note or
an experiment (``advances``), and a tag a note carries (``tagged``).

A node knows the page that shows it (a source path and an anchor) but not its URL: the adapter
that publishes the site knows those. Labels are the user's text as written; whoever writes one
into HTML, JSON or a plot's hover text escapes it there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, partial
from operator import attrgetter

import numpy as np

from cortex.citations.index import BIBLIOGRAPHY_PAGE, anchor
from cortex.citations.latex import latex_to_text
from cortex.curriculum.pages import pillar_page_path
from cortex.experiments.pages import experiment_page_path
from cortex.model import KnowledgeBase
from cortex.notes.kept import PerNote
from cortex.notes.links import resolve_wikilink
from cortex.notes.rendering import tag_page
from cortex.notes.vault import Note

# A local graph shows at most this many nodes, and goes a second hop only through nodes with
# at most HUB_DEGREE neighbours: through a tag or a topic that hundreds of notes share, the
# second hop would be most of the vault.
LOCAL_LIMIT = 30
HUB_DEGREE = 12


class Kind(StrEnum):
    """What a node is; the order is the order of the legend and of the filters."""

    NOTE = "note"
    EXPERIMENT = "experiment"
    REFERENCE = "reference"
    TOPIC = "topic"
    TAG = "tag"


class EdgeType(StrEnum):
    LINKS_TO = "links-to"  # a wikilink from a note to a note
    EMBEDS = "embeds"  # ![[note]]
    CITES = "cites"  # [@key] in the text
    READS = "reads"  # the reading note's `cite:` front-matter key
    TESTS = "tests"  # an experiment's `refs:` and baseline cite keys
    ADVANCES = "advances"  # a note's or an experiment's `topics:`
    TAGGED = "tagged"  # a note carries the tag


@dataclass(frozen=True, slots=True)
class Node:
    id: str  # "<kind>:<key>": note:notes/Foo.md, experiment:fp_formats, reference:kahan1965, ...
    kind: Kind
    label: str  # what a reader calls it: the note's title, "Kahan 1965", "#gpu"
    page: str | None = None  # the source path of the page that shows it (None: no page)
    anchor: str | None = None  # the id inside that page
    detail: str = ""  # a second line for hover text: a paper's title, a topic's pillar
    folder: str = ""  # a note's folder in the content folder ("" at the top)


@dataclass(frozen=True, slots=True, order=True)
class Edge:
    source: str
    target: str
    type: EdgeType


@dataclass
class Graph:
    nodes: dict[str, Node]  # by id, in a stable order: by kind, then by id
    edges: list[Edge] = field(default_factory=list)  # each once, sorted

    @cached_property
    def adjacency(self) -> dict[str, list[str]]:
        """Each node's neighbours (either direction, each once), in node order."""
        order = self.index
        near: dict[str, set[str]] = {node_id: set() for node_id in self.nodes}
        for edge in self.edges:
            near[edge.source].add(edge.target)
            near[edge.target].add(edge.source)
        return {node_id: sorted(found, key=order.__getitem__) for node_id, found in near.items()}

    @cached_property
    def index(self) -> dict[str, int]:
        """Each node's number: its place in ``nodes`` (and in the site's data file)."""
        return {node_id: i for i, node_id in enumerate(self.nodes)}

    @cached_property
    def page_nodes(self) -> dict[str, str]:
        """The node of each note's and experiment's page, by the page's source path."""
        return {
            n.page: n.id for n in self.nodes.values() if n.page and n.kind in (Kind.NOTE, Kind.EXPERIMENT)
        }

    def without(self, kinds: Collection[Kind | str]) -> Graph:
        """The graph with every node of these kinds, and each edge that touches one, left out."""
        dropped = {Kind(k) for k in kinds}
        nodes = {i: n for i, n in self.nodes.items() if n.kind not in dropped}
        return Graph(nodes, [e for e in self.edges if e.source in nodes and e.target in nodes])

    def neighbourhood(
        self, node_id: str, hops: int = 2, limit: int = LOCAL_LIMIT, hub: int = HUB_DEGREE
    ) -> list[str]:
        """The node and its neighbours within ``hops``, nearest first, at most ``limit``; a
        further hop goes only through nodes of at most ``hub`` neighbours, so a local graph
        stays a neighbourhood when it touches a tag every note carries."""
        if node_id not in self.nodes:
            return []
        found = {node_id: 0}
        frontier = [node_id]
        for depth in range(1, hops + 1):
            following = []
            for current in frontier:
                near = self.adjacency[current]
                if depth > 1 and len(near) > hub:
                    continue
                for other in near:
                    if other not in found:
                        if len(found) >= limit:
                            return list(found)
                        found[other] = depth
                        following.append(other)
            frontier = following
        return list(found)

    @cached_property
    def pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """The nodes joined by an edge (of any type, either direction), each pair once, as the
        arrays of their lower and higher numbers, in order."""
        return index_pairs(len(self.nodes), np.stack(self.ends, axis=1))

    @cached_property
    def ends(self) -> tuple[np.ndarray, np.ndarray]:
        """Each edge's source and target, by number, in the order of ``edges``."""
        number, count = self.index.__getitem__, len(self.edges)  # mapped in C: 290,000 edges at 10k notes
        sources = np.fromiter(map(number, map(_SOURCE, self.edges)), dtype=np.int64, count=count)
        targets = np.fromiter(map(number, map(_TARGET, self.edges)), dtype=np.int64, count=count)
        return sources, targets

    @cached_property
    def degrees(self) -> dict[str, int]:
        """How many neighbours each node has (either direction, each once)."""
        low, high = self.pairs
        n = len(self.nodes)
        counts = np.bincount(low, minlength=n) + np.bincount(high[high != low], minlength=n)
        return dict(zip(self.nodes, counts.tolist(), strict=True))

    def structure_hash(self) -> str:
        """A hash of the nodes and of which are joined, not of labels or edge types: what a
        layout depends on."""
        low, high = self.pairs
        h = hashlib.sha256("\0".join(self.nodes).encode())
        h.update(b"\1" + low.astype("<i8").tobytes() + high.astype("<i8").tobytes())
        return h.hexdigest()


_SOURCE, _TARGET = attrgetter("source"), attrgetter("target")
# the last graph's edges by source page: its links, its other edges, and both in order
_merged: dict[str, tuple[list[Edge], set[Edge], list[Edge]]] = {}


def index_pairs(n: int, edges: Sequence[tuple[int, int]] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Undirected edges between ``n`` numbered nodes, each once, as the arrays of their lower
    and higher ends, in order."""
    ends = np.array(edges, dtype=np.int64).reshape(-1, 2)
    keys = np.sort(ends.min(axis=1) * n + ends.max(axis=1))
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))] if len(keys) else keys
    return keys // max(n, 1), keys % max(n, 1)


def build_graph(
    kb: KnowledgeBase,
    tags_dir: str = "tags",
    bibliography_page: str = BIBLIOGRAPHY_PAGE,
    without: Iterable[Kind | str] = (),
) -> Graph:
    """The graph of a loaded knowledge base. ``tags_dir`` and ``bibliography_page`` say where
    the site puts tag pages and the bibliography; ``without`` leaves kinds of node out."""
    builder = _Builder(kb, tags_dir, bibliography_page)
    builder.add_pages()
    builder.add_topics()
    graph = builder.graph()
    dropped = list(without)
    return graph.without(dropped) if dropped else graph


def _edge_order(edge: Edge) -> tuple[str, str, str]:
    return (edge.source, edge.target, edge.type)


class _Builder:
    def __init__(self, kb: KnowledgeBase, tags_dir: str, bibliography_page: str) -> None:
        self.kb = kb
        self.tags_dir = tags_dir
        self.bibliography_page = bibliography_page
        self.nodes: dict[str, Node] = {}
        self.page_nodes: dict[str, str] = {}  # note path -> node id
        specs = {s.id: s for s in kb.specs}
        self.spec_of = {experiment_page_path(i): s for i, s in specs.items()}
        self.tag_names = {tag.lower(): tag for tag in kb.tags}  # the spelling the tag pages use
        listed = kb.citations.listed_keys() if kb.citations else []
        self.listed = {key.lower() for key in listed}
        self.links: dict[str, list[Edge]] = {}  # a page's links and embeds, by its node, in order
        self.others: dict[str, set[Edge]] = {}  # its tags, citations and topics, by its node

    def graph(self) -> Graph:
        kinds = list(Kind)
        order = sorted(self.nodes.values(), key=lambda n: (kinds.index(n.kind), n.id))
        # every edge leaves a page's node: in order of their source, then of each page's own
        # (which is the order of the edges as values, by key rather than by the dataclass'
        # own comparison, several times slower on the hundreds of thousands of a large vault)
        # (a page's links kept from the last build, the same list, and the same few others:
        # its edges as they were, not hashed and sorted again)
        edges: list[Edge] = []
        kept = dict(_merged)
        _merged.clear()
        for source in sorted(self.links.keys() | self.others.keys()):
            links, others = self.links.get(source, []), self.others.get(source)
            if not others:
                edges += links
                continue
            merged = kept.get(source)
            if merged is None or merged[0] is not links or merged[1] != others:
                merged = (links, others, sorted(others.union(links), key=_edge_order))
            _merged[source] = merged
            edges += merged[2]
        return Graph({n.id: n for n in order}, edges)

    def add_pages(self) -> None:
        notes = self.kb.vault.notes
        for path, note in notes.items():
            spec = self.spec_of.get(path) if note.virtual else None
            if note.virtual and spec is None:
                continue
            if spec is not None:
                node = Node(
                    f"{Kind.EXPERIMENT}:{spec.id}", Kind.EXPERIMENT, spec.title, path, detail=spec.status
                )
            else:
                node = Node(f"{Kind.NOTE}:{path}", Kind.NOTE, note.title, path, folder=note.folder)
            self.nodes[node.id] = node
            self.page_nodes[path] = node.id
        # a page's links land where the vault's names say, on the nodes its pages make: for the
        # same ones, a note whose text is unchanged has the same links (a preview rebuilds often)
        pages = repr((self.kb.vault.names, sorted(self.page_nodes.items())))
        for path, note in notes.items():
            source = self.page_nodes.get(path)
            if source is None:
                continue
            self.links[source] = _kept_links.get(pages, note, partial(self._links_of, source=source))
            for tag in note.tags:
                name = self.tag_names.get(tag.lower(), tag)
                self._node(Node(f"{Kind.TAG}:{name}", Kind.TAG, f"#{name}", tag_page(name, self.tags_dir)))
                self._edge(Edge(source, f"{Kind.TAG}:{name}", EdgeType.TAGGED))
            self._add_citations(path, source)

    def _links_of(self, note: Note, *, source: str) -> list[Edge]:
        """The edges of a page's links and embeds to other pages, each once, in order."""
        found = set()
        for link in note.links:
            target = resolve_wikilink(self.kb.vault, link, note).path
            if target is not None and target != note.path and target in self.page_nodes:
                kind = EdgeType.EMBEDS if link.embed else EdgeType.LINKS_TO
                found.add(Edge(source, self.page_nodes[target], kind))
        return sorted(found, key=_edge_order)

    def _edge(self, edge: Edge) -> None:
        self.others.setdefault(edge.source, set()).add(edge)

    def _add_citations(self, path: str, source: str) -> None:
        index = self.kb.citations
        if index is None:
            return
        spec = self.spec_of.get(path)
        tested = [*spec.refs, *(b.cite for b in spec.baselines)] if spec else []
        page = index.pages.get(path)
        for keys, kind in (
            (tested, EdgeType.TESTS),
            (page.notes_on if page else [], EdgeType.READS),
            (page.keys if page else [], EdgeType.CITES),
        ):
            for key in keys:
                target = self._reference(key)
                known = self.others.get(source, set())
                if target is not None and not any(Edge(source, target, t) in known for t in EdgeType):
                    self._edge(Edge(source, target, kind))

    def _reference(self, key: str) -> str | None:
        """The node of a bibliography entry, added on first use; None for an unknown key."""
        bibliography = self.kb.bibliography
        if bibliography is None or key not in bibliography or self.kb.citations is None:
            return None
        ref = bibliography[key]
        node_id = f"{Kind.REFERENCE}:{ref.key}"
        if node_id not in self.nodes:
            authors, year = self.kb.citations.author_year(ref.key)
            label = " ".join(part for part in (authors, year) if part) or ref.key
            listed = ref.key.lower() in self.listed
            self.nodes[node_id] = Node(
                node_id,
                Kind.REFERENCE,
                label,
                self.bibliography_page if listed else None,
                anchor(ref.key) if listed else None,
                detail=latex_to_text(ref.fields.get("title", "")),
            )
        return node_id

    def add_topics(self) -> None:
        curriculum = self.kb.curriculum
        if curriculum is None:
            return
        for pillar in curriculum.pillars:
            for topic in pillar.topics:
                self._node(
                    Node(
                        f"{Kind.TOPIC}:{topic.id}",
                        Kind.TOPIC,
                        topic.title,
                        pillar_page_path(pillar.id),
                        topic.id,
                        detail=pillar.title,
                    )
                )
        for path, source in self.page_nodes.items():
            spec = self.spec_of.get(path)
            names = spec.topics if spec else self.kb.vault.notes[path].meta.get("topics")
            for name in names if isinstance(names, list) else [names]:
                named = curriculum.topic(name) if isinstance(name, str) else None
                if named is not None:  # a name that names no topic is reported by the model
                    self._edge(Edge(source, f"{Kind.TOPIC}:{named.id}", EdgeType.ADVANCES))

    def _node(self, node: Node) -> None:
        self.nodes.setdefault(node.id, node)


_kept_links: PerNote[list[Edge]] = PerNote()
