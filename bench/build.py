"""Build-time cost of the Cortex plugin on a synthetic knowledge base.

For each N it generates N notes in folders, with wikilinks (plain, aliased, to headings and
blocks), section embeds and tags, and builds it twice with the same theme and extensions:
  plugin  - the notes as written, through the cortex plugin;
  plain   - the same pages with every link already rewritten to ordinary Markdown links
            (and embeds to their text), built by mkdocs-material without the plugin.
It prints the ratio plugin / plain, the wall times and the plugin build's peak RSS, and, when
both sizes ran, build(10k) / build(1k).

    python bench/build.py                 # N = 1000 and 10000
    python bench/build.py --n 1000
Targets: plugin/plain <= 1.15; build(10k)/build(1k) <= 11; peak RSS at 10k <= 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cortex.model import load  # noqa: E402
from cortex.notes.rendering import RenderOptions, render_note  # noqa: E402
from cortex.notes.tag_pages import tag_pages  # noqa: E402

WORDS = [
    "gradient",
    "tensor",
    "kernel",
    "precision",
    "attention",
    "optimiser",
    "throughput",
    "latency",
    "memory",
    "bandwidth",
    "softmax",
    "residual",
    "layer",
    "norm",
    "batch",
    "sample",
    "token",
    "embedding",
]


def generate(root: Path, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    folders = [f"area {i // 10}/topic {i % 10}" for i in range(max(1, n // 50))]
    names = [f"Note {i:05d}" for i in range(n)]
    for i, name in enumerate(names):
        folder = folders[i % len(folders)]
        path = root / folder / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        tags = rng.sample(["numerics", "gpu", "llm", "method", "ml/supervised", "ml/rl"], 2)
        lines = ["---", f"aliases: [Alias {i:05d}]", f"tags: [{', '.join(tags)}]", "---", f"# {name}", ""]
        for section in range(3):
            lines += [f"## Section {section}", ""]
            for _ in range(2):
                words = " ".join(rng.choice(WORDS) for _ in range(40))
                a, b, c, d = (rng.randrange(n) for _ in range(4))
                lines.append(
                    f"{words} see [[{names[a]}]], [[{names[b]}|that note]], [[{names[c]}#Section 1]] "
                    f"and [[Alias {d:05d}]] #tag{section} ^b{section}"
                )
                lines.append("")
        if i % 20 == 0:
            lines += [f"![[{names[rng.randrange(n)]}#Section 2]]", ""]
        lines += ["```python", "x = [[not a link]]", "```", ""]
        path.write_text("\n".join(lines), "utf-8")


def plain_copy(src: Path, dst: Path) -> None:
    """The same pages, tag pages included, with wikilinks, embeds and tags already turned into
    plain Markdown: what the plugin produces, less the backlinks."""
    kb = load(src)
    options = RenderOptions(tags_dir="tags")
    pages = [
        (path, note.source[: note.body_start] + render_note(kb.vault, note, None, options))
        for path, note in kb.vault.notes.items()
    ]
    for path, text in pages + tag_pages(kb, "tags"):
        out = dst / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, "utf-8")


def config(work: Path, docs: Path, plugin: bool) -> Path:
    base = (REPO / "mkdocs.yml").read_text("utf-8")
    if not plugin:
        base = base.replace("  - cortex\n", "")
    base = base.replace("docs_dir: content", f"docs_dir: {docs}")
    path = work / ("mkdocs-plugin.yml" if plugin else "mkdocs-plain.yml")
    path.write_text(base, "utf-8")
    return path


def timed_build(cfg: Path, site: Path) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one `mkdocs build` in its own process."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(cfg), "-d", str(site)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build failed:\n{err[-3000:]}")
    return wall, usage.ru_maxrss * 1024


def measure(n: int, work: Path, reps: int) -> dict:
    vault, plain = work / f"vault-{n}", work / f"plain-{n}"
    generate(vault, n)
    plain_copy(vault, plain)
    runs = {True: [], False: []}
    for _ in range(reps):  # interleaved, so a busy machine slows both alike; the best run counts
        for plugin, docs in ((True, vault), (False, plain)):
            site = work / f"site-{plugin}"
            runs[plugin].append(timed_build(config(work, docs, plugin), site))
            shutil.rmtree(site)
    t_plugin, rss_plugin = min(runs[True])
    t_plain, rss_plain = min(runs[False])
    return {
        "n": n,
        "plugin_s": t_plugin,
        "plain_s": t_plain,
        "ratio": t_plugin / t_plain,
        "plugin_peak_rss_mb": rss_plugin / 2**20,
        "plain_peak_rss_mb": rss_plain / 2**20,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, action="append", help="notes to generate (repeatable)")
    ap.add_argument(
        "--reps", type=int, default=0, help="builds of each kind (default 3 below 2k notes, else 1)"
    )
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "build.json")
    args = ap.parse_args()
    sizes = args.n or [1000, 10000]
    results = []
    with tempfile.TemporaryDirectory(prefix="cortex-bench-") as tmp:
        for n in sizes:
            r = measure(n, Path(tmp), args.reps if args.reps else (3 if n <= 2000 else 1))
            results.append(r)
            print(
                f"N={n}: plugin/plain = {r['ratio']:.3f} (target <= 1.15); plugin {r['plugin_s']:.1f} s, "
                f"plain {r['plain_s']:.1f} s; peak RSS plugin {r['plugin_peak_rss_mb']:.0f} MB, "
                f"plain {r['plain_peak_rss_mb']:.0f} MB",
                flush=True,
            )
    by_n = {r["n"]: r for r in results}
    summary = {"results": results}
    if 1000 in by_n and 10000 in by_n:
        scale = by_n[10000]["plugin_s"] / by_n[1000]["plugin_s"]
        summary["build_10k_over_1k"] = scale
        print(
            f"build(10k)/build(1k) = {scale:.2f} (target <= 11); "
            f"peak RSS at 10k = {by_n[10000]['plugin_peak_rss_mb']:.0f} MB (target <= 1024)"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2), "utf-8")


if __name__ == "__main__":
    main()
