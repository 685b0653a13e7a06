"""A small knowledge base of experiments and hand-written result records for the tests of
experiment pages, quotes and curriculum pages. The records are test inputs written through the
real result store (``save_run``, ``write_outputs``), hashed from the fixture's real files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import markdown

from cortex.experiments.declaration import load_experiment, load_experiments
from cortex.experiments.inputs import input_hash
from cortex.experiments.outputs import write_outputs
from cortex.experiments.store import ResultSet, save_run
from support.paths import TEST_FIXTURES

FIXTURE = TEST_FIXTURES / "results_site"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
EXTENSIONS = [
    "tables",
    "attr_list",
    "md_in_html",
    "toc",
    "def_list",
    "admonition",
    "pymdownx.details",
    "pymdownx.superfences",
    "pymdownx.tabbed",
]


def copy_site(tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(FIXTURE, root)
    return root


def spec_of(root: Path, exp_id: str):
    spec, diags = load_experiment(root / "experiments" / f"{exp_id}.md", root)
    assert diags == [], diags
    return spec


def measured(value: float, iqr: float, reps: int = 9) -> dict:
    return {"value": value, "low": value - iqr / 2, "high": value + iqr / 2, "iqr": iqr, "reps": reps}


def record(
    spec,
    root: Path,
    points: list[tuple[dict, dict]],
    started: str,
    *,
    device_name: str = "Test GPU",
    size: str = "full",
    status: str = "ok",
    error: str | None = None,
) -> dict:
    return {
        "schema": 1,
        "id": spec.id,
        "title": spec.title,
        "status": status,
        "error": error,
        "device": "cuda",
        "size": size,
        "metrics": {m.name: {"unit": m.unit, "better": m.better} for m in spec.metrics.values()},
        "points": [
            {"params": params, "status": "ok", "error": None, "seconds": 0.1, "metrics": metrics}
            for params, metrics in points
        ],
        "provenance": {
            "input_hash": input_hash(spec, root).to_json(),
            "python": "3.11.7",
            "torch": "2.13.0",
            "cuda": "12.8",
            "cudnn": 90100,
            "driver": "570.86",
            "triton": None,
            "device": "cuda",
            "device_name": device_name,
            "platform": "Linux",
            "host": "testhost",
            "cpu_count": 2,
            "cpu_threads": 1,
            "load_average": 0.42,
            "git": {"commit": COMMIT, "dirty": False},
            "started_at": started,
            "finished_at": started,
            "duration_s": 1.5,
            "command": [],
            "ceilings": None,
        },
    }


def store(root: Path, spec, rec: dict, run_name: str) -> None:
    save_run(root / "results", rec, run_name)
    if rec["status"] == "ok":
        write_outputs(spec, rec, root / "results" / spec.id)


def add_run(root: Path, exp_id: str, points: list[tuple[dict, dict]], started: str, **options) -> dict:
    """Record and store one run of ``exp_id`` that started at ``started`` (see ``record``)."""
    spec = spec_of(root, exp_id)
    rec = record(spec, root, points, started, **options)
    store(root, spec, rec, re.sub(r"[-:]", "", started[:19]) + "Z-1")
    return rec


def squares_points(sq3: float = 9, time3: tuple[float, float] = (3e-6, 2e-7)) -> list[tuple[dict, dict]]:
    return [
        (
            {"n": n},
            {
                "time": measured(*(time3 if n == 3 else (1e-6 * n, 1e-7))),
                "sq": sq3 if n == 3 else n * n,
                "label": f"n{n}",
            },
        )
        for n in (1, 2, 3)
    ]


def populated_site(tmp_path: Path) -> Path:
    """squares with two runs (the later one current), grid and single with one run each."""
    root = copy_site(tmp_path)
    add_run(root, "squares", squares_points(sq3=9, time3=(3.0e-6, 4e-7)), "2026-11-20T10:00:00+00:00")
    add_run(root, "squares", squares_points(sq3=9, time3=(3.2e-6, 4e-7)), "2026-11-22T09:30:00+00:00")
    points = [({"a": a, "b": b}, {"v": a * 10 + (b == "y")}) for a in (1, 2) for b in ("x", "y")]
    add_run(root, "grid", points, "2026-11-21T08:00:00+00:00", device_name="AMD EPYC", size="ci")
    add_run(root, "single", [({}, {"answer": 42})], "2026-11-21T09:00:00+00:00")
    return root


def results_of(root: Path) -> ResultSet:
    specs, diags = load_experiments(root)
    assert diags == [], diags
    return ResultSet.load(specs, root)


def to_html(text: str) -> str:
    """Render generated Markdown with the Python-Markdown extensions the site configures."""
    return markdown.markdown(text, extensions=EXTENSIONS)
