"""Who links to whom, with the sentence each link stands in; and which notes carry each tag."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from cortex.citations.syntax import BARE, GROUP
from cortex.notes.kept import PerNote
from cortex.notes.links import resolve_wikilink
from cortex.notes.vault import (
    LINE_MARKUP,
    TEXT_MARK,
    Note,
    Vault,
    WikiLink,
    cut_around,
    cut_at,
    link_label,
    plain_text,
)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SHORTCODE = re.compile(r"\{\{<.*?>\}\}")
_KEY_NAME_YEAR = re.compile(r"([A-Za-z]+?)[_-]?((?:19|20)\d\d)")
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?)])")
_CELL_BAR = re.compile(r"(?<!\\)\|")
CONTEXT_CHARS = 240


class Backlink(NamedTuple):
    """One entry of a note's "Linked from". (A named tuple: a build makes one for each linking
    note of every note, and a new build reads them from disk, ``notes.kept``.)"""

    source: str  # the linking note's path
    context: str  # the first sentence a link to the note stands in, as plain text
    line: int
    more: int = 0  # the other sentences of the same note that link to it
    at: int = -1  # where the link's text starts in a sentence longer than a quote, else -1

    @property
    def quote(self) -> str:
        """The sentence as a page quotes it: cut to about ``CONTEXT_CHARS`` around the link when
        longer (cut when shown, so that the entries of one sentence share its text)."""
        return self.context if self.at < 0 else cut_at(self.context, self.at, CONTEXT_CHARS)


def backlinks(vault: Vault) -> dict[str, list[Backlink]]:
    """For each note, the other notes that link to or embed it: one entry per linking note,
    with the first sentence it links in and how many more it has."""
    # which file a link lands on depends on the files' paths and the notes' aliases alone: for
    # the same ones, a note whose text is unchanged links where it did (a preview rebuilds often)
    found: dict[str, list[Backlink]] = {}
    for note in vault.notes.values():
        for target, entry in _kept.get(vault.names, note, lambda n: _links_from(vault, n)):
            found.setdefault(target, []).append(entry)
    title = {path: note.title.lower() for path, note in vault.notes.items()}
    for entries in found.values():
        entries.sort(key=lambda b: (title[b.source], b.line))
    return found


def _links_from(vault: Vault, note: Note) -> list[tuple[str, Backlink]]:
    """The notes ``note`` links to or embeds, each with its entry in their "Linked from"."""
    first: dict[str, tuple[str, int, int]] = {}  # target -> (sentence as shown, where, line)
    contexts: dict[str, set[str]] = {}
    lines: dict = {}  # several links on one line share its sentences
    for link in note.links:
        r = resolve_wikilink(vault, link, note)
        if r.path is None or r.path == note.path or r.path not in vault.notes:
            continue
        sentence, shown, at = _link_context(note, link, lines)
        contexts.setdefault(r.path, set()).add(sentence)
        if r.path not in first:
            first[r.path] = (shown, at, link.line)
    return [
        (target, Backlink(note.path, shown, line, len(contexts[target]) - 1, at))
        for target, (shown, at, line) in first.items()
    ]


_kept: PerNote[list[tuple[str, Backlink]]] = PerNote("backlinks")


def _link_context(note: Note, link: WikiLink, lines: dict) -> tuple[str, str, int]:
    """``_Line.context`` of the sentence ``link`` stands in. ``lines`` (one per note) keeps each
    line cut into sentences, and each sentence made plain, for the line's other links."""
    if link.prop:
        context = f"{link.prop}: {plain_text(link.raw)}"
        return context, context, -1
    start = note.source.rfind("\n", 0, link.start) + 1
    if start not in lines:
        lines[start] = _Line.read(note.source, start)
    return lines[start].context(link.start - start, link.display or link_label(link.target, link.fragments))


@dataclass
class _Line:
    """One line of a note cut into its sentences."""

    text: str
    sentences: list[tuple[int, str]]  # (offset in the line, sentence)
    plain: dict[int, str] = field(default_factory=dict)  # sentence index (-1: the whole line) -> plain text

    @classmethod
    def read(cls, text: str, start: int) -> _Line:
        end = text.find("\n", start)
        line = text[start : len(text) if end == -1 else end]
        sentences = []
        begins = 0  # where the sentence being read begins in the line
        for gap in _SENTENCE_END.finditer(line):
            if line.count("[", 0, gap.start()) > line.count("]", 0, gap.start()):
                continue  # inside a citation's or a link's brackets: "[@key, chap. 4]"
            sentences.append((begins, line[begins : gap.start()]))
            begins = gap.end()
        sentences.append((begins, line[begins:]))
        return cls(line, sentences)

    def context(self, at: int, label: str) -> tuple[str, str, int]:
        """(the plain text of the sentence holding the line's offset ``at``; that text as shown;
        where the link ``label`` (its text) starts in it when it is longer than a quote, else -1).
        A link whose text is not found as such in the reading is shown by a reading of its own,
        cut around it."""
        index, begins, piece = next(
            (
                (i, found, piece)
                for i, (found, piece) in enumerate(self.sentences)
                if found <= at < found + len(piece)
            ),
            (-1, 0, self.text),
        )
        if index not in self.plain:
            self.plain[index] = reader_text(piece)
        plain = self.plain[index]
        if len(plain) <= CONTEXT_CHARS:
            return plain, plain, -1
        where = _nearest(plain, label, (at - begins) / len(piece))
        if where < 0:
            marked = reader_text(piece[: at - begins] + TEXT_MARK + piece[at - begins :])
            return plain, cut_around(marked, CONTEXT_CHARS), -1
        return plain, plain, where


def _nearest(text: str, label: str, fraction: float) -> int:
    """Where ``label`` occurs in ``text`` nearest to ``fraction`` of the way through it, or -1:
    a long sentence is read once for all its links, and each link found in the reading by its
    text (the same text twice in one sentence reads the same, whichever is found)."""
    if _LABEL_MARKUP.search(label):  # as the sentence reads it
        label = reader_text(label)
    if not label:
        return -1
    guess = int(fraction * len(text))
    before, after = text.rfind(label, 0, guess + len(label)), text.find(label, guess)
    if before < 0 or (after >= 0 and after - guess < guess - before):
        return after
    return before


_LABEL_MARKUP = re.compile(r"[*_~=`<\[@{]")


def reader_text(text: str) -> str:
    """A sentence or a line as a reader reads it: links by their text, citations by their author
    and year (a key such as ``kahan1965pracniques`` reads ``Kahan 1965``) or left out when
    bracketed, quoted results as an ellipsis, a table row's cells apart by a middle dot."""
    text = LINE_MARKUP.sub("", text)
    if "{{<" in text:
        text = _SHORTCODE.sub("…", text)
    if "@" in text:
        text = GROUP.sub("", text)
        text = BARE.sub(lambda m: _cited(m.group(1)), text)
        text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", _SPACES.sub(" ", text))
    if text.lstrip().startswith("|"):  # a table's row; a bar inside a cell's link is escaped
        text = " · ".join(cell for cell in map(str.strip, _CELL_BAR.split(text.strip().strip("|"))) if cell)
    return plain_text(text)


def _cited(key: str) -> str:
    m = _KEY_NAME_YEAR.match(key)
    return f"{m.group(1).capitalize()} {m.group(2)}" if m else key


def notes_by_tag(vault: Vault) -> dict[str, list[str]]:
    """Tag -> note paths; a nested tag ``a/b`` also counts under ``a``."""
    tags: dict[str, dict[str, None]] = {}  # tag -> its notes, in order, each once
    canonical: dict[str, str] = {}
    for note in vault.notes.values():
        for tag in note.tags:
            parts = tag.split("/")
            for i in range(1, len(parts) + 1):
                name = "/".join(parts[:i])
                name = canonical.setdefault(name.lower(), name)
                tags.setdefault(name, {})[note.path] = None
    return {name: list(paths) for name, paths in sorted(tags.items(), key=lambda kv: kv[0].lower())}
