""" "Cite this page": a page's citation as BibTeX and as plain text, and the folded block that
shows both on the page.

A note is cited at the commit of its last change and that change's date, so a citation names
the text a reader saw. An experiment's page is cited at its run: the commit and start time its
result record gives, since the numbers on the page are that run's; an experiment never run is
cited like a note, by its declaration.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from markupsafe import escape

from cortex.connections.dates import Dates, day, moment_of
from cortex.experiments.display import experiment_page_path, run_date, short_hash
from cortex.experiments.record import GitState, ResultRecord

if TYPE_CHECKING:
    from cortex.model import KnowledgeBase

# what BibTeX (or the LaTeX it writes) would read as syntax, and its literal spelling
_BIBTEX_SPECIAL = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\textbraceleft{}",  # BibTeX counts every brace, a backslashed one too: these never unbalance
        "}": r"\textbraceright{}",
        "%": r"\%",
        "&": r"\&",
        "#": r"\#",
        "$": r"\$",
        "_": r"\_",
        "^": r"\textasciicircum{}",
        "~": r"\textasciitilde{}",
    }
)
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_KEY = re.compile(r"[^a-z0-9]+")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# what a URL keeps as it is in a BibTeX field: the rest (braces, backslashes, quotes, spaces) is
# percent-encoded, so no field can be ended or broken by an address
_URL_SAFE = ":/?&=%@+,;!$'()*-._~"


@dataclass(frozen=True, slots=True)
class Citation:
    """What a citation of one page names."""

    key: str  # the BibTeX key: the site and the page, in ASCII
    title: str
    site: str
    date: datetime  # the page's last change, or its run's start
    commit: str | None
    uncommitted: bool = False  # the text or the run differs from the commit
    url: str | None = None  # absolute; None when the site has no address
    author: str | None = None
    run: str | None = None  # "2026-11-22 18:07 UTC" when the page is cited at a run


def cite_page(
    kb: KnowledgeBase,
    page_path: str,
    dates: Mapping[str, Dates],
    site: str,
    url: str | None = None,
    author: str | None = None,
) -> Citation | None:
    """The citation of a note's or an experiment's page (``dates`` by page path, as
    ``page_dates`` gives them): an experiment with a result is cited at that run, anything
    else at its last change; None for a page with neither."""
    titles = {experiment_page_path(spec.id): spec for spec in kb.specs}
    spec = titles.get(page_path)
    record = kb.results.record(spec.id) if spec is not None and kb.results is not None else None
    if spec is not None and record is not None:
        cited = run_citation(spec.title, page_path, record, site, url, author)
        if cited is not None:
            return cited
    found = dates.get(page_path)
    if found is None:
        return None
    note = kb.vault.notes.get(page_path)
    title = spec.title if spec is not None else note.title if note is not None else page_path
    return page_citation(title, page_path, found, site, url, author)


def page_citation(
    title: str, page_path: str, dates: Dates, site: str, url: str | None = None, author: str | None = None
) -> Citation:
    """A note's (or an unrun experiment's) citation: the commit and date of its last change."""
    return Citation(
        citation_key(site, page_path),
        title,
        site,
        dates.updated,
        dates.commit,
        dates.uncommitted,
        url,
        author,
    )


def run_citation(
    title: str,
    page_path: str,
    record: ResultRecord,
    site: str,
    url: str | None = None,
    author: str | None = None,
) -> Citation | None:
    """An experiment page's citation at the run its result record describes; None when the
    record gives no start time to date it by."""
    prov = record.get("provenance", {})
    started = moment_of(prov.get("started_at"))
    if started is None:
        return None
    git: GitState | dict[str, object] = prov.get("git") or {}
    commit = git.get("commit")
    return Citation(
        citation_key(site, page_path),
        title,
        site,
        started,
        str(commit) if commit else None,
        bool(git.get("dirty")),
        url,
        author,
        run_date(record),
    )


def citation_key(site: str, page_path: str) -> str:
    """``the-cortex:notes-compensated-summation``: letters, digits and dashes of the site's name
    and the page's path (without ``.md``), so any BibTeX reads it; a path with none (a name in
    CJK) is named by its hash."""
    stem = re.sub(r"(?:/index)?\.(?:md|ipynb)$", "", page_path)
    page = _ascii_slug(stem) or hashlib.sha256(page_path.encode("utf-8")).hexdigest()[:12]
    return f"{_ascii_slug(site) or 'site'}:{page}"


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_KEY.sub("-", plain.lower()).strip("-")


def bibtex_text(value: str) -> str:
    """Text as a BibTeX field's value writes it: every character that BibTeX or LaTeX reads as
    syntax spelled as a literal, on one line."""
    return _one_line(value).translate(_BIBTEX_SPECIAL)


def _one_line(value: str) -> str:
    return _SPACE.sub(" ", _CONTROL.sub("", value)).strip()


def bibtex_url(url: str) -> str:
    return quote(_one_line(url), safe=_URL_SAFE)


def commit_words(citation: Citation) -> str:
    """``commit 1a2b3c4d5e6f`` (with ``, with uncommitted changes``), or that there is none."""
    if not citation.commit:
        return "no git commit" if citation.run else "not committed"
    words = f"commit {short_hash(citation.commit)}"
    return words + (", with uncommitted changes" if citation.uncommitted else "")


def bibtex(citation: Citation) -> str:
    """The citation as a BibTeX ``@misc`` entry (which biblatex reads too)."""
    lines = [f"  {name} = {value}," for name, value in _fields(citation)]
    return "@misc{" + citation.key + ",\n" + "\n".join(lines) + "\n}"


def bibtex_html(citation: Citation) -> str:
    """The entry ``bibtex`` writes, highlighted as Pygments highlights BibTeX (the classes the
    theme colours code by), every value escaped. Written from the fields directly, as the
    entry's shape is known: lexing it again on every page was 1% of a build's time."""
    lines = [
        f'<span class="w">  </span><span class="na">{name.rstrip()}</span><span class="w">{_padding(name)} </span>'
        f'<span class="p">=</span><span class="w"> </span>{_value_html(value)}<span class="p">,</span>'
        for name, value in _fields(citation)
    ]
    head = f'<span class="nc">@misc</span><span class="p">{{</span><span class="nl">{_html(citation.key)}</span><span class="p">,</span>'
    return "\n".join([head, *lines, '<span class="p">}</span>'])


def _padding(name: str) -> str:
    return name[len(name.rstrip()) :]


def _value_html(value: str) -> str:
    # a braced value is a string; a bare one (a month) a variable
    return f'<span class="{"s" if value.startswith("{") else "nv"}">{_html(value)}</span>'


def _html(text: str) -> str:
    return html.escape(text, quote=False)  # as Pygments escapes code


def _fields(citation: Citation) -> list[tuple[str, str]]:
    """The entry's fields as (name padded to the longest, value as written)."""
    when = citation.date.astimezone(UTC)
    fields: list[tuple[str, str]] = []
    if citation.author:
        fields.append(("author", "{" + bibtex_text(citation.author) + "}"))
    fields += [
        ("title", "{{" + bibtex_text(citation.title) + "}}"),  # inner braces keep its capitals
        ("howpublished", "{" + bibtex_text(citation.site) + "}"),
        ("year", "{" + str(when.year) + "}"),
        ("month", _MONTHS[when.month - 1]),
        ("date", "{" + day(when) + "}"),
    ]
    if citation.url:
        fields.append(("url", "{" + bibtex_url(citation.url) + "}"))
    if citation.commit:
        fields.append(("version", "{" + bibtex_text(citation.commit) + "}"))
    fields.append(("note", "{" + bibtex_text(_note(citation)) + "}"))
    width = max(len(name) for name, _ in fields)
    return [(name.ljust(width), value) for name, value in fields]


def _note(citation: Citation) -> str:
    """``Commit 1a2b3c4d5e6f, updated 2026-11-22`` or ``Run of 2026-11-22 18:07 UTC, commit …``."""
    if citation.run:
        return f"Run of {citation.run}, {commit_words(citation)}"
    words = commit_words(citation)
    return f"{words[0].upper()}{words[1:]}, updated {day(citation.date)}"


def plain_citation(citation: Citation) -> str:
    """``Jane Doe. Compensated summation. The Cortex, 2026-11-22 (commit 1a2b3c4d5e6f). URL``."""
    parts = []
    if citation.author:
        parts.append(_sentence(_one_line(citation.author)))
    parts.append(_sentence(_one_line(citation.title)))
    when = f"run of {citation.run}" if citation.run else day(citation.date)
    parts.append(f"{_one_line(citation.site)}, {when} ({commit_words(citation)}).")
    if citation.url:
        parts.append(_one_line(citation.url))
    return " ".join(parts)


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def cite_html(citation: Citation) -> str:
    """The folded "Cite this page" block: the BibTeX entry and the plain text, each a code
    block (the theme gives code blocks a copy button). Every value is escaped: the entry's
    by ``bibtex_html``, the rest here."""
    entry = bibtex_html(citation)
    text = escape(plain_citation(citation))
    what = "the run of " + citation.run if citation.run else "the last change"
    return (
        '<details class="quote cortex-cite" data-search-exclude>'
        "<summary>Cite this page</summary>"
        f'<p class="cortex-cite-about">As of {escape(what)}, {escape(commit_words(citation))}.</p>'
        '<p class="cortex-cite-label">BibTeX</p>'
        f'<div class="language-bibtex highlight"><pre><span></span><code>{entry}</code></pre></div>'
        '<p class="cortex-cite-label">Plain text</p>'
        f'<div class="language-text highlight cortex-cite-plain"><pre><span></span><code>{text}</code></pre></div>'
        "</details>"
    )
