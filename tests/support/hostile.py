"""A knowledge base whose every user-supplied field carries a script payload: notes (title,
description, aliases, tags, headings, link labels, file names, raw HTML), references, an
experiment declaration, its result record and figure, and the curriculum. Each payload names
its field, so a crawl that catches a script running can say which field let it through."""

from __future__ import annotations

from pathlib import Path

import yaml

from cortex.experiments.declaration import load_experiment
from cortex.experiments.inputs import input_hash
from cortex.experiments.outputs import write_outputs
from cortex.experiments.store import save_run
from support.paths import REPO


def payload(field: str) -> str:
    """Markup that calls ``__xss(field)`` if it ever runs: a tag breaking out of an attribute and
    out of a ``<title>``, an event handler, a script element and an SVG onload."""
    return (
        f"\"'></title><img src=x onerror=\"__xss('{field}')\"><script>__xss('{field}')</script>"
        f"<svg onload=\"__xss('{field}')\"></svg>"
    )


def front_matter(meta: dict, body: str) -> str:
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---\n\n" + body


NOTE_BODY = """# {heading}

The target note says [[Target|{label}]] and [[{missing}]] and cites [@evil2024]. A quoted
result: {{{{< result hostile score kind="{param}" >}}}}.

A paragraph of raw HTML: {raw}

[a javascript link](javascript:__xss('markdown-link'))

#{inline_tag}
"""


def write_hostile_project(root: Path) -> Path:
    """The hostile project at ``root``; returns its content folder."""
    content = root / "content"
    (content / "notes").mkdir(parents=True)
    (content / "curriculum").mkdir()
    notes = content / "notes"
    (notes / "Target.md").write_text(
        front_matter(
            {
                "title": payload("note-title"),
                "description": payload("note-description"),
                "aliases": [payload("note-alias")],
                "tags": [payload("note-tag"), "ok/tag"],
            },
            "# Target\n\nLinked from the evil note.\n",
        ),
        "utf-8",
    )
    (notes / "Evil.md").write_text(
        front_matter(
            {"title": "Evil", "topics": ["hostile-topic"]},
            NOTE_BODY.format(
                heading=payload("heading"),
                label=payload("link-label"),
                missing=payload("link-target").replace("[", "").replace("]", ""),
                param=payload("quote-param").replace('"', "").replace(">", "").replace("<", ""),
                raw=payload("raw-html"),
                inline_tag="evil-tag",
            ),
        ),
        "utf-8",
    )
    odd_name = "Name <img src=x onerror=__xss('file-name')>.md"
    (notes / odd_name).write_text("# An odd file name\n\n[[Target]]\n", "utf-8")
    (content / "index.md").write_text("# Home\n\n[[Evil]] · [[Target]]\n", "utf-8")
    (content / "curriculum" / "pillars.yaml").write_text(
        yaml.safe_dump(
            {
                "pillars": [
                    {
                        "id": "hostile-pillar",
                        "title": payload("pillar-title"),
                        "summary": payload("pillar-summary"),
                        "topics": [
                            {
                                "id": "hostile-topic",
                                "title": payload("topic-title"),
                                "subtopics": [payload("subtopic")],
                                "resources": [
                                    {"title": payload("resource-title"), "url": "https://example.org/?q=<x>"}
                                ],
                                "projects": [payload("project")],
                                "evaluation": [payload("evaluation")],
                            }
                        ],
                    }
                ]
            },
            allow_unicode=True,
            sort_keys=False,
        ),
        "utf-8",
    )
    refs = root / "refs"
    refs.mkdir()
    bib_payload = payload("bib-field").replace("{", "").replace("}", "")
    (refs / "evil.bib").write_text(
        "@article{evil2024,\n"
        f"  title = {{{bib_payload}}},\n"
        f"  author = {{Evil, {bib_payload}}},\n"
        f"  journal = {{{bib_payload}}},\n"
        "  year = {2024},\n"
        "  url = {javascript:__xss('bib-url')},\n"
        f"  note = {{{bib_payload}}}\n"
        "}\n",
        "utf-8",
    )
    write_hostile_experiment(root)
    return content


def write_hostile_experiment(root: Path) -> None:
    experiments = root / "experiments"
    experiments.mkdir()
    declaration = {
        "title": payload("experiment-title"),
        "hypothesis": payload("hypothesis"),
        "verdict": payload("verdict"),
        "status": "analysed",
        "topics": ["hostile-topic"],
        "refs": ["evil2024"],
        "script": "experiments/hostile.py:run",
        "params": {
            "kind": [payload("param-value").replace('"', "").replace(">", "").replace("<", ""), "plain"]
        },
        "metrics": {
            "score": {
                "unit": payload("unit"),
                "better": "higher",
                "description": payload("metric-description"),
            }
        },
        "baselines": [
            {"metric": "score", "value": 1.0, "cite": "evil2024", "note": payload("baseline-note")}
        ],
        "figures": [
            {"id": "scores", "kind": "bar", "x": "kind", "y": "score", "title": payload("figure-title")}
        ],
    }
    (experiments / "hostile.md").write_text(
        front_matter(declaration, "The prose. " + payload("prose") + "\n"), "utf-8"
    )
    (experiments / "hostile.py").write_text("def run(point, bench):\n    return {'score': 2.0}\n", "utf-8")
    spec, diagnostics = load_experiment(experiments / "hostile.md", root)
    assert spec is not None, diagnostics
    evil = payload("provenance")
    points = [
        {"params": p, "status": "ok", "error": None, "seconds": 0.1, "metrics": {"score": 2.0 + i}}
        for i, p in enumerate(spec.points())
    ]
    points.append(
        {
            "params": {"kind": "broken"},
            "status": "failed",
            "error": payload("point-error"),
            "seconds": 0.1,
            "metrics": {},
        }
    )
    record = {
        "schema": 1,
        "id": "hostile",
        "title": payload("record-title"),
        "status": "ok",
        "error": None,
        "device": "cpu",
        "size": "full",
        "metrics": {"score": {"unit": payload("record-unit"), "better": "higher"}},
        "points": points,
        "provenance": {
            "input_hash": input_hash(spec, root).to_json(),
            "python": evil,
            "torch": evil,
            "cuda": evil,
            "driver": evil,
            "triton": evil,
            "device": "cpu",
            "device_name": evil,
            "platform": evil,
            "host": evil,
            "git": {"commit": evil, "dirty": False},
            "scheduler": {"name": evil, "job_id": evil, "cluster": evil, "partition": evil, "node": evil},
            "started_at": "2026-11-22T10:00:00+00:00",
            "finished_at": "2026-11-22T10:01:00+00:00",
            "duration_s": 60.0,
            "command": [evil],
            "ceilings": {"device": "cpu", "device_name": evil, "copy_GBps": 10.0},
        },
    }
    results = root / "results"
    save_run(results, record, "20261122T100000Z-1")
    write_outputs(spec, record, results / "hostile")


def write_mkdocs_config(root: Path, site_url: str) -> Path:
    config = root / "mkdocs.yml"
    config.write_text(f"INHERIT: {REPO / 'mkdocs.yml'}\ndocs_dir: content\nsite_url: {site_url}\n", "utf-8")
    return config
