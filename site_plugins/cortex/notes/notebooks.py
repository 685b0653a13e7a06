"""Notebooks in the content folder: one that is not a readable Jupyter notebook is a diagnostic
at its fault, and the site is built without it rather than stopped by it."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.text.json_positions import json_positions, position_of

NOTEBOOK_SUFFIX = ".ipynb"


def check_notebook(path: Path, label: str) -> Diagnostic | None:
    """Why the file at ``path`` cannot be shown as a notebook, or None when it can."""
    import nbformat
    from nbformat.validator import get_validator

    try:
        text = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return diagnostic(
            Code.BAD_NOTEBOOK,
            label,
            1,
            1,
            f"notebook is not valid UTF-8 (byte {exc.start}); it is not published",
        )
    except OSError as exc:
        return diagnostic(
            Code.BAD_NOTEBOOK, label, 1, 1, f"cannot read the notebook: {exc}; it is not published"
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return diagnostic(
            Code.BAD_NOTEBOOK,
            label,
            exc.lineno,
            exc.colno,
            f"notebook is not valid JSON: {exc.msg}; it is not published",
        )
    if not isinstance(data, dict) or "cells" not in data or "nbformat" not in data:
        return diagnostic(
            Code.BAD_NOTEBOOK,
            label,
            1,
            1,
            "this .ipynb file is not a Jupyter notebook (no `cells` or `nbformat`); it is not published",
        )
    version = data["nbformat"] if isinstance(data["nbformat"], int) else 4
    minor = data.get("nbformat_minor") if isinstance(data.get("nbformat_minor"), int) else None
    try:
        validator = get_validator(version=version, version_minor=minor, name="jsonschema")
    except Exception:  # nbformat knows no such version
        validator = None
    if validator is None:
        return diagnostic(
            Code.BAD_NOTEBOOK,
            label,
            1,
            1,
            f"notebook format {data['nbformat']!r} is not one nbformat reads; it is not published",
        )
    errors = sorted(validator.iter_errors(data), key=lambda e: len(e.absolute_path))
    if errors:
        where = position_of(json_positions(text), tuple(errors[0].absolute_path))
        shown = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in errors[0].absolute_path)
        message = f"notebook does not follow the notebook format: `{shown.lstrip('.') or 'the notebook'}`: {errors[0].message}"
        return diagnostic(Code.BAD_NOTEBOOK, label, *where, message + "; it is not published")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns of what it fixes on reading (missing cell ids)
        try:
            nbformat.reads(text, as_version=4)
        except Exception as exc:  # nbformat raises its own errors for what it cannot convert
            return diagnostic(
                Code.BAD_NOTEBOOK, label, 1, 1, f"notebook cannot be read: {exc}; it is not published"
            )
    return None
