"""A corpus of bad input, one small project per case, and how The Cortex answers each: *clear*
(one diagnostic with the expected code at the expected file and line), *vague* (diagnostics,
but none there), *silent* (none at all), *crash* (an exception) or *hang* (no answer in a
minute). Every case must be clear."""

from __future__ import annotations

import contextlib
import io
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cortex.diagnostics import Diagnostic
from cortex.model import load
from support.paths import write_tree

HANG_S = 60  # far beyond what any case takes; only a runaway loop or backtracking gets here

CURRICULUM = """pillars:
  - id: maths
    title: Maths
    topics:
      - id: algebra
        title: Algebra
"""
EXPERIMENT_CODE = 'def run(point, bench):\n    return {"sq": point["n"] ** 2}\n'
BIB = (
    "@article{known2020,\n  author = {Doe, Jane},\n  title = {Known},\n  journal = {J},\n  year = {2020}\n}\n"
)


def declaration(extra: str = "", *, head: str | None = None) -> str:
    """A valid declaration of experiments/x.md, with ``extra`` keys added (or ``head`` instead)."""
    head = head if head is not None else (
        "title: X\nstatus: planned\nscript: experiments/x.py:run\nparams:\n  n: [1, 2]\n"
        "metrics:\n  sq: {unit: '', better: higher}\n"
    )  # fmt: skip
    return f"---\n{head}{extra}---\nProse.\n"


def record(**changes) -> dict:
    """A valid result record of experiments/x.md (its hash does not matter here)."""
    data = {
        "schema": 1, "id": "x", "title": "X", "status": "ok", "error": None, "device": "cpu", "size": "full",
        "metrics": {"sq": {"unit": "", "better": "higher"}},
        "points": [{"params": {"n": n}, "status": "ok", "error": None, "seconds": 0.1, "metrics": {"sq": n * n}}
                   for n in (1, 2)],
        "provenance": {"input_hash": {"sha256": "0" * 64, "components": {}}, "python": "3.11",
                       "device": "cpu", "device_name": "cpu", "git": {"commit": "abc", "dirty": False},
                       "started_at": "2026-11-22T10:00:00+00:00"},
    }  # fmt: skip
    data.update(changes)
    return data


@dataclass
class Case:
    name: str
    files: dict[str, str | bytes]  # relative to the project root
    file: str  # the file the diagnostic must name (relative to the project root)
    line: int
    code: str
    words: str = ""  # a phrase the message must hold
    run: list[str] | None = None  # runner arguments: the case is a run, not a build
    arxiv: Callable[[Path], object] | None = None  # the case is an arXiv import
    options: dict = field(default_factory=dict)


def project(root: Path, case: Case) -> Path:
    files: dict[str, str | bytes] = {
        "content/index.md": "# Home\n",
        "content/curriculum/pillars.yaml": CURRICULUM,
    }
    files.update(case.files)
    return write_tree(root, files)


def answer(root: Path, case: Case) -> list[Diagnostic] | str:
    """The diagnostics a case gets, or "crash: ..." / "hang"."""
    project(root, case)

    def stop(signum, frame):
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(HANG_S)
    try:
        if case.run is not None:
            return _run(root, case.run)
        if case.arxiv is not None:
            return _arxiv(root, case)
        return load(root / "content", root=root, **case.options).diagnostics
    except TimeoutError:
        return "hang"
    except (Exception, SystemExit, KeyboardInterrupt) as exc:  # what escapes is a crash, whatever it is
        return f"crash: {type(exc).__name__}: {exc}"
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _run(root: Path, args: list[str]) -> list[Diagnostic]:
    from cortex.runner.run import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        main([str(root / "experiments" / "x.md"), *args])
    return [d for line in err.getvalue().splitlines() if (d := _parse(line)) is not None]


def _arxiv(root: Path, case: Case) -> list[Diagnostic]:
    from cortex.citations.arxiv_import import ArxivImportError
    from cortex.diagnostics import Code, diagnostic

    try:
        case.arxiv(root)  # type: ignore[misc]
    except ArxivImportError as exc:  # the command's error: it names no file, so it is said of the input
        return [diagnostic(Code.RUN_USAGE, case.file, case.line, 1, str(exc))]
    return []


def _parse(line: str) -> Diagnostic | None:
    from cortex.diagnostics import Code, diagnostic

    parts = line.split(": ", 2)
    if len(parts) < 3 or parts[1] not in ("error", "warning"):
        return None
    where, message = parts[0], parts[2]
    path, _, rest = where.partition(":")
    line_no, _, col = rest.partition(":")
    if not (line_no.isdigit() and col.isdigit()):
        return None
    code = Code.RUN_FAILED if parts[1] == "error" else Code.STALE_RESULT
    return diagnostic(code, path, int(line_no), int(col), message)


def classify(root: Path, case: Case) -> tuple[str, str]:
    """(clear | vague | silent | crash | hang, what was said)."""
    found = answer(root, case)
    if isinstance(found, str):
        return found.split(":")[0], found
    said = "\n".join(map(str, found))
    if not found:
        return "silent", said
    for d in found:
        at_file = Path(d.path).as_posix().endswith(case.file)
        same_code = case.run is not None or d.code.value == case.code  # a run prints no codes
        if at_file and d.line == case.line and same_code and case.words in d.message:
            return "clear", said
    return "vague", said


def note(body: str, front: str = "") -> str:
    return (f"---\n{front}---\n" if front else "") + body


def json_text(data: dict) -> str:
    return json.dumps(data, indent=2)
