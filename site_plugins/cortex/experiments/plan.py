"""What a workflow runs on this machine: which experiments, on which device, and the small
per-experiment hash files that let Snakemake's checksum trigger rerun exactly the experiments
whose inputs changed."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.experiments.declaration import ExperimentSpec
from cortex.experiments.devices import run_device
from cortex.experiments.inputs import InputHash, input_hash
from cortex.experiments.record import record_hash
from cortex.experiments.staleness import frozen_text, staleness
from cortex.experiments.store import RESULT_FILE, load_record, read_record
from cortex.files import atomic_write_text


@dataclass
class RunPlan:
    devices: dict[str, str] = field(default_factory=dict)  # experiment id -> device it runs on here
    diagnostics: list[Diagnostic] = field(default_factory=list)


def plan_runs(
    specs: list[ExperimentSpec], repo_root: Path, *, cuda: bool, results_dir: Path, hashes_dir: Path
) -> RunPlan:
    """Which experiments run on this machine, and on which device. A CUDA experiment on a machine
    without CUDA is left out: its committed result stays, or it is reported as not run.
    Each scheduled experiment's hash file is brought up to date (see ``sync_hash_file``)."""
    plan = RunPlan()
    for spec in specs:
        if not spec.runnable:
            continue
        device = run_device(spec.device, cuda)
        if device == "cuda" and not cuda:
            record = load_record(results_dir, spec.id)
            if not isinstance(record, dict):
                message = "not run: needs CUDA, and this machine has none"
            elif (state := staleness(spec, record, repo_root)).fresh:
                continue  # its committed result is current: nothing to run, nothing to say
            else:
                message = (
                    f"stale: {'; '.join(state.reasons)}; not rerun here (needs CUDA), so that "
                    "result stays, marked stale"
                )
            plan.diagnostics.append(
                diagnostic(Code.NEEDS_CUDA, spec.path, spec.line_of("device"), 1, message)
            )
            continue
        plan.devices[spec.id] = device
        frozen = _sync_inputs(spec, repo_root, Path(results_dir), Path(hashes_dir))
        if frozen is not None:
            plan.diagnostics.append(frozen)
    return plan


def _sync_inputs(
    spec: ExperimentSpec, repo_root: Path, results_dir: Path, hashes_dir: Path
) -> Diagnostic | None:
    """Bring a scheduled experiment's hash file up to date. A frozen experiment whose result is
    stale keeps naming the hash that result was made from, so nothing reruns; the warning says so."""
    now = input_hash(spec, repo_root)
    record = load_record(results_dir, spec.id)
    hash_file, result_file = hashes_dir / f"{spec.id}.sha256", results_dir / spec.id / RESULT_FILE
    if not isinstance(record, dict):
        sync_hash_file(hash_file, now, result_file, False)
        return None
    state = staleness(spec, record, repo_root, now)
    if state.fresh or not spec.freeze:
        sync_hash_file(hash_file, now, result_file, state.fresh)
        return None
    sync_hash_file(hash_file, InputHash(record_hash(record)), result_file, fresh=True)
    message = "stale: " + "; ".join(state.reasons) + "; " + frozen_text(spec)
    return diagnostic(Code.FROZEN_STALE_RESULT, spec.path, spec.line_of("freeze"), 1, message)


def sync_hash_file(hash_file: Path, current: InputHash, result_file: Path, fresh: bool | None = None) -> bool:
    """Keep a workflow's per-experiment input file in step with the input hash; returns True if
    it was rewritten.

    The file changes only when the run it asks for changes. While ``result_file`` was made from
    other inputs (or a run failed and left an older result), the file also names that result's
    modification time, so a failed run, after which Snakemake restores the previous result and
    records the hash file's checksum, is retried on the next build. A new file for a result
    already made from these inputs (a fresh checkout) is dated before that result. ``fresh``
    says whether the result is current (``staleness``); by default, whether its hash is this one."""
    hash_file, result_file = Path(hash_file), Path(result_file)
    if fresh is None:
        record = read_record(result_file) if result_file.is_file() else None
        fresh = isinstance(record, dict) and record_hash(record) == current.sha256
    matches = fresh
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
