"""Diagnostics: every problem in user input, reported the way compilers do.

A diagnostic is ``path:line:col: level: message``. Lines and columns are 1-based and refer to
the file as the user wrote it (front matter included). Each has a stable :class:`Code`, and
its level comes from the code alone: which problems are errors (and fail a strict build) is
decided in one table here, never by reading messages.
"""

from __future__ import annotations

import bisect
import os
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"  # a suggestion (`cortex check --suggest`): never fails a check or a build

    def __str__(self) -> str:
        return self.value


class Code(StrEnum):
    """What kind of problem a diagnostic is. The values are stable: editors and CI match on them."""

    # files
    UNREADABLE_FILE = "unreadable-file"
    NOT_UTF8 = "not-utf8"
    OUTSIDE_CONTENT = "outside-content"
    # notes
    INVALID_FRONT_MATTER = "invalid-front-matter"
    DUPLICATE_PROPERTY = "duplicate-property"
    PROPERTY_TYPE = "property-type"
    UNRESOLVED_LINK = "unresolved-link"
    UNRESOLVED_PROPERTY_LINK = "unresolved-property-link"
    AMBIGUOUS_LINK = "ambiguous-link"
    ALIAS_LINK = "alias-link"
    EMBED_LOOP = "embed-loop"
    EMBED_TOO_DEEP = "embed-too-deep"
    BAD_NOTEBOOK = "bad-notebook"
    BAD_MATH = "bad-math"
    # citations and references
    UNKNOWN_CITATION = "unknown-citation"
    UNKNOWN_READING_NOTE_KEY = "unknown-reading-note-key"
    UNKNOWN_BASELINE_CITATION = "unknown-baseline-citation"
    BIB_SYNTAX = "bib-syntax"
    BIB_NOT_UTF8 = "bib-not-utf8"
    UNDEFINED_MACRO = "undefined-macro"
    DUPLICATE_KEY = "duplicate-key"
    DUPLICATE_FIELD = "duplicate-field"
    MISSING_CROSSREF = "missing-crossref"
    BAD_NAME = "bad-name"
    UNDEFINED_LATEX = "undefined-latex"
    REFERENCE_FORMAT = "reference-format"
    # experiments and results
    INVALID_DECLARATION = "invalid-declaration"
    UNREADABLE_RESULT = "unreadable-result"
    STALE_RESULT = "stale-result"
    FROZEN_STALE_RESULT = "frozen-stale-result"  # stale, and `freeze: true` keeps it from rerunning
    MISSING_RESULT = "missing-result"
    MISSING_VERDICT = "missing-verdict"
    SITE_URL = "site-url"
    NEEDS_CUDA = "needs-cuda"  # not scheduled here: the machine has no CUDA
    CUDA_UNAVAILABLE = "cuda-unavailable"  # a run on CUDA was asked for where there is none
    MISSING_FIGURE = "missing-figure"
    UNREADABLE_FIGURE = "unreadable-figure"
    BAD_QUOTE = "bad-quote"
    UNSOURCED_NUMBER = "unsourced-number"  # `cortex check --claims`: a number neither quoted nor cited
    RUN_FAILED = "run-failed"
    RUN_USAGE = "run-usage"
    # curriculum
    INVALID_CURRICULUM = "invalid-curriculum"
    EMPTY_CURRICULUM = "empty-curriculum"
    AMBIGUOUS_TOPIC_NAME = "ambiguous-topic-name"
    UNKNOWN_TOPIC = "unknown-topic"
    UNKNOWN_PROJECT = "unknown-project"  # an experiment's `project` is none of its topics' projects
    # connections
    UNLINKED_MENTION = "unlinked-mention"  # `cortex check --suggest`: a note named, not linked

    @property
    def level(self) -> Level:
        if self in _SUGGESTIONS:
            return Level.INFO
        return Level.WARNING if self in _WARNINGS else Level.ERROR


_SUGGESTIONS = frozenset({Code.UNLINKED_MENTION})
_WARNINGS = frozenset(
    {
        Code.EMBED_TOO_DEEP,
        Code.BAD_MATH,
        Code.DUPLICATE_PROPERTY,
        Code.PROPERTY_TYPE,
        Code.UNRESOLVED_PROPERTY_LINK,
        Code.AMBIGUOUS_LINK,
        Code.ALIAS_LINK,
        Code.UNKNOWN_READING_NOTE_KEY,
        Code.BIB_NOT_UTF8,
        Code.UNDEFINED_MACRO,
        Code.DUPLICATE_FIELD,
        Code.MISSING_CROSSREF,
        Code.BAD_NAME,
        Code.UNDEFINED_LATEX,
        Code.REFERENCE_FORMAT,
        Code.STALE_RESULT,
        Code.FROZEN_STALE_RESULT,
        Code.MISSING_RESULT,
        Code.MISSING_VERDICT,
        Code.SITE_URL,
        Code.NEEDS_CUDA,
        Code.MISSING_FIGURE,
        Code.UNSOURCED_NUMBER,
        Code.EMPTY_CURRICULUM,
        Code.AMBIGUOUS_TOPIC_NAME,
    }
)


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    level: Level
    message: str
    code: Code

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}:{self.col}: {self.level}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def to_json(self) -> dict[str, object]:
        return {
            "path": display_path(self.path),
            "line": self.line,
            "col": self.col,
            "level": str(self.level),
            "code": str(self.code),
            "message": self.message,
        }


def diagnostic(code: Code, path: str | Path, line: int, col: int, message: str) -> Diagnostic:
    """A problem of kind ``code`` at ``path:line:col``; its level is the code's."""
    return Diagnostic(str(path), line, col, code.level, message, code)


def display_path(path: str) -> str:
    """The path relative to the working directory when it lies below it, else as given."""
    return _display_path(path, os.getcwd())  # noqa: PTH109  # a string is what relpath needs


@lru_cache(maxsize=65536)  # a large vault reports tens of thousands of problems in fewer files
def _display_path(path: str, cwd: str) -> str:
    try:
        rel = os.path.relpath(path, cwd)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset in ``text`` (for one offset; for many in one
    text, ``LineIndex``)."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


class LineIndex:
    """1-based line and column of offsets in one text, by binary search over its line starts:
    asking for every link or heading of a long note stays linear."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        start = text.find("\n")
        while start != -1:
            self.starts.append(start + 1)
            start = text.find("\n", start + 1)

    def __call__(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1
