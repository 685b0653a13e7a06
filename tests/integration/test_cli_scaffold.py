"""`cortex new` writes a note or an experiment that works as it is; `cortex run` runs it."""

from __future__ import annotations

import json

from support.cli import cortex


def test_new_experiment_runs_and_new_note_checks_clean(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: t\ndocs_dir: content\n", "utf-8")
    (tmp_path / "content" / "index.md").write_text("# Home\n\nSee [[My idea]].\n", "utf-8")

    made = cortex("new", "experiment", "demo_sum", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "experiments" / "demo_sum.md").is_file() and (
        tmp_path / "experiments" / "demo_sum.py"
    ).is_file()
    ran = cortex("run", "demo_sum", "--size", "ci", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    record = json.loads((tmp_path / "results" / "demo_sum" / "result.json").read_text("utf-8"))
    assert record["status"] == "ok" and len(record["points"]) == 1
    assert record["points"][0]["metrics"]["total"] > 0

    note = cortex("new", "note", "My idea", "--folder", "notes", cwd=tmp_path)
    assert note.returncode == 0, note.stderr
    path = tmp_path / "content" / "notes" / "My idea.md"
    assert path.read_text("utf-8").startswith("---\ntitle: My idea\n")
    path.write_text(path.read_text("utf-8") + "Mine.\n", "utf-8")
    again = cortex("new", "note", "My idea", "--folder", "notes", cwd=tmp_path)
    assert again.returncode != 0 and "exists" in again.stderr
    assert path.read_text("utf-8").endswith("Mine.\n")  # never overwritten
    assert cortex("new", "experiment", "demo_sum", cwd=tmp_path).returncode != 0
    check = cortex("check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_new_note_and_experiment_titles_stay_one_yaml_string(tmp_path):
    """A title that YAML would read as a mapping, a comment, an alias or a flow collection is
    written so the note's and the declaration's front matter still read back as that title."""
    import yaml

    (tmp_path / "content").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: t\ndocs_dir: content\n", "utf-8")
    title = "Ideas: *alias, {flow} & 'quotes' - not: a mapping"
    note = cortex("new", "note", title, cwd=tmp_path)
    assert note.returncode == 0, note.stderr
    front = (tmp_path / "content" / f"{title}.md").read_text("utf-8").split("---\n")[1]
    assert yaml.safe_load(front)["title"] == title
    made = cortex("new", "experiment", "odd_title", "--title", title, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    declaration = (tmp_path / "experiments" / "odd_title.md").read_text("utf-8").split("---\n")[1]
    assert yaml.safe_load(declaration)["title"] == title
    check = cortex("check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
