"""Result store: input hashing, atomic records and history, staleness, hash files, run plans."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from support.paths import TEST_FIXTURES

from cortex.diagnostics import Diagnostic
from cortex.experiments.declaration import load_experiment, load_experiments
from cortex.experiments.inputs import code_files, input_hash
from cortex.experiments.plan import plan_runs, sync_hash_file
from cortex.experiments.staleness import staleness
from cortex.experiments.store import ResultSet, atomic_write_json, history, load_record, save_run
from cortex.text.json_positions import json_positions

FIXTURE = TEST_FIXTURES / "experiments"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURE / "experiments", tmp_path / "experiments")
    return tmp_path


def spec_of(repo: Path, exp_id: str):
    spec, diags = load_experiment(repo / "experiments" / f"{exp_id}.md", repo)
    assert diags == [], diags
    return spec


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def record_for(spec, repo: Path, status: str = "ok", started: str = "2026-11-22T10:00:00+00:00") -> dict:
    return {
        "schema": 1,
        "id": spec.id,
        "title": spec.title,
        "status": status,
        "error": None,
        "device": "cuda",
        "size": "full",
        "metrics": {},
        "points": [
            {"params": p, "status": "ok", "error": None, "seconds": 0.0, "metrics": {}} for p in spec.points()
        ],
        "provenance": {
            "input_hash": input_hash(spec, repo).to_json(),
            "started_at": started,
            "device_name": "NVIDIA H100 80GB HBM3",
        },
    }


def test_hash_covers_declaration_code_and_imported_helpers(repo: Path):
    alpha = input_hash(spec_of(repo, "alpha"), repo)
    assert set(alpha.components) == {
        "experiments/alpha.md#params",
        "experiments/alpha.md#script",
        "experiments/alpha.md#metrics",
        "experiments/alpha.md#sizes",
        "experiments/alpha.md#baselines",
        "experiments/alpha.py",
        "experiments/helpers.py",
        "cortex.timing.harness",  # how times are measured changes timed numbers
        "cortex.timing.measurement",
        "cortex.timing.ceilings",
    }
    assert "experiments/helpers.py" not in input_hash(spec_of(repo, "beta"), repo).components
    assert input_hash(spec_of(repo, "alpha"), repo) == alpha  # deterministic


def test_prose_title_and_status_do_not_change_the_hash_but_params_do(repo: Path):
    before = input_hash(spec_of(repo, "alpha"), repo).sha256
    md = repo / "experiments" / "alpha.md"
    edit(md, "The prose of alpha.", "Rewritten prose.")
    edit(md, "title: Squares", "title: Squares of integers")
    edit(md, "status: planned", "status: running")
    assert input_hash(spec_of(repo, "alpha"), repo).sha256 == before
    edit(md, "n: [1, 2, 3]", "n: [1, 2, 3, 4]")
    after = input_hash(spec_of(repo, "alpha"), repo)
    assert after.sha256 != before


def test_helper_change_changes_only_the_importer(repo: Path):
    alpha, beta = (input_hash(spec_of(repo, i), repo).sha256 for i in ("alpha", "beta"))
    (repo / "experiments" / "helpers.py").write_text("def square(x):\n    return x ** 2\n")
    assert input_hash(spec_of(repo, "alpha"), repo).sha256 != alpha
    assert input_hash(spec_of(repo, "beta"), repo).sha256 == beta


def test_imports_are_followed_through_packages_and_relative_imports(tmp_path: Path):
    (tmp_path / "lib" / "sub").mkdir(parents=True)
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "sub" / "__init__.py").write_text("from . import deep\n")
    (tmp_path / "lib" / "sub" / "deep.py").write_text("from ..tools import tool\n")
    (tmp_path / "lib" / "tools.py").write_text("import json\n\ndef tool():\n    return 1\n")
    (tmp_path / "lib" / "unused.py").write_text("")
    (tmp_path / "exp").mkdir()
    (tmp_path / "exp" / "local.py").write_text("")
    script = tmp_path / "exp" / "main.py"
    script.write_text(
        "import os\nimport torch\nfrom lib.sub import deep\n\ndef run(p, b):\n    import local\n"
    )
    names = {p.relative_to(tmp_path).as_posix() for p in code_files(script, tmp_path)}
    assert names == {
        "exp/main.py",
        "exp/local.py",
        "lib/__init__.py",
        "lib/sub/__init__.py",
        "lib/sub/deep.py",
        "lib/tools.py",
    }


def test_data_files_are_hashed(repo: Path):
    (repo / "data.csv").write_text("a,b\n1,2\n")
    md = repo / "experiments" / "beta.md"
    edit(md, "device: cpu\n", "device: cpu\ndata: [data.csv]\n")
    before = input_hash(spec_of(repo, "beta"), repo)
    assert "data.csv" in before.components
    (repo / "data.csv").write_text("a,b\n1,3\n")
    assert input_hash(spec_of(repo, "beta"), repo).sha256 != before.sha256


def test_staleness_says_which_input_changed_since_which_run(repo: Path):
    spec = spec_of(repo, "alpha")
    assert staleness(spec, None, repo).state == "never-run"
    record = record_for(spec, repo)
    assert staleness(spec, record, repo).state == "fresh"
    (repo / "experiments" / "helpers.py").write_text("def square(x):\n    return x ** 2\n")
    edit(repo / "experiments" / "alpha.md", "n: [1, 2, 3]", "n: [4]")
    state = staleness(spec_of(repo, "alpha"), record, repo)
    assert state.state == "stale"
    assert state.reasons == (
        "`params` in `experiments/alpha.md` changed since the run of 2026-11-22 on NVIDIA H100 80GB HBM3",
        "`experiments/helpers.py` changed since the run of 2026-11-22 on NVIDIA H100 80GB HBM3",
    )


def test_staleness_names_new_and_dropped_imports(repo: Path):
    record = record_for(spec_of(repo, "alpha"), repo)
    (repo / "experiments" / "extra.py").write_text("X = 1\n")
    (repo / "experiments" / "alpha.py").write_text("import extra\n\ndef run(point, bench):\n    return {}\n")
    reasons = staleness(spec_of(repo, "alpha"), record, repo).reasons
    assert any(r.startswith("`experiments/extra.py` is a new input since the run of") for r in reasons)
    assert any(r.startswith("`experiments/helpers.py` is no longer an input") for r in reasons)


def test_save_run_keeps_history_and_only_a_good_run_becomes_the_result(repo: Path, tmp_path: Path):
    spec = spec_of(repo, "alpha")
    results = tmp_path / "results"
    good = record_for(spec, repo)
    save_run(results, good, "run1")
    assert load_record(results, "alpha") == good
    failed = dict(good, status="failed", error="boom")
    save_run(results, failed, "run2")
    assert load_record(results, "alpha") == good
    assert [r["status"] for r in history(results, "alpha")] == ["ok", "failed"]
    leftovers = [p.name for p in (results / "alpha").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_atomic_write_keeps_the_old_file_when_serialising_fails(tmp_path: Path):
    target = tmp_path / "r.json"
    atomic_write_json(target, {"a": 1})
    with pytest.raises(ValueError, match="not JSON compliant"):
        atomic_write_json(target, {"a": float("nan")})
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_unreadable_records_are_diagnostics(tmp_path: Path):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "result.json").write_text('{\n  "schema": 1,\n  "id": oops\n}\n')
    diag = load_record(tmp_path, "x")
    assert isinstance(diag, Diagnostic) and diag.line == 3 and "not valid JSON" in diag.message
    (folder / "result.json").write_text(json.dumps({"schema": 1, "id": "x", "status": "ok", "points": []}))
    diag = load_record(tmp_path, "x")
    assert isinstance(diag, Diagnostic) and "`provenance` is missing" in diag.message
    (folder / "result.json").write_text(json.dumps({"schema": 99}))
    assert "schema 1" in load_record(tmp_path, "x").message
    assert load_record(tmp_path, "never") is None


def test_result_set_diagnostics_are_warnings_at_the_declaration(repo: Path):
    specs, _ = load_experiments(repo)
    alpha = next(s for s in specs if s.id == "alpha")
    save_run(repo / "results", record_for(alpha, repo), "r1")
    assert ResultSet.load(specs, repo).diagnostics() == []
    (repo / "experiments" / "helpers.py").write_text("def square(x):\n    return x ** 2\n")
    edit(repo / "experiments" / "beta.md", "status: planned", "status: analysed")
    specs, _ = load_experiments(repo)
    diags = ResultSet.load(specs, repo).diagnostics()
    assert [(Path(d.path).name, d.level.value, d.code.value) for d in diags] == [
        ("alpha.md", "warning", "stale-result"),
        ("beta.md", "warning", "missing-verdict"),
        ("beta.md", "warning", "missing-result"),
    ]
    assert "stale result: `experiments/helpers.py` changed since the run of 2026-11-22" in diags[0].message
    assert diags[0].line == spec_of(repo, "alpha").line_of("script")
    assert "status is analysed but there is no `verdict`" in diags[1].message
    assert diags[1].line == diags[2].line == spec_of(repo, "beta").line_of("status")
    assert "status is analysed but the experiment has no result" in diags[2].message


def test_hash_file_is_written_only_when_the_hash_changes(repo: Path, tmp_path: Path):
    spec = spec_of(repo, "alpha")
    results, hash_file = tmp_path / "results", tmp_path / "hashes" / "alpha.sha256"
    result_file = results / "alpha" / "result.json"
    assert sync_hash_file(hash_file, input_hash(spec, repo), result_file) is True
    assert sync_hash_file(hash_file, input_hash(spec, repo), result_file) is False
    # A result made from these inputs (a fresh checkout): the hash file must not look newer.
    save_run(results, record_for(spec, repo), "r1")
    hash_file.unlink()
    assert sync_hash_file(hash_file, input_hash(spec, repo), result_file) is True
    assert hash_file.stat().st_mtime < result_file.stat().st_mtime
    assert sync_hash_file(hash_file, input_hash(spec, repo), result_file) is False
    # An input changes: the file is rewritten and is newer than the result.
    (repo / "experiments" / "helpers.py").write_text("def square(x):\n    return x ** 2\n")
    changed = input_hash(spec_of(repo, "alpha"), repo)
    assert sync_hash_file(hash_file, changed, result_file) is True
    assert hash_file.read_text().startswith(changed.sha256)
    assert hash_file.stat().st_mtime > result_file.stat().st_mtime
    # A failed run leaves the old result (restored: new mtime): the file changes again to ask for a retry.
    before = hash_file.read_text()
    os.utime(result_file, ns=(result_file.stat().st_mtime_ns + 10**9,) * 2)
    assert sync_hash_file(hash_file, changed, result_file) is True
    assert hash_file.read_text() != before and hash_file.stat().st_mtime > result_file.stat().st_mtime


def test_run_plan_leaves_cuda_experiments_to_cuda_machines(repo: Path, tmp_path: Path):
    specs, _ = load_experiments(repo)
    results, hashes = tmp_path / "results", tmp_path / "hashes"
    plan = plan_runs(specs, repo, cuda=False, results_dir=results, hashes_dir=hashes)
    assert plan.devices == {"alpha": "cpu", "beta": "cpu"}
    assert [d.message for d in plan.diagnostics] == ["not run: needs CUDA, and this machine has none"]
    assert plan.diagnostics[0].line == 4 and plan.diagnostics[0].path.endswith("gpu.md")
    assert sorted(p.name for p in hashes.iterdir()) == ["alpha.sha256", "beta.sha256"]
    gpu = next(s for s in specs if s.id == "gpu")
    save_run(results, record_for(gpu, repo), "r1")
    plan = plan_runs(specs, repo, cuda=False, results_dir=results, hashes_dir=hashes)
    assert plan.diagnostics == [] and "gpu" not in plan.devices  # a current result: nothing to say
    edit(repo / "experiments" / "gpu.md", "n: [1]", "n: [1, 2]")
    plan = plan_runs([spec_of(repo, "gpu")], repo, cuda=False, results_dir=results, hashes_dir=hashes)
    assert [d.message for d in plan.diagnostics] == [
        "stale: `params` in `experiments/gpu.md` changed since the run of 2026-11-22 on NVIDIA H100 80GB "
        "HBM3; not rerun here (needs CUDA), so that result stays, marked stale"
    ]
    assert plan_runs(specs, repo, cuda=True, results_dir=results, hashes_dir=hashes).devices["gpu"] == "cuda"


def test_an_input_an_older_record_did_not_hash_is_not_recorded_not_changed(repo: Path):
    alpha = spec_of(repo, "alpha")
    record = record_for(alpha, repo)
    components = record["provenance"]["input_hash"]["components"]
    for module in ("cortex.timing.harness", "cortex.timing.measurement", "cortex.timing.ceilings"):
        del components[module]  # as a record made before the harness was hashed
    record["provenance"]["input_hash"]["sha256"] = "0" * 64
    state = staleness(alpha, record, repo)
    assert state.fresh and state.reasons == ()
    assert state.unrecorded == (
        "`cortex.timing.ceilings`",
        "`cortex.timing.harness`",
        "`cortex.timing.measurement`",
    )
    components["experiments/alpha.py"] = "1" * 64  # a real change still counts
    (reason,) = staleness(alpha, record, repo).reasons
    assert reason.startswith("`experiments/alpha.py` changed since the run of 2026-11-22")


@pytest.mark.parametrize(
    ("edit", "where", "words"),
    [
        (
            lambda r: r["points"][0]["metrics"].update(sq={"low": 1}),
            ("points", 0, "metrics", "sq"),
            "`points[0].metrics.sq` is an object",
        ),
        (
            lambda r: r["provenance"]["git"].update(commit=42),
            ("provenance", "git", "commit"),
            "`provenance.git.commit` must be text or null, not a whole number",
        ),
        (
            lambda r: r["points"][1].update(params="n=2"),
            ("points", 1, "params"),
            "`points[1].params` must be an object, not text",
        ),
        (lambda r: r.update(status="done"), ("status",), '`status` is "done", not one of "ok", "failed"'),
        (
            lambda r: r["points"][0]["metrics"].update(sq=float("nan")),
            ("points", 0, "metrics", "sq"),
            "is NaN, which JSON has no number for",
        ),
    ],
    ids=["metric-without-value", "commit-a-number", "params-text", "status-unknown", "nan"],
)
def test_a_record_off_its_schema_is_named_at_the_json_line(repo: Path, edit, where, words):
    alpha = spec_of(repo, "alpha")
    record = record_for(alpha, repo)
    record["points"][0]["metrics"] = {"sq": 1}
    record["provenance"]["git"] = {"commit": "abc", "dirty": False}
    edit(record)
    path = repo / "results" / "alpha" / "result.json"
    path.parent.mkdir(parents=True)
    text = json.dumps(record, indent=2)  # writes NaN as the bare word NaN, as some tools do
    path.write_text(text)
    found = load_record(repo / "results", "alpha")
    assert isinstance(found, Diagnostic) and found.code.value == "unreadable-result"
    assert words in found.message, found.message
    expected = json_positions(text)[where]
    assert (found.line, found.col) == expected, (found, expected)
