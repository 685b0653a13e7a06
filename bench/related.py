"""What related notes and unlinked mentions add to a build, on a synthetic knowledge base.

It generates N notes with bench/build.py's generator and builds them through the cortex plugin
three ways, interleaved, ``--reps`` times each (the fastest run of each counts):
  plain - the plugin with ``related: false`` and ``mentions: false``;
  cold  - both on, with no embedding cache (every note embedded: the model is loaded);
  warm  - both on, with the cache the previous build left (nothing embedded, the model never
          loaded): what an edit-and-rebuild costs.
It prints each build's CPU seconds (user + system of the build process and its children, from
rusage: what counts on a shared machine) and wall seconds, and the ratios cold/plain and
warm/plain in both; then, in this process, the core's own cost of each step on the warm cache.

    python bench/related.py                     # N = 1000, the method the build would use
    python bench/related.py --n 1000 --method tfidf
Target: warm/plain <= 1.05 (a warm build adds at most 5 %).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from build import build_command, config, generate, timed_build  # bench/build.py: one generator

from cortex.connections.mentions import unlinked_mentions
from cortex.connections.related import documents, related_notes
from cortex.connections.similarity import METHODS, similarity
from cortex.model import CACHE_DIR, load

TARGET = 1.05
VARIANTS = {
    "plain": ("related: false", "mentions: false"),
    "cold": ("related: true", "mentions: true"),
    "warm": ("related: true", "mentions: true"),
}


def measure(n: int, work: Path, reps: int, method: str) -> dict:
    vault = work / f"vault-{n}"
    generate(vault, n)
    configs = {}
    for variant, options in VARIANTS.items():
        path = config(work, vault, "plugin", [], (*options, f"related_method: {method}"))
        configs[variant] = path.rename(work / f"mkdocs-{variant}.yml")
    embeddings = work / CACHE_DIR / "embeddings"
    site = work / "site"
    runs: dict[str, list] = {v: [] for v in VARIANTS}
    for _ in range(reps):
        for variant, cfg in configs.items():
            if variant == "cold":
                shutil.rmtree(embeddings, ignore_errors=True)
            runs[variant].append(timed_build(build_command("mkdocs", cfg, site, None), work))
            shutil.rmtree(site, ignore_errors=True)
    best = {v: min(r, key=lambda run: run.cpu_s) for v, r in runs.items()}
    result: dict = {"n": n, "method": similarity(method, work / CACHE_DIR).name}  # type: ignore[arg-type]
    for variant, run in best.items():
        result[f"{variant}_cpu_s"] = run.cpu_s
        result[f"{variant}_wall_s"] = min(r.wall_s for r in runs[variant])
    for variant in ("cold", "warm"):
        result[f"{variant}/plain_cpu"] = best[variant].cpu_s / best["plain"].cpu_s
        result[f"{variant}/plain_wall"] = result[f"{variant}_wall_s"] / result["plain_wall_s"]
    result.update(core_costs(vault, work, method))
    return result


def core_costs(vault: Path, work: Path, method: str) -> dict:
    """Seconds the core spends, in this process, on each step with the warm cache."""
    kb = load(vault, root=work)
    costs = {}
    start = time.process_time()
    docs = documents(kb)
    costs["documents_s"] = time.process_time() - start
    chosen = similarity(method, work / CACHE_DIR)  # type: ignore[arg-type]
    start = time.process_time()
    related_notes(kb, chosen)
    costs["related_warm_s"] = time.process_time() - start
    start = time.process_time()
    mentions = unlinked_mentions(kb)
    costs["mentions_s"] = time.process_time() - start
    costs["documents"] = len(docs)
    costs["mentions"] = sum(len(m) for m in mentions.values())
    return costs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="notes to generate")
    ap.add_argument("--reps", type=int, default=2, help="builds of each kind; the fastest counts")
    ap.add_argument("--method", choices=METHODS, default="auto")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cortex-bench-related-") as tmp:
        result = measure(args.n, Path(tmp), args.reps, args.method)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"N = {result['n']} notes ({result['documents']} documents), similarity: {result['method']}")
    for variant in VARIANTS:
        print(
            f"  {variant:<5}  cpu {result[f'{variant}_cpu_s']:7.2f} s   wall {result[f'{variant}_wall_s']:7.2f} s"
        )
    for variant in ("cold", "warm"):
        cpu, wall = result[f"{variant}/plain_cpu"], result[f"{variant}/plain_wall"]
        print(f"  {variant}/plain: cpu {cpu:.3f}  wall {wall:.3f}")
    print(
        f"  core, warm cache: documents {result['documents_s']:.2f} s, related {result['related_warm_s']:.2f} s, "
        f"mentions {result['mentions_s']:.2f} s ({result['mentions']} found)"
    )
    verdict = "meets" if result["warm/plain_cpu"] <= TARGET else "misses"
    print(f"  warm/plain (cpu) {result['warm/plain_cpu']:.3f} {verdict} the target <= {TARGET}")
    sys.exit(0)


if __name__ == "__main__":
    main()
