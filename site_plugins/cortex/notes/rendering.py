"""Obsidian Markdown rewritten into the Markdown Python-Markdown (and so MkDocs) understands.

Wikilinks become relative links to ``.md`` sources, which MkDocs turns into page URLs; embeds
become images, file links or transcluded text; inline tags link to tag pages; block ids become
anchors; ``%%comments%%`` disappear. Code and comments are left exactly as written.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from urllib.parse import quote

from markupsafe import escape

from cortex.notes.links import Resolution, Status, resolution_key, resolve_wikilink
from cortex.notes.obsidian import obsidian_to_markdown
from cortex.notes.vault import (
    BLOCK_ID,
    Note,
    Vault,
    WikiLink,
    find_wikilinks,
    inline_tags,
    link_label,
    parse_wikilink,
)
from cortex.text.markdown import Regions, md_text, protected_regions

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".avif"}
AUDIO_SUFFIXES = {".mp3", ".wav", ".m4a", ".ogg", ".oga", ".flac", ".3gp"}
VIDEO_SUFFIXES = {".mp4", ".webm", ".ogv", ".mov", ".mkv"}
_QUOTE_PREFIX = re.compile(r"(?:[ \t]*>[ \t]?)*")
MAX_EMBED_DEPTH = 4
Chain = tuple[tuple[str, int, int], ...]  # what is being rendered: (note, start, end) of each embed
_SIZE = re.compile(r"^(\d+)(?:x(\d+))?$")


@dataclass(frozen=True)
class RenderOptions:
    tags_dir: str | None = "tags"  # where tag pages live, or None for plain tags
    max_embed_depth: int = MAX_EMBED_DEPTH
    directory_urls: bool = True  # a page's URL is a folder (mkdocs' use_directory_urls)


def tag_slug(tag: str) -> str:
    return "/".join(re.sub(r"[^\w-]+", "-", part.lower()).strip("-") or "_" for part in tag.split("/"))


@lru_cache(maxsize=4096)
def tag_page(tag: str, tags_dir: str) -> str:
    return f"{tags_dir}/{tag_slug(tag)}.md"


def relative_link(from_path: str, to_path: str, anchor: str | None = None) -> str:
    """A URL from one source file to another, both relative to the content root."""
    # quoting keeps every "/" and never makes or hides a "..", so the paths are quoted first,
    # once each, and the many pairs of them only compared
    url = relative_path(_quoted_folder(from_path), _quoted(to_path))
    return f"{url}#{_quoted_anchor(anchor)}" if anchor else url


def page_url_path(source_path: str, directory_urls: bool) -> str:
    """A stand-in source path in the folder a page's URL is in: ``a/B.md`` is served at
    ``a/B/`` when URLs are folders, ``a/index.md`` at ``a/`` either way."""
    stem, _ = posixpath.splitext(source_path)
    if not directory_urls or posixpath.basename(stem) in ("index", "README"):
        return source_path
    return f"{stem}/index.html"


@lru_cache(maxsize=65536)
def _quoted(path: str) -> str:
    return quote(path, safe="/")


@lru_cache(maxsize=65536)
def _quoted_folder(path: str) -> str:
    return _quoted(posixpath.dirname(path))


@lru_cache(maxsize=65536)
def _quoted_anchor(anchor: str) -> str:
    return quote(anchor, safe="^")


@lru_cache(maxsize=65536)
def relative_path(from_dir: str, to_path: str) -> str:
    """``to_path`` as seen from the folder ``from_dir`` (both relative to one root, posix)."""
    src = from_dir.split("/") if from_dir else []
    dst = to_path.split("/")
    common = 0
    while common < min(len(src), len(dst) - 1) and src[common] == dst[common]:
        common += 1
    return "/".join([".."] * (len(src) - common) + dst[common:])


def render_note(
    vault: Vault,
    note: Note,
    text: str | None = None,
    options: RenderOptions | None = None,
    host_path: str | None = None,
) -> str:
    """The Markdown for ``note``'s page (``text`` defaults to its body)."""
    return _render(_Renderer(vault, options or RenderOptions(), host_path or note.path), note, text)


def _render(renderer: _Renderer, note: Note, text: str | None) -> str:
    chain = ((note.path, note.body_start, len(note.source)),)
    return obsidian_to_markdown(renderer.render(note, note.body if text is None else text, chain))


class RenderMemo:
    """Rendered notes kept between readings of a vault (the rebuilds of a preview), each with
    what its rendering read: the text of every note it took text from or looked up, and every
    link's resolution. A note is rendered again when any of them differs, so a note is rendered
    again when a note it embeds or links to changed, and not when an unrelated one did.

    What a build did not ask for is let go at the next (``next_build``)."""

    def __init__(self) -> None:
        # each rendering, with the reading of the vault (``Vault.generation``) it last held in
        self.kept: dict[tuple, tuple[_Rendering, int]] = {}
        self.earlier: dict[tuple, tuple[_Rendering, int]] = {}

    def next_build(self) -> None:
        self.earlier, self.kept = self.kept, {}

    def render(
        self, vault: Vault, note: Note, text: str | None = None, options: RenderOptions | None = None
    ) -> str:
        """What ``render_note`` gives, rendered again only when what it read differs."""
        options = options or RenderOptions()
        key = (note.path, note.body if text is None else text, options)
        known = self.kept.get(key) or self.earlier.get(key)
        if known is None or not _still_holds(*known, vault):
            renderer = _Renderer(vault, options, note.path)
            known = (_Rendering(_render(renderer, note, text), renderer.read, renderer.resolved), 0)
        self.kept[key] = (known[0], vault.generation)
        return known[0].markdown


def _still_holds(rendering: _Rendering, generation: int, vault: Vault) -> bool:
    """Whether a rendering that held in the reading ``generation`` of the vault holds in
    ``vault``: the same reading; or the one ``vault`` kept its resolutions from, when none of
    the notes it read or landed on changed (their links' resolutions are then the same
    objects); or, failing those, when what it read is the same (``_Rendering.holds``)."""
    if generation == vault.generation:
        return True
    if vault.resolves_as(generation, rendering.touched):
        return True
    return rendering.holds(vault)


@dataclass(frozen=True)
class _Rendering:
    markdown: str
    read: dict[str, str | None]  # note path -> its text when rendered (None: not a note)
    resolved: list[tuple[tuple, str, WikiLink, Resolution]]  # (its key, note path, link in it, where it led)

    @cached_property
    def touched(self) -> frozenset[str | None]:
        """The notes it read or a link of it led to."""
        return frozenset(self.read).union(r.path for _, _, _, r in self.resolved)

    def holds(self, vault: Vault) -> bool:
        """Whether rendering again in ``vault`` would read the same and so give the same."""
        notes = vault.notes
        for path, source in self.read.items():
            current = notes.get(path)
            if (None if current is None else current.source) != source:
                return False
        # a vault read again keeps the resolutions that still hold, the same objects: looked up
        # where the vault keeps them (a quarter of a million links in a large vault)
        kept = vault.resolutions
        for key, path, link, r in self.resolved:
            found = kept.get(key) or resolve_wikilink(vault, link, notes[path])
            if found is not r and found != r:
                return False
        return True


class _Renderer:
    def __init__(self, vault: Vault, options: RenderOptions, host_path: str):
        self.vault = vault
        self.options = options
        self.host = host_path
        self.read: dict[str, str | None] = {}  # what it read, for RenderMemo
        self.resolved: list[tuple[tuple, str, WikiLink, Resolution]] = []

    def render(self, note: Note, text: str, chain: Chain) -> str:
        self.read[note.path] = note.source
        regions = protected_regions(text)
        edits: list[tuple[int, int, str]] = []
        for s, e in regions.spans:
            if text.startswith("%%", s):
                edits.append((s, e, ""))
        for start, end, link in _links_in(note, text, regions):
            resolution = resolve_wikilink(self.vault, link, note)
            self.resolved.append((resolution_key(note.path, link), note.path, link, resolution))
            if link.embed:
                edits.append((start, end, self._embed(text, start, link, resolution, chain)))
            else:
                edits.append((start, end, self._link(link, resolution)))
        if self.options.tags_dir:
            for start, end, tag in _tags_in(note, text, regions):
                url = relative_link(self.host, tag_page(tag, self.options.tags_dir))
                edits.append((start, end, f"[#{md_text(tag)}]({url}){{ .cortex-tag }}"))
        for m in BLOCK_ID.finditer(text):
            if regions.covers(m.start()):
                continue
            anchor = f'<span class="cortex-block" id="^{m.group(1)}"></span>'
            edits.append((m.start(), m.end(), anchor))
        return _apply(text, edits)

    def _link(self, link: WikiLink, resolution: Resolution) -> str:
        label = link.display or _default_label(link)
        if resolution.path is None:
            return _unresolved(label, resolution.message)
        if resolution.status in (Status.MISSING_HEADING, Status.MISSING_BLOCK):
            return _unresolved(label, resolution.message)
        url = relative_link(self.host, resolution.path, resolution.anchor)
        return f"[{md_text(label)}]({url})"

    def _embed(self, text: str, offset: int, link: WikiLink, resolution: Resolution, chain: Chain) -> str:
        label = link.display or _default_label(link)
        path = resolution.path
        if path is None or resolution.status in (Status.MISSING_HEADING, Status.MISSING_BLOCK):
            return _unresolved(label, resolution.message or f"cannot embed '{link.target}'")
        suffix = posixpath.splitext(path)[1].lower()
        url = relative_link(self.host, path)
        if suffix in IMAGE_SUFFIXES:
            return _image(link, path, url)
        if suffix in AUDIO_SUFFIXES or suffix in VIDEO_SUFFIXES:
            # raw HTML, whose URLs MkDocs does not rewrite: relative to the page's own URL
            player = "audio" if suffix in AUDIO_SUFFIXES else "video"
            shown = escape(link.display or posixpath.basename(path))
            source = escape(relative_link(page_url_path(self.host, self.options.directory_urls), path))
            return (
                f'<{player} class="cortex-{player}" controls preload="metadata" src="{source}">'
                f'<a href="{source}">{shown}</a></{player}>'
            )
        if path not in self.vault.notes:
            self.read[path] = None
            name = posixpath.basename(path)
            return f"[{md_text(link.display or name)}]({url}){{ .cortex-file }}"
        target = self.vault.notes[path]
        region = (path, *embedded_span(target, resolution, link))
        if region in chain:
            loop = " → ".join([*(p for p, _, _ in chain), path])
            return _unresolved(label, f"embed loop: {loop}")
        if len(chain) > self.options.max_embed_depth:
            return _unresolved(label, f"embeds nested deeper than {self.options.max_embed_depth}")
        inner = self.render(target, embedded_text(target, resolution, link), (*chain, region))
        indent = _line_indent(text, offset)
        title_url = relative_link(self.host, path, resolution.anchor)
        block = (
            f'<div class="cortex-embed" markdown="1">\n\n'
            f"[{md_text(label)}]({title_url}){{ .cortex-embed-source }}\n\n"
            f"{inner.strip()}\n\n</div>"
        )
        if ">" in indent:  # inside a blockquote or callout: every line, blank ones too, stays inside
            quote = indent.rstrip()
            lines = [indent + line if line else quote for line in block.split("\n")]
            return f"\n{quote}\n" + "\n".join(lines) + f"\n{quote}\n{indent}"
        if indent:
            block = "\n".join(indent + line if line else line for line in block.split("\n"))
        return f"\n\n{block}\n\n"


def _body_offset(note: Note, text: str) -> int | None:
    """Where ``text`` starts in the note's file when it is the note's body as MkDocs hands it
    over (leading blank lines stripped): then the note's own parse can be reused."""
    body = note.body
    shift = len(body) - len(body.lstrip("\n"))
    return note.body_start + shift if text == body[shift:] else None


def _links_in(note: Note, text: str, regions: Regions) -> list[tuple[int, int, WikiLink]]:
    """(start, end, link) of each wikilink in ``text``."""
    offset = _body_offset(note, text)
    if offset is not None:
        return [(link.start - offset, link.end - offset, link) for link in note.links if link.start >= offset]
    found = []
    for m in find_wikilinks(text):
        if not regions.covers(m.start()):
            found.append((m.start(), m.end(), parse_wikilink(m, text)))
    return found


def _tags_in(note: Note, text: str, regions) -> list[tuple[int, int, str]]:
    """(start, end, tag) of each inline tag in ``text``."""
    offset = _body_offset(note, text)
    if offset is not None:
        return [(start - offset, end - offset, tag) for start, end, tag in note.tag_spans]
    return [(m.start(), m.end(), m.group(1)) for m in inline_tags(text, 0, regions)]


def embedded_span(note: Note, resolution: Resolution, link: WikiLink) -> tuple[int, int]:
    """Where in the note's file ``link`` embeds from: the block, the section, or the body."""
    if link.block is not None and link.block in note.blocks:
        block = note.blocks[link.block]
        return block.start, block.end
    if resolution.heading is not None:
        return resolution.heading.start, resolution.heading.end
    return note.body_start, len(note.source)


def embedded_text(note: Note, resolution: Resolution, link) -> str:
    """What ``![[Note]]``, ``![[Note#Heading]]`` or ``![[Note#^block]]`` brings in."""
    if link.block is not None:
        block = note.blocks[link.block]
        return BLOCK_ID.sub("", note.source[block.start : block.end]).strip()
    if resolution.heading is not None:
        return note.source[resolution.heading.start : resolution.heading.end]
    return note.body


def _default_label(link) -> str:
    return link_label(link.target, link.fragments)


def _image(link, path: str, url: str) -> str:
    size = _SIZE.match(link.display or "")
    alt = posixpath.basename(path) if size or not link.display else link.display
    attrs = ""
    if size:
        attrs = f'{{ width="{size.group(1)}"' + (f' height="{size.group(2)}"' if size.group(2) else "") + " }"
    return f"![{md_text(alt)}]({url}){attrs}"


def _unresolved(label: str, why: str) -> str:
    return f'<span class="cortex-unresolved" title="{escape(why)}">{escape(label)}</span>'


def _line_indent(text: str, offset: int) -> str:
    """What each line of a block put at ``offset`` must start with to stay where the link was:
    its blockquote markers, and the indentation of its list item."""
    line_start = text.rfind("\n", 0, offset) + 1
    prefix = text[line_start:offset]
    quote = _QUOTE_PREFIX.match(prefix).group(0)  # type: ignore[union-attr]  # matches the empty string
    rest = prefix[len(quote) :]
    if rest.strip() == "" or re.fullmatch(r"\s*([-*+]|\d+[.)])\s+", rest):
        return quote + " " * len(rest)
    return ""


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    edits.sort()
    out = []
    pos = 0
    for start, end, replacement in edits:
        if start < pos:
            continue  # overlapping edit (e.g. a tag inside a link): the first wins
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)
