"""pybtex's ``unsrt`` templates, shared by its ``plain``, ``unsrt`` and ``alpha`` styles, written as HTML directly.

pybtex formats an entry by interpreting a template tree into rich-text objects and
rendering those, about a millisecond an entry: most of a cold build's citation time.
This module follows the same templates (``pybtex/style/formatting/unsrt.py``) step by
step, over :class:`Piece` values instead: HTML already rendered, plus the two facts
the templates still ask of the text behind it, its length (short words are tied with
``&nbsp;``) and whether it ends with ``.``, ``?`` or ``!`` (no period is added then).
LaTeX is read once per distinct string, so repeated names and venues cost nothing.

The HTML is byte-identical to pybtex's rendering with :data:`HTML_BACKEND`, which
``tests/test_reference_formatting.py`` checks entry by entry. Anything this module does
not reproduce with certainty (a required field missing, unbalanced braces, a name
pybtex complains about, a kind without a template here, a style other than pybtex's
own) makes :func:`format_entry` return None, and the caller asks pybtex instead.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

import latexcodec  # noqa: F401  (registers the "ulatex" codec that pybtex's Text.from_latex uses)
from markupsafe import escape
from pybtex.database import Person
from pybtex.errors import capture
from pybtex.style.formatting import alpha, plain, unsrt
from pybtex.style.names.plain import NameStyle
from pybtex.textutils import terminators

from cortex.citations.latex import HTML_BACKEND

_CACHE_SIZE = 65536


class Piece(NamedTuple):
    """Rendered HTML, and what pybtex's templates still read from the rich text it came from."""

    html: str
    length: int  # characters as pybtex counts them: a symbol such as &nbsp; is one
    terminated: bool  # ends with ., ? or !, so a sentence gets no period after it


class Unsupported(Exception):
    """Something this module does not reproduce; pybtex formats the entry instead."""


class _Missing(Exception):
    """A field the template reads is absent: pybtex's ``FieldIsMissing``."""


def literal(text: str) -> Piece:
    """Plain text, as pybtex's ``String`` renders it."""
    return Piece(str(escape(text)), len(text), text.endswith(terminators))


def _symbol(name: str) -> Piece:
    return Piece(HTML_BACKEND.symbols[name], 1, False)


EMPTY = Piece("", 0, False)
NBSP, NDASH, NEWBLOCK = _symbol("nbsp"), _symbol("ndash"), _symbol("newblock")
SPACE, COMMA, AND, COMMA_AND = literal(" "), literal(", "), literal(" and "), literal(", and ")


# --- LaTeX field text -------------------------------------------------------------------

Segment = tuple[str, bool]  # a run of text, and whether braces protect it from case changes

# latexcodec, which pybtex runs over every field, returns text without these unchanged:
# commands, comments, math, ties, dash and quote ligatures, and whitespace it collapses.
_DECODED = re.compile(r"[\\%$#~\t\n\r]|--|``|''|,,|[!?]`|^ |  ")
_BRACE = re.compile(r"[{}]")
_DASHES = re.compile(r"-+")


@lru_cache(maxsize=_CACHE_SIZE)
def latex_segments(value: str) -> tuple[Segment, ...]:
    """``Text.from_latex(value)`` flattened to runs: nesting inside braces changes nothing
    that pybtex renders, and like pybtex, empty runs are dropped and neighbours merged."""
    if _DECODED.search(value):
        try:
            value = codecs.decode(value, "ulatex")  # type: ignore[call-overload]  # latexcodec decodes text
        except ValueError as exc:  # a stray backslash at the end: pybtex fails on it too
            raise Unsupported(str(exc)) from exc
    segments: list[Segment] = []
    depth = start = 0
    for brace in _BRACE.finditer(value):
        _append(segments, value[start : brace.start()], depth > 0)
        depth += 1 if brace.group() == "{" else -1
        if depth < 0:
            raise Unsupported("unbalanced braces")
        start = brace.end()
    if depth:
        raise Unsupported("unbalanced braces")
    _append(segments, value[start:], False)
    return tuple(segments)


def _append(segments: list[Segment], text: str, protected: bool) -> None:
    if not text:
        return
    if segments and segments[-1][1] == protected:
        text = segments.pop()[0] + text
    segments.append((text, protected))


def as_piece(segments: Sequence[Segment]) -> Piece:
    """The runs rendered: braces only protect case, so they leave no trace in HTML."""
    return literal("".join(text for text, _ in segments))


def capitalized(segments: Sequence[Segment]) -> Piece:
    """pybtex's ``Text.capitalize``: first character upper, the rest lower, braced runs kept."""
    return as_piece(
        [_cased(text, protected, str.lower, first=i == 0) for i, (text, protected) in enumerate(segments)]
    )


def capfirst(segments: Sequence[Segment]) -> Piece:
    """pybtex's ``Text.capfirst``: the first character upper unless braced."""
    return as_piece(
        [_cased(text, protected, str, first=i == 0) for i, (text, protected) in enumerate(segments)]
    )


def lowered(segments: Sequence[Segment]) -> Piece:
    """pybtex's ``Text.lower``: braced runs kept."""
    return as_piece([(text if protected else text.lower(), protected) for text, protected in segments])


def _cased(text: str, protected: bool, rest: Callable[[str], str], first: bool) -> Segment:
    if protected:
        return text, protected
    return (text[:1].upper() + rest(text[1:]) if first else rest(text)), protected


def dashed(segments: Sequence[Segment]) -> Piece:
    """unsrt's ``dashify`` of page ranges: each run of ``-`` outside braces becomes ``&ndash;``."""
    html, length = [], 0
    for text, protected in segments:
        parts = [text] if protected else _DASHES.split(text)
        html.append(NDASH.html.join(str(escape(part)) for part in parts))
        length += sum(map(len, parts)) + len(parts) - 1
    return Piece("".join(html), length, bool(segments) and segments[-1][0].endswith(terminators))


# --- names --------------------------------------------------------------------------------


class ParsedName(NamedTuple):
    person: Person
    problems: tuple[str, ...]  # what pybtex reported while splitting the name


@lru_cache(maxsize=_CACHE_SIZE)
def parse_name(name: str) -> ParsedName:
    """pybtex's split of a name into first, von, last and jr parts, once per distinct name;
    what it would report (too many commas) is kept rather than raised."""
    with capture() as errors:
        person = Person(name)
    return ParsedName(person, tuple(str(error) for error in errors))


@lru_cache(maxsize=_CACHE_SIZE)
def name_piece(name: str) -> Piece:
    """A name as pybtex's ``plain`` name style writes it: ``First~Middle von~Last, Jr``."""
    person, problems = parse_name(name)
    if problems:
        raise Unsupported(problems[0])
    return _join(
        [
            _name_part(person.first_names + person.middle_names, tie=True),
            _name_part(person.prelast_names, tie=True),
            _name_part(person.last_names),
            _name_part(person.lineage_names, before=", "),
        ]
    )


def _name_part(words: list[str], tie: bool = False, before: str = "") -> Piece:
    """pybtex's ``name_part``: words kept together, then a tie or a space after a tied part."""
    part = _together([as_piece(latex_segments(word)) for word in words], last_tie=True)
    if not part.length:
        return EMPTY
    return _join([literal(before), part, _tie_or_space(part.length) if tie else EMPTY])


# --- pybtex's template nodes over pieces --------------------------------------------------


def _join(
    parts: Sequence[Piece], sep: Piece = EMPTY, sep2: Piece | None = None, last_sep: Piece | None = None
) -> Piece:
    """``join``: empty parts dropped, ``sep2`` between exactly two, ``last_sep`` before the last."""
    parts = [part for part in parts if part.length]
    if len(parts) <= 1:
        return parts[0] if parts else EMPTY
    if len(parts) == 2:
        seps = [sep if sep2 is None else sep2]
    else:
        seps = [sep] * (len(parts) - 2) + [sep if last_sep is None else last_sep]
    html, length = [parts[0].html], parts[0].length
    for separator, part in zip(seps, parts[1:], strict=True):
        html += (separator.html, part.html)
        length += separator.length + part.length
    return Piece("".join(html), length, parts[-1].terminated)


def _concat(*parts: Piece) -> Piece:
    """``Text(*parts)``, and ``join`` without a separator."""
    return _join(parts)


def _words(*parts: Piece) -> Piece:
    return _join(parts, SPACE)


def _sentence(*parts: Piece) -> Piece:
    """``sentence``: joined with commas, and a period unless it already ends one."""
    text = _join(parts, COMMA)
    if text.length and not text.terminated:
        return Piece(text.html + ".", text.length + 1, True)
    return text


def _toplevel(*parts: Piece) -> Piece:
    return _join(parts, NEWBLOCK)


def _tie_or_space(length: int) -> Piece:
    """pybtex ties words shorter than three characters to their neighbour."""
    return NBSP if length < 3 else SPACE


def _together(parts: Sequence[Piece], last_tie: bool = False) -> Piece:
    """``together``: short words tied to their neighbours, the others spaced."""
    parts = [part for part in parts if part.length]
    if len(parts) <= 2:
        tie = NBSP if last_tie or not parts else _tie_or_space(min(parts[0].length, parts[-1].length))
        return _join(parts, tie)
    last = NBSP if last_tie else _tie_or_space(parts[-1].length)
    return _concat(parts[0], _tie_or_space(parts[0].length), _join(parts[1:-1], SPACE), last, parts[-1])


def _em(part: Piece) -> Piece:
    return Piece(f"<em>{part.html}</em>", part.length, part.terminated) if part.length else EMPTY


def _href(url: str, text: Piece) -> Piece:
    if not text.length:
        return EMPTY
    return Piece(HTML_BACKEND.format_href(url, text.html), text.length, text.terminated)


def _optional(build: Callable[[], Piece]) -> Piece:
    """``optional``: empty when a field it reads is missing."""
    try:
        return build()
    except _Missing:
        return EMPTY


def _first_of(*builds: Callable[[], Piece]) -> Piece:
    """``first_of``: the first non-empty alternative; later ones are not evaluated."""
    for build in builds:
        piece = build()
        if piece.length:
            return piece
    return EMPTY


class _Entry:
    """One entry as the templates read it: LaTeX fields by name, names by role."""

    def __init__(self, fields: Mapping[str, str], persons: Mapping[str, Sequence[str]]) -> None:
        self.fields = fields
        self.persons = persons

    def raw(self, name: str) -> str:
        value = self.fields.get(name)
        if value is None:
            raise _Missing(name)
        return value

    def field(self, name: str, convert: Callable[[Sequence[Segment]], Piece] = as_piece) -> Piece:
        return convert(latex_segments(self.raw(name)))

    def optional_field(self, name: str, convert: Callable[[Sequence[Segment]], Piece] = as_piece) -> Piece:
        return _optional(lambda: self.field(name, convert))

    def names(self, role: str) -> Piece:
        names = self.persons.get(role)
        if names is None:
            raise _Missing(role)
        return _join([name_piece(name) for name in names], COMMA, AND, COMMA_AND)


# --- unsrt's building blocks, in the order of pybtex/style/formatting/unsrt.py ---------------


def _date(e: _Entry) -> Piece:
    return _words(e.optional_field("month"), e.field("year"))


def _pages(e: _Entry) -> Piece:
    return e.field("pages", dashed)


def _names(e: _Entry, role: str, as_sentence: bool = True) -> Piece:
    names = e.names(role)
    return _sentence(names) if as_sentence else names


def _author_or_editor(e: _Entry) -> Piece:
    return _first_of(lambda: _optional(lambda: _names(e, "author")), lambda: _editor(e))


def _editor(e: _Entry, as_sentence: bool = True) -> Piece:
    editors = e.names("editor")
    word = literal("editors" if len(e.persons["editor"]) > 1 else "editor")
    result = _join([editors, word], COMMA)
    return _sentence(result) if as_sentence else result


def _volume_and_series(e: _Entry, as_sentence: bool = True) -> Piece:
    # As a sentence pybtex capitalises the first letter of the result; "Volume" and "Number"
    # already are, so only the series alone can change.
    volume = literal("Volume" if as_sentence else "volume")
    number = literal("Number" if as_sentence else "number")
    result = _first_of(
        lambda: _optional(
            lambda: _words(
                _together([volume, e.field("volume")]),
                _optional(lambda: _words(literal("of"), e.field("series"))),
            )
        ),
        lambda: _optional(
            lambda: _words(
                _join([number, e.field("number")], NBSP),
                _optional(lambda: _words(literal("in"), e.field("series"))),
            )
        ),
        lambda: e.optional_field("series", capfirst if as_sentence else as_piece),
    )
    return _sentence(result) if as_sentence else result


def _chapter_and_pages(e: _Entry) -> Piece:
    return _join(
        [
            _optional(lambda: _together([literal("chapter"), e.field("chapter")])),
            _optional(lambda: _together([literal("pages"), _pages(e)])),
        ],
        COMMA,
    )


def _edition(e: _Entry) -> Piece:
    return _optional(lambda: _words(e.field("edition", lowered), literal("edition")))


def _title(e: _Entry, which: str, as_sentence: bool = True) -> Piece:
    title = e.field(which, capitalized)
    return _sentence(title) if as_sentence else title


def _btitle(e: _Entry, which: str, as_sentence: bool = True) -> Piece:
    title = _em(e.field(which))
    return _sentence(title) if as_sentence else title


def _address_organization_publisher_date(e: _Entry, include_organization: bool = True) -> Piece:
    def organization() -> Piece:
        return e.optional_field("organization") if include_organization else EMPTY

    return _first_of(
        lambda: _optional(
            lambda: _join(
                [
                    _sentence(e.field("address"), _date(e)),
                    _sentence(organization(), e.optional_field("publisher")),
                ],
                SPACE,
            )
        ),
        lambda: _sentence(organization(), e.optional_field("publisher"), _date(e)),
    )


def _web_refs(e: _Entry) -> Piece:
    return _sentence(
        _optional(
            lambda: _concat(
                _url(e),
                _optional(lambda: _concat(literal(" (visited on "), e.field("urldate"), literal(")"))),
            )
        ),
        _optional(lambda: _link(e, "eprint", "https://arxiv.org/abs/", "arXiv:")),
        _optional(lambda: _link(e, "pubmed", "https://www.ncbi.nlm.nih.gov/pubmed/", "PMID:")),
        _optional(lambda: _link(e, "doi", "https://doi.org/", "doi:")),
    )


def _url(e: _Entry) -> Piece:
    url = e.raw("url")
    return _words(literal("URL:"), _href(url, literal(url)))


def _link(e: _Entry, name: str, base: str, label: str) -> Piece:
    value = e.raw(name)
    return _href(base + value, literal(label + value))


# --- the templates ----------------------------------------------------------------------------


def _article(e: _Entry) -> Piece:
    def volume_and_pages() -> Piece:
        return _first_of(
            lambda: _optional(
                lambda: _concat(
                    e.field("volume"),
                    _optional(lambda: _concat(literal("("), e.field("number"), literal(")"))),
                    literal(":"),
                    _pages(e),
                )
            ),
            lambda: _words(literal("pages"), _pages(e)),
        )

    return _toplevel(
        _names(e, "author"),
        _title(e, "title"),
        _sentence(_em(e.field("journal")), _optional(volume_and_pages), _date(e)),
        _sentence(e.optional_field("note")),
        _web_refs(e),
    )


def _book(e: _Entry) -> Piece:
    return _toplevel(
        _author_or_editor(e),
        _btitle(e, "title"),
        _volume_and_series(e),
        _sentence(e.field("publisher"), e.optional_field("address"), _edition(e), _date(e)),
        _optional(lambda: _sentence(_join([literal("ISBN"), e.field("isbn")], SPACE))),
        _sentence(e.optional_field("note")),
        _web_refs(e),
    )


def _booklet(e: _Entry) -> Piece:
    return _toplevel(
        _names(e, "author"),
        _title(e, "title"),
        _sentence(
            e.optional_field("howpublished"), e.optional_field("address"), _date(e), e.optional_field("note")
        ),
        _web_refs(e),
    )


def _inbook(e: _Entry) -> Piece:
    return _toplevel(
        _author_or_editor(e),
        _sentence(_btitle(e, "title", as_sentence=False), _chapter_and_pages(e)),
        _volume_and_series(e),
        _sentence(
            e.field("publisher"),
            e.optional_field("address"),
            _optional(lambda: _words(e.field("edition"), literal("edition"))),
            _date(e),
            e.optional_field("note"),
        ),
        _web_refs(e),
    )


def _in_book(e: _Entry, last: Piece) -> Piece:
    """The editors, book title, volume and series, then ``last``: what follows "In" in the
    incollection and inproceedings templates."""
    return _sentence(
        _optional(lambda: _editor(e, as_sentence=False)),
        _btitle(e, "booktitle", as_sentence=False),
        _volume_and_series(e, as_sentence=False),
        last,
    )


def _incollection(e: _Entry) -> Piece:
    return _toplevel(
        _sentence(_names(e, "author")),
        _title(e, "title"),
        _words(literal("In"), _in_book(e, _chapter_and_pages(e))),
        _sentence(e.optional_field("publisher"), e.optional_field("address"), _edition(e), _date(e)),
        _web_refs(e),
    )


def _inproceedings(e: _Entry) -> Piece:
    return _toplevel(
        _sentence(_names(e, "author")),
        _title(e, "title"),
        _words(
            literal("In"), _in_book(e, _optional(lambda: _pages(e))), _address_organization_publisher_date(e)
        ),
        _sentence(e.optional_field("note")),
        _web_refs(e),
    )


def _manual(e: _Entry) -> Piece:
    return _toplevel(
        _optional(lambda: _sentence(_names(e, "author"))),
        _btitle(e, "title"),
        _sentence(
            e.optional_field("organization"),
            e.optional_field("address"),
            _edition(e),
            _optional(lambda: _date(e)),
        ),
        _sentence(e.optional_field("note")),
        _web_refs(e),
    )


def _mastersthesis(e: _Entry) -> Piece:
    return _toplevel(
        _sentence(_names(e, "author")),
        _title(e, "title"),
        _sentence(literal("Master's thesis"), e.field("school"), e.optional_field("address"), _date(e)),
        _sentence(e.optional_field("note")),
        _web_refs(e),
    )


def _misc(e: _Entry) -> Piece:
    return _toplevel(
        _optional(lambda: _sentence(_names(e, "author"))),
        _optional(lambda: _title(e, "title")),
        _sentence(_optional(lambda: e.field("howpublished")), _optional(lambda: _date(e))),
        _sentence(e.optional_field("note")),
        _web_refs(e),
    )


def _phdthesis(e: _Entry) -> Piece:
    return _toplevel(
        _sentence(_names(e, "author")),
        _btitle(e, "title"),
        _sentence(
            _first_of(lambda: e.optional_field("type"), lambda: literal("PhD thesis")),
            e.field("school"),
            e.optional_field("address"),
            _date(e),
        ),
        _sentence(e.optional_field("note")),
        _web_refs(e),
    )


def _proceedings(e: _Entry) -> Piece:
    def body(include_organization: bool) -> Piece:
        return _sentence(
            _btitle(e, "title", as_sentence=False),
            _volume_and_series(e, as_sentence=False),
            _address_organization_publisher_date(e, include_organization),
        )

    if "editor" in e.persons:
        main = [_editor(e), body(True)]
    else:
        main = [_optional(lambda: _sentence(e.field("organization"))), body(False)]
    return _toplevel(*main, _sentence(e.optional_field("note")), _web_refs(e))


def _techreport(e: _Entry) -> Piece:
    return _toplevel(
        _sentence(_names(e, "author")),
        _title(e, "title"),
        _sentence(
            _words(
                _first_of(lambda: e.optional_field("type"), lambda: literal("Technical Report")),
                e.optional_field("number"),
            ),
            e.field("institution"),
            e.optional_field("address"),
            _date(e),
        ),
        _sentence(e.optional_field("note")),
        _web_refs(e),
    )


def _unpublished(e: _Entry) -> Piece:
    return _toplevel(
        _sentence(_names(e, "author")),
        _title(e, "title"),
        _sentence(e.field("note"), _optional(lambda: _date(e))),
        _web_refs(e),
    )


TEMPLATES: dict[str, Callable[[_Entry], Piece]] = {
    "article": _article,
    "book": _book,
    "booklet": _booklet,
    "inbook": _inbook,
    "incollection": _incollection,
    "inproceedings": _inproceedings,
    "manual": _manual,
    "mastersthesis": _mastersthesis,
    "misc": _misc,
    "phdthesis": _phdthesis,
    "proceedings": _proceedings,
    "techreport": _techreport,
    "unpublished": _unpublished,
    # unsrt formats these as misc entries
    "dataset": _misc,
    "online": _misc,
    "patent": _misc,
    "software": _misc,
}
_STYLES = (plain.Style, unsrt.Style, alpha.Style)


def reproduces(style: object) -> bool:
    """Whether ``style`` is pybtex's own plain, unsrt or alpha style with its plain, unabbreviated names."""
    if type(style) not in _STYLES:
        return False
    name_style, abbreviated = getattr(style, "name_style", None), getattr(style, "abbreviate_names", True)
    return type(name_style) is NameStyle and not abbreviated


def format_entry(kind: str, fields: Mapping[str, str], persons: Mapping[str, Sequence[str]]) -> str | None:
    """The entry's HTML as pybtex's template for ``kind`` renders it, or None where that is not certain.

    ``fields`` hold LaTeX by lower-case name, ``persons`` the names by role, as pybtex's
    entry would; a name pybtex reports a problem with sends the whole entry to pybtex,
    so that the problem is reported as before.
    """
    template = TEMPLATES.get(kind)
    if template is None or any(parse_name(name).problems for names in persons.values() for name in names):
        return None
    try:
        return template(_Entry(fields, persons)).html
    except (_Missing, Unsupported):
        return None
