"""The preview's incremental rebuilds (``cortex serve``: MkDocs' dirty builds, told by the plugin
which pages changed) write the site a clean build writes.

One preview process keeps its plugins between builds, as ``mkdocs serve`` does; after each
change to notes, references, results or an experiment it rebuilds, and every file of its site
is compared with a clean ``mkdocs build`` of the same project, byte for byte, the search index
included. The pages it renders are checked too: an edit renders the pages it affects, not the
whole site."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import site_project
from support.paths import REPO, write_tree
from support.results_site import add_run, squares_points

URL = "http://127.0.0.1:8000/"
DRIVER = REPO / "tests" / "support" / "preview_driver.py"

NOTES = {
    "content/notes/alpha.md": "---\ntags: [kernels]\n---\n# Alpha\n\nAlpha links to [[beta]].\n",
    "content/notes/beta.md": "# Beta\n\nBeta stands alone, and cites [@knuth1997].\n\n## Details\n\nMore.\n",
    "content/notes/gamma.md": "# Gamma\n\nGamma embeds beta:\n\n![[beta]]\n\nSee [[beta#Details]].\n",
    "content/notes/quoting.md": (
        "# Quoting\n\nThe square of three is {{< result squares sq n=3 >}} in the latest run.\n"
    ),
    "content/notes/delta.md": "# Delta\n\nNothing links here.\n",
    "content/notes/worked.ipynb": json.dumps(
        {
            "cells": [
                {"cell_type": "markdown", "metadata": {}, "source": ["# Worked\n", "A notebook page."]},
                {
                    "cell_type": "code",
                    "execution_count": 1,
                    "metadata": {},
                    "outputs": [{"name": "stdout", "output_type": "stream", "text": ["4\n"]}],
                    "source": ["print(2 + 2)"],
                },
            ],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 4,
        }
    ),
}


OVERRIDE = '{% extends "base.html" %}{% block content %}<p>Theme VERSION</p>{{ super() }}{% endblock %}\n'


class Preview:
    """The builds of one ``mkdocs serve --dirty`` (``support/preview_driver.py``)."""

    def __init__(self, root: Path, site: Path) -> None:
        self.site = site
        self.process = subprocess.Popen(
            [sys.executable, "-P", str(DRIVER), str(root / "mkdocs.yml"), str(site), URL],
            cwd=root,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    def build(self) -> set[str]:
        """Rebuild; the pages the plugin rendered."""
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("build\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the preview process ended"
        answer = json.loads(line)
        assert answer["error"] is None, answer["error"]
        return set(answer["rendered"])

    def __enter__(self) -> Preview:
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.process.stdout.close()


def clean_build(root: Path, site: Path) -> Path:
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(root / "mkdocs.yml"), "-d", str(site)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return site


def files_of(site: Path) -> dict[str, bytes]:
    found = {}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        name = path.relative_to(site).as_posix()
        data = path.read_bytes()
        found[name] = gzip.decompress(data) if name.endswith(".gz") else data  # gzip stamps the time
    return found


def assert_same_site(preview: Path, clean: Path, step: str) -> None:
    ours, theirs = files_of(preview), files_of(clean)
    assert sorted(ours) == sorted(theirs), f"{step}: the files differ"
    differ = [name for name in theirs if ours[name] != theirs[name]]
    assert differ == [], f"{step}: these differ from a clean build: {differ}"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), "utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = site_project(tmp_path)
    write_tree(root, NOTES)
    # a theme override, as a site customises material: a line above every page's content
    write_tree(root, {"overrides/main.html": OVERRIDE.replace("VERSION", "first")})
    with (root / "mkdocs.yml").open("a", encoding="utf-8") as config:
        config.write(f"site_url: {URL}\n")  # serve's address, which the clean builds use too
        config.write("theme:\n  custom_dir: overrides\n")
    return root


def test_each_rebuild_of_the_preview_writes_what_a_clean_build_writes(project: Path, tmp_path: Path):
    root, notes = project, project / "content" / "notes"

    steps = [
        ("nothing changed", lambda: None),
        ("a new link", lambda: edit(notes / "delta.md", "Nothing links here.", "Now it links [[alpha]].")),
        ("an edited embed", lambda: edit(notes / "beta.md", "stands alone", "stands alone, edited")),
        ("a renamed heading", lambda: edit(notes / "beta.md", "## Details", "## Particulars")),
        ("a notebook's new title", lambda: edit(notes / "worked.ipynb", "# Worked", "# Worked out")),
        (
            "a new note",
            lambda: write_tree(root, {"content/notes/epsilon.md": "# Epsilon\n\nSee [[gamma]].\n"}),
        ),
        ("a renamed note", lambda: (notes / "epsilon.md").rename(notes / "zeta.md")),
        ("a deleted note", lambda: (notes / "zeta.md").unlink()),
        (
            "an edited reference",
            lambda: edit(root / "refs" / "refs.bib", "Art of Computer", "Art of Computing"),
        ),
        (
            "a new run",
            lambda: add_run(root, "squares", squares_points(sq3=10), "2026-11-23T09:30:00+00:00"),
        ),
        (
            "an edited declaration",
            lambda: edit(root / "experiments" / "squares.md", "grows faster than", "outgrows"),
        ),
        # the results of the experiments it runs are stale now, which their pages and the quote say
        ("an edited script", lambda: edit(root / "experiments" / "squares.py", "def ", "# edited\ndef ")),
        ("an edited theme override", lambda: edit(root / "overrides" / "main.html", "first", "second")),
        ("an edited tag", lambda: edit(notes / "alpha.md", "tags: [kernels]", "tags: [kernels, numerics]")),
        # the sentence delta links alpha in is unchanged: alpha's "Linked from" shows the new title
        ("a retitled note", lambda: edit(notes / "delta.md", "# Delta", "# Delta, retitled")),
    ]
    rendered = {}
    with Preview(root, tmp_path / "preview") as preview:
        every = preview.build()
        assert {"notes/alpha.md", "notes/beta.md", "index.md"} <= every
        assert_same_site(preview.site, clean_build(root, tmp_path / "clean-0"), "the first build")
        asset = preview.site / "assets" / "cortex" / "plotly.min.js"
        copied = asset.stat().st_mtime_ns
        for n, (step, change) in enumerate(steps, 1):
            change()
            rendered[step] = preview.build()
            assert_same_site(preview.site, clean_build(root, tmp_path / f"clean-{n}"), step)
        assert asset.stat().st_mtime_ns == copied  # an unchanged asset is not copied again

    assert rendered["nothing changed"] == set()
    # a link renders the page that has it and the one it links to (its backlinks), and the
    # graph page, not the notes it does not touch
    link = rendered["a new link"]
    assert {"notes/delta.md", "notes/alpha.md"} <= link and "notes/gamma.md" not in link
    assert "notes/worked.ipynb" in every and "notes/worked.ipynb" not in link  # not converted again
    assert len(link) < len(every) / 2, link
    # an edited note renders the notes that embed it
    assert {"notes/beta.md", "notes/gamma.md"} <= rendered["an edited embed"]
    assert "notes/gamma.md" in rendered["a renamed heading"]  # its link to the heading broke
    assert "notes/alpha.md" not in rendered["an edited embed"]
    # a new run renders the note that quotes it and the experiment's page
    assert {"notes/quoting.md", "experiments/squares.md"} <= rendered["a new run"]
    assert "notes/alpha.md" not in rendered["a new run"]
    # an experiment's page is made again when its declaration or its state changed, and only then
    assert "experiments/squares.md" in rendered["an edited declaration"]
    assert "experiments/grid.md" not in rendered["an edited declaration"]
    stale = {"experiments/squares.md", "experiments/grid.md", "experiments/single.md", "notes/quoting.md"}
    assert stale <= rendered["an edited script"]
    assert "experiments/idea.md" not in rendered["an edited script"]  # it runs no script
    # the reference's citing page renders again
    assert "notes/beta.md" in rendered["an edited reference"]
    assert rendered["an edited theme override"] == every  # every page has it
    assert "notes/alpha.md" in rendered["a retitled note"]
