"""What is worked out from one note and kept between readings of a vault: in this process (a
preview reads the vault on every rebuild), and, for a ``PerNote`` with a ``kind``, between
processes in the folder ``keep_in`` names (a build reads what the last one worked out). A result
is worked out again only when the note's text changed, or the context it was worked out in
(``names``: what else it depends on), or the code."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Generic, TypeVar

from cortex.cache_files import package_version, read_pickle, write_pickle
from cortex.notes.vault import Note

T = TypeVar("T")


@dataclass
class PerNote(Generic[T]):
    """Each note's result, by path, with the text it was worked out from. With a ``kind``, the
    results are also kept on disk (``<folder>/<kind>.pickle``, by a digest of the note's text,
    under a digest of ``names`` and of this package's code), read when first needed and
    written by ``save_kept``."""

    kind: str = ""
    names: str = ""
    notes: dict[str, tuple[str, T]] = field(default_factory=dict)
    _stored: dict[str, tuple[bytes, T]] | None = None  # what the folder holds for ``names``
    _changed: bool = False  # worked out anew since the folder was read or written

    folder: ClassVar[Path | None] = None  # ``keep_in``
    kept: ClassVar[list[PerNote]] = []  # every PerNote with a kind

    def __post_init__(self) -> None:
        if self.kind:
            PerNote.kept.append(self)

    def get(self, names: str, note: Note, work: Callable[[Note], T]) -> T:
        """``work(note)``, or what it gave for the same text and ``names`` before."""
        if names is not self.names:  # asked for every note: the same object is not compared again
            if names != self.names:
                self.notes = {}
                self._stored = None
            self.names = names
        known = self.notes.get(note.path)
        if known is not None and known[0] == note.source:
            return known[1]
        stored = self._on_disk().get(note.path)
        if stored is not None and stored[0] == _digest(note.source):
            value = stored[1]
        else:
            value = work(note)
            self._changed = True
        self.notes[note.path] = (note.source, value)
        return value

    def _on_disk(self) -> dict[str, tuple[bytes, T]]:
        """What the folder holds for the current names, read when first needed."""
        if self._stored is None:
            self._stored = self._read() if self.kind and self.folder is not None else {}
        return self._stored

    def _read(self) -> dict[str, tuple[bytes, T]]:
        found = read_pickle(self._path(), self._version())
        return found if isinstance(found, dict) else {}

    def _path(self) -> Path:
        return Path(str(self.folder)) / f"{self.kind}.pickle"

    def _version(self) -> bytes:
        return _digest(f"{package_version()}\0{self.names}")

    def save(self) -> None:
        """Write the results to the folder, if any was worked out anew."""
        if not self._changed or not self.kind or self.folder is None:
            return
        notes = {path: (_digest(source), value) for path, (source, value) in self.notes.items()}
        write_pickle(self._path(), self._version(), notes)
        self._stored = {}  # the folder holds nothing this process does not
        self._changed = False


def keep_in(folder: Path | None) -> None:
    """Where results are kept between processes (a project's ``.cache/cortex/kept``); None:
    only in this process."""
    if folder != PerNote.folder:
        PerNote.folder = folder
        for kept in PerNote.kept:
            kept._stored = None
            kept._changed = bool(kept.notes)


def save_kept() -> None:
    """Write what was worked out anew since the last save (a build, once it has worked out its
    connections; a preview, as it stops)."""
    for kept in PerNote.kept:
        kept.save()


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def same_items(a: Sequence, b: Sequence) -> bool:
    """Whether two sequences hold equal items, each compared by identity first: what a rebuild
    keeps is handed over as the same objects, and comparing those by value would cost as much
    as working them out again."""
    return len(a) == len(b) and all(x is y or x == y for x, y in zip(a, b, strict=True))
