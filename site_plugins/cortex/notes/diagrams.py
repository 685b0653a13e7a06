"""Mermaid diagrams (```` ```mermaid ```` fences). No package on PyPI ships mermaid.js for this
Python, and the site loads nothing from a CDN, so a diagram is shown as its source, highlighted,
under a one-line notice that says so."""

from __future__ import annotations

from html import escape

NOTICE = "Mermaid diagram, shown as its source: the site draws no diagrams offline."


def mermaid_as_source(
    source: str, language: str, class_name: str, options: dict, md: object, **kwargs
) -> str:
    """A pymdownx.superfences format function."""
    return (
        f'<div class="cortex-diagram" data-language="{escape(language)}">'
        f'<p class="cortex-diagram-note">{escape(NOTICE)}</p>'
        f'<pre><code class="language-{escape(language)}">{escape(source)}</code></pre></div>'
    )
