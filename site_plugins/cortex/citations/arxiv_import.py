"""Importing arXiv papers: BibTeX entries for ``refs/arxiv.bib`` and reading-list notes.

Everything is fetched before anything is written, and files are replaced atomically,
so a failed request never leaves a partial file behind.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import arxiv
import requests
import requests.adapters
import yaml
from markupsafe import escape
from pybtex.database import BibliographyData, Entry, Person

from cortex.citations.bibliography import Reference, load_bibliography
from cortex.connections.related import Document, relevance
from cortex.connections.similarity import Similarity
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


SUMMARY_SENTENCES = 2


@dataclass
class Paper:
    """One search result, weighed against the knowledge base."""

    result: arxiv.Result
    score: float | None = None  # relevance to the knowledge base's notes (None: nothing to compare with)
    closest: str | None = None  # the title of the note it is most like
    in_refs: str | None = None  # the key of the entry in refs/ that is this paper
    summary: str = ""  # the abstract's most central sentences


def summarize(text: str, sentences: int = SUMMARY_SENTENCES) -> str:
    """An extractive summary: the ``sentences`` most central sentences of ``text`` by sumy's
    LexRank, in their order. Sentences and words are split by ``PlainTokenizer`` (sumy's own
    tokenizer needs NLTK's punkt data, a download); stop words are sumy's shipped list."""
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.utils import get_stop_words

    text = " ".join(text.split())
    tokenizer = PlainTokenizer()
    if len(tokenizer.to_sentences(text)) <= sentences:
        return text
    summarizer = LexRankSummarizer(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    document = PlaintextParser.from_string(text, tokenizer).document
    return " ".join(str(s) for s in summarizer(document, sentences))


class PlainTokenizer:
    """Sentences and words for sumy without NLTK's data: a sentence ends at ``.``, ``!`` or
    ``?`` before a space and a capital, a digit or an opening mark ("e.g. the" stays whole)."""

    language = "english"
    _SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[\"'])")
    _WORD = re.compile(r"\w[\w'-]*")

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        return tuple(s.strip() for s in self._SENTENCE_END.split(paragraph) if s.strip())

    def to_words(self, sentence: str) -> tuple[str, ...]:
        return tuple(self._WORD.findall(sentence))


def _title_key(title: str) -> str:
    return re.sub(
        r"\W+", "", unicodedata.normalize("NFKC", title.replace("{", "").replace("}", "")).casefold()
    )


def _doi(text: str) -> str:
    return re.sub(r"^(?:https?://)?(?:dx\.)?doi\.org/", "", text.strip()).lower()


def match_refs(results: Sequence[arxiv.Result], references: Iterable[Reference]) -> list[str | None]:
    """For each result, the key of the entry in ``references`` that is the same paper: the same
    arXiv id, DOI or title (case, spacing, punctuation and braces aside)."""
    refs = list(references)
    by_id = existing_arxiv_ids(refs)
    by_doi = {_doi(r.fields["doi"]): r.key for r in refs if r.fields.get("doi")}
    by_title = {_title_key(r.fields["title"]): r.key for r in refs if r.fields.get("title")}
    found: list[str | None] = []
    for result in results:
        key = by_id.get(base_id(result.get_short_id()), (None, ""))[0]
        key = key or (by_doi.get(_doi(result.doi)) if result.doi else None)
        found.append(key or by_title.get(_title_key(result.title)))
    return found


def weigh(
    results: Sequence[arxiv.Result],
    notes: Sequence[Document] = (),
    references: Iterable[Reference] = (),
    similarity: Similarity | None = None,
) -> list[Paper]:
    """The results as papers, most relevant to ``notes`` first (arXiv's order without notes or
    a similarity), each marked when ``references`` hold it, each with its summary."""
    papers = [
        Paper(r, in_refs=key, summary=summarize(r.summary))
        for r, key in zip(results, match_refs(results, references), strict=True)
    ]
    if notes and similarity is not None:
        texts = [f"{r.title}\n{r.summary}" for r in results]
        for paper, (score, closest) in zip(papers, relevance(texts, notes, similarity), strict=True):
            paper.score, paper.closest = score, notes[closest].title
        papers.sort(key=lambda p: -(p.score or 0.0))  # stable: ties keep arXiv's order
    return papers


def reading_list_note(query: str, results: list[arxiv.Result] | list[Paper], today: dt.date) -> str:
    """A Markdown note listing papers, by rank: title, authors, date, relevance to the knowledge
    base, whether refs/ has it, a summary, the abstract and a ``cortex cite`` line."""
    papers = [p if isinstance(p, Paper) else Paper(p, summary=summarize(p.summary)) for p in results]
    ranked = any(p.score is not None for p in papers)
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
        f"{len(papers)} papers from arXiv for this query, fetched on {today.isoformat()}, "
        + (
            "ranked by how alike each is to this knowledge base's notes (the score: 0 to 1). "
            if ranked
            else "in arXiv's order of relevance. "
        )
        + "Each ends with the command that adds it to `refs/arxiv.bib`, unless `refs/` has it already.",
        "",
    ]
    for n, paper in enumerate(papers, 1):
        result = paper.result
        short = _VERSION.sub("", result.get_short_id())
        authors = ", ".join(a.name for a in result.authors)
        abstract = " ".join(result.summary.split())
        lines += [
            f"## {n}. {escape(' '.join(result.title.split()))}",
            "",
            f"**Authors:** {escape(authors)}  ",
            f"**Published:** {result.published.date().isoformat()} · "
            f"**arXiv:** [{short}](https://arxiv.org/abs/{short}) · {escape(result.primary_category)}  ",
        ]
        if paper.score is not None:
            lines.append(
                f"**Rank:** {n} · **Score:** {paper.score:.2f} · closest note: {escape(paper.closest or '')}  "
            )
        if paper.in_refs:
            lines.append(f"**In refs/:** ✓ already there as `{escape(paper.in_refs)}`  ")
        lines += [f"**Summary:** {escape(paper.summary)}", "", f"> {escape(abstract)}", ""]
        if not paper.in_refs:
            lines += ["```", f"cortex cite arXiv:{short}", "```", ""]
    return "\n".join(lines)


def reading_list(
    query: str,
    max_results: int,
    out_path: Path,
    api_url: str | None = None,
    *,
    client: arxiv.Client | None = None,
    notes: Sequence[Document] = (),
    references: Iterable[Reference] = (),
    similarity: Similarity | None = None,
) -> list[str]:
    """Search arXiv and write a reading-list note to ``out_path`` (never over an existing file),
    ranked against ``notes`` and marked against ``references`` (see ``weigh``); returns the
    papers' ids in the note's order."""
    out_path = Path(out_path)
    if out_path.exists():
        raise ArxivImportError(f"{out_path} already exists; choose another --out")
    results = fetch(client or make_client(api_url), arxiv.Search(query=query, max_results=max_results))
    if not results:
        raise ArxivImportError(f"arXiv found no paper for the query {query!r}; nothing was written")
    papers = weigh(results, notes, references, similarity)
    atomic_write_bytes(out_path, reading_list_note(query, papers, dt.date.today()).encode("utf-8"))
    return [_VERSION.sub("", p.result.get_short_id()) for p in papers]
