"""The result store: input hashing, atomic records with history, and staleness.

``results/<id>/result.json`` is the last successful run; every run, good or failed, is also
kept as ``results/<id>/history/<run>.json``. A record is JSON::

    {"schema": 1, "id", "title", "status": "ok" | "failed", "error": str | null,
     "device": "cpu" | "cuda", "size": "ci" | "full",
     "metrics": {name: {"unit", "better"}},
     "points": [{"params": {...}, "status": "ok" | "failed" | "not-run", "error": str | null,
                 "seconds": float, "metrics": {name: number | str | null | Measurement}}],
     "provenance": {"input_hash": {"sha256", "components": {input: sha256}},
                    "python", "torch", "cuda", "cudnn", "driver", "triton", "device_name",
                    "platform", "host", "git": {"commit", "dirty"}, "started_at", "finished_at",
                    "duration_s", "command", "ceilings"}}

where a Measurement is ``{"value", "low", "high", "iqr", "reps"}``.
"""

from __future__ import annotations

import ast
import csv
import functools
import hashlib
import io
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from cortex.diagnostics import Diagnostic, error, warning
from cortex.experiments.declaration import ExperimentSpec

SCHEMA_VERSION = 1
RESULT_FILE = "result.json"
HISTORY_DIR = "history"
HASHED_DECLARATION_FIELDS = ("params", "script", "metrics", "sizes", "baselines")


# -- input hash -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InputHash:
    sha256: str
    components: dict[str, str] = field(default_factory=dict)  # input name -> sha256

    def to_json(self) -> dict:
        return {"sha256": self.sha256, "components": dict(self.components)}


def input_hash(spec: ExperimentSpec, repo_root: Path) -> InputHash:
    """Hash of what a run depends on: the declaration's params, script, metrics and sizes (not
    its prose or status), the entry point's file and the repository modules it imports,
    transitively, and the declared data files."""
    root = Path(repo_root).resolve()
    decl = _rel(spec.path, root)
    components = {f"{decl}#{key}": _sha_json(spec.raw.get(key)) for key in HASHED_DECLARATION_FIELDS}
    if spec.script_path:
        for path in code_files(root / spec.script_path, root):
            components[_rel(path, root)] = _sha_file(path)
    for rel in spec.data:
        components[Path(rel).as_posix()] = _sha_file(root / rel)
    total = hashlib.sha256(json.dumps(components, sort_keys=True).encode()).hexdigest()
    return InputHash(total, components)


def code_files(script: Path, repo_root: Path) -> list[Path]:
    """The script and every module inside the repository it imports, transitively."""
    roots = (repo_root, script.parent)  # the runner puts both on sys.path
    seen: set[Path] = set()
    todo = [script.resolve()]
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        todo.extend(p for p in _imports_of(path, _stat_key(path), roots) if p not in seen)
    return sorted(seen)


def _stat_key(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=4096)
def _imports_of(path: Path, _stat: tuple[int, int], roots: tuple[Path, ...]) -> tuple[Path, ...]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError, ValueError, OSError):
        return ()
    found: list[Path] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found += _module_paths(alias.name.split("."), roots)
        elif isinstance(node, ast.ImportFrom):
            base = [path.parent.parents[node.level - 2]] if node.level > 1 else [path.parent]
            bases = tuple(base) if node.level else roots
            parts = node.module.split(".") if node.module else []
            found += _module_paths(parts, bases)
            for alias in node.names:  # `from pkg import module`
                found += _module_paths([*parts, alias.name], bases, only_module=True)
    return tuple(dict.fromkeys(p.resolve() for p in found))


def _module_paths(parts: list[str], roots: tuple[Path, ...], only_module: bool = False) -> list[Path]:
    """Files that make up a dotted module under the first root that has it: the module and its
    packages' ``__init__.py``."""
    for root in roots:
        out = []
        for depth in range(1, len(parts) + 1):
            if only_module and depth < len(parts):
                continue
            stem = root.joinpath(*parts[:depth])
            if stem.with_suffix(".py").is_file():
                out.append(stem.with_suffix(".py"))
            elif (stem / "__init__.py").is_file():
                out.append(stem / "__init__.py")
            elif not (stem.is_dir() and depth < len(parts)):  # a namespace package goes on
                break
                break
        if out or not parts:
            return out
    return []


def _sha_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _sha_json(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _rel(path: Path, root: Path) -> str:
    path = Path(path).resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


def sync_hash_file(hash_file: Path, current: InputHash, result_file: Path) -> bool:
    """Keep a workflow's per-experiment input file in step with the input hash; returns True if
    it was rewritten.

    The file changes only when the run it asks for changes. While ``result_file`` was made from
    other inputs (or a run failed and left an older result), the file also names that result's
    modification time, so a failed run, after which Snakemake restores the previous result and
    records the hash file's checksum, is retried on the next build. A new file for a result
    already made from these inputs (a fresh checkout) is dated before that result."""
    hash_file, result_file = Path(hash_file), Path(result_file)
    record = read_record(result_file) if result_file.is_file() else None
    matches = isinstance(record, dict) and record_hash(record) == current.sha256
    content = current.sha256 + "\n"
    if not matches and result_file.is_file():
        content += f"result to replace: {result_file.stat().st_mtime_ns}\n"
    try:
        written = hash_file.read_text(encoding="utf-8") != content
    except FileNotFoundError:
        written = True
    if written:
        atomic_write_text(hash_file, content)
    if result_file.is_file():
        made = result_file.stat().st_mtime
        if matches and written:
            os.utime(hash_file, (made - 1, made - 1))
        elif not matches and hash_file.stat().st_mtime <= made:
            os.utime(hash_file, (made + 1, made + 1))
    return written


# -- atomic writes and the store ----------------------------------------------------------


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, data) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False, allow_nan=False) + "\n")


def save_run(results_dir: Path, record: dict, run_name: str) -> Path:
    """Keep the run in the history; a successful run also becomes ``result.json``."""
    folder = Path(results_dir) / record["id"]
    atomic_write_json(folder / HISTORY_DIR / f"{run_name}.json", record)
    if record["status"] == "ok":
        atomic_write_json(folder / RESULT_FILE, record)
    return folder / RESULT_FILE


def load_record(results_dir: Path, exp_id: str) -> dict | Diagnostic | None:
    """The last good record of an experiment, None if it never ran, or a Diagnostic saying why
    its ``result.json`` cannot be read."""
    return read_record(Path(results_dir) / exp_id / RESULT_FILE)


def read_json(path: Path, what: str) -> object | Diagnostic | None:
    """A JSON file's value; None when there is no file; a Diagnostic at the fault otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        return error(path, 1, 1, f"cannot read {what}: {exc}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        return error(path, exc.lineno, exc.colno, f"{what} is not valid JSON: {exc.msg}")


def read_record(path: Path) -> dict | Diagnostic | None:
    data = read_json(path, "result record")
    if data is None or isinstance(data, Diagnostic):
        return data
    problem = _schema_problem(data)
    if problem:
        return error(path, 1, 1, f"result record does not match schema {SCHEMA_VERSION}: {problem}")
    return data


def history(results_dir: Path, exp_id: str) -> list[dict]:
    """Every readable run of an experiment, oldest first."""
    folder = Path(results_dir) / exp_id / HISTORY_DIR
    runs = [read_record(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return sorted(
        (r for r in runs if isinstance(r, dict)), key=lambda r: r["provenance"].get("started_at", "")
    )


def _schema_problem(data) -> str | None:
    if not isinstance(data, dict):
        return "the top level is not an object"
    if data.get("schema") != SCHEMA_VERSION:
        return f"`schema` is {data.get('schema')!r}"
    for key, kind in (("id", str), ("status", str), ("points", list), ("provenance", dict)):
        if not isinstance(data.get(key), kind):
            return f"`{key}` is missing or of the wrong type"
    ih = data["provenance"].get("input_hash")
    if (
        not isinstance(ih, dict)
        or not isinstance(ih.get("sha256"), str)
        or not isinstance(ih.get("components"), dict)
    ):
        return "`provenance.input_hash` is missing or of the wrong type"
    if any(not isinstance(p, dict) or not isinstance(p.get("params"), dict) for p in data["points"]):
        return "a point has no `params` object"
    return None


def record_hash(record: dict) -> str:
    return record["provenance"]["input_hash"]["sha256"]


# -- staleness ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Staleness:
    state: str  # "fresh" | "stale" | "never-run"
    reasons: tuple[str, ...] = ()
    run: str = ""  # "the run of 2026-11-22 on NVIDIA H100"

    @property
    def fresh(self) -> bool:
        return self.state == "fresh"


def describe_run(record: dict) -> str:
    prov = record.get("provenance", {})
    day = str(prov.get("started_at", ""))[:10] or "an unknown date"
    return f"the run of {day} on {prov.get('device_name') or record.get('device') or 'an unknown device'}"


def staleness(spec: ExperimentSpec, record: dict | None, repo_root: Path) -> Staleness:
    """Fresh when the record was made from the inputs the declaration has now; otherwise which
    inputs changed since which run."""
    if record is None:
        return Staleness("never-run")
    run = describe_run(record)
    now = input_hash(spec, repo_root)
    if record_hash(record) == now.sha256:
        return Staleness("fresh", (), run)
    then = record["provenance"]["input_hash"].get("components", {})
    reasons = []
    for name in sorted(set(now.components) | set(then)):
        label = _input_label(name)
        if name not in then:
            reasons.append(f"{label} is a new input since {run}")
        elif name not in now.components:
            reasons.append(f"{label} is no longer an input since {run}")
        elif then[name] != now.components[name]:
            reasons.append(f"{label} changed since {run}")
    return Staleness("stale", tuple(reasons) or (f"the inputs changed since {run}",), run)


def _input_label(name: str) -> str:
    path, _, key = name.partition("#")
    return f"`{key}` in `{path}`" if key else f"`{path}`"


def stale_diagnostics(
    specs: list[ExperimentSpec], repo_root: Path, results_dir: Path | None = None
) -> list[Diagnostic]:
    """Warnings for `cortex check`: stale results, unreadable records, and experiments marked
    analysed or reported that have no result."""
    results_dir = Path(results_dir) if results_dir else Path(repo_root) / "results"
    out: list[Diagnostic] = []
    for spec in specs:
        if not spec.runnable:
            continue
        record = load_record(results_dir, spec.id)
        if isinstance(record, Diagnostic):
            out.append(record)
            continue
        state = staleness(spec, record, repo_root)
        line = spec.line_of("script")
        if state.state == "stale":
            out.append(warning(spec.path, line, 1, "stale result: " + "; ".join(state.reasons)))
        elif state.state == "never-run" and spec.status in ("analysed", "reported"):
            out.append(warning(spec.path, spec.line_of("status"), 1,
                               f"status is {spec.status} but the experiment has no result; run it"))  # fmt: skip
    return out


# -- tables and figures -------------------------------------------------------------------


def metric_value(value):
    """The number or text of a recorded metric (a Measurement's median)."""
    return value["value"] if isinstance(value, dict) else value


def table_rows(record: dict) -> list[dict]:
    """One row per point: its parameters, each metric's value (and ``<metric>_iqr`` for
    measurements), status and error."""
    rows = []
    for point in record["points"]:
        row = dict(point["params"])
        for name, value in point.get("metrics", {}).items():
            row[name] = metric_value(value)
            if isinstance(value, dict):
                row[f"{name}_iqr"] = value.get("iqr")
        row["status"] = point.get("status")
        row["error"] = point.get("error")
        rows.append(row)
    return rows


def table_csv(record: dict) -> str:
    rows = table_rows(record)
    columns = list(dict.fromkeys(name for row in rows for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def build_figure(figure, record: dict, units: dict[str, str]):
    """A plotly figure from the successful points, with IQR error bars for measurements."""
    import pandas as pd
    import plotly.express as px

    table = pd.DataFrame([row for row in table_rows(record) if row["status"] == "ok"])
    plot = {"line": px.line, "bar": px.bar, "scatter": px.scatter}[figure.kind]
    extra = {"markers": True} if figure.kind == "line" else {}
    if f"{figure.y}_iqr" in table:
        extra["error_y"] = table[f"{figure.y}_iqr"] / 2
    labels = {k: f"{k} ({u})" for k, u in units.items() if u}
    for column in (figure.color, figure.facet):
        if column and column in table:
            table = table.astype({column: str})
    if figure.facet:
        extra["facet_col"] = figure.facet
    fig = plot(table, x=figure.x, y=figure.y, color=figure.color, log_x=figure.log_x, log_y=figure.log_y,
               title=figure.title or None, labels=labels, **extra)  # fmt: skip
    if figure.kind == "bar":
        fig.update_layout(barmode="group")
    return fig


def write_outputs(spec: ExperimentSpec, record: dict, folder: Path) -> list[Path]:
    """Write ``table.csv`` and ``figures/<id>.json`` for a record; returns the paths written.
    Without plotly and pandas installed the figures are skipped (``--render-only`` makes them
    later)."""
    folder = Path(folder)
    written = [folder / "table.csv"]
    atomic_write_text(written[0], table_csv(record))
    if not spec.figures:
        return written
    try:
        import pandas  # noqa: F401
        import plotly  # noqa: F401
    except ImportError:
        return written
    units = {name: m.unit for name, m in spec.metrics.items()}
    figures_dir = folder / "figures"
    keep = {f"{f.id}.json" for f in spec.figures}
    if figures_dir.is_dir():
        for old in figures_dir.glob("*.json"):
            if old.name not in keep:
                old.unlink()
    for figure in spec.figures:
        path = figures_dir / f"{figure.id}.json"
        atomic_write_text(path, build_figure(figure, record, units).to_json())
        written.append(path)
    return written


# -- what a workflow runs on this machine -----------------------------------------------------


@dataclass
class RunPlan:
    devices: dict[str, str] = field(default_factory=dict)  # experiment id -> device it runs on here
    diagnostics: list[Diagnostic] = field(default_factory=list)


def plan_runs(specs: list[ExperimentSpec], repo_root: Path, *, cuda: bool, results_dir: Path,
              hashes_dir: Path) -> RunPlan:  # fmt: skip
    """Which experiments run on this machine, and on which device. A CUDA experiment on a machine
    without CUDA is left out: its committed result stays, or it is reported as not run.
    Each scheduled experiment's hash file is brought up to date (see ``sync_hash_file``)."""
    plan = RunPlan()
    for spec in specs:
        if not spec.runnable:
            continue
        if spec.device == "cuda" and not cuda:
            record = load_record(results_dir, spec.id)
            if not isinstance(record, dict):
                message = "not run: needs CUDA, and this machine has none"
            elif (state := staleness(spec, record, repo_root)).fresh:
                continue  # its committed result is current: nothing to run, nothing to say
            else:
                message = (f"stale: {'; '.join(state.reasons)}; not rerun here (needs CUDA), so that "
                           "result stays, marked stale")  # fmt: skip
            plan.diagnostics.append(warning(spec.path, spec.line_of("device"), 1, message))
            continue
        plan.devices[spec.id] = "cuda" if spec.device == "cuda" or (spec.device == "any" and cuda) else "cpu"
        sync_hash_file(Path(hashes_dir) / f"{spec.id}.sha256", input_hash(spec, repo_root),
                       Path(results_dir) / spec.id / RESULT_FILE)  # fmt: skip
    return plan
