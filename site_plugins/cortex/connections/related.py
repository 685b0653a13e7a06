"""Related notes: for each note, the few notes, experiments and papers most alike in content
that it is not already connected to (no link either way, no citation, not its reading note's
paper), above the similarity's cut-off. Computed once per build from the whole model."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cortex.citations.bibliography import Reference
from cortex.connections.ranking import RESERVE, KeptRankings, rank, rankings
from cortex.connections.similarity import Similarity, TermCounts
from cortex.model import KnowledgeBase
from cortex.notes.kept import PerNote
from cortex.notes.vault import Note, plain_text

Kind = Literal["note", "experiment", "paper"]
RELATED_COUNT = 5
PAPER_PREFIX = "bib:"  # a paper's document key: "bib:" and its BibTeX key


@dataclass(frozen=True, slots=True)
class Document:
    """A text to compare: ``key`` is a note's path, an experiment page's path or ``bib:KEY``."""

    key: str
    kind: Kind
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Related:
    key: str  # a note's or experiment page's path, or the BibTeX key of a paper
    kind: Kind
    title: str
    score: float
    listed: bool = True  # a paper: whether the bibliography page lists it (else there is no page to link)


def note_text(note: Note) -> str:
    """What a note says, for comparison: its title and its body as plain text (code, comments
    and front matter left out, links by their text)."""
    body: list[str] = []
    pos = note.body_start
    for start, end in note.regions.spans:
        if end <= pos:
            continue
        body.append(note.source[pos : max(pos, start)])
        pos = max(pos, end)
    body.append(note.source[pos:])
    return f"{note.title}\n{plain_text(''.join(body))}"


def paper_text(ref: Reference) -> str:
    """A paper's title and abstract (BibTeX fields as written)."""
    fields = ref.fields
    return "\n".join(part for part in (fields.get("title", ""), fields.get("abstract", "")) if part)


def _bib_title(ref: Reference) -> str:
    """An entry's title as a reader sees it: BibTeX's case-keeping braces dropped."""
    return ref.fields.get("title", ref.key).replace("{", "").replace("}", "")


def documents(kb: KnowledgeBase) -> list[Document]:
    """Every note, experiment page and paper of the knowledge base. A paper that has a reading
    note (``cite: key``) is represented by that note."""
    docs = []
    for path, note in sorted(kb.vault.notes.items()):
        text = _texts.get("", note, note_text)
        docs.append(Document(path, "experiment" if note.virtual else "note", note.title, text))
    index = kb.citations
    for ref in sorted(kb.bibliography.values() if kb.bibliography else [], key=lambda r: r.key.lower()):
        if index is not None and ref.key.lower() in index.reading_notes:
            continue
        docs.append(Document(PAPER_PREFIX + ref.key, "paper", _bib_title(ref), paper_text(ref)))
    return docs


_texts: PerNote[str] = PerNote()  # each note's text for comparison, for the same note text


def connected(kb: KnowledgeBase) -> dict[str, set[str]]:
    """For each note, the document keys it is already connected to: what it links to or embeds,
    what links to it, the papers it cites or is the reading note of, and those papers' reading
    notes."""
    found: dict[str, set[str]] = {path: {path} for path in kb.vault.notes}
    for target, links in kb.backlinks.items():
        near = found.setdefault(target, {target})
        for link in links:  # a note's own set, made only for a source the vault lacks
            near.add(link.source)
            (found.get(link.source) or found.setdefault(link.source, {link.source})).add(target)
    index = kb.citations
    if index is not None:
        for path, page in index.pages.items():
            for key in [*page.keys, *page.notes_on]:
                found.setdefault(path, {path}).add(PAPER_PREFIX + key)
                reading = index.reading_notes.get(key.lower())
                if reading:
                    found[path].add(reading)
                    found.setdefault(reading, {reading}).add(path)
    return found


class RelatedMemo:
    """What ``related_notes`` found last, with what it was found from: a preview's rebuild that
    changed no document, link or listing (a new run, an edited reference's entry elsewhere)
    gets it again without comparing every document with every other; where the similarity
    has exact vectors (TF-IDF), another rebuild scores again only the documents whose vectors
    changed (``cortex.connections.ranking``)."""

    def __init__(self) -> None:
        self.inputs: tuple | None = None
        self.found: dict[str, list[Related]] = {}
        self.rankings: KeptRankings | None = None
        self.counts = TermCounts()  # each document's words and counts, for TF-IDF


def related_notes(
    kb: KnowledgeBase, similarity: Similarity, count: int = RELATED_COUNT, memo: RelatedMemo | None = None
) -> dict[str, list[Related]]:
    """For each note written in the content folder, up to ``count`` related documents, best
    first, each scoring at least the similarity's cut-off."""
    docs = documents(kb)
    sources = [i for i, d in enumerate(docs) if d.kind == "note"]
    if not sources or len(docs) < 2:
        return {}
    texts = [d.text for d in docs]
    links = connected(kb)
    listed = {k.lower() for k in kb.citations.listed_keys()} if kb.citations else set()
    inputs = (similarity.name, count, docs, links, listed)
    if memo is not None and memo.inputs == inputs:
        return memo.found
    position = {d.key: i for i, d in enumerate(docs)}
    excludes = [
        sorted(position[k] for k in links.get(docs[i].key, {docs[i].key}) if k in position) for i in sources
    ]
    found: dict[str, list[Related]] = {}
    vectors = similarity.exact_vectors(texts, memo.counts) if memo is not None else None
    if vectors is not None and memo is not None:  # a preview: rankings kept, changed vectors scored again
        keys = [d.key for d in docs]
        ranked = rankings(vectors, keys, sources, excludes, count + RESERVE, count, memo.rankings)
        memo.rankings = KeptRankings(keys, sources, excludes, vectors, ranked)
        for i, ranking in zip(sources, ranked, strict=True):
            scored = ranking.best(count, similarity.cutoff)
            if scored:
                found[docs[i].key] = [_related(docs[j], score, listed) for j, score in scored]
    else:
        for start, scores in similarity.blocks([texts[i] for i in sources], texts):
            for row, i in enumerate(sources[start : start + len(scores)]):
                near = best(scores[row], similarity.cutoff, count, excludes[start + row])
                if near:
                    found[docs[i].key] = [_related(docs[j], float(scores[row, j]), listed) for j in near]
    if memo is not None:
        memo.inputs, memo.found = inputs, found
    return found


def best(row: np.ndarray, cutoff: float, count: int, exclude: Iterable[int] = ()) -> list[int]:
    """Indices of the ``count`` highest scores at or above ``cutoff``, highest first, leaving
    out ``exclude``."""
    return [j for j, _ in rank(row, list(exclude), count).best(count, cutoff)]


def _related(doc: Document, score: float, listed: set[str]) -> Related:
    if doc.kind == "paper":
        key = doc.key.removeprefix(PAPER_PREFIX)
        return Related(key, "paper", doc.title, score, key.lower() in listed)
    return Related(doc.key, doc.kind, doc.title, score)


RELEVANCE_NEAREST = 3


def relevance(
    texts: Sequence[str], corpus: Sequence[Document], similarity: Similarity
) -> list[tuple[float, int]]:
    """How relevant each text is to a corpus (the knowledge base's notes): the mean of its
    ``RELEVANCE_NEAREST`` highest similarities, so one lucky match counts less than a topic the
    notes keep coming back to; with the index of the closest document."""
    if not texts or not corpus:
        return [(0.0, 0) for _ in texts]
    scores = similarity.similarities(list(texts), [d.text for d in corpus])
    nearest = min(RELEVANCE_NEAREST, len(corpus))
    top = -np.sort(-scores, axis=1)[:, :nearest]
    return [(float(top[i].mean()), int(scores[i].argmax())) for i in range(len(texts))]


def unread_papers(kb: KnowledgeBase, path: str, similarity: Similarity) -> list[Related]:
    """``cortex review``: every paper of refs/ that the note at ``path`` does not cite yet (nor
    is the reading note of), most alike first, with its score; no cut-off, the reader judges."""
    note = kb.vault.notes[path]
    done = connected(kb).get(path, set())
    papers = [
        Document(PAPER_PREFIX + ref.key, "paper", _bib_title(ref), paper_text(ref))
        for ref in sorted(kb.bibliography.values() if kb.bibliography else [], key=lambda r: r.key.lower())
        if PAPER_PREFIX + ref.key not in done
    ]
    if not papers:
        return []
    scores = similarity.similarities([note_text(note)], [d.text for d in papers])[0]
    order = np.argsort(-scores, kind="stable")
    return [_related(papers[j], float(scores[j]), set()) for j in order]
