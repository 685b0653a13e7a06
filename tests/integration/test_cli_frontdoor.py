"""One front door: `cortex build`, `cortex publish` and `cortex run` on a temporary project, each
doing its work and each refusing what it must (the preview is in test_serve.py, --help in
test_cli_help.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import cortex, site_project
from support.paths import write_tree

URL = "https://kb.example.org/research/"
PUBLISH_ENV = {"CORTEX_SITE_URL": URL}
BROKEN_NOTE = {"content/notes/bad.md": "# Bad\n\nSee [[Nowhere]].\n"}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = site_project(tmp_path)
    checked = cortex("check", cwd=root)
    assert checked.returncode == 0 and "0 error(s), 0 warning(s)" in checked.stderr, checked.stderr
    return root


def make_stale(root: Path) -> None:
    """Change the code of squares, grid and single (one script): their results become stale."""
    script = root / "experiments" / "squares.py"
    script.write_text(script.read_text("utf-8") + "\n# changed since the runs\n", "utf-8")


def test_build_writes_the_site_and_strict_fails_on_a_broken_link(project: Path, tmp_path: Path):
    out = tmp_path / "out"
    built = cortex("build", "--site-dir", str(out), cwd=project)
    assert built.returncode == 0, built.stderr
    page = (out / "experiments" / "squares" / "index.html").read_text("utf-8")
    assert "Squares of small integers" in page and ">3.20</span>" in page  # the current run's median

    write_tree(project, BROKEN_NOTE)
    # from a folder inside the project, as from its root
    strict = cortex("build", "--strict", "-d", str(tmp_path / "strict"), cwd=project / "content" / "notes")
    assert strict.returncode == 1
    assert "content/notes/bad.md:3:5: error: unresolved [[Nowhere]]" in strict.stderr
    assert "Aborted with 1 errors in strict mode" in strict.stdout + strict.stderr
    plain = cortex("build", "--dirty", "-d", str(out), cwd=project)  # a plain build reports it, builds on
    assert plain.returncode == 0, plain.stderr
    assert "unresolved [[Nowhere]]" in plain.stderr
    assert (out / "notes" / "bad" / "index.html").is_file()


def test_build_outside_a_project_says_so(tmp_path: Path):
    done = cortex("build", cwd=tmp_path)
    assert done.returncode == 2 and "no mkdocs.yml here or above" in done.stderr


def test_publish_refuses_without_its_address_with_an_error_or_with_a_stale_result(
    project: Path, tmp_path: Path
):
    target = tmp_path / "public"
    unset = cortex("publish", "--to", str(target), cwd=project)
    assert unset.returncode == 1
    assert "site_url is not set" in unset.stderr and "Error: not published" in unset.stderr
    loopback = cortex(
        "publish", "--to", str(target), cwd=project, env={"CORTEX_SITE_URL": "http://127.0.0.1:8000/"}
    )
    assert loopback.returncode == 1 and "an address of this machine" in loopback.stderr

    make_stale(project)
    stale = cortex("publish", "--to", str(target), cwd=project, env=PUBLISH_ENV)
    assert stale.returncode == 1
    assert (
        "experiments/squares.md:13:1: warning: stale result: `experiments/squares.py` changed since "
        "the run of 2026-11-22 on Test GPU" in stale.stderr
    )
    assert "3 stale result(s)" in stale.stderr and "--allow-stale" in stale.stderr

    write_tree(project, BROKEN_NOTE)
    broken = cortex("publish", "--to", str(target), "--allow-stale", cwd=project, env=PUBLISH_ENV)
    assert broken.returncode == 1
    assert "content/notes/bad.md:3:5: error: unresolved [[Nowhere]]" in broken.stderr
    assert not target.exists()


def test_publish_builds_at_its_address_into_a_folder_and_replaces_it_whole(project: Path, tmp_path: Path):
    target = tmp_path / "public"
    first = cortex("publish", "--to", str(target), cwd=project, env=PUBLISH_ENV)
    assert first.returncode == 0, first.stderr
    assert f"published {target} for {URL}" in first.stdout
    page = (target / "experiments" / "squares" / "index.html").read_text("utf-8")
    assert f'<link rel="canonical" href="{URL}experiments/squares/">' in page
    assert f"<loc>{URL}experiments/squares/</loc>" in (target / "sitemap.xml").read_text("utf-8")
    assert "stale ⚠" not in page

    (target / "left-over.html").write_text("from an older site", "utf-8")
    make_stale(project)
    again = cortex("publish", "--to", str(target), "--allow-stale", cwd=project, env=PUBLISH_ENV)
    assert again.returncode == 0, again.stderr
    assert "stale result" in again.stderr and "published marked stale" in again.stderr
    assert "stale ⚠" in (target / "experiments" / "squares" / "index.html").read_text("utf-8")
    assert not (target / "left-over.html").exists()  # the new site replaced the old one whole
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["kb", "public"])  # nothing staged left


def test_publish_never_replaces_a_folder_that_is_not_a_site(project: Path, tmp_path: Path):
    mine = write_tree(tmp_path / "thesis", {"thesis.tex": "\\documentclass{article}\n"})
    pages = write_tree(tmp_path / "pages", {"index.html": "<p>hi</p>", ".git/HEAD": "ref: refs/heads/main\n"})
    refusals = {
        str(mine): "holds files but no site",
        str(pages): "is a git checkout",
        str(project): "holds the project itself",
        str(project / "content" / "public"): "inside the content folder",
    }
    for target, reason in refusals.items():
        done = cortex("publish", "--to", target, cwd=project, env=PUBLISH_ENV)
        assert done.returncode == 1 and reason in done.stderr, done.stderr
    assert (mine / "thesis.tex").read_text("utf-8") == "\\documentclass{article}\n"
    assert (pages / ".git" / "HEAD").is_file()
    assert not (project / "content" / "public").exists()


def test_run_forwards_its_options_to_the_runner(project: Path, tmp_path: Path):
    committed = (project / "results" / "squares" / "result.json").read_bytes()
    elsewhere = tmp_path / "elsewhere"
    ran = cortex(
        "run", "squares", "--device", "cpu", "--size", "ci", "--results-dir", str(elsewhere), cwd=project
    )
    assert ran.returncode == 0, ran.stderr
    record = json.loads((elsewhere / "squares" / "result.json").read_text("utf-8"))
    assert (record["device"], record["size"], record["status"]) == ("cpu", "ci", "ok")
    assert "[3/3] {n=3} ok" in ran.stderr  # one line per point, as it finishes
    assert (project / "results" / "squares" / "result.json").read_bytes() == committed

    missing = cortex("run", "nowhere", cwd=project)
    assert missing.returncode == 2 and "experiments/nowhere.md does not exist" in missing.stderr
