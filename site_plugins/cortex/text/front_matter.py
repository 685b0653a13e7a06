"""Front matter: the YAML block between ``---`` fences at the top of a Markdown file. One
splitter serves notes, experiment declarations and generated pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
FIRST_LINE = 2  # the file line of the YAML's first line: the one after the opening `---`


@dataclass(frozen=True)
class FrontMatter:
    data: dict
    raw: str  # the YAML text between the fences
    raw_start: int  # offset of ``raw`` in the file
    body_start: int  # offset where the body starts
    error: tuple[int, int, str] | None  # (line, col, message), 1-based, in file coordinates


def front_matter_span(text: str) -> tuple[str, int, int] | None:
    """(YAML text, its offset, the body's offset) of a file's front matter, or None without one."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return None
    raw = m.group(1) or ""
    return raw, (m.start(1) if m.group(1) is not None else m.end()), m.end()


def split_front_matter(text: str) -> FrontMatter:
    """The front matter read as plain YAML (no positions); a YAML error is kept, not raised."""
    span = front_matter_span(text)
    if span is None:
        return FrontMatter({}, "", 0, 0, None)
    raw, raw_start, body_start = span
    try:
        data = yaml.load(raw, Loader=_SafeLoader) if raw.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, col = (mark.line + 2, mark.column + 1) if mark else (1, 1)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return FrontMatter(
            {}, raw, raw_start, body_start, (line, col, f"front matter is not valid YAML: {problem}")
        )
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return FrontMatter(
            {}, raw, raw_start, body_start, (2, 1, "front matter must be a mapping of properties")
        )
    return FrontMatter(data, raw, raw_start, body_start, None)
