"""Where each value of a JSON document was written, so a problem found in the parsed data (by a
schema) can be reported at its line and column. The standard library's scanner reads strings
and numbers; this walk only follows the structure around them."""

from __future__ import annotations

import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]  # public, missing from typeshed

from cortex.diagnostics import LineIndex

JsonPath = tuple[str | int, ...]
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


def json_positions(text: str) -> dict[JsonPath, tuple[int, int]]:
    """1-based (line, column) of every value in ``text`` (valid JSON), by its path of keys and
    indices: ``("points", 3, "metrics", "tflops")``. The document itself is ``()``."""
    lines = LineIndex(text)
    found: dict[JsonPath, tuple[int, int]] = {}

    def value(pos: int, path: JsonPath) -> int:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]  # it matches the empty string
        found[path] = lines(pos)
        char = text[pos : pos + 1]
        if char == "{":
            return members(pos + 1, path)
        if char == "[":
            return items(pos + 1, path)
        return _DECODER.raw_decode(text, pos)[1]

    def members(pos: int, path: JsonPath) -> int:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if text[pos : pos + 1] == "}":
            return pos + 1
        while True:
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            key, pos = scanstring(text, pos + 1)
            pos = _SPACE.match(text, pos).end() + 1  # type: ignore[union-attr]  # past the ':'
            pos = _SPACE.match(text, value(pos, (*path, key))).end()  # type: ignore[union-attr]
            if text[pos] == "}":
                return pos + 1
            pos += 1  # past the ','

    def items(pos: int, path: JsonPath) -> int:
        pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
        if text[pos : pos + 1] == "]":
            return pos + 1
        index = 0
        while True:
            pos = _SPACE.match(text, value(pos, (*path, index))).end()  # type: ignore[union-attr]
            if text[pos] == "]":
                return pos + 1
            pos += 1
            index += 1

    value(0, ())
    return found


def position_of(positions: dict[JsonPath, tuple[int, int]], path: JsonPath) -> tuple[int, int]:
    """The position of ``path``, or of its nearest ancestor that was written."""
    while path not in positions and path:
        path = path[:-1]
    return positions.get(path, (1, 1))
