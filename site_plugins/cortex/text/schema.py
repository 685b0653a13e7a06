"""Checking YAML read with positions (``yaml_positions``) against a schema. Every problem is a
diagnostic at the line and column of the key or value at fault, in file coordinates, and one
set of words describes them all, whichever file they are in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from yaml.error import Mark

from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.text.yaml_positions import LoadedYaml, key_mark, value_mark


def type_name(value: object) -> str:
    """How a value a schema did not expect is named in a diagnostic."""
    if value is None:
        return "nothing"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()} (quote it to make it text)"
    if isinstance(value, int | float):
        return f"the number {value} (quote it to make it text)"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


class SchemaChecker:
    """Collects the diagnostics of one YAML document. ``first_line`` is the file line of the
    document's first line (2 for front matter, after its opening ``---``); ``code`` is what its
    schema errors are."""

    def __init__(self, path: object, code: Code, first_line: int = 1) -> None:
        self.path = str(path)
        self.code = code
        self.first_line = first_line
        self.diagnostics: list[Diagnostic] = []

    def position(self, mark: Mark | None) -> tuple[int, int]:
        """1-based file line and column of a mark; the file's start when there is none."""
        return (mark.line + self.first_line, mark.column + 1) if mark is not None else (1, 1)

    def at_key(self, container: object, key: object) -> tuple[int, int]:
        """Where a key (or a list item) was written; a mapping's own start for ``key=None``."""
        if key is None:
            return self.position(getattr(container, "mark", None))
        return self.position(key_mark(container, key))

    def at_value(self, container: object, key: object) -> tuple[int, int]:
        return self.position(value_mark(container, key))

    def error(self, where: tuple[int, int], message: str) -> None:
        """A schema error (of the checker's code)."""
        self.report(self.code, where, message)

    def report(self, code: Code, where: tuple[int, int], message: str) -> None:
        self.diagnostics.append(diagnostic(code, self.path, *where, message))

    def fail(self, container: object, key: object, message: str) -> None:
        """An error at a key (or list item)."""
        self.error(self.at_key(container, key), message)

    def typed(self, container: Mapping, key: object, kind: type | tuple[type, ...], what: str) -> bool:
        """Whether ``container[key]`` is of ``kind`` (a bool is not a number); an error if not."""
        value = container[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            self.fail(container, key, f"`{key}` must be {what}, not {type_name(value)}")
        return ok

    def unknown_keys(self, mapping: Mapping, allowed: Iterable[str], where: str) -> None:
        allowed = tuple(allowed)
        for key in mapping:
            if key not in allowed:
                self.fail(mapping, key, f"unknown key `{key}` in {where} (allowed: {', '.join(allowed)})")

    def required_keys(
        self,
        mapping: Mapping,
        required: Iterable[str],
        where: str,
        anchor: tuple[object, object] | None = None,
    ) -> bool:
        """Whether every required key is there; an error for each missing one, at ``anchor``
        (container, key) or else at the mapping's own start."""
        missing = [k for k in required if k not in mapping]
        position = self.at_key(*anchor) if anchor else self.at_key(mapping, None)
        for key in missing:
            self.error(position, f"{where} is missing `{key}`")
        return not missing

    def repeated_keys(self, loaded: LoadedYaml) -> None:
        for key, mark in loaded.repeated_keys:
            self.error(
                self.position(mark), f"key `{key}` appears twice in the same mapping; the last one wins"
            )
