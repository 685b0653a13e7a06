"""What the graph costs: building it from the model and laying it out, and its page weight, on
the synthetic knowledge base of bench/build.py, against a plain build of the same notes.

For each N it generates N notes (bench/build.py's generator: links, embeds and tags), loads the
model once, and measures in this process, in CPU and wall seconds:
  graph   - build_graph: nodes and typed edges from the model;
  layout  - the force layout, cold (nothing cached);
  warm    - the layout read back from the cache, as a build whose graph did not change reads it;
and the page weight: the data file (graph.json) raw and gzipped (what a server sends), and the
local graph a note's page carries. Then, where it builds (at 1k, and at 10k with --build-10k),
the site through the plugin and the plain site (bench/build.py's plain copy, without the
plugin), each in its own process: the plain build's CPU time is the baseline of the ratios,
and the plugin's site gives the graph page's own bytes.

    python bench/graph.py                  # N = 1000 and 10000; the builds at 1k only
    python bench/graph.py --build-10k      # the 10k builds too (minutes)
    python bench/graph.py --sizes 1000
What to read: the graph, laid out cold, should cost about a tenth of a plain build at 1k (the
plugin's whole build costs about ten plain ones), and a warm build only the graph itself, about
1 %; at 10k the layout should stay within seconds and graph.json near 1 MB gzipped.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "site_plugins"))

from build import build_command, config, generate, plain_copy, timed_build  # noqa: E402

from cortex.connections.graph import build_graph  # noqa: E402
from cortex.connections.graph_layout import cached_layout, layout  # noqa: E402
from cortex.connections.graph_page import DATA_FILE, graph_data, graph_json, local_graph_html  # noqa: E402
from cortex.model import load  # noqa: E402

OUT = REPO / "bench" / "out" / "graph.json"


def timed(work: Callable[[], object]) -> tuple[object, float, float]:
    """(result, CPU seconds of this process, wall seconds) of one call."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = work()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def measure(n: int, work: Path, build: bool) -> dict:
    vault = work / f"vault-{n}"
    generate(vault, n)
    kb = load(vault, root=work)
    graph, graph_cpu, graph_wall = timed(lambda: build_graph(kb))
    positions, layout_cpu, layout_wall = timed(lambda: layout(graph))
    cache = work / f"cache-{n}"
    cached_layout(graph, cache)  # writes the cache
    _, warm_cpu, warm_wall = timed(lambda: cached_layout(graph, cache))
    data = graph_json(graph_data(graph, positions, lambda src: src.removesuffix(".md") + "/")).encode()
    pages = list(kb.notes)
    local = sum(len(local_graph_html(graph, p, "0123456789abcdef").encode()) for p in pages) / len(pages)
    out: dict = {
        "n": n,
        "nodes": len(graph.nodes),
        "edges": len(graph.edges),
        "graph": {"cpu_s": graph_cpu, "wall_s": graph_wall},
        "layout": {"cpu_s": layout_cpu, "wall_s": layout_wall},
        "warm": {"cpu_s": warm_cpu, "wall_s": warm_wall},
        "data_bytes": len(data),
        "data_gzip_bytes": len(gzip.compress(data)),
        "local_graph_bytes_per_page": local,
    }
    if build:
        out.update(builds(vault, work))
        cold = graph_cpu + layout_cpu
        out["cold_over_plain_cpu"] = cold / out["plain"]["cpu_s"]
        out["warm_over_plain_cpu"] = (graph_cpu + warm_cpu) / out["plain"]["cpu_s"]
    return out


def builds(vault: Path, work: Path) -> dict:
    """The plain build (the baseline) and the plugin's site (the graph page's bytes)."""
    plain = work / f"plain-{vault.name}"
    nav = plain_copy(vault, plain)
    site = work / "site"
    baseline = timed_build(build_command("plain", config(work, plain, "plain", nav), site, None), work)
    shutil.rmtree(site, ignore_errors=True)
    plugin = timed_build(build_command("plugin", config(work, vault, "plugin", nav), site, None), work)
    found = {
        "plain": {"cpu_s": baseline.cpu_s, "wall_s": baseline.wall_s},
        "plugin": {"cpu_s": plugin.cpu_s, "wall_s": plugin.wall_s},
        "graph_page_bytes": (site / "graph" / "index.html").stat().st_size,
        "site_data_bytes": (site / DATA_FILE).stat().st_size,
    }
    shutil.rmtree(site, ignore_errors=True)
    return found


def report(r: dict) -> None:
    print(f"N={r['n']}: {r['nodes']} nodes, {r['edges']} edges", flush=True)
    for part in ("graph", "layout", "warm"):
        print(f"  {part:7s} CPU {r[part]['cpu_s']:7.2f} s   wall {r[part]['wall_s']:7.2f} s")
    print(
        f"  graph.json {r['data_bytes'] / 1e6:.2f} MB ({r['data_gzip_bytes'] / 1e6:.2f} MB gzipped); "
        f"a note's local graph {r['local_graph_bytes_per_page']:.0f} bytes"
    )
    if "plain" in r:
        print(
            f"  plain build CPU {r['plain']['cpu_s']:.1f} s, plugin build CPU {r['plugin']['cpu_s']:.1f} s; "
            f"graph page {r['graph_page_bytes'] / 1e3:.0f} kB"
        )
        print(
            f"  (graph + layout) / plain build = {r['cold_over_plain_cpu']:.3f} cold, "
            f"{r['warm_over_plain_cpu']:.4f} warm, in CPU time"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000", help="numbers of notes, comma-separated")
    ap.add_argument("--build-10k", action="store_true", help="build the sites above 2,000 notes too")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="cortex-graph-bench-") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            work = Path(tmp) / str(n)
            work.mkdir()
            result = measure(n, work, build=n <= 2000 or args.build_10k)
            report(result)
            results.append(result)
    by_n = {r["n"]: r for r in results}
    if 1000 in by_n and 10000 in by_n:
        small, large = by_n[1000], by_n[10000]
        scale = (large["graph"]["cpu_s"] + large["layout"]["cpu_s"]) / (
            small["graph"]["cpu_s"] + small["layout"]["cpu_s"]
        )
        print(f"graph + layout at 10k / at 1k = {scale:.1f} (10x the notes)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"results": results}, indent=2), "utf-8")


if __name__ == "__main__":
    main()
