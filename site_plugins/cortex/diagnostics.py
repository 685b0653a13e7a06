"""Diagnostics: every problem in user input, reported the way compilers do.

A diagnostic is ``path:line:col: level: message``. Lines and columns are 1-based and
refer to the file as the user wrote it (front matter included).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True)
class Diagnostic:
    path: str
    line: int
    col: int
    level: Level
    message: str

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}:{self.col}: {self.level}: {self.message}"

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR


def error(path: str | Path, line: int, col: int, message: str) -> Diagnostic:
    return Diagnostic(str(path), line, col, Level.ERROR, message)


def warning(path: str | Path, line: int, col: int, message: str) -> Diagnostic:
    return Diagnostic(str(path), line, col, Level.WARNING, message)


def display_path(path: str) -> str:
    """The path relative to the working directory when it lies below it, else as given."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset in ``text``."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col
