"""New notes and experiment declarations, written from templates that already build and run."""

from __future__ import annotations

import re
from pathlib import Path

NOTE = """---
title: {title}
aliases: []
tags: []
topics: []
---

# {title}

"""

DECLARATION = """---
title: {title}
hypothesis: >-
  State what you expect, about which measurable quantity, and what result would show it false.
status: idea
topics: []
refs: []
device: cpu
params:
  n: [1000, 10000]
script: experiments/{id}.py:run
metrics:
  time: {{unit: s, better: lower, description: "Median seconds per call, with its spread."}}
  total: {{unit: "", description: "The value computed, as a check."}}
sizes:
  ci:
    n: [100]
---

## Question

What this experiment asks, and why the answer matters.

## Method

What `run` measures, on which inputs, and how.

## What to expect

The prediction and the reasoning behind it, written before the first run.

## Analysis

What the results show, against the prediction. Quote numbers live rather than copying them:
`{{{{< result {id} time n=1000 >}}}}` is the median time at n = 1000 with its provenance, and
`{{{{< figure {id} FIGURE_ID >}}}}` shows a declared figure here instead of below. The tables,
figures, provenance and run history follow on the page by themselves.
"""

CODE = '''"""{title}: the entry point the runner calls once per parameter point."""

import torch


def run(point: dict, bench) -> dict:
    """Return this point's metrics; ``bench`` times code the same way on CPU and GPU."""
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(point["n"], generator=generator, dtype=torch.float64)
    timing = bench.time(lambda: x.sum())
    return {{"time": timing.measurement(1.0), "total": float(x.sum())}}
'''

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


def new_note(content_dir: Path, title: str, folder: str = "") -> Path:
    """Write ``content/<folder>/<title>.md``; never overwrite."""
    if not title.strip() or any(c in title for c in "/\\#^|[]"):
        raise ValueError(f"{title!r} cannot be a note name: avoid / \\ # ^ | [ ]")
    path = Path(content_dir) / folder / f"{title.strip()}.md"
    _write_new(path, NOTE.format(title=title.strip()))
    return path


def new_experiment(repo_root: Path, exp_id: str, title: str | None = None) -> list[Path]:
    """Write ``experiments/<id>.md`` and ``experiments/<id>.py``; never overwrite."""
    if not ID.match(exp_id):
        raise ValueError(f"{exp_id!r} cannot be an experiment id: use letters, digits, _ and -")
    folder = Path(repo_root) / "experiments"
    declaration, code = folder / f"{exp_id}.md", folder / f"{exp_id}.py"
    for path in (declaration, code):
        if path.exists():
            raise FileExistsError(f"{path} exists already")
    title = title or exp_id.replace("_", " ").replace("-", " ").capitalize()
    _write_new(declaration, DECLARATION.format(title=title, id=exp_id))
    _write_new(code, CODE.format(title=title))
    return [declaration, code]


def _write_new(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as f:  # "x": fails rather than overwrite
        f.write(text)
