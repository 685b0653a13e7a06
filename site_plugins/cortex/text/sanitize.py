"""Page HTML made safe to publish: what a note's Markdown (web clippings, pasted HTML) and the
plugin produce, with everything that could run script taken out, as Obsidian does for the
HTML in notes.

The cleaning is ammonia's (through ``nh3``), on an allowlist: the tags and attributes Markdown,
its extensions and this project write, MathML, and audio and video players. Scripts, event
handlers, ``javascript:`` and other foreign URL schemes, frames, forms and embedded objects are
dropped. A ``title`` attribute is also made safe for material's tooltips, which show it as HTML.
A ``<template>`` holding only text (the figure specs: JSON with ``<`` escaped) is kept as it is:
it cannot hold markup, and the figure loader reads it as data.
"""

from __future__ import annotations

import hashlib
import html
import re
from functools import cache

import nh3

_MATHML = {
    "math",
    "semantics",
    "annotation",
    "annotation-xml",
    "mrow",
    "mi",
    "mo",
    "mn",
    "ms",
    "mtext",
    "mspace",
    "msup",
    "msub",
    "msubsup",
    "mfrac",
    "msqrt",
    "mroot",
    "mover",
    "munder",
    "munderover",
    "mtable",
    "mtr",
    "mtd",
    "mstyle",
    "mpadded",
    "mphantom",
    "menclose",
    "merror",
    "mmultiscripts",
    "mprescripts",
    "none",
}
TAGS = (
    nh3.ALLOWED_TAGS
    | _MATHML
    | {
        "section",
        "figure",
        "figcaption",
        "details",
        "summary",
        "input",
        "label",
        "audio",
        "video",
        "source",
        "track",
        "picture",
        "tfoot",
        "center",
    }
)
_GENERIC = {"class", "id", "title", "lang", "dir", "role", "style", "tabindex", "hidden"}
_MATHML_ATTRIBUTES = {
    "display",
    "xmlns",
    "mathvariant",
    "encoding",
    "stretchy",
    "fence",
    "separator",
    "accent",
    "accentunder",
    "movablelimits",
    "lspace",
    "rspace",
    "linethickness",
    "columnalign",
    "rowalign",
    "columnspacing",
    "rowspacing",
    "displaystyle",
    "scriptlevel",
    "width",
    "height",
    "depth",
    "notation",
    "open",
    "close",
    "form",
    "largeop",
    "symmetric",
    "minsize",
    "maxsize",
    "mathcolor",
    "mathbackground",
    "mathsize",
    "columnlines",
    "rowlines",
    "frame",
    "framespacing",
    "rowspan",
    "columnspan",
    "voffset",
}
ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": _GENERIC,
    "a": {"href", "hreflang", "rel", "target", "download"},
    "img": {"src", "alt", "width", "height", "align", "loading", "srcset", "sizes"},
    "input": {"type", "checked", "disabled"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": nh3.ALLOWED_ATTRIBUTES["td"] | {"style"},
    "th": nh3.ALLOWED_ATTRIBUTES["th"] | {"style"},
    "audio": {"src", "controls", "preload", "loop", "muted"},
    "video": {"src", "controls", "preload", "loop", "muted", "poster", "width", "height", "playsinline"},
    "source": {"src", "type", "srcset", "media"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "details": {"open"},
    "label": {"for"},
    **dict.fromkeys(_MATHML, _MATHML_ATTRIBUTES),
}
URL_SCHEMES = {"http", "https", "mailto", "tel", "ftp"}
STYLE_PROPERTIES = {
    "color",
    "background-color",
    "font-weight",
    "font-style",
    "font-size",
    "font-family",
    "text-align",
    "text-decoration",
    "vertical-align",
    "width",
    "max-width",
    "min-width",
    "height",
    "max-height",
    "margin",
    "margin-left",
    "margin-right",
    "margin-top",
    "margin-bottom",
    "padding",
    "border",
    "border-radius",
    "display",
    "float",
    "clear",
    "white-space",
    "list-style-type",
    "opacity",
}


def tooltip_text(value: str) -> str:
    """A title attribute's value as material's tooltips need it: they show it as HTML, so it
    must read as text there too. Escape the result once more for the attribute itself; pages
    the sanitizer cleans get this done to every title, notebook pages (not cleaned) need it
    where the site writes a title."""
    return html.escape(value, quote=False)


def _attribute(tag: str, name: str, value: str) -> str | None:
    if name == "title":
        return tooltip_text(value)
    return value


@cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        generic_attribute_prefixes={"data-", "aria-"},
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=False,
        attribute_filter=_attribute,
        filter_style_properties=STYLE_PROPERTIES,
    )


_TEXT_TEMPLATE = re.compile(r"<template>([^<]*)</template>")


def sanitize_html(fragment: str) -> str:
    """``fragment`` with everything that could run script removed (see the module docstring)."""
    templates = _TEXT_TEMPLATE.findall(fragment)
    if not templates:
        return _cleaner().clean(fragment)
    token = "cortextemplate" + hashlib.sha256(fragment.encode()).hexdigest()[:16]
    parts = _TEXT_TEMPLATE.split(fragment)  # text, template, text, template, ..., text
    marked = "".join(part if i % 2 == 0 else f"{token}n{i // 2}x" for i, part in enumerate(parts))
    clean = _cleaner().clean(marked)
    return re.sub(token + r"n(\d+)x", lambda m: f"<template>{templates[int(m.group(1))]}</template>", clean)
