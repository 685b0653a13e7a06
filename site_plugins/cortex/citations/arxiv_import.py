"""Importing arXiv papers: BibTeX entries for ``refs/arxiv.bib`` and reading-list notes.

Everything is fetched before anything is written, and files are replaced atomically,
so a failed request never leaves a partial file behind.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import arxiv
import requests
import requests.adapters
import yaml
from markupsafe import escape
from pybtex.database import BibliographyData, Entry, Person

from cortex.citations.bibliography import Reference, load_bibliography
from cortex.files import atomic_write_bytes

_PREFIX = re.compile(r"^arxiv:\s*", re.I)
_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(.+?)(?:\.pdf)?/?(?:[?#].*)?$", re.I
)
_VERSION = re.compile(r"v\d+$")
_ID = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.I)
_ID_IN_TEXT = re.compile(
    r"arxiv(?:\.org/(?:abs|pdf)/|[:.]\s*)([a-z\-]+(?:\.[a-z]{2})?/\d{7}|\d{4}\.\d{4,5})", re.I
)
_STOP_WORDS = frozenset(
    "a an the on of in for to and with towards toward via from is are at by do does how what when why we".split()  # noqa: SIM905
)


class ArxivImportError(Exception):
    """A request to arXiv failed, or its answer cannot be used; nothing was written."""


@dataclass
class ImportReport:
    added: list[tuple[str, str]] = field(default_factory=list)  # (arXiv id, key)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)  # (arXiv id, key, file)


def normalize_id(text: str) -> str:
    """``arXiv:1706.03762``, abs/pdf URLs, versioned and old-style ids -> the bare id as given."""
    value = _PREFIX.sub("", text.strip())
    m = _URL.match(value)
    if m:
        value = m.group(1)
    if not _ID.fullmatch(value):
        raise ArxivImportError(
            f"'{text}' is not an arXiv id or URL (like arXiv:1706.03762, hep-th/9901001 or "
            "https://arxiv.org/abs/1706.03762)"
        )
    return value


def base_id(arxiv_id: str) -> str:
    return _VERSION.sub("", arxiv_id).lower()


def arxiv_ids_of(ref: Reference) -> set[str]:
    """The arXiv ids an entry refers to (eprint, arXiv URL, arXiv DOI, note), unversioned."""
    ids = set()
    if (
        ref.fields.get("eprint")
        and ref.fields.get("archiveprefix", ref.fields.get("eprinttype", "arxiv")).lower() == "arxiv"
    ):
        ids.add(base_id(normalize_id(ref.fields["eprint"])))
    for name in ("url", "doi", "journal", "note", "howpublished"):
        ids.update(base_id(m) for m in _ID_IN_TEXT.findall(ref.fields.get(name, "")))
    return ids


def existing_arxiv_ids(references: Iterable[Reference]) -> dict[str, tuple[str, str]]:
    """arXiv id (unversioned) -> (key, file) of the entries that refer to it."""
    found: dict[str, tuple[str, str]] = {}
    for ref in references:
        for arxiv_id in arxiv_ids_of(ref):
            found.setdefault(arxiv_id, (ref.key, ref.path))
    return found


TIMEOUT_S = 30.0  # for each request; one that times out is tried once more, then reported


class _TimeoutAdapter(requests.adapters.HTTPAdapter):
    """Every request gets a timeout; running out of it counts as a failed connection, which the
    arxiv client tries again."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s

    def send(self, request, **kwargs):  # type: ignore[override]  # requests' own signature, kwargs passed on
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout_s
        try:
            return super().send(request, **kwargs)
        except requests.Timeout as exc:
            raise requests.ConnectionError(f"no answer within {self.timeout_s:g} s") from exc


def make_client(
    api_url: str | None,
    page_size: int = 100,
    delay_seconds: float = 3.0,
    num_retries: int = 1,
    timeout_s: float = TIMEOUT_S,
) -> arxiv.Client:
    client = arxiv.Client(page_size=page_size, delay_seconds=delay_seconds, num_retries=num_retries)
    adapter = _TimeoutAdapter(timeout_s)
    client._session.mount("http://", adapter)  # the client's session is where its requests go
    client._session.mount("https://", adapter)
    if api_url:
        client.query_url_format = api_url if "{}" in api_url else api_url.rstrip("?") + "?{}"
    return client


def fetch(client: arxiv.Client, search: arxiv.Search) -> list[arxiv.Result]:
    """All results of ``search``, with every failure turned into an ArxivImportError."""
    try:
        results = list(client.results(search))
    except arxiv.HTTPError as exc:
        if exc.status == 400:
            raise ArxivImportError(
                f"arXiv rejected the request as malformed (HTTP 400); check the ids "
                f"{', '.join(search.id_list) or search.query!r}: {exc.url}"
            ) from exc
        raise ArxivImportError(f"arXiv answered HTTP {exc.status} for {exc.url}") from exc
    except arxiv.UnexpectedEmptyPageError as exc:
        raise ArxivImportError(
            f"arXiv returned an empty page mid-way through the results ({exc.url}); try again later"
        ) from exc
    except requests.RequestException as exc:
        url = client.query_url_format.split("?")[0]
        tries = client.num_retries + 1
        raise ArxivImportError(
            f"cannot reach the arXiv API at {url} ({tries} tr{'ies' if tries > 1 else 'y'}): {exc}"
        ) from exc
    for result in results:
        if "/api/errors" in result.entry_id:
            raise ArxivImportError(f"arXiv reported an error: {result.summary.strip()}")
    return results


def _ascii_word(text: str) -> str:
    return re.sub(
        r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    )


def readable_key(result: arxiv.Result, taken: set[str]) -> str:
    """``vaswani2017attention``: first author's last name, year, first significant title word."""
    author = result.authors[0].name if result.authors else "anonymous"
    person = Person(author)
    last = _ascii_word("".join(person.prelast_names + person.last_names) or author) or "anonymous"
    words = [_ascii_word(w) for w in re.split(r"[\s\-:]+", result.title)]
    word = next((w for w in words if w and w.isalpha() and w not in _STOP_WORDS), "")
    key = f"{last}{result.published.year}{word}"
    candidate, n = key, 0
    while candidate.lower() in taken:
        candidate = key + chr(ord("a") + n)
        n += 1
    taken.add(candidate.lower())
    return candidate


def bibtex_entry(result: arxiv.Result, key: str, arxiv_id: str) -> str:
    """One ``@misc`` entry, written by pybtex."""
    fields = {
        "title": result.title.strip(),
        "year": str(result.published.year),
        "eprint": arxiv_id,
        "archivePrefix": "arXiv",
    }
    if result.primary_category:
        fields["primaryClass"] = result.primary_category
    fields["url"] = f"https://arxiv.org/abs/{arxiv_id}"
    if result.doi:
        fields["doi"] = re.sub(r"^https?://(dx\.)?doi\.org/", "", result.doi.strip())
    if result.journal_ref:
        fields["note"] = result.journal_ref.strip()
    entry = Entry("misc", fields=fields, persons={"author": [Person(a.name) for a in result.authors]})
    return BibliographyData(entries={key: entry}).to_string("bibtex")


def import_arxiv(
    ids: list[str], bib_path: Path, api_url: str | None = None, *, client: arxiv.Client | None = None
) -> ImportReport:
    """Append an entry per new paper to ``bib_path``; ids already in the folder's .bib files are skipped."""
    bib_path = Path(bib_path)
    wanted = list(dict.fromkeys(normalize_id(i) for i in ids))
    bibliography, _ = load_bibliography(bib_path.parent)  # every .bib next to it counts
    existing = existing_arxiv_ids(bibliography.values())
    report = ImportReport()
    todo: list[str] = []
    for arxiv_id in wanted:
        if base_id(arxiv_id) in existing:
            key, where = existing[base_id(arxiv_id)]
            report.skipped.append((arxiv_id, key, where))
        elif base_id(arxiv_id) not in {base_id(t) for t in todo}:
            todo.append(arxiv_id)
    if not todo:
        return report
    client = client or make_client(api_url)
    results = fetch(client, arxiv.Search(id_list=todo, max_results=len(todo)))
    by_id = {base_id(r.get_short_id()): r for r in results}
    missing = [i for i in todo if base_id(i) not in by_id]
    if missing:
        raise ArxivImportError(f"no arXiv paper has the id {', '.join(missing)}; nothing was written")
    taken = {k.lower() for k in bibliography}
    chunks = []
    for arxiv_id in todo:
        result = by_id[base_id(arxiv_id)]
        eprint = arxiv_id if _VERSION.search(arxiv_id) else _VERSION.sub("", result.get_short_id())
        key = readable_key(result, taken)
        chunks.append(bibtex_entry(result, key, eprint))
        report.added.append((arxiv_id, key))
    old = bib_path.read_bytes() if bib_path.exists() else b""
    sep = b"" if not old or old.endswith(b"\n\n") else (b"\n" if old.endswith(b"\n") else b"\n\n")
    atomic_write_bytes(bib_path, old + sep + "\n".join(chunks).encode("utf-8"))
    return report


def cite_arxiv(ids: list[str], bib_path: Path, api_url: str | None = None) -> list[str]:
    """Keys of the entries appended to ``bib_path`` for ``ids`` (papers already there are skipped)."""
    return [key for _, key in import_arxiv(ids, bib_path, api_url).added]


def reading_list_note(query: str, results: list[arxiv.Result], today: dt.date) -> str:
    """A Markdown note listing papers: title, authors, date, abstract and a ``cortex cite`` line."""
    meta = {
        "title": f"Reading list: {query}",
        "query": query,
        "date": today.isoformat(),
        "tags": ["reading-list"],
    }
    lines = [
        "---",
        yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).strip(),
        "---",
        "",
        f"# Reading list: {escape(query)}",
        "",
        f"{len(results)} papers from arXiv for this query, most relevant first, fetched on {today.isoformat()}. "
        "Each ends with the command that adds it to `refs/arxiv.bib`.",
        "",
    ]
    for n, result in enumerate(results, 1):
        short = _VERSION.sub("", result.get_short_id())
        authors = ", ".join(a.name for a in result.authors)
        abstract = " ".join(result.summary.split())
        lines += [
            f"## {n}. {escape(' '.join(result.title.split()))}",
            "",
            f"**Authors:** {escape(authors)}  ",
            f"**Published:** {result.published.date().isoformat()} · "
            f"**arXiv:** [{short}](https://arxiv.org/abs/{short}) · {escape(result.primary_category)}",
            "",
            f"> {escape(abstract)}",
            "",
            "```",
            f"cortex cite arXiv:{short}",
            "```",
            "",
        ]
    return "\n".join(lines)


def reading_list(
    query: str,
    max_results: int,
    out_path: Path,
    api_url: str | None = None,
    *,
    client: arxiv.Client | None = None,
) -> list[str]:
    """Search arXiv and write a reading-list note to ``out_path`` (never over an existing file)."""
    out_path = Path(out_path)
    if out_path.exists():
        raise ArxivImportError(f"{out_path} already exists; choose another --out")
    results = fetch(client or make_client(api_url), arxiv.Search(query=query, max_results=max_results))
    if not results:
        raise ArxivImportError(f"arXiv found no paper for the query {query!r}; nothing was written")
    atomic_write_bytes(out_path, reading_list_note(query, results, dt.date.today()).encode("utf-8"))
    return [_VERSION.sub("", r.get_short_id()) for r in results]
