"""Mermaid diagrams (```` ```mermaid ```` fences). The page holds the diagram's source, shown as
code; the site's diagram loader draws it with the mermaid.js the site ships (no CDN), in the
current palette, and shows mermaid's reason under the source when it cannot."""

from __future__ import annotations

from html import escape


def mermaid_diagram(source: str, language: str, class_name: str, options: dict, md: object, **kwargs) -> str:
    """A pymdownx.superfences format function."""
    return (
        f'<div class="cortex-diagram" data-language="{escape(language)}">'
        f'<pre class="cortex-diagram-source"><code>{escape(source)}</code></pre></div>'
    )
