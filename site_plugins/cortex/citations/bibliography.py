"""Loading ``refs/*.bib`` with pybtex into a case-insensitive map of references.

Each file is parsed with pybtex's own BibTeX scanner. Errors are collected as
diagnostics instead of stopping the load: an entry with a syntax error is skipped and
the rest of its file stays usable. ``@string`` macros are shared across files (files
that define macros are read first), ``crossref`` parents fill in missing fields, and
the result of each file is cached by content hash, on disk and in memory.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, ValuesView
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, NamedTuple

from pybtex import textutils
from pybtex.bibtex.utils import split_name_list
from pybtex.database import Person
from pybtex.database.input.bibtex import LowLevelParser, UndefinedMacro, month_names
from pybtex.scanner import PybtexSyntaxError
from pybtex.utils import CaseInsensitiveDict

from cortex import diagnostics
from cortex.cache_files import code_version, read_pickle, write_pickle
from cortex.citations import syntax
from cortex.citations.latex import unknown_commands
from cortex.citations.names import biblatex_name
from cortex.citations.syntax import citations_in
from cortex.diagnostics import Code, Diagnostic, LineIndex, diagnostic
from cortex.text import front_matter

CACHE_VERSION = "4"
PERSON_ROLES = frozenset(role.lower() for role in Person.valid_roles)
_STRING_COMMAND = re.compile(rb"@\s*string\s*[{(]", re.I)
# A part (paper, chapter) inherits its container's title as its booktitle.
_CROSSREF_RENAMES = {"title": "booktitle"}
_CONTAINERS = frozenset({"proceedings", "book", "collection"})
_CONTAINED = frozenset({"inproceedings", "incollection", "inbook", "conference"})


class Reference(NamedTuple):
    """One BibTeX entry: fields hold LaTeX as written (macros and ``#`` resolved)."""

    key: str
    type: str
    fields: dict[str, str]
    persons: dict[str, tuple[str, ...]]
    path: str
    line: int
    digest: str = ""
    field_lines: dict[str, int] = {}  # noqa: RUF012  # a NamedTuple's default is never mutated here

    def with_digest(self) -> Reference:
        data = repr((self.type, sorted(self.fields.items()), sorted(self.persons.items())))
        return self._replace(digest=hashlib.blake2b(data.encode("utf-8"), digest_size=12).hexdigest())


@dataclass
class ParsedFile:
    """What one .bib file contributes, cacheable as a whole."""

    references: list[Reference] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    macros: dict[str, str] = field(default_factory=dict)

    def moved_to(self, path: str) -> ParsedFile:
        """The same, said of the file at ``path``."""
        return ParsedFile(
            [ref._replace(path=path) for ref in self.references],
            [dataclasses.replace(d, path=path) for d in self.diagnostics],
            self.macros,
        )


class Bibliography(Mapping[str, Reference]):
    """References by key; lookups ignore case as BibTeX does."""

    def __init__(
        self,
        references: Mapping[str, Reference],
        cache: FormatCache | None = None,
        sources: str = "",
        page_citations: PageCitations | None = None,
        rendered_citations: RenderedCitations | None = None,
    ) -> None:
        self._by_key = {key.lower(): ref for key, ref in references.items()}
        self.cache = cache if cache is not None else FormatCache(None)
        self.page_citations = page_citations if page_citations is not None else PageCitations(None)
        self.rendered_citations = (
            rendered_citations if rendered_citations is not None else RenderedCitations(None)
        )
        self.formatters: dict[str, object] = {}
        self.sources = sources  # a hash of the files it was read from: the same for the same files

    def __getitem__(self, key: str) -> Reference:
        return self._by_key[key.lower()]

    def find(self, key: str) -> Reference | None:
        """``self.get(key)``, in one lookup (a build asks for every citation's entry)."""
        return self._by_key.get(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._by_key

    def __iter__(self) -> Iterator[str]:
        return (ref.key for ref in self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def values(self) -> ValuesView[Reference]:
        return self._by_key.values()


class FormatCache:
    """Formatted HTML and label data by (entry digest, what), kept on disk and in memory.

    Each kind of data (``what``: an entry's HTML, as pages show it, its label data) is a file of
    its own under ``formatted/``, read when first asked for: a build reads only the kinds it
    uses, and a rebuild writes only the kinds it added to. A kind named ``family@version``
    replaces the other versions of its family when it is written."""

    _memory: ClassVar[dict[str, dict[str, dict[str, object]]]] = {}  # folder -> what -> digest -> value

    def __init__(self, cache_dir: Path | None) -> None:
        self.dir = cache_dir / "formatted" if cache_dir else None
        self.kinds = self._memory.setdefault(str(self.dir), {})
        self.dirty: set[str] = set()

    def kind(self, what: str) -> dict[str, object]:
        """Every kept value of one kind, by entry digest."""
        found = self.kinds.get(what)
        if found is None:
            read = _read_pickle(self.dir / f"{what}.pickle") if self.dir else None
            found = self.kinds[what] = read if isinstance(read, dict) else {}
        return found

    def get(self, digest: str, what: str) -> object | None:
        return self.kind(what).get(digest)

    def put(self, digest: str, what: str, value: object) -> None:
        self.kind(what)[digest] = value
        self.dirty.add(what)

    def save(self, live_digests: set[str]) -> None:
        """Write to disk the kinds that changed, dropping what no current entry uses."""
        for what in sorted(self.dirty):
            values = self.kinds[what]
            for stale in values.keys() - live_digests:
                del values[stale]
            if self.dir is not None:
                _write_pickle(self.dir / f"{what}.pickle", values)
                family, versioned, _ = what.partition("@")
                for other in self.dir.glob(f"{family}@*.pickle") if versioned else ():
                    if other.stem != what:
                        other.unlink(missing_ok=True)
        self.dirty.clear()


class PageCitations:
    """What indexing reads of each page's citations (``syntax.citations_in``: each one's key,
    line, column, and whether it is a bare ``@key``, which only counts when the key is known),
    by a hash of the page's text, kept on disk (``citations.pickle``, read only by the same
    code that wrote it; plain tuples, which load ten times faster than citations) and in this
    process, so that a new build looks for citations only in the pages whose text changed.
    What the pages of the last build did not use is dropped when it is saved."""

    _memory: ClassVar[dict[str, dict[bytes, tuple[tuple[str, int, int, bool], ...]]]] = {}

    def __init__(self, cache_dir: Path | None) -> None:
        self.path = cache_dir / "citations.pickle" if cache_dir else None
        memory_key = str(self.path)
        if memory_key not in self._memory:
            found = _read_pickle(self.path)
            pages = found.get(_finder_version()) if isinstance(found, dict) else None
            self._memory[memory_key] = pages if isinstance(pages, dict) else {}
        self.pages = self._memory[memory_key]
        self.used: set[bytes] = set()
        self.dirty = False

    def of(self, markdown: str) -> tuple[tuple[str, int, int, bool], ...]:
        """(key, line, column, bare) of each citation in ``markdown``, in order."""
        if "@" not in markdown:  # every form of citation has one
            return ()
        key = hashlib.blake2b(markdown.encode("utf-8"), digest_size=16).digest()
        found = self.pages.get(key)
        if found is None:
            found = self.pages[key] = tuple(
                (c.key, c.line, c.col, bare is not None) for c, bare in citations_in(markdown)
            )
            self.dirty = True
        self.used.add(key)
        return found

    def save(self) -> None:
        """Write to disk what changed, dropping the pages no longer there."""
        for gone in self.pages.keys() - self.used:
            del self.pages[gone]
            self.dirty = True
        if self.dirty and self.path is not None:
            _write_pickle(self.path, {_finder_version(): self.pages})
        self.dirty = False


class RenderedPage(NamedTuple):
    """What citations made of a page: each citation's HTML by what the page wrote
    (``[@key, p. 3]``; None where it stayed text), and its references section."""

    citations: dict[str, str | None]
    references: str


class RenderedCitations:
    """What citations made of each page (``RenderedPage``), with the state it was rendered
    under (``CitationIndex.rendering_state``), kept on disk (``rendered-citations.pickle``) and
    in this process: a new build renders again only the citations and references of pages whose
    numbering or entries changed, and the citations it has not met. The pages no longer in the
    site are dropped when it is saved."""

    _memory: ClassVar[dict[str, dict[str, tuple[bytes, RenderedPage]]]] = {}

    def __init__(self, cache_dir: Path | None) -> None:
        self.path = cache_dir / "rendered-citations.pickle" if cache_dir else None
        self.pages: dict[str, tuple[bytes, RenderedPage]] = {}
        if self.path is not None:
            if str(self.path) not in self._memory:
                found = _read_pickle(self.path)
                self._memory[str(self.path)] = found if isinstance(found, dict) else {}
            self.pages = self._memory[str(self.path)]
        self.dirty = False

    def of(self, src_uri: str, state: bytes) -> RenderedPage | None:
        """What citations made of the page under ``state``; None when it was under another."""
        kept = self.pages.get(src_uri)
        return kept[1] if kept is not None and kept[0] == state else None

    def keep(self, src_uri: str, state: bytes, rendered: RenderedPage) -> None:
        self.pages[src_uri] = (state, rendered)
        self.dirty = True

    def drop(self, src_uri: str) -> None:
        if self.pages.pop(src_uri, None) is not None:
            self.dirty = True

    def save(self, pages: Iterable[str]) -> None:
        """Write to disk what changed, dropping what is not one of ``pages``."""
        for gone in self.pages.keys() - set(pages):
            del self.pages[gone]
            self.dirty = True
        if self.dirty and self.path is not None:
            _write_pickle(self.path, self.pages)
        self.dirty = False


@functools.cache
def _finder_version() -> str:
    """The version of the code that finds citations (and their lines)."""
    return code_version((syntax, front_matter, diagnostics))


def _read_pickle(path: Path | None) -> object | None:
    return read_pickle(path, CACHE_VERSION)


def _write_pickle(path: Path, payload: object) -> None:
    write_pickle(path, CACHE_VERSION, payload)


def decode_bib(data: bytes, path: str) -> tuple[str, list[Diagnostic]]:
    """UTF-8 text of a .bib file; other encodings are read as Windows-1252 with a warning."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        try:
            text, encoding = data.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            text, encoding = data.decode("latin-1"), "Latin-1"
        return text, [
            diagnostic(
                Code.BIB_NOT_UTF8,
                path,
                line,
                col,
                f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
                f"read as {encoding}: save it as UTF-8 to silence this",
            )
        ]


class _FieldScanner(LowLevelParser):
    """pybtex's scanner, remembering where each field of the current entry starts."""

    def parse_entry_body(self, body_end):
        self.field_starts: list[tuple[str, int]] = []
        super().parse_entry_body(body_end)

    def parse_field(self):
        name = self.optional([self.NAME])
        if not name:
            return
        self.field_starts.append((name.value.lower(), self.pos - len(name.value)))
        self.current_field_name = name.value
        self.required([self.EQUALS])
        self.parse_value()


class _FileParser:
    """Runs pybtex's scanner over one file, turning its errors into diagnostics."""

    def __init__(self, text: str, path: str, macros: CaseInsensitiveDict) -> None:
        self.text, self.path, self.macros = text, path, macros
        self.result = ParsedFile()
        self.scanner = _FieldScanner(text, macros=macros, handle_error=self.handle_error, filename=path)
        self.failed_command: int | None = None
        # every entry's and field's line: counting newlines from the file's start for each of them
        # made a file's parse quadratic in its length (a thousand entries: seconds)
        self.line_col = LineIndex(text)

    def handle_error(self, exc: PybtexSyntaxError) -> None:
        pos = exc.error_context_info[2] if isinstance(exc.error_context_info, tuple) else self.scanner.pos
        line, col = self.line_col(min(pos, len(self.text)))
        key = self.scanner.current_entry_key
        where = f" in entry '{key}'" if key else ""
        if isinstance(exc, UndefinedMacro):
            self.result.diagnostics.append(
                diagnostic(
                    Code.UNDEFINED_MACRO,
                    self.path,
                    line,
                    col,
                    f"undefined @string macro '{exc.args[0] if exc.args else ''}'{where}; "
                    "it is read as empty text",
                )
            )
            return
        self.failed_command = self.scanner.command_start
        message = f"BibTeX {exc.error_type}: {exc.args[0] if exc.args else exc}{where}; this entry is skipped"
        unbalanced = self.unbalanced_field(pos)
        if unbalanced is not None:
            name, start = unbalanced
            line, col = self.line_col(start)
            message = (
                f"the braces of field '{name}'{where} do not balance (a {{ is never closed), so the field "
                f"runs on to the end of the entry; this entry is skipped"
            )
        self.result.diagnostics.append(diagnostic(Code.BIB_SYNTAX, self.path, line, col, message))

    def unbalanced_field(self, error_at: int) -> tuple[str, int] | None:
        """The field of the current entry whose braces do not balance, if the error is that."""
        starts = getattr(self.scanner, "field_starts", [])
        if not starts:
            return None
        name, start = starts[-1]  # a field whose braces do not close swallows those after it
        opening = self.text.find("{", start, error_at)
        if opening == -1 or self.text[start:opening].count("=") != 1 or self.text[start:opening].count('"'):
            return None
        depth = 0
        for i in range(opening, error_at):
            depth += {"{": 1, "}": -1}.get(self.text[i], 0)
            if depth == 0:  # the value closes: unbalanced only if that took the entry's own brace,
                took_entry = not self.text[i + 1 : error_at].strip()  # and the scanner then met the next
                after = self.text[error_at:].lstrip()  # entry (or the end) where it wanted a '}'
                return (name, start) if took_entry and (not after or after.startswith("@")) else None
        return name, start

    def parse(self) -> ParsedFile:
        before = dict(self.macros)
        for command, body in self.scanner:
            if self.failed_command == self.scanner.command_start:
                continue
            kind = command.lower()
            if kind in ("string", "preamble"):
                continue
            key, raw_fields = body
            self.result.references.append(self.reference(command, key, raw_fields))
        self.result.macros = {k: v for k, v in self.macros.items() if before.get(k) != v}
        return self.result

    def reference(self, command: str, key: str, raw_fields: list) -> Reference:
        line = self.line_col(self.scanner.command_start)[0]
        starts = iter(getattr(self.scanner, "field_starts", []))
        fields: dict[str, str] = {}
        persons: dict[str, tuple[str, ...]] = {}
        field_lines: dict[str, int] = {}
        for name, parts in raw_fields:
            lname = name.lower()
            start = next((s for n, s in starts if n == lname), None)
            where = self.line_col(start) if start is not None else (line, 1)
            if lname in fields or lname in persons:
                message = f"entry '{key}' has a second '{name}' field; the first one is used"
                self.result.diagnostics.append(diagnostic(Code.DUPLICATE_FIELD, self.path, *where, message))
                continue
            value = textutils.normalize_whitespace("".join(parts))
            if not value:
                continue
            field_lines[lname] = where[0]
            if lname in PERSON_ROLES:
                names = [biblatex_name(n) for n in split_name_list(value)]
                persons[lname] = tuple(n for n in names if n is not None)
                if len(persons[lname]) < len(names):
                    message = (
                        f"entry '{key}': a name in '{name}' mixes BibTeX's and biblatex's forms "
                        "(`family=`, `given=`); it is left out"
                    )
                    self.result.diagnostics.append(diagnostic(Code.BAD_NAME, self.path, *where, message))
            else:
                fields[lname] = value
                if "\\" in value and (unknown := unknown_commands(value)):
                    shown = ", ".join("\\" + c for c in unknown)
                    message = (
                        f"field '{name}' of entry '{key}' uses {shown}, which the site cannot "
                        "typeset; it is shown as written"
                    )
                    self.result.diagnostics.append(
                        diagnostic(Code.UNDEFINED_LATEX, self.path, *where, message)
                    )
        return Reference(key, command.lower(), fields, persons, self.path, line, field_lines=field_lines)


def _macro_state(macros: CaseInsensitiveDict) -> str:
    data = repr(sorted((k.lower(), v) for k, v in macros.items()))
    return hashlib.blake2b(data.encode("utf-8"), digest_size=12).hexdigest()


class _ParseCache:
    """Parsed files by (content hash, macros in scope), on disk and in this process."""

    _memory: ClassVar[dict[str, ParsedFile]] = {}
    _placed: ClassVar[dict[tuple[str, str], ParsedFile]] = {}  # (key, path) -> the file said of path

    def __init__(self, cache_dir: Path | None) -> None:
        self.dir = cache_dir / "parsed" if cache_dir else None
        self.used: set[str] = set()

    def placed(self, key: str, path: str, parsed: ParsedFile) -> ParsedFile:
        """``parsed.moved_to(path)``, made once per file and content in this process."""
        found = self._placed.get((key, path))
        if found is None:
            for earlier in [k for k in self._placed if k[1] == path]:  # the file as it was before
                del self._placed[earlier]
            found = self._placed[(key, path)] = parsed.moved_to(path)
        return found

    def get(self, key: str) -> ParsedFile | None:
        self.used.add(key)
        found = self._memory.get(key)
        path = self.dir / f"{key}.pickle" if self.dir is not None else None
        if found is None and path is not None:
            found = _read_pickle(path)  # type: ignore[assignment]
            if found is not None:
                self._memory[key] = found
        elif found is not None and path is not None and not path.exists():
            _write_pickle(path, found)
        return found

    def put(self, key: str, parsed: ParsedFile) -> None:
        self._memory[key] = parsed
        if self.dir is not None:
            _write_pickle(self.dir / f"{key}.pickle", parsed)

    def prune(self) -> None:
        if self.dir is None or not self.dir.is_dir():
            return
        for path in self.dir.glob("*.pickle"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)


def load_bibliography(refs_dir: Path, cache_dir: Path | None = None) -> tuple[Bibliography, list[Diagnostic]]:
    """Every ``refs_dir/*.bib`` as one Bibliography, with the problems found in them."""
    files = sorted(Path(refs_dir).glob("*.bib")) if Path(refs_dir).is_dir() else []
    contents = [(path, path.read_bytes()) for path in files]
    # Files that define @string macros go first so that any file may use them.
    contents.sort(key=lambda item: _STRING_COMMAND.search(item[1]) is None)
    macros = CaseInsensitiveDict(month_names)
    cache = _ParseCache(cache_dir)
    diagnostics: list[Diagnostic] = []
    references: dict[str, Reference] = {}
    sources = hashlib.blake2b(digest_size=16)
    for path, data in contents:
        key = hashlib.blake2b(data + _macro_state(macros).encode(), digest_size=16).hexdigest()
        sources.update(f"{path.name}\0{key}\0".encode())
        cached = cache.get(f"{CACHE_VERSION}-{key}")
        if cached is None:
            text, decode_diagnostics = decode_bib(data, str(path))
            parsed = _FileParser(text, str(path), macros).parse()
            parsed.diagnostics[:0] = decode_diagnostics
            parsed.references = [ref.with_digest() for ref in parsed.references]
            cache.put(f"{CACHE_VERSION}-{key}", parsed.moved_to(path.name))  # no machine's path in a cache
        else:
            parsed = cache.placed(f"{CACHE_VERSION}-{key}", str(path), cached)
            macros.update(parsed.macros)
        diagnostics.extend(parsed.diagnostics)
        for ref in parsed.references:
            first = references.get(ref.key.lower())
            if first is not None:
                diagnostics.append(
                    diagnostic(
                        Code.DUPLICATE_KEY,
                        ref.path,
                        ref.line,
                        1,
                        f"duplicate key '{ref.key}': already defined at {first.path}:{first.line}, "
                        "which is used; this entry is ignored",
                    )
                )
                continue
            references[ref.key.lower()] = ref
    cache.prune()
    diagnostics.extend(_resolve_crossrefs(references))
    bibliography = Bibliography(
        references,
        FormatCache(cache_dir),
        sources.hexdigest(),
        PageCitations(cache_dir),
        RenderedCitations(cache_dir),
    )
    return bibliography, diagnostics


def _crossref_cycle(references: Mapping[str, Reference], ref: Reference) -> list[str]:
    """The keys of the crossref chain from ``ref`` back to it, or [] when the chain ends."""
    chain = [ref.key]
    seen = {ref.key.lower()}
    current: Reference | None = ref
    while current is not None and (target := current.fields.get("crossref")) is not None:
        if target.lower() == ref.key.lower():
            return [*chain, ref.key]
        if target.lower() in seen:
            return []  # a loop further on: reported at its own entries
        seen.add(target.lower())
        chain.append(target)
        current = references.get(target.lower())
    return []


def _resolve_crossrefs(references: dict[str, Reference]) -> list[Diagnostic]:
    """Copy missing fields from each entry's crossref parent, one level, as BibTeX does. A
    crossref to no entry, or one that leads back to its entry, is reported at the field."""
    diagnostics = []
    written = dict(references)  # parents as written, whatever order entries are resolved in
    for lkey, ref in written.items():
        target = ref.fields.get("crossref")
        if target is None:
            continue
        parent = written.get(target.lower())
        line = ref.field_lines.get("crossref", ref.line)
        if parent is None:
            message = f"entry '{ref.key}' has crossref '{target}', which is not defined"
            diagnostics.append(diagnostic(Code.MISSING_CROSSREF, ref.path, line, 1, message))
            continue
        cycle = _crossref_cycle(written, ref)
        if cycle:
            message = f"entry '{ref.key}' has crossref '{target}', which leads back to it ({' → '.join(cycle)}); the crossref is ignored"
            diagnostics.append(diagnostic(Code.MISSING_CROSSREF, ref.path, line, 1, message))
            continue
        fields = dict(ref.fields)
        renames = _CROSSREF_RENAMES if parent.type in _CONTAINERS and ref.type in _CONTAINED else {}
        for name, value in parent.fields.items():
            if name != "crossref":
                fields.setdefault(renames.get(name, name), value)
        persons = {**parent.persons, **ref.persons}
        references[lkey] = ref._replace(fields=fields, persons=persons).with_digest()
    return diagnostics
