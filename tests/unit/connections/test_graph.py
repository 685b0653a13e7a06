"""The graph of a small project: its nodes and typed edges, a kind left out, hostile labels
escaped where they are written, neighbourhoods, the layout and its cache."""

from __future__ import annotations

import json
import math
import random
import re

import pytest
from support.graph_vault import BOUNDS, HOSTILE, HOSTILE_TITLE, KAHAN, READING, graph_project

from cortex.connections import graph as graph_module
from cortex.connections import graph_layout
from cortex.connections.graph import Edge, EdgeType, Graph, Kind, Node, build_graph
from cortex.connections.graph_layout import EXTENT, cached_layout, force_layout, layout
from cortex.connections.graph_page import (
    GRAPH_PAGE,
    data_version,
    graph_data,
    graph_json,
    graph_page,
    local_graph_html,
)
from cortex.model import load


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    root = graph_project(tmp_path_factory.mktemp("graph") / "kb")
    kb = load(root / "content", root=root)
    assert kb.errors == [], kb.errors
    return kb


@pytest.fixture(scope="module")
def graph(kb) -> Graph:
    return build_graph(kb)


def note(path: str) -> str:
    return f"note:{path}"


def test_every_kind_of_node_with_its_page(graph):
    nodes = {(n.id, n.kind, n.page, n.anchor) for n in graph.nodes.values()}
    assert nodes == {
        (note("index.md"), Kind.NOTE, "index.md", None),
        (note(KAHAN), Kind.NOTE, KAHAN, None),
        (note(BOUNDS), Kind.NOTE, BOUNDS, None),
        (note(READING), Kind.NOTE, READING, None),
        (note(HOSTILE), Kind.NOTE, HOSTILE, None),
        ("experiment:sums", Kind.EXPERIMENT, "experiments/sums.md", None),
        ("reference:kahan1965", Kind.REFERENCE, "bibliography.md", "ref-kahan1965"),
        ("reference:higham1993", Kind.REFERENCE, "bibliography.md", "ref-higham1993"),
        ("reference:dao2022", Kind.REFERENCE, None, None),  # only a baseline: not on the bibliography page
        ("topic:linear-algebra", Kind.TOPIC, "curriculum/foundations.md", "linear-algebra"),
        ("topic:gpus", Kind.TOPIC, "curriculum/foundations.md", "gpus"),
        ("topic:unused", Kind.TOPIC, "curriculum/foundations.md", "unused"),  # studied by nobody, still shown
        ("tag:numerics", Kind.TAG, "tags/numerics.md", None),
        ("tag:method", Kind.TAG, "tags/method.md", None),
    }  # the paper that nothing cites, reads or tests is not a node
    assert graph.nodes["reference:kahan1965"].label == "Kahan 1965"
    assert graph.nodes["reference:kahan1965"].detail == "Further remarks on reducing truncation errors"
    assert graph.nodes[note(HOSTILE)].label == HOSTILE_TITLE
    assert graph.nodes[note(KAHAN)].folder == "numerics"
    kinds = [n.kind for n in graph.nodes.values()]
    assert kinds == sorted(kinds, key=list(Kind).index)  # the data file's order: by kind


def test_typed_edges_from_what_the_model_resolved(graph):
    assert set(graph.edges) == {
        Edge(note("index.md"), note(KAHAN), EdgeType.LINKS_TO),
        Edge(note(KAHAN), note(BOUNDS), EdgeType.LINKS_TO),  # [[Error Bounds#Bound]]
        Edge(note(KAHAN), note(BOUNDS), EdgeType.EMBEDS),  # ![[Error Bounds]]
        Edge(note(KAHAN), "reference:kahan1965", EdgeType.CITES),
        Edge(note(KAHAN), "tag:numerics", EdgeType.TAGGED),  # front matter
        Edge(note(KAHAN), "tag:method", EdgeType.TAGGED),  # inline
        Edge(note(KAHAN), "topic:linear-algebra", EdgeType.ADVANCES),
        Edge(note(READING), "reference:higham1993", EdgeType.READS),  # cite: in front matter
        Edge(note(HOSTILE), note(KAHAN), EdgeType.LINKS_TO),
        Edge(note(HOSTILE), "tag:numerics", EdgeType.TAGGED),
        Edge("experiment:sums", "reference:higham1993", EdgeType.TESTS),  # refs:
        Edge("experiment:sums", "reference:dao2022", EdgeType.TESTS),  # a baseline's cite
        Edge("experiment:sums", "reference:kahan1965", EdgeType.CITES),  # [@kahan1965] in its prose
        Edge("experiment:sums", "topic:gpus", EdgeType.ADVANCES),
    }
    assert graph.edges == sorted(graph.edges)


def test_a_kind_left_out_takes_its_edges_along(kb, graph):
    without_tags = build_graph(kb, without=["tag"])
    assert not any(n.kind is Kind.TAG for n in without_tags.nodes.values())
    assert not any(e.type is EdgeType.TAGGED for e in without_tags.edges)
    assert set(without_tags.edges) == {e for e in graph.edges if e.type is not EdgeType.TAGGED}
    no_papers = graph.without([Kind.REFERENCE])
    assert {n.kind for n in no_papers.nodes.values()} == {Kind.NOTE, Kind.EXPERIMENT, Kind.TOPIC, Kind.TAG}
    assert all(not e.target.startswith("reference:") for e in no_papers.edges)
    assert len(no_papers.nodes) == len(graph.nodes) - 3


def test_a_graph_built_again_after_edits_is_the_graph_a_first_build_makes(tmp_path, monkeypatch):
    """A page's links are kept between builds (a preview's): after each edit the graph equals
    one built with nothing kept, and differs from the one before."""
    root = graph_project(tmp_path / "kb")
    content = root / "content"

    def built() -> Graph:
        kb = load(content, root=root)
        again = build_graph(kb)
        monkeypatch.setattr(graph_module, "_kept_links", graph_module.PerNote())
        first = build_graph(kb)
        assert again.nodes == first.nodes and again.edges == first.edges
        return again

    before = built()
    steps = [
        lambda: (content / "index.md").write_text("# Home\n\nStart at [[Error Bounds]].\n"),  # a link changed
        lambda: (content / BOUNDS).rename(content / "numerics/Bounds.md"),  # a target renamed: unresolved
        lambda: (content / "notes/New.md").write_text("Links [[Bounds]] and [[Kahan Summation]].\n"),
        lambda: (root / "experiments/sums.md").unlink(),  # a page's node goes (with the experiment)
        # a paper the unchanged notes cite goes from refs/: their links are kept, their citations not
        lambda: (root / "refs/refs.bib").write_text(
            re.sub(r"@article\{kahan1965.*?\n(?=@)", "", (root / "refs/refs.bib").read_text(), flags=re.S)
        ),
    ]
    for step in steps:
        step()
        after = built()
        assert after.edges != before.edges
        before = after


def test_hostile_labels_are_escaped_in_the_json_and_the_html(graph):
    positions = layout(graph)
    text = graph_json(graph_data(graph, positions, lambda src: src.removesuffix(".md") + "/"))
    for special in "<>&'":
        assert special not in text  # \u escapes: plain text inside any HTML element
    data = json.loads(text)
    assert HOSTILE_TITLE in data["nodes"]["label"]  # the same text, read back
    page = graph_page(graph, data_version(text))
    assert "<img" not in page and HOSTILE_TITLE not in page
    hostile_version = '"><script>alert(1)</script>'
    html = local_graph_html(graph, KAHAN, hostile_version)
    assert "<script>" not in html and "&#34;&gt;&lt;script&gt;" in html


def test_the_data_file_is_columnar(graph):
    positions = layout(graph)
    data = graph_data(graph, positions, lambda src: None if src == "bibliography.md" else f"/{src}")
    nodes = data["nodes"]
    order = list(graph.nodes)
    assert data["kinds"] == [k.value for k in Kind]
    assert all(len(column) == len(order) for column in nodes.values())
    assert nodes["url"][order.index(note(KAHAN))] == f"/{KAHAN}"
    assert nodes["url"][order.index("topic:gpus")] == "/curriculum/foundations.md#gpus"
    assert nodes["url"][order.index("reference:kahan1965")] is None  # the site has no such page
    assert data["page"] == f"/{GRAPH_PAGE}"
    assert data["folders"] == ["notes", "numerics", "reading"]
    assert nodes["folder"][order.index(note(KAHAN))] == 1
    assert nodes["folder"][order.index("topic:gpus")] == -1
    embeds = data["edges"]["embeds"]
    assert [order[i] for i in embeds] == [note(KAHAN), note(BOUNDS)]
    assert sum(len(pairs) for pairs in data["edges"].values()) == 2 * len(graph.edges)


def test_a_local_graph_names_its_node_and_counts_its_connections(graph):
    html = local_graph_html(graph, KAHAN, "/notes/kahan/?a=<b>")
    assert 'data-node="/notes/kahan/?a=&lt;b&gt;"' in html  # the node's URL in the data file, escaped
    direct = len(set(graph.adjacency[note(KAHAN)]))
    assert direct >= 2 and f"Local graph: {direct} connections</summary>" in html
    assert "<details" in html and "open" not in html  # folded until the reader opens it
    assert local_graph_html(graph, "nowhere.md", "/x/") == ""
    assert local_graph_html(graph, KAHAN, None) == ""  # a node the data file has no page for


def star_graph(leaves: int) -> Graph:
    """A hub tag on ``leaves`` notes, and a chain a - b - c - d from the first of them."""
    nodes = [Node(f"note:{i}", Kind.NOTE, str(i)) for i in range(leaves)]
    nodes += [Node(f"note:{x}", Kind.NOTE, x) for x in "abcd"] + [Node("tag:hub", Kind.TAG, "#hub")]
    edges = [Edge(f"note:{i}", "tag:hub", EdgeType.TAGGED) for i in range(leaves)]
    edges += [Edge(f"note:{x}", f"note:{y}", EdgeType.LINKS_TO) for x, y in ("0a", "ab", "bc", "cd")]
    return Graph({n.id: n for n in nodes}, sorted(edges))


def test_a_neighbourhood_goes_two_hops_but_not_through_a_hub():
    graph = star_graph(40)
    near = graph.neighbourhood("note:a")
    assert near[0] == "note:a"
    assert set(near) == {"note:a", "note:0", "note:b", "note:c", "tag:hub"}  # not d: three hops
    # note:0's tag has 40 notes: the second hop does not go through it
    assert not any(n.startswith("note:") and n[5:].isdigit() for n in near if n != "note:0")
    assert len(graph.neighbourhood("tag:hub", limit=10)) == 10
    assert graph.neighbourhood("note:a", hops=1) == ["note:a", "note:0", "note:b"]
    assert graph.neighbourhood("note:missing") == []


def test_the_layout_is_deterministic_and_fills_its_extent(graph):
    first = layout(graph)
    assert first == layout(graph)
    xs = [x for x, _ in first.values()]
    ys = [y for _, y in first.values()]
    assert min(xs) == 0 or min(ys) == 0
    assert max(max(xs), max(ys)) == pytest.approx(EXTENT)
    assert len(set(first.values())) == len(first)  # no two nodes on one spot


def test_nodes_without_edges_ring_the_rest(graph):
    positions = layout(graph)
    linked = {e.source for e in graph.edges} | {e.target for e in graph.edges}
    core = [positions[n] for n in graph.nodes if n in linked]
    cx = sum(x for x, _ in core) / len(core)
    cy = sum(y for _, y in core) / len(core)
    reach = max(math.dist((cx, cy), p) for p in core)
    assert math.dist((cx, cy), positions["topic:unused"]) > reach


def test_a_large_layout_keeps_linked_nodes_close():
    """Above EXACT_BELOW nodes only near nodes push each other: linked nodes still end up
    much closer than nodes taken at random."""
    rng = random.Random(1)
    n = 900
    clusters = [list(range(i, i + 30)) for i in range(0, n, 30)]
    edges = {(min(a, b), max(a, b)) for c in clusters for a in c for b in rng.sample(c, 4) if a != b}
    positions = force_layout(n, [a for a, _ in edges], [b for _, b in edges], iterations=60)
    assert n > graph_layout.EXACT_BELOW
    assert all(math.isfinite(x) and math.isfinite(y) for x, y in positions)
    linked = sum(math.dist(positions[a], positions[b]) for a, b in edges) / len(edges)
    pairs = [(rng.randrange(n), rng.randrange(n)) for _ in range(3000)]
    anywhere = sum(math.dist(positions[a], positions[b]) for a, b in pairs) / len(pairs)
    assert linked < anywhere / 4


def test_a_layout_is_cached_by_the_graph_structure(graph, tmp_path, monkeypatch):
    calls = []
    real = graph_layout.layout
    monkeypatch.setattr(graph_layout, "layout", lambda g, **kw: calls.append(g) or real(g, **kw))
    first = cached_layout(graph, tmp_path)
    assert cached_layout(graph, tmp_path) == first
    assert len(calls) == 1  # the second read the cache
    relabelled = Graph(
        {i: Node(n.id, n.kind, n.label.upper(), n.page) for i, n in graph.nodes.items()}, graph.edges
    )
    assert cached_layout(relabelled, tmp_path) == first  # labels are not structure
    assert len(calls) == 1
    fewer = graph.without([Kind.TAG])
    cached_layout(fewer, tmp_path)
    assert len(calls) == 2
    assert len(list((tmp_path / graph_layout.CACHE_FOLDER).glob("*.json"))) == 1  # only the latest kept


def test_a_graph_with_a_new_link_starts_from_the_last_layout(tmp_path, monkeypatch):
    """A new link (most nodes were laid out before) moves the kept layout a little, in a fifth
    of the steps; a graph mostly new is laid out from its seed."""
    rng = random.Random(2)
    nodes = {f"note:{i}": Node(f"note:{i}", Kind.NOTE, str(i)) for i in range(200)}
    pairs = {(a, b) for a in range(200) for b in rng.sample(range(200), 3) if a < b}
    edges = [Edge(f"note:{a}", f"note:{b}", EdgeType.LINKS_TO) for a, b in sorted(pairs)]
    before = cached_layout(Graph(nodes, edges), tmp_path)
    starts = []
    real = graph_layout.layout
    monkeypatch.setattr(
        graph_layout, "layout", lambda g, **kw: starts.append(kw["previous"]) or real(g, **kw)
    )
    new = [*edges, Edge("note:0", "note:199", EdgeType.LINKS_TO)]
    after = cached_layout(Graph(nodes, sorted(new)), tmp_path)
    assert starts == [before]  # started from the kept layout
    assert after != before and after == real(Graph(nodes, sorted(new)), previous=before)  # deterministic
    moved = sorted(math.dist(before[n], after[n]) for n in nodes)
    assert moved[len(moved) // 2] < EXTENT / 10  # most nodes stay about where they were
    assert all(0.0 <= x <= EXTENT and 0.0 <= y <= EXTENT for x, y in after.values())
    others = {f"other:{i}": Node(f"other:{i}", Kind.NOTE, str(i)) for i in range(200)}
    cached_layout(Graph({**dict(list(nodes.items())[:20]), **others}, []), tmp_path)
    assert starts[-1] is None  # mostly new: from its seed


def _clustered(n: int, seed: int) -> tuple[dict[str, Node], list[Edge]]:
    """A graph of ``n`` notes in clusters of 30, each linking four of its cluster."""
    rng = random.Random(seed)
    nodes = {f"note:{i:04d}": Node(f"note:{i:04d}", Kind.NOTE, str(i)) for i in range(n)}
    pairs = {
        (min(a, b), max(a, b)) for a in range(n) for b in rng.sample(range(a - a % 30, a - a % 30 + 30), 4)
    }
    return nodes, sorted(
        Edge(f"note:{a:04d}", f"note:{b:04d}", EdgeType.LINKS_TO) for a, b in pairs if a != b
    )


def test_in_a_large_graph_only_the_nodes_a_change_touched_move(tmp_path):
    """Above EXACT_BELOW nodes, a new link or a new note moves only the nodes whose neighbours
    changed (the cache knows each node's neighbours), and they settle near their new ones."""
    nodes, edges = _clustered(900, 3)
    assert len(nodes) > graph_layout.EXACT_BELOW
    before = cached_layout(Graph(nodes, edges), tmp_path)
    a, b = "note:0005", "note:0600"  # in clusters far apart
    linked = sorted([*edges, Edge(a, b, EdgeType.LINKS_TO)])
    after = cached_layout(Graph(nodes, linked), tmp_path)
    assert {n for n in nodes if after[n] != before[n]} == {a, b}
    assert after == layout(
        Graph(nodes, linked), previous=before, previous_pairs=(list(nodes), *Graph(nodes, edges).pairs)
    )  # deterministic
    assert math.dist(after[a], after[b]) < math.dist(before[a], before[b])

    new = "note:new"
    near = ["note:0300", "note:0301", "note:0302"]
    grown = {**nodes, new: Node(new, Kind.NOTE, "new")}
    grown_edges = sorted([*linked, *(Edge(new, m, EdgeType.LINKS_TO) for m in near)])
    placed = cached_layout(Graph(grown, grown_edges), tmp_path)
    assert {n for n in nodes if placed[n] != after[n]} == set(near)
    assert all(math.dist(placed[m], after[m]) < EXTENT / 10 for m in near)  # they make room
    rng = random.Random(5)
    anywhere = [math.dist(placed[f"note:{rng.randrange(900):04d}"], placed[new]) for _ in range(500)]
    assert all(math.dist(placed[new], placed[m]) < sum(anywhere) / len(anywhere) / 4 for m in near)
    assert all(0.0 <= x <= EXTENT and 0.0 <= y <= EXTENT for x, y in placed.values())


def test_a_large_graph_that_changed_more_or_a_layout_without_pairs_is_laid_out_from_its_seed(tmp_path):
    """Started again and again from a kept layout with every node moving, a large graph's core
    drew in while its rim stayed out: a larger change lays it out anew instead."""
    nodes, edges = _clustered(900, 4)
    cached_layout(Graph(nodes, edges), tmp_path)
    # more than LOCAL_SHARE of the nodes get a new neighbour
    many = sorted(
        {*edges, *(Edge(f"note:{i:04d}", f"note:{i + 450:04d}", EdgeType.LINKS_TO) for i in range(0, 40))}
    )
    after = cached_layout(Graph(nodes, many), tmp_path)
    assert after == layout(Graph(nodes, many))
    # a kept layout from before the cache had the pairs of nodes: it cannot tell what changed
    kept = next((tmp_path / graph_layout.CACHE_FOLDER).glob("*.json"))
    stored = json.loads(kept.read_text("utf-8"))
    del stored["low"], stored["high"]
    kept.write_text(json.dumps(stored), "utf-8")
    one_more = sorted([*many, Edge("note:0001", "note:0700", EdgeType.LINKS_TO)])
    assert cached_layout(Graph(nodes, one_more), tmp_path) == layout(Graph(nodes, one_more))


@pytest.mark.parametrize(("n", "edges"), [(1, []), (1, [(0, 0)]), (2, [(0, 1)]), (3, [(0, 1)])])
def test_tiny_graphs_are_laid_out(n, edges):
    """A lone node, a note linking only itself, a linked pair: nothing to push against, and
    still positions inside the extent."""
    positions = force_layout(n, [a for a, _ in edges], [b for _, b in edges])
    assert len(positions) == n
    assert all(0.0 <= x <= EXTENT and 0.0 <= y <= EXTENT for x, y in positions)


def test_a_node_s_degree_counts_its_neighbours_once(graph):
    for node_id, near in graph.adjacency.items():
        assert graph.degrees[node_id] == len(set(near))
    # the home page and the hostile note link to it; it links to and embeds Error Bounds, cites
    # a paper, carries two tags and advances a topic
    assert graph.degrees[note(KAHAN)] == 7
