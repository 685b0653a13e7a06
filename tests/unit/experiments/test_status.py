"""`cortex status` rows: the site's freshness, the staleness reasons in short, and what the
workflow's plan does with each experiment on a machine with or without CUDA."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.results_site import add_run, populated_site, results_of
from support.workflow import edit

from cortex.diagnostics import Code
from cortex.experiments.pages import state_badge
from cortex.experiments.plan import plan_runs
from cortex.experiments.status import StatusRow, short_why, status_rows, status_table, summary_line

RUN = "the run of 2026-11-22 on Test GPU"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return populated_site(tmp_path)


def rows_of(root: Path, cuda: bool = False) -> dict[str, StatusRow]:
    return {row.id: row for row in status_rows(results_of(root), cuda=cuda)}


def test_fresh_results_are_up_to_date_and_need_no_reason(root: Path):
    rows = rows_of(root)
    squares = rows["squares"]
    assert (squares.status, squares.device, squares.state, squares.action) == (
        "analysed",
        "cpu",
        "fresh",
        "up-to-date",
    )
    assert squares.why == "" and squares.run == RUN and squares.run_device is None
    assert (rows["grid"].device, rows["grid"].state, rows["grid"].action) == ("any", "fresh", "up-to-date")


def test_a_changed_param_makes_it_stale_and_the_workflow_runs_it(root: Path):
    edit(root / "experiments" / "squares.md", "n: [1, 2, 3]", "n: [1, 2, 3, 4]")
    squares = rows_of(root)["squares"]
    assert squares.state == "stale" and (squares.action, squares.run_device) == ("run", "cpu")
    assert squares.reasons == (f"`params` in `experiments/squares.md` changed since {RUN}",)
    assert squares.why == "params changed since 2026-11-22"
    assert squares.action_text == "run (cpu)"
    assert rows_of(root)["single"].state == "fresh"  # nothing else changed


def test_a_changed_script_makes_every_experiment_it_runs_stale(root: Path):
    script = root / "experiments" / "squares.py"
    script.write_text(script.read_text() + "\n# edited\n")
    rows = rows_of(root)
    assert {i for i, r in rows.items() if r.state == "stale"} == {"squares", "grid", "single"}
    assert rows["squares"].why == "experiments/squares.py changed since 2026-11-22"
    assert rows["grid"].why == "experiments/squares.py changed since 2026-11-21"


def test_never_run_runs_where_its_device_is_and_a_cuda_one_is_skipped_without_cuda(root: Path):
    gpu = rows_of(root, cuda=False)["gpu"]
    assert (gpu.device, gpu.state, gpu.action, gpu.run_device) == ("cuda", "never-run", "skip-cuda", None)
    assert gpu.action_text == "skip: no CUDA" and gpu.why == "" and gpu.run == ""
    on_gpu = rows_of(root, cuda=True)["gpu"]
    assert (on_gpu.action, on_gpu.run_device, on_gpu.action_text) == ("run", "cuda", "run (cuda)")


def test_a_stale_cuda_result_stays_without_cuda(root: Path):
    add_run(root, "gpu", [({"n": 1}, {"time": 1.0, "sq": 1, "label": "n1"})], "2026-11-23T10:00:00+00:00")
    edit(root / "experiments" / "gpu.md", "n: [1]", "n: [1, 2]")
    gpu = rows_of(root, cuda=False)["gpu"]
    assert (gpu.state, gpu.action) == ("stale", "skip-cuda")
    assert gpu.why == "params changed since 2026-11-23"


def test_an_any_experiment_runs_on_cuda_where_there_is_one(root: Path):
    edit(root / "experiments" / "grid.md", "a: [1, 2]", "a: [1, 2, 3]")
    assert rows_of(root, cuda=False)["grid"].run_device == "cpu"
    assert rows_of(root, cuda=True)["grid"].run_device == "cuda"


def test_frozen_stale_is_left_alone_and_unreadable_or_scriptless_are_said(root: Path):
    edit(root / "experiments" / "squares.md", "n: [1, 2, 3]", "n: [1, 2]\nfreeze: true")
    rows = rows_of(root)
    assert (rows["squares"].state, rows["squares"].action) == ("frozen-stale", "skip-frozen")
    assert rows["squares"].why == "params changed since 2026-11-22"
    assert (rows["broken"].state, rows["broken"].action) == ("unreadable", "run")
    assert rows["broken"].why == "its result file cannot be read"
    assert (rows["idea"].status, rows["idea"].state, rows["idea"].action) == (
        "idea",
        "never-run",
        "no-script",
    )


def test_states_agree_with_the_sites_badges(root: Path):
    edit(root / "experiments" / "squares.md", "n: [1, 2, 3]", "n: [1, 2]\nfreeze: true")
    results = results_of(root)
    badge_kind = {"fresh": "fresh", "stale": "stale", "frozen-stale": "stale", "never-run": "never-run"}
    badge_kind["unreadable"] = "unreadable"
    for row in status_rows(results, cuda=False):
        badge = state_badge(results.records.get(row.id), results.state(row.id))
        assert f"cortex-badge--{badge_kind[row.state]}" in badge, (row.id, row.state, badge)


@pytest.mark.parametrize("cuda", [False, True])
def test_actions_agree_with_the_workflows_plan(root: Path, tmp_path: Path, cuda: bool):
    """What plan_runs schedules, warns about and freezes is what the rows say."""
    edit(root / "experiments" / "squares.md", "n: [1, 2, 3]", "n: [1, 2]\nfreeze: true")
    edit(root / "experiments" / "grid.md", "a: [1, 2]", "a: [1, 2, 3]")
    add_run(root, "gpu", [({"n": 1}, {"time": 1.0, "sq": 1, "label": "n1"})], "2026-11-23T10:00:00+00:00")
    edit(root / "experiments" / "gpu.md", "n: [1]", "n: [1, 2]")
    results = results_of(root)
    rows = {row.id: row for row in status_rows(results, cuda=cuda)}
    plan = plan_runs(
        list(results.specs.values()), root, cuda=cuda, results_dir=root / "results", hashes_dir=tmp_path / "h"
    )
    scheduled = {i for i, r in rows.items() if r.action in ("run", "up-to-date", "skip-frozen")}
    assert set(plan.devices) == scheduled
    assert {i: plan.devices[i] for i, r in rows.items() if r.action == "run"} == {
        i: r.run_device for i, r in rows.items() if r.action == "run"
    }
    warned = {Path(d.path).stem: d.code for d in plan.diagnostics}
    assert {i for i, c in warned.items() if c == Code.NEEDS_CUDA} == {
        i for i, r in rows.items() if r.action == "skip-cuda" and r.state != "fresh"
    }
    assert {i for i, c in warned.items() if c == Code.FROZEN_STALE_RESULT} == {"squares"}
    assert rows["squares"].action == "skip-frozen"
    assert rows["gpu"].action == ("run" if cuda else "skip-cuda")


def test_short_why_groups_inputs_and_keeps_what_it_cannot_read():
    reasons = (
        f"`params` in `experiments/x.md` changed since {RUN}",
        f"`experiments/x.py` changed since {RUN}",
        f"`experiments/new.py` is a new input since {RUN}",
        f"`experiments/old.py` is no longer an input since {RUN}",
    )
    assert short_why(reasons, RUN, "2026-11-22") == (
        "params, experiments/x.py changed; experiments/new.py new; experiments/old.py dropped since 2026-11-22"
    )
    assert short_why(reasons[1:2], RUN, "2026-11-22", file_names=True) == "x.py changed since 2026-11-22"
    assert short_why(("its result file cannot be read",), "", "") == "its result file cannot be read"


def test_the_table_fits_100_columns_cutting_only_the_why(root: Path):
    for name in ("helper_with_a_rather_long_name", "another_helper_with_a_long_name"):
        (root / "experiments" / f"{name}.py").write_text("X = 1\n")
    script = root / "experiments" / "squares.py"
    script.write_text(
        "from experiments import helper_with_a_rather_long_name, another_helper_with_a_long_name\n"
        + script.read_text()
    )
    rows = status_rows(results_of(root), cuda=False)
    text = status_table(rows)
    lines = text.splitlines()
    assert lines[0].split() == ["id", "status", "device", "state", "snakemake", "why"]
    assert max(map(len, lines)) <= 100
    squares = next(line for line in lines if line.startswith("squares "))
    assert "run (cpu)" in squares and squares.endswith("…")
    # cut to file names before the ellipsis
    assert "squares.py changed; another_helper_with_a_l" in squares and "experiments/" not in squares
    wide = status_table(rows, None)
    assert "experiments/helper_with_a_rather_long_name.py" in wide and "…" not in wide
    assert len(status_table(rows, 40).splitlines()[0]) <= 80  # the why column never vanishes
    # squares, grid and single stale, badschema and broken unreadable
    assert summary_line(rows) == "7 experiments: 3 stale, 2 never run, 2 unreadable; snakemake would run 5."
