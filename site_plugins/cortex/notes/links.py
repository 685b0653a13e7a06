"""Wikilinks resolved the way Obsidian resolves them.

A link names a note by its file name (case-insensitive, ``.md`` optional), by a path from the
vault root (``folder/Note``), or relative to the linking note (``./x``, ``../x``). When a bare
name fits several files, Obsidian takes the one in the linking note's folder, else the one with
the shortest path; we do the same and warn. Aliases are tried last.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

from cortex.notes.vault import Heading, Note, Vault, WikiLink, plain_text


class Status(StrEnum):
    OK = "ok"
    AMBIGUOUS = "ambiguous"  # resolved, but other files fit as well
    MISSING = "missing"
    MISSING_HEADING = "missing-heading"
    MISSING_BLOCK = "missing-block"
    ESCAPES = "escapes"  # the path leaves the content folder


@dataclass(frozen=True, slots=True)
class Resolution:
    status: Status
    path: str | None = None  # the file the link lands on
    anchor: str | None = None  # the HTML id inside it
    heading: Heading | None = None
    candidates: tuple[str, ...] = field(default=())
    message: str = ""
    alias: str | None = None  # the alias the link named, when it resolved only through one

    @property
    def found(self) -> bool:
        """The link lands on a file (perhaps not on the heading or block it names)."""
        return self.path is not None

    @property
    def is_note(self) -> bool:
        return self.path is not None and self.path.lower().endswith(".md")


def resolve_wikilink(vault: Vault, link: WikiLink, source: Note) -> Resolution:
    """Resolve ``link`` written in ``source``: the file it names, then the heading or block."""
    key = resolution_key(source.path, link)
    cached = vault.resolutions.get(key)
    if cached is None:
        cached = vault.resolutions[key] = _resolve(vault, link, source)
    return cached


def resolution_key(source: str, link: WikiLink) -> tuple:
    """Where a vault keeps the resolution of ``link`` written in the note at ``source``."""
    return (source, link.target, link.fragments)


def _resolve(vault: Vault, link: WikiLink, source: Note) -> Resolution:
    alias: str | None = None
    if not link.target:
        target = source.path
        candidates: tuple[str, ...] = ()
    else:
        found = resolve_path(vault, link.target, source.folder)
        if found.status is not Status.OK and found.status is not Status.AMBIGUOUS:
            return found
        if found.path is None:
            return found
        target, candidates, alias = found.path, found.candidates, found.alias
    status = Status.AMBIGUOUS if candidates else Status.OK
    message = _ambiguity(link.target, target, candidates) if candidates else ""
    note = vault.notes.get(target)
    if not link.fragments or note is None:
        return Resolution(status, target, None, None, candidates, message, alias)
    if link.block is not None:
        if link.block in note.blocks:
            return Resolution(status, target, f"^{link.block}", None, candidates, message, alias)
        return Resolution(
            Status.MISSING_BLOCK,
            target,
            None,
            None,
            candidates,
            f"block ^{link.block} not found in '{note.path}'",
        )
    heading = find_heading(note, link.fragments)
    if heading is None:
        wanted = "#".join(link.fragments)
        return Resolution(
            Status.MISSING_HEADING,
            target,
            None,
            None,
            candidates,
            f"heading '{wanted}' not found in '{note.path}'{_heading_hint(note, link.fragments[-1])}",
        )
    return Resolution(status, target, heading.anchor, heading, candidates, message, alias)


def resolve_path(vault: Vault, target: str, from_folder: str) -> Resolution:
    """The file a link's path part names, with Obsidian's preferences."""
    target = target.replace("\\", "/").strip()
    relative = target.startswith(("./", "../"))
    joined = posixpath.join(from_folder, target) if relative else target.lstrip("/")
    normal = posixpath.normpath(joined) if joined else ""
    if normal == ".." or normal.startswith("../"):
        return Resolution(Status.ESCAPES, message=f"link '{target}' points outside the content folder")
    lowered = normal.lower()
    bare = "/" not in lowered and not relative  # a bare name: every file of that name fits
    exact = _exact(vault, lowered) or (
        None if relative else _exact(vault, posixpath.join(from_folder, lowered).lower())
    )
    if exact and not bare:
        return Resolution(Status.OK, exact)
    if relative:
        return Resolution(Status.MISSING, message=f"no note or file '{target}'")
    folder, _, name = lowered.rpartition("/")
    candidates = [
        p for p in _by_name(vault, name) if not folder or p.lower().rsplit("/", 1)[0].endswith(folder)
    ]
    if exact and exact not in candidates:
        candidates.append(exact)
    alias = None
    if not candidates and bare:
        candidates = list(vault.by_alias.get(lowered, []))
        alias = target if candidates else None
    if not candidates:
        return Resolution(Status.MISSING, message=f"no note or file '{target}'")
    chosen = exact if exact and len(candidates) == 1 else obsidian_choice(candidates, from_folder)
    others = tuple(p for p in candidates if p != chosen)
    return Resolution(Status.OK, chosen, candidates=others, alias=alias)


def _exact(vault: Vault, lowered: str) -> str | None:
    if not lowered.endswith(".md"):
        hit = vault.by_path_lower.get(lowered + ".md")
        if hit:
            return hit
    return vault.by_path_lower.get(lowered)


def _by_name(vault: Vault, name: str) -> list[str]:
    """Files whose name is ``name``: notes (``.md`` optional) before attachments."""
    if name.endswith(".md"):
        return [p for p in vault.by_name.get(name[:-3], []) if p in vault.notes]
    named = vault.by_name.get(name, [])
    return [p for p in named if p in vault.notes] or [p for p in named if p in vault.attachments]


def obsidian_choice(candidates: list[str], from_folder: str) -> str:
    """Same folder as the linking note first, then the shortest path, then alphabetical."""
    if len(candidates) == 1:
        return candidates[0]
    same = [p for p in candidates if posixpath.dirname(p).lower() == from_folder.lower()]
    pool = same or candidates
    return min(pool, key=lambda p: (p.count("/"), len(p), p.lower()))


def _ambiguity(target: str, chosen: str | None, others: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{p}'" for p in others)
    return f"'{target}' is ambiguous: using '{chosen}' (also {listed}); write the folder to choose"


@lru_cache(maxsize=65536)
def _norm_heading(text: str) -> str:
    """A heading's text as Obsidian compares it: the text a reader sees (code marks and emphasis
    gone), blanks and a few signs folded, case ignored."""
    return re.sub(r"[\s#^|:%\[\]]+", " ", plain_text(text)).strip().lower()


def find_heading(note: Note, path: tuple[str, ...]) -> Heading | None:
    """The heading named by ``H1#H2``: each part found inside the previous one's section."""
    pool = note.headings
    found = None
    for part in path:
        wanted = _norm_heading(part)
        found = next((h for h in pool if _norm_heading(h.text) == wanted), None)
        if found is None:
            return None
        pool = [h for h in pool if found.start < h.start < found.end]
    return found


def _heading_hint(note: Note, wanted: str) -> str:
    import difflib

    names = [h.text for h in note.headings]
    close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
