"""What is worked out from one note and kept between readings of a vault in this process (a
preview reads the vault on every rebuild): a result is worked out again only when the note's
text changed, or the context it was worked out in (``names``: what else it depends on)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from cortex.notes.vault import Note

T = TypeVar("T")


@dataclass
class PerNote(Generic[T]):
    """Each note's result, by path, with the text it was worked out from."""

    names: str = ""
    notes: dict[str, tuple[str, T]] = field(default_factory=dict)

    def get(self, names: str, note: Note, work: Callable[[Note], T]) -> T:
        """``work(note)``, or what it gave for the same text and ``names`` before."""
        if names is not self.names:  # asked for every note: the same object is not compared again
            if names != self.names:
                self.notes = {}
            self.names = names
        known = self.notes.get(note.path)
        if known is None or known[0] != note.source:
            known = self.notes[note.path] = (note.source, work(note))
        return known[1]


def same_items(a: Sequence, b: Sequence) -> bool:
    """Whether two sequences hold equal items, each compared by identity first: what a rebuild
    keeps is handed over as the same objects, and comparing those by value would cost as much
    as working them out again."""
    return len(a) == len(b) and all(x is y or x == y for x, y in zip(a, b, strict=True))
