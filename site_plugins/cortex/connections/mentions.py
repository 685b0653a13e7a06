"""Unlinked mentions, as Obsidian's backlinks pane lists them: a note's title or alias written as
plain text in another note that does not link to it. Whole words, any case; never inside a
link, code, a comment, an HTML tag, a URL, a shortcode or the front matter.

One pass over each note finds every name at once: the names are indexed by their first word,
so each word of a note costs one dictionary look-up, and a word that starts some name costs one
more look-up for each length the names starting with it have (longest first), however many
names share that word (thousands of notes called "Note 1234", or daily notes starting with
the year). A thousand notes take a fraction of a second, where trying every name on every note
would take minutes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cortex.diagnostics import Code, Diagnostic, LineIndex, diagnostic
from cortex.model import KnowledgeBase
from cortex.notes.backlinks import reader_text
from cortex.notes.kept import PerNote
from cortex.notes.vault import TEXT_MARK, Note, cut_around
from cortex.text.markdown import Regions

MIN_NAME_CHARS = 3  # shorter titles and aliases ("AI", "X") would be found everywhere
CONTEXT_CHARS = 160
_WORD = re.compile(r"\w+")
# where a name is not plain text: links and images, URLs, HTML tags, shortcodes, citations
_NOT_PROSE = re.compile(
    r"!?\[[^\]\n]*\]\([^)\n]*\)|https?://[^\s>)]+|<[^>\n]+>|\{\{<.*?>\}\}|\[@[^\]\n]*\]|\[\[[^\]\n]*\]\]"
)


@dataclass(frozen=True, slots=True)
class Mention:
    source: str  # the mentioning note's path
    target: str  # the mentioned note's path
    text: str  # the name as written there
    line: int
    col: int
    context: str  # the line it stands in, as plain text


@dataclass(frozen=True, slots=True)
class _Names:
    """The names that start with one word."""

    lengths: tuple[int, ...]  # their lengths in characters, each once, longest first
    targets: dict[str, str]  # name (case folded) -> the note it names


def name_index(kb: KnowledgeBase) -> dict[str, _Names]:
    """Every note's title and aliases by their first word (case folded). A name that two notes
    share is left out: which one is meant is a guess."""
    owners: dict[str, set[str]] = {}
    for path, note in kb.notes.items():
        for name in {note.title, *note.aliases}:
            folded = " ".join(name.split()).casefold()
            if len(folded) >= MIN_NAME_CHARS and _WORD.match(folded):
                owners.setdefault(folded, set()).add(path)
    grouped: dict[str, dict[str, str]] = {}
    for folded, paths in owners.items():
        if len(paths) == 1:
            first = _WORD.match(folded)
            assert first is not None  # checked above
            grouped.setdefault(first.group(0), {})[folded] = next(iter(paths))
    return {
        word: _Names(
            tuple(sorted({len(name) for name in targets}, reverse=True)), dict(sorted(targets.items()))
        )
        for word, targets in grouped.items()
    }


def unlinked_mentions(kb: KnowledgeBase) -> dict[str, list[Mention]]:
    """For each note, every place another note names it without linking to it, in path and
    position order."""
    index = name_index(kb)
    names = repr(sorted(index.items()))  # what the mentions of a note depend on besides its text
    linked_from = {target: {b.source for b in links} for target, links in kb.backlinks.items()}
    found: dict[str, list[Mention]] = {}
    for path, note in sorted(kb.notes.items()):
        for mention in _kept.get(names, note, lambda n: mentions_in(n, index)):
            if mention.target != path and path not in linked_from.get(mention.target, ()):
                found.setdefault(mention.target, []).append(mention)
    return found


_kept: PerNote[list[Mention]] = PerNote("mentions")  # a note's mentions, for the same names


def mentions_in(note: Note, index: dict[str, _Names]) -> list[Mention]:
    """Every name of ``index`` that ``note``'s body holds as plain text."""
    text = note.source
    skip = _skipped(note)
    lines: LineIndex | None = None
    found: list[Mention] = []
    pos = note.body_start
    for word in _WORD.finditer(text, note.body_start):
        start = word.start()
        names = index.get(word.group(0).casefold())
        if names is None or start < pos or skip.covers(start):
            continue
        for length in names.lengths:
            end = start + length
            written = text[start:end]
            target = names.targets.get(" ".join(written.split()).casefold())
            if target is None or (end < len(text) and _is_word(text[end])):
                continue
            lines = lines or LineIndex(text)
            line, col = lines(start)
            found.append(Mention(note.path, target, written, line, col, _context(text, start)))
            pos = end
            break
    return found


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"


def _skipped(note: Note) -> Regions:
    """The note's code and comments, with its links, URLs, HTML tags and shortcodes."""
    spans = list(note.regions.spans)
    spans += [(m.start(), m.end()) for m in _NOT_PROSE.finditer(note.source, note.body_start)]
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return Regions(tuple(merged), tuple(s for s, _ in merged))


def _context(text: str, offset: int) -> str:
    """The line around ``offset`` as a reader reads it (``reader_text``, as backlinks quote), cut
    to about ``CONTEXT_CHARS`` around it. The line is made plain before it is cut, so a cut never
    leaves half a link's or a tag's markup."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    line = text[start : len(text) if end == -1 else end]
    # a mark where the name starts (never inside a link or a tag: names are not looked for there)
    marked = reader_text(line[: offset - start] + TEXT_MARK + line[offset - start :])
    return cut_around(marked, CONTEXT_CHARS)


def mention_suggestions(
    kb: KnowledgeBase, mentions: dict[str, list[Mention]] | None = None
) -> list[Diagnostic]:
    """``cortex check --suggest``: each unlinked mention as a suggestion at its line and column."""
    mentions = unlinked_mentions(kb) if mentions is None else mentions
    found = []
    for target, places in mentions.items():
        note = kb.vault.notes[target]
        # the file name, as Obsidian links; the path where another file has the same name
        name = note.name if len(kb.vault.by_name.get(note.name.lower(), ())) == 1 else note.path[:-3]
        for m in places:
            source = kb.vault.notes[m.source]
            message = f"'{m.text}' names the note '{note.title}' without a link: [[{name}|{m.text}]]"
            found.append(diagnostic(Code.UNLINKED_MENTION, source.file, m.line, m.col, message))
    return sorted(found)
