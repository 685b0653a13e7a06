"""Benchmark: reading the model with what the last build worked out of each note kept on disk.

A build's plugin reads the knowledge base (``cortex.model.load``: the vault, each note's
backlink entries, the checks) and then finds the unlinked mentions; ``cortex.notes.kept``
keeps each note's backlink entries and mentions between builds, by a hash of its text. This
times both steps in a new process, on the corpus ``bench/build.py`` generates, with the cache
folder that a first build filled (kept) and without any cache folder (the baseline), runs
interleaved, and prints the CPU seconds of each (the least of ``--reps``) and their ratio.

    python bench/kept.py                 # 1,000 notes
    python bench/kept.py --notes 10000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from build import REPO, generate  # bench/build.py: one generator

# run in a new process: what it prints is the CPU seconds of loading and of the mentions
STEP = """
import gc, sys, time
from pathlib import Path
from cortex.connections.mentions import unlinked_mentions
from cortex.model import load
from cortex.notes.kept import save_kept
root = Path(sys.argv[1])
cache = root / ".cache" / "cortex" if sys.argv[2] == "kept" else None
gc.disable()  # as the plugin reads its model
start = time.process_time()
kb = load(root / "vault", root=root, cache_dir=cache)
loaded = time.process_time()
unlinked_mentions(kb)
done = time.process_time()
save_kept()
print(loaded - start, done - loaded)
"""


def step(root: Path, kind: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", STEP, str(root), kind], check=True, capture_output=True, text=True
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--notes", type=int, default=1000)
    ap.add_argument(
        "--reps", type=int, default=3, help="runs of each kind, interleaved; the least CPU counts"
    )
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "out" / "kept.json")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root / "vault", args.notes)
        step(root, "kept")  # a first build: works everything out and keeps it
        runs: dict[str, list[tuple[float, float]]] = {"kept": [], "baseline": []}
        for _ in range(args.reps):
            for kind in runs:
                runs[kind].append(step(root, kind))
    best = {kind: min(r, key=sum) for kind, r in runs.items()}
    result = {
        "notes": args.notes,
        "cpu_s": {kind: {"load": b[0], "mentions": b[1], "total": sum(b)} for kind, b in best.items()},
        "kept_over_baseline": sum(best["kept"]) / sum(best["baseline"]),
    }
    for kind, b in best.items():
        print(
            f"{kind:9} CPU: loading the model {b[0]:.2f} s, unlinked mentions {b[1]:.2f} s, total {sum(b):.2f} s"
        )
    print(f"kept/baseline = {result['kept_over_baseline']:.2f} in CPU time ({args.notes} notes)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
