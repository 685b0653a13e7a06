"""New notes and experiment declarations, written from templates that already build and run,
and ideas: declarations at ``status: idea`` that carry the method's assessment."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import asdict
from datetime import date
from pathlib import Path

import yaml

from cortex.experiments.declaration import Assessment

NOTE = """---
title: {yaml_title}
aliases: []
tags: []
topics: []
---

# {title}

"""

DECLARATION = """---
title: {yaml_title}
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

IDEA = """
## Motivation

Why the question matters, and what the papers that prompted it leave open.

## Assessment

What changes if it works, what could stop it being tested, and who needs the answer (the
method's step 2, Assessing Implications). Move it on with `cortex advance {id}` once it has a
hypothesis, metrics and a script.
"""

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
ID_LENGTH = 48  # an id made from a title is cut here, at a word


def yaml_scalar(text: str) -> str:
    """``text`` as one YAML scalar on one line, quoted only when it has to be (``: ``, quotes,
    ``#``, a leading ``-`` or ``{``); a line break is written as an escape."""
    dumped = yaml.safe_dump(text, allow_unicode=True, width=1_000_000, default_style=None)
    if "\n" in text.strip() or "\r" in text:
        return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar
    return dumped.removesuffix("\n...\n").rstrip("\n")


def new_note(content_dir: Path, title: str, folder: str = "") -> Path:
    """Write ``content/<folder>/<title>.md``; never overwrite."""
    if not title.strip() or any(c in title for c in "/\\#^|[]"):
        raise ValueError(f"{title!r} cannot be a note name: avoid / \\ # ^ | [ ]")
    path = Path(content_dir) / folder / f"{title.strip()}.md"
    _write_new(path, NOTE.format(title=title.strip(), yaml_title=yaml_scalar(title.strip())))
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
    _write_new(declaration, DECLARATION.format(title=title, yaml_title=yaml_scalar(title), id=exp_id))
    _write_new(code, CODE.format(title=title))
    return [declaration, code]


def idea_id(title: str) -> str:
    """An experiment id from a title: ASCII letters and digits, words joined by ``_``, at most
    ``ID_LENGTH`` characters; "" when the title has no letter or digit to make one from."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    exp_id = ""
    for word in words:
        longer = f"{exp_id}_{word}" if exp_id else word
        if len(longer) > ID_LENGTH:
            break
        exp_id = longer
    return exp_id or (words[0][:ID_LENGTH] if words else "")


def new_idea(
    repo_root: Path,
    title: str,
    assessment: Assessment,
    *,
    exp_id: str | None = None,
    hypothesis: str = "",
    created: date | None = None,
) -> Path:
    """Write ``experiments/<id>.md`` at ``status: idea`` with its assessment; never overwrite.
    The front matter is written by ``yaml.safe_dump``, so any title reads back as itself."""
    title = title.strip()
    if not title:
        raise ValueError("an idea needs a title")
    exp_id = exp_id or idea_id(title)
    if not exp_id:
        raise ValueError(f"no id can be made from {title!r}: name one with --id")
    if not ID.match(exp_id):
        raise ValueError(f"{exp_id!r} cannot be an experiment id: use letters, digits, _ and -")
    meta: dict[str, object] = {"title": title}
    if hypothesis.strip():
        meta["hypothesis"] = hypothesis.strip()
    meta["status"] = "idea"
    meta["created"] = created or date.today()
    given = {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(assessment).items() if v}
    if given:
        meta["assessment"] = given
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100)
    path = Path(repo_root) / "experiments" / f"{exp_id}.md"
    _write_new(path, f"---\n{front}---\n{IDEA.format(id=exp_id)}")
    return path


def _write_new(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as f:  # "x": fails rather than overwrite
        f.write(text)
