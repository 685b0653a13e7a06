"""How a reference reads: pybtex-formatted HTML, short author labels, sort order.

pybtex's own ``plain``, ``unsrt`` and ``alpha`` styles are rendered by
:mod:`cortex.citations.unsrt_html`, which writes the same HTML without pybtex's template
engine; any entry it declines, and any other style, goes through pybtex itself.
Everything computed here is cached by the entry's content hash in the bibliography's
:class:`FormatCache`, so a warm build formats nothing it formatted before. That includes each
reference as a page shows it (``site_html``: its formulas typeset and the whole sanitized), so
that bibliographies join a page after the page was sanitized, instead of being cleaned again in
every page that lists them.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.metadata import EntryPoint, distributions
from typing import Any, NamedTuple, cast

from markupsafe import Markup, escape
from pybtex.database import Entry, Person
from pybtex.errors import capture
from pybtex.plugin import _DEFAULT_PLUGINS, find_plugin
from pybtex.richtext import Text

from cortex.cache_files import code_version
from cortex.citations import unsrt_html
from cortex.citations.bibliography import Bibliography, Reference
from cortex.citations.latex import HTML_BACKEND, Tokens, latex_to_html, latex_to_text, protect_markup
from cortex.diagnostics import Code, Diagnostic, diagnostic
from cortex.text import math, sanitize
from cortex.text.math import typeset_page
from cortex.text.sanitize import sanitize_html

BIB_STYLES = ("plain", "unsrt", "alpha")
CITATION_STYLES = ("numeric", "author-year")
_RAW_FIELDS = frozenset({"url", "doi", "eprint", "crossref", "archiveprefix", "primaryclass", "file"})
_TYPE_FALLBACKS = {
    "online": "misc",
    "software": "misc",
    "dataset": "misc",
    "electronic": "misc",
    "www": "misc",
    "thesis": "phdthesis",
    "report": "techreport",
    "conference": "inproceedings",
    "standard": "manual",
    "collection": "book",
    "inreference": "incollection",
}


@dataclass(frozen=True)
class CitationStyle:
    """``citation``: how a citation reads in text; ``bibliography``: the pybtex style of the list."""

    citation: str = "numeric"
    bibliography: str = "plain"

    def __post_init__(self) -> None:
        if self.citation not in CITATION_STYLES:
            raise ValueError(
                f"citation style must be one of {', '.join(CITATION_STYLES)}, not {self.citation!r}"
            )
        if self.bibliography not in BIB_STYLES:
            raise ValueError(
                f"bibliography style must be one of {', '.join(BIB_STYLES)}, not {self.bibliography!r}"
            )


class ReferenceMeta(NamedTuple):
    """What labels and sorting need, in plain text (a named tuple: a build makes one for each
    cited entry)."""

    authors: str
    year: str
    sort_key: tuple


@lru_cache(maxsize=65536)
def _person_last(name: str) -> str:
    person = unsrt_html.parse_name(name).person
    return latex_to_text(" ".join(person.prelast_names + person.last_names)) or latex_to_text(name)


def short_authors(ref: Reference) -> str:
    """``Kahan``, ``Dao and Ré``, ``Vaswani et al.``; else an organisation, else the key."""
    names = ref.persons.get("author") or ref.persons.get("editor")
    if names:
        last = [_person_last(n) for n in names[:2]]
        if len(names) == 1 or (len(names) == 2 and names[1].strip().lower() == "others"):
            return last[0] + (" et al." if len(names) == 2 else "")
        return f"{last[0]} and {last[1]}" if len(names) == 2 else f"{last[0]} et al."
    for name in ("organization", "institution", "publisher", "howpublished"):
        if ref.fields.get(name):
            return latex_to_text(ref.fields[name])
    return ref.key


# Text with none of these characters reads the same as LaTeX and as plain text, so pybtex's LaTeX
# parser (most of its formatting time) can be skipped for it; the output is identical (tested).
_PLAIN_LATEX = re.compile(r"[^\\{}$~%&`'\"\-^_#]*")


def rich_text(value: str) -> Text:
    """``Text.from_latex(value)``, without parsing text that has no LaTeX in it."""
    return Text(value) if _PLAIN_LATEX.fullmatch(value) else Text.from_latex(value)


class _Person(Person):
    rich_first_names = property(lambda self: [rich_text(n) for n in self.first_names])
    rich_middle_names = property(lambda self: [rich_text(n) for n in self.middle_names])
    rich_prelast_names = property(lambda self: [rich_text(n) for n in self.prelast_names])
    rich_last_names = property(lambda self: [rich_text(n) for n in self.last_names])
    rich_lineage_names = property(lambda self: [rich_text(n) for n in self.lineage_names])


@cache
def _pybtex_plugins() -> dict[tuple[str, str], EntryPoint]:
    """pybtex's style plugins by (group, name), as the installed packages declare them, read in
    one pass: pybtex's ``find_plugin`` reads every installed package's entry points for each
    plugin it finds (about 6 ms here), and a style finds six."""
    found: dict[tuple[str, str], EntryPoint] = {}
    for distribution in distributions():  # in the order of sys.path: the first one found wins
        for ep in distribution.entry_points:
            if ep.group.startswith("pybtex.style."):
                found.setdefault((ep.group, ep.name), ep)
    return found


def _pybtex_plugin(group: str, name: str | None) -> Any:
    """The plugin class ``find_plugin(group, name)`` would find (``name`` None: the group's default)."""
    name = name or _DEFAULT_PLUGINS[group]
    found = _pybtex_plugins().get((group, name)) or _pybtex_plugins().get((group + ".aliases", name))
    if found is None:  # one registered at run time, or pybtex's own error
        return find_plugin(group, name)
    return found.load()


@cache
def _pybtex_styles(bib_style: str) -> tuple[Any, Any, Any, bool]:
    """pybtex's formatting style ``bib_style``, its author-year-title sorting and its alpha
    labels, made once a process (they keep no state between entries), and whether
    ``unsrt_html`` reproduces the style."""
    formatting = _pybtex_plugin("pybtex.style.formatting", bib_style)
    style = formatting(  # with its own name, label and sorting styles, found as above
        name_style=_pybtex_plugin("pybtex.style.names", formatting.default_name_style),
        label_style=_pybtex_plugin("pybtex.style.labels", formatting.default_label_style),
        sorting_style=_pybtex_plugin("pybtex.style.sorting", formatting.default_sorting_style),
    )
    sorting = _pybtex_plugin("pybtex.style.sorting", "author_year_title")()
    alpha = _pybtex_plugin("pybtex.style.labels", "alpha")()
    return style, sorting, alpha, unsrt_html.reproduces(style)


@cache
def _site_code() -> str:
    """The version of what turns a reference's HTML into a page's (the typesetting and the
    sanitizer, with the libraries under them): references cleaned by other code are cleaned again."""
    return code_version((math, sanitize), ("nh3", "latex2mathml"))


class ReferenceFormatter:
    """Formats the references of one bibliography with one pybtex style."""

    def __init__(self, bibliography: Bibliography, bib_style: str) -> None:
        self.bibliography = bibliography
        self.bib_style = bib_style
        self.style, self.sorting, self.alpha, self._direct = _pybtex_styles(bib_style)
        self.problems: list[Diagnostic] = []
        self._meta: dict[str, ReferenceMeta] = {}
        self._alpha: dict[str, str] = {}  # by lower key
        self._html: dict[str, Markup] = {}  # by key as asked for: a build asks for each many times
        self._site: dict[str, Markup] = {}
        self._what = f"html-{bib_style}"
        self._site_what = f"site-{self._what}@2-{_site_code()}"  # 2: kept with its problem
        self._reported: set[str] = set()

    def _kind(self, ref: Reference) -> str:
        """The entry type the style formats ``ref`` as: its own, or the nearest it has a template for."""
        return (
            ref.type
            if hasattr(self.style, f"get_{ref.type}_template")
            else _TYPE_FALLBACKS.get(ref.type, "misc")
        )

    @staticmethod
    def _fields(ref: Reference, tokens: Tokens) -> dict[str, str]:
        """The fields as the style reads them: math and font commands swapped for ``tokens``."""
        return {k: (v if k in _RAW_FIELDS else protect_markup(v, tokens)) for k, v in ref.fields.items()}

    def _entry(self, ref: Reference, fields: dict[str, str], person: Callable[[str], Person]) -> Entry:
        entry = Entry(
            self._kind(ref),
            fields=fields,
            persons={role: [person(n) for n in names] for role, names in ref.persons.items()},
        )
        entry.key = ref.key
        return entry

    def html(self, key: str) -> Markup:
        """The full reference as HTML: authors, title, venue, year, and URL, arXiv and DOI links."""
        found = self._html.get(key)
        if found is None:
            found = self._html[key] = self._html_of(key)
        return found

    def site_html(self, key: str) -> Markup:
        """``html(key)`` as a page shows it: formulas typeset, then sanitized as a page is (a
        ``url`` field's ``javascript:`` link goes). It goes into a page after the page was
        sanitized; HTML that will be sanitized again should start from ``html``, as the
        sanitizer escapes a tooltip's text each time. It is kept with what pybtex could not
        format, reported as ``html`` reports it: a build that has it needs no ``html``."""
        found = self._site.get(key)
        if found is None:
            ref = self.bibliography[key]
            cached = self.bibliography.cache.get(ref.digest, self._site_what)
            if cached is None:
                html, problem = self._formatted(ref)
                cached = (sanitize_html(typeset_page(html)[0]), problem)  # a formula that fails: see html
                self.bibliography.cache.put(ref.digest, self._site_what, cached)
            body, problem = cast(tuple[str, str | None], cached)
            self._report(ref, problem)
            found = self._site[key] = Markup(body)  # nosec B704  # sanitized above, when it was made
        return found

    def _html_of(self, key: str) -> Markup:
        ref = self.bibliography[key]
        body, problem = self._formatted(ref)
        self._report(ref, problem)
        return Markup(body)  # nosec B704  # _format built it from escaped fields (SafeHtmlBackend, unsrt_html)

    def _formatted(self, ref: Reference) -> tuple[str, str | None]:
        """(HTML, problem), formatted once and kept."""
        cached = self.bibliography.cache.get(ref.digest, self._what)
        if cached is None:
            cached = self._format(ref)
            self.bibliography.cache.put(ref.digest, self._what, cached)
        return cast(tuple[str, str | None], cached)

    def _report(self, ref: Reference, problem: str | None) -> None:
        if problem and ref.key.lower() not in self._reported:
            self._reported.add(ref.key.lower())
            self.problems.append(diagnostic(Code.REFERENCE_FORMAT, ref.path, ref.line, 1, problem))

    def _format(self, ref: Reference) -> tuple[str, str | None]:
        """(HTML, problem): the style's rendering, or a simpler one and why pybtex could not."""
        return self.format_directly(ref) or self.format_with_pybtex(ref)

    def format_directly(self, ref: Reference) -> tuple[str, None] | None:
        """(HTML, None) as pybtex would render it, without pybtex; None where only pybtex can say."""
        if not self._direct:
            return None
        tokens = Tokens()
        body = unsrt_html.format_entry(self._kind(ref), self._fields(ref, tokens), ref.persons)
        return None if body is None else (tokens.restore(body), None)

    def format_with_pybtex(self, ref: Reference) -> tuple[str, str | None]:
        """(HTML, problem): pybtex's rendering, or a simpler one and why pybtex could not."""
        tokens = Tokens()
        try:
            with capture() as errors:
                text = self.style.format_entry("", self._entry(ref, self._fields(ref, tokens), _Person)).text
            body = tokens.restore(text.render(HTML_BACKEND))
        except Exception as exc:  # pybtex raises FieldIsMissing but also untyped errors
            return str(self._fallback(ref)), (
                f"entry '{ref.key}' cannot be formatted with the "
                f"'{self.bib_style}' style ({exc}); a simpler form is shown"
            )
        return body, "; ".join(f"entry '{ref.key}': {e}" for e in errors) or None

    def _fallback(self, ref: Reference) -> Markup:
        parts = [escape(short_authors(ref))]
        for name in ("title", "journal", "booktitle", "publisher", "year"):
            if ref.fields.get(name):
                parts.append(latex_to_html(ref.fields[name]))
        return Markup(". ").join(parts) + Markup(".")

    def meta(self, key: str) -> ReferenceMeta:
        found = self._meta.get(key.lower())
        if found is None:
            found = self._meta[key.lower()] = self._compute_meta(key)
        return found

    def _compute_meta(self, key: str) -> ReferenceMeta:
        ref = self.bibliography[key]
        # authors, year, sort key (a kind of cached data is renamed when what it holds changes shape)
        cached = self.bibliography.cache.get(ref.digest, "sorting")
        if cached is None:
            year = latex_to_text(ref.fields.get("year", "")) or "n.d."
            cached = (short_authors(ref), year, self.sorting.sorting_key(self._plain_entry(ref)))
            self.bibliography.cache.put(ref.digest, "sorting", cached)
        return ReferenceMeta(*cast(tuple[str, str, tuple], cached))

    def _plain_entry(self, ref: Reference) -> Entry:
        """The entry as pybtex's sorting and labels read it: names split once per distinct
        name (what pybtex reports about them is the HTML's to tell)."""
        return self._entry(ref, ref.fields, lambda name: unsrt_html.parse_name(name).person)

    def alpha_label(self, key: str) -> str:
        """pybtex's alpha label of the entry (``VSP+17``), made only where a style shows it."""
        found = self._alpha.get(key.lower())
        if found is None:
            ref = self.bibliography[key]
            found = cast(str | None, self.bibliography.cache.get(ref.digest, "alpha"))
            if found is None:
                try:
                    found = str(self.alpha.format_label(self._plain_entry(ref)))
                except Exception:  # alpha labels need names pybtex can split; fall back to the key
                    found = ref.key[:6]
                self.bibliography.cache.put(ref.digest, "alpha", found)
            self._alpha[key.lower()] = found
        return found

    def sort(self, keys: Iterable[str]) -> list[str]:
        """``keys`` in the style's order: as given for unsrt, by author, year and title otherwise."""
        return list(dict.fromkeys(keys)) if self.bib_style == "unsrt" else self.by_name(keys)

    def by_name(self, keys: Iterable[str]) -> list[str]:
        """``keys`` by author, year and title (each once)."""
        return sorted(dict.fromkeys(keys), key=lambda k: self.meta(k).sort_key)

    def author_year(self, keys: Iterable[str], by_name: bool = False) -> dict[str, tuple[str, str]]:
        """(authors, year) per key; the same authors and year get 2017a, 2017b. ``by_name``:
        ``keys`` are in the order of ``by_name`` already."""
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for key in keys if by_name else self.by_name(keys):
            meta = self.meta(key)
            groups[(meta.authors, meta.year)].append(key)
        labels = {}
        for (authors, year), members in groups.items():
            for i, key in enumerate(members):
                labels[key.lower()] = (authors, year + (chr(ord("a") + i) if len(members) > 1 else ""))
        return labels

    def alpha_labels(self, keys: Iterable[str], by_name: bool = False) -> dict[str, str]:
        """pybtex alpha labels (``VSP+17``), made unique with a, b suffixes. ``by_name``: as
        for ``author_year``."""
        ordered = list(keys) if by_name else self.by_name(keys)
        counts: dict[str, int] = defaultdict(int)
        for key in ordered:
            counts[self.alpha_label(key)] += 1
        seen: dict[str, int] = defaultdict(int)
        labels = {}
        for key in ordered:
            label = self.alpha_label(key)
            if counts[label] > 1:
                labels[key.lower()] = label + chr(ord("a") + seen[label])
                seen[label] += 1
            else:
                labels[key.lower()] = label
        return labels


def formatter_for(bibliography: Bibliography, bib_style: str) -> ReferenceFormatter:
    """The formatter of ``bibliography`` for ``bib_style``, made once."""
    found = bibliography.formatters.get(bib_style)
    if found is None:
        found = bibliography.formatters[bib_style] = ReferenceFormatter(bibliography, bib_style)
    return found  # type: ignore[return-value]
