"""Run one experiment: ``python -m cortex.runner experiments/<id>.md``.

Runs every parameter point through the declared entry point with a progress display on
stderr, then writes ``results/<id>/result.json`` (metrics per point and provenance), a CSV
table and the declared plotly figures. Every run is kept in ``results/<id>/history/``; only
a run whose points all succeeded replaces ``result.json``, and all writes are atomic, so a
crash, a NaN, a timeout or a SIGKILL never destroys the last good result.

Needs torch but neither snakemake nor mkdocs.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.experiments.declaration import ExperimentSpec, load_experiment
from cortex.experiments.devices import cuda_available, run_device
from cortex.experiments.inputs import input_hash
from cortex.experiments.outputs import write_outputs
from cortex.experiments.record import (
    SCHEMA_VERSION,
    MeasurementRecord,
    MetricValue,
    PointRecord,
    ResultRecord,
    RunStatus,
)
from cortex.experiments.store import read_record, save_run
from cortex.runner.provenance import environment
from cortex.timing.measurement import Measurement

if TYPE_CHECKING:
    from cortex.timing.harness import Harness

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # frames in here are the runner's, not the experiment's
# What an experiment's code may end a run with: any error, and also sys.exit() or Ctrl-C, so that
# the run is still recorded as failed in the history before the runner exits.
STOPPED_BY_EXPERIMENT = (Exception, SystemExit, KeyboardInterrupt)
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_TIMEOUT = 124


class EntryPointError(Exception):
    """The entry point could not be imported."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cortex.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("declaration", type=Path, help="experiments/<id>.md")
    parser.add_argument("--device", choices=("cpu", "cuda"), help="default: the declaration's device")
    parser.add_argument("--size", default="full", help="ci | full (default: full)")
    parser.add_argument("--results-dir", type=Path, default=None, help="default: results/ in the repository")
    parser.add_argument(
        "--render-only", action="store_true", help="rebuild table and figures from result.json"
    )
    args = parser.parse_args(argv)

    decl = args.declaration.resolve()
    repo_root = decl.parent.parent
    results_dir = (args.results_dir or repo_root / "results").resolve()
    spec, diagnostics = load_experiment(decl, repo_root)
    if spec is None:
        return _report(diagnostics, EXIT_USAGE)
    if not spec.runnable:
        return _report(
            [diagnostic(Code.RUN_USAGE, decl, 1, 1, "the declaration has no `script`: nothing to run")],
            EXIT_USAGE,
        )
    if args.size not in ("ci", "full"):
        return _report(
            [
                diagnostic(
                    Code.RUN_USAGE,
                    decl,
                    spec.line_of("sizes"),
                    1,
                    f"unknown size {args.size!r}: use ci or full",
                )
            ],
            EXIT_USAGE,
        )
    if args.render_only:
        record = read_record(results_dir / spec.id / "result.json")
        if not isinstance(record, dict):
            return _report(
                [record or diagnostic(Code.RUN_USAGE, decl, 1, 1, "no result.json to render")], EXIT_FAILED
            )
        return 0 if _write_outputs(spec, record, results_dir) else EXIT_FAILED

    device, problem = choose_device(spec, args.device)
    if problem:
        return _report([problem], EXIT_FAILED)
    command = [
        "python",
        "-m",
        "cortex.runner",
        decl.relative_to(repo_root).as_posix(),
        "--device",
        device,
        "--size",
        args.size,
    ]
    return run_experiment(spec, repo_root, device, args.size, results_dir, argv=command)


def _report(diagnostics: list[Diagnostic], code: int) -> int:
    for d in diagnostics:
        print(d, file=sys.stderr)
    return code


def choose_device(spec: ExperimentSpec, requested: str | None) -> tuple[str, Diagnostic | None]:
    """The device to run on (see ``run_device``), or a diagnostic when it is CUDA and there is none."""
    cuda = cuda_available()
    device = run_device(spec.device, cuda, requested)
    if device == "cuda" and not cuda:
        return device, diagnostic(
            Code.CUDA_UNAVAILABLE,
            spec.path,
            spec.line_of("device"),
            1,
            "not run: needs CUDA, and torch.cuda.is_available() is False on this machine",
        )
    return device, None


def load_entry_point(spec: ExperimentSpec, repo_root: Path) -> Callable[..., object]:
    if spec.script_path is None or spec.entry_function is None:
        raise EntryPointError("the declaration has no `script`")
    script = (repo_root / spec.script_path).resolve()
    for folder in (str(script.parent), str(repo_root)):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    rel = script.relative_to(repo_root).with_suffix("")
    name = ".".join(rel.parts)
    module_spec = importlib.util.spec_from_file_location(name, script)
    if module_spec is None or module_spec.loader is None:
        raise EntryPointError(f"cannot import `{spec.script_path}`")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    fn = getattr(module, spec.entry_function, None)
    if not callable(fn):
        raise EntryPointError(
            f"entry point `{spec.entry_function}` is not a function in `{spec.script_path}`"
        )
    return fn


class Run:
    """One run's state, shared with the timeout watchdog."""

    def __init__(self, spec: ExperimentSpec, repo_root: Path, device: str, size: str, argv: list[str]):
        self.spec = spec
        self.repo_root = repo_root
        self.device = device
        self.size = size
        self.points: list[PointRecord] = [
            {"params": p, "status": "not-run", "error": None, "seconds": 0.0, "metrics": {}}
            for p in spec.points(size)
        ]
        self.started = datetime.now(UTC)
        self.hash = input_hash(spec, repo_root)
        self.argv = argv
        self.harness: Harness | None = None
        self.lock = threading.Lock()
        self.finished = False

    @property
    def run_name(self) -> str:
        return self.started.strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"

    def record(self, status: RunStatus, message: str | None) -> ResultRecord:
        finished = datetime.now(UTC)
        ceilings = self.harness.measured_ceilings if self.harness is not None else None
        return {
            "schema": SCHEMA_VERSION,
            "id": self.spec.id,
            "title": self.spec.title,
            "status": status,
            "error": message,
            "device": self.device,
            "size": self.size,
            "metrics": {m.name: {"unit": m.unit, "better": m.better} for m in self.spec.metrics.values()},
            "points": self.points,
            "provenance": {
                "input_hash": self.hash.to_json(),
                **environment(
                    self.device, self.repo_root, sorted({c.split("#")[0] for c in self.hash.components})
                ),
                "started_at": self.started.isoformat(timespec="seconds"),
                "finished_at": finished.isoformat(timespec="seconds"),
                "duration_s": round((finished - self.started).total_seconds(), 3),
                "command": self.argv,
                "ceilings": ceilings,
            },
        }


def run_experiment(
    spec: ExperimentSpec,
    repo_root: Path,
    device: str,
    size: str,
    results_dir: Path,
    argv: list[str] | None = None,
) -> int:
    run = Run(spec, repo_root, device, size, list(argv or []))
    watchdog = threading.Timer(spec.timeout, _on_timeout, args=(run, results_dir))
    watchdog.daemon = True
    watchdog.start()
    try:
        status, message, diagnostic = _run_points(run)
    finally:
        watchdog.cancel()
    with run.lock:
        run.finished = True
        record = run.record(status, message)
        result = save_run(results_dir, record, run.run_name)
    if status == "ok":
        _write_outputs(spec, record, results_dir)
        print(f"{spec.id}: {len(run.points)} point(s) ok -> {result}", file=sys.stderr)
        return 0
    print(diagnostic, file=sys.stderr)
    kept = "the previous result.json is kept" if result.is_file() else "no result.json was written"
    print(
        f"{spec.id}: run failed ({message}); {kept}; the run is in {result.parent / 'history'}",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _write_outputs(spec: ExperimentSpec, record: ResultRecord, results_dir: Path) -> bool:
    """Table and figures; False (with a note) when the figures need plotly and it is missing."""
    written = write_outputs(spec, record, results_dir / spec.id)
    if len(written) < 1 + len(spec.figures):
        print(
            f"{spec.id}: figures not written: plotly and pandas are not installed here; "
            f"run `python -m cortex.runner {spec.path.name} --render-only` where they are",
            file=sys.stderr,
        )
        return False
    return True


def _run_points(run: Run) -> tuple[RunStatus, str | None, Diagnostic | None]:
    spec = run.spec
    try:
        fn = load_entry_point(spec, run.repo_root)
        from cortex.timing.harness import Harness

        run.harness = Harness(run.device)
    except STOPPED_BY_EXPERIMENT as exc:  # the experiment's own import-time code may raise anything
        return "failed", _one_line(exc), _exception_diagnostic(spec, run.repo_root, exc)
    failures: list[Diagnostic] = []
    total = len(run.points)
    for i, point in enumerate(run.points, 1):
        _progress(i, total, point["params"], "running")
        t0 = time.perf_counter()
        try:
            returned = fn(dict(point["params"]), run.harness)
        except STOPPED_BY_EXPERIMENT as exc:
            point.update(
                {"status": "failed", "error": _one_line(exc), "seconds": round(time.perf_counter() - t0, 6)}
            )
            _progress(i, total, point["params"], "raised " + _one_line(exc))
            return (
                "failed",
                f"point {_fmt(point['params'])} raised {_one_line(exc)}",
                _exception_diagnostic(spec, run.repo_root, exc, point["params"]),
            )
        metrics, problems = check_metrics(spec, returned)
        point.update({"metrics": metrics, "seconds": round(time.perf_counter() - t0, 6)})
        if problems:
            point.update({"status": "failed", "error": "; ".join(msg for _, msg in problems)})
            failures += [
                diagnostic(
                    Code.RUN_FAILED,
                    spec.path,
                    spec.line_of("metrics", name) if name else spec.line_of("script"),
                    1,
                    f"point {_fmt(point['params'])}: {msg}",
                )
                for name, msg in problems
            ]
        else:
            point["status"] = "ok"
        state = f"ok ({point['seconds']:.2f} s)" if not problems else f"failed: {point['error']}"
        _progress(i, total, point["params"], state)
    if failures:
        for d in failures[1:]:
            print(d, file=sys.stderr)
        n = sum(p["status"] == "failed" for p in run.points)
        return "failed", f"{n} of {total} point(s) failed: {failures[0].message}", failures[0]
    return "ok", None, None


def check_metrics(
    spec: ExperimentSpec, returned: object
) -> tuple[dict[str, MetricValue], list[tuple[str | None, str]]]:
    """JSON-ready metrics and the problems found: (metric name or None, reason)."""
    if not isinstance(returned, dict):
        return {}, [(None, f"the entry point returned {type(returned).__name__}, not a dict of metrics")]
    metrics: dict[str, MetricValue] = {}
    problems: list[tuple[str | None, str]] = []
    for name, value in returned.items():
        if name not in spec.metrics:
            problems.append((None, f"metric `{name}` is not declared under `metrics:`"))
            continue
        if isinstance(value, Measurement):
            metrics[name] = value.to_json()
            if not value.is_finite():
                problems.append((name, f"metric `{name}` is not finite ({value.value})"))
                # a failed point's record keeps the non-finite numbers as text (JSON has no NaN)
                metrics[name] = cast(
                    MeasurementRecord, {k: _json_number(v) for k, v in value.to_json().items()}
                )
        elif isinstance(value, bool) or value is None or isinstance(value, str):
            metrics[name] = value
        elif isinstance(value, int | float) or _is_number_like(value):
            number = float(value) if not isinstance(value, int) else value
            if isinstance(number, float) and not math.isfinite(number):
                problems.append((name, f"metric `{name}` is {number}"))
                metrics[name] = str(number)
            else:
                metrics[name] = number
        else:
            problems.append(
                (name, f"metric `{name}` is a {type(value).__name__}; return a number, text or Measurement")
            )
    return metrics, problems


def _is_number_like(value) -> bool:
    """numpy and 0-d torch scalars, without importing either."""
    return hasattr(value, "item") and getattr(value, "ndim", getattr(value, "dim", lambda: 1)()) == 0


def _json_number(value: object) -> object:
    return value if not isinstance(value, float) or math.isfinite(value) else str(value)


def _on_timeout(run: Run, results_dir: Path) -> None:
    """Runs on the watchdog thread: record the run as failed and end the process, whatever happens."""
    try:
        with run.lock:
            if run.finished:
                return
            which = (
                "the declared `timeout`"
                if run.spec.timeout_declared
                else "the default; declare `timeout:` to change it"
            )
            message = f"timed out after {run.spec.timeout:g} s ({which})"
            current = next((p for p in run.points if p["status"] == "not-run"), None)
            if current is not None:
                current.update({"status": "failed", "error": f"timed out after {run.spec.timeout:g} s"})
            print(
                diagnostic(Code.RUN_FAILED, run.spec.path, run.spec.line_of("timeout"), 1, message),
                file=sys.stderr,
            )
            save_run(
                results_dir, json.loads(json.dumps(run.record("failed", message), default=str)), run.run_name
            )
            print(f"{run.spec.id}: run stopped; the previous result.json is kept", file=sys.stderr)
    finally:
        if not run.finished:
            sys.stderr.flush()
            os._exit(EXIT_TIMEOUT)


def _exception_diagnostic(
    spec: ExperimentSpec, repo_root: Path, exc: BaseException, params=None
) -> Diagnostic:
    """Point at the innermost frame inside the repository (the experiment's code), else the script line."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if _inside(f.filename, repo_root) and not _inside(f.filename, PACKAGE_DIR)
    ]
    where = f"point {_fmt(params)}: " if params is not None else ""
    text = f"{where}{_one_line(exc)}"
    if frames:
        return diagnostic(Code.RUN_FAILED, frames[-1].filename, frames[-1].lineno or 1, 1, text)
    return diagnostic(Code.RUN_FAILED, spec.path, spec.line_of("script"), 1, text)


def _inside(filename: str, folder: Path) -> bool:
    return Path(filename).resolve().is_relative_to(folder)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"the experiment called sys.exit({exc.code!r})"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (KeyboardInterrupt)"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _fmt(params: dict[str, object] | None) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in (params or {}).items()) + "}"


def _progress(i: int, total: int, params: dict, state: str) -> None:
    """One line per finished point; on a terminal the running point shows in place."""
    if state == "running":
        if sys.stderr.isatty():
            print(f"[{i}/{total}] {_fmt(params)} running", end="\r", file=sys.stderr, flush=True)
        return
    print(f"[{i}/{total}] {_fmt(params)} {state}", file=sys.stderr, flush=True)
