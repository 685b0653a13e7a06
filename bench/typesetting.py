"""What typesetting math adds to a build.

Builds two sites in this process with ``mkdocs build``, timing (in CPU seconds of this
process, ``time.process_time``) the whole build and, inside it, all the work math takes:
checking every formula (``math_problems``, which converts each once, LaTeX to MathML by
latex2mathml) and putting the MathML into the pages (``typeset_page``, ``typeset_notebook``):

  shipped    - the shipped knowledge base (its numerics notes are the math-heavy pages);
  synthetic  - N notes with 20 formulas each (inline and display, a mix of the forms the
               numerics notes use, each one different so none is served from a cache).

For each it prints the build's CPU time, the time in math, and the ratio build / (build -
math): what the build costs against the same build without typesetting. No network.

    python bench/typesetting.py            # N = 200
    python bench/typesetting.py --n 500
Writes bench/out/typesetting.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from mkdocs.commands.build import build  # noqa: E402
from mkdocs.config import load_config  # noqa: E402

import cortex.mkdocs.plugin as plugin_module  # noqa: E402
import cortex.notes.checks as checks_module  # noqa: E402
import cortex.text.math as math_module  # noqa: E402

OUT = REPO / "bench" / "out" / "typesetting.json"
FORMULAS = [
    r"$x_{i}^{2}$",
    r"$u = 2^{-(m+1)}$",
    r"$\operatorname{fl}(x + y) = (x + y)(1 + \delta)$",
    r"$\sum_{i=1}^{n} |x_i|$",
    r"$\frac{(n-1)\,u}{1 - (n-1)\,u}$",
    "\n\n$$\n\\left|\\hat{s}_n - \\sum_{i=1}^{n} x_i\\right| \\le \\left(2u + O(n u^2)\\right) \\sum_{i=1}^{n} |x_i|\n$$\n\n",
    r"$(-1)^s \times 2^{E - \text{bias}} \times (1.f)_2$",
    r"\(\sqrt{a^2 + b^2}\)",
    r"$\mathbb{E}[X] = \int x \, p(x) \, dx$",
    r"$\nabla_\theta \mathcal{L}(\theta)$",
]


class Clock:
    """CPU time spent inside any of the functions it wraps (a call inside another counts once)."""

    def __init__(self):
        self.seconds, self.depth = 0.0, 0

    def wrap(self, fn):
        def timed(*args, **kwargs):
            self.depth += 1
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.depth -= 1
                if self.depth == 0:
                    self.seconds += time.process_time() - start

        return timed


# Where math costs time: `cortex check` (and the build's load) converts each formula once to
# find the ones that fail, and the plugin puts the MathML into each page.
PATCHED = (
    (checks_module, "math_problems"),
    (plugin_module, "typeset_page"),
    (plugin_module, "typeset_notebook"),
)


def distinct(formula: str, tag: str) -> str:
    """``formula`` with a term of its own before its closing delimiter: every formula differs,
    so none is served from the converter's cache."""
    for close in ("\n$$", "\\)", "$"):
        at = formula.rfind(close)
        if at > 0:
            return formula[:at] + f" + c_{{{tag}}}" + formula[at:]
    return formula


def write_vault(root: Path, n: int) -> Path:
    docs = root / "docs"
    docs.mkdir(parents=True)
    for i in range(n):
        lines = [f"# Note {i}", ""]
        for j in range(20):
            formula = distinct(FORMULAS[(i + j) % len(FORMULAS)], f"{i}.{j}")
            lines.append(f"Sentence {j} states {formula} and goes on.")
        (docs / f"note{i:04d}.md").write_text("\n".join(lines) + "\n", "utf-8")
    (root / "mkdocs.yml").write_text(
        f"INHERIT: {REPO / 'mkdocs.yml'}\ndocs_dir: docs\nsite_url: https://example.invalid/\n"
    )
    return root / "mkdocs.yml"


def measure(config_file: Path, site_dir: Path) -> dict:
    math_module.to_mathml.cache_clear()
    clock = Clock()
    originals = [getattr(module, name) for module, name in PATCHED]
    for (module, name), fn in zip(PATCHED, originals, strict=True):
        setattr(module, name, clock.wrap(fn))
    try:
        config = load_config(str(config_file), site_dir=str(site_dir))
        start = time.process_time()
        build(config)
        total = time.process_time() - start
    finally:
        for (module, name), fn in zip(PATCHED, originals, strict=True):
            setattr(module, name, fn)
    math = clock.seconds
    formulas = sum(p.read_text("utf-8").count("<math ") for p in site_dir.rglob("*.html"))
    return {
        "build_cpu_s": round(total, 3),
        "math_cpu_s": round(math, 3),
        "ratio_build_over_build_without_math": round(total / max(total - math, 1e-9), 4),
        "formulas": formulas,
        "math_ms_per_formula": round(1000 * math / formulas, 4) if formulas else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="notes in the synthetic vault")
    args = parser.parse_args()
    out = {"machine": platform.platform(), "python": platform.python_version(), "n": args.n}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        out["shipped"] = measure(REPO / "mkdocs.yml", tmp_path / "shipped-site")
        out["synthetic"] = measure(write_vault(tmp_path / "vault", args.n), tmp_path / "synthetic-site")
    for name in ("shipped", "synthetic"):
        r = out[name]
        print(
            f"{name:10s} build {r['build_cpu_s']:7.2f} s CPU, math {r['math_cpu_s']:6.2f} s "
            f"({r['formulas']} formulas, {r['math_ms_per_formula']} ms each): "
            f"build / build without math = {r['ratio_build_over_build_without_math']:.3f}"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    main()
