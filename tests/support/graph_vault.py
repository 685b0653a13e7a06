"""A small project with every kind of node and edge the graph has: notes that link, embed,
cite and read papers, carry tags and name curriculum topics; an experiment that tests papers
through its refs and a baseline; a note whose title is hostile HTML; a paper nobody uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from support.paths import write_tree

HOSTILE_TITLE = "</script><img src=x onerror=\"__xss('graph')\">&amp; Tom's $x$ <b>bold</b>"
KAHAN = "numerics/Kahan Summation.md"
BOUNDS = "numerics/Error Bounds.md"
READING = "reading/Higham 1993.md"
HOSTILE = "notes/Hostile.md"

FILES = {
    "content/index.md": "# Home\n\nStart at [[Kahan Summation]].\n",
    f"content/{KAHAN}": (
        "---\ntags: [numerics]\ntopics: [linear-algebra]\n---\n# Kahan Summation\n\n"
        "Kahan's trick [@kahan1965]. See [[Error Bounds#Bound]] and #method.\n\n![[Error Bounds]]\n"
    ),
    f"content/{BOUNDS}": "# Error Bounds\n\n## Bound\n\nSmall.\n",
    f"content/{READING}": "---\ncite: higham1993\n---\n# Higham 1993\n\nRead it.\n",
    f"content/{HOSTILE}": (
        "---\n"
        + yaml.safe_dump({"title": HOSTILE_TITLE, "tags": ["numerics"]})
        + "---\nA note with a hostile title links [[Kahan Summation]].\n"
    ),
    "content/curriculum/pillars.yaml": (
        "pillars:\n  - id: foundations\n    title: Foundations\n    summary: Maths.\n    topics:\n"
        "      - {id: linear-algebra, title: Linear Algebra}\n"
        "      - {id: gpus, title: GPU Programming}\n"
        "      - {id: unused, title: Nobody Studies This}\n"
    ),
    "experiments/sums.md": (
        "---\ntitle: Summation error\nhypothesis: Compensation helps.\nstatus: idea\ntopics: [gpus]\n"
        "refs: [higham1993]\nparams:\n  n: [1, 2]\nscript: experiments/sums.py:run\n"
        'metrics:\n  err: {unit: "", better: lower}\n'
        "baselines:\n  - {metric: err, value: 1, cite: dao2022, point: {n: 2}}\n---\n"
        "As [@kahan1965] showed.\n"
    ),
    "experiments/sums.py": 'def run(n):\n    return {"err": 1.0}\n',
    "refs/refs.bib": (
        "@article{kahan1965, title = {Further remarks on reducing truncation errors},\n"
        "  author = {Kahan, William}, year = {1965}, journal = {Communications of the ACM}}\n"
        "@book{higham1993, title = {The Accuracy of Floating Point Summation},\n"
        "  author = {Higham, Nicholas J.}, year = {1993}, publisher = {SIAM}}\n"
        "@misc{dao2022, title = {FlashAttention}, author = {Dao, Tri}, year = {2022}}\n"
        "@misc{unused2000, title = {Nobody cites this}, author = {Nobody, A.}, year = {2000}}\n"
    ),
}


def graph_project(root: Path) -> Path:
    """The project written under ``root`` (content/, experiments/, refs/); returns ``root``."""
    return write_tree(root, FILES)
