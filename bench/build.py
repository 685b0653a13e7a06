"""Build-time cost of the Cortex plugin on a synthetic knowledge base.

For each N it generates N notes in folders (``--folder-size`` notes a folder, 50 unless told),
with wikilinks (plain, aliased, to headings and blocks), section embeds and tags, and builds it
with the same theme and extensions:
  plugin    - the notes as written, through the cortex plugin (its navigation: folders larger
              than nav_max_entries are cut, with a page that lists their notes);
  plain     - the same pages with every link already rewritten to ordinary Markdown links
              (and embeds to their text), built by mkdocs-material without the plugin, with
              the plugin's navigation written out in full (the Notes tab, the tags index);
  zensical  - the plain pages and navigation built by Zensical, where ``--zensical`` names its
              command (installed apart from this project) and it can build them.
Each build runs in its own process; it reports the CPU seconds of that process and its children
(user + system, from rusage: what counts on a shared machine), the wall time and the peak RSS,
and the ratios plugin/plain (and plugin/zensical) in CPU time, and, when both sizes ran,
build(10k)/build(1k).

    python bench/build.py                                 # N = 1000
    python bench/build.py --sizes 1000,10000              # and N = 10000 (minutes)
    python bench/build.py --zensical /path/to/bin/zensical
    python bench/build.py --folder-size 1000              # large folders: the bounded navigation
Targets: plugin/plain <= 1.15 at 1k; build(10k)/build(1k) <= 11; at 10k, plugin/plain <= 0.5
and peak RSS <= 1 GB; plugin/zensical <= 1.0 at 1k (a stretch goal).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

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


def generate(root: Path, n: int, folder_size: int = 50, seed: int = 0) -> None:
    rng = random.Random(seed)
    folders = [f"area {i // 10}/topic {i % 10}" for i in range(max(1, n // folder_size))]
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


def plain_copy(src: Path, dst: Path) -> list:
    """The same pages, tag pages included, with wikilinks, embeds and tags already turned into
    plain Markdown: what the plugin produces, less the backlinks. Returns the navigation the
    plugin gives the notes, in full, as MkDocs' ``nav:`` setting."""
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
    return [{"Notes": full_nav(sorted(kb.vault.notes))}, {"Tags": ["tags/index.md"]}]


def full_nav(paths: list[str]) -> list:
    """Folders as sections (titled as MkDocs titles them) holding their notes, in path order."""
    tree: dict = {}
    for path in paths:
        *folders, _ = path.split("/")
        node = tree
        for folder in folders:
            node = node.setdefault(folder, {})
        node.setdefault("", []).append(path)

    def items(node: dict) -> list:
        out: list = list(node.get("", []))
        for name in sorted(k for k in node if k):
            out.append({name[:1].upper() + name[1:]: items(node[name])})
        return out

    return items(tree)


def config(work: Path, docs: Path, engine: str, nav: list, options: tuple[str, ...] = ()) -> Path:
    """mkdocs.yml of the project, pointed at ``docs``: with the plugin ``options`` (each
    ``key: value``) for the plugin; without the cortex plugin, and with its navigation written
    out, for plain material; and also without what needs this project's Python (the plugins,
    the mermaid fence's formatter) for Zensical."""
    # both relative to the configuration, as Zensical needs them
    text = (REPO / "mkdocs.yml").read_text("utf-8").replace("docs_dir: content", f"docs_dir: {docs.name}")
    if engine == "plugin" and options:
        text = text.replace("  - cortex:\n", "  - cortex:\n" + "".join(f"      {o}\n" for o in options), 1)
    if engine != "plugin":
        text = _drop_plugin(text, "cortex") + "nav:\n" + yaml.safe_dump(nav, allow_unicode=True)
    if engine == "zensical":
        text = _drop_plugin(text, "mkdocs-jupyter")
        text = re.sub(r"^ *custom_fences:\n(?: {8,}.*\n)*", "", text, flags=re.M)
        text = re.sub(r"^ *- pymdownx\.superfences:\n", "  - pymdownx.superfences\n", text, flags=re.M)
    path = work / f"mkdocs-{engine}.yml"
    path.write_text(text, "utf-8")
    return path


def _drop_plugin(text: str, name: str) -> str:
    """The config without one plugin's entry (``- name`` and its indented options)."""
    return re.sub(rf"^  - {re.escape(name)}:?[^\n]*\n(?:    .*\n|\s*\n)*", "", text, flags=re.M)


@dataclass
class Run:
    cpu_s: float  # user + system seconds of the build process and its children
    wall_s: float
    peak_rss_mb: float  # the build process's largest resident set


def timed_build(cmd: list[str], cwd: Path) -> Run:
    """One build in its own process (at the lowest priority), measured by its rusage."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # read stderr while waiting: a build that writes much would otherwise block on the pipe
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise BuildFailed(f"{' '.join(cmd[:4])} ... failed ({proc.returncode}):\n{err[-3000:]}")
    return Run(usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024)


class BuildFailed(RuntimeError):
    pass


def build_command(engine: str, cfg: Path, site: Path, zensical: str | None) -> list[str]:
    nice = ["nice", "-n", "19"] if shutil.which("nice") else []
    if engine == "zensical":
        return [*nice, str(zensical), "build", "--clean", "-f", str(cfg)]
    return [*nice, sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(cfg), "-d", str(site)]


def measure(
    n: int, work: Path, reps: int, folder_size: int, zensical: str | None, options: tuple[str, ...]
) -> dict:
    vault, plain = work / f"vault-{n}", work / f"plain-{n}"
    generate(vault, n, folder_size)
    nav = plain_copy(vault, plain)
    engines = {"plugin": vault, "plain": plain}
    skipped = {}
    if zensical:
        engines["zensical"] = plain
    else:
        skipped["zensical"] = "not asked for (--zensical PATH)"
    runs: dict[str, list[Run]] = {e: [] for e in engines}
    for _ in range(reps):  # interleaved, so a busy machine slows all alike; the least CPU counts
        for engine, docs in list(engines.items()):
            site = work / "site"
            cfg = config(work, docs, engine, nav, options)
            try:
                runs[engine].append(timed_build(build_command(engine, cfg, site, zensical), work))
            except BuildFailed as failed:
                if engine != "zensical":
                    raise SystemExit(str(failed)) from None
                last = [line for line in str(failed).splitlines() if line.strip()][-1]
                skipped[engine] = f"cannot build the plain corpus: {last}"
                del engines[engine], runs[engine]
            shutil.rmtree(site, ignore_errors=True)
    best = {e: min(r, key=lambda run: run.cpu_s) for e, r in runs.items()}
    out: dict = {
        "n": n,
        "folder_size": folder_size,
        "plugin_options": list(options),
        "runs": {e: asdict(r) for e, r in best.items()},
    }
    out["skipped"] = skipped
    out["plugin_over_plain_cpu"] = best["plugin"].cpu_s / best["plain"].cpu_s
    out["plugin_over_plain_wall"] = best["plugin"].wall_s / best["plain"].wall_s
    if "zensical" in best:
        out["plugin_over_zensical_cpu"] = best["plugin"].cpu_s / best["zensical"].cpu_s
    return out


def report(r: dict) -> None:
    print(f"N={r['n']} ({r['folder_size']} notes a folder):", flush=True)
    for engine, run in r["runs"].items():
        print(
            f"  {engine:9s} CPU {run['cpu_s']:7.1f} s   wall {run['wall_s']:7.1f} s   "
            f"peak RSS {run['peak_rss_mb']:6.0f} MB"
        )
    for engine, why in r["skipped"].items():
        print(f"  {engine:9s} skipped: {why}")
    target = "<= 1.15" if r["n"] <= 2000 else "<= 0.5 at 10k"
    print(
        f"  plugin/plain = {r['plugin_over_plain_cpu']:.3f} in CPU time (target {target}), "
        f"{r['plugin_over_plain_wall']:.3f} in wall time"
    )
    if "plugin_over_zensical_cpu" in r:
        print(f"  plugin/zensical = {r['plugin_over_zensical_cpu']:.3f} in CPU time (stretch target <= 1.0)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000", help="notes to generate, comma-separated (default 1000)")
    ap.add_argument("--folder-size", type=int, default=50, help="notes a folder (default 50)")
    ap.add_argument(
        "--plugin-option",
        action="append",
        default=[],
        metavar="KEY: VALUE",
        help="an option of the cortex plugin for the plugin build (repeatable), e.g. 'nav_max_entries: 20'",
    )
    ap.add_argument("--zensical", help="the zensical command, to build the plain pages with it too")
    ap.add_argument(
        "--reps", type=int, default=0, help="builds of each kind (default 3 below 2k notes, else 1)"
    )
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "build.json")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    zensical = shutil.which(args.zensical) if args.zensical else None
    if args.zensical and not zensical:
        print(f"zensical: {args.zensical} is not a command; Zensical is skipped", flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="cortex-bench-") as tmp:
        for n in sizes:
            reps = args.reps if args.reps else (3 if n <= 2000 else 1)
            results.append(measure(n, Path(tmp), reps, args.folder_size, zensical, tuple(args.plugin_option)))
            report(results[-1])
    by_n = {r["n"]: r for r in results}
    summary: dict = {"results": results}
    if 1000 in by_n and 10000 in by_n:
        small, large = by_n[1000]["runs"], by_n[10000]["runs"]
        scale = {e: large[e]["cpu_s"] / small[e]["cpu_s"] for e in large if e in small}
        summary["build_10k_over_1k_cpu"] = scale
        print(
            "build(10k)/build(1k) in CPU time: "
            + ", ".join(f"{e} {v:.2f}" for e, v in scale.items())
            + " (target for the plugin <= 11); "
            f"peak RSS of the plugin at 10k = {large['plugin']['peak_rss_mb']:.0f} MB (target <= 1024)"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2), "utf-8")


if __name__ == "__main__":
    main()
