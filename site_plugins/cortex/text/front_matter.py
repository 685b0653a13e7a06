"""Front matter: the YAML block between ``---`` fences at the top of a Markdown file. One
splitter serves notes, experiment declarations and generated pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from cortex.text.yaml_positions import LoadedYaml, load_yaml, yaml_error_at

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)
_OPENING = re.compile(r"---[ \t]*\r?\n")
FIRST_LINE = 2  # the file line of the YAML's first line: the one after the opening `---`


@dataclass(frozen=True)
class FrontMatter:
    data: dict
    raw: str  # the YAML text between the fences
    raw_start: int  # offset of ``raw`` in the file
    body_start: int  # offset where the body starts
    error: tuple[int, int, str] | None  # (line, col, message), 1-based, in file coordinates
    repeated: tuple[tuple[object, int, int], ...] = ()  # keys written twice: (key, line, col)


def front_matter_span(text: str) -> tuple[str, int, int] | None:
    """(YAML text, its offset, the body's offset) of a file's front matter, or None without one."""
    m = _FRONT_MATTER.match(text)
    if not m:
        return None
    raw = m.group(1) or ""
    return raw, (m.start(1) if m.group(1) is not None else m.end()), m.end()


def split_front_matter(text: str) -> FrontMatter:
    """The front matter, read with positions (``data`` is a ``YamlMapping``); a YAML error is
    kept, not raised. Keys written twice are listed in ``repeated``."""
    span = front_matter_span(text)
    if span is None:
        if _OPENING.match(text):  # a fence that nothing closes: Obsidian reads no properties either
            return FrontMatter({}, "", 0, 0, (1, 1, "front matter is not closed: no `---` line ends it"))
        return FrontMatter({}, "", 0, 0, None)
    raw, raw_start, body_start = span
    try:
        loaded = load_yaml(raw) if raw.strip() else LoadedYaml({})
    except yaml.YAMLError as exc:
        line, col, problem = yaml_error_at(exc)
        error = (line + FIRST_LINE, col + 1, f"front matter is not valid YAML: {problem}")
        return FrontMatter({}, raw, raw_start, body_start, error)
    data = loaded.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return FrontMatter(
            {}, raw, raw_start, body_start, (FIRST_LINE, 1, "front matter must be a mapping of properties")
        )
    repeated = tuple((key, mark.line + FIRST_LINE, mark.column + 1) for key, mark in loaded.repeated_keys)
    return FrontMatter(data, raw, raw_start, body_start, None, repeated)
