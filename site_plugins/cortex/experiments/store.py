"""The result store: ``results/<id>/result.json`` is the last successful run, and every run,
good or failed, is kept as ``results/<id>/history/<run>.json``. Writes are atomic (a
temporary file, flushed, then renamed), so a crash or a kill never leaves half a record.

Its read side, :class:`ResultSet`, is what a build knows of every experiment's results: each
record read, checked and hashed once.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.record import SCHEMA_VERSION, NonFinite, ResultRecord, record_problems
from cortex.experiments.staleness import Staleness, frozen_text, staleness
from cortex.files import atomic_write_text
from cortex.text.json_positions import json_positions, position_of

RESULT_FILE = "result.json"
HISTORY_DIR = "history"
FIGURES_DIR = "figures"


def file_stamps(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file under ``folder`` as (path, size, modification time in nanoseconds), sorted:
    what tells, without reading them, that none of the files changed (a folder reached by a
    symbolic link counts as one file)."""
    found = []
    pending = [Path(folder)]
    while pending:
        try:
            entries = list(os.scandir(pending.pop()))
        except OSError:  # no such folder, or gone since its parent was listed
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(Path(entry.path))
                    continue
                stat = entry.stat()
            except OSError:
                continue
            found.append((entry.path, stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(found))


def atomic_write_json(path: Path, data: object) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")


def save_run(results_dir: Path, record: ResultRecord, run_name: str) -> Path:
    """Keep the run in the history; a successful run also becomes ``result.json``."""
    folder = Path(results_dir) / record["id"]
    atomic_write_json(folder / HISTORY_DIR / f"{run_name}.json", record)
    if record["status"] == "ok":
        atomic_write_json(folder / RESULT_FILE, record)
    return folder / RESULT_FILE


def load_record(results_dir: Path, exp_id: str) -> ResultRecord | Diagnostic | None:
    """The last good record of an experiment, None if it never ran, or a Diagnostic saying why
    its ``result.json`` cannot be read."""
    return read_record(Path(results_dir) / exp_id / RESULT_FILE)


def read_json(path: Path, what: str, code: Code) -> object | Diagnostic | None:
    """A JSON file's value; None when there is no file; a Diagnostic at the fault otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        return diagnostic(code, path, 1, 1, f"cannot read {what}: {exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return diagnostic(code, path, exc.lineno, exc.colno, f"{what} is not valid JSON: {exc.msg}")


_checked: dict[bytes, list] = {}  # a record's text's hash -> what its schema check found, in this process


def _problems_of(text: str, data: object) -> list:
    """``record_problems`` of a record's text, checked once per distinct text in a process: a
    preview rebuilds many times over the same records, and the schema check is most of reading one."""
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    if key not in _checked:
        if len(_checked) >= 4096:
            _checked.pop(next(iter(_checked)))
        _checked[key] = record_problems(data)
    return _checked[key]


def read_record(path: Path) -> ResultRecord | Diagnostic | None:
    """A result record, checked deeply against its schema; a Diagnostic at the line and column
    of the first problem in the file otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        return diagnostic(Code.UNREADABLE_RESULT, path, 1, 1, f"cannot read result record: {exc}")
    try:
        data = json.loads(text, parse_constant=lambda name: NonFinite(name))
    except json.JSONDecodeError as exc:
        return diagnostic(
            Code.UNREADABLE_RESULT, path, exc.lineno, exc.colno, f"result record is not valid JSON: {exc.msg}"
        )
    problems = _problems_of(text, data)
    if problems:
        where, message = problems[0]
        more = (
            f" ({len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
            if len(problems) > 1
            else ""
        )
        line, col = position_of(json_positions(text), where)
        return diagnostic(
            Code.UNREADABLE_RESULT,
            path,
            line,
            col,
            f"result record does not match schema {SCHEMA_VERSION}: {message}{more}",
        )
    return cast(ResultRecord, data)


def history_files(results_dir: Path, exp_id: str) -> list[tuple[str, ResultRecord | Diagnostic]]:
    """Every file of an experiment's run history by its name (without ``.json``), as read: a
    record, or a Diagnostic when it cannot be read; in the order of their names."""
    folder = Path(results_dir) / exp_id / HISTORY_DIR
    found = [(p.stem, read_record(p)) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return [(name, record) for name, record in found if record is not None]


def history(results_dir: Path, exp_id: str) -> list[ResultRecord]:
    """Every readable run of an experiment, oldest first."""
    runs = [record for _, record in history_files(results_dir, exp_id) if isinstance(record, dict)]
    return sorted(runs, key=lambda r: r["provenance"].get("started_at", ""))


@dataclass
class ResultSet:
    """Every experiment's declaration, current record (a Diagnostic when it cannot be read,
    None when it never ran), staleness and run history, by experiment id: read, checked and
    hashed once per build."""

    specs: dict[str, ExperimentSpec]
    records: dict[str, ResultRecord | Diagnostic | None]
    staleness: dict[str, Staleness]
    histories: dict[str, list[ResultRecord]] = field(default_factory=dict)
    results_dir: Path | None = None
    _figures: dict[tuple[str, str], dict | Diagnostic | None] = field(default_factory=dict, repr=False)

    @classmethod
    def load(
        cls, specs: Iterable[ExperimentSpec], repo_root: Path, results_dir: Path | None = None
    ) -> ResultSet:
        results_dir = Path(results_dir) if results_dir else Path(repo_root) / "results"
        by_id = {s.id: s for s in specs}
        records = {i: load_record(results_dir, i) for i in by_id}
        states = {
            i: staleness(s, found if isinstance(found := records[i], dict) else None, repo_root)
            for i, s in by_id.items()
        }
        runs = {i: history(results_dir, i) for i in by_id}
        return cls(by_id, records, states, runs, results_dir)

    def record(self, exp_id: str) -> ResultRecord | None:
        found = self.records.get(exp_id)
        return found if isinstance(found, dict) else None

    def state(self, exp_id: str) -> Staleness:
        if isinstance(self.records.get(exp_id), Diagnostic):
            return Staleness("never-run", ("its result file cannot be read",))
        return self.staleness.get(exp_id) or Staleness("never-run")

    def runs(self, exp_id: str) -> list[ResultRecord]:
        return self.histories.get(exp_id, [])

    def figure(self, exp_id: str, figure_id: str) -> dict | Diagnostic | None:
        """The plotly spec the last run wrote for a figure; None when there is none, a
        Diagnostic when the file is not a JSON object."""
        key = (exp_id, figure_id)
        if key not in self._figures:
            path = self.results_dir / exp_id / FIGURES_DIR / f"{figure_id}.json" if self.results_dir else None
            self._figures[key] = read_figure(path) if path else None
        return self._figures[key]

    def unreadable(self) -> list[Diagnostic]:
        return [r for r in self.records.values() if isinstance(r, Diagnostic)]

    def diagnostics(self) -> list[Diagnostic]:
        """Warnings for `cortex check`: stale results, unreadable records, and experiments
        marked analysed or reported that have no result or no verdict."""
        out: list[Diagnostic] = []
        for exp_id, spec in self.specs.items():
            if spec.status in ("analysed", "reported") and not spec.verdict:
                out.append(
                    diagnostic(
                        Code.MISSING_VERDICT,
                        spec.path,
                        spec.line_of("status"),
                        1,
                        f"status is {spec.status} but there is no `verdict`: say what the result "
                        "showed about the hypothesis (the page shows none until then)",
                    )
                )
            if not spec.runnable:
                continue
            record = self.records.get(exp_id)
            if isinstance(record, Diagnostic):
                out.append(record)
                continue
            state = self.state(exp_id)
            if state.state == "stale":
                message = "stale result: " + "; ".join(state.reasons)
                if spec.freeze:
                    message += "; " + frozen_text(spec)
                code = Code.FROZEN_STALE_RESULT if spec.freeze else Code.STALE_RESULT
                out.append(diagnostic(code, spec.path, spec.line_of("script"), 1, message))
            elif state.state == "never-run" and spec.status in ("analysed", "reported"):
                out.append(
                    diagnostic(
                        Code.MISSING_RESULT,
                        spec.path,
                        spec.line_of("status"),
                        1,
                        f"status is {spec.status} but the experiment has no result; run it",
                    )
                )
        return out


def read_figure(path: Path) -> dict | Diagnostic | None:
    data = read_json(path, "figure", Code.UNREADABLE_FIGURE)
    if data is None or isinstance(data, Diagnostic):
        return data
    if not isinstance(data, dict):
        return diagnostic(
            Code.UNREADABLE_FIGURE, path, 1, 1, "a figure must be a JSON object with `data` and `layout`"
        )
    return data
