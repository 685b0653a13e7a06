"""Where each node of the graph is drawn, worked out when the site is built, so a reader's
browser only draws: a force layout that stays fast at ten thousand notes.

The layout is Fruchterman and Reingold's (edges pull their ends together, nodes push each
other apart, the steps cool down), with each node's push weighted by its degree as in
ForceAtlas2, so hubs (a tag, a much-cited paper) get room around them. A small graph feels the
push of every node. A large one feels that of its nearest few dozen nodes exactly (found with
a k-d tree) and that of everything else through a coarse grid, each cell pushing with its mass
from its centre of mass: each step is then about linear in the nodes and edges, and clusters
still separate as they do under the full push. A weak pull to the centre keeps separate
components in view, and nodes without edges are set in a ring round the rest.

It is deterministic (a fixed seed), and a layout is kept in the cache folder under the hash of
the graph's structure, so a build whose nodes and edges did not change does not lay it out
again. A graph that changed a little since the layout in the cache (a link, a note: most of its
nodes were laid out there) starts from that layout and takes a fifth of the steps, cooler: a
preview's rebuild after a new link moves the graph a little instead of laying it all out anew.
So a layout depends on the one before it in the cache; without the cache, or after a larger
change, the graph is laid out from its seed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from cortex.connections.graph import Graph
from cortex.files import atomic_write_text

LAYOUT_VERSION = 2  # part of the cache key: a change to the algorithm lays every graph out again
EXTENT = 1000.0  # positions are scaled into [0, EXTENT] on the longer side
EXACT_BELOW = 600  # nodes: below this every node pushes every other
GRID = 16  # in a larger graph, the far push comes from the cells of a GRID × GRID grid
NEIGHBOURS = 24  # in a larger graph, about how many nearest nodes push each node
GRAVITY = 0.2
REPULSION = 1.0
CACHE_FOLDER = "graph-layout"
WARM_KEPT = 0.9  # a graph starts from the last layout when at least this share of its nodes are in it
WARM_SHARE = 0.2  # and takes this share of the steps


def layout(
    graph: Graph,
    iterations: int | None = None,
    seed: int = 0,
    previous: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, tuple[float, float]]:
    """Each node's position, scaled into [0, EXTENT] and rounded to one decimal; from the
    positions of ``previous`` (an earlier layout of a graph much like it) where it has them."""
    index = {node_id: i for i, node_id in enumerate(graph.nodes)}
    pairs = sorted({tuple(sorted((index[e.source], index[e.target]))) for e in graph.edges})
    sources = [a for a, _ in pairs]
    targets = [b for _, b in pairs]
    start = None if previous is None else [previous.get(node_id) for node_id in graph.nodes]
    positions = force_layout(len(index), sources, targets, iterations=iterations, seed=seed, start=start)
    return dict(zip(graph.nodes, positions, strict=True))


def force_layout(
    n: int,
    sources: list[int],
    targets: list[int],
    iterations: int | None = None,
    seed: int = 0,
    start: Sequence[tuple[float, float] | None] | None = None,
) -> list[tuple[float, float]]:
    """Positions of ``n`` nodes joined by the undirected edges ``sources[i]``-``targets[i]``;
    ``start``: each node's position in an earlier layout, or None, to start from."""
    import numpy as np

    if n == 0:
        return []
    src = np.asarray(sources, dtype=np.intp)
    dst = np.asarray(targets, dtype=np.intp)
    degree = np.bincount(src, minlength=n) + np.bincount(dst, minlength=n)
    linked = np.flatnonzero(degree)
    renumber = np.full(n, -1, dtype=np.intp)
    renumber[linked] = np.arange(len(linked))
    pos = np.zeros((n, 2))
    if len(linked):
        pos[linked] = _forces(
            renumber[src],
            renumber[dst],
            1.0 + degree[linked],
            iterations,
            np.random.default_rng(seed),
            None if start is None else [start[int(i)] for i in linked],
        )
    pos[degree == 0] = _around(pos[linked], int(n - len(linked)))
    return _scaled(pos)


def _forces(src, dst, mass, iterations: int | None, rng, start=None):
    """The force layout of nodes that all have an edge (``mass``: 1 + degree), from ``start``
    (their positions in an earlier layout, or None each) when given."""
    import numpy as np
    from scipy.spatial import cKDTree

    n = len(mass)
    # start in a disc where each node has about one unit of area: the push then starts balanced
    radius = max(1.0, float(np.sqrt(n / np.pi)))
    r = radius * np.sqrt(rng.random(n))
    angle = 2 * np.pi * rng.random(n)
    pos = np.column_stack((r * np.cos(angle), r * np.sin(angle)))
    exact = n < EXACT_BELOW
    # the push in units where an edge between two nodes of the mean mass is about one long,
    # which is what the cut-off of a large graph is measured in
    strength = REPULSION / float(mass.mean()) ** 2
    if exact:
        all_i, all_j = np.triu_indices(n, 1)
    steps = iterations if iterations is not None else (300 if exact else 80)
    heat_start = radius / 3
    if start is not None and any(p is not None for p in start):
        pos = _warm_start(pos, start, src, dst, radius)
        steps, heat_start = max(10, round(steps * WARM_SHARE)), radius / 30
    for step in range(steps):
        heat = heat_start * (1 - step / steps) + 0.02
        if exact:
            i, j = all_i, all_j
        else:
            # the reach that finds about NEIGHBOURS nodes around each, however dense the
            # layout is at this step: the work of a step stays linear in the nodes
            spread = float(np.sqrt(2 * np.mean(np.einsum("ij,ij->i", pos, pos))))
            found = cKDTree(pos).query_pairs(spread * np.sqrt(NEIGHBOURS / n), output_type="ndarray")
            i, j = found[:, 0], found[:, 1]
        delta = pos[i] - pos[j]
        dist2 = np.maximum(np.einsum("ij,ij->i", delta, delta), 1e-4)
        push = delta * (strength * mass[i] * mass[j] / dist2)[:, None]
        move = _summed(i, push, n) - _summed(j, push, n)
        if not exact:
            move += _far_push(pos, mass, strength)
        pull = pos[src] - pos[dst]
        move += _summed(dst, pull, n) - _summed(src, pull, n)
        move -= GRAVITY * mass[:, None] * pos
        length = np.maximum(np.sqrt(np.einsum("ij,ij->i", move, move)), 1e-9)
        pos += move * (np.minimum(length, heat) / length)[:, None]
    return pos


def _warm_start(pos, start, src, dst, radius: float):
    """The earlier layout's positions, moved and scaled onto the disc a fresh layout starts in;
    a node it lacks starts among its neighbours that it has (else where ``pos`` puts it)."""
    import numpy as np

    known = np.array([p is not None for p in start])
    old = np.array([p if p is not None else (0.0, 0.0) for p in start], dtype=np.float64)
    centre = old[known].mean(axis=0)
    spread = float(np.sqrt(((old[known] - centre) ** 2).sum(axis=1).mean())) or 1.0
    warm = pos.copy()
    warm[known] = (old[known] - centre) * (radius / np.sqrt(2) / spread)
    ends = np.concatenate((src, dst))
    others = np.concatenate((dst, src))
    placed = known[others]  # an edge end whose other end has a position
    count = np.bincount(ends[placed], minlength=len(start))
    for axis in (0, 1):
        total = np.bincount(ends[placed], warm[others[placed], axis], minlength=len(start))
        fill = ~known & (count > 0)
        warm[fill, axis] = total[fill] / count[fill] + 0.01 * pos[fill, axis]  # apart, not on one spot
    return warm


def _around(core, count: int):
    """Positions for ``count`` nodes without edges: a ring of about the core's density just
    outside it (a sunflower's spiral, so any number of them packs evenly)."""
    import numpy as np

    if len(core):
        centre = core.mean(axis=0)
        reach = float(np.sqrt(((core - centre) ** 2).sum(axis=1)).max())
        area = max(np.pi * reach**2 / len(core), 1.0)
    else:
        centre, reach, area = np.zeros(2), 0.0, 1.0
    inner = reach + np.sqrt(area) if len(core) else 0.0
    k = np.arange(count)
    r = np.sqrt(inner**2 + (k + 0.5) * area / np.pi)
    angle = k * np.pi * (3 - np.sqrt(5))  # the golden angle
    return centre + np.column_stack((r * np.cos(angle), r * np.sin(angle)))


def _far_push(pos, mass, strength):
    """The push of the whole layout on each node, from the masses of a coarse grid's cells
    at their centres of mass (softened by a cell's size, so a near cell pushes smoothly): what
    gives a large graph its shape beyond the nearest neighbours, at GRID² work per node."""
    import numpy as np

    low = pos.min(axis=0)
    size = float((pos.max(axis=0) - low).max()) / GRID or 1.0
    cell = np.minimum(((pos - low) / size).astype(np.intp), GRID - 1)
    flat = cell[:, 0] * GRID + cell[:, 1]
    total = np.bincount(flat, mass, minlength=GRID * GRID)
    used = np.flatnonzero(total)
    centre = (
        np.column_stack(
            (
                np.bincount(flat, mass * pos[:, 0], GRID * GRID)[used],
                np.bincount(flat, mass * pos[:, 1], GRID * GRID)[used],
            )
        )
        / total[used, None]
    )
    delta = pos[:, None, :] - centre[None, :, :]
    weight = total[used][None, :] / (np.einsum("ijk,ijk->ij", delta, delta) + size * size)
    return strength * mass[:, None] * np.einsum("ij,ijk->ik", weight, delta)


def _summed(index, values, n: int):
    """Row sums of ``values`` grouped by ``index`` (np.add.at, several times faster). Floats
    even when nothing is summed: ``bincount`` of an empty index gives integers."""
    import numpy as np

    return np.column_stack(
        (np.bincount(index, values[:, 0], minlength=n), np.bincount(index, values[:, 1], minlength=n))
    ).astype(np.float64, copy=False)


def _scaled(pos) -> list[tuple[float, float]]:
    low = pos.min(axis=0)
    span = float((pos.max(axis=0) - low).max()) or 1.0
    scaled = (pos - low) * (EXTENT / span)
    return [(round(float(x), 1), round(float(y), 1)) for x, y in scaled]


def cached_layout(graph: Graph, cache_dir: Path | None) -> dict[str, tuple[float, float]]:
    """``layout(graph)``, read from ``cache_dir`` when a graph of the same structure was laid
    out before, else started from the layout kept there when most of the graph's nodes are in
    it. Only the latest layout is kept."""
    if cache_dir is None:
        return layout(graph)
    key = f"v{LAYOUT_VERSION}-{graph.structure_hash()}"
    folder = cache_dir / CACHE_FOLDER
    path = folder / f"{key}.json"
    stored = _read_layout(path)
    if stored is not None and stored.keys() == graph.nodes.keys():
        return stored
    kept = [p for p in sorted(folder.glob(f"v{LAYOUT_VERSION}-*.json")) if p != path]
    previous = _read_layout(kept[0]) if kept else None
    if previous is not None and sum(node_id in previous for node_id in graph.nodes) < WARM_KEPT * len(
        graph.nodes
    ):
        previous = None  # too much has changed: laid out from its seed
    found = layout(graph, previous=previous)
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(
        path, json.dumps({"nodes": list(found), "positions": list(found.values())}, separators=(",", ":"))
    )
    for old in folder.glob("*.json"):
        if old != path:
            old.unlink(missing_ok=True)
    return found


def _read_layout(path: Path) -> dict[str, tuple[float, float]] | None:
    """A layout kept in the cache, by node; None when it is not there or not readable."""
    try:
        stored = json.loads(path.read_text("utf-8"))
        return {
            str(node_id): (float(x), float(y))
            for node_id, (x, y) in zip(stored["nodes"], stored["positions"], strict=True)
        }
    except (OSError, ValueError, TypeError, KeyError):
        return None
