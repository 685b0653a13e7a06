"""The parsers of The Cortex, each as a function of one text, for fuzzing: none may raise, and
repeating a snippet four times as often may cost at most about four times the steps."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from hypothesis import strategies as st

from cortex.citations.bibliography import load_bibliography
from cortex.citations.names import biblatex_name
from cortex.citations.syntax import find_citations
from cortex.curriculum.model import load_curriculum
from cortex.experiments.declaration import load_experiment
from cortex.experiments.quotes import render_quotes
from cortex.experiments.store import ResultSet, read_record
from cortex.notes.vault import default_slugify, parse_note, plain_text
from cortex.text.front_matter import split_front_matter
from cortex.text.markdown import protected_regions
from cortex.text.sanitize import sanitize_html

# The characters that mean something to one parser or another, and a little text around them.
SYNTAX = "[]()!#^|*_`~=-:{}<>@$%&\\/\"'., \t\n0123456789aAbBxX"
SNIPPETS = [
    "[[", "]]", "![[", "#", "^id", "|", "**", "__", "~~", "==", "`", "```", "~~~", "%%", "<!--", "-->",
    "---\n", "\n", "[@", "@key", "{{<", ">}}", "$", "$$", "\\", "{", "}", "title: ", "- ", "> [!note]",
    "&", "<", ">", "\"", "'", ":", "@article{", "=", ",",
]  # fmt: skip


def texts(max_size: int = 2_000) -> st.SearchStrategy[str]:
    """Text made of syntax characters and snippets, of any length up to about ``max_size``
    characters (the length is drawn first, so long inputs are as likely as short ones)."""
    piece = st.one_of(st.text(alphabet=SYNTAX, max_size=8), st.sampled_from(SNIPPETS), st.text(max_size=3))
    count = st.integers(min_value=0, max_value=max_size // 4)
    return count.flatmap(lambda n: st.lists(piece, min_size=n, max_size=n)).map("".join)


def _with_file(name: str, text: str, read: Callable[[Path], object]) -> object:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8", errors="surrogatepass")
        return read(path)


def _declaration(text: str) -> object:
    def read(path: Path) -> object:
        return load_experiment(path, path.parent.parent)

    return _with_file("experiments/x.md", text, read)


PARSERS: dict[str, Callable[[str], object]] = {
    "note": lambda text: parse_note("a.md", text, default_slugify, "a.md"),
    "plain text": plain_text,
    "front matter": split_front_matter,
    "code and comments": protected_regions,
    "citations": find_citations,
    "shortcodes": lambda text: render_quotes(text, "a.md", "a.md", ResultSet({}, {}, {})),
    "page HTML": sanitize_html,
    "names": biblatex_name,
    "bibtex": lambda text: _with_file("refs/a.bib", text, lambda p: load_bibliography(p.parent)),
    "declaration": lambda text: _declaration(text if text.startswith("---") else "---\n" + text),
    "curriculum": lambda text: _with_file("pillars.yaml", text, load_curriculum),
    "result record": lambda text: _with_file("result.json", text, read_record),
}


def steps(parse: Callable[[str], object], text: str) -> int:
    """Python function calls, C ones included, made while parsing ``text``."""
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        parse(text)
    finally:
        sys.setprofile(None)
    return count
