"""The notes model: a content folder read into an index of notes and attachments.

Each note knows its title, aliases, tags, headings (with the anchors MkDocs' toc gives them),
block ids and outgoing wikilinks, with every position kept in file coordinates so diagnostics
point at the line the user wrote.
"""

from __future__ import annotations

import bisect
import copy
import functools
import itertools
import os
import posixpath
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from cortex.diagnostics import Code, Diagnostic, LineIndex, diagnostic, line_col
from cortex.text.front_matter import FIRST_LINE, FrontMatter, split_front_matter
from cortex.text.markdown import Regions, protected_regions
from cortex.text.schema import type_name
from cortex.text.yaml_positions import key_mark

Slugify = Callable[[str, str], str]

NOTE_SUFFIXES = (".md",)
WIKILINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$|^ {0,3}(#{1,6})[ \t]*$", re.M)
_SETEXT = re.compile(r"^(?! {0,3}[-*+>#|] )( {0,3}\S[^\n]*)\n {0,3}(=+|-+)[ \t]*$", re.M)
_SETEXT_UNDERLINE = re.compile(r"\n {0,3}(?:=+|-+)[ \t]*$", re.M)  # no such line, no setext heading
# ``^id`` and ``#tag`` stand at the start of a line or after whitespace. The marker comes first in
# the pattern, and "not after a non-space" is checked behind it: a pattern that opens with a literal
# lets the regex engine jump between candidates instead of trying every offset of the text.
BLOCK_ID = re.compile(r"\^(?<!\S\^)([A-Za-z0-9-]+)[ \t]*$", re.M)
INLINE_TAG = re.compile(r"#(?<!\S#)([^\W\d][\w/-]*|[\d_/-]+[^\W\d][\w/-]*)", re.M)
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# Where links and URLs stand, for tags to keep out of, found from their first literal character
# (an image's "!" and an autolink's "<" are left out of the span: a tag never starts there).
_MD_LINK_SPAN = re.compile(r"\[[^\]]*\]\([^)]*\)")
_URL_SPAN = re.compile(r"https?://[^\s>)]+>?")
# Emphasis closes within a bounded stretch: an opener without a closer costs that stretch, not
# the rest of the line (unbounded, a heading of many unmatched "*a " took quadratic time).
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3}|~~|==)(?=\S)(.{1,400}?)(?<=\S)\1")
_PROPERTY_KEY = re.compile(r"^([^\s:#-][^:\n]*):", re.M)
_HTML_TAG = re.compile(r"<[^>]+>")
_LABEL_BAR = re.compile(r"\\?\|")
_LIST_MARKER = re.compile(r"\s*([-*+]|\d+[.)])\s")


def default_slugify(text: str, sep: str = "-") -> str:
    """The slugify configured in the project's mkdocs.yml (pymdownx, lower case, Unicode kept)."""
    from pymdownx.slugs import slugify

    return slugify(case="lower")(text, sep)


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str  # plain text, as toc sees it
    anchor: str
    line: int
    start: int  # offset of the heading line in the file
    end: int  # offset where the section ends (next heading of the same or a higher level)


@dataclass(frozen=True, slots=True)
class Block:
    id: str
    line: int
    start: int  # offset of the block's first character
    end: int  # offset just past the ``^id`` marker line


@dataclass(frozen=True, slots=True)
class WikiLink:
    raw: str  # the whole ``[[...]]`` or ``![[...]]``
    target: str  # the path part, before any ``#``
    fragments: tuple[str, ...]  # heading path or ``^block``
    display: str | None
    embed: bool
    start: int
    end: int
    line: int
    col: int
    prop: str | None = None  # front-matter property holding it, if any

    @property
    def block(self) -> str | None:
        return self.fragments[0][1:] if self.fragments and self.fragments[0].startswith("^") else None


@dataclass
class Note:
    path: str  # posix path relative to the content root, e.g. "notes/Foo Bar.md"
    source: str  # the whole file, decoded
    meta: dict
    body_start: int
    title: str
    aliases: list[str]
    tags: list[str]
    headings: list[Heading]
    blocks: dict[str, Block]
    links: list[WikiLink]
    regions: Regions
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tag_spans: list[tuple[int, int, str]] = field(default_factory=list)  # inline #tags: (start, end, tag)
    file: str = ""  # the file diagnostics name
    virtual: bool = False  # its page is generated (an experiment declaration), not copied from content/

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).stem

    @cached_property
    def folder(self) -> str:
        return posixpath.dirname(self.path)

    @property
    def body(self) -> str:
        return self.source[self.body_start :]

    @property
    def front_matter_broken(self) -> bool:
        return any("front matter" in d.message for d in self.diagnostics)


@dataclass
class Vault:
    """Every note and attachment under one content root."""

    root: Path
    notes: dict[str, Note]
    attachments: set[str]
    diagnostics: list[Diagnostic]
    slugify: Slugify

    def __post_init__(self) -> None:
        self.by_path_lower: dict[str, str] = {}
        self.by_name: dict[str, list[str]] = {}
        self.by_alias: dict[str, list[str]] = {}
        self.resolutions: dict = {}  # (source path, target, fragments) -> Resolution, filled by links
        self.generation = next(_generations)  # which reading of a content folder this is
        # the reading whose resolutions this one kept (``keep_resolutions``), and the notes whose
        # text differs from it; None when it kept none
        self.kept_from: int | None = None
        self.changed: frozenset[str] = frozenset()
        for path in [*self.notes, *sorted(self.attachments)]:
            self.by_path_lower[path.lower()] = path
            name = posixpath.basename(path)
            key = (_stem(name) if path in self.notes else name).lower()
            self.by_name.setdefault(key, []).append(path)
        for path, note in self.notes.items():
            for alias in note.aliases:
                self.by_alias.setdefault(alias.lower(), []).append(path)

    @cached_property
    def names(self) -> str:
        """What decides which file a link's path names: every file's path, in order, and the
        notes' aliases. Two vaults with the same names resolve a link's path alike."""
        return repr((list(self.notes), sorted(self.attachments), sorted(self.by_alias.items())))

    def resolves_as(self, generation: int, paths: Iterable[str | None]) -> bool:
        """Whether the links whose resolutions the reading ``generation`` of this folder held,
        landing on ``paths``, resolve here to the same objects: this reading kept its
        resolutions from that one, and none of those notes changed since."""
        return generation == self.kept_from and self.changed.isdisjoint(paths)

    def keep_resolutions(self, earlier: Vault) -> None:
        """Start with the resolutions of ``earlier`` (a vault read before, say by the previous
        rebuild of a preview) that still hold: all of them when the names are the same, but
        those landing on a note whose text changed (its headings and blocks may have)."""
        if earlier.names != self.names:
            return
        changed = frozenset(
            path
            for path, note in self.notes.items()
            if (before := earlier.notes.get(path)) is None or before.source != note.source
        )
        self.resolutions.update(
            (key, found) for key, found in earlier.resolutions.items() if found.path not in changed
        )
        self.kept_from, self.changed = earlier.generation, changed


_generations = itertools.count(1)


def read_text(path: Path) -> tuple[str, tuple[int, int, str] | None]:
    """Decode a file as UTF-8; on failure decode with replacement and say where it broke."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8", errors="replace")
        line, col = line_col(good, len(good))
        text = data.decode("utf-8", errors="replace")
        return text, (
            line,
            col,
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); shown with replacement characters",
        )


def _stem(name: str) -> str:
    """``PurePosixPath(name).stem``, without making a path object (a vault has thousands)."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def read_kept(path: str) -> tuple[str, tuple[int, int, str] | None]:
    """``read_text``, from memory when the file's size, times and inode are what they were
    when it was last read (a preview reads the vault on every rebuild). A file written less
    than ``SETTLED_NS`` before it was read is read again the next time: a later write within
    the clock's tick could leave its size and times as they were (Git's "racily clean" files)."""
    st = os.stat(path)  # noqa: PTH116 - a string path: see load_vault
    key = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)
    kept = _texts.get(path)
    if kept is not None and kept[0] == key:
        return kept[1], kept[2]
    text, bad = read_text(Path(path))
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > SETTLED_NS:
        _texts[path] = (key, text, bad)
    else:
        _texts.pop(path, None)
    return text, bad


SETTLED_NS = 2_000_000_000
# each file of the vault read last: its text, with what its stat said then (by path)
_texts: dict[str, tuple[tuple[int, ...], str, tuple[int, int, str] | None]] = {}


# a line's list, heading or quote marker (``- ``, ``1. ``, ``## ``, ``> ``), not part of its text
LINE_MARKUP = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#{1,6}|>)\s+")


# a private-use character, no Markdown syntax: marks a place in a line while it is made plain
# (one a note's line held itself would only move the cut)
TEXT_MARK = "\ue000"


def cut_around(marked: str, width: int) -> str:
    """``marked`` without its ``TEXT_MARK``, cut to about ``width`` characters around where the
    mark was (``cut_at``)."""
    return cut_at(marked.replace(TEXT_MARK, ""), max(marked.find(TEXT_MARK), 0), width)


def cut_at(plain: str, at: int, width: int) -> str:
    """``plain`` cut to about ``width`` characters around its offset ``at``, between words where
    it can, with an ellipsis where text was left out."""
    if len(plain) <= width:
        return plain
    left = max(0, min(at - width // 2, len(plain) - width))
    right = left + width
    if left and not plain[left - 1].isspace() and (space := plain.find(" ", left, at)) != -1:
        left = space + 1
    if right < len(plain) and not plain[right].isspace() and (space := plain.rfind(" ", at, right)) != -1:
        right = space
    return ("…" if left else "") + plain[left:right].strip() + ("…" if right < len(plain) else "")


def link_label(target: str, fragments: Sequence[str]) -> str:
    """What a wikilink without text of its own reads as, on its page and quoted: ``Note > Heading``
    as Obsidian shows it (a block's ``^`` left out; a link within its note: the heading alone)."""
    if not fragments and not target.lower().endswith(".md"):
        return target  # most links: a note's name
    parts = [p.lstrip("^") for p in fragments]
    if not target:
        return " > ".join(parts)
    name = target[:-3] if target.lower().endswith(".md") else target
    return " > ".join([name, *parts])


def plain_text(markdown: str) -> str:
    """Inline Markdown reduced to the text a reader sees: what toc slugifies and backlinks quote."""
    text = markdown
    if "[[" in text:
        text = _replace_wikilinks(text, lambda m: _wikilink_label(m.group(2)))
    if "](" in text:
        text = _MD_LINK.sub(r"\1", text)
    if "<" in text:
        text = _HTML_TAG.sub("", text)
    if any(c in text for c in "*_~="):
        for _ in range(2):
            text = _EMPHASIS.sub(r"\2", text)
    return text.replace("`", "").strip()


def _replace_wikilinks(text: str, replace: Callable[[re.Match], str]) -> str:
    """``WIKILINK.sub(replace, text)``, with the links found by ``find_wikilinks``."""
    out: list[str] = []
    pos = 0
    for m in find_wikilinks(text):
        out += (text[pos : m.start()], replace(m))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _wikilink_label(inner: str) -> str:
    target, display = split_wikilink(inner)
    if display is not None:
        return display
    name, *fragments = target.split("#")
    return link_label(name.strip(), [f.strip() for f in fragments if f.strip()])


def split_wikilink(inner: str) -> tuple[str, str | None]:
    """``Note#Heading|text`` (or ``\\|`` inside tables) -> (``Note#Heading``, ``text``)."""
    m = _LABEL_BAR.search(inner) if "|" in inner else None
    if not m:
        return inner.strip(), None
    return inner[: m.start()].rstrip("\\").strip(), inner[m.end() :].strip()


def find_wikilinks(text: str, start: int = 0, end: int | None = None) -> Iterator[re.Match]:
    """``WIKILINK.finditer(text, start, end)``, without trying the pattern at every offset
    (its optional ``!`` leaves the regex engine no first character to skip to): a link starts
    at a ``[[``, or at the ``!`` just before one."""
    end = len(text) if end is None else end
    pos = start
    while (i := text.find("[[", pos, end)) != -1:
        m = (i > pos and text[i - 1] == "!" and WIKILINK.match(text, i - 1, end)) or WIKILINK.match(
            text, i, end
        )
        if m:
            yield m
            pos = m.end()
        else:
            pos = i + 1


def parse_wikilink(
    m: re.Match, text: str, prop: str | None = None, lines: LineIndex | None = None
) -> WikiLink:
    inner = m.group(2)
    target_part, display = split_wikilink(inner)
    target, *fragments = target_part.split("#")
    line, col = lines(m.start()) if lines else line_col(text, m.start())
    return WikiLink(
        raw=m.group(0),
        target=target.strip(),
        fragments=tuple(f.strip() for f in fragments if f.strip()),
        display=display,
        embed=bool(m.group(1)),
        start=m.start(),
        end=m.end(),
        line=line,
        col=col,
        prop=prop,
    )


def parse_headings(
    text: str, body_start: int, regions: Regions, slugify: Slugify, lines: LineIndex | None = None
) -> list[Heading]:
    found: list[tuple[int, int, str]] = []  # (offset, level, raw text)
    for m in _ATX.finditer(text, body_start):
        if regions.covers(m.start()):
            continue
        hashes = m.group(1) or m.group(3)
        found.append((m.start(), len(hashes), m.group(2) or ""))
    for m in _setext_matches(text, body_start):
        if regions.covers(m.start()) or _is_list_or_table(m.group(1)):
            continue
        if m.start() > body_start and text[m.start() - 1 : m.start()] != "\n":
            continue
        prev_blank = m.start() == body_start or text[max(0, m.start() - 2) : m.start()] == "\n\n"
        if not prev_blank:
            continue  # a setext underline only makes a heading of a whole paragraph we see start
        found.append((m.start(), 1 if m.group(2)[0] == "=" else 2, m.group(1).strip()))
    found.sort()
    lines = lines or LineIndex(text)
    ends = [len(text)] * len(found)  # a section ends where the next heading of its level or higher starts
    open_sections: list[int] = []
    for i, (offset, level, _) in enumerate(found):
        while open_sections and found[open_sections[-1]][1] >= level:
            ends[open_sections.pop()] = offset
        open_sections.append(i)
    used: set[str] = set()
    headings = []
    for (offset, level, raw), end in zip(found, ends, strict=True):
        plain = plain_text(BLOCK_ID.sub("", raw)).strip()
        anchor = _unique(slugify(plain, "-"), used)
        headings.append(Heading(level, plain, anchor, lines(offset)[0], offset, end))
    return headings


def _setext_matches(text: str, start: int) -> Iterable[re.Match]:
    """``_SETEXT``'s matches from ``start`` on; most notes have no line that could underline a
    heading, and finding that out is much cheaper than trying the pattern at every line."""
    return _SETEXT.finditer(text, start) if _SETEXT_UNDERLINE.search(text, start) else iter(())


def _is_list_or_table(line: str) -> bool:
    return bool(_LIST_MARKER.match(line)) or "|" in line


def _unique(anchor: str, used: set[str]) -> str:
    # the same rule as Python-Markdown's toc.unique
    candidate = anchor or "_"
    n = 0
    while candidate in used or (not anchor and n == 0):
        n += 1
        candidate = f"{anchor}_{n}"
    used.add(candidate)
    return candidate


def parse_blocks(
    text: str, body_start: int, regions: Regions, lines: LineIndex | None = None
) -> dict[str, Block]:
    blocks: dict[str, Block] = {}
    lines = lines or LineIndex(text)
    blank_lines: list[int] = []  # where a blank line starts, found at the first block id

    def paragraph_start(line_start: int) -> int:
        if not blank_lines:
            blank_lines.extend(b.start() for b in re.finditer(r"\n(?=\n)", text))
        return _paragraph_start(blank_lines, line_start, body_start)

    for m in BLOCK_ID.finditer(text, body_start):
        if regions.covers(m.start()):
            continue
        line_start = text.rfind("\n", 0, m.start()) + 1
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end == -1 else line_end
        if text[line_start : m.start()].strip() == "":
            # ``^id`` alone on a line names the block just above it
            end_of_prev = line_start - 1
            start = paragraph_start(max(body_start, end_of_prev))
        elif _LIST_MARKER.match(text, line_start, m.start()):
            start = line_start  # a list item is its own block
        else:
            start = paragraph_start(line_start)
        blocks.setdefault(m.group(1), Block(m.group(1), lines(m.start())[0], start, line_end))
    return blocks


def _paragraph_start(blank_lines: list[int], line_start: int, floor: int) -> int:
    """Where the paragraph holding ``line_start`` starts: after the last blank line before it."""
    i = bisect.bisect_left(blank_lines, line_start - 1) - 1
    blank = blank_lines[i] if i >= 0 else -1
    return blank + 2 if blank >= floor else floor


def parse_tags(
    text: str, body_start: int, regions: Regions, meta: dict, link_spans: list[tuple[int, int]] | None = None
) -> tuple[list[str], list[tuple[int, int, str]]]:
    """The note's tags (front matter, then inline, first spelling kept) and where the inline ones stand."""
    tags = []
    raw = meta.get("tags") or meta.get("tag") or []
    if isinstance(raw, str):
        raw = re.split(r"[,\s]+", raw)
    if isinstance(raw, list):
        tags += [t.lstrip("#") for t in raw if isinstance(t, str) and t.strip("# ")]
    spans = [(m.start(), m.end(), m.group(1)) for m in inline_tags(text, body_start, regions, link_spans)]
    tags += [tag for _, _, tag in spans]
    seen: dict[str, str] = {}
    for t in tags:
        seen.setdefault(t.lower(), t)
    return list(seen.values()), spans


def inline_tags(
    text: str, start: int, regions: Regions, link_spans: list[tuple[int, int]] | None = None
) -> list[re.Match]:
    """The ``#tags`` of ``text`` from ``start`` on that are neither in code or comments nor inside
    a link or URL. ``link_spans``: the wikilinks' spans from ``start`` on, when the caller has
    them already. Links are looked for only once a tag is."""
    found = [m for m in INLINE_TAG.finditer(text, start) if not regions.covers(m.start())]
    if not found:
        return found
    skip = (
        [(m.start(), m.end()) for m in find_wikilinks(text, start)]
        if link_spans is None
        else list(link_spans)
    )
    skip += [(m.start(), m.end()) for m in _URL_SPAN.finditer(text, start)]
    skip += [(m.start(), m.end()) for m in _MD_LINK_SPAN.finditer(text, start)]
    merged = _merged(skip)
    return [m for m in found if not _inside_any(merged, m.start())]


def _merged(spans: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Sorted, disjoint [start, end) spans covering ``spans``, as (starts, ends)."""
    starts: list[int] = []
    ends: list[int] = []
    for s, e in sorted(spans):
        if ends and s <= ends[-1]:
            ends[-1] = max(ends[-1], e)
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends


def _inside_any(merged: tuple[list[int], list[int]], offset: int) -> bool:
    starts, ends = merged
    i = bisect.bisect_right(starts, offset) - 1
    return i >= 0 and offset < ends[i]


# Properties Obsidian and the site read, and what each must be: text, or text or a list of text.
TEXT_PROPERTIES = ("title", "description")
LIST_PROPERTIES = ("aliases", "alias", "tags", "tag", "cssclasses")


def property_problems(fm: FrontMatter, file_label: str) -> list[Diagnostic]:
    """A warning for each property written twice, and each known one of the wrong type."""
    found = [
        diagnostic(
            Code.DUPLICATE_PROPERTY,
            file_label,
            line,
            col,
            f"property `{key}` is written twice; the last value is used (Obsidian reads neither)",
        )
        for key, line, col in fm.repeated
    ]
    data = fm.data

    def at(key: str) -> tuple[int, int]:
        mark = key_mark(data, key)
        return (mark.line + FIRST_LINE, mark.column + 1) if mark else (FIRST_LINE, 1)

    for key in TEXT_PROPERTIES:
        if key in data and not isinstance(data[key], str):
            found.append(
                diagnostic(
                    Code.PROPERTY_TYPE,
                    file_label,
                    *at(key),
                    f"property `{key}` must be text, not {type_name(data[key])}; it is ignored",
                )
            )
    for key in LIST_PROPERTIES:
        value = data.get(key)
        if key not in data or value is None or isinstance(value, str):
            continue
        items = value if isinstance(value, list) else [value]
        bad = [item for item in items if not isinstance(item, str)]
        if bad:
            found.append(
                diagnostic(
                    Code.PROPERTY_TYPE,
                    file_label,
                    *at(key),
                    f"property `{key}` must be text or a list of text, not {type_name(bad[0])}"
                    + ("" if isinstance(value, list) else "; it is ignored")
                    + ("; the other items are kept" if isinstance(value, list) else ""),
                )
            )
    return found


def _string_list(value: object) -> list[str]:
    """Text, or the text items of a list (``property_problems`` reports the rest)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def parse_note(path: str, text: str, slugify: Slugify, file_label: str) -> Note:
    fm = split_front_matter(text)
    diagnostics = []
    if fm.error:
        line, col, message = fm.error
        diagnostics.append(diagnostic(Code.INVALID_FRONT_MATTER, file_label, line, col, message))
    diagnostics += property_problems(fm, file_label)
    meta = fm.data
    regions = protected_regions(text)
    lines = LineIndex(text)
    headings = parse_headings(text, fm.body_start, regions, slugify, lines)
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        h1 = next((h for h in headings if h.level == 1), None)
        title = h1.text if h1 else PurePosixPath(path).stem
    wikilinks = list(find_wikilinks(text, fm.body_start))
    tags, tag_spans = parse_tags(
        text, fm.body_start, regions, meta, [(m.start(), m.end()) for m in wikilinks]
    )
    links = [parse_wikilink(m, text, lines=lines) for m in wikilinks if not regions.covers(m.start())]
    if fm.raw:
        links = _front_matter_links(text, fm.raw_start, fm.raw_start + len(fm.raw), lines) + links
    return Note(
        path=path,
        source=text,
        meta=meta,
        body_start=fm.body_start,
        title=title.strip(),
        aliases=_string_list(meta.get("aliases") or meta.get("alias")),
        tags=tags,
        tag_spans=tag_spans,
        headings=headings,
        blocks=parse_blocks(text, fm.body_start, regions, lines),
        links=links,
        regions=regions,
        diagnostics=diagnostics,
        file=file_label,
    )


_seen: dict[tuple[str, str, object], tuple[str, Note]] = {}  # (path, label, slugify) -> (text, note)


def _parsed(path: str, text: str, slugify: Slugify, file_label: str) -> Note:
    """``parse_note``, done again only when the note's text changed since this process last
    read it (a preview reads the vault on every rebuild): a copy of the note parsed then, with
    lists of its own where the loader adds to them."""
    key = (path, file_label, _slugify_key(slugify))
    seen = _seen.get(key)
    if seen is None or seen[0] != text:
        seen = _seen[key] = (text, parse_note(path, text, slugify, file_label))
    note = copy.copy(seen[1])
    note.diagnostics = list(note.diagnostics)
    return note


def _slugify_key(slugify: Slugify) -> object:
    """What makes two slugify functions the same: their code and what their closure holds
    (MkDocs makes a new one each time it reads its configuration)."""
    if slugify is default_slugify:
        return "default"
    if isinstance(slugify, functools.partial):  # pymdownx's slugify(case=...) is one
        key = (_slugify_key(slugify.func), slugify.args, tuple(sorted(slugify.keywords.items())))
        try:
            hash(key)
        except TypeError:
            return object()
        return key
    code = getattr(slugify, "__code__", None)
    try:
        held = tuple(cell.cell_contents for cell in getattr(slugify, "__closure__", None) or ())
        hash(held)
    except (TypeError, ValueError):  # an empty cell, or something unhashable: never the same
        return object()
    if code is None:
        return object()
    return (code.co_filename, code.co_qualname, code.co_code, code.co_consts, held)


def _front_matter_links(text: str, start: int, end: int, lines: LineIndex) -> list[WikiLink]:
    """The wikilinks in front matter, each with the property it stands under."""
    keys = [(m.start(), m.group(1).strip()) for m in _PROPERTY_KEY.finditer(text, start, end)]
    key_starts = [s for s, _ in keys]
    links = []
    for m in find_wikilinks(text, start, end):
        i = bisect.bisect_right(key_starts, m.start()) - 1  # the nearest key line at or above
        links.append(parse_wikilink(m, text, prop=keys[i][1] if i >= 0 else "property", lines=lines))
    return links


def load_vault(
    root: Path,
    paths: Iterable[str] | None = None,
    slugify: Slugify | None = None,
    sources: dict[str, str] | None = None,
    virtual: dict[str, Path] | None = None,
) -> Vault:
    """Read a content folder. ``paths`` (posix, relative to ``root``) limits it to the files a
    site will publish; by default every file not under a dot-folder is taken. ``sources`` may
    hold already-read texts by path. ``virtual`` maps a site path to a file outside the folder
    whose page is generated (an experiment declaration): it links and is linked like a note."""
    root = Path(root)
    slugify = slugify or default_slugify
    if paths is None:
        paths = list(walk_content(root))
    notes: dict[str, Note] = {}
    attachments: set[str] = set()
    diagnostics: list[Diagnostic] = []
    leaves = root_guard(root)
    folder = str(root)
    for path in sorted(paths):
        # strings, not Path objects: ten thousand of them cost more than reading the files
        label = os.path.join(folder, path if os.sep == "/" else path.replace("/", os.sep))  # noqa: PTH118
        if leaves(path):
            diagnostics.append(
                diagnostic(
                    Code.OUTSIDE_CONTENT,
                    label,
                    1,
                    1,
                    "a link to a file outside the content folder: not read, not linkable",
                )
            )
            continue
        if not path.lower().endswith(NOTE_SUFFIXES):
            attachments.add(path)
            continue
        if sources and path in sources:
            text, bad = sources[path], None
        else:
            text, bad = read_kept(label)
        note = _parsed(path, text, slugify, label)
        if bad:
            note.diagnostics.insert(0, diagnostic(Code.NOT_UTF8, label, *bad))
        if not isinstance(note.meta, dict):
            note.meta = {}
        notes[path] = note
        diagnostics += note.diagnostics
    for path, file in (virtual or {}).items():
        text, bad = read_text(file)
        note = _parsed(path, text, slugify, str(file))
        note.virtual = True
        if bad:
            note.diagnostics.insert(0, diagnostic(Code.NOT_UTF8, str(file), *bad))
        notes[path] = note
    for gone in _texts.keys() - {note.file for note in notes.values()}:
        del _texts[gone]  # only the latest vault's texts are kept
    vault = Vault(root, notes, attachments, diagnostics, slugify)
    earlier = _last_vault.get((str(root), _slugify_key(slugify)))
    if earlier is not None:
        vault.keep_resolutions(earlier)
    _last_vault.clear()  # only the latest is kept
    _last_vault[(str(root), _slugify_key(slugify))] = vault
    return vault


# the vault each content folder was last read into in this process, whose link resolutions a
# new reading keeps where they still hold (a preview reads the vault on every rebuild)
_last_vault: dict[tuple[str, object], Vault] = {}


def root_guard(root: Path) -> Callable[[str], bool]:
    """A test of whether ``root/path`` is, through a symbolic link, a file outside ``root``.
    The root is resolved once, as a site asks it of every file."""
    real_root = os.path.realpath(root)
    inside = real_root.rstrip(os.sep) + os.sep
    folders: dict[str, str] = {}  # each folder resolved once: a vault has far fewer than files
    # (strings, not Path objects: on ten thousand files, making them cost more than the checks)

    def leaves(path: str) -> bool:
        full = os.path.join(root, path)  # noqa: PTH118
        folder, name = os.path.split(full)
        if os.path.islink(full) or name in ("", ".", ".."):  # noqa: PTH114
            real = os.path.realpath(full)
        else:
            if folder not in folders:
                folders[folder] = os.path.realpath(folder)
            real = os.path.join(folders[folder], name)  # noqa: PTH118
        return real != real_root and not real.startswith(inside)

    return leaves


def walk_content(root: Path) -> Iterable[str]:
    """Every file under ``root`` that is not hidden (load_vault refuses those that lead outside)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield (Path(dirpath) / name).relative_to(root).as_posix()
