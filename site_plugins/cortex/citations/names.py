"""Names in BibTeX fields: biblatex's extended form (``family=Doe, given=Jane, prefix=van``)
read into the ``von Last, Jr, First`` form that pybtex (and BibTeX) understand."""

from __future__ import annotations

import re

_PART = re.compile(r"^\s*(family|given|prefix|suffix)(?:-i)?\s*=\s*(.*?)\s*$", re.I | re.S)
_KEYED = re.compile(r"^\s*[a-z-]+\s*=", re.I)


def _unbrace(value: str) -> str:
    return value[1:-1].strip() if value.startswith("{") and value.endswith("}") else value


def biblatex_name(name: str) -> str | None:
    """``name`` in BibTeX's form; None when it mixes the two forms, which neither tool reads."""
    parts = _split_top_level(name)
    keyed = [bool(_KEYED.match(part)) for part in parts]
    if not any(keyed):
        return name
    if not all(keyed):
        return None
    values: dict[str, str] = {}
    for part in parts:
        m = _PART.match(part)
        if m is None:  # another biblatex key (useprefix=, hash=): not part of the name
            continue
        values.setdefault(m.group(1).lower(), _unbrace(m.group(2)))
    family = values.get("family", "")
    if not family:
        return None
    if " " in family:
        family = "{" + family + "}"  # one last name of several words
    last = " ".join(p for p in (values.get("prefix", ""), family) if p)
    suffix, given = values.get("suffix", ""), values.get("given", "")
    return ", ".join([last, suffix, given] if suffix else [last, given] if given else [last])


def _split_top_level(name: str) -> list[str]:
    """``name`` split at the commas outside braces."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(name):
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            parts.append(name[start:i])
            start = i + 1
    parts.append(name[start:])
    return parts
