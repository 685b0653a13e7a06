"""Wall time of a no-op `snakemake` (everything up to date).

Measured on a copy of the shipped knowledge base and on a synthetic one with 100
experiments, each against the anchor measured in the same run: a no-op `snakemake` on an
empty workflow (Snakemake's own start-up). Target: <= 3 s on the shipped knowledge base.

    python bench/workflow.py [--repeat 5]

Prints one line per figure and writes bench/out/workflow.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")
sys.path.insert(0, str(REPO / "site_plugins"))

from cortex.experiments.declaration import load_experiments  # noqa: E402
from cortex.experiments.inputs import input_hash  # noqa: E402
from cortex.experiments.record import SCHEMA_VERSION  # noqa: E402
from cortex.experiments.store import save_run  # noqa: E402

NOT_COPIED = (
    ".git",
    ".venv",
    "site",
    ".snakemake",
    ".cortex",
    "__pycache__",
    "out",
    "*.egg-info",
    ".pytest_cache",
)
RULES_ONLY_SNAKEFILE = 'include: "rules/common.smk"\ninclude: "rules/experiments.smk"\n\nrule all:\n    input: EXPERIMENT_RESULTS\n'


def snakemake(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(SNAKEMAKE), *args], cwd=project, capture_output=True, text=True, timeout=900)


def settle(project: Path) -> None:
    """Bring everything up to date, so later runs are no-ops."""
    done = snakemake(project)
    if done.returncode != 0:
        raise SystemExit(f"snakemake failed in {project}:\n{done.stderr[-3000:]}")


def time_noops(projects: dict[str, Path], repeat: int) -> dict[str, dict]:
    """No-op wall times, the projects interleaved round by round so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in projects}
    for _ in range(repeat):
        for name, project in projects.items():
            t0 = time.perf_counter()
            done = snakemake(project)
            times[name].append(time.perf_counter() - t0)
            if "Nothing to be done" not in done.stdout + done.stderr:
                raise SystemExit(f"not a no-op in {project}:\n{done.stderr[-3000:]}")
    return {
        name: {"median_s": statistics.median(ts), "min_s": min(ts), "max_s": max(ts), "runs": repeat}
        for name, ts in times.items()
    }


def shipped_copy(dest: Path) -> tuple[Path, str]:
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    if (dest / "Snakefile").is_file():
        return dest, "the shipped Snakefile (experiments and site)"
    (dest / "Snakefile").write_text(RULES_ONLY_SNAKEFILE)
    return dest, "rules/ only (no Snakefile in the repository)"


def synthetic(dest: Path, count: int) -> Path:
    """`count` tiny experiments sharing a helper, each with a record made from its current inputs."""
    (dest / "experiments").mkdir(parents=True)
    shutil.copytree(REPO / "rules", dest / "rules")
    shutil.copytree(REPO / "profiles", dest / "profiles")
    (dest / "Snakefile").write_text(RULES_ONLY_SNAKEFILE)
    (dest / "experiments" / "shared.py").write_text("def scale(x):\n    return 2 * x\n")
    for i in range(count):
        (dest / "experiments" / f"e{i:03d}.py").write_text(
            "from shared import scale\n\n\ndef run(point, bench):\n    return {'y': scale(point['n'])}\n"
        )
        (dest / "experiments" / f"e{i:03d}.md").write_text(
            f"---\ntitle: Synthetic {i}\nstatus: planned\ndevice: cpu\nparams:\n  n: [1, 2, 3]\n"
            f"script: experiments/e{i:03d}.py:run\nmetrics:\n  y: {{unit: '', better: higher}}\n---\nProse {i}.\n"
        )
    specs, diagnostics = load_experiments(dest)
    assert not diagnostics and len(specs) == count, diagnostics
    for spec in specs:  # what a finished run leaves, without running 100 interpreters
        points = [
            {"params": p, "status": "ok", "error": None, "seconds": 0.0, "metrics": {"y": 2 * p["n"]}}
            for p in spec.points()
        ]
        record = {
            "schema": SCHEMA_VERSION,
            "id": spec.id,
            "title": spec.title,
            "status": "ok",
            "error": None,
            "device": "cpu",
            "size": "full",
            "metrics": {"y": {"unit": "", "better": "higher"}},
            "points": points,
            "provenance": {
                "input_hash": input_hash(spec, dest).to_json(),
                "started_at": "synthetic",
                "device_name": "synthetic",
            },
        }
        save_run(dest / "results", record, "synthetic")
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--experiments", type=int, default=100)
    args = parser.parse_args()
    out: dict = {"repeat": args.repeat}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        empty = tmp / "empty"
        empty.mkdir()
        (empty / "Snakefile").write_text('rule done:\n    output: "done.txt"\n    shell: "touch {output}"\n')
        shutil.copytree(REPO / "profiles", empty / "profiles")
        shipped, what = shipped_copy(tmp / "shipped")
        projects = {
            "empty_workflow": empty,
            "shipped": shipped,
            "synthetic": synthetic(tmp / "synthetic", args.experiments),
        }
        for project in projects.values():
            settle(project)
        out.update(time_noops(projects, args.repeat))
        out["shipped"].update(workflow=what, experiments=len(load_experiments(shipped)[0]))
        out["synthetic"]["experiments"] = args.experiments
    anchor = out["empty_workflow"]["median_s"]
    print(f"empty workflow (anchor): {anchor:.2f} s")
    for key, label in (("shipped", "shipped knowledge base"), ("synthetic", "synthetic knowledge base")):
        row = out[key]
        print(
            f"{label} ({row['experiments']} experiments): {row['median_s']:.2f} s no-op, "
            f"{row['median_s'] / anchor:.2f}x the anchor"
        )
    verdict = "meets" if out["shipped"]["median_s"] <= 3.0 else "misses"
    print(f"target <= 3 s on the shipped knowledge base: {verdict} it ({out['shipped']['median_s']:.2f} s)")
    dest = REPO / "bench" / "out" / "workflow.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
