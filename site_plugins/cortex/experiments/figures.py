"""Plotly figures as HTML fragments the site's figure loader draws.

A figure is a plotly spec as a JSON-able dict (``Figure.to_plotly_json()``, or the JSON files
in ``results/<id>/figures/``). It is validated with plotly, then embedded as JSON inside a
``div.cortex-figure``; the page's script draws every such div with plotly.js. The same input
always gives the same bytes, so builds are deterministic.

The JSON sits in an inert ``<template>``, not a ``<script type="application/json">``: material's
instant navigation re-creates every inline script of a new page without its ``type``, which
would run the JSON as JavaScript.
"""

from __future__ import annotations

import hashlib
import json
import re

from markupsafe import escape

FIGURE_CLASS = "cortex-figure"
PLOTLY_MIMETYPE = "application/vnd.plotly.v1+json"
_VALID_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_ID_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
# JSON has these only inside strings, where the \u escapes mean the same characters
_HTML_SPECIAL = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"})


def figure_div_id(*parts: str) -> str:
    """A fixed, valid HTML id from names, e.g. ``("fp_formats", "range")`` -> ``fig-fp_formats-range``."""
    slug = "-".join(p for p in (_ID_UNSAFE.sub("-", part).strip("-") for part in parts) if p)
    return f"fig-{slug}" if slug else "fig"


def validated_figure(figure: dict):
    """The plotly ``Figure`` for a spec; ``ValueError`` with plotly's reason when it rejects it."""
    import plotly.graph_objects as go

    if not isinstance(figure, dict):
        raise ValueError(
            f"a figure must be a JSON object with 'data' and 'layout', not {type(figure).__name__}"
        )
    try:
        return go.Figure(figure)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"plotly rejects the figure: {_first_lines(str(exc))}") from exc


def figure_json(figure: dict) -> str:
    """The validated spec as compact JSON without ``<``, ``>``, ``&`` or ``'``, so that it is
    plain text inside any HTML element. Plotly's validation is most of a rebuild's time on a
    site with many figures, so a spec already seen in this process is not validated again."""
    try:
        key = hashlib.sha256(json.dumps(figure, sort_keys=True, allow_nan=True).encode()).digest()
    except (TypeError, ValueError):  # not plain JSON (arrays, say): validated every time
        return _figure_json(figure)
    if key not in _validated:
        if len(_validated) >= _VALIDATED_MAX:
            _validated.pop(next(iter(_validated)))
        _validated[key] = _figure_json(figure)
    return _validated[key]


_VALIDATED_MAX = 1024
_validated: dict[bytes, str] = {}  # the hash of a spec's JSON -> its validated JSON (not its errors)


def _figure_json(figure: dict) -> str:
    import plotly.io as pio

    spec = validated_figure(figure).to_plotly_json()
    if isinstance(figure.get("config"), dict):  # plotly.js options: kept, though Figure drops them
        spec["config"] = figure["config"]
    # plotly encodes numpy arrays; sorted keys make the text independent of key order, so a spec
    # read back from this text gives the same text again
    normal = json.loads(pio.to_json(spec, validate=False, remove_uids=True, engine="json"))
    return json.dumps(normal, sort_keys=True, separators=(",", ":")).translate(_HTML_SPECIAL)


def figure_html(figure: dict, div_id: str) -> str:
    """A ``div.cortex-figure`` holding the spec, excluded from the search index.

    Raises ``ValueError`` when plotly rejects the spec or ``div_id`` is not a valid id."""
    return _figure_div(_checked_id(div_id), figure_json(figure))


def figure_placeholder(div_id: str, reason: str) -> str:
    """What a page shows in place of a figure that cannot be drawn."""
    return (
        f'<div class="{FIGURE_CLASS}-missing cortex-problem" id="{escape(div_id)}">'
        f"Figure not shown: {escape(reason)}</div>"
    )


def figure_mimebundle(figure: dict, div_id: str) -> dict:
    """A notebook output that Jupyter draws with its plotly renderer and the site (through
    nbconvert's HTML) with the site's figure loader: ``display(bundle, raw=True)``."""
    div_id = _checked_id(div_id)
    text = figure_json(figure)
    return {PLOTLY_MIMETYPE: json.loads(text), "text/html": _figure_div(div_id, text)}


def _checked_id(div_id: str) -> str:
    if not isinstance(div_id, str) or not _VALID_ID.fullmatch(div_id):
        raise ValueError(
            f"figure id {div_id!r} is not a valid HTML id (a letter, then letters, digits, '-', '_')"
        )
    return div_id


def _figure_div(div_id: str, spec_json: str) -> str:
    return (
        f'<div class="{FIGURE_CLASS}" id="{div_id}" data-search-exclude>'
        f"<template>{spec_json}</template></div>"
    )


def _first_lines(message: str, count: int = 2) -> str:
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return "; ".join(lines[:count]) or "invalid figure"
