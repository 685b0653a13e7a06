"""``cortex diff``: two runs of one experiment compared, metric by metric and point by point.

Which runs: the committed result (``results/<id>/result.json``) by default, against the run
before it in ``results/<id>/history/`` of the same size on the same device, the one the site's
run history compares it with; or runs named by their history file (a unique prefix will do).
The labels (noise, improvement, regression, ...) are :mod:`comparison`'s, so the command line
and the site's run history never disagree about a change."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from cortex.diagnostics import Diagnostic
from cortex.experiments.comparison import VERDICTS, Change, compare_runs, previous_comparable, summary
from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.display import (
    commit_text,
    device_of,
    format_point,
    format_quantity,
    is_number,
    run_date,
)
from cortex.experiments.record import GitState, ResultRecord
from cortex.experiments.store import HISTORY_DIR, RESULT_FILE, history_files, read_record
from cortex.text.plain_table import clip, plain_table

RESULT = "result.json"  # the name the committed result goes by on the command line
_RESULT_NAMES = (RESULT, "result", "current")
_COLUMNS = ("point / metric", "A", "B", "change", "spread", "label")
_MAX_METRIC = 24
_MAX_VALUE = 16  # a text metric (a generated sample, say) is cut; numbers never are


class DiffError(ValueError):
    """Why two runs cannot be compared: an unknown run, no history, an unreadable record."""


@dataclass(frozen=True)
class NamedRun:
    name: str  # the history file's name without .json, or "result.json"
    record: ResultRecord
    same_as: str = ""  # for the committed result: the history run it is a copy of

    def describe(self) -> str:
        """``2026-11-22 09:30 UTC · Test GPU · size full · commit 0123456789ab``."""
        status = self.record.get("status", "?")
        parts = [run_date(self.record), device_of(self.record), f"size {self.record.get('size', '?')}"]
        parts.append(commit_text(self.record))
        return " · ".join(parts) + ("" if status == "ok" else f" · {status}")

    def to_json(self) -> dict[str, object]:
        prov = self.record.get("provenance", {})
        git: GitState | dict[str, object] = prov.get("git") or {}
        return {
            "run": self.name,
            "same_as": self.same_as or None,
            "started_at": prov.get("started_at"),
            "device": device_of(self.record),
            "size": self.record.get("size"),
            "status": self.record.get("status"),
            "commit": git.get("commit"),
            "dirty": git.get("dirty"),
        }


@dataclass(frozen=True)
class RunDiff:
    spec: ExperimentSpec
    a: NamedRun
    b: NamedRun
    changes: list[Change]

    @property
    def regressions(self) -> int:
        return sum(c.verdict == "regression" for c in self.changes)

    def notes(self) -> list[str]:
        """What makes the comparison weaker than the site's: runs of another size or device."""
        out = []
        for what, of in (("size", lambda r: str(r.get("size", "?"))), ("device", device_of)):
            if of(self.a.record) != of(self.b.record):
                out.append(f"the runs differ in {what} ({of(self.a.record)} against {of(self.b.record)})")
        if not self.changes:
            out.append("no point succeeded in both runs: nothing to compare")
        return out

    def summary(self) -> str:
        """``1 regression, 2 within noise, 4 unchanged``."""
        unchanged = sum(c.verdict == "unchanged" for c in self.changes)
        text = summary(self.changes)
        if unchanged:
            text = (f"{text}, " if text != "no change" else "") + f"{unchanged} unchanged"
        return text

    def to_json(self) -> dict[str, object]:
        units = {name: m.unit for name, m in self.spec.metrics.items()}
        counts = Counter(c.verdict for c in self.changes)
        return {
            "experiment": self.spec.id,
            "a": self.a.to_json(),
            "b": self.b.to_json(),
            "summary": self.summary(),
            "counts": {verdict: counts[verdict] for verdict in VERDICTS},
            "notes": self.notes(),
            "changes": [
                {
                    "metric": c.metric,
                    "unit": units.get(c.metric, ""),
                    "params": c.params,
                    "a": c.before,
                    "b": c.after,
                    "delta": _delta(c),
                    "relative": c.relative,
                    "spread": c.spread,
                    "label": c.verdict,
                }
                for c in self.changes
            ],
        }


def history_runs(results_dir: Path, exp_id: str) -> list[tuple[str, ResultRecord | Diagnostic]]:
    """Every file in an experiment's history by its name, oldest run first (unreadable ones
    sort by name, after the readable)."""
    found = history_files(results_dir, exp_id)
    return sorted(found, key=lambda nr: (not isinstance(nr[1], dict), _started(nr[1]), nr[0]))


def diff_runs(
    spec: ExperimentSpec, results_dir: Path, run_a: str | None = None, run_b: str | None = None
) -> RunDiff:
    """Run A against run B (see the module's doc for the defaults); DiffError says why not."""
    exp_id = spec.id
    runs = history_runs(results_dir, exp_id)
    b = _resolve(run_b, runs, results_dir, exp_id) if run_b else _committed(results_dir, exp_id, runs)
    a = _resolve(run_a, runs, results_dir, exp_id) if run_a else _previous(b, runs, exp_id)
    return RunDiff(spec, a, b, _in_metric_order(spec, compare_runs(spec, a.record, b.record)))


def _committed(results_dir: Path, exp_id: str, runs: list[tuple[str, ResultRecord | Diagnostic]]) -> NamedRun:
    path = Path(results_dir) / exp_id / RESULT_FILE
    record = read_record(path)
    if isinstance(record, Diagnostic):
        raise DiffError(str(record))
    if record is None:
        raise DiffError(
            f"`{exp_id}` has no committed result (results/{exp_id}/{RESULT_FILE}); "
            + ("name two runs to compare: " + _names(runs) if runs else "it has not run yet")
        )
    same = next((name for name, run in runs if run == record), "")
    return NamedRun(RESULT, record, same)


def _resolve(
    wanted: str, runs: list[tuple[str, ResultRecord | Diagnostic]], results_dir: Path, exp_id: str
) -> NamedRun:
    """A run named on the command line: ``result.json`` (or ``result``, ``current``), a history
    file's name (with or without ``.json``), or a prefix of exactly one."""
    if wanted in _RESULT_NAMES:
        return _committed(results_dir, exp_id, runs)
    if not runs:
        raise DiffError(_no_history(exp_id))
    stem = wanted.removesuffix(".json")
    matches = [(n, r) for n, r in runs if n == stem] or [(n, r) for n, r in runs if n.startswith(stem)]
    if not matches:
        raise DiffError(f"no run `{wanted}` in results/{exp_id}/{HISTORY_DIR}/; the runs: {_names(runs)}")
    if len(matches) > 1:
        raise DiffError(
            f"`{wanted}` names {len(matches)} runs of `{exp_id}`: {_names(matches)}; say more of it"
        )
    name, record = matches[0]
    if isinstance(record, Diagnostic):
        raise DiffError(str(record))
    return NamedRun(name, record)


def _previous(b: NamedRun, runs: list[tuple[str, ResultRecord | Diagnostic]], exp_id: str) -> NamedRun:
    """The last successful run before B of B's size on B's device, as the site's history takes."""
    if not runs:
        raise DiffError(_no_history(exp_id))
    readable = [(n, r) for n, r in runs if isinstance(r, dict)]
    name = b.same_as or b.name
    index = next((i for i, (n, _) in enumerate(readable) if n == name), None)
    if index is None:  # a result that is no copy of a history run: it comes after the earlier ones
        earlier = [(n, r) for n, r in readable if _started(r) < _started(b.record)]
        readable, index = [*earlier, (name, b.record)], len(earlier)
    previous = previous_comparable([r for _, r in readable], index)
    if previous is None:
        others = [(n, r) for n, r in runs if n != name]
        raise DiffError(
            f"no earlier successful run of `{exp_id}` of size {b.record.get('size', '?')} on "
            f"{device_of(b.record)} to compare {b.name} with; "
            + (f"name one: {_names(others)}" if others else "it has run only once")
        )
    return next(NamedRun(n, r) for n, r in readable if r is previous)


def _in_metric_order(spec: ExperimentSpec, changes: list[Change]) -> list[Change]:
    """Point by point in the run's order, and the declared metrics of each first, in their order."""
    order = {name: i for i, name in enumerate(spec.metrics)}
    points: dict[str, int] = {}
    for change in changes:
        points.setdefault(repr(change.params), len(points))
    return sorted(changes, key=lambda c: (points[repr(c.params)], order.get(c.metric, len(order))))


def _started(record: ResultRecord | Diagnostic) -> str:
    return str(record.get("provenance", {}).get("started_at", "")) if isinstance(record, dict) else ""


def _names(runs: list[tuple[str, ResultRecord | Diagnostic]]) -> str:
    return ", ".join(name for name, _ in runs)


def _no_history(exp_id: str) -> str:
    return f"`{exp_id}` has no run history (results/{exp_id}/{HISTORY_DIR}/ holds no run)"


def _delta(change: Change) -> float | None:
    before, after = change.before, change.after
    return after - before if is_number(before) and is_number(after) else None


def change_text(change: Change, unit: str) -> str:
    """``+6.7%`` against a nonzero A, else the difference with its unit; 0 for an unchanged
    number; empty for text."""
    if change.verdict == "unchanged":
        return "0" if is_number(change.before) else ""
    relative = change.relative
    if relative is not None and math.isfinite(relative):
        return f"{relative:+.1%}"
    delta = _delta(change)
    if delta is None:
        return ""
    sign = "+" if delta > 0 else "-" if delta < 0 else ""
    return sign + format_quantity(abs(delta), unit)


def shared_params(changes: list[Change]) -> dict[str, object]:
    """The parameters every compared point has with the same value: said once, above the table,
    rather than on every row (as an experiment's page does)."""
    if not changes:
        return {}
    first = changes[0].params
    return {k: v for k, v in first.items() if all(k in c.params and c.params[k] == v for c in changes)}


def diff_table(diff: RunDiff, *, unchanged: bool = False, width: int = 100) -> str:
    """The changes as a plain text table, grouped by point: each point on a line of its own (its
    parameters less those every point shares, cut to ``width``), then one row per metric.
    Unchanged values are listed only with ``unchanged``."""
    units = {name: m.unit for name, m in diff.spec.metrics.items()}
    shared = shared_params(diff.changes)
    shown = [c for c in diff.changes if unchanged or c.verdict != "unchanged"]
    rows = [
        [
            "  " + clip(c.metric, _MAX_METRIC),
            clip(format_quantity(c.before, units.get(c.metric, "")), _MAX_VALUE),
            clip(format_quantity(c.after, units.get(c.metric, "")), _MAX_VALUE),
            change_text(c, units.get(c.metric, "")),
            f"±{format_quantity(c.spread, units.get(c.metric, ''))}" if c.spread is not None else "",
            c.verdict,
        ]
        for c in shown
    ]
    if not rows:
        return ""
    header, *lines = plain_table(_COLUMNS, rows, right={1, 2, 3, 4}).split("\n")
    out, point = [header], None
    for change, line in zip(shown, lines, strict=True):
        if change.params != point:
            point = change.params
            out.append(clip(format_point({k: v for k, v in point.items() if k not in shared}), width))
        out.append(line)
    return "\n".join(out)


def diff_report(diff: RunDiff, *, unchanged: bool = False, width: int = 100) -> str:
    """What ``cortex diff`` prints: which runs, the table of changes, the summary and notes."""
    b_name = diff.b.name + (f" (= {diff.b.same_as})" if diff.b.same_as else "")
    lines = [
        f"{diff.spec.id}, run A against run B:",
        f"  A  {diff.a.name}",
        f"     {diff.a.describe()}",
        f"  B  {b_name}",
        f"     {diff.b.describe()}",
    ]
    shared = shared_params(diff.changes)
    if shared and len(diff.changes) > 1:
        lines.append(f"  every point: {format_point(shared)}")
    table = diff_table(diff, unchanged=unchanged, width=width)
    if table:
        lines += ["", table]
    lines += ["", diff.summary() + "."]
    lines += [f"note: {note}" for note in diff.notes()]
    return "\n".join(lines)
