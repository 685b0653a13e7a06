"""`cortex diff`: which runs it compares, and the labels the site's run history gives changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.results_site import add_run, populated_site, spec_of, squares_points

from cortex.experiments.diff import RESULT, DiffError, diff_report, diff_runs
from cortex.experiments.store import RESULT_FILE

FIRST, SECOND = "20261120T100000Z-1", "20261122T093000Z-1"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return populated_site(tmp_path)


def diff_of(root: Path, exp_id: str = "squares", a: str | None = None, b: str | None = None):
    return diff_runs(spec_of(root, exp_id), root / "results", a, b)


def labels(diff) -> dict[tuple[str, object], str]:
    return {(c.metric, c.params.get("n")): c.verdict for c in diff.changes if c.verdict != "unchanged"}


def test_the_committed_result_against_the_run_before_it_is_noise_within_the_spread(root: Path):
    diff = diff_of(root)
    assert (diff.a.name, diff.b.name, diff.b.same_as) == (FIRST, RESULT, SECOND)
    # time at n=3 moved 3.0 -> 3.2 µs with an interquartile range of 0.4 µs; nothing else moved
    assert labels(diff) == {("time", 3): "noise"}
    (change,) = [c for c in diff.changes if c.verdict == "noise"]
    assert (change.before, change.after, change.spread) == (3.0e-6, 3.2e-6, 4e-7)
    assert diff.regressions == 0 and diff.summary() == "1 within noise, 8 unchanged"
    text = diff_report(diff)
    assert text.startswith(
        f"squares, run A against run B:\n  A  {FIRST}\n     2026-11-20 10:00 UTC · Test GPU · size full · "
        f"commit 0123456789ab\n  B  result.json (= {SECOND})\n     2026-11-22 09:30 UTC · "
    )
    table = text.split("\n\n")[1].splitlines()
    assert [line.split() for line in table] == [
        ["point", "/", "metric", "A", "B", "change", "spread", "label"],
        ["n=3"],
        ["time", "3", "µs", "3.2", "µs", "+6.7%", "±400", "ns", "noise"],
    ]
    assert text.endswith("\n\n1 within noise, 8 unchanged.")  # unchanged rows are only counted
    every = diff_report(diff, unchanged=True)
    assert "\n  sq               9       9       0           unchanged" in every
    assert "\n  label           n3      n3                   unchanged" in every  # text has no change


def test_a_change_beyond_the_spread_is_a_regression_or_an_improvement_by_direction(root: Path):
    add_run(root, "squares", squares_points(sq3=8, time3=(5.0e-6, 2e-7)), "2026-11-24T09:00:00+00:00")
    diff = diff_of(root)
    assert diff.a.name == SECOND
    assert labels(diff) == {("time", 3): "regression", ("sq", 3): "regression"}  # time lower, sq higher
    assert diff.regressions == 2 and diff.summary() == "2 regressions, 7 unchanged"
    add_run(root, "squares", squares_points(sq3=10, time3=(1.0e-6, 2e-7)), "2026-11-25T09:00:00+00:00")
    assert labels(diff_of(root)) == {("time", 3): "improvement", ("sq", 3): "improvement"}
    # and the direction-free text metric is just "changed"
    points = squares_points()
    points[0][1]["label"] = "one"
    add_run(root, "squares", points, "2026-11-26T09:00:00+00:00")
    assert labels(diff_of(root))[("label", 1)] == "changed"


def test_runs_are_named_by_history_file_or_unique_prefix(root: Path):
    add_run(root, "squares", squares_points(sq3=8), "2026-11-24T09:00:00+00:00")
    diff = diff_of(root, "squares", "20261120", "20261122T093000Z-1.json")
    assert (diff.a.name, diff.b.name) == (FIRST, SECOND)
    assert labels(diff) == {("time", 3): "noise"}
    assert diff_of(root, "squares", FIRST, "result").b.same_as == "20261124T090000Z-1"
    with pytest.raises(DiffError, match=r"`2026112` names 3 runs of `squares`: .*; say more of it"):
        diff_of(root, "squares", "2026112")
    with pytest.raises(DiffError, match=rf"no run `1999` in results/squares/history/; the runs: {FIRST}, "):
        diff_of(root, "squares", "1999")


def test_without_an_earlier_run_history_or_result_it_says_why(root: Path):
    with pytest.raises(DiffError, match=r"no earlier successful run of `single` .* it has run only once"):
        diff_of(root, "single")
    with pytest.raises(
        DiffError, match=r"`gpu` has no committed result \(results/gpu/result.json\); it has not"
    ):
        diff_of(root, "gpu")
    (root / "results" / "single" / "history" / f"{'20261121T090000Z-1'}.json").unlink()
    with pytest.raises(
        DiffError, match=r"`single` has no run history \(results/single/history/ holds no run\)"
    ):
        diff_of(root, "single")
    with pytest.raises(DiffError, match=r"broken/result.json:5:\d+: error: result record is not valid JSON"):
        diff_of(root, "broken")


def test_runs_on_another_device_are_passed_over_unless_named(root: Path):
    add_run(root, "squares", squares_points(sq3=8), "2026-11-23T09:00:00+00:00", device_name="Other GPU")
    add_run(root, "squares", squares_points(), "2026-11-24T09:00:00+00:00")
    diff = diff_of(root)
    assert diff.a.name == SECOND and diff.notes() == []  # the run before on the same device
    across = diff_of(root, "squares", "20261123", RESULT)
    assert across.notes() == ["the runs differ in device (Other GPU against Test GPU)"]
    assert "note: the runs differ in device" in diff_report(across)


def test_a_result_that_is_no_copy_of_a_history_run_still_finds_the_run_before(root: Path):
    result = root / "results" / "squares" / RESULT_FILE
    record = json.loads(result.read_text())
    record["provenance"]["started_at"] = "2026-11-28T00:00:00+00:00"
    record["points"][2]["metrics"]["sq"] = 7
    result.write_text(json.dumps(record))
    diff = diff_of(root)
    assert (diff.a.name, diff.b.same_as) == (SECOND, "")
    assert labels(diff)[("sq", 3)] == "regression"


def test_json_holds_every_change_with_its_label(root: Path):
    data = diff_of(root).to_json()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert (data["a"]["run"], data["b"]["run"], data["b"]["same_as"]) == (FIRST, RESULT, SECOND)
    assert data["counts"] == {"regression": 0, "improvement": 0, "changed": 0, "noise": 1, "unchanged": 8}
    (noise,) = [c for c in data["changes"] if c["label"] == "noise"]
    assert noise["params"] == {"n": 3} and noise["unit"] == "s" and noise["spread"] == 4e-7
    assert noise["relative"] == pytest.approx(0.2 / 3)
