"""Notebooks in the content folder: one that is not a readable Jupyter notebook is a diagnostic
at its fault, and the site is built without it rather than stopped by it; one that is gets its
plotly figures and its reads of results made ready for the site."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from markupsafe import escape

from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.experiments.display import provenance_line
from cortex.experiments.figures import (
    FIGURE_CLASS,
    PLOTLY_MIMETYPE,
    figure_div_id,
    figure_html,
    figure_placeholder,
)
from cortex.experiments.notebook import RESULT_MIMETYPE, run_identity
from cortex.experiments.staleness import describe_run
from cortex.experiments.store import ResultSet
from cortex.text.json_positions import json_positions, position_of
from cortex.text.sanitize import tooltip_text

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


def prepare_notebook(text: str, stem: str, results: ResultSet | None) -> str | None:
    """A notebook's JSON made ready for the site, or None when it needs nothing: each plotly
    output becomes a figure the site's loader draws (Jupyter's own HTML for it needs
    require.js and a CDN), and each output of ``read_result`` says whether the record the
    notebook read is still the current, fresh one, with the stale marker quotes carry if not."""
    if PLOTLY_MIMETYPE not in text and RESULT_MIMETYPE not in text:
        return None
    data = json.loads(text)
    figures = 0
    for cell in data.get("cells", []):
        for output in cell.get("outputs", []) if isinstance(cell, dict) else []:
            bundle = output.get("data") if isinstance(output, dict) else None
            if not isinstance(bundle, dict):
                continue
            if PLOTLY_MIMETYPE in bundle:
                figures += 1
                html = "".join(bundle.get("text/html", ""))
                if not html.startswith(f'<div class="{FIGURE_CLASS}"'):
                    div_id = figure_div_id("nb", stem, str(figures))
                    try:
                        bundle["text/html"] = figure_html(bundle[PLOTLY_MIMETYPE], div_id)
                    except ValueError as exc:
                        bundle["text/html"] = figure_placeholder(div_id, str(exc))
            if RESULT_MIMETYPE in bundle:
                bundle["text/html"] = _result_output(
                    bundle[RESULT_MIMETYPE], "".join(bundle.get("text/plain", "")), results
                )
    return json.dumps(data, ensure_ascii=False, indent=1)


def _result_output(read: object, text: str, results: ResultSet | None) -> str:
    """The HTML of a ``read_result`` output: the run it read, marked stale when the record has
    moved on since or its inputs have changed. A notebook page is not sanitized, so the titles
    written here are made safe for tooltips here."""
    read = read if isinstance(read, dict) else {}
    experiment = str(read.get("experiment", ""))
    current = results.record(experiment) if results else None
    if current is None:
        why = f"{experiment} has no result now"
    elif run_identity(current) != {k: str(read.get(k, "")) for k in ("started_at", "input_hash")}:
        why = f"the notebook read an earlier run; the current record is {describe_run(current)}: run the notebook again"
    else:
        state = results.state(experiment) if results else None
        why = "; ".join(state.reasons) if state is not None and state.state == "stale" else ""
    if not why:
        title = provenance_line(current, results.state(experiment)) if current and results else text
        return f'<p class="cortex-notebook-result"><span class="cortex-quote" title="{escape(tooltip_text(title))}">{escape(text)}</span></p>'
    return (
        f'<p class="cortex-notebook-result"><span class="cortex-quote cortex-quote--stale" title="{escape(tooltip_text("stale: " + why))}">'
        f'{escape(text)} <span class="cortex-quote-mark" aria-label="stale">⚠</span></span> '
        f"<em>Stale: {escape(why)}.</em></p>"
    )
