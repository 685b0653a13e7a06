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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns of what it fixes on reading (missing cell ids)
        try:
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
        except nbformat.ValidationError as exc:
            where = position_of(json_positions(text), tuple(getattr(exc, "absolute_path", ()) or ()))
            message = str(getattr(exc, "message", exc)).splitlines()[0]
            return diagnostic(
                Code.BAD_NOTEBOOK,
                label,
                *where,
                f"notebook does not follow the notebook format: {message}; it is not published",
            )
        except Exception as exc:  # nbformat raises its own errors for versions it cannot read
            return diagnostic(
                Code.BAD_NOTEBOOK, label, 1, 1, f"notebook cannot be read: {exc}; it is not published"
            )
    return None
