"""Experiment declarations: schema, positions of errors, parameter points."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.paths import TEST_FIXTURES

from cortex.experiments.declaration import expand_params, load_experiment, load_experiments

FIXTURE = TEST_FIXTURES / "experiments"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE / "experiments", tmp_path / "experiments")
    return tmp_path


def write(repo: Path, name: str, text: str) -> Path:
    path = repo / "experiments" / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD_HEAD = "---\ntitle: T\nstatus: planned\nscript: experiments/alpha.py:run\nmetrics:\n  sq: {unit: ''}\n"


def only_errors(repo: Path, name: str, text: str):
    spec, diags = load_experiment(write(repo, name, text), repo)
    assert spec is None
    return diags


def test_fixture_declarations_load_with_every_field(repo: Path):
    specs, diags = load_experiments(repo)
    assert diags == []
    by_id = {s.id: s for s in specs}
    assert set(by_id) == {"alpha", "beta", "gpu"}
    alpha = by_id["alpha"]
    assert alpha.title == "Squares"
    assert alpha.device == "cpu" and alpha.status == "planned" and alpha.topics == ["arithmetic"]
    assert alpha.script == "experiments/alpha.py:run"
    assert alpha.script_path == "experiments/alpha.py" and alpha.entry_function == "run"
    assert alpha.metrics["sq"].better == "higher" and alpha.metrics["sq"].unit == ""
    assert alpha.prose.strip() == "The prose of alpha. Editing it reruns nothing."
    assert [f.id for f in alpha.figures] == ["squares"]
    assert alpha.line_of("params") == 8
    assert alpha.line_of("metrics", "label") == 15


def test_grid_list_and_sizes_expand_to_points(repo: Path):
    alpha = {s.id: s for s in load_experiments(repo)[0]}["alpha"]
    assert alpha.points() == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert alpha.points("ci") == [{"n": 1}, {"n": 2}]
    assert alpha.points("full") == alpha.points()
    assert expand_params({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 2, "b": "x"},
        {"a": 2, "b": "y"},
    ]
    assert expand_params([{"a": 1}, {"a": 5, "b": 2}]) == [{"a": 1}, {"a": 5, "b": 2}]
    assert expand_params({}) == [{}]


def test_unknown_keys_and_wrong_types_point_at_their_lines(repo: Path):
    diags = only_errors(
        repo,
        "bad.md",
        "---\ntitle: T\nstatus: finished\ndevice: gpu\nparams:\n  n: 3\nscript: experiments/alpha.py:run\n"
        "metrics:\n  sq: {unit: '', better: up, colour: red}\nsurprise: 1\ntopics: notalist\n---\nprose\n",
    )
    found = {(d.line, d.message.split(" ")[0]) for d in diags}
    text = "\n".join(str(d) for d in diags)
    assert all(d.path.endswith("bad.md") and d.is_error for d in diags)
    assert (3, "`status`") in found  # status: finished
    assert (4, "`device`") in found
    assert any(d.line == 6 and "`n` must be a non-empty list" in d.message for d in diags)
    assert any(d.line == 9 and "`better` must be higher or lower" in d.message for d in diags)
    assert any(d.line == 9 and "unknown key `colour`" in d.message for d in diags)
    assert any(d.line == 10 and d.col == 1 and "unknown key `surprise`" in d.message for d in diags), text
    assert any(d.line == 11 and "`topics` must be a list" in d.message for d in diags), text


def test_invalid_yaml_is_a_diagnostic_with_its_line(repo: Path):
    diags = only_errors(repo, "broken.md", "---\ntitle: T\nparams: [1, 2\nstatus: idea\n---\n")
    assert len(diags) == 1 and "invalid YAML" in diags[0].message and diags[0].line >= 3


def test_missing_front_matter_and_required_fields(repo: Path):
    assert "no YAML front matter" in only_errors(repo, "plain.md", "# just a note\n")[0].message
    diags = only_errors(repo, "bare.md", "---\nhypothesis: h\n---\n")
    assert {d.message for d in diags} == {
        "the experiment declaration is missing `title`",
        "the experiment declaration is missing `status`",
    }


def test_entry_point_problems_point_at_the_script_line(repo: Path):
    head = "---\ntitle: T\nstatus: planned\nmetrics:\n  sq: {unit: ''}\n"
    cases = {
        "script: experiments/alpha.py:nope": "entry point `nope` is not defined in `experiments/alpha.py`",
        "script: experiments/missing.py:run": "script `experiments/missing.py` does not exist",
        "script: ../outside.py:run": "script `../outside.py` is outside the repository",
        "script: /etc/passwd.py:run": "script `/etc/passwd.py` is outside the repository",
        "script: experiments/alpha.py": "`script` must be `path/to/file.py:function`",
    }
    (repo.parent / "outside.py").write_text("def run(p, b):\n    return {}\n")
    for line, message in cases.items():
        diags = only_errors(repo, "entry.md", head + line + "\n---\n")
        assert len(diags) == 1, diags
        assert diags[0].line == 6 and message in diags[0].message


def test_cross_references_are_checked(repo: Path):
    diags = only_errors(
        repo,
        "refs.md",
        GOOD_HEAD + "params:\n  n: [1]\nsizes:\n  ci: {m: [1]}\n  huge: {n: [2]}\n"
        "baselines:\n  - {metric: speed, value: 1, cite: k}\n  - {metric: sq, value: fast, cite: k}\n"
        "figures:\n  - {id: f, kind: pie, x: n, y: nothing}\n  - {id: g, kind: line, x: n, y: sq, facet: mode}\n"
        "data: [missing.csv]\ntimeout: -1\nheadline: speed\n---\n",
    )
    messages = sorted(d.message for d in diags)
    assert any("size `ci` overrides `m`, which is not in `params`" in m for m in messages)
    assert any("unknown size `huge`" in m for m in messages)
    assert any("`speed`, which is not a declared metric" in m for m in messages)
    assert any("`value` must be a number, not text" in m for m in messages)
    assert any("figure `kind` must be one of line | bar | scatter" in m for m in messages)
    assert any("figure y `nothing` is neither a parameter nor a metric" in m for m in messages)
    assert any("figure facet `mode` is neither a parameter nor a metric" in m for m in messages)
    assert any("`headline` names `speed`, which is not a declared metric" in m for m in messages)
    assert any("data file `missing.csv` does not exist" in m for m in messages)
    assert any("`timeout` must be positive" in m for m in messages)


def test_one_bad_declaration_does_not_stop_the_others(repo: Path):
    write(repo, "aaa_bad.md", "---\ntitle: [not, text]\nstatus: idea\n---\n")
    write(repo, "index.md", "# Experiments\n")  # an index page is not a declaration
    specs, diags = load_experiments(repo)
    assert {s.id for s in specs} == {"alpha", "beta", "gpu"}
    assert len(diags) == 1 and diags[0].path.endswith("aaa_bad.md") and diags[0].line == 2


def test_an_idea_needs_no_script(repo: Path):
    spec, diags = load_experiment(
        write(repo, "idea.md", "---\ntitle: Later\nstatus: idea\n---\nSome day.\n"), repo
    )
    assert diags == [] and spec is not None and not spec.runnable and spec.points() == [{}]


def test_a_key_written_twice_is_an_error_where_it_is_repeated(repo: Path):
    diags = only_errors(repo, "twice.md", GOOD_HEAD + "title: Again\n---\n")
    assert [(d.line, d.col, d.code.value) for d in diags] == [(7, 1, "invalid-declaration")]
    assert "key `title` appears twice in the same mapping" in diags[0].message


def test_data_patterns_expand_to_every_file_but_the_declaration_and_each_is_an_input(repo: Path):
    from cortex.experiments.inputs import input_hash

    notes = repo / "content" / "notes"
    notes.mkdir(parents=True)
    (notes / "a.md").write_text("A\n")
    (repo / "content" / "top.md").write_text("Top\n")
    text = GOOD_HEAD + 'data: ["content/**/*.md", "experiments/*.md"]\n---\n'
    spec, diags = load_experiment(write(repo, "lm.md", text), repo)
    assert diags == [] and spec is not None
    assert spec.data[:2] == ["content/notes/a.md", "content/top.md"]
    assert "experiments/lm.md" not in spec.data and "experiments/alpha.md" in spec.data
    before = input_hash(spec, repo)
    (notes / "b.md").write_text("B\n")  # a new note is a new input
    again, _ = load_experiment(repo / "experiments" / "lm.md", repo)
    assert again is not None and "content/notes/b.md" in input_hash(again, repo).components
    assert input_hash(again, repo).sha256 != before.sha256


def test_a_data_pattern_that_matches_nothing_or_leaves_the_repository_is_an_error(repo: Path):
    diags = only_errors(repo, "lm.md", GOOD_HEAD + 'data: ["nothing/*.csv", "../*.md"]\n---\n')
    messages = [(d.line, d.message) for d in diags]
    assert (7, "data pattern `nothing/*.csv` matches no file") in messages
    assert (7, "data pattern `../*.md` reaches outside the repository") in messages
