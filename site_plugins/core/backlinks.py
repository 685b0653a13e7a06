"""Who links to whom, with the sentence each link stands in; and which notes carry each tag."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .links import resolve_wikilink
from .notes import Note, Vault, WikiLink, plain_text

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_LINE_MARKUP = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#{1,6}|>)\s+")
CONTEXT_CHARS = 240


@dataclass(frozen=True, slots=True)
class Backlink:
    source: str  # the linking note's path
    context: str  # the sentence the link stands in, as plain text
    line: int


def backlinks(vault: Vault) -> dict[str, list[Backlink]]:
    """For each note, the other notes that link to or embed it (one entry per linking sentence)."""
    found: dict[str, list[Backlink]] = {}
    for note in vault.notes.values():
        seen = set()
        sentences: dict = {}  # several links in one sentence share its plain text
        for link in note.links:
            r = resolve_wikilink(vault, link, note)
            if r.path is None or r.path == note.path or r.path not in vault.notes:
                continue
            context = link_context(note, link, sentences)
            if (r.path, context) in seen:
                continue
            seen.add((r.path, context))
            found.setdefault(r.path, []).append(Backlink(note.path, context, link.line))
    for entries in found.values():
        entries.sort(key=lambda b: (vault.notes[b.source].title.lower(), b.line))
    return found


def link_context(note: Note, link: WikiLink, sentences: dict | None = None) -> str:
    if link.prop:
        return f"{link.prop}: {plain_text(link.raw)}"
    text = note.source
    start = text.rfind("\n", 0, link.start) + 1
    end = text.find("\n", link.end)
    line = text[start : len(text) if end == -1 else end]
    at = link.start - start
    pieces = _SENTENCE_END.split(line)
    pos = 0
    sentence = line
    for piece in pieces:
        found = line.find(piece, pos)
        if found <= at < found + len(piece):
            sentence = piece
            break
        pos = found + len(piece)
    if sentences is not None:
        key = (start, sentence)
        if key not in sentences:
            sentences[key] = _plain_sentence(sentence)
        return sentences[key]
    return _plain_sentence(sentence)


def _plain_sentence(sentence: str) -> str:
    sentence = plain_text(_LINE_MARKUP.sub("", sentence))
    if len(sentence) > CONTEXT_CHARS:
        sentence = sentence[: CONTEXT_CHARS - 1].rstrip() + "…"
    return sentence


def notes_by_tag(vault: Vault) -> dict[str, list[str]]:
    """Tag -> note paths; a nested tag ``a/b`` also counts under ``a``."""
    tags: dict[str, list[str]] = {}
    canonical: dict[str, str] = {}
    for note in vault.notes.values():
        for tag in note.tags:
            parts = tag.split("/")
            for i in range(1, len(parts) + 1):
                name = "/".join(parts[:i])
                name = canonical.setdefault(name.lower(), name)
                bucket = tags.setdefault(name, [])
                if note.path not in bucket:
                    bucket.append(note.path)
    return dict(sorted(tags.items(), key=lambda kv: kv[0].lower()))
