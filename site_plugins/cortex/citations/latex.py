"""LaTeX in BibTeX fields, turned into escaped HTML or plain Unicode text.

pybtex decodes accents (``{\\"u}``, ``\\'e``) and case-protecting braces. What it leaves
alone (``$math$`` and font commands such as ``\\emph{...}``) is swapped for inert tokens
before pybtex sees the field and swapped back, as HTML, after it has rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from pybtex.backends import html as pybtex_html
from pybtex.richtext import Text
from pybtex.scanner import PybtexSyntaxError

_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.S)
_FONT = re.compile(r"\\(emph|textit|textsl|textbf|texttt|textsc|textsf|textrm|textup|textnormal)\s*\{")
_URL = re.compile(r"\\url\s*\{([^{}]*)\}")
_FONT_TAGS = {"emph": "em", "textit": "em", "textsl": "em", "textbf": "strong", "texttt": "code"}
_SAFE_SCHEMES = {"http", "https", "ftp", "mailto", ""}
_NONCES = ("qzxj", "jxzq", "zqvk", "kvqz")


@dataclass
class Tokens:
    """Inert tokens standing for HTML that pybtex must not see or escape."""

    nonce: str = ""
    html: dict[str, str] = field(default_factory=dict)

    def add(self, html: str) -> str:
        token = f"{self.nonce}{len(self.html)}{self.nonce}"
        self.html[token.lower()] = html
        return token

    def restore(self, rendered: str) -> str:
        if not self.html:
            return rendered
        pattern = re.compile(f"{self.nonce}\\d+{self.nonce}", re.I)
        return pattern.sub(lambda m: self.html.get(m.group(0).lower(), ""), rendered)


def _matching_brace(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] == "{" and (i == 0 or text[i - 1] != "\\"):
            depth += 1
        elif text[i] == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return i
    return -1


def protect_markup(value: str, tokens: Tokens) -> str:
    """Replace ``$math$`` and font commands in ``value`` by tokens recorded in ``tokens``."""
    if "$" not in value and "\\" not in value:
        return value
    if not tokens.nonce:
        tokens.nonce = next((n for n in _NONCES if n not in value.lower()), _NONCES[0])

    def math(m: re.Match[str]) -> str:
        return "{" + tokens.add(f'<span class="arithmatex">\\({escape(m.group(1))}\\)</span>') + "}"

    value = _MATH.sub(math, value)
    value = _URL.sub(lambda m: "{" + m.group(1) + "}", value)
    while (m := _FONT.search(value)) is not None:
        close = _matching_brace(value, m.end() - 1)
        if close < 0:
            break
        tag = _FONT_TAGS.get(m.group(1))
        inner = value[m.end() - 1 : close + 1]
        if tag:
            inner = tokens.add(f"<{tag}>") + inner + tokens.add(f"</{tag}>")
        value = value[: m.start()] + inner + value[close + 1 :]
    return value


def safe_url(url: str) -> str | None:
    """``url`` when its scheme is harmless in an href (no ``javascript:``), else None."""
    url = url.strip()
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in _SAFE_SCHEMES and url else None


class SafeHtmlBackend(pybtex_html.Backend):
    """pybtex's HTML backend with every string and URL escaped by markupsafe."""

    def format_str(self, text: str) -> str:
        return str(escape(text))

    def format_protected(self, text: str) -> str:
        return text

    def format_href(self, url: str, text: str, external: bool = False) -> str:
        href = safe_url(url)
        if not text:
            return ""
        if href is None:
            return text
        return f'<a href="{escape(href)}" rel="noopener">{text}</a>'


HTML_BACKEND = SafeHtmlBackend()


def latex_to_html(value: str) -> Markup:
    """One LaTeX field as escaped HTML."""
    tokens = Tokens()
    protected = protect_markup(value, tokens)
    try:
        rendered = Text.from_latex(protected).render(HTML_BACKEND)
    except (PybtexSyntaxError, ValueError):  # unbalanced braces; a stray backslash fails latexcodec
        return escape(value)
    html = tokens.restore(rendered)
    return Markup(html)  # nosec B704  # SafeHtmlBackend escaped every string in it


@lru_cache(maxsize=1 << 16)
def latex_to_text(value: str) -> str:
    """One LaTeX field as plain Unicode text (braces and accents resolved, math kept as is); once
    per text in a process (the graph reads every cited title, and a preview on each rebuild)."""
    try:
        return str(Text.from_latex(value))
    except (PybtexSyntaxError, ValueError):
        return value.replace("{", "").replace("}", "")


def _latexcodec_commands() -> frozenset[str]:
    import latexcodec.codec

    table = latexcodec.codec._LATEX_UNICODE_TABLE  # the codec's own table of what it decodes
    return frozenset(tok.text[1:] for key in table.unicode_map for tok in key if tok.name == "control_word")


_COMMAND = re.compile(r"\\([A-Za-z]+)")
# what the formatting itself handles, beyond what latexcodec decodes
_HANDLED = frozenset(_FONT_TAGS) | {"textsc", "textsf", "textrm", "textup", "textnormal", "url", "href"}
_KNOWN: frozenset[str] | None = None


def unknown_commands(value: str) -> list[str]:
    """The LaTeX control words in ``value`` that neither latexcodec nor the formatting handles."""
    global _KNOWN
    if _KNOWN is None:
        _KNOWN = _latexcodec_commands() | _HANDLED
    return sorted({m.group(1) for m in _COMMAND.finditer(value)} - _KNOWN)
