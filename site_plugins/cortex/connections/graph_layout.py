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
the graph's structure, with the pairs of nodes it joined, so a build whose nodes and edges did
not change does not lay it out again, and the next build knows which nodes a change touched.
When they are few in a large graph (a preview's rebuild after a new link or a new note), only
they move, by the change in the forces on them, among the others, which stay where they were:
the steps then cost next to nothing however large the graph is. A small graph that changed a
little (most of its nodes were laid out in the cache) starts from the kept layout and takes a
fifth of the steps, cooler. A large graph that changed more is laid out from its seed: started
from a kept layout again and again, all its nodes moving, its core drew in a little more each
time while the nodes at its rim stayed out (after four such starts at ten thousand notes, half
the nodes lay within a fifth of the distance they had), and the local moves do not compound.
So a layout may depend on the one before it in the cache; without the cache, or after a larger
change, the graph is laid out from its seed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cortex.connections.graph import Graph, index_pairs
from cortex.files import atomic_write_text

if TYPE_CHECKING:
    import numpy as np

LAYOUT_VERSION = 2  # part of the cache key: a change to the algorithm lays every graph out again
EXTENT = 1000.0  # positions are scaled into [0, EXTENT] on the longer side
EXACT_BELOW = 600  # nodes: below this every node pushes every other
GRID = 16  # in a larger graph, the far push comes from the cells of a GRID × GRID grid
NEIGHBOURS = 24  # in a larger graph, about how many nearest nodes push each node
GRAVITY = 0.2
REPULSION = 1.0
CACHE_FOLDER = "graph-layout"
WARM_KEPT = 0.9  # a graph starts from the last layout when at least this share of its nodes are in it
WARM_SHARE = 0.2  # and takes this share of the steps (a small graph)
LOCAL_SHARE = 0.01  # in a larger graph, when at most this share of the nodes changed neighbours,
LOCAL_STEPS = 30  # only they move, for this many steps,
LOCAL_HEAT = 0.5  # at first at most this far (an edge is about 1 long) in a step


def layout(
    graph: Graph,
    iterations: int | None = None,
    seed: int = 0,
    previous: Mapping[str, tuple[float, float]] | None = None,
    previous_pairs: tuple[Sequence[str], Sequence[int], Sequence[int]] | None = None,
) -> dict[str, tuple[float, float]]:
    """Each node's position, scaled into [0, EXTENT] and rounded to one decimal; from the
    positions of ``previous`` (an earlier layout of a graph much like it) where it has them.
    ``previous_pairs``: the nodes of the graph ``previous`` laid out and which of them were
    joined (its ``Graph.pairs``), when known: they tell the nodes a change touched, and the
    forces they were under."""
    import numpy as np

    index = graph.index
    n = len(index)
    sources, targets = graph.pairs
    start = None if previous is None else [previous.get(node_id) for node_id in graph.nodes]
    before = None
    if previous is not None and previous_pairs is not None:
        nodes, low, high = previous_pairs
        now = np.array([index.get(node_id, -1) for node_id in nodes], dtype=np.int64)
        a, b = now[np.asarray(low, dtype=np.intp)], now[np.asarray(high, dtype=np.intp)]
        kept = (a >= 0) & (b >= 0)  # between nodes the graph still has
        before = index_pairs(n, np.column_stack((a[kept], b[kept])))
    positions = force_layout(
        n, sources, targets, iterations=iterations, seed=seed, start=start, before=before
    )
    return dict(zip(graph.nodes, positions, strict=True))


def force_layout(
    n: int,
    sources: Sequence[int] | np.ndarray,
    targets: Sequence[int] | np.ndarray,
    iterations: int | None = None,
    seed: int = 0,
    start: Sequence[tuple[float, float] | None] | None = None,
    before: tuple[Sequence[int] | np.ndarray, Sequence[int] | np.ndarray] | None = None,
) -> list[tuple[float, float]]:
    """Positions of ``n`` nodes joined by the undirected edges ``sources[i]``-``targets[i]``;
    ``start``: each node's position in an earlier layout, or None, to start from; ``before``:
    the edges that layout had (as ``sources`` and ``targets``; None: not known)."""
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
        earlier = None
        if start is not None and before is not None:
            old_src, old_dst = (np.asarray(ends, dtype=np.intp) for ends in before)
            kept = (renumber[old_src] >= 0) & (renumber[old_dst] >= 0)  # between nodes still linked
            earlier = (renumber[old_src[kept]], renumber[old_dst[kept]])
        pos[linked] = _forces(
            renumber[src],
            renumber[dst],
            1.0 + degree[linked],
            iterations,
            np.random.default_rng(seed),
            None if start is None else [start[int(i)] for i in linked],
            earlier,
        )
    pos[degree == 0] = _around(pos[linked], int(n - len(linked)))
    return _scaled(pos)


def _forces(src, dst, mass, iterations: int | None, rng, start=None, before=None):
    """The force layout of nodes that all have an edge (``mass``: 1 + degree), from ``start``
    (their positions in an earlier layout, or None each) when given; ``before``: the edges
    that layout had, as index arrays, when known."""
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
        if exact:
            pos = _warm_start(pos, start, src, dst, radius)
            steps, heat_start = max(10, round(steps * WARM_SHARE)), radius / 30
        elif before is not None:
            known = np.array([p is not None for p in start])
            moving = np.flatnonzero(_touched(n, (src, dst), before) | ~known)
            if len(moving) <= LOCAL_SHARE * n:
                warm = _warm_start(pos, start, src, dst, radius)
                return _settled(warm, (src, dst), before, mass, moving, known)
    for step in range(steps):
        heat = heat_start * (1 - step / steps) + 0.02
        if exact:
            i, j = all_i, all_j
        else:
            # the reach that finds about NEIGHBOURS nodes around each, however dense the
            # layout is at this step: the work of a step stays linear in the nodes
            found = cKDTree(pos).query_pairs(_reach(pos), output_type="ndarray")
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


def _reach(pos) -> float:
    """How far a large layout's exact push reaches: about NEIGHBOURS nodes around each,
    however dense the layout is."""
    import numpy as np

    spread = float(np.sqrt(2 * np.mean(np.einsum("ij,ij->i", pos, pos))))
    return spread * np.sqrt(NEIGHBOURS / len(pos))


def _touched(n: int, edges, before):
    """The nodes whose neighbours differ between two sets of edges (index arrays, each pair
    with its lower end first), as a mask."""
    import numpy as np

    changed = np.setxor1d(edges[0] * n + edges[1], before[0] * n + before[1], assume_unique=True)
    mask = np.zeros(n, dtype=bool)
    mask[changed // n] = mask[changed % n] = True
    return mask


def _settled(pos, edges, before, mass, moving, known):
    """``pos`` with only the nodes ``moving`` (indices) moved, every other node holding still.
    A frozen layout is not at rest: each node is left under some force, which the other nodes'
    stillness would let it follow. So a node moves by the change in its forces only: the pull
    of its edges now less that of the edges it had (``before``), and the push on it now less
    the push it was under, per unit of its mass (which is its degree); a new node, less the
    mean push per unit of mass left on the known nodes it links to. A step's work grows with
    the moving nodes and their edges, not with the graph."""
    import numpy as np

    pos = pos.copy()
    old_mass = 1.0 + np.bincount(np.concatenate(before), minlength=len(mass))
    new = moving[~known[moving]]
    ends, others = np.concatenate(edges), np.concatenate(edges[::-1])
    is_new = np.zeros(len(mass), dtype=bool)
    is_new[new] = True
    tie = is_new[ends] & known[others]  # a new node's edge to a known node
    asked = np.union1d(moving, others[tie])
    old_push, old_pull = _forces_on(pos, asked, old_mass, before)
    drift = old_push / old_mass[asked][:, None]
    base_drift = drift[np.searchsorted(asked, moving)]
    base_pull = old_pull[np.searchsorted(asked, moving)]
    at_new = np.searchsorted(new, ends[tie])
    count = np.maximum(np.bincount(at_new, minlength=len(new)), 1)
    tied = drift[np.searchsorted(asked, others[tie])]
    at = np.searchsorted(moving, new)
    for k in (0, 1):
        base_drift[at, k] = np.bincount(at_new, tied[:, k], len(new)) / count
    base_pull[at] = 0.0
    for step in range(LOCAL_STEPS):
        heat = LOCAL_HEAT * (1 - step / LOCAL_STEPS) + 0.02
        push, pull = _forces_on(pos, moving, mass, edges)
        move = push - mass[moving][:, None] * base_drift + pull - base_pull
        length = np.maximum(np.sqrt(np.einsum("ij,ij->i", move, move)), 1e-9)
        pos[moving] += move * (np.minimum(length, heat) / length)[:, None]
    return pos


def _forces_on(pos, on, mass, edges):
    """The forces of a large layout on the nodes ``on`` (indices): the push (of those near,
    from afar, and to the centre), which grows with a node's mass, and the pull of its
    ``edges``."""
    import numpy as np
    from scipy.spatial import cKDTree

    strength = REPULSION / float(mass.mean()) ** 2
    here = pos[on]
    near = cKDTree(pos).query_ball_point(here, _reach(pos))
    i = np.repeat(np.arange(len(on)), [len(found) for found in near])
    j = np.fromiter((k for found in near for k in found), dtype=np.intp, count=len(i))
    delta = here[i] - pos[j]
    dist2 = np.maximum(np.einsum("ij,ij->i", delta, delta), 1e-4)  # a node itself adds nothing
    push = _summed(i, delta * (strength * mass[on][i] * mass[j] / dist2)[:, None], len(on))
    push += _far_push(pos, mass, strength, on) - GRAVITY * mass[on][:, None] * here
    at = np.full(len(pos), -1, dtype=np.intp)
    at[on] = np.arange(len(on))
    ends = np.concatenate(edges)
    others = np.concatenate(edges[::-1])
    pulled = at[ends] >= 0
    return push, _summed(at[ends[pulled]], pos[others[pulled]] - here[at[ends[pulled]]], len(on))


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


def _far_push(pos, mass, strength, on=None):
    """The push of the whole layout on each node (or on the nodes ``on``, indices), from the
    masses of a coarse grid's cells at their centres of mass (softened by a cell's size, so a
    near cell pushes smoothly): what gives a large graph its shape beyond the nearest
    neighbours, at GRID² work per node."""
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
    at = slice(None) if on is None else on
    delta = pos[at][:, None, :] - centre[None, :, :]
    weight = total[used][None, :] / (np.einsum("ijk,ijk->ij", delta, delta) + size * size)
    return strength * mass[at][:, None] * np.einsum("ij,ijk->ik", weight, delta)


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
    it (with the pairs of nodes it joined, which say what changed). Only the latest layout is
    kept."""
    if cache_dir is None:
        return layout(graph)
    key = f"v{LAYOUT_VERSION}-{graph.structure_hash()}"
    folder = cache_dir / CACHE_FOLDER
    path = folder / f"{key}.json"
    stored, _ = _read_layout(path)
    if stored is not None and stored.keys() == graph.nodes.keys():
        return stored
    kept = [p for p in sorted(folder.glob(f"v{LAYOUT_VERSION}-*.json")) if p != path]
    previous, previous_pairs = _read_layout(kept[0]) if kept else (None, None)
    if previous is not None and sum(node_id in previous for node_id in graph.nodes) < WARM_KEPT * len(
        graph.nodes
    ):
        previous = None  # too much has changed: laid out from its seed
    found = layout(graph, previous=previous, previous_pairs=previous_pairs)
    folder.mkdir(parents=True, exist_ok=True)
    low, high = graph.pairs
    text = json.dumps(
        {"nodes": list(found), "positions": list(found.values()), "low": low.tolist(), "high": high.tolist()},
        separators=(",", ":"),
    )
    atomic_write_text(path, text)
    for old in folder.glob("*.json"):
        if old != path:
            old.unlink(missing_ok=True)
    return found


def _read_layout(
    path: Path,
) -> tuple[dict[str, tuple[float, float]] | None, tuple[list[str], Any, Any] | None]:
    """A layout kept in the cache, by node, and its graph's nodes and pairs where it kept them;
    None for what is not there or not readable."""
    try:
        stored = json.loads(path.read_text("utf-8"))
        nodes = [str(node_id) for node_id in stored["nodes"]]
        positions = {
            node_id: (float(x), float(y)) for node_id, (x, y) in zip(nodes, stored["positions"], strict=True)
        }
    except (OSError, ValueError, TypeError, KeyError):
        return None, None
    import numpy as np

    try:
        low, high = (np.asarray(stored[k], dtype=np.int64) for k in ("low", "high"))
    except (KeyError, ValueError, TypeError, OverflowError):
        return positions, None
    if (
        low.ndim != 1
        or low.shape != high.shape
        or (len(low) and (min(low.min(), high.min()) < 0 or max(low.max(), high.max()) >= len(nodes)))
    ):
        return positions, None
    return positions, (nodes, low, high)
